#if canImport(Glibc)
import Glibc
#endif
import HAModel
import SystemPackage

/// The one way haexplain reads a file: opened without blocking (a FIFO with no writer cannot
/// hang it), only a regular file unless the caller asks for any kind, never more than a cap,
/// and every failure one `HAError` naming the file and what to do.
public enum BoundedFile {
    /// What to do with a file longer than the cap.
    public enum Oversize: Sendable {
        /// Refused as not what it claims to be (exit 65), before a byte is read when stat knows the size.
        case refuse
        /// Its first `maximumSize` bytes: /proc files, whose size stat does not know.
        case truncate
    }

    /// The whole file, at most `maximumSize` bytes. `what` names the input in messages, as
    /// an operator says it ("keepalived configuration", "snapshot"); `directoryHint` says what
    /// to give instead when a directory is named.
    public static func read(_ path: String, what: String, maximumSize: Int = .max, oversize: Oversize = .refuse,
                            directoryHint: String? = nil) throws(HAError) -> [UInt8] {
        let (fd, size) = try openRegular(path, what: what, maximumSize: oversize == .refuse ? maximumSize : .max,
                                         directoryHint: directoryHint)
        defer { try? fd.close() }
        var bytes = [UInt8](repeating: 0, count: min(max(size + 1, 4096), maximumSize == .max ? .max : maximumSize + 1))
        var count = 0
        // Read to the end, not to the size stat gave: /proc says 0, and a file may grow meanwhile.
        while true {
            if count == bytes.count {
                guard count <= maximumSize else { break }
                bytes.append(contentsOf: repeatElement(0, count: min(bytes.count, maximumSize - bytes.count + 1)))
            }
            let got: Int
            do {
                got = try bytes.withUnsafeMutableBytes { buffer in
                    try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
                }
            } catch {
                throw FileError.unreadable(path, what, reading: true, error)
            }
            if got == 0 { break }
            count += got
        }
        if count > maximumSize {
            guard oversize == .truncate else { throw FileError.oversize(path, what, size: count, maximum: maximumSize) }
            count = maximumSize
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// The file's text, or nil when it cannot be read (optional system files degrade the answer).
    public static func text(_ path: String, what: String, maximumSize: Int = .max, oversize: Oversize = .refuse) -> String? {
        (try? read(path, what: what, maximumSize: maximumSize, oversize: oversize)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Maps a whole regular file into memory (read-only; populated up front unless large), so
    /// a 500,000-line hosts file is scanned where the page cache holds it, without a copy.
    /// An empty file, or one mmap refuses, is read instead.
    public static func map(_ path: String, what: String) throws(HAError) -> FileBytes {
        let (fd, size) = try openRegular(path, what: what)
        defer { try? fd.close() }
        guard size > 0 else { return FileBytes([]) }
        // A large file is not populated up front: its scans hand pages back as they pass
        // (FileBytes.passed), so memory stays a window, not the file's length.
        let large = size > FileBytes.scanWindow * 2
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | (large ? 0 : MAP_POPULATE), fd.rawValue, 0), base != MAP_FAILED else {
            return FileBytes(try read(path, what: what))
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

    /// Opens `path` if it is a regular file no bigger than `maximumSize` (by fstat), with
    /// blocking reads restored; the caller closes the descriptor. Returns it and the size.
    public static func openRegular(_ path: String, what: String, maximumSize: Int = .max,
                                   directoryHint: String? = nil) throws(HAError) -> (fd: FileDescriptor, size: Int) {
        let fd: FileDescriptor
        do {
            // The C string, not a FilePath: /proc is read three files per process, and FilePath parses.
            fd = try path.withCString {
                try FileDescriptor.open($0, .readOnly, options: [.nonBlocking, .closeOnExec, FileDescriptor.OpenOptions(rawValue: O_NOCTTY)])
            }
        } catch {
            throw FileError.unreadable(path, what, reading: false, error)
        }
        let info: Stat
        do {
            info = try fd.stat()
        } catch {
            try? fd.close()
            throw FileError.unreadable(path, what, reading: true, error)
        }
        guard info.type == .regular else {
            try? fd.close()
            throw FileError.notRegular(path, what, info.type, directoryHint: directoryHint)
        }
        guard Int(info.size) <= maximumSize else {
            try? fd.close()
            throw FileError.oversize(path, what, size: Int(info.size), maximum: maximumSize)
        }
        // Reads may block from here on (a regular file's never wait on a writer). Of the flags
        // F_SETFL changes, only O_NONBLOCK was set, so 0 clears it. Not for a size-0 file: /proc's
        // are made by the kernel as they are read, and that saves a call per file of every process.
        if info.size > 0 { _ = fcntl(fd.rawValue, F_SETFL, 0) }
        return (fd, Int(info.size))
    }
}

/// The one mapping from a file that could not be read to what the operator is told. Exit
/// statuses as haexplain(1) documents them: 66 for input that could not be read (missing,
/// unreadable, not a regular file), 65 for a file too big to be what it claims.
enum FileError {
    static func unreadable(_ path: String, _ what: String, reading: Bool, _ error: any Error) -> HAError {
        let reason: String
        switch error as? Errno {
        case .noSuchFileOrDirectory?: reason = "no such file"
        case .permissionDenied?, .notPermitted?: reason = "permission denied; run as root or make it readable"
        case .notDirectory?: reason = "a component of the path is not a directory"
        case let code?: reason = code.description
        case nil: reason = "\(error)"
        }
        return HAError(.noInput, "cannot \(reading ? "read" : "open") the \(what): \(reason)", file: path)
    }

    static func notRegular(_ path: String, _ what: String, _ type: FileType, directoryHint: String?) -> HAError {
        let kind: String
        switch type {
        case .directory:
            return HAError(.noInput, "is a directory, not a regular file; \(directoryHint ?? "haexplain reads \(article(what)) from a regular file: name the file")", file: path)
        case .fifo: kind = "a FIFO"
        case .characterSpecial: kind = "a character device"
        case .blockSpecial: kind = "a block device"
        case .socket: kind = "a socket"
        default: kind = "a special file"
        }
        return HAError(.noInput, "is \(kind), not a regular file; haexplain reads \(article(what)) only from a regular file, which cannot make it wait forever", file: path)
    }

    static func oversize(_ path: String, _ what: String, size: Int, maximum: Int) -> HAError {
        HAError(.dataError, "is \(size) bytes, over the \(maximum >> 20) MiB \(article(what)) may have: refused as not \(article(what))", file: path)
    }

    static func article(_ noun: String) -> String {
        ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
    }
}
