/// A path's type, owner and permission bits, as lstat(2)/stat(2) give them.
public struct FileStatus: Sendable, Equatable {
    public enum Kind: Sendable { case regular, directory, symlink, other }
    public var kind: Kind
    public var uid: UInt32
    public var gid: UInt32
    /// Permission bits with setuid, setgid and sticky (st_mode & 07777).
    public var mode: UInt32

    public init(kind: Kind, uid: UInt32, gid: UInt32, mode: UInt32) {
        self.kind = kind
        self.uid = uid
        self.gid = gid
        self.mode = mode
    }
}
