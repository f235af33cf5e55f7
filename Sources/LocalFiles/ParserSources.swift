#if canImport(Glibc)
import Glibc
#endif
import HAModel
import HAProxyConfig
import KeepalivedConfig
import SystemPackage

/// keepalived configurations are kilobytes; anything this big is a mistake, not a config.
public let maximumConfigFileSize = 32 * 1024 * 1024

/// haproxy configurations are kilobytes; a file this big is refused as not a configuration.
public let maximumHAProxyFileSize = 32 * 1024 * 1024

/// The keepalived reader's files from the local filesystem, through the bounded reader.
public struct LocalConfigFiles: ConfigFiles {
    public init() {}

    public func read(_ path: String) throws -> [UInt8] {
        try BoundedFile.read(path, what: "keepalived configuration", maximumSize: maximumConfigFileSize,
                             directoryHint: "name a file (keepalived.conf) or include DIR/*.conf")
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
        guard let info = try? Stat(FilePath(path)) else { return nil }
        return (info.userID.rawValue, info.mode.rawValue)
    }
}

/// haproxy's -f files and directories from the local filesystem, through the bounded reader
/// and the directory lister.
public struct LocalHAProxyFiles: HAProxyFiles {
    public init() {}

    public func kind(_ path: String) -> HAProxyFileKind {
        // stat follows symlinks, as haproxy's does.
        let info: Stat
        do { info = try Stat(FilePath(path)) } catch { return .missing(error.description) }
        switch info.type {
        case .regular: return .regular
        case .directory: return .directory
        default: return .other
        }
    }

    public func read(_ path: String) throws(HAError) -> [UInt8] {
        try BoundedFile.read(path, what: "haproxy configuration", maximumSize: maximumHAProxyFileSize)
    }

    public func names(in directory: String) throws(HAError) -> [String] {
        try DirectoryListing.names(in: directory, what: "haproxy configuration directory")
    }
}
