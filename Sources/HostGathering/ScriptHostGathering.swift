#if canImport(Glibc)
import Glibc
#endif
import HAModel
import KeepalivedConfig
import Processes
import SystemFacts

/// The files, users and PATH keepalived would look at before running its scripts, read in
/// its mount namespace (through /proc/PID/root when that is another one).
public enum ScriptHostGathering {
    public static func host(keepalived: RunningProcess?) -> ScriptHost {
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
            lstat: { FileStatus.read(seen($0), follow: false) },
            stat: { FileStatus.read(seen($0), follow: true) },
            realPath: { path in
                ProcessTable.realPath(seen(path)).map { real in root.isEmpty || !real.hasPrefix(root) ? real : String(real.dropFirst(root.count)) }
            },
            searchPath: search ?? ScriptHost.defaultSearchPath)
    }
}
