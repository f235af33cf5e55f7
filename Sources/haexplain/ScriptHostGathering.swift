#if canImport(Glibc)
import Glibc
#endif
import HAModel
import KeepalivedConfig
import Processes
import SystemFacts

/// The files, users and PATH keepalived would look at before running its scripts, read in
/// its mount namespace (through /proc/PID/root when that is another one).
enum ScriptHostGathering {
    static func host(keepalived: RunningProcess?) -> ScriptHost {
        let ourMount = ProcessTable.namespaceInode("/proc/self/ns/mnt")
        func seen(_ path: String) -> String { ProcessGathering.seenBy(keepalived, path, ourMountNamespace: ourMount) }
        let root = seen("")
        let environment = keepalived.flatMap { ProcessTable.environment(pid: $0.pid) }
        let search = environment?["PATH"].map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        let uid = keepalived?.uid ?? getuid()
        return ScriptHost(
            passwd: ProcessTable.readSmallFile(seen("/etc/passwd"), limit: 16 << 20),
            group: ProcessTable.readSmallFile(seen("/etc/group"), limit: 16 << 20),
            keepalivedUID: uid, keepalivedGID: uid == 0 ? 0 : getgid(),
            lstat: { status(seen($0), follow: false) },
            stat: { status(seen($0), follow: true) },
            realPath: { path in
                ProcessTable.realPath(seen(path)).map { real in root.isEmpty || !real.hasPrefix(root) ? real : String(real.dropFirst(root.count)) }
            },
            searchPath: search ?? ScriptHost.defaultSearchPath)
    }

    static func status(_ path: String, follow: Bool) -> FileStatus? {
        var info = stat()
        guard (follow ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        let type = info.st_mode & S_IFMT
        let kind: FileStatus.Kind = type == S_IFREG ? .regular : type == S_IFDIR ? .directory : type == S_IFLNK ? .symlink : .other
        return FileStatus(kind: kind, uid: info.st_uid, gid: info.st_gid, mode: info.st_mode & 0o7777)
    }
}
