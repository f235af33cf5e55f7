#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Reads a whole configuration file in one go. Only regular files are read (opened
/// non-blocking first), so a FIFO or a device given by mistake cannot hang the command.
public enum ConfigFile {
    public static func read(_ path: String) throws(HAError) -> [UInt8] {
        let fd = try openRegular(path)
        defer { close(fd) }
        var info = stat()
        _ = fstat(fd, &info)
        // Read straight into the array, growing it if the file grew since fstat.
        var capacity = max(Int(info.st_size) + 1, 4096)
        var bytes: [UInt8] = []
        while true {
            var failure: Int32 = 0
            var full = false
            bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
                while initialized < buffer.count {
                    let count = Glibc.read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
                    if count < 0 {
                        if errno == EINTR || errno == EAGAIN { continue }
                        failure = errno
                        return
                    }
                    if count == 0 { return }
                    initialized += count
                }
                full = true
            }
            if failure != 0 {
                throw HAError(.noInput, "read failed: \(String(cString: strerror(failure)))", file: path)
            }
            guard full else { break }
            // Filled the buffer: start over with room for more (rare: the file is growing).
            guard lseek(fd, 0, SEEK_SET) == 0 else {
                throw HAError(.noInput, "the file changed while it was read", file: path)
            }
            capacity *= 2
        }
        return bytes
    }

    /// Maps a whole regular file into memory (read-only, populated up front), so a
    /// 500,000-line hosts file is scanned where the page cache holds it, without a copy.
    /// An empty file, or one mmap refuses, is read instead.
    public static func map(_ path: String) throws(HAError) -> FileBytes {
        let fd = try openRegular(path)
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return FileBytes(try read(path)) }
        let size = Int(info.st_size)
        guard size > 0 else { return FileBytes([]) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            return FileBytes(try read(path))
        }
        let buffer = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
        return FileBytes(unsafeBuffer: buffer) { munmap(base, size) }
    }

    /// Opens `path` for reading if it is a regular file (non-blocking first, so a FIFO cannot hang us).
    static func openRegular(_ path: String) throws(HAError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            let reason = code == ENOENT ? "no such file" : String(cString: strerror(code))
            throw HAError(code == EACCES ? .noPermission : .noInput, "cannot read: \(reason)", file: path)
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw HAError(.noInput, "not a regular file (a directory, FIFO or device cannot be read as a file)", file: path)
        }
        return fd
    }

    /// The file's text, or nil when it cannot be read (optional system files degrade the answer).
    public static func text(_ path: String) -> String? {
        (try? read(path)).map { String(decoding: $0, as: UTF8.self) }
    }
}
