#if canImport(Glibc)
import Glibc
#endif
import HAModel
import SystemPackage

/// The one directory lister: the names in a directory (without "." and ".."), sorted
/// bytewise as scandir(3) with alphasort sorts them in the C locale.
public enum DirectoryListing {
    /// `what` names the directory in messages ("haproxy configuration directory").
    public static func names(in path: String, what: String) throws(HAError) -> [String] {
        // swift-system has no directory reading; opendir/readdir are the plain calls.
        guard let dir = opendir(path) else {
            throw FileError.unreadable(path, what, reading: false, Errno(rawValue: errno))
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The names, or nil when `path` is not a readable directory.
    public static func names(in path: String) -> [String]? {
        try? names(in: path, what: "directory")
    }
}
