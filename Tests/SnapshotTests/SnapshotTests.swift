import Foundation
import HAExplainCore
import HAModel
import LabSupport
import SystemFacts
import Testing

@Suite struct SnapshotDecodingTests {
    @Test("a snapshot of this host decodes back, with the same interfaces `addr --json` prints")
    func roundTrip() throws {
        let snapshot = try HAExplainBinary.run(["snapshot"])
        #expect(snapshot.succeeded, "\(snapshot.stderr)")
        let decoded = try HostSnapshot.decode(Array(snapshot.stdout.utf8), origin: "test")
        #expect(decoded.schemaVersion == SchemaVersion.current)
        #expect(decoded.hostname == HostIdentity.hostname())
        let addr = try HAExplainBinary.json(["addr"])
        let names = (addr["interfaces"] as? [[String: Any]])?.compactMap { $0["ifname"] as? String }
        #expect(decoded.addresses?.interfaces.map(\.ifname) == names)
    }

    @Test("a snapshot from another schema version is refused with what to do")
    func otherVersion() {
        let bytes = Array(#"{"schema_version": 99, "hostname": "lb0"}"#.utf8)
        let error = #expect(throws: HAError.self) { try HostSnapshot.decode(bytes, origin: "lb0.json") }
        #expect(error?.kind == .dataError)
        #expect(error?.description == "lb0.json: snapshot has schema_version 99, this haexplain reads 2 to 4; take it again with this version of haexplain")
    }

    @Test("snapshots of versions 2 to 4 read; version 1 and 5 do not", arguments: [1, 2, 3, 4, 5])
    func versions(_ version: Int) throws {
        let limit = version == 4 ? #"{"source":{"kind":"netlink","detail":"RTM_GETNEIGH dump"},"message":"m"}"# : #"{"source":"netlink","message":"m"}"#
        let bytes = Array(#"{"schema_version":\#(version),"hostname":"h","taken_at":"t","haexplain_version":"0","limits":[\#(limit)]}"#.utf8)
        if (2...4).contains(version) {
            let snapshot = try HostSnapshot.decode(bytes, origin: "h.json")
            #expect(snapshot.schemaVersion == version && snapshot.limits.first?.message == "m")
            #expect(snapshot.limits.first?.source.kind == .netlink)
        } else {
            let error = #expect(throws: HAError.self) { try HostSnapshot.decode(bytes, origin: "h.json") }
            #expect(error?.kind == .dataError && error?.description.contains("schema_version \(version)") == true)
        }
    }

    @Test("garbage, truncated JSON and a wrong field are data errors that name the file", arguments: [
        "\u{7f}ELF\u{2}\u{1}", "{\"schema_version\": 2, \"hostname\": ", "{\"schema_version\": 2, \"hostname\": 7}", "[]", "",
    ])
    func malformed(_ text: String) {
        let error = #expect(throws: HAError.self) { try HostSnapshot.decode(Array(text.utf8), origin: "bad.json") }
        #expect(error?.kind == .dataError)
        #expect(error?.file == "bad.json")
    }

    @Test("a version-2 or -3 snapshot's limits (a source in one word, /proc's as sentences) read as limits with their sources, and are said as before",
          arguments: [2, 3])
    func olderLimitsRead(_ version: Int) throws {
        let text = #"{"schema_version":\#(version),"hostname":"lb1","taken_at":"t","haexplain_version":"0","#
            + #""limits":[{"source":"vrrp","message":"could not listen"},{"source":"ssh","message":"lb2 is not in this answer"},"#
            + #"{"source":"hosts","message":"/etc/hosts could not be read"},{"source":"netlink","message":"no table"}],"#
            + #""processes":{"daemons":[],"track_scripts":[],"warnings":[],"limits":["/proc could not be read"]}}"#
        let snapshot = try HostSnapshot.decode(Array(text.utf8), origin: "lb1.json")
        #expect(snapshot.limits.map(\.source) == [.liveCapture, Source(kind: .ssh), Source(kind: .resolver, detail: "hosts"), Source(kind: .netlink)])
        #expect(snapshot.limits.map(\.message) == ["could not listen", "lb2 is not in this answer", "/etc/hosts could not be read", "no table"])
        #expect(snapshot.processes?.limits == [Limit(source: .process("/proc"), message: "/proc could not be read")])
        #expect(HostsInView(thisHost: nil, snapshots: [snapshot]).limits.map(\.text)
                == ["lb1: could not listen", "lb1: lb2 is not in this answer", "lb1: /etc/hosts could not be read", "lb1: no table"])
        // Written again, its limits are objects with a source object.
        let again = try JSONSerialization.jsonObject(with: Data(JSONOutput.encode(snapshot).utf8)) as? [String: Any]
        let processLimits = (again?["processes"] as? [String: Any])?["limits"] as? [[String: Any]]
        #expect((processLimits?.first?["source"] as? [String: Any])?["kind"] as? String == "process")
    }
}

/// Version 4 made every limit an object with a source object: a version-4 snapshot written
/// the old way is refused, naming the file and where in it, while versions 2 and 3 still read.
@Suite struct SnapshotLimitShapeTests {
    static func snapshot(_ version: Int, limits: String = "[]", processLimits: String? = nil) -> [UInt8] {
        let processes = processLimits.map { #","processes":{"daemons":[],"track_scripts":[],"warnings":[],"limits":\#($0)}"# } ?? ""
        return Array(#"{"schema_version":\#(version),"hostname":"lb1","taken_at":"t","haexplain_version":"0","limits":\#(limits)\#(processes)}"#.utf8)
    }

    static func refusal(_ bytes: [UInt8]) -> HAError? {
        #expect(throws: HAError.self) { try HostSnapshot.decode(bytes, origin: "lb1.json") }
    }

    @Test("a version-4 snapshot whose limit names its source in one word is refused: the file, the JSON path, what version 4 writes; exit status 65")
    func oneWordSourceRefused() throws {
        let error = try #require(Self.refusal(Self.snapshot(4, limits: #"[{"source":{"kind":"netlink"},"message":"m"},{"source":"vrrp","message":"could not listen"}]"#)))
        #expect(error.kind == .dataError && error.kind.rawValue == 65)
        #expect(error.file == "lb1.json")
        #expect(error.message.contains(".limits[1].source: "), "\(error.message)")
        #expect(error.message.contains("not the one word \"vrrp\""), "\(error.message)")
        // The same document as version 3 reads, the word taken as the source it named.
        let old = try HostSnapshot.decode(Self.snapshot(3, limits: #"[{"source":{"kind":"netlink"},"message":"m"},{"source":"vrrp","message":"could not listen"}]"#), origin: "lb1.json")
        #expect(old.limits.map(\.source) == [Source(kind: .netlink), .liveCapture])
    }

    @Test("a version-4 snapshot with /proc's limits as sentences, or one of them with a one-word source, is refused with its path; version 3's sentences read")
    func processLimitsRefused() throws {
        let sentences = try #require(Self.refusal(Self.snapshot(4, processLimits: #"["/proc could not be read"]"#)))
        #expect(sentences.kind == .dataError && sentences.file == "lb1.json")
        #expect(sentences.message.contains(".processes.limits: ") && sentences.message.contains("not a sentence"), "\(sentences.message)")
        let word = try #require(Self.refusal(Self.snapshot(4, processLimits: #"[{"source":"process","message":"m"}]"#)))
        #expect(word.message.contains(".processes.limits[0].source: ") && word.message.contains("\"process\""), "\(word.message)")
        let old = try HostSnapshot.decode(Self.snapshot(3, processLimits: #"["/proc could not be read"]"#), origin: "lb1.json")
        #expect(old.processes?.limits == [Limit(source: .process("/proc"), message: "/proc could not be read")])
    }

    @Test("other version-4 limit violations are refused alike, with the file and path: a limit as a string, a source of an unknown kind, no message, a source object without a kind",
          arguments: [
            (#"["/etc/hosts could not be read"]"#, ".limits[0]: "),
            (#"[{"source":{"kind":"telepathy"},"message":"m"}]"#, ".limits[0].source.kind: "),
            (#"[{"source":{"kind":"netlink"}}]"#, ".limits[0].message: missing"),
            (#"[{"source":{"detail":"x"},"message":"m"}]"#, ".limits[0].source.kind: missing"),
          ])
    func otherShapesRefused(_ limits: String, _ path: String) throws {
        let error = try #require(Self.refusal(Self.snapshot(4, limits: limits)))
        #expect(error.kind == .dataError && error.file == "lb1.json")
        #expect(error.message.hasPrefix("malformed snapshot: \(path)"), "\(error.message)")
    }

    @Test("a limit decoded outside a snapshot (ip --json, keepalived --json) is read as version 4 writes it")
    func currentShapeByDefault() throws {
        let object = try JSONReading.decode(Limit.self, from: Array(#"{"source":{"kind":"wire","detail":"live capture"},"message":"m"}"#.utf8))
        #expect(object == Limit(source: .liveCapture, message: "m"))
        #expect(throws: DecodingError.self) { try JSONReading.decode(Limit.self, from: Array(#"{"source":"vrrp","message":"m"}"#.utf8)) }
        #expect(try JSONReading.decode(Limit.self, from: Array(#"{"source":"vrrp","message":"m"}"#.utf8), schemaVersion: 3).source == .liveCapture)
    }
}

/// Which hosts `--host` and `--host-list` name: pure, from the list file's text.
@Suite struct HostListTests {
    @Test("--host first, then the list's first word a line, each once; comments, blank lines and trailing words are skipped")
    func hostsInOrderOnce() throws {
        let list = "lb1  # the backup\n\n# a comment line\n\tlb2 extra words\nlb0\r\nlb3#no space\n"
        #expect(try RemoteSnapshot.hosts(given: ["lb0"], list: list) == ["lb0", "lb1", "lb2", "lb3"])
        #expect(try RemoteSnapshot.hosts(given: ["lb0", "lb1"], list: nil) == ["lb0", "lb1"])
    }

    @Test("a name ssh would read as an option, from --host or the list, is bad usage (exit 64)", arguments: [(["-oProxyCommand=x"], nil), ([], "-F/tmp/evil\n")] as [([String], String?)])
    func optionLikeNameRefused(_ given: [String], _ list: String?) {
        let error = #expect(throws: HAError.self) { try RemoteSnapshot.hosts(given: given, list: list) }
        #expect(error?.kind == .usage && error?.message.contains("is not a host name for ssh") == true)
    }
}

/// `--host`'s waits, with ssh and a ProxyCommand that never connects: no server, no root.
@Suite struct RemoteSnapshotDeadlineTests {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxd-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The ProxyCommand writes its pid and hangs: a jump host that never answers.
        try """
        Host hung
            BatchMode yes
            ProxyCommand sh -c 'echo $$ > \(directory)/proxy.pid; exec sleep 300'
        """.write(toFile: "\(directory)/ssh_config", atomically: true, encoding: .utf8)
    }

    func proxyPID() throws -> Int32 {
        let text = try String(contentsOfFile: "\(directory)/proxy.pid", encoding: .utf8)
        return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "proxy.pid: \(text)")
    }

    /// Whether `pid` is gone (or a zombie its new parent has yet to reap), waiting up to 30 s.
    static func gone(_ pid: Int32) -> Bool {
        for _ in 0..<600 {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            if stat.isEmpty || stat.contains(") Z ") { return true }
            usleep(50_000)
        }
        return false
    }

    @Test("at the deadline ssh's ProxyCommand is stopped with ssh: nothing it started is left running")
    func deadlineStopsTheProxyCommand() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: HAError.self) {
            try RemoteSnapshot.fetch(host: "hung", sshOptions: ["-F", "\(directory)/ssh_config", "-oConnectTimeout=120"], timeout: 5)
        }
        #expect(error?.message == "ssh hung: no complete snapshot within 5 s; stopped waiting")
        let proxy = try proxyPID()
        let stopped = Self.gone(proxy)
        if !stopped { kill(proxy, SIGKILL) }
        #expect(stopped, "the ProxyCommand (pid \(proxy)) outlived ssh")
    }

    @Test("--ssh-option's ConnectTimeout wins over haexplain's: ssh gives up by itself, before the overall deadline")
    func connectTimeoutIsTheUsers() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = #expect(throws: HAError.self) {
            try RemoteSnapshot.fetch(host: "hung", sshOptions: ["-F", "\(directory)/ssh_config", "-oConnectTimeout=1"], timeout: 60)
        }
        #expect(error?.message.hasPrefix("ssh hung failed: ") == true && error?.message.contains("timed out") == true, "\(error?.message ?? "no error")")
        if let proxy = try? proxyPID(), !Self.gone(proxy) { kill(proxy, SIGKILL) }
    }
}

/// `--host`: a real OpenSSH server on a loopback address inside a test namespace, reached
/// through a ProxyCommand that enters the namespace, so nothing leaves the lab.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class RemoteSnapshotTests {
    let lab = NetnsLab(prefix: "hxs")
    let netns: String
    let directory: URL
    let sshConfig: String

    init() throws {
        netns = try lab.namespace("sshd")
        try lab.ip(netns, "link", "add", "eth2", "type", "veth", "peer", "name", "eth2p")
        try lab.ip(netns, "addr", "add", "10.77.0.1/24", "dev", "eth2")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxs-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dir = directory.path
        try Shell.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "\(dir)/host_key"])
        try Shell.check(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "\(dir)/client_key"])
        try FileManager.default.copyItem(atPath: "\(dir)/client_key.pub", toPath: "\(dir)/authorized_keys")
        let hostKey = try String(contentsOfFile: "\(dir)/host_key.pub", encoding: .utf8)
        try "lb0-test \(hostKey)".write(toFile: "\(dir)/known_hosts", atomically: true, encoding: .utf8)
        try """
        ListenAddress 127.0.0.1:2222
        HostKey \(dir)/host_key
        AuthorizedKeysFile \(dir)/authorized_keys
        PermitRootLogin prohibit-password
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        UsePAM no
        StrictModes no
        PidFile /run/hxs-sshd.pid
        """.write(toFile: "\(dir)/sshd_config", atomically: true, encoding: .utf8)
        // A second server whose every session runs a command that is not there: a host
        // without haexplain.
        let plain = try String(contentsOfFile: "\(dir)/sshd_config", encoding: .utf8)
        try (plain.replacingOccurrences(of: "127.0.0.1:2222", with: "127.0.0.1:2223")
            .replacingOccurrences(of: "hxs-sshd.pid", with: "hxs-sshd2.pid") + "\nForceCommand /nonexistent/haexplain snapshot\n")
            .write(toFile: "\(dir)/sshd2_config", atomically: true, encoding: .utf8)
        // The fleet's connections meet at a barrier before they connect: they all get through
        // only when they run at the same time (sequential ones would each wait alone, and fail).
        try """
        #!/bin/sh
        echo "$1" >> \(dir)/barrier
        i=0
        while [ "$(wc -l < \(dir)/barrier)" -lt 3 ] && [ $i -lt 80 ]; do sleep 0.1; i=$((i+1)); done
        [ "$(wc -l < \(dir)/barrier)" -ge 3 ] || exit 1
        exec ip netns exec \(netns) nc 127.0.0.1 "$1"
        """.write(toFile: "\(dir)/barrier.sh", atomically: true, encoding: .utf8)
        chmod("\(dir)/barrier.sh", 0o755)
        try """
        Host lb0-test
            HostKeyAlias lb0-test
            User root
            IdentityFile \(dir)/client_key
            IdentitiesOnly yes
            UserKnownHostsFile \(dir)/known_hosts
            StrictHostKeyChecking yes
            ProxyCommand ip netns exec \(netns) nc 127.0.0.1 2222
        Host dead-test
            HostKeyAlias lb0-test
            User root
            IdentityFile \(dir)/client_key
            UserKnownHostsFile \(dir)/known_hosts
            ProxyCommand ip netns exec \(netns) nc 127.0.0.1 2999
        Host fleet-ok fleet-dead fleet-nohx
            HostKeyAlias lb0-test
            User root
            IdentityFile \(dir)/client_key
            IdentitiesOnly yes
            UserKnownHostsFile \(dir)/known_hosts
            StrictHostKeyChecking yes
        Host fleet-ok
            ProxyCommand \(dir)/barrier.sh 2222
        Host fleet-dead
            ProxyCommand \(dir)/barrier.sh 2999
        Host fleet-nohx
            ProxyCommand \(dir)/barrier.sh 2223
        """.write(toFile: "\(dir)/ssh_config", atomically: true, encoding: .utf8)
        sshConfig = "\(dir)/ssh_config"
        // sshd wants /run/sshd; it gets a private /run in its own mount namespace.
        // Its own UTS namespace too, so the remote has a hostname of its own.
        // The remote's keepalived.conf (PASS authentication), mounted where its snapshot reads it.
        try RemoteSnapshotTests.keepalived(password: "Pa55word", priority: 150).write(toFile: "\(dir)/remote-keepalived.conf", atomically: true, encoding: .utf8)
        try lab.spawn(netns, ["unshare", "--uts", "sh", "-c", "hostname lb0-remote && mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && mount -t tmpfs tmpfs /etc/keepalived && cp \(dir)/remote-keepalived.conf /etc/keepalived/keepalived.conf && exec /usr/sbin/sshd -D -e -f \(dir)/sshd_config"],
                      output: directory.appendingPathComponent("sshd.log"))
        try lab.spawn(netns, ["unshare", "--uts", "sh", "-c", "hostname lb1-nohx && mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && exec /usr/sbin/sshd -D -e -f \(dir)/sshd2_config"],
                      output: directory.appendingPathComponent("sshd2.log"))
        // Both servers listen before any test connects: a refused ProxyCommand reads as a host
        // that is down ("Connection closed"), so a slow start fails here, saying so.
        for (port, log) in [("2222", "sshd.log"), ("2223", "sshd2.log")] {
            var listening = false
            for _ in 0..<600 where !listening {
                listening = (try? lab.exec(netns, ["nc", "-z", "127.0.0.1", port]))?.succeeded == true
                if !listening { usleep(50_000) }
            }
            let said = listening ? "" : (try? String(contentsOf: directory.appendingPathComponent(log), encoding: .utf8)) ?? ""
            try #require(listening, "sshd is not listening on \(port) after 600 tries; its log: \(said)")
        }
    }

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(at: directory)
    }

    @Test("--host takes the snapshot over ssh: the remote's own addresses come back")
    func fetchesRemoteSnapshot() throws {
        let bytes = try RemoteSnapshot.fetch(host: "lb0-test", remoteCommand: HAExplainBinary.path,
                                             sshOptions: ["-F", sshConfig], timeout: 20)
        let snapshot = try HostSnapshot.decode(bytes, origin: "ssh lb0-test")
        let addresses = snapshot.addresses?.interfaces.flatMap(\.addrInfo).map(\.local.description) ?? []
        #expect(addresses.contains("10.77.0.1"), "the snapshot was taken inside the sshd's namespace")
        #expect(snapshot.addresses?.interfaces.contains { $0.ifname == "eth0" } == false)
    }

    /// `haexplain ip` run from a client namespace of its own, with a hosts file and a
    /// resolv.conf of the test mounted over the machine's (glibc's reverse lookup must not
    /// reach the machine's nameserver).
    func ipFromClient(_ arguments: [String], timeout: TimeInterval = 60) throws -> Shell.Result {
        let client = try lab.namespace("client")
        let dir = directory.path
        try "127.0.0.1 localhost\n".write(toFile: "\(dir)/hosts", atomically: true, encoding: .utf8)
        try "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n".write(toFile: "\(dir)/resolv.conf", atomically: true, encoding: .utf8)
        let command = (["ip", "netns", "exec", client, HAExplainBinary.path, "ip"] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try Shell.run(["unshare", "--mount", "sh", "-c",
                              "mount --make-rprivate / && mount --bind \(dir)/hosts /etc/hosts && mount --bind \(dir)/resolv.conf /etc/resolv.conf && exec \(command)"],
                             timeout: timeout)
    }

    @Test("haexplain ip --host: the remote's snapshot over ssh says it holds the address")
    func ipWithHost() throws {
        let result = try ipFromClient(["10.77.0.1", "--host", "lb0-test", "--ssh-option=-F\(sshConfig)",
                                       "--remote-haexplain", HAExplainBinary.path, "--no-listen", "--no-dns", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let answer = try #require((report["answers"] as? [[String: Any]])?.first)
        let verdict = try #require(answer["verdict"] as? [String: Any])
        #expect(verdict["owner"] as? String == "peer" && verdict["owner_host"] as? String == "lb0-remote", "\(verdict)")
        #expect((answer["evidence"] as? [[String: Any]])?.contains {
            $0["host"] as? String == "lb0-remote" && ($0["claim"] as? String)?.contains("10.77.0.1/24 is assigned on eth2") == true
        } == true)

        // A host that cannot be reached narrows the answer: a limit naming it, not the end.
        let dead = try ipFromClient(["10.77.0.1", "--host", "dead-test", "--ssh-option=-F\(sshConfig)", "--no-listen", "--no-dns", "--json"])
        let deadReport = try #require(try JSONSerialization.jsonObject(with: Data(dead.stdout.utf8)) as? [String: Any], "\(dead.stderr)")
        #expect(Self.limitMessages(deadReport).contains { $0.hasPrefix("dead-test is not in this answer: ssh dead-test failed") },
                "\(deadReport["limits"] ?? "no limits")")
        #expect((deadReport["answers"] as? [[String: Any]])?.count == 1)
    }

    /// ip --json's limits: each an object with its source, its host (another host's) and message.
    static func limitMessages(_ report: [String: Any]) -> [String] {
        (report["limits"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
    }

    @Test("a fleet over ssh at once: the reachable host answers; the unreachable one and the one without haexplain are limits")
    func fleet() throws {
        let dir = directory.path
        try "# the fleet\nfleet-ok\nfleet-dead   # down for maintenance\n\nfleet-nohx\n".write(toFile: "\(dir)/fleet", atomically: true, encoding: .utf8)
        let result = try ipFromClient(["10.77.0.1", "--host-list", "\(dir)/fleet", "--ssh-option=-F\(sshConfig)",
                                       "--remote-haexplain", HAExplainBinary.path, "--no-listen", "--no-dns", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let verdict = try #require(((report["answers"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])
        let limits = Self.limitMessages(report)
        // fleet-ok got through the barrier, so the three connections were open at once. If not,
        // ssh's own reason for each host says why (refused, timed out).
        #expect(verdict["owner"] as? String == "peer" && verdict["owner_host"] as? String == "lb0-remote", "\(verdict); limits: \(limits)")
        #expect(limits.contains { $0.hasPrefix("fleet-dead is not in this answer: ssh fleet-dead failed") }, "\(limits)")
        #expect(limits.contains { $0.hasPrefix("fleet-nohx is not in this answer: fleet-nohx has no '") }, "\(limits)")

        // One connection at a time never gets past the barrier: every host is a limit, and
        // the answer still comes.
        try FileManager.default.removeItem(atPath: "\(dir)/barrier")
        // Each waits at the barrier for 8 s in turn (less than ssh's 10 s connect timeout).
        let serial = try ipFromClient(["10.77.0.1", "--host-list", "\(dir)/fleet", "--parallel", "1", "--ssh-option=-F\(sshConfig)",
                                       "--remote-haexplain", HAExplainBinary.path, "--no-listen", "--no-dns", "--json"], timeout: 120)
        let serialReport = try #require(try JSONSerialization.jsonObject(with: Data(serial.stdout.utf8)) as? [String: Any], "\(serial.stderr)")
        #expect(Self.limitMessages(serialReport).filter { $0.contains("is not in this answer") }.count == 3)
        #expect((serialReport["limits"] as? [[String: Any]] ?? []).filter { ($0["source"] as? [String: Any])?["kind"] as? String == "ssh" }.count == 3)
    }

    @Test("the README's Ansible recipe: an ad-hoc command's --tree of snapshots feeds --from, and the answer names the remote")
    func ansibleRecipe() throws {
        let dir = directory.path
        try """
        [balancers]
        lb0-test ansible_ssh_common_args="-F \(sshConfig)" ansible_python_interpreter=/usr/bin/python3
        """.write(toFile: "\(dir)/inventory", atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_HOME"] = "\(dir)/ansible"
        environment["ANSIBLE_LOCAL_TEMP"] = "\(dir)/ansible/tmp"
        environment["ANSIBLE_REMOTE_TEMP"] = "/tmp/hxs-ansible-\(getpid())"
        environment["ANSIBLE_NOCOLOR"] = "1"
        let ansible = try Shell.run(["ansible", "balancers", "-i", "\(dir)/inventory", "-m", "command",
                                     "-a", "\(HAExplainBinary.path) snapshot", "--tree", "\(dir)/tree", "-o"],
                                    environment: environment, timeout: 120)
        #expect(ansible.status == 0, "\(ansible.stdout)\(ansible.stderr)")
        // Each host's result is Ansible's JSON; the snapshot is its stdout.
        let result = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/tree/lb0-test"))) as? [String: Any])
        let snapshot = try #require(result["stdout"] as? String)
        try snapshot.write(toFile: "\(dir)/lb0-test.json", atomically: true, encoding: .utf8)
        let answer = try HAExplainBinary.json(["ip", "10.77.0.1", "--from", "\(dir)/lb0-test.json"])
        let verdict = try #require(((answer["answers"] as? [[String: Any]])?.first)?["verdict"] as? [String: Any])
        #expect(verdict["owner"] as? String == "peer" && verdict["owner_host"] as? String == "lb0-remote", "\(verdict)")
    }

    @Test("a remote without haexplain is a clear error naming the host and the fix")
    func missingRemoteCommand() throws {
        let error = #expect(throws: HAError.self) {
            try RemoteSnapshot.fetch(host: "lb0-test", remoteCommand: "/nonexistent/haexplain", sshOptions: ["-F", sshConfig], timeout: 20)
        }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains("lb0-test has no '/nonexistent/haexplain' to run") == true)
    }

    @Test("an ssh server that is not there fails fast with ssh's own reason")
    func unreachable() throws {
        let error = #expect(throws: HAError.self) {
            try RemoteSnapshot.fetch(host: "dead-test", sshOptions: ["-F", sshConfig], timeout: 20)
        }
        #expect(error?.message.hasPrefix("ssh dead-test failed:") == true)
    }
}

extension RemoteSnapshotTests {
    static func keepalived(password: String, priority: Int) -> String {
        """
        vrrp_instance VI_77 {
            state BACKUP
            interface eth2
            virtual_router_id 77
            priority \(priority)
            authentication {
                auth_type PASS
                auth_pass \(password)
            }
            virtual_ipaddress {
                10.77.0.100/24
            }
        }
        """
    }

    @Test("ip --host with PASS authentication: the peer's password fingerprint from its snapshot matches the same password here, and a different one is named")
    func passAuthenticationAcrossHosts() throws {
        func warnings(localPassword: String) throws -> [String] {
            let path = directory.path + "/local-\(localPassword.count)-\(localPassword.first ?? "x").conf"
            try Self.keepalived(password: localPassword, priority: 100).write(toFile: path, atomically: true, encoding: .utf8)
            let result = try ipFromClient(["10.77.0.100", "--host", "lb0-test", "--ssh-option=-F\(sshConfig)", "--remote-haexplain", HAExplainBinary.path,
                                           "--keepalived-config", path, "--no-listen", "--no-dns", "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
            let answer = try #require((report["answers"] as? [[String: Any]])?.first)
            #expect(!result.stdout.contains("Pa55word") && !result.stdout.contains("0ther"))
            return answer["warnings"] as? [String] ?? []
        }
        let same = try warnings(localPassword: "Pa55word")
        #expect(!same.contains { $0.hasPrefix("auth-mismatch") }, "\(same)")
        let other = try warnings(localPassword: "0therPwd")
        #expect(other.contains { $0.hasPrefix("auth-mismatch") && $0.contains(Secret("Pa55word").fingerprint) && $0.contains(Secret("0therPwd").fingerprint) }, "\(other)")
    }
}
