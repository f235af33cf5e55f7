import ArgumentParser
import HAExplainCore
import HAModel

/// `haexplain check`: `ip`'s answer as a monitoring plugin. The options are `ip`'s, so a check
/// asks exactly what an operator would; the status comes from MonitoringCheck.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "The verdict as a monitoring plugin: one status line, exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        discussion: """
            Follows the Monitoring Plugins guidelines (Nagios, Icinga, Naemon, Zabbix, Sensu): \
            'HAEXPLAIN STATUS - text | perfdata', then one line per warning and limit. CRITICAL: a conflict (split brain), \
            nobody holds the address, or --expect-owner is not met. WARNING: answered, with warnings, or listening ended \
            before two masters still advertising were told apart (it may be a split brain: listen longer). UNKNOWN: the owner \
            could not be told, nothing resolved, or the wire could not be listened to. Takes the options of `ip` that choose what is asked (not --brief or --color).
            """
    )

    @OptionGroup var ip: IPQuestion

    @Option(name: .customLong("expect-owner"), help: ArgumentHelp(
        "CRITICAL unless this host name, address or MAC owns the address.", valueName: "host|ip|mac"))
    var expectOwner: String?

    @Option(name: .customLong("warnings-are"), help: ArgumentHelp(
        "The status an answer with warnings gets: warning (default), ok or critical.", valueName: "status"))
    var warningsAre: CheckStatusArgument = .warning

    @Option(name: .customLong("unobserved-is"), help: ArgumentHelp(
        "The status when the wire could not be listened to: unknown (default), warning, critical or ok.", valueName: "status"))
    var unobservedIs: CheckStatusArgument = .unknown

    func run() throws {
        do {
            try ip.answer { report in
                let result = MonitoringCheck.evaluate(
                    report, policy: .init(expectOwner: expectOwner, warningsAre: warningsAre.status, unobservedIs: unobservedIs.status),
                    listeningAsked: ip.request.listensToTheWire)
                if ip.output.json {
                    try Run.emitJSON(CheckReport(status: result.status.word.lowercased(), exitStatus: result.status.rawValue,
                                                 line: result.line, details: result.details, answer: report))
                } else {
                    Run.emit(result.output)
                }
                return result.status.rawValue
            }
        } catch let exit as ExitCode where ![0, 1, 2, 3].contains(exit.rawValue) {
            // Bad usage or unreadable input: the plugins' UNKNOWN, with the error already said.
            throw ExitCode(MonitoringCheck.Status.unknown.rawValue)
        }
    }
}

enum CheckStatusArgument: String, ExpressibleByArgument, CaseIterable {
    case ok, warning, critical, unknown

    var status: MonitoringCheck.Status {
        switch self {
        case .ok: .ok
        case .warning: .warning
        case .critical: .critical
        case .unknown: .unknown
        }
    }
}

/// `check --json`: the status a monitoring system acts on, and the answer it came from.
struct CheckReport: Encodable {
    var schemaVersion = SchemaVersion.current
    var status: String
    var exitStatus: Int32
    var line: String
    var details: [String]
    var answer: IPReport

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", status, exitStatus = "exit_status", line, details, answer
    }
}
