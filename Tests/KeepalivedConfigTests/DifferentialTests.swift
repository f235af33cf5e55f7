import Foundation
import HAModel
import KeepalivedConfig
import LabSupport
import LocalFiles
import Processes
import SystemFacts
import Testing

/// Seeded, generated configurations (initial states, priorities, authentication, sync
/// groups, track scripts with users, missing files, modes and insecure paths, keywords left
/// without their parameter) run through real keepalived 2.2.7 in a throwaway network, pid
/// and mount namespace, and compared with haexplain: whether keepalived starts, each
/// instance's priority and initial state, and the scripts it really tracks.
/// `make test` runs a small fixed sample; `HAEXPLAIN_DIFF_CASES=300 HAEXPLAIN_DIFF_SEED=N
/// swift test --filter DifferentialTests` runs more and prints the agreement.
@Suite("differential: generated configurations against keepalived 2.2.7", .serialized,
       .enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs /usr/sbin/keepalived")))
struct DifferentialTests {
    static var seed: UInt64 { UInt64(ProcessInfo.processInfo.environment["HAEXPLAIN_DIFF_SEED"] ?? "") ?? 20261201 }
    static var count: Int { Int(ProcessInfo.processInfo.environment["HAEXPLAIN_DIFF_CASES"] ?? "") ?? 12 }

    @Test("haexplain agrees with keepalived on start, priorities, initial states and tracked scripts")
    func agreement() throws {
        let seed = Self.seed
        let dir = "/var/tmp/hxk-diff-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DifferentialFixtures.install(in: dir)
        var random = SeededGenerator(state: seed)
        let cases = (0..<Self.count).map { DifferentialCase.generate(&random, index: $0, fixtures: dir + "/fix") }
        for (index, item) in cases.enumerated() {
            let caseDir = dir + "/case\(index)"
            try FileManager.default.createDirectory(atPath: caseDir, withIntermediateDirectories: true)
            try item.config.write(toFile: caseDir + "/keepalived.conf", atomically: true, encoding: .utf8)
            try item.passwd.write(toFile: caseDir + "/passwd", atomically: true, encoding: .utf8)
            try item.group.write(toFile: caseDir + "/group", atomically: true, encoding: .utf8)
        }
        let logs = try DifferentialRunner.run(cases: cases.count, in: dir)
        var agreed = 0
        var disagreements: [String] = []
        for (index, item) in cases.enumerated() {
            let theirs = DifferentialRunner.verdict(logs[index] ?? "")
            let ours = try Self.haexplain(item, path: dir + "/case\(index)/keepalived.conf")
            if theirs == ours {
                agreed += 1
            } else {
                disagreements.append("case \(index) (seed \(seed)):\n  keepalived: \(theirs)\n  haexplain:  \(ours)\n\(item.config)\n--- keepalived's own words:\n\(DifferentialRunner.findings(logs[index] ?? ""))")
            }
        }
        print("differential (seed \(seed)): haexplain agrees with keepalived 2.2.7 on \(agreed) of \(cases.count) generated configurations")
        #expect(agreed == cases.count, "seed \(seed): \(cases.count - agreed) disagreement(s)\n\(disagreements.prefix(5).joined(separator: "\n\n"))")
    }

    /// This machine's files judged with the case's user database.
    static func scriptHost(passwd: String, group: String) -> ScriptHost {
        ScriptHost(passwd: passwd, group: group,
                   lstat: { FileStatus.read($0, follow: false) }, stat: { FileStatus.read($0, follow: true) },
                   realPath: { path in realpath(path, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) } },
                   searchPath: (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init))
    }

    /// haexplain's view of one case: parsed, scripts judged against the case's users and the
    /// fixture files, completed and analysed.
    static func haexplain(_ item: DifferentialCase, path: String) throws -> DifferentialVerdict {
        var config = try KeepalivedParser.parse(path: path, files: LocalConfigFiles(), configID: "lb1")
        ScriptAvailability.apply(to: &config, host: scriptHost(passwd: item.passwd, group: item.group), node: "lb1")
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")])
        guard report.keepalivedWouldStart else { return DifferentialVerdict(starts: false, instances: []) }
        let instances = config.vrrpInstances.map { instance in
            DifferentialVerdict.Instance(
                name: instance.name, priority: instance.priority, initialState: instance.initialState.rawValue,
                trackedScripts: PriorityCalculator.terms(of: instance, in: config).filter { $0.kind == .trackScript }
                    .map { "\($0.name) weight \($0.weight)\($0.reverse ? " reverse" : "")" }.sorted())
        }
        return DifferentialVerdict(starts: true, instances: instances.sorted { $0.name < $1.name })
    }
}

/// What is compared: whether keepalived runs, and per instance what it starts with.
struct DifferentialVerdict: Equatable, CustomStringConvertible {
    struct Instance: Equatable, CustomStringConvertible {
        var name: String
        var priority: Int?
        var initialState: String?
        var trackedScripts: [String]
        var description: String { "\(name) prio=\(priority.map(String.init) ?? "-") start=\(initialState ?? "-") scripts=\(trackedScripts)" }
    }
    var starts: Bool
    var instances: [Instance]
    var description: String { starts ? instances.map(\.description).joined(separator: "; ") : "refuses to start" }
}

/// Script files with the modes, owners and directories keepalived's checks tell apart.
enum DifferentialFixtures {
    static let scripts: [(String, UInt16, UInt32)] = [
        ("ok.sh", 0o755, 0), ("noexec.sh", 0o644, 0), ("rootonly.sh", 0o700, 0), ("foreign.sh", 0o755, 1234),
        ("open/check.sh", 0o755, 0), ("sticky/check.sh", 0o755, 0),
    ]

    static func install(in dir: String) throws {
        let fix = dir + "/fix"
        for (directory, mode) in [("", 0o755), ("/open", 0o777), ("/sticky", 0o1777)] as [(String, Int)] {
            try FileManager.default.createDirectory(atPath: fix + directory, withIntermediateDirectories: true)
            chmod(fix + directory, mode_t(mode))
        }
        chmod(dir, 0o755)
        for (name, mode, owner) in scripts {
            let path = fix + "/" + name
            try "#!/bin/sh\nexit 0\n".write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, mode_t(mode))
            chown(path, owner, 0)
        }
    }
}

/// One generated configuration with the user database keepalived sees.
struct DifferentialCase {
    var config: String
    var passwd: String
    var group: String

    static func generate(_ random: inout SeededGenerator, index: Int, fixtures: String) -> DifferentialCase {
        var lines: [String] = ["global_defs {", "    router_id lb1"]
        if random.chance(50) { lines.append("    enable_script_security") }
        if random.chance(35) { lines.append("    script_user \(random.pick(["root", "probe", "ghost", "keepalived_script"]))") }
        if random.chance(5) { lines.append("    vrrp_strict") }
        if random.chance(5) { lines.append("    vrrp_version 3") }
        lines.append("}")
        let paths = DifferentialFixtures.scripts.map { fixtures + "/" + $0.0 } + [fixtures + "/missing.sh", "true", "nosuchtool-hx"]
        let scriptCount = random.below(4)
        for n in 0..<scriptCount {
            lines += ["vrrp_script chk\(n) {", "    script \"\(random.pick(paths))\"", "    interval 1", "    weight \(random.pick([-30, -5, 0, 10]))"]
            if random.chance(20) { lines.append("    user \(random.pick(["root", "probe", "ghost", "keepalived_script"]))") }
            lines.append("}")
        }
        let instanceCount = 1 + random.below(4)
        var vrids = Array(1...255)
        var names: [String] = []
        var fatal = random.chance(8)
        for n in 0..<instanceCount {
            let name = "VI_\(n + 1)"
            names.append(name)
            let vrid = vrids.remove(at: random.below(vrids.count))
            let interface = random.pick(["eth0", "eth1"])
            lines.append("vrrp_instance \(name) {")
            switch random.below(6) {
            case 0: break
            case 1, 2: lines.append("    state MASTER")
            case 3: lines.append("    state BACKUP")
            case 4: lines += ["    state MASTER", "    state BACKUP"]
            default: lines.append("    state SLAVE")
            }
            lines.append("    interface \(interface)")
            lines.append("    virtual_router_id \(vrid)")
            if fatal, random.chance(50) {
                lines.append("    \(random.pick(["priority", "advert_int", "notify_master", "preempt_delay"])) # set by the role")
                fatal = false
            } else {
                switch random.below(4) {
                case 0: break
                case 1: lines.append("    priority 255")
                default: lines.append("    priority \(1 + random.below(254))")
                }
            }
            if random.chance(20) { lines.append("    nopreempt") }
            if random.chance(10) { lines.append("    preempt_delay 5") }
            if random.chance(5) { lines.append("    version 3") }
            switch random.below(6) {
            case 0: lines += ["    authentication {", "        auth_type PASS", "        auth_pass s3cret", "    }"]
            case 1: lines += ["    authentication {", "        auth_type AH", "        auth_pass s3cret", "    }"]
            case 2 where fatal:
                lines += ["    authentication {", "        auth_type PASS", "        auth_pass # from the vault", "    }"]
                fatal = false
            case 2: lines += ["    authentication {", "        auth_type AH", "        auth_pass \"\"", "    }"]
            default: break
            }
            lines += ["    virtual_ipaddress {", "        10.253.\(interface == "eth0" ? 1 : 2).\(100 + n)", "    }"]
            let tracked = (0..<scriptCount).filter { _ in random.chance(60) }
            if !tracked.isEmpty {
                lines.append("    track_script {")
                for script in tracked { lines.append("        chk\(script)\(random.chance(25) ? " weight \(random.pick([-20, 15]))" : "")") }
                lines.append("    }")
            }
            lines.append("}")
        }
        if names.count >= 2, random.chance(30) {
            lines += ["vrrp_sync_group G1 {", "    group {", "        \(names[0])", "        \(names[1])", "    }", "}"]
        }
        let (passwd, group) = users(&random)
        _ = index
        return DifferentialCase(config: lines.joined(separator: "\n") + "\n", passwd: passwd, group: group)
    }

    /// This machine's users, with keepalived_script and probe added or not.
    static func users(_ random: inout SeededGenerator) -> (passwd: String, group: String) {
        var passwd = (try? String(contentsOfFile: "/etc/passwd", encoding: .utf8)) ?? "root:x:0:0:root:/root:/bin/sh\n"
        var group = (try? String(contentsOfFile: "/etc/group", encoding: .utf8)) ?? "root:x:0:\n"
        if random.chance(50) {
            passwd += "keepalived_script:x:1500:1500::/nonexistent:/usr/sbin/nologin\n"
            group += "keepalived_script:x:1500:\n"
        }
        if random.chance(70) {
            passwd += "probe:x:1501:1501::/nonexistent:/usr/sbin/nologin\n"
            group += "probe:x:1501:\n"
        }
        return (passwd, group)
    }
}

/// Runs keepalived on every case in one throwaway network + pid + mount namespace: the
/// case's passwd and group bind-mounted over /etc, veths eth0 and eth1, tmpfs on /tmp and
/// /run, and keepalived started until its dump is complete, then stopped.
enum DifferentialRunner {
    static func run(cases: Int, in dir: String) throws -> [Int: String] {
        let script = """
            ip link set lo up
            ip link add eth0 type veth peer name hxkp1; ip link set eth0 up; ip link set hxkp1 up; ip addr add 10.253.1.1/24 dev eth0
            ip link add eth1 type veth peer name hxkp2; ip link set eth1 up; ip link set hxkp2 up; ip addr add 10.253.2.1/24 dev eth1
            ip link add eth2 type veth peer name hxkp3; ip link set eth2 up; ip link set hxkp3 up
            mount -t tmpfs tmpfs /tmp
            mount -t tmpfs tmpfs /run
            n=0
            while [ $n -lt "$COUNT" ]; do
              c="$DIR/case$n"
              mount --bind "$c/passwd" /etc/passwd
              mount --bind "$c/group" /etc/group
              rm -f /tmp/k.log
              stdbuf -oL -eL keepalived -i lb1 --vrrp -n -l -D -d -f "$c/keepalived.conf" >/tmp/k.log 2>&1 &
              pid=$!
              i=0
              while [ $i -lt 100 ] && kill -0 $pid 2>/dev/null && ! grep -q -- '------< Interfaces >------' /tmp/k.log; do sleep 0.05; i=$((i+1)); done
              last=-1; same=0; j=0
              while [ $j -lt 25 ] && [ $same -lt 2 ] && kill -0 $pid 2>/dev/null; do
                size=$(wc -c < /tmp/k.log); if [ "$size" = "$last" ]; then same=$((same+1)); else same=0; fi
                last=$size; sleep 0.1; j=$((j+1))
              done
              kill -TERM $pid 2>/dev/null
              j=0; while [ $j -lt 50 ] && kill -0 $pid 2>/dev/null; do sleep 0.05; j=$((j+1)); done
              kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
              echo "=====CASE $n"
              cat /tmp/k.log
              umount /etc/group; umount /etc/passwd
              n=$((n+1))
            done
            echo "=====END"
            """
        let result = try Shell.run(["env", "DIR=" + dir, "COUNT=\(cases)", "unshare", "--net", "--pid", "--mount", "--fork", "--kill-child",
                                    "--mount-proc", "sh", "-c", script], timeout: Double(30 + 6 * cases))
        var logs: [Int: String] = [:]
        var current: Int?
        var lines: [Substring] = []
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("=====CASE ") || line == "=====END" {
                if let current { logs[current] = lines.joined(separator: "\n") }
                current = Int(line.dropFirst(10))
                lines = []
            } else {
                lines.append(line)
            }
        }
        return logs
    }

    /// The log lines that explain a verdict (configuration errors, scripts, users).
    static func findings(_ log: String) -> String {
        let words = ["script", "Script", "user", "missing a parameter", "permanent", "Disabling", "SECURITY", "state", "Authentication", "AH"]
        return log.split(separator: "\n").filter { line in !line.contains("   ") && words.contains { line.contains($0) } }.prefix(30).joined(separator: "\n")
    }

    /// keepalived's side: it runs when its dump shows the VRRP topology.
    static func verdict(_ log: String) -> DifferentialVerdict {
        guard log.contains("VRRP Topology"), !log.contains("exited with permanent error CONFIG") else {
            return DifferentialVerdict(starts: false, instances: [])
        }
        let dumped = ConformanceTests.parseDump(log)
        return DifferentialVerdict(starts: true, instances: dumped.map { instance in
            DifferentialVerdict.Instance(name: instance.name, priority: instance.priority, initialState: instance.wantstate,
                                         trackedScripts: instance.trackedScripts.sorted())
        }.sorted { $0.name < $1.name })
    }
}
