import Foundation
import HAModel
import KeepalivedConfig
import LabSupport
import LocalFiles
import Processes
import SystemFacts
import Testing

/// Seeded configurations written the way operators' files really look and the way an attacker
/// of the reader would write them: include globs with nested and relative includes, `@id`
/// conditionals, `$NAME` / `${NAME}` definitions (some glued to text, which keepalived leaves
/// alone), multi-line definitions replicated by `~SEQ` / `~LST`, comments after `#` and `!`
/// mid-line, quoted words, unknown keywords, duplicate instances, virtual addresses with
/// options, IPv6 and exclusions, tracked scripts with weights and `reverse`, sync groups,
/// unicast peers, use_vmac and the script-security settings that make keepalived drop a script.
/// keepalived 2.2.7 runs each one (DifferentialRunner) and its dump is compared with haexplain's
/// reading: whether it starts, and per instance its interface, VRID, priority, initial state,
/// addresses, excluded addresses and the scripts it tracks.
/// `make test` runs a few; HAEXPLAIN_KEEPALIVED_ADVERSARIAL=COUNT[:SEED] runs more.
@Suite("differential: adversarial configurations against keepalived 2.2.7", .serialized,
       .enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs /usr/sbin/keepalived")))
struct AdversarialDifferentialTests {
    static var run: (count: Int, seed: UInt64) {
        let setting = ProcessInfo.processInfo.environment["HAEXPLAIN_KEEPALIVED_ADVERSARIAL"]?.split(separator: ":") ?? []
        return (setting.first.flatMap { Int($0) } ?? 6, setting.count > 1 ? UInt64(setting[1]) ?? 7 : 7)
    }

    @Test("haexplain reads includes, conditionals, definitions, sequences and odd syntax as keepalived does")
    func agreement() throws {
        let (count, seed) = Self.run
        let dir = "/var/tmp/hxk-adv-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["HAEXPLAIN_KEEP_CASES"] == nil { try? FileManager.default.removeItem(atPath: dir) } }
        try DifferentialFixtures.install(in: dir)
        var random = SeededGenerator(seed: seed)
        var cases: [AdversarialCase] = []
        for index in 0..<count {
            let caseDir = dir + "/case\(index)"
            let item = AdversarialCase.generate(&random, dir: caseDir, fixtures: dir + "/fix")
            for (name, text) in item.files {
                let path = caseDir + "/" + name
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try text.write(toFile: path, atomically: true, encoding: .utf8)
            }
            try item.passwd.write(toFile: caseDir + "/passwd", atomically: true, encoding: .utf8)
            try item.group.write(toFile: caseDir + "/group", atomically: true, encoding: .utf8)
            cases.append(item)
        }
        let logs = try DifferentialRunner.run(cases: count, in: dir)
        var agreed = 0
        var disagreements: [String] = []
        for (index, item) in cases.enumerated() {
            let log = logs[index] ?? ""
            let theirs = Self.keepalived(log)
            let ours = try Self.haexplain(item, path: dir + "/case\(index)/keepalived.conf")
            if theirs == ours {
                agreed += 1
            } else {
                let files = item.files.map { "--- \($0.0)\n\($0.1)" }.joined(separator: "\n")
                disagreements.append("case \(index) (seed \(seed)):\n  keepalived: \(theirs)\n  haexplain:  \(ours)\n\(files)\n--- keepalived's own words:\n\(Self.complaints(log))")
            }
        }
        print("adversarial keepalived differential (seed \(seed)): haexplain agrees with keepalived 2.2.7 on \(agreed) of \(count) configurations")
        if !disagreements.isEmpty {
            // All of them, for a closer look; the seed makes them again.
            try? disagreements.joined(separator: "\n\n").write(toFile: "/var/tmp/hxk-adv-disagreements-\(seed).txt", atomically: true, encoding: .utf8)
        }
        #expect(agreed == count, "seed \(seed): \(count - agreed) disagreement(s)\n\(disagreements.prefix(4).joined(separator: "\n\n"))")
    }

    /// What keepalived logged about the configuration itself (file:line complaints and scripts).
    static func complaints(_ log: String) -> String {
        log.split(separator: "\n").filter { line in
            (line.contains("Line ") || line.contains("script") || line.contains("Script") || line.contains("VIP") || line.contains("permanent"))
                && !line.contains("   ")
        }.prefix(30).joined(separator: "\n")
    }

    static func keepalived(_ log: String) -> [String] {
        guard log.contains("VRRP Topology"), !log.contains("exited with permanent error CONFIG") else { return ["refuses to start"] }
        return ConformanceTests.parseDump(log).map(\.description).sorted()
    }

    static func haexplain(_ item: AdversarialCase, path: String) throws -> [String] {
        var config = try KeepalivedParser.parse(path: path, files: LocalConfigFiles(), configID: "lb1")
        ScriptAvailability.apply(to: &config, host: DifferentialTests.scriptHost(passwd: item.passwd, group: item.group), node: "lb1")
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")])
        guard report.keepalivedWouldStart else { return ["refuses to start"] }
        return ConformanceTests.dumped(config).map(\.description).sorted()
    }
}

/// One generated configuration: its files (the first is keepalived.conf) and the user database.
struct AdversarialCase {
    var files: [(String, String)]
    var passwd: String
    var group: String

    static let users = ["root", "probe", "ghost", "keepalived_script"]

    static func generate(_ random: inout SeededGenerator, dir: String, fixtures: String) -> AdversarialCase {
        var main: [String] = []
        var extra: [(String, String)] = []
        // Comments of every shape operators leave.
        if random.chance(50) { main.append(random.pick(["! Configuration File for keepalived", "# Ansible managed: do not edit", "   ! indented", "#!"])) }
        main.append("global_defs {")
        main.append("    router_id lb1" + Self.trailingComment(&random))
        if random.chance(40) { main.append("    enable_script_security") }
        if random.chance(30) { main.append("    script_user \(random.pick(users))") }
        if random.chance(10) { main.append("    @lb1 script_user \(random.pick(users))") }
        if random.chance(10) { main.append("    no_such_global_keyword 1") }
        if random.chance(5) { main.append("    vrrp_version 3") }
        main.append("}")

        // Definitions, some used glued to text (only ${NAME} expands there).
        let interfaces = ["eth0", "eth1", "eth2"]
        let ifDefined = random.chance(50)
        if ifDefined { main.append("$IF=\(random.pick(interfaces))") }
        if random.chance(50) { main.append("@lb1 $PRIO=\(1 + random.below(254))"); main.append("@^lb1 $PRIO=\(1 + random.below(254))") }
        else if random.chance(50) { main.append("$PRIO=\(1 + random.below(254))") }
        main.append("$NET=10.253.\(1 + random.below(3))")
        // Definitions that name other definitions: keepalived expands them again where used.
        let nested = random.chance(30)
        if nested { main += ["$BASE=10.253", "$NET2=${BASE}.\(1 + random.below(3))", "$NETW=$NET2"] }

        let paths = DifferentialFixtures.scripts.map { fixtures + "/" + $0.0 } + [fixtures + "/missing.sh", "/bin/true"]
        let scriptCount = random.below(4)
        var scripts: [String] = []
        for n in 0..<scriptCount {
            let name = "chk_\(n)"
            scripts.append(name)
            var block = ["vrrp_script \(name) {"]
            let path = random.pick(paths)
            switch random.below(4) {
            case 0: block.append("    script \"\(path) --flag # not a comment\"")
            case 1: block.append("    script '\(path)'")
            case 2: block.append("    script \(path)   # a comment")
            case 3 where random.chance(40):
                block.append(random.pick(["    script \"\(path) \\# x\"", "    script \"\(path)\" ${_HASH} tail", "    script \"'\(path)'\"",
                                          "    script \"\(path)\"\"--x\"", "    script \\\n        \(path)"]))
            default: block.append("    script \"\(path)\"")
            }
            block.append("    interval \(1 + random.below(3))")
            if random.chance(80) { block.append("    weight \(random.pick([-50, -20, -2, 0, 5, 30]))\(random.chance(20) ? " reverse" : "")") }
            if random.chance(15) { block.append("    user \(random.pick(users))\(random.chance(30) ? " \(random.pick(users))" : "")") }
            if random.chance(10) { block.append("    rise 2 ! and fall") }
            block.append("}")
            // Some scripts live in included files.
            if random.chance(30) {
                extra.append(("scripts/\(name).conf", block.joined(separator: "\n") + "\n"))
            } else {
                main += block
            }
        }
        if extra.contains(where: { $0.0.hasPrefix("scripts/") }) {
            main.append(random.pick(["include scripts/*.conf", "include \(dir)/scripts/*.conf", "include scripts/chk_*.conf   # scripts"]))
        }

        var vrids = Array(1...255)
        var names: [String] = []
        var instanceTexts: [[String]] = []
        let instanceCount = 1 + random.below(4)
        for n in 0..<instanceCount {
            let name = random.chance(5) && !names.isEmpty ? names[0] : "VI_\(n + 1)"
            names.append(name)
            let vrid = vrids.remove(at: random.below(vrids.count))
            let interface = random.pick(interfaces)
            var block: [String] = []
            block.append(random.chance(10) ? "vrrp_instance \(name) { ! opened here" : "vrrp_instance \(name) {")
            switch random.below(6) {
            case 0: break
            case 1, 2: block.append("    state MASTER")
            case 3: block.append(random.pick(["    state BACKUP", "    state \"MASTER\"", "    state MASTER \\!x", "    state BACKUP${_BANG}"]))
            case 4: block.append("    @lb1 state MASTER"); block.append("    @^lb1 state BACKUP")
            default: block.append("    state \(random.pick(["master", "FAULT", "MASTER#x"]))")
            }
            block.append(ifDefined && random.chance(60) ? "    interface $IF" : "    interface \(interface)")
            block.append("    virtual_router_id \(vrid)")
            switch random.below(6) {
            case 0: break
            case 1: block.append("    priority $PRIO")
            case 2: block.append("    priority ${PRIO}")
            case 3:
                block.append(random.pick(["    @lb1 priority \(1 + random.below(254))", "    @^lb2 priority \(1 + random.below(254))",
                                          "    @lb2 priority \(1 + random.below(254))", "    @lb1\tpriority \(1 + random.below(254))",
                                          "    priority \(1 + random.below(254)) ${_HASH} from ${_INSTANCE}", "    priority \(1 + random.below(254)) $_BANG note",
                                          "    priority \"\(1 + random.below(254))\"", "    priority \(1 + random.below(254)) \\# escaped"]))
            default: block.append("    priority \(random.pick(["255", "1", "100", "0", "256", "\(1 + random.below(254))"]))")
            }
            if random.chance(15) { block.append("    nopreempt") }
            if random.chance(10) { block.append("    use_vmac") }
            if random.chance(25) { block += Self.skippedSettings(&random) }
            if random.chance(10) { block.append("    unknown_keyword_\(n) on") }
            if random.chance(15) {
                block += ["    unicast_src_ip 10.253.1.1", "    unicast_peer {", "        10.253.1.\(2 + random.below(50))", random.chance(30) ? "        2001:db8::9" : "        10.253.1.99", "    }"]
            }
            let six = random.chance(12)
            block.append(random.chance(15) ? "    virtual_ipaddress {   # the VIPs" : "    virtual_ipaddress {")
            for v in 0..<(1 + random.below(3)) {
                var vip = Self.vip(&random, six: six, host: 100 + n * 4 + v)
                if nested, !six, random.chance(30) { vip = random.pick(["${NET2}", "$NETW", "${NETW}"]) + ".\(150 + n * 4 + v)" }
                block.append("        " + vip)
            }
            block.append("    }")
            // keepalived splits a line at each brace: a block may be written on one line.
            if random.chance(15) { block.append("    virtual_ipaddress { \(Self.vip(&random, six: six, host: 170 + n).replacingOccurrences(of: " # the VIP", with: "")) }") }
            if random.chance(20) {
                block += ["    virtual_ipaddress_excluded {", "        " + Self.vip(&random, six: !six, host: 200 + n), "    }"]
            }
            let tracked = scripts.filter { _ in random.chance(60) }
            if tracked.count == 1, random.chance(20) {
                block.append("    track_script { \(tracked[0])\(random.chance(40) ? " weight -\(1 + random.below(40))" : "") }")
            } else if !tracked.isEmpty || random.chance(5) {
                block.append("    track_script {")
                for script in tracked {
                    var entry = "        \(script)"
                    if random.chance(30) { entry += " weight \(random.pick([-30, -5, 10]))" }
                    if random.chance(15) { entry += " reverse" }
                    block.append(entry)
                }
                if random.chance(5) { block.append("        no_such_script") }
                block.append("    }")
            }
            block.append("}" + Self.trailingComment(&random))
            instanceTexts.append(block)
        }

        // Where each instance goes: the main file, an included conf.d file (which may include
        // a snippet in turn), or a multi-line definition replicated by ~SEQ.
        for (n, block) in instanceTexts.enumerated() {
            switch random.below(5) {
            case 0:
                let odd = random.chance(25) ? random.pick([" odd name", "#hash", "!bang", "$dollar", "'q'"]) : ""
                let file = "conf.d/\(String(format: "%02d", n))-\(names[n])\(odd).conf"
                if random.chance(40) {
                    let snippet = "snippets/vips-\(n).inc"
                    var lines = block
                    let start = lines.firstIndex { $0.contains("virtual_ipaddress {") }!
                    let end = lines[start...].firstIndex { $0 == "    }" }!
                    extra.append((snippet, lines[(start + 1)..<end].joined(separator: "\n") + "\n"))
                    lines.replaceSubrange((start + 1)..<end, with: ["        include ../\(snippet)"])
                    extra.append((file, lines.joined(separator: "\n") + "\n"))
                } else {
                    extra.append((file, block.joined(separator: "\n") + "\n"))
                }
            case 1 where !block.contains(where: { $0.contains("@") || $0.contains("$") || $0.contains("#") || $0.contains("!") || $0.contains("'") }):
                // keepalived keeps a multi-line definition's lines; ~SEQ replays it.
                let id = "D\(n)"
                main.append("$BLOCK_\(id)= \\")
                for line in block { main.append(line.replacingOccurrences(of: names[n], with: "\(names[n])_${N\(id)}") + " \\") }
                main.append("")
                main.append(random.chance(50) ? "~SEQ(N\(id), 1, 2) $BLOCK_\(id)" : "~LST(N\(id), a, b) $BLOCK_\(id)")
            default:
                main += block
            }
        }
        if extra.contains(where: { $0.0.hasPrefix("conf.d/") }) {
            main.append(random.pick(["include conf.d/*.conf", "include \(dir)/conf.d/*.conf", "include conf.d/[0-9]*-*.conf",
                                     "include conf.d/{00,01,02,03}-*.conf"]))
            if random.chance(20) { main.append(random.pick(["include conf.d/missing-*.conf", "includer conf.d/*.conf", "includew conf.d/nothing*.conf",
                                                            "include conf.d/.hidden*", "include   conf.d/*.conf  ! again"])) }
            if random.chance(10) { extra.append(("conf.d/.hidden.conf", "vrrp_instance HIDDEN {\n    interface eth0\n    virtual_router_id 254\n}\n")) }
        }
        if names.count >= 2, random.chance(25) {
            main += ["vrrp_sync_group G1 {", "    group {", "        \(names[0])", "        \(names[1])", "    }"]
            if random.chance(30), let script = scripts.first { main += ["    track_script {", "        \(script) weight -7", "    }"] }
            main.append("}")
        }
        if random.chance(5) { main += ["unknown_block {", "    priority 1", "}"] }

        let (passwd, group) = DifferentialCase.users(&random)
        return AdversarialCase(files: [("keepalived.conf", main.joined(separator: "\n") + "\n")] + extra, passwd: passwd, group: group)
    }

    /// Settings that change nothing haexplain compares, in the blocks and one-liners
    /// operators write: haexplain has to read past them exactly as keepalived does.
    static func skippedSettings(_ random: inout SeededGenerator) -> [String] {
        random.pick([
            ["    notify_master \"/bin/true master\"", "    notify \"/usr/bin/logger -t ka\""],
            ["    virtual_routes {", "        10.9.0.0/16 via 10.253.1.254 dev eth0", "        blackhole 10.8.0.0/16", "    }"],
            ["    virtual_rules {", "        from 10.253.1.0/24 table 100", "    }"],
            ["    garp_master_delay 5", "    garp_master_refresh 60", "    garp_lower_prio_repeat 2"],
            ["    smtp_alert", "    advert_int 0.5"],
            ["    track_interface { eth1 weight -10 }"],
            ["    track_file {", "        tf weight 2", "    }"],
            ["    track_process {", "        haproxy_proc", "    }"],
            ["    authentication {", "        auth_type PASS", "        auth_pass \"se cret\"", "    }"],
            ["    unicast_peer { 10.253.1.77 }"],
        ])
    }

    static func trailingComment(_ random: inout SeededGenerator) -> String {
        random.chance(20) ? random.pick(["  # note", " ! note", "#glued", "!glued", "\t# tab"]) : ""
    }

    /// One virtual_ipaddress line with the options keepalived accepts (and some it skips).
    static func vip(_ random: inout SeededGenerator, six: Bool, host: Int) -> String {
        var text: String
        if six {
            text = random.pick(["2001:db8::\(host)", "fe80::\(host)/64", "2001:db8::\(host)/64", "2001:DB8:0:0::\(host)"])
        } else {
            text = random.pick(["${NET}.\(host)", "$NET.\(host)", "10.253.1.\(host)", "10.253.1.\(host)/24", "10.253.2.\(host)/32", "$NET.\(host)/24"])
        }
        if random.chance(30) { text += " dev \(random.pick(["eth0", "eth1", "eth2"]))" }
        if random.chance(15) { text += " label \(random.pick(["eth0:vip", "eth1:1"]))" }
        if random.chance(15) { text += " scope \(random.pick(["link", "host", "global", "site"]))" }
        if !six, random.chance(10) { text += " brd 10.253.1.255" }
        if random.chance(5) { text += " no_track" }
        if random.chance(5) { text += " # the VIP" }
        return text
    }
}
