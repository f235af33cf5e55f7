#if canImport(Glibc)
import Glibc
#endif

/// Standard output and error written whole with write(2): no buffering, so a pipe sees each
/// line as it is made.
public enum FileOutput {
    public static func standardOutput(_ text: String) { write(text, to: 1) }
    public static func standardError(_ text: String) { write(text, to: 2) }
    public static func standardOutput(bytes: UnsafeBufferPointer<UInt8>) { write(bytes, to: 1) }

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
