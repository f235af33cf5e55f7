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

    /// Prints `value` as JSON (`--json`) or as the text `render` makes of it.
    static func emit<T: Encodable>(_ value: T, json: Bool, render: (T) -> String) throws {
        if json { try emitJSON(value) } else { emit(render(value)) }
    }

    /// The one JSON rule of every command: indented, and inert like any text, for a terminal;
    /// compact (one line, as `ip -j`) and exact, streamed, for a pipe or a file. A stream of
    /// documents (`vrrp --watch --json`) is one compact document per line instead.
    static func emitJSON<T: Encodable>(_ value: T) throws {
        if isatty(1) != 0 {
            emit(try JSONOutput.encode(value, pretty: true))
        } else {
            try JSONOutput.write(value, pretty: false, to: FileOutput.standardOutput(bytes:))
        }
    }
}
