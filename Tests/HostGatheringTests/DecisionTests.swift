import HAExplainCore
import HAModel
import HAProxyConfig
import HostGathering
import KeepalivedConfig
import Processes
import SystemFacts
import Synchronization
import Testing

/// A host as the gathering decisions read it, all in memory: no /proc, no root.
struct FakeHost {
    var processes: [RunningProcess] = []
    var namespaces: [String: UInt64] = ["/proc/self/ns/net": 4026531840, "/proc/self/ns/mnt": 4026531841]
    var keepalivedFiles: [String: String] = [:]
    var haproxyFiles: [String: String] = [:]
    var hostname = "prod-haproxy-000"
    var haproxyVersion = "HAProxy version 2.6.12-1 2023/12/01\nFeature list : +OPENSSL +QUIC\n"
    /// Every program run, in order.
    let ran = ProgramLog()

    var readers: HostReaders {
        let processes = processes, namespaces = namespaces, hostname = hostname, version = haproxyVersion
        let ran = ran
        return HostReaders(
            processes: { processes },
            namespaceInode: { namespaces[$0] },
            namespacePath: { $0.hasPrefix("/") ? $0 : "/run/netns/\($0)" },
            readLink: { path in path.hasSuffix("/cwd") ? "/" : nil },
            hostname: { hostname },
            keepalivedFiles: MemoryConfigFiles(files: keepalivedFiles),
            haproxyFiles: MemoryHAProxyFiles(files: haproxyFiles),
            run: { argv, _ in
                ran.argv.withLock { $0.append(argv) }
                return ProgramRunner.Outcome(status: 0, stdout: Array(version.utf8))
            })
    }

    var programsRun: [[String]] { ran.argv.withLock { $0 } }

    static func keepalived(pid: Int32, net: UInt64, arguments: [String] = ["keepalived", "-D"]) -> RunningProcess {
        RunningProcess(pid: pid, ppid: 1, comm: "keepalived", arguments: arguments, uid: 0, netNamespace: net,
                       mountNamespace: 4026531841)
    }
}

final class ProgramLog: Sendable {
    let argv = Mutex<[[String]]>([])
}

struct MemoryConfigFiles: ConfigFiles {
    var files: [String: String]
    func read(_ path: String) throws -> [UInt8] {
        guard let text = files[path] else { throw HAError(.noInput, "cannot open configuration file: No such file or directory", file: path) }
        return Array(text.utf8)
    }
    func glob(_ pattern: String) -> [String] { files.keys.filter { $0 == pattern }.sorted() }
    func owner(_ path: String) -> (uid: UInt32, mode: UInt32)? { files[path] == nil ? nil : (0, 0o644) }
}

struct MemoryHAProxyFiles: HAProxyFiles {
    var files: [String: String]
    func kind(_ path: String) -> HAProxyFileKind { files[path] == nil ? .missing("No such file or directory") : .regular }
    func read(_ path: String) throws(HAError) -> [UInt8] {
        guard let text = files[path] else { throw HAError(.noInput, "No such file or directory", file: path) }
        return Array(text.utf8)
    }
    func names(in directory: String) throws(HAError) -> [String] { [] }
}

@Suite("Which keepalived is this host's")
struct ThisHostsKeepalivedTests {
    static let ours: UInt64 = 4026531840
    static let container: UInt64 = 4026532999

    @Test("a keepalived in the examined network namespace is this host's, and nothing is said about elsewhere")
    func sameNamespace() {
        let host = FakeHost(processes: [FakeHost.keepalived(pid: 100, net: Self.ours)])
        let examined = ProcessGathering.examinedNetworkNamespace(nil, readers: host.readers)
        #expect(examined == Self.ours)
        #expect(ProcessGathering.keepalived(networkNamespace: examined, readers: host.readers)?.process.pid == 100)
        #expect(ProcessGathering.keepalivedElsewhere(networkNamespace: examined, readers: host.readers) == nil)
    }

    @Test("a keepalived only in a container's network namespace is not this host's: said once, with the --netns that would ask it")
    func otherNamespace() throws {
        let host = FakeHost(processes: [FakeHost.keepalived(pid: 200, net: Self.container)])
        let examined = ProcessGathering.examinedNetworkNamespace(nil, readers: host.readers)
        #expect(ProcessGathering.keepalived(networkNamespace: examined, readers: host.readers) == nil)
        let said = try #require(ProcessGathering.keepalivedElsewhere(networkNamespace: examined, readers: host.readers))
        #expect(said.contains("pid 200") && said.contains("--netns /proc/200/ns/net"), "\(said)")
    }

    @Test("`keepalived` explaining a keepalived that runs in another network namespace says VIPs are checked here, with its pid and the --netns that checks its own; not with --netns, not for ours")
    func explainedKeepalivedInAnotherNamespace() throws {
        let host = FakeHost(processes: [FakeHost.keepalived(pid: 200, net: Self.container)])
        let running = try #require(ProcessGathering.keepalived(readers: host.readers)?.process)
        let limit = try #require(ProcessGathering.keepalivedInAnotherNamespace(running, netns: nil, readers: host.readers))
        #expect(limit.source == .process("keepalived", pid: 200))
        #expect(limit.message.contains("net:[\(Self.container)]") && limit.message.contains("net:[\(Self.ours)]")
                && limit.message.contains("--netns /proc/200/ns/net"), "\(limit.message)")
        #expect(ProcessGathering.keepalivedInAnotherNamespace(running, netns: "blue", readers: host.readers) == nil)
        #expect(ProcessGathering.keepalivedInAnotherNamespace(nil, netns: nil, readers: host.readers) == nil)
        let ours = FakeHost.keepalived(pid: 100, net: Self.ours)
        #expect(ProcessGathering.keepalivedInAnotherNamespace(ours, netns: nil, readers: host.readers) == nil)
    }

    @Test("--netns names the namespace examined: the container's keepalived is then the one")
    func namedNamespace() {
        var host = FakeHost(processes: [FakeHost.keepalived(pid: 200, net: Self.container)])
        host.namespaces["/run/netns/blue"] = Self.container
        let examined = ProcessGathering.examinedNetworkNamespace("blue", readers: host.readers)
        #expect(examined == Self.container)
        #expect(ProcessGathering.keepalived(networkNamespace: examined, readers: host.readers)?.process.pid == 200)
        #expect(ProcessGathering.keepalivedElsewhere(networkNamespace: examined, readers: host.readers) == nil)
    }

    @Test("no keepalived: none is this host's and none runs elsewhere; the default file is read, said why")
    func none() throws {
        var host = FakeHost()
        host.keepalivedFiles["/etc/keepalived/keepalived.conf"] = Self.config(routerID: nil)
        #expect(ProcessGathering.keepalived(networkNamespace: Self.ours, readers: host.readers) == nil)
        #expect(ProcessGathering.keepalivedElsewhere(networkNamespace: Self.ours, readers: host.readers) == nil)
        let nodes = try KeepalivedGathering.nodes(configs: [], configIDs: [], networkNamespace: Self.ours, readers: host.readers)
        #expect(nodes.map(\.config.file) == ["/etc/keepalived/keepalived.conf"])
        #expect(nodes.first?.chosenBecause.hasPrefix("no keepalived is running") == true)
    }

    @Test("two keepalived, ours and a container's: ours is this host's, its -f is the file read, the container's is not mentioned")
    func two() throws {
        var host = FakeHost(processes: [
            FakeHost.keepalived(pid: 300, net: Self.container, arguments: ["keepalived", "-f", "/srv/container.conf"]),
            FakeHost.keepalived(pid: 400, net: Self.ours, arguments: ["keepalived", "-f", "/etc/keepalived/lb.conf"]),
        ])
        host.keepalivedFiles["/etc/keepalived/lb.conf"] = Self.config(routerID: nil)
        host.keepalivedFiles["/srv/container.conf"] = Self.config(routerID: "container")
        #expect(ProcessGathering.keepalived(networkNamespace: Self.ours, readers: host.readers)?.process.pid == 400)
        #expect(ProcessGathering.keepalivedElsewhere(networkNamespace: Self.ours, readers: host.readers) == nil)
        let nodes = try KeepalivedGathering.nodes(configs: [], configIDs: [], networkNamespace: Self.ours, readers: host.readers)
        #expect(nodes.map(\.config.file) == ["/etc/keepalived/lb.conf"])
        #expect(nodes.first?.chosenBecause == "the running keepalived (pid 400) was started with -f /etc/keepalived/lb.conf")
    }

    static func config(routerID: String?) -> String {
        """
        global_defs {
        \(routerID.map { "  router_id \($0)" } ?? "")
        }
        vrrp_instance VI_1 {
          state BACKUP
          interface eth0
          virtual_router_id 51
          priority 100
          virtual_ipaddress {
            192.168.3.200/24
          }
        }
        """
    }
}

@Suite("How nodes are named")
struct NodeNamingTests {
    static func parsed(_ path: String, routerID: String?) throws -> KeepalivedConfiguration {
        try KeepalivedParser.parse(path: path, files: MemoryConfigFiles(files: [path: ThisHostsKeepalivedTests.config(routerID: routerID)]),
                                   configID: "lb")
    }

    @Test("this host's only configuration is named after the host unless it names a router_id; ip and snapshot name it after the host always")
    func thisHost() throws {
        let plain = try Self.parsed("/etc/keepalived/keepalived.conf", routerID: nil)
        let named = try Self.parsed("/etc/keepalived/keepalived.conf", routerID: "LB_A")
        func name(_ config: KeepalivedConfiguration, afterHost: Bool) -> String {
            KeepalivedGathering.nodeName(config, index: 0, count: 1, hostname: "prod-haproxy-000", namedAfterHost: afterHost, taken: [])
        }
        #expect(name(plain, afterHost: false) == "prod-haproxy-000")
        #expect(name(named, afterHost: false) == "LB_A")
        #expect(name(named, afterHost: true) == "prod-haproxy-000")
    }

    @Test("several files: each is named by its router_id, else its directory; a name taken twice falls back to the file")
    func peers() throws {
        let a = try Self.parsed("/srv/lb0/keepalived.conf", routerID: nil)
        let b = try Self.parsed("/srv/lb1/keepalived.conf", routerID: "lb0")
        #expect(KeepalivedGathering.nodeName(a, index: 0, count: 2, hostname: "h", namedAfterHost: true, taken: []) == "lb0")
        #expect(KeepalivedGathering.nodeName(b, index: 1, count: 2, hostname: "h", namedAfterHost: true, taken: ["lb0"]) == "/srv/lb1/keepalived.conf")
    }

    @Test("nodes() names and explains every file given: the first is this host's, the others are peers'")
    func given() throws {
        var host = FakeHost()
        host.keepalivedFiles["/srv/lb0/keepalived.conf"] = ThisHostsKeepalivedTests.config(routerID: nil)
        host.keepalivedFiles["/srv/lb1/keepalived.conf"] = ThisHostsKeepalivedTests.config(routerID: "LB_B")
        let two = try KeepalivedGathering.nodes(configs: ["/srv/lb0/keepalived.conf", "/srv/lb1/keepalived.conf"], configIDs: [],
                                                readers: host.readers)
        #expect(two.map(\.name) == ["lb0", "LB_B"])
        #expect(two.map(\.chosenBecause) == ["given with --keepalived-config", "given with --keepalived-config (a peer)"])
        let one = try KeepalivedGathering.nodes(configs: ["/srv/lb1/keepalived.conf"], configIDs: [], namedAfterHost: true,
                                                readers: host.readers)
        #expect(one.map(\.name) == ["prod-haproxy-000"])
    }

    @Test("a --config-id for each file must come one per file")
    func configIDs() {
        let host = FakeHost()
        #expect(throws: HAError.self) {
            try KeepalivedGathering.nodes(configs: ["/a", "/b", "/c"], configIDs: ["x", "y"], readers: host.readers)
        }
    }
}

@Suite("When haproxy -vv is asked")
struct HAProxyBuildTests {
    static let plain = """
        frontend www
          bind 192.168.3.200:80
          default_backend app
        backend app
          server a 10.0.0.1:80

        """

    @Test("a configuration haproxy refuses (here: no line feed at the end): haproxy -vv is asked, the refusal may depend on the build")
    func refused() throws {
        var host = FakeHost()
        host.haproxyFiles["/etc/haproxy/haproxy.cfg"] = String(Self.plain.dropLast())
        let checked = try HAProxyGathering.check(paths: ["/etc/haproxy/haproxy.cfg"], environment: [:], readers: host.readers)
        #expect(checked.refusal != nil)
        #expect(host.programsRun == [["haproxy", "-vv"]])
    }

    @Test("a configuration that reads the same on any build: haproxy is not run")
    func notAsked() throws {
        var host = FakeHost()
        host.haproxyFiles["/etc/haproxy/haproxy.cfg"] = Self.plain
        let checked = try HAProxyGathering.check(paths: ["/etc/haproxy/haproxy.cfg"], environment: [:], readers: host.readers)
        #expect(checked.refusal == nil)
        #expect(host.programsRun.isEmpty)
    }

    @Test("a condition on haproxy's version: haproxy -vv is asked once and the condition judged with its answer")
    func versionCondition() throws {
        var host = FakeHost()
        host.haproxyFiles["/etc/haproxy/haproxy.cfg"] = """
            .if version_atleast(2.5)
            frontend new
              bind 192.168.3.200:81
            .endif
            """ + "\n" + Self.plain
        let checked = try HAProxyGathering.check(paths: ["/etc/haproxy/haproxy.cfg"], environment: [:], readers: host.readers)
        #expect(host.programsRun == [["haproxy", "-vv"]])
        #expect(!checked.configuration.messages.contains { $0.code == .conditionNotJudged })
        #expect(checked.configuration.sections.contains { $0.name == "new" })
    }

    @Test("a QUIC bind: haproxy -vv is asked (whether the build has QUIC decides)")
    func quicBind() throws {
        var host = FakeHost()
        host.haproxyFiles["/etc/haproxy/haproxy.cfg"] = """
            frontend h3
              bind quic4@192.168.3.200:443 ssl crt /etc/haproxy/site.pem alpn h3
              default_backend app
            backend app
              server a 10.0.0.1:80

            """
        _ = try HAProxyGathering.check(paths: ["/etc/haproxy/haproxy.cfg"], environment: [:], readers: host.readers)
        #expect(host.programsRun == [["haproxy", "-vv"]])
    }
}

@Suite("Which namespaces a track script runs in")
struct TrackScriptEntryTests {
    @Test("with a running keepalived: its pid, mount and network namespaces, as the script user, under timeout(1)")
    func keepalivedsNamespaces() {
        let keepalived = FakeHost.keepalived(pid: 4242, net: 1)
        #expect(ScriptRunning.entering(keepalived: keepalived, uid: 1001, gid: 1002, timeout: 2.5)
                == ["nsenter", "-t", "4242", "-p", "-m", "-n", "-S", "1001", "-G", "1002", "--", "timeout", "-k", "1", "2.5"])
    }

    @Test("no keepalived running: this host's namespaces, as the script user; as root nothing is put before the script")
    func ownNamespaces() {
        #expect(ScriptRunning.entering(keepalived: nil, uid: 1001, gid: 1002, timeout: 5)
                == ["setpriv", "--reuid", "1001", "--regid", "1002", "--clear-groups", "--"])
        #expect(ScriptRunning.entering(keepalived: nil, uid: 0, gid: 0, timeout: 5).isEmpty)
    }
}

@Suite("What --host brings")
struct RemoteSnapshotsTests {
    @Test("a host whose snapshot reads is in the answer; one that could not be reached, or answered with no snapshot, is a limit naming it with ssh as the source, and the others stay")
    func unreachableHostIsALimit() {
        let good = Array(#"{"schema_version":4,"hostname":"lb0","taken_at":"t","haexplain_version":"0","limits":[]}"#.utf8)
        var limits: [Limit] = []
        let snapshots = SnapshotGatherer.decoded([
            ("lb0", .success(good)),
            ("lb1", .failure(HAError(.unavailable, "ssh: connect to host lb1 port 22: Connection refused"))),
            ("lb2", .success(Array("bash: haexplain: command not found".utf8))),
        ], limits: &limits)
        #expect(snapshots.map(\.hostname) == ["lb0"])
        #expect(limits.map(\.source) == [.ssh("lb1"), .ssh("lb2")])
        #expect(limits.first?.message == "lb1 is not in this answer: ssh: connect to host lb1 port 22: Connection refused")
        #expect(limits.last?.message.hasPrefix("lb2 is not in this answer: not a haexplain snapshot") == true, "\(limits)")
    }
}
