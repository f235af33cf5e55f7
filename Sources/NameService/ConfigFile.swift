#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Reads a whole configuration file in one go. Only regular files are read (opened
/// non-blocking first), so a FIFO or a device given by mistake cannot hang the command.
public enum ConfigFile {
    public static func read(_ path: String) throws(HAError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            let reason = code == ENOENT ? "no such file" : String(cString: strerror(code))
            throw HAError(code == EACCES ? .noPermission : .noInput, "cannot read: \(reason)", file: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw HAError(.noInput, "not a regular file; give the path of a hosts-style text file", file: path)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw HAError(.noInput, "read failed: \(String(cString: strerror(errno)))", file: path)
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return bytes
    }

    /// The file's text, or nil when it cannot be read (optional system files degrade the answer).
    public static func text(_ path: String) -> String? {
        (try? read(path)).map { String(decoding: $0, as: UTF8.self) }
    }
}
