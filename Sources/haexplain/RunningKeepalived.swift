#if canImport(Glibc)
import Glibc
#endif
import HAModel
import KeepalivedConfig

/// The keepalived process running on this host, found in /proc by name, and the
/// configuration file and config id it was started with.
struct RunningKeepalived {
    var pid: Int32
    var commandLine: KeepalivedCommandLine
    var workingDirectory: String?

    /// The parent keepalived (the one whose parent is not keepalived), if any runs.
    static func find() -> RunningKeepalived? {
        guard let dir = opendir("/proc") else { return nil }
        defer { closedir(dir) }
        var candidates: [(pid: Int32, ppid: Int32)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard let pid = Int32(name), let stat = readSmallFile("/proc/\(pid)/stat") else { continue }
            // stat is "pid (comm) state ppid ...": comm may contain spaces, so split at the last ')'.
            guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let comm = stat[stat.index(after: open)..<close]
            guard comm == "keepalived" else { continue }
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            guard rest.count > 1, let ppid = Int32(rest[1]) else { continue }
            candidates.append((pid, ppid))
        }
        let pids = Set(candidates.map(\.pid))
        guard let parent = candidates.filter({ !pids.contains($0.ppid) }).min(by: { $0.pid < $1.pid }) ?? candidates.first else { return nil }
        let raw = readSmallFile("/proc/\(parent.pid)/cmdline") ?? ""
        let arguments = raw.split(separator: "\0", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
        return RunningKeepalived(pid: parent.pid, commandLine: KeepalivedCommandLine(arguments: arguments),
                                 workingDirectory: readLink("/proc/\(parent.pid)/cwd"))
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
