#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Reads a whole configuration file in one go. Only regular files are read (opened
/// non-blocking first), so a FIFO or a device given by mistake cannot hang the command.
public enum ConfigFile {
    /// A snapshot is at most this big: a host with thousands of instances and a large hosts
    /// file makes a few MiB; the cap keeps a wrong file from costing gigabytes to decode.
    public static let maximumSnapshotSize = 64 << 20

    public static func read(_ path: String, what: String = "input files", maximumSize: Int = .max) throws(HAError) -> [UInt8] {
        let fd = try openRegular(path, what: what, maximumSize: maximumSize)
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

    /// Maps a whole regular file into memory (read-only; populated up front unless large), so
    /// a 500,000-line hosts file is scanned where the page cache holds it, without a copy.
    /// An empty file, or one mmap refuses, is read instead.
    public static func map(_ path: String) throws(HAError) -> FileBytes {
        let fd = try openRegular(path, what: "hosts files")
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return FileBytes(try read(path)) }
        let size = Int(info.st_size)
        guard size > 0 else { return FileBytes([]) }
        // A large file is not populated up front: its scans hand pages back as they pass
        // (FileBytes.passed), so memory stays a window, not the file's length.
        let large = size > FileBytes.scanWindow * 2
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | (large ? 0 : MAP_POPULATE), fd, 0), base != MAP_FAILED else {
            return FileBytes(try read(path))
        }
        if large { _ = madvise(base, size, MADV_SEQUENTIAL) }
        let buffer = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt8.self), count: size)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return FileBytes(unsafeBuffer: buffer, release: { munmap(base, size) }, dropPages: { range in
            // Whole pages only; the page holding the current line stays.
            let start = range.lowerBound / page * page
            let end = range.upperBound / page * page
            if end > start { _ = madvise(base + start, end - start, MADV_DONTNEED) }
        })
    }

    /// Opens `path` for reading if it is a regular file (non-blocking first, so a FIFO cannot hang us).
    static func openRegular(_ path: String, what: String = "input files", maximumSize: Int = .max) throws(HAError) -> Int32 {
        try OpenFile.openRegular(path, what: what, maximumSize: maximumSize).fd
    }

    /// The file's text, or nil when it cannot be read (optional system files degrade the answer).
    public static func text(_ path: String) -> String? {
        (try? read(path)).map { String(decoding: $0, as: UTF8.self) }
    }
}
