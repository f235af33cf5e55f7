import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore
import HAModel

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

enum FileOutput {
    static func standardOutput(_ text: String) { write(text, to: 1) }
    static func standardError(_ text: String) { write(text, to: 2) }
    static func standardOutput(bytes: UnsafeBufferPointer<UInt8>) { write(bytes, to: 1) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { write($0, to: fd) }
    }

    private static func write(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return  // a closed pipe (`| head`) is not an error worth a message
            }
            offset += written
        }
    }
}
