#if canImport(Glibc)
import Glibc
#endif
import HAModel

extension FileStatus {
    /// lstat(2) (`follow` false) or stat(2) of a path; nil when it cannot be seen.
    public static func read(_ path: String, follow: Bool) -> FileStatus? {
        var info = stat()
        guard (follow ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        let kind: Kind = type == S_IFREG ? .regular : type == S_IFDIR ? .directory : type == S_IFLNK ? .symlink : .other
        return FileStatus(kind: kind, uid: info.st_uid, gid: info.st_gid, mode: info.st_mode & 0o7777)
    }
}
