#if canImport(Glibc)
import Glibc
#endif

/// Reading an already opened, already checked regular file: shared by the configuration
/// readers, which differ only in what they refuse before reading.
public enum OpenFile {
    /// Up to `size` bytes from `fd`, retrying on EINTR; fewer if the file shrank meanwhile.
    public static func readAll(_ fd: Int32, size: Int, path: String) throws(HAError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var count = 0
        while count < bytes.count {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw HAError(.noInput, "cannot read configuration file: \(String(cString: strerror(errno)))", file: path)
            }
            if got == 0 { break }
            count += got
        }
        return Array(bytes[0..<count])
    }
}
