import Foundation
import HAModel
import KeepalivedConfig
import LabSupport
import LocalFiles
import Testing

/// haexplain's reading of a configuration against keepalived 2.2.7's own: its `-t` verdict,
/// and the configuration it dumps (`--dump-conf`) when started for a moment with
/// `--vrrp -n -l -D` inside a throwaway network + pid + mount namespace (veths named as the
/// configuration's interfaces, tmpfs over /tmp and /run), so the host is never touched.
@Suite("conformance with keepalived 2.2.7", .serialized,
       .enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs /usr/sbin/keepalived")))
struct ConformanceTests {
    /// What keepalived says about one instance in its dump.
    struct DumpedInstance: Equatable, CustomStringConvertible {
        var name: String
        var interface: String?
        var vrid: Int?
        var priority: Int?
        var vips: [String] = []
        var trackedScripts: [String] = []
        var wantstate: String?
        var excluded: [String] = []
        var description: String {
            "\(name) if=\(interface ?? "-") vrid=\(vrid ?? -1) prio=\(priority ?? -1) want=\(wantstate ?? "-") vips=\(vips)"
                + (excluded.isEmpty ? "" : " excluded=\(excluded)") + " scripts=\(trackedScripts.sorted())"
        }
    }

    static let samples = "/usr/share/doc/keepalived/samples"

    /// Configurations in the style of keepalived's doc samples and Ansible/kubespray roles,
    /// plus keepalived's own installed samples that hold vrrp_instances.
    static var cases: [String] {
        let own = ConformanceConfigs.all.map(\.name)
        let installed = ["keepalived.conf.vrrp", "keepalived.conf.vrrp.sync", "keepalived.conf.vrrp.scripts",
                         "keepalived.conf.vrrp.routes", "keepalived.conf.track_interface", "keepalived.conf.conditional_conf",
                         "keepalived.conf.vrrp.localcheck", "keepalived.conf.sample"]
            .filter { FileManager.default.fileExists(atPath: samples + "/" + $0) }
            .map { "sample:" + $0 }
        return own + installed
    }

    @Test("instances, VRIDs, priorities, initial states, interfaces, VIPs and track scripts equal keepalived's dump", arguments: cases)
    func matchesKeepalived(_ name: String) throws {
        let dir = "/var/tmp/hxk-conformance-\(getpid())-\(abs(name.hashValue) % 100000)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let main: String
        if name.hasPrefix("sample:") {
            main = dir + "/keepalived.conf"
            try FileManager.default.copyItem(atPath: Self.samples + "/" + name.dropFirst(7), toPath: main)
        } else {
            let config = try #require(ConformanceConfigs.all.first { $0.name == name })
            for (file, text) in config.files {
                let path = dir + "/" + file
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
            main = dir + "/" + config.files[0].0
        }
        let ours = try KeepalivedParser.parse(path: main, files: LocalConfigFiles(), configID: "lb1")
        let interfaces = Self.interfaces(of: ours)
        let (verdict, dump) = try Self.runKeepalived(main, interfaces: interfaces)

        // keepalived -t exits 6 for script-security findings alone, 5 when anything else is
        // logged as a configuration error (including host state such as missing interfaces).
        var owners: [String: UInt32] = [:]
        for program in KeepalivedAnalysis.scriptPrograms(ours) where program.hasPrefix("/") {
            if let owner = LocalConfigFiles().owner(program) { owners[program] = owner.uid }
        }
        let problems = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: ours, chosenBecause: "test")], scriptOwners: owners).problems
        let securityOff = problems.contains { $0.code == .scriptSecurityOff }
        if verdict == 6 { #expect(securityOff, "keepalived -t reports a security violation; haexplain does not") }
        if securityOff { #expect(verdict == 5 || verdict == 6, "haexplain reports script-security-off; keepalived -t exited \(verdict)") }
        // Refused outright: the daemon stops with a configuration error instead of dumping.
        let refused = dump.contains("exited with permanent error CONFIG") || !dump.contains("VRRP Topology")
        let fatal = ours.diagnostics.filter { $0.code == .missingVRID || $0.code == .missingParameter }
        #expect(refused == !fatal.isEmpty, "keepalived refused: \(refused); haexplain fatal problems: \(fatal)\n\(dump.suffix(1500))")
        guard !refused else { return }

        let theirs = Self.parseDump(dump)
        #expect(!theirs.isEmpty, "no instances in keepalived's dump:\n\(dump.suffix(3000))")
        let mine = Self.dumped(ours)
        #expect(mine.sorted { $0.name < $1.name } == theirs.sorted { $0.name < $1.name })
    }

    /// haexplain's reading in the shape of keepalived's dump.
    static func dumped(_ config: KeepalivedConfiguration) -> [DumpedInstance] {
        func text(_ vip: VirtualAddress) -> String {
            vip.prefixlen == (vip.address.family == .inet ? 32 : 128) ? vip.address.description : "\(vip.address)/\(vip.prefixlen)"
        }
        return config.vrrpInstances.map { instance in
            DumpedInstance(name: instance.name, interface: instance.interface, vrid: instance.virtualRouterID, priority: instance.priority,
                           vips: instance.virtualIpaddress.map(text),
                           trackedScripts: PriorityCalculator.terms(of: instance, in: config).filter { $0.kind == .trackScript }.map { "\($0.name) weight \($0.weight)\($0.reverse ? " reverse" : "")" },
                           wantstate: instance.initialState.rawValue, excluded: instance.virtualIpaddressExcluded.map(text))
        }
    }

    /// Every interface name the configuration mentions, so veths can stand in for them.
    static func interfaces(of config: KeepalivedConfiguration) -> [String] {
        var names = ["eth0", "eth1", "eth2", "eth3"]
        for instance in config.vrrpInstances {
            names += [instance.interface].compactMap { $0 } + instance.virtualIpaddress.compactMap(\.dev) + instance.trackInterface.map(\.name)
        }
        var seen = Set<String>()
        return names.filter { !$0.isEmpty && $0.count <= 15 && seen.insert($0).inserted }
    }

    /// Runs `keepalived -t` and then keepalived itself until its dump is complete, in a fresh
    /// network, pid and mount namespace (leaving it kills everything started inside); returns
    /// -t's exit status and the daemon's log with its dump.
    static func runKeepalived(_ config: String, interfaces: [String]) throws -> (Int32, String) {
        let script = """
            set -e
            ip link set lo up
            n=0
            for i in "$@"; do
              n=$((n+1))
              ip link add "$i" type veth peer name "hxkp$n"
              ip link set "$i" up
              ip addr add "10.253.$n.1/24" dev "$i"
            done
            mount -t tmpfs tmpfs /tmp
            mount -t tmpfs tmpfs /run
            if keepalived -i lb1 -t -f "$CONF" >/dev/null 2>&1; then echo "VERDICT 0"; else echo "VERDICT $?"; fi
            # Line-buffered: a fully buffered console log is copied into every process keepalived
            # forks (track scripts) and lost on a kill, which garbled or cut the dump.
            stdbuf -oL -eL keepalived -i lb1 --vrrp -n -l -D -d -f "$CONF" >/tmp/keepalived.log 2>&1 &
            pid=$!
            # Wait (at most 10 s) until the dump is complete or keepalived has stopped.
            i=0
            while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null && ! grep -q -- '------< Interfaces >------' /tmp/keepalived.log; do
              sleep 0.1; i=$((i+1))
            done
            # Both keepalived processes write the dump: the marker can come while the other
            # is still writing, so wait (at most 5 s more) until the log stops growing.
            last=-1; same=0; j=0
            while [ $j -lt 25 ] && [ $same -lt 2 ] && kill -0 $pid 2>/dev/null; do
              size=$(wc -c < /tmp/keepalived.log)
              if [ "$size" = "$last" ]; then same=$((same+1)); else same=0; fi
              last=$size; sleep 0.2; j=$((j+1))
            done
            # TERM, not KILL: keepalived's console log is stdio-buffered when it goes to a file,
            # and only an orderly exit flushes the dump's last lines.
            kill -TERM $pid 2>/dev/null || true
            j=0
            while [ $j -lt 50 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; j=$((j+1)); done
            kill -KILL $pid 2>/dev/null || true
            wait $pid 2>/dev/null || true
            cat /tmp/keepalived.log
            """
        let result = try Shell.run(["env", "CONF=" + config, "unshare", "--net", "--pid", "--mount", "--fork", "--kill-child",
                                    "--mount-proc", "sh", "-c", script, "sh"] + interfaces, timeout: 30)
        let verdictLine = result.stdout.split(separator: "\n").first { $0.hasPrefix("VERDICT ") }
        let verdict = verdictLine.flatMap { Int32($0.dropFirst(8)) } ?? -1
        return (verdict, result.stdout + result.stderr)
    }

    /// Reads the "------< VRRP Topology >------" part of keepalived's dump.
    static func parseDump(_ log: String) -> [DumpedInstance] {
        var instances: [DumpedInstance] = []
        var section = ""
        var inTopology = false
        for rawLine in log.split(separator: "\n") {
            // Lines are "Wed Nov 25 03:57:44 2026: text"; the text keeps its indentation.
            let line: Substring = rawLine.range(of: ": ").map { rawLine[$0.upperBound...] } ?? rawLine
            if line.hasPrefix("------< ") {
                inTopology = line.contains("VRRP Topology")
                continue
            }
            guard inTopology else { continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let indent = line.prefix(while: { $0 == " " }).count
            if trimmed.hasPrefix("VRRP Instance = ") {
                instances.append(DumpedInstance(name: String(trimmed.dropFirst("VRRP Instance = ".count))))
                section = ""
                continue
            }
            // Every line of the dump is indented; an unindented one is another process's log
            // line (a script's state, the parent's) written in between.
            guard !instances.isEmpty, indent > 0 else { continue }
            if indent <= 3 {
                section = ""
                if trimmed.hasPrefix("Interface = ") {
                    // With use_vmac keepalived prints "vrrp.1, vmac on eth0": the configured one is last.
                    // With unicast it adds ", xmit base i/f".
                    let value = trimmed.dropFirst(12).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    let base = value.first { $0.hasPrefix("vmac on ") }.map { String($0.dropFirst(8)) }
                    instances[instances.count - 1].interface = base ?? value.first
                }
                if trimmed.hasPrefix("Virtual Router ID = ") { instances[instances.count - 1].vrid = Int(trimmed.dropFirst(20)) }
                if trimmed.hasPrefix("Wantstate = ") { instances[instances.count - 1].wantstate = String(trimmed.dropFirst(12)) }
                if trimmed.hasPrefix("Priority = ") { instances[instances.count - 1].priority = Int(trimmed.dropFirst(11)) }
                if trimmed.hasPrefix("Virtual IP (") { section = "vip" }
                if trimmed.hasPrefix("Virtual IP Excluded") { section = "excluded" }
                if trimmed.hasPrefix("Tracked scripts") { section = "script" }
            } else if section == "vip" {
                instances[instances.count - 1].vips.append(String(trimmed.split(separator: " ").first ?? ""))
            } else if section == "excluded" {
                instances[instances.count - 1].excluded.append(String(trimmed.split(separator: " ").first ?? ""))
            } else if section == "script" {
                instances[instances.count - 1].trackedScripts.append(trimmed)
            }
        }
        return instances
    }
}

extension ConformanceTests {
    /// Each keyword haexplain knows, written with only a comment after it, in a file that is
    /// otherwise fine: keepalived -t exits 2 (permanent CONFIG error, "missing a parameter")
    /// exactly for those haexplain calls missing-parameter.
    @Test("every keyword left without its parameter: keepalived refuses exactly those haexplain calls fatal")
    func missingParameters() throws {
        let dir = "/var/tmp/hxk-params-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var cases: [(block: String, keyword: String, fatal: Bool)] = []
        for (block, words) in KeepalivedParser.keywordsByBlock.sorted(by: { $0.key < $1.key }) {
            for keyword in words.known.sorted() { cases.append((block, keyword, words.needParameter.contains(keyword))) }
        }
        for (index, item) in cases.enumerated() {
            func inside(_ block: String) -> String { item.block == block ? "    \(item.keyword) # set by the role\n" : "" }
            let text = """
                global_defs {
                    router_id lb1
                \(inside("global_defs"))}
                vrrp_script chk {
                    script "/bin/true"
                \(inside("vrrp_script"))}
                vrrp_track_process proc {
                    process keepalived
                \(inside("vrrp_track_process"))}
                vrrp_instance VI_1 {
                    interface eth0
                    virtual_router_id 51
                    priority 100
                \(inside("vrrp_instance"))    authentication {
                        auth_type PASS
                        auth_pass secret
                \(inside("authentication"))    }
                    virtual_ipaddress {
                        10.253.1.51
                    }
                }
                vrrp_instance VI_2 {
                    interface eth0
                    virtual_router_id 52
                    virtual_ipaddress {
                        10.253.1.52
                    }
                }
                vrrp_sync_group G {
                    group {
                        VI_1
                        VI_2
                    }
                \(inside("vrrp_sync_group"))}

                """
            try text.write(toFile: "\(dir)/\(index).conf", atomically: true, encoding: .utf8)
        }
        let script = """
            ip link set lo up; ip link add eth0 type veth peer name hxkp1; ip link set eth0 up
            mount -t tmpfs tmpfs /run
            n=0
            while [ $n -lt "$COUNT" ]; do
              keepalived -t -f "$DIR/$n.conf" >/dev/null 2>&1; echo "STATUS $n $?"; n=$((n+1))
            done
            """
        let result = try Shell.run(["env", "DIR=" + dir, "COUNT=\(cases.count)", "unshare", "--net", "--mount", "--fork", "sh", "-c", script],
                                   timeout: Double(30 + cases.count))
        var statuses: [Int: Int] = [:]
        for line in result.stdout.split(separator: "\n") where line.hasPrefix("STATUS ") {
            let parts = line.split(separator: " ")
            if parts.count == 3, let index = Int(parts[1]), let status = Int(parts[2]) { statuses[index] = status }
        }
        #expect(statuses.count == cases.count)
        for (index, item) in cases.enumerated() {
            let refused = statuses[index] == 2
            #expect(refused == item.fatal, "\(item.block) \(item.keyword): keepalived -t exited \(statuses[index] ?? -1), haexplain says \(item.fatal ? "fatal" : "not fatal")")
            // haexplain's reading of the same file agrees.
            let config = try KeepalivedParser.parse(path: "\(dir)/\(index).conf", files: LocalConfigFiles(), configID: "lb1")
            #expect(config.diagnostics.contains { $0.code == .missingParameter } == item.fatal, "\(item.block) \(item.keyword)")
        }
    }
}
