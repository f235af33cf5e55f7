#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore
import HAModel
import KeepalivedConfig
import SystemFacts
import SystemPackage

/// `--ask-keepalived`: signals the running keepalived for its JSON dump (SIGJSON, which
/// Debian's build has: `keepalived --version` lists JSON), waits (bounded) for the file it
/// writes in its own mount namespace, and reads it. Only with the explicit flag: it sends a
/// signal and makes keepalived write a file.
public enum KeepalivedAsking {
    /// keepalived's SIGJSON (lib/signals.h): SIGRTMIN + 2.
    public static var signalJSON: Int32 { __libc_current_sigrtmin() + 2 }

    public static func ask(_ process: RunningProcess, node: String, limits: inout [Limit]) -> KeepalivedSays? {
        let ourMount = ProcessTable.namespaceInode("/proc/self/ns/mnt")
        let path = ProcessGathering.seenBy(process, "/tmp/keepalived.json", ourMountNamespace: ourMount)
        let before = FileFact.stat(path)?.modified
        guard kill(process.pid, signalJSON) == 0 else {
            limits.append(Limit(source: .process("keepalived", pid: process.pid),
                               message: "keepalived (pid \(process.pid)) could not be asked for its dump: \(Errno(rawValue: errno)) (run as root)"))
            return nil
        }
        // keepalived writes the file from its VRRP process; wait (at most 3 s) until it is
        // newer than before and has stopped growing.
        var lastSize: Int64 = -1
        for _ in 0..<60 {
            usleep(50_000)
            guard let fact = FileFact.stat(path), fact.modified != before else { continue }
            if fact.size == lastSize, fact.size > 0 { break }
            lastSize = fact.size
        }
        guard let fact = FileFact.stat(path), fact.modified != before,
              let text = ProcessTable.readSmallFile(path, limit: 64 << 20) else {
            limits.append(Limit(source: .file(path), message: "keepalived (pid \(process.pid)) was sent SIGJSON but wrote no \(path) within 3 s (a build without JSON support ignores it)"))
            return nil
        }
        do {
            let instances = try KeepalivedJSONDump.decode(Array(text.utf8))
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let age = max(0, Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 - fact.modified)
            return KeepalivedSays(source: "\(path), written by keepalived (pid \(process.pid)) on SIGJSON \(String(format1: age)) s before it was read",
                                  node: node, instances: instances)
        } catch {
            limits.append(Limit(source: .file(path), message: "keepalived's dump \(path) could not be read: \(JSONReading.describe(error))"))
            return nil
        }
    }
}

extension String {
    /// One decimal, without Foundation.
    public init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
