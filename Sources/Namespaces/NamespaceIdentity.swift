import SystemPackage

/// Which namespace a namespace file stands for: the nsfs device and inode of /proc/PID/ns/net
/// (the number in "net:[4026531840]"), or of a bind mount such as /run/netns/NAME, which is
/// no symbolic link to read. Two files name the same namespace when both are equal.
public struct NamespaceIdentity: Sendable, Hashable {
    public var device: UInt64
    public var inode: UInt64

    /// stat(2) of the file, symlinks followed; nil when it cannot be seen.
    public init?(of path: String) {
        // The C string, not a FilePath: three namespaces are read per process.
        guard let info = path.withCString({ try? Stat($0) }) else { return nil }
        device = UInt64(info.deviceID.rawValue)
        inode = UInt64(info.inode.rawValue)
    }
}
