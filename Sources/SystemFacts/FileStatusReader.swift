import HAModel
import SystemPackage

extension FileStatus {
    /// lstat(2) (`follow` false) or stat(2) of a path; nil when it cannot be seen.
    public static func read(_ path: String, follow: Bool) -> FileStatus? {
        guard let info = try? Stat(FilePath(path), followTargetSymlink: follow) else { return nil }
        let kind: Kind = switch info.type {
        case .regular: .regular
        case .directory: .directory
        case .symbolicLink: .symlink
        default: .other
        }
        return FileStatus(kind: kind, uid: info.userID.rawValue, gid: info.groupID.rawValue, mode: UInt32(info.permissions.rawValue))
    }
}
