import HAModel

/// The human rendering of `haexplain ip`: one block per address, the verdict first, every
/// claim with its source. It reads the report and computes nothing of its own.
public enum IPReportText {
    /// `brief` prints the verdict lines alone (as `ip -br`).
    public static func render(_ report: IPReport, brief: Bool = false) -> String {
        var out = ""
        if report.answers.isEmpty {
            out += "? UNKNOWN \(TerminalText.escaped(report.query)): no address to explain\n"
        }
        if brief { return out + report.answers.map { headline($0) + "\n" }.joined() }
        for answer in report.answers {
            out += headline(answer) + "\n"
            out += block(answer, query: report.query)
        }
        // The section opens with a blank line of its own (for vrrp); each answer block ends with one.
        if let linkLayer = report.linkLayer { out += LinkLayerText.render(linkLayer).dropFirst() + "\n" }
        if let says = report.keepalivedSays {
            for instance in says.instances {
                out += "keepalived says: vrrp_instance \(instance.name) \(instance.state), effective priority \(instance.effectivePriority.map(String.init) ?? "?") (base \(instance.basePriority.map(String.init) ?? "?")) [\(says.source)]\n"
            }
            out += says.disagreements.isEmpty ? "keepalived says: it agrees with haexplain's inference\n"
                : says.disagreements.map { "keepalived DISAGREES: \($0)\n" }.joined()
        }
        if let listened = report.listened { out += "listened: \(TerminalText.escaped(listened.detail ?? "the wire"))\n" }
        for probe in report.probes ?? [] { out += "probed: \(TerminalText.escaped(probe.sentence))\n" }
        for limit in report.limits { out += "limit: \(TerminalText.escaped(limit.text))\n" }
        return out
    }

    static func block(_ answer: IPAnswer, query: String) -> String {
        let names = Array(Set(answer.names.filter(\.returned).map(\.name))).sorted()
        var out = "\(answer.address)\(names.isEmpty ? "" : "  " + TerminalText.escaped(names.joined(separator: ", ")))\n"
        out += field("owner", owner(answer.verdict))
        if let this = answer.thisHost {
            let assigned = this.assigned ? "\(answer.address) is assigned here" : "\(answer.address) is not assigned here"
            let state = this.state == .stopped ? "keepalived is not running; configured" : this.state.rawValue
            out += field("this host", "\(state) for VRID \(this.vrid) at priority \(this.priority.map(String.init) ?? "none (FAULT)") (vrrp_instance \(this.instance), \(this.file):\(this.line)); \(assigned)")
        }
        out += field("why", answer.evidence.map { "\($0.claim) [\($0.location)]" })
        out += field("failover", answer.whatif.map { $0.sentence + ($0.assumed ? " (assumed)" : "") })
        out += field("names", answer.names.map { claim in
            "\(claim.name) -> \(claim.address) (\(claim.source))\(claim.returned ? "" : "; \(claim.note ?? "not returned")")"
        } + answer.nameNotes)
        out += ReachabilityText.fields(answer)
        out += field("warning", answer.warnings)
        out += field("note", answer.notes)
        out += field("limit", answer.limits.map(\.text))
        return out + "\n"
    }

    /// The verdict in one line, its mark first (✓ owned, ✗ conflict or nobody, ? unknown), as
    /// `systemctl status` leads with the state; a terminal colours the mark (`Highlight`).
    public static func headline(_ answer: IPAnswer) -> String {
        let verdict = answer.verdict
        var line: String
        switch verdict.owner {
        case .local, .peer:
            let who = (verdict.owner == .local ? "this host, " : "") + verdict.ownerName
            line = "✓ \(answer.address) → \(who)" + (verdict.role.map { " (\($0))" } ?? "")
        case .conflict:
            line = "✗ CONFLICT \(answer.address): \(verdict.reason)"
        case .none:
            line = "✗ NOBODY holds \(answer.address): \(verdict.reason)"
        case .unknown:
            line = "? UNKNOWN \(answer.address): \(verdict.reason)"
        }
        let count = answer.warnings.count
        if count > 0 { line += " (\(count) warning\(count == 1 ? "" : "s"))" }
        return TerminalText.escaped(line)
    }

    static func owner(_ verdict: Verdict) -> String {
        let who: String
        var identity: [String] = []
        if let address = verdict.ownerAddress { identity.append(address.description) }
        if let mac = verdict.ownerMac { identity.append(mac) }
        let detail = identity.isEmpty ? "" : " (\(identity.joined(separator: ", ")))"
        switch verdict.owner {
        case .local: who = "this host, \(verdict.ownerHost ?? "?")\(detail)"
        case .peer: who = verdict.ownerHost.map { "\($0)\(detail)" } ?? identity.joined(separator: ", ")
        case .none: who = "nobody"
        case .conflict: who = "CONFLICT"
        case .unknown: who = "unknown"
        }
        return "\(who): \(verdict.reason)"
    }

    static func field(_ name: String, _ value: String) -> String { field(name, [value]) }

    static func field(_ name: String, _ values: [String]) -> String {
        guard !values.isEmpty else { return "" }
        let label = "  " + name + String(repeating: " ", count: max(1, 11 - name.count))
        let indent = String(repeating: " ", count: label.count)
        // One value, one line: a hostname or message from a snapshot cannot start another.
        return values.enumerated().map { (i, value) in (i == 0 ? label : indent) + TerminalText.escaped(value) + "\n" }.joined()
    }
}
