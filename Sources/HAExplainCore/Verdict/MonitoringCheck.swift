import HAModel

/// `haexplain check`: the verdict of `ip` as a monitoring plugin, by the Monitoring Plugins
/// development guidelines that Nagios, Icinga, Naemon, Zabbix and Sensu run plugins by: one
/// status line (`HAEXPLAIN STATUS - text | perfdata`), detail lines after it, and the status
/// as the exit code. Pure: it reads the report and the operator's policy.
public enum MonitoringCheck {
    public enum Status: Int32, Sendable, Comparable, CaseIterable {
        case ok = 0, warning = 1, critical = 2, unknown = 3

        public var word: String {
            switch self {
            case .ok: "OK"
            case .warning: "WARNING"
            case .critical: "CRITICAL"
            case .unknown: "UNKNOWN"
            }
        }

        /// The plugins' worst-state order: CRITICAL over WARNING over UNKNOWN over OK.
        var severity: Int {
            switch self {
            case .ok: 0
            case .unknown: 1
            case .warning: 2
            case .critical: 3
            }
        }

        public static func < (a: Status, b: Status) -> Bool { a.severity < b.severity }
    }

    public struct Policy: Sendable {
        /// The owner that must hold the address: a host name, an address or a MAC.
        public var expectOwner: String?
        /// The status an answer with warnings gets (WARNING by default; OK to ignore them).
        public var warningsAre: Status = .warning
        /// The status when the wire could not be listened to although listening was asked.
        public var unobservedIs: Status = .unknown
        public init(expectOwner: String? = nil, warningsAre: Status = .warning, unobservedIs: Status = .unknown) {
            self.expectOwner = expectOwner
            self.warningsAre = warningsAre
            self.unobservedIs = unobservedIs
        }
    }

    public struct Result: Sendable, Equatable {
        public var status: Status
        /// The first line: what a monitoring system shows and parses.
        public var line: String
        /// The lines after it (long output): one per answer and per warning or limit.
        public var details: [String]
        public var output: String { ([line] + details).joined(separator: "\n") + "\n" }
    }

    /// `listeningAsked`: the wire was to be listened to (this host examined, no --no-listen); an
    /// answer with no capture then means listening failed (no capture privilege, no such
    /// namespace), so who is master on the wire was not observed.
    public static func evaluate(_ report: IPReport, policy: Policy = Policy(), listeningAsked: Bool = false) -> Result {
        let listeningFailed = listeningAsked && !report.answers.isEmpty && report.listened == nil
        var status = Status.ok
        var summaries: [String] = []
        var details: [String] = []
        if report.answers.isEmpty {
            status = .unknown
            summaries.append("\(report.query) resolves to no address")
        }
        for answer in report.answers {
            let (answerStatus, summary) = judge(answer, policy: policy)
            status = max(status, answerStatus)
            summaries.append(summary)
            details += answer.warnings.map { "warning: \($0)" }
            details += answer.limits.map { "limit: \($0.text)" }
        }
        if listeningFailed {
            status = max(status, policy.unobservedIs)
            summaries.append("the wire was not observed")
        }
        // Two masters still advertising when listening ended may be a split brain: never OK.
        if let listening = report.listening, listening.undecidedUntil != nil {
            status = max(status, .warning)
            summaries.append("two masters still advertised when listening ended after \(formatted(listening.seconds)) s, not yet told apart as a split brain or a master change (listen longer)")
        }
        details += report.limits.map { "limit: \($0.text)" }

        let warnings = report.answers.reduce(0) { $0 + $1.warnings.count }
        let limits = report.limits.count + report.answers.reduce(0) { $0 + $1.limits.count }
        var perfdata = report.listening.map { ["listened=\(formatted($0.seconds))s;;;0"] } ?? []
        perfdata += ["answers=\(report.answers.count);;;0", "warnings=\(warnings);;;0", "limits=\(limits);;;0"]
        let text = summaries.joined(separator: "; ")
        return Result(status: status, line: "HAEXPLAIN \(status.word) - \(Self.oneLine(text)) | \(perfdata.joined(separator: " "))",
                      details: details.map(Self.oneLine))
    }

    static func judge(_ answer: IPAnswer, policy: Policy) -> (Status, String) {
        let verdict = answer.verdict
        let address = answer.address.description
        var status: Status
        var summary: String
        switch verdict.owner {
        case .local, .peer:
            status = .ok
            summary = "\(address) owned by \(verdict.ownerHost ?? verdict.ownerName)" + (verdict.role.map { " (\($0))" } ?? "")
        case .conflict:
            status = .critical
            summary = "CONFLICT for \(address): \(verdict.reason)"
        case .none:
            status = .critical
            summary = "nobody holds \(address): \(verdict.reason)"
        case .unknown:
            status = .unknown
            summary = "owner of \(address) unknown: \(verdict.reason)"
        }
        if let expected = policy.expectOwner, verdict.owner == .local || verdict.owner == .peer,
           !matches(verdict, expected) {
            status = .critical
            summary += ", expected \(expected)"
        }
        if !answer.warnings.isEmpty, status == .ok {
            status = max(status, policy.warningsAre)
            summary += " (\(answer.warnings.count) warning\(answer.warnings.count == 1 ? "" : "s"): \(answer.warnings[0]))"
        }
        return (status, summary)
    }

    /// An expected owner names the host, one of its addresses or its MAC, case aside.
    static func matches(_ verdict: Verdict, _ expected: String) -> Bool {
        let wanted = expected.lowercased()
        if verdict.ownerHost?.lowercased() == wanted || verdict.ownerMac?.lowercased() == wanted { return true }
        if let owner = verdict.ownerAddress, let address = IPAddress(expected) { return owner == address }
        return false
    }

    /// The status line must stay one line: monitoring systems cut at the first newline, and
    /// '|' starts the performance data.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 == "|" ? "/" : $0 })
    }

    static func formatted(_ seconds: Double) -> String { DurationText.tenths(seconds) }
}
