#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// A daemon found in /proc by its command name: the eldest of its kind (the master, whose
/// parent is not the same program), with its arguments, working directory and environment.
public struct RunningProgram: Sendable {
    public var pid: Int32
    public var arguments: [String]
    public var workingDirectory: String?
    public var environment: [String: String]?

    public static func find(command: String, proc: String = "/proc") -> RunningProgram? {
        guard let dir = opendir(proc) else { return nil }
        defer { closedir(dir) }
        var candidates: [(pid: Int32, ppid: Int32)] = []
        while let entry = readdir(dir) {
            guard let pid = Int32(ProcessTable.entryName(entry)),
                  let stat = ProcessTable.readBytes("\(proc)/\(pid)/stat").map({ String(decoding: $0, as: UTF8.self) }),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            // stat is "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            guard stat[stat.index(after: open)..<close] == command else { continue }
            let rest = stat[stat.index(after: close)...].split(separator: " ")
            guard rest.count > 1, let ppid = Int32(rest[1]) else { continue }
            candidates.append((pid, ppid))
        }
        let pids = Set(candidates.map(\.pid))
        guard let eldest = candidates.filter({ !pids.contains($0.ppid) }).min(by: { $0.pid < $1.pid }) else { return nil }
        func strings(_ name: String) -> [String]? {
            ProcessTable.readBytes("\(proc)/\(eldest.pid)/\(name)", limit: 1 << 20)?.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        let environment = strings("environ").map { pairs in
            Dictionary(pairs.compactMap { pair -> (String, String)? in
                guard let equals = pair.firstIndex(of: "=") else { return nil }
                return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
            }, uniquingKeysWith: { first, _ in first })
        }
        return RunningProgram(pid: eldest.pid, arguments: strings("cmdline") ?? [],
                              workingDirectory: ProcessTable.readLink("\(proc)/\(eldest.pid)/cwd"), environment: environment)
    }
}
