#if canImport(Glibc)
import Glibc
#endif
import HAModel
import LocalFiles
import Namespaces
import SystemPackage

/// The processes of the pid namespace haexplain sees, read from /proc; and the small file
/// facts (exists, kind, modification time) a track script or a config-freshness check needs.
/// Everything here only reads.
public enum ProcessTable {
    /// Every process in `/proc` (threads are not listed: the matching tools skip them too).
    /// A process that exits while being read is left out.
    public static func read(proc: String = "/proc") -> [RunningProcess] {
        guard let names = DirectoryListing.names(in: proc) else { return [] }
        let boot = bootTime(proc: proc)
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        var processes: [RunningProcess] = []
        for name in names {
            guard let pid = Int32(name), pid > 0, var process = process(pid, proc: proc) else { continue }
            if let boot, ticks > 0 {
                let epoch = Double(boot) + Double(process.startTicks) / ticks
                process.startEpoch = epoch
                process.startTime = RunningProcess.isoDate(epoch)
            }
            processes.append(process)
        }
        return processes.sorted { $0.pid < $1.pid }
    }

    static func process(_ pid: Int32, proc: String) -> RunningProcess? {
        let base = "\(proc)/\(pid)"
        // Bytes, not String: thousands of processes are parsed per run.
        guard let stat = readBytes("\(base)/stat"),
              let open = stat.firstIndex(of: UInt8(ascii: "(")), let close = stat.lastIndex(of: UInt8(ascii: ")")), open < close else { return nil }
        // comm may hold spaces and parentheses: it ends at the last ')'.
        let comm = String(decoding: stat[(open + 1)..<close], as: UTF8.self)
        let fields = stat[(close + 1)...].split(separator: UInt8(ascii: " "))
        guard fields.count > 19, let ppid = Int32(number: fields[1]), let start = UInt64(number: fields[19]) else { return nil }
        var arguments = (readBytes("\(base)/cmdline", limit: 1 << 20) ?? [])
            .split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        if arguments.last == "" { arguments.removeLast() }
        var uids: [UInt32] = []
        var nsPIDs: [Int32] = []
        for line in (readBytes("\(base)/status") ?? []).split(separator: UInt8(ascii: "\n")) {
            let isUID = line.starts(with: "Uid:".utf8), isNSPID = line.starts(with: "NSpid:".utf8)
            guard isUID || isNSPID else { continue }
            let values = line.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }).dropFirst()
            if isUID { uids = values.compactMap { UInt32(number: $0) } } else { nsPIDs = values.compactMap { Int32(number: $0) } }
        }
        return RunningProcess(pid: pid, ppid: ppid, comm: comm, arguments: arguments, exe: readLink("\(base)/exe"),
                              state: String(decoding: fields[0], as: UTF8.self), startTicks: start,
                              uid: uids.first, euid: uids.count > 1 ? uids[1] : nil, savedUID: uids.count > 2 ? uids[2] : nil,
                              netNamespace: namespaceInode("\(base)/ns/net"), pidNamespace: namespaceInode("\(base)/ns/pid"),
                              mountNamespace: namespaceInode("\(base)/ns/mnt"), namespacePIDs: nsPIDs)
    }

    /// A process's environment (/proc/PID/environ); nil when it may not be read.
    public static func environment(pid: Int32, proc: String = "/proc") -> [String: String]? {
        guard let bytes = readBytes("\(proc)/\(pid)/environ", limit: 1 << 20) else { return nil }
        var result: [String: String] = [:]
        for pair in bytes.split(separator: 0) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: pair[pair.startIndex..<equals], as: UTF8.self)
            if result[name] == nil { result[name] = String(decoding: pair[(equals + 1)...], as: UTF8.self) }
        }
        return result
    }

    /// The namespace a namespace file stands for, by its nsfs inode (see `NamespaceIdentity`).
    public static func namespaceInode(_ path: String) -> UInt64? {
        NamespaceIdentity(of: path)?.inode
    }

    static func bootTime(proc: String) -> Int64? {
        guard let stat = readSmallFile("\(proc)/stat", limit: 1 << 20),
              let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }) else { return nil }
        return Int64(line.dropFirst(6).trimmingPrefix(" "))
    }

    /// realpath(3): symlinks resolved; nil when the path does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = Glibc.realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The names in a directory, sorted bytewise; nil when `path` is not a readable directory.
    public static func directoryEntries(_ path: String) -> [String]? {
        DirectoryListing.names(in: path)
    }

    /// Reads at most `limit` bytes; /proc files report size 0, so read until EOF.
    public static func readSmallFile(_ path: String, limit: Int = 65536) -> String? {
        readBytes(path, limit: limit).map { String(decoding: $0, as: UTF8.self) }
    }

    /// At most `limit` bytes of a regular file (any /proc file is one); nil when unreadable or empty.
    static func readBytes(_ path: String, limit: Int = 65536) -> [UInt8]? {
        guard let bytes = try? BoundedFile.read(path, what: "process file", maximumSize: limit, oversize: .truncate),
              !bytes.isEmpty else { return nil }
        return bytes
    }

    public static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// What `test -e/-f/-d` and a freshness check need of one path (stat(2), symlinks followed).
public struct FileFact: Sendable, Equatable {
    public enum Kind: String, Sendable { case regular, directory, other }
    public var kind: Kind
    public var size: Int64
    public var modified: Double

    public static func stat(_ path: String) -> FileFact? {
        guard let info = try? Stat(FilePath(path)) else { return nil }
        let kind: Kind = info.type == .regular ? .regular : (info.type == .directory ? .directory : .other)
        return FileFact(kind: kind, size: info.size, modified: Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9)
    }
}

extension FixedWidthInteger {
    /// A decimal number from ASCII digits (no sign), as /proc prints them.
    init?(number digits: ArraySlice<UInt8>) {
        guard !digits.isEmpty else { return nil }
        var value: Self = 0
        for digit in digits {
            guard digit >= 48, digit <= 57 else { return nil }
            let (times, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times.addingReportingOverflow(Self(digit - 48))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        self = value
    }
}
