#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Where the reader gets file contents and include matches from. The real one reads the
/// disk; tests and the fuzzer give it files in memory, so the parser needs no filesystem.
public protocol ConfigFiles: Sendable {
    /// The whole file, or an HAError (noInput when missing/unreadable/not a regular file,
    /// dataError when it is too big to be a configuration).
    func read(_ path: String) throws -> [UInt8]
    /// The paths an include pattern matches, sorted as glob(3) sorts them.
    func glob(_ pattern: String) -> [String]
    /// Owner uid and mode bits of a file, for script security; nil when it cannot be seen.
    func owner(_ path: String) -> (uid: UInt32, mode: UInt32)?
}

/// keepalived configurations are kilobytes; anything this big is a mistake, not a config.
public let maximumConfigFileSize = 32 * 1024 * 1024

/// Reads from the local filesystem without ever blocking: a FIFO or device given as a
/// config is refused after fstat, before any read.
public struct LocalConfigFiles: ConfigFiles {
    public init() {}

    public func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw HAError(.noInput, "cannot open configuration file: \(reason)", file: path)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw HAError(.noInput, "cannot stat configuration file: \(String(cString: strerror(errno)))", file: path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw HAError(.noInput, "is a directory, not a configuration file; name a file (keepalived.conf) or include DIR/*.conf", file: path)
        case S_IFIFO: throw HAError(.noInput, "is a FIFO, not a configuration file; haexplain does not read pipes (it could wait forever)", file: path)
        default: throw HAError(.noInput, "is not a regular file", file: path)
        }
        guard info.st_size <= maximumConfigFileSize else {
            throw HAError(.dataError, "is \(info.st_size) bytes; a keepalived configuration over \(maximumConfigFileSize / 1024 / 1024) MiB is refused as not a configuration", file: path)
        }
        return try OpenFile.readAll(fd, size: Int(info.st_size), path: path)
    }

    public func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        // GLOB_BRACE as keepalived uses it: "{a,b}.conf" expands.
        guard Glibc.glob(pattern, GLOB_BRACE, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
    }

    public func owner(_ path: String) -> (uid: UInt32, mode: UInt32)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_mode)
    }
}

/// Files held in memory (tests, fuzzing). Patterns match with fnmatch(3) semantics.
public struct InMemoryConfigFiles: ConfigFiles {
    public var files: [String: [UInt8]]
    public var owners: [String: (uid: UInt32, mode: UInt32)] = [:]

    public init(_ files: [String: String]) {
        self.files = files.mapValues { Array($0.utf8) }
    }

    public init(bytes: [String: [UInt8]]) { self.files = bytes }

    public func read(_ path: String) throws -> [UInt8] {
        guard let bytes = files[ConfigPath.normalize(path)] ?? files[path] else {
            throw HAError(.noInput, "cannot open configuration file: No such file or directory", file: path)
        }
        return bytes
    }

    public func glob(_ pattern: String) -> [String] {
        let normalized = ConfigPath.normalize(pattern)
        guard normalized.contains(where: { "*?[".contains($0) }) else {
            return files[normalized] != nil ? [normalized] : []
        }
        return files.keys.filter { fnmatch(normalized, $0, FNM_PATHNAME) == 0 }.sorted()
    }

    public func owner(_ path: String) -> (uid: UInt32, mode: UInt32)? { owners[path] }
}

enum ConfigPath {
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// keepalived changes directory to each included file's own, so a relative include is
    /// relative to the file that names it.
    static func resolve(_ name: String, from including: String) -> String {
        if name.hasPrefix("/") { return name }
        let dir = directory(of: including)
        return normalize(dir == "." ? name : dir + "/" + name)
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }
}
