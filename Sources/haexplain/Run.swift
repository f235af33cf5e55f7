import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore
import HAModel
import SystemFacts
import HostGathering

/// How every command ends: output to stdout, an HAError to stderr as one sentence with the
/// documented exit status.
enum Run {
    static func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as HAError {
            FileOutput.standardError("haexplain: \(TerminalText.escaped(error.description))\n")
            throw ExitCode(error.kind.rawValue)
        }
    }

    /// The text boundary: whatever a renderer or the JSON encoder made, no control character
    /// or escape sequence but its own line feeds reaches the terminal.
    static func emit(_ text: String, colored: Bool = false) {
        var text = TerminalText.escaped(text, keepingNewlines: true)
        if colored { text = Highlight.apply(text) }
        FileOutput.standardOutput(text.hasSuffix("\n") ? text : text + "\n")
    }

    /// Prints `value` as JSON (`--json`) or as the text `render` makes of it. JSON is
    /// indented for a terminal and compact (as `ip -j`) for a pipe or file.
    static func emit<T: Encodable>(_ value: T, json: Bool, render: (T) -> String) throws {
        if json {
            try JSONOutput.write(value, pretty: isatty(1) != 0, to: FileOutput.standardOutput(bytes:))
        } else {
            emit(render(value))
        }
    }
}
