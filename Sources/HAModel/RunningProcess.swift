/// One process as /proc shows it: what the process-matching tools (killall, pidof, pgrep)
/// look at, and where it runs (its namespaces), so a check can be judged from the namespace
/// it would run in.
public struct RunningProcess: Sendable, Codable, Equatable {
    public var pid: Int32
    public var ppid: Int32
    /// The kernel's task name (stat field 2): the executable's basename cut to 15 bytes.
    public var comm: String
    /// The argument vector (/proc/PID/cmdline split at NUL bytes).
    public var arguments: [String]
    /// The executable (/proc/PID/exe), when it could be read.
    public var exe: String?
    /// The state letter of stat field 3: R, S, D, Z (zombie), T, ...
    public var state: String
    /// Clock ticks after boot (stat field 22) and that instant as a date (UTC, ISO 8601).
    public var startTicks: UInt64
    public var startTime: String?
    /// Seconds since the epoch the process started, to compare with file modification times.
    public var startEpoch: Double?
    /// Real, effective and saved user ids (/proc/PID/status Uid:).
    public var uid: UInt32?
    public var euid: UInt32?
    public var savedUID: UInt32?
    /// Namespace inodes (/proc/PID/ns/net, pid, mnt): equal inode, same namespace.
    public var netNamespace: UInt64?
    public var pidNamespace: UInt64?
    public var mountNamespace: UInt64?
    /// The pid in each pid namespace from the reader's down to the process's own (NSpid:).
    public var namespacePIDs: [Int32]

    public init(pid: Int32, ppid: Int32, comm: String, arguments: [String], exe: String? = nil, state: String = "S",
                startTicks: UInt64 = 0, startTime: String? = nil, startEpoch: Double? = nil,
                uid: UInt32? = nil, euid: UInt32? = nil, savedUID: UInt32? = nil,
                netNamespace: UInt64? = nil, pidNamespace: UInt64? = nil, mountNamespace: UInt64? = nil, namespacePIDs: [Int32] = []) {
        self.pid = pid
        self.ppid = ppid
        self.comm = comm
        self.arguments = arguments
        self.exe = exe
        self.state = state
        self.startTicks = startTicks
        self.startTime = startTime
        self.startEpoch = startEpoch
        self.uid = uid
        self.euid = euid
        self.savedUID = savedUID
        self.netNamespace = netNamespace
        self.pidNamespace = pidNamespace
        self.mountNamespace = mountNamespace
        self.namespacePIDs = namespacePIDs.isEmpty ? [pid] : namespacePIDs
    }

    enum CodingKeys: String, CodingKey {
        case pid, ppid, comm, arguments = "cmdline", exe, state, startTicks = "start_ticks", startTime = "start_time"
        case startEpoch = "start_epoch", uid, euid, savedUID = "saved_uid"
        case netNamespace = "net_ns", pidNamespace = "pid_ns", mountNamespace = "mnt_ns", namespacePIDs = "ns_pids"
    }

    public var isZombie: Bool { state == "Z" }
    /// The command line as ps prints it: arguments joined by spaces.
    public var commandLine: String { arguments.joined(separator: " ") }

    /// Seconds since the epoch as RFC 3339 UTC (whole seconds).
    public static func isoDate(_ epoch: Double) -> String {
        UTCTime.format(seconds: Int64(epoch.rounded(.down)))
    }
}
