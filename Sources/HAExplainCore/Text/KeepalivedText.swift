import HAModel
import KeepalivedConfig

/// The text form of `haexplain keepalived`: the report as an operator reads it, every line
/// with its file:line. It prints what the model holds and computes nothing.
public enum KeepalivedText {
    public static func render(_ report: KeepalivedReport) -> String {
        // Lines gathered as bytes, made a String once: appending to a growing String cost
        // ~400 instructions a line (keepalived text budget, <= 1.0x keepalived -t).
        var text: [UInt8] = []
        // Each line escaped whole: its layout is printable ASCII, so this escapes exactly the
        // facts from files interpolated into it.
        func out(_ line: String) {
            TerminalText.append(line, escapedTo: &text)
            text.append(0x0A)
        }
        // The most frequent lines as pieces, each escaped apart (escaping is per character, so
        // that equals the line escaped whole): an interpolated piece cost ~450 instructions
        // (keepalived text budget, <= 1.0x keepalived -t).
        func put(_ piece: String) { TerminalText.append(piece, escapedTo: &text) }
        func put(_ number: Int) { put(String(number)) }
        func end() { text.append(0x0A) }
        for config in report.configs {
            out("config    \(config.file) (node \(config.node), config id \(config.configID))")
            out("          why: \(config.chosenBecause)")
            if config.filesRead.count > 1 { out("          files read: \(config.filesRead.joined(separator: ", "))") }
            if let routerID = config.globalDefs.routerID { out("          router_id \(routerID)") }
        }
        for instance in report.vrrpInstances {
            out("")
            put("vrrp_instance "); put(instance.name); put("  "); put(instance.file); put(":"); put(instance.line)
            if let node = instance.node { put("  ["); put(node); put("]") }
            end()
            put("  VRID "); put(instance.virtualRouterID.map(String.init) ?? "unset")
            put(", on "); put(instance.interface ?? "default interface")
            put(", starts "); put(instance.initialState.rawValue)
            put(", priority "); put(instance.priority)
            put(", advert_int "); put(format(instance.advertInt)); put("s")
            if let version = instance.version { put(", version "); put(version) }
            put(instance.nopreempt ? ", nopreempt" : ", preempt")
            if let delay = instance.preemptDelay { put(", preempt_delay "); put(format(delay)); put("s") }
            if let vmac = instance.useVmac { put(", use_vmac "); put(vmac) }
            if let group = instance.syncGroup { put(", sync group "); put(group) }
            end()
            put("  initial state "); put(instance.initialState.rawValue); put(": "); put(instance.initialStateReason); end()
            if let effective = instance.effectivePriority {
                put("  effective priority "); put(effective.arithmetic); end()
                put("            assuming "); put(effective.assumption); end()
            }
            for vip in instance.virtualIpaddress { put("  virtual_ipaddress "); describe(vip, put); end() }
            for vip in instance.virtualIpaddressExcluded { put("  virtual_ipaddress_excluded "); describe(vip, put); end() }
            for route in instance.virtualRoutes { out("  virtual_routes \(route.route)  \(route.file):\(route.line)") }
            for term in instance.effectivePriority?.terms ?? [] where term.kind != .interface {
                put("  "); put(term.kind.rawValue); put(" "); put(term.name); put(" weight "); put(term.weight)
                if term.reverse { put(" reverse") }
                put("  "); put(term.file); put(":"); put(term.line); end()
            }
            for item in instance.trackScript where report.vrrpScripts.contains(where: { $0.name == item.name && $0.node == instance.node && !$0.active }) {
                out("  track_script \(item.name) DROPPED by keepalived (see vrrp_script \(item.name)): its weight never applies  \(item.file):\(item.line)")
            }
            if let auth = instance.authentication {
                out("  authentication \(auth.authType ?? "(no auth_type)") \(auth.authPass?.fingerprint ?? "")  \(auth.file):\(auth.line)")
            }
            if let source = instance.unicastSrcIP { out("  unicast_src_ip \(source)") }
            if !instance.unicastPeer.isEmpty { out("  unicast_peer \(instance.unicastPeer.joined(separator: " "))") }
            for (keyword, script) in instance.notify.stateScripts { out("  \(keyword) \(script)") }
            for whatif in instance.whatif ?? [] { put("  what-if   "); put(whatif.sentence); end() }
        }
        if !report.vrrpScripts.isEmpty { out("") }
        for script in report.vrrpScripts {
            var facts = ["\"\(script.script ?? "")\""]
            if let interval = script.interval { facts.append("interval \(format(interval))s") }
            if let timeout = script.timeout { facts.append("timeout \(format(timeout))s") }
            facts.append("weight \(script.weight ?? 0)\(script.reverse ? " reverse" : "")")
            if let rise = script.rise { facts.append("rise \(rise)") }
            if let fall = script.fall { facts.append("fall \(fall)") }
            if let user = script.user { facts.append("user \(user)\(script.group.map { " \($0)" } ?? "")") }
            out("vrrp_script \(script.name)  \(script.file):\(script.line)\(script.node.map { "  [\($0)]" } ?? "")")
            out("  \(facts.joined(separator: ", "))")
            if !script.active { out("  DROPPED by keepalived: \(script.inactiveReason ?? "")") }
            for track in report.trackState where track.kind == .trackScript && track.name == script.name && track.node == script.node {
                out("  now \(track.state == .notEvaluated ? "not evaluated (assumed OK)" : (track.state == .ok ? "OK" : "FAILING")): \(track.reason)")
            }
        }
        for process in report.vrrpTrackProcesses {
            out("vrrp_track_process \(process.name)  \(process.file):\(process.line): process \(process.process ?? "?")\(process.weight.map { ", weight \($0)" } ?? "")")
        }
        for group in report.vrrpSyncGroups {
            out("vrrp_sync_group \(group.name)  \(group.file):\(group.line): \(group.group.joined(separator: ", "))")
        }
        for server in report.virtualServers {
            out("virtual_server \(server.address) \(server.port ?? "")  \(server.file):\(server.line): \(server.realServers.count) real server(s) (listed, not explained)")
        }
        for election in report.elections {
            out("")
            out("VRID \(election.virtualRouterID) (\(election.virtualIpaddress.joined(separator: ", "))): master \(election.master ?? "undecided") (\(election.reason))")
            for candidate in election.candidates {
                out("  \(candidate.node): \(candidate.instance) priority \(candidate.priority.map(String.init) ?? "FAULT") (\(candidate.arithmetic))  \(candidate.file):\(candidate.line)")
            }
            for whatif in election.whatif { out("  what-if   \(whatif.sentence)") }
        }
        if let says = report.keepalivedSays {
            out("")
            out("keepalived itself says (\(says.source))")
            for instance in says.instances {
                out("  vrrp_instance \(instance.name): \(instance.state), effective priority \(instance.effectivePriority.map(String.init) ?? "?") (base \(instance.basePriority.map(String.init) ?? "?"))\(instance.masterPriority.map { $0 > 0 ? ", master heard at priority \($0)" : "" } ?? "")")
            }
            if says.disagreements.isEmpty {
                out("  it agrees with haexplain's inference")
            }
            for disagreement in says.disagreements { out("  DISAGREES: \(disagreement)") }
        }
        if !report.problems.isEmpty {
            out("")
            out("problems")
            for problem in report.problems {
                let location = problem.file.map { file in problem.line.map { "\(file):\($0)" } ?? file } ?? ""
                out("  \(problem.severity.rawValue) \(problem.code.rawValue)  \(location)")
                out("    \(problem.message)")
            }
        }
        if !report.limits.isEmpty {
            out("")
            out("limits")
            for limit in report.limits { out("  \(limit.text)") }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `--check`: one line per problem as editors and CI annotators read them,
    /// `FILE:LINE: SEVERITY: MESSAGE [CODE]`, control characters escaped.
    public static func check(_ report: KeepalivedReport) -> String {
        // Escaping twice changes nothing, so the formatted lines are escaped like the report's.
        report.problems.map { problem in
            TerminalText.escaped(LintLine.format(file: problem.file ?? report.configs.first?.file ?? "keepalived",
                                                 line: problem.file == nil ? nil : problem.line, severity: problem.severity.rawValue,
                                                 message: problem.message, code: problem.code.rawValue)) + "\n"
        }.joined()
    }

    /// The summary `--check` prints to standard error.
    public static func checkSummary(_ report: KeepalivedReport, strict: Bool) -> String {
        let count = { (severity: ConfigDiagnostic.Severity) in report.problems.filter { $0.severity == severity }.count }
        let start = report.keepalivedWouldStart ? "keepalived would start" : "keepalived would NOT start"
        let verdict = report.failsCheck(strict: strict) ? "check failed" : "check passed"
        return "haexplain: \(start); \(count(.error)) error(s), \(count(.warning)) warning(s), \(count(.info)) info: \(verdict)\(strict ? " (--strict)" : "")"
    }

    /// Text from files printed on one line, made inert by the one escape function.
    static func inert(_ text: String) -> String { TerminalText.escaped(text) }

    /// The address with its options and where it was read, in pieces (keepalived text budget).
    static func describe(_ vip: VirtualAddress, _ put: (String) -> Void) {
        put(vip.address.description); put("/"); put(String(vip.prefixlen))
        if let brd = vip.brd { put(" brd "); put(brd) }
        if let dev = vip.dev { put(" dev "); put(dev) }
        if let scope = vip.scope { put(" scope "); put(scope) }
        if let label = vip.label { put(" label "); put(label) }
        for option in vip.options { put(" "); put(option) }
        put("  "); put(vip.file); put(":"); put(String(vip.line))
        switch (vip.assignedHere, vip.assignedOn) {
        case (true?, let dev?): put("  assigned here on "); put(dev)
        case (false?, _): put("  not assigned here")
        default: break
        }
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
