#if canImport(Glibc)
import Glibc
#endif

/// Reading an already opened, already checked regular file: shared by the configuration
/// readers, which differ only in what they refuse before reading.
public enum OpenFile {
    /// The one rule for every input file: opened without blocking (a FIFO with no writer
    /// cannot hang us), then only a regular file is read; a FIFO, a device or a directory is
    /// refused at once, and so is a file over `maximumSize` bytes (`what` names the input in
    /// the message). Returns the open descriptor and the file's size.
    public static func openRegular(_ path: String, what: String, maximumSize: Int = .max) throws(HAError) -> (fd: Int32, size: Int) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        guard fd >= 0 else {
            let code = errno
            let reason = code == ENOENT ? "no such file" : String(cString: strerror(code))
            throw HAError(code == EACCES ? .noPermission : .noInput, "cannot read: \(reason)", file: path)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HAError(.noInput, "cannot read: \(reason)", file: path)
        }
        let kind: String?
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = nil
        case S_IFDIR: kind = "a directory"
        case S_IFIFO: kind = "a FIFO"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a regular file"
        }
        if let kind {
            close(fd)
            throw HAError(.noInput, "not a regular file (\(kind)): haexplain reads \(what) only from regular files, which cannot make it wait forever", file: path)
        }
        guard Int(info.st_size) <= maximumSize else {
            close(fd)
            throw HAError(.dataError, "is \(Int(info.st_size) >> 20) MiB, over the \(maximumSize >> 20) MiB \(what) may have", file: path)
        }
        // Reads may block from here on (a regular file's never wait on a writer).
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return (fd, Int(info.st_size))
    }

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
