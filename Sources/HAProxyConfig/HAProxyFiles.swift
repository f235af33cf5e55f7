import HAModel

/// Where the reader gets files and directory listings. The disk's is `LocalHAProxyFiles`
/// (module LocalFiles); tests and the fuzzer give files in memory.
public protocol HAProxyFiles: Sendable {
    func kind(_ path: String) -> HAProxyFileKind
    /// The whole file; HAError noInput when it cannot be read, dataError when too big.
    func read(_ path: String) throws(HAError) -> [UInt8]
    /// The names in a directory (without "." and ".."), in any order.
    func names(in directory: String) throws(HAError) -> [String]
}

public enum HAProxyFileKind: Equatable, Sendable {
    case regular, directory, other
    case missing(String)
}

/// Files held in memory (tests, fuzzing); a directory is any path some file lies under.
public struct InMemoryHAProxyFiles: HAProxyFiles {
    public var files: [String: [UInt8]]

    public init(_ files: [String: String]) { self.files = files.mapValues { Array($0.utf8) } }
    public init(bytes: [String: [UInt8]]) { self.files = bytes }

    public func kind(_ path: String) -> HAProxyFileKind {
        if files[path] != nil { return .regular }
        let prefix = path.hasSuffix("/") ? path : path + "/"
        return files.keys.contains { $0.hasPrefix(prefix) } ? .directory : .missing("No such file or directory")
    }

    public func read(_ path: String) throws(HAError) -> [UInt8] {
        guard let bytes = files[path] else { throw HAError(.noInput, "cannot open configuration file: No such file or directory", file: path) }
        return bytes
    }

    public func names(in directory: String) throws(HAError) -> [String] {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        var names = Set<String>()
        for path in files.keys where path.hasPrefix(prefix) {
            if let name = path.dropFirst(prefix.count).split(separator: "/").first { names.insert(String(name)) }
        }
        return Array(names)
    }
}

enum HAProxyFileList {
    /// haproxy's -f arguments expanded as haproxy 2.6 does: a directory stands for its
    /// regular files whose name does not start with "." and whose first ".cfg" ends the
    /// name, sorted bytewise (scandir with alphasort in the C locale).
    static func expand(_ paths: [String], files: HAProxyFiles) throws(HAError) -> [String] {
        var result: [String] = []
        for path in paths {
            switch files.kind(path) {
            case .missing(let reason):
                throw HAError(.noInput, "cannot open configuration file/directory: \(reason)", file: path)
            case .directory:
                let names = try files.names(in: path).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
                for name in names where isLoaded(name) {
                    let full = path + "/" + name
                    if files.kind(full) == .regular { result.append(full) }
                }
            case .regular, .other:
                result.append(path)
            }
        }
        return result
    }

    /// strstr(name, ".cfg") must end the name: "a.cfg.cfg" is skipped, as haproxy skips it.
    static func isLoaded(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.first != UInt8(ascii: "."), bytes.count >= 4 else { return false }
        let suffix = Array(".cfg".utf8)
        guard let first = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == suffix }) else { return false }
        return first + 4 == bytes.count
    }
}
