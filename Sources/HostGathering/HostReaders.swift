import HAModel
import HAProxyConfig
import KeepalivedConfig
import LocalFiles
import Namespaces
import Netlink
import SystemFacts

/// The edges the gathering decisions read: the process table, namespace identities, the
/// configuration files, the host name and other programs. `system` reads this host; tests
/// give fakes, so which keepalived is this host's, how nodes are named, when `haproxy -vv`
/// is asked and where a track script runs are decided without root.
public struct HostReaders: Sendable {
    /// /proc's processes (read once per run by `system`).
    public var processes: @Sendable () -> [RunningProcess]
    /// The nsfs inode behind a namespace path (/proc/self/ns/net, /run/netns/NAME).
    public var namespaceInode: @Sendable (String) -> UInt64?
    /// The path `--netns NAME` names (/run/netns/NAME, or the path itself).
    public var namespacePath: @Sendable (String) -> String?
    /// A symbolic link's target (/proc/PID/cwd), nil when it cannot be read.
    public var readLink: @Sendable (String) -> String?
    public var hostname: @Sendable () -> String
    public var keepalivedFiles: any ConfigFiles
    public var haproxyFiles: any HAProxyFiles
    /// Runs a program with a timeout in seconds; nil when it could not be run.
    public var run: @Sendable (_ argv: [String], _ timeout: Double) -> ProgramRunner.Outcome?

    public init(processes: @escaping @Sendable () -> [RunningProcess],
                namespaceInode: @escaping @Sendable (String) -> UInt64?,
                namespacePath: @escaping @Sendable (String) -> String?,
                readLink: @escaping @Sendable (String) -> String?,
                hostname: @escaping @Sendable () -> String,
                keepalivedFiles: any ConfigFiles, haproxyFiles: any HAProxyFiles,
                run: @escaping @Sendable ([String], Double) -> ProgramRunner.Outcome?) {
        self.processes = processes
        self.namespaceInode = namespaceInode
        self.namespacePath = namespacePath
        self.readLink = readLink
        self.hostname = hostname
        self.keepalivedFiles = keepalivedFiles
        self.haproxyFiles = haproxyFiles
        self.run = run
    }

    /// /proc read once per run: finding keepalived's file and judging its scripts share it.
    private static let table: [RunningProcess] = ProcessTable.read()

    public static let system = HostReaders(
        processes: { table },
        namespaceInode: ProcessTable.namespaceInode,
        namespacePath: { try? NetworkNamespace.path(for: $0) },
        readLink: ProcessTable.readLink,
        hostname: HostIdentity.hostname,
        keepalivedFiles: LocalConfigFiles(), haproxyFiles: LocalHAProxyFiles(),
        run: { argv, timeout in try? ProgramRunner.run(argv, timeout: timeout) })
}
