import Foundation
import Testing

/// Every JSON document a test makes haexplain write is checked against its JSON Schema
/// (schemas/validate.py, Debian's python3-jsonschema): Shell.run calls `check` for each run
/// of the haexplain binary, so a field the encoder writes and the schema does not describe
/// fails the test that produced it, with the JSON path and the validator's message. The
/// SeedLab helpers (ip, snapshot, haexplain on a node) and HAExplainBinary.run/json all go
/// through Shell.run.
public enum SchemaCheck {
    /// The document kinds, as haexplain's subcommands name them.
    public static let kinds: Set<String> = ["ip", "check", "addr", "neigh", "keepalived", "hosts", "vrrp", "haproxy", "snapshot"]
    /// Kinds that are not a command's whole output (each line of `vrrp --watch --json`, `ip --watch --json`).
    public static let lineKinds: Set<String> = ["vrrp-watch", "ip-watch"]

    /// Debian's python3, which has python3-jsonschema; `python3` on PATH may be another one.
    public static let python = "/usr/bin/python3"
    public static let validator = HAExplainBinary.packageRoot.appendingPathComponent("schemas/validate.py").path

    /// A document that does not validate: where, and why, in the validator's words.
    public struct Violation: Error, CustomStringConvertible {
        public let kind: String
        public let command: [String]
        public let report: String
        public var description: String {
            "the \(kind) JSON of `\(command.joined(separator: " "))` does not validate against schemas/\(kind).schema.json:\n\(report)"
        }
    }

    /// The kind of JSON document haexplain writes to stdout for `arguments` (those after the
    /// binary), or nil when it writes none: no --json (snapshot always writes JSON), help,
    /// or --watch, whose JSON Lines are events, not one document.
    public static func documentKind(_ arguments: [String]) -> String? {
        guard let command = arguments.first, kinds.contains(command) else { return nil }
        let skip: Set<String> = ["--help", "-h", "--watch", "--version", "--generate-completion-script"]
        guard !arguments.contains(where: skip.contains) else { return nil }
        return command == "snapshot" || arguments.contains("--json") ? command : nil
    }

    /// Validates `document` as a `kind` document; throws a Violation naming each failing path.
    public static func validate(kind: String, document: String, command: [String] = []) throws {
        // One validator for the whole test run (Python and the schemas loaded once): a check
        // that costs milliseconds does not widen the gap between haexplain and the reference
        // tool a parity test runs next. Should it be unavailable, a run of its own says why.
        let result = try server?.validate(kind: kind, document: document)
            ?? { let run = try Shell.run([python, validator, kind, "-"], stdin: document, timeout: 60)
                 return (run.status, run.stdout + run.stderr) }()
        guard result.status != 0 else { return }
        let report = result.report.trimmingCharacters(in: .whitespacesAndNewlines)
        throw Violation(kind: kind, command: command,
                        report: result.status == 1 ? report : "the validator could not run (exit \(result.status); is python3-jsonschema installed? `make deps`): \(report)")
    }

    private static let server: ValidatorServer? = try? ValidatorServer()

    /// Called by Shell.run with every command it ran: when `argv` ran the haexplain binary
    /// (directly, or through ip netns exec, nsenter, unshare, lab.sh run) and it wrote a JSON
    /// document, that document is validated; a violation is recorded as a test issue, so the
    /// test fails even where its caller ignores errors.
    static func check(_ argv: [String], _ result: Shell.Result) {
        guard result.status != 124, !result.stdout.isEmpty,
              let binary = argv.firstIndex(where: { $0 == HAExplainBinary.path || $0.hasSuffix("/.build/debug/haexplain") || $0.hasSuffix("/.build/release/haexplain") }),
              let kind = documentKind(Array(argv[(binary + 1)...])) else { return }
        do {
            try validate(kind: kind, document: result.stdout, command: argv)
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// `validate.py --serve`, started once: requests are "KIND LENGTH\n" and the document, answers
/// "STATUS LENGTH\n" and the report. It exits when this process ends (its input closes).
private final class ValidatorServer: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let lock = NSLock()
    private var broken = false

    init() throws {
        process.executableURL = URL(fileURLWithPath: SchemaCheck.python)
        process.arguments = [SchemaCheck.validator, "--serve"]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// nil when the server is gone (then the caller runs the validator on its own).
    func validate(kind: String, document: String) -> (status: Int32, report: String)? {
        lock.withLock {
            guard !broken else { return nil }
            let body = Data(document.utf8)
            do {
                try input.fileHandleForWriting.write(contentsOf: Data("\(kind) \(body.count)\n".utf8) + body)
                let header = String(decoding: try readLine(), as: UTF8.self).split(separator: " ")
                guard header.count == 2, let status = Int32(header[0]), let length = Int(header[1]) else { throw CocoaError(.fileReadCorruptFile) }
                return (status, String(decoding: try read(length), as: UTF8.self))
            } catch {
                broken = true
                return nil
            }
        }
    }

    private func readLine() throws -> Data {
        var line = Data()
        while true {
            let byte = try read(1)
            if byte.first == UInt8(ascii: "\n") { return line }
            line += byte
        }
    }

    private func read(_ count: Int) throws -> Data {
        var data = Data()
        while data.count < count {
            guard let chunk = try output.fileHandleForReading.read(upToCount: count - data.count), !chunk.isEmpty else {
                throw CocoaError(.fileReadUnknown)
            }
            data += chunk
        }
        return data
    }
}
