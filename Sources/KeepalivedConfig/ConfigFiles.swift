#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Where the reader gets file contents and include matches from. The disk's is
/// `LocalConfigFiles` (module LocalFiles); tests and the fuzzer give files in memory, so
/// the parser needs no filesystem.
public protocol ConfigFiles: Sendable {
    /// The whole file, or an HAError (noInput when missing/unreadable/not a regular file,
    /// dataError when it is too big to be a configuration).
    func read(_ path: String) throws -> [UInt8]
    /// The paths an include pattern matches, sorted as glob(3) sorts them.
    func glob(_ pattern: String) -> [String]
    /// Owner uid and mode bits of a file, for script security; nil when it cannot be seen.
    func owner(_ path: String) -> (uid: UInt32, mode: UInt32)?
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
