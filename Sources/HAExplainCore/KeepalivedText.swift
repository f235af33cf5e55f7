import HAModel
import KeepalivedConfig

/// The text form of `haexplain keepalived`: the report as an operator reads it, every line
/// with its file:line. It prints what the model holds and computes nothing.
public enum KeepalivedText {
    public static func render(_ report: KeepalivedReport) -> String {
        // About 600 bytes of text per instance.
        var out = TextLines(capacity: 600 * report.vrrpInstances.count + 4096)
        for config in report.configs {
            out.append("config    \(config.file) (node \(config.node), config id \(config.configID))")
            out.append("          why: \(config.chosenBecause)")
            if config.filesRead.count > 1 { out.append("          files read: \(config.filesRead.joined(separator: ", "))") }
            if let routerID = config.globalDefs.routerID { out.append("          router_id \(routerID)") }
        }
        for instance in report.vrrpInstances {
            out.append("")
            out.append("vrrp_instance \(instance.name)  \(instance.file):\(instance.line)\(instance.node.map { "  [\($0)]" } ?? "")")
            var facts: TextLine = "  VRID \(instance.virtualRouterID.map(String.init) ?? "unset")"
            facts += ", on \(instance.interface ?? "default interface")"
            facts += ", starts \(instance.initialState.rawValue)"
            facts += ", priority \(instance.priority)"
            facts += ", advert_int \(format(instance.advertInt))s"
            if let version = instance.version { facts += ", version \(version)" }
            facts += instance.nopreempt ? ", nopreempt" : ", preempt"
            if let delay = instance.preemptDelay { facts += ", preempt_delay \(format(delay))s" }
            if let vmac = instance.useVmac { facts += ", use_vmac \(vmac)" }
            if let group = instance.syncGroup { facts += ", sync group \(group)" }
            out.append(facts)
            out.append("  initial state \(instance.initialState.rawValue): \(instance.initialStateReason)")
            if let effective = instance.effectivePriority {
                out.append("  effective priority \(effective.arithmetic)")
                out.append("            assuming \(effective.assumption)")
            }
            for vip in instance.virtualIpaddress { out.append("  virtual_ipaddress \(describe(vip))") }
            for vip in instance.virtualIpaddressExcluded { out.append("  virtual_ipaddress_excluded \(describe(vip))") }
            for route in instance.virtualRoutes { out.append("  virtual_routes \(route.route)  \(route.file):\(route.line)") }
            for term in instance.effectivePriority?.terms ?? [] where term.kind != .interface {
                out.append("  \(term.kind.rawValue) \(term.name) weight \(term.weight)\(term.reverse ? " reverse" : "")  \(term.file):\(term.line)")
            }
            for item in instance.trackScript where report.vrrpScripts.contains(where: { $0.name == item.name && $0.node == instance.node && !$0.active }) {
                out.append("  track_script \(item.name) DROPPED by keepalived (see vrrp_script \(item.name)): its weight never applies  \(item.file):\(item.line)")
            }
            if let auth = instance.authentication {
                out.append("  authentication \(auth.authType ?? "(no auth_type)") \(auth.authPass?.fingerprint ?? "")  \(auth.file):\(auth.line)")
            }
            if let source = instance.unicastSrcIP { out.append("  unicast_src_ip \(source)") }
            if !instance.unicastPeer.isEmpty { out.append("  unicast_peer \(instance.unicastPeer.joined(separator: " "))") }
            let notify = [("notify", instance.notify.notify), ("notify_master", instance.notify.notifyMaster),
                          ("notify_backup", instance.notify.notifyBackup), ("notify_fault", instance.notify.notifyFault),
                          ("notify_stop", instance.notify.notifyStop)]
            for case let (keyword, script?) in notify { out.append("  \(keyword) \(script)") }
            for whatif in instance.whatif ?? [] { out.append("  what-if   \(whatif.sentence)") }
        }
        if !report.vrrpScripts.isEmpty { out.append("") }
        for script in report.vrrpScripts {
            var facts = ["\"\(script.script ?? "")\""]
            if let interval = script.interval { facts.append("interval \(format(interval))s") }
            if let timeout = script.timeout { facts.append("timeout \(format(timeout))s") }
            facts.append("weight \(script.weight ?? 0)\(script.reverse ? " reverse" : "")")
            if let rise = script.rise { facts.append("rise \(rise)") }
            if let fall = script.fall { facts.append("fall \(fall)") }
            if let user = script.user { facts.append("user \(user)\(script.group.map { " \($0)" } ?? "")") }
            out.append("vrrp_script \(script.name)  \(script.file):\(script.line)\(script.node.map { "  [\($0)]" } ?? "")")
            out.append("  \(facts.joined(separator: ", "))")
            if !script.active { out.append("  DROPPED by keepalived: \(script.inactiveReason ?? "")") }
            for track in report.trackState where track.kind == .trackScript && track.name == script.name && track.node == script.node {
                out.append("  now \(track.state == .notEvaluated ? "not evaluated (assumed OK)" : (track.state == .ok ? "OK" : "FAILING")): \(track.reason)")
            }
        }
        for process in report.vrrpTrackProcesses {
            out.append("vrrp_track_process \(process.name)  \(process.file):\(process.line): process \(process.process ?? "?")\(process.weight.map { ", weight \($0)" } ?? "")")
        }
        for group in report.vrrpSyncGroups {
            out.append("vrrp_sync_group \(group.name)  \(group.file):\(group.line): \(group.group.joined(separator: ", "))")
        }
        for server in report.virtualServers {
            out.append("virtual_server \(server.address) \(server.port ?? "")  \(server.file):\(server.line): \(server.realServers.count) real server(s) (listed, not explained)")
        }
        for election in report.elections {
            out.append("")
            out.append("VRID \(election.virtualRouterID) (\(election.virtualIpaddress.joined(separator: ", "))): master \(election.master ?? "undecided") (\(election.reason))")
            for candidate in election.candidates {
                out.append("  \(candidate.node): \(candidate.instance) priority \(candidate.priority.map(String.init) ?? "FAULT") (\(candidate.arithmetic))  \(candidate.file):\(candidate.line)")
            }
            for whatif in election.whatif { out.append("  what-if   \(whatif.sentence)") }
        }
        if let says = report.keepalivedSays {
            out.append("")
            out.append("keepalived itself says (\(says.source))")
            for instance in says.instances {
                out.append("  vrrp_instance \(instance.name): \(instance.state), effective priority \(instance.effectivePriority.map(String.init) ?? "?") (base \(instance.basePriority.map(String.init) ?? "?"))\(instance.masterPriority.map { $0 > 0 ? ", master heard at priority \($0)" : "" } ?? "")")
            }
            if says.disagreements.isEmpty {
                out.append("  it agrees with haexplain's inference")
            }
            for disagreement in says.disagreements { out.append("  DISAGREES: \(disagreement)") }
        }
        if !report.problems.isEmpty {
            out.append("")
            out.append("problems")
            for problem in report.problems {
                let location = problem.file.map { file in problem.line.map { "\(file):\($0)" } ?? file } ?? ""
                out.append("  \(problem.severity.rawValue) \(problem.code.rawValue)  \(location)")
                out.append("    \(problem.message)")
            }
        }
        if !report.limits.isEmpty {
            out.append("")
            out.append("limits")
            for limit in report.limits { out.append("  \(limit)") }
        }
        return out.text
    }

    /// `--check`: one line per problem as editors and CI annotators read them,
    /// `FILE:LINE: SEVERITY: MESSAGE [CODE]`, control characters escaped.
    public static func check(_ report: KeepalivedReport) -> String {
        var out = TextLines(capacity: 200 * report.problems.count)
        for problem in report.problems {
            // Escaping twice changes nothing, so the formatted line can go through TextLine.
            out.append("\(LintLine.format(file: problem.file ?? report.configs.first?.file ?? "keepalived", line: problem.file == nil ? nil : problem.line, severity: problem.severity.rawValue, message: problem.message, code: problem.code.rawValue))")
        }
        return out.text
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

    static func describe(_ vip: VirtualAddress) -> TextLine {
        var text: TextLine = "\(vip.address)/\(vip.prefixlen)"
        if let brd = vip.brd { text += " brd \(brd)" }
        if let dev = vip.dev { text += " dev \(dev)" }
        if let scope = vip.scope { text += " scope \(scope)" }
        if let label = vip.label { text += " label \(label)" }
        for option in vip.options { text += " \(option)" }
        text += "  \(vip.file):\(vip.line)"
        switch (vip.assignedHere, vip.assignedOn) {
        case (true?, let dev?): text += "  assigned here on \(dev)"
        case (false?, _): text += "  not assigned here"
        default: break
        }
        return text
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
