import HAModel
import HAProxyConfig

/// The answer of `haexplain haproxy --check`: the files read and every problem, each with a
/// stable code; `passes` is the exit status's decision (0 when true, 1 when false).
public struct HAProxyCheckReport: Codable, Sendable {
    public var schemaVersion = SchemaVersion.current
    public var files: [String]
    public var chosenBecause: String
    public var strict: Bool
    /// haproxy would start with these files (no refusal, a listener).
    public var starts: Bool
    public var passes: Bool
    public var problems: [HAProxyProblem]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", files, chosenBecause = "chosen_because", strict, starts, passes, problems
    }

    public init(_ check: HAProxyCheck, chosenBecause: String, strict: Bool) {
        files = check.configuration.files
        self.chosenBecause = chosenBecause
        self.strict = strict
        problems = check.problems
        starts = !problems.contains { $0.severity == .error }
        passes = starts && !(strict && !problems.isEmpty)
    }
}

/// `FILE:LINE: SEVERITY: MESSAGE [CODE]`, the form editors and CI annotators parse. One
/// problem a line; control characters from the configuration are shown as \xNN so a
/// hostile file cannot drive the terminal.
public enum LintLine {
    public static func format(file: String?, line: Int?, severity: String, message: String, code: String) -> String {
        var place = file.map(inert) ?? "-"
        if let line { place += ":\(line)" }
        return "\(place): \(severity): \(inert(message)) [\(code)]"
    }

    /// One line whatever the file says: the one escape function.
    static func inert(_ text: String) -> String { TerminalText.escaped(text) }
}

public enum HAProxyCheckText {
    public static func render(_ report: HAProxyCheckReport) -> String {
        report.problems.map {
            LintLine.format(file: $0.file, line: $0.line, severity: $0.severity.rawValue, message: $0.message, code: $0.code.rawValue) + "\n"
        }.joined()
    }
}
