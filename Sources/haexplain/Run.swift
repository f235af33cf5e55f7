import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// How every command ends: output to stdout, an HAError to stderr as one sentence with the
/// documented exit status.
enum Run {
    static func reporting(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as HAError {
            FileOutput.standardError("haexplain: \(error)\n")
            throw ExitCode(error.kind.rawValue)
        }
    }

    static func emit(_ text: String) {
        FileOutput.standardOutput(text.hasSuffix("\n") ? text : text + "\n")
    }
}

enum FileOutput {
    static func standardOutput(_ text: String) { write(text, to: 1) }
    static func standardError(_ text: String) { write(text, to: 2) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return  // a closed pipe (`| head`) is not an error worth a message
                }
                offset += written
            }
        }
    }
}
