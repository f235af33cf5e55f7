#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Which processes hold which sockets: every /proc/PID/fd/N whose link reads
/// "socket:[INODE]". Socket inodes are unique across network namespaces, so one scan of
/// our pid namespace serves any network namespace. Kept small on purpose: the process
/// table proper lives elsewhere.
public enum SocketOwners {
    /// Owners of the sockets with these inodes; processes we may not look into are skipped.
    public static func find(_ inodes: Set<UInt32>, proc: String = "/proc") -> [UInt32: [SocketOwner]] {
        guard !inodes.isEmpty, let dir = opendir(proc) else { return [:] }
        defer { closedir(dir) }
        var owners: [UInt32: [SocketOwner]] = [:]
        while let entry = readdir(dir) {
            let name = ProcessTable.entryName(entry)
            guard let pid = Int32(name) else { continue }
            guard let fds = opendir("\(proc)/\(pid)/fd") else { continue }
            var command: String?
            while let fdEntry = readdir(fds) {
                guard let fd = Int32(ProcessTable.entryName(fdEntry)),
                      let inode = socketInode(ProcessTable.readLink("\(proc)/\(pid)/fd/\(fd)")), inodes.contains(inode) else { continue }
                if command == nil { command = commandName(proc: proc, pid: pid) }
                owners[inode, default: []].append(SocketOwner(pid: pid, command: command ?? "?", fd: fd))
            }
            closedir(fds)
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
        let fd = open("\(proc)/\(pid)/comm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count > 0 else { return nil }
        var text = String(decoding: buffer[0..<count], as: UTF8.self)
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
