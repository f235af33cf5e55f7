#if canImport(Glibc)
import Glibc
#endif
import HAModel
import LocalFiles

/// Which processes hold which sockets: every /proc/PID/fd/N whose link reads
/// "socket:[INODE]". Socket inodes are unique across network namespaces, so one scan of
/// our pid namespace serves any network namespace. Kept small on purpose: the process
/// table proper lives elsewhere.
public enum SocketOwners {
    /// Owners of the sockets with these inodes; processes we may not look into are skipped.
    public static func find(_ inodes: Set<UInt32>, proc: String = "/proc") -> [UInt32: [SocketOwner]] {
        guard !inodes.isEmpty, let names = DirectoryListing.names(in: proc) else { return [:] }
        var owners: [UInt32: [SocketOwner]] = [:]
        for name in names {
            guard let pid = Int32(name), let fds = DirectoryListing.names(in: "\(proc)/\(pid)/fd") else { continue }
            var command: String?
            for fdName in fds {
                guard let fd = Int32(fdName),
                      let inode = socketInode(ProcessTable.readLink("\(proc)/\(pid)/fd/\(fd)")), inodes.contains(inode) else { continue }
                if command == nil { command = commandName(proc: proc, pid: pid) }
                owners[inode, default: []].append(SocketOwner(pid: pid, command: command ?? "?", fd: fd))
            }
        }
        return owners
    }

    /// "socket:[12345]" -> 12345.
    public static func socketInode(_ link: String?) -> UInt32? {
        guard let link, link.hasPrefix("socket:["), link.hasSuffix("]") else { return nil }
        return UInt32(link.dropFirst(8).dropLast())
    }

    /// The kernel's name for the process (/proc/PID/comm), as ss prints it.
    static func commandName(proc: String, pid: Int32) -> String? {
        guard let bytes = ProcessTable.readBytes("\(proc)/\(pid)/comm", limit: 64) else { return nil }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    /// The table with each socket's owners filled in.
    public static func attach(to table: ListeningSocketTable, proc: String = "/proc") -> ListeningSocketTable {
        var table = table
        let owners = find(Set(table.sockets.map(\.inode)), proc: proc)
        for index in table.sockets.indices {
            table.sockets[index].owners = (owners[table.sockets[index].inode] ?? []).sorted { ($0.pid, $0.fd) < ($1.pid, $1.fd) }
        }
        return table
    }
}
