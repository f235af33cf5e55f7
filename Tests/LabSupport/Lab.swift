import Foundation
import SystemFacts

/// Runs programs for tests and reference-tool comparisons. Test-only: the product never
/// shells out.
public enum Shell {
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
        public var succeeded: Bool { status == 0 }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let command: [String]
        public let result: Result
        public init(command: [String], result: Result) {
            self.command = command
            self.result = result
        }
        public var description: String {
            "`\(command.joined(separator: " "))` exited \(result.status): \(result.stderr)\(result.stdout)"
        }
    }

    /// Runs `argv` to completion (killed after `timeout` seconds) and captures its output.
    /// It uses posix_spawn and waitpid directly: Foundation's Process, from many parallel
    /// tests at once, left children unreaped and readers waiting forever.
    @discardableResult
    public static func run(_ argv: [String], stdin: String? = nil, environment: [String: String]? = nil,
                           timeout: TimeInterval = 60) throws -> Result {
        _ = ignoreSIGPIPE
        let outcome = try ProgramRunner.run(argv, timeout: timeout, input: stdin.map { Array($0.utf8) }, environment: environment)
        let result = Result(status: outcome.timedOut ? 124 : outcome.status,
                            stdout: String(decoding: outcome.stdout, as: UTF8.self), stderr: outcome.stderr)
        // Every JSON document haexplain writes in a test must validate against its schema.
        SchemaCheck.check(argv, result)
        return result
    }

    /// A child that exits before reading its input must not kill the test process.
    private static let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Runs `argv` and returns its stdout, throwing when it fails.
    @discardableResult
    public static func check(_ argv: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> String {
        let result = try run(argv, stdin: stdin, timeout: timeout)
        guard result.succeeded else { throw Failure(command: argv, result: result) }
        return result.stdout
    }

}

/// Whether this process may build network namespaces (root, and `ip netns` works).
public enum Privilege {
    public static let canUseNamespaces: Bool = {
        guard getuid() == 0 else { return false }
        let name = "hxprobe-\(getpid())"
        guard (try? Shell.run(["ip", "netns", "add", name]))?.succeeded == true else { return false }
        _ = try? Shell.run(["ip", "netns", "del", name])
        return true
    }()

    public static let namespaceSkipReason = "needs root and network namespaces (CI runs these as root)"
}

/// A set of network namespaces (and the daemons started in them) owned by one test. Names
/// carry a prefix and this process's PID so parallel tests and stale runs never collide;
/// `teardown()` (also run on deinit) kills what it started by PID and deletes the namespaces,
/// whether the test passed or not.
public final class NetnsLab: @unchecked Sendable {
    public let prefix: String
    private var namespaces: [String] = []
    private var daemons: [Daemon] = []
    private let lock = NSLock()
    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    public init(prefix: String) {
        self.prefix = prefix
        NetnsLab.removeStale(prefix: prefix)
    }

    deinit { teardown() }

    /// Creates a namespace named `<prefix>-<pid>-<n>-<role>` (at most 255 characters).
    public func namespace(_ role: String) throws -> String {
        let number: Int = NetnsLab.counterLock.withLock { NetnsLab.counter += 1; return NetnsLab.counter }
        let name = "\(prefix)-\(getpid())-\(number)-\(role)"
        try Shell.check(["ip", "netns", "add", name])
        lock.withLock { namespaces.append(name) }
        try Shell.check(["ip", "-n", name, "link", "set", "lo", "up"])
        return name
    }

    /// `ip -n NS ARGS...`
    @discardableResult
    public func ip(_ netns: String, _ args: String...) throws -> String {
        try Shell.check(["ip", "-n", netns] + args)
    }

    /// Runs a command inside `netns` to completion.
    @discardableResult
    public func exec(_ netns: String, _ argv: [String], timeout: TimeInterval = 60) throws -> Shell.Result {
        try Shell.run(["ip", "netns", "exec", netns] + argv, timeout: timeout)
    }

    /// Starts a long-running program inside `netns`, in a pid namespace of its own when
    /// asked (so `killall -0 haproxy` there sees only that node's processes) and with a
    /// private mount namespace (so /run and /tmp binds stay local). It is killed on teardown.
    @discardableResult
    public func spawn(_ netns: String, _ argv: [String], ownPIDNamespace: Bool = true,
                      output: URL? = nil) throws -> Daemon {
        var command = ["ip", "netns", "exec", netns]
        if ownPIDNamespace {
            // --kill-child: when unshare dies, its child (the namespace's init) dies too.
            command += ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]
        }
        let daemon = try Daemon(command + argv, output: output?.path ?? "/dev/null")
        lock.withLock { daemons.append(daemon) }
        return daemon
    }

    /// Stops one spawned program (SIGTERM, then SIGKILL after two seconds).
    public func stop(_ daemon: Daemon) {
        daemon.stop()
        lock.withLock { daemons.removeAll { $0 === daemon } }
    }

    public func teardown() {
        let (toStop, toDelete): ([Daemon], [String]) = lock.withLock {
            defer { daemons = []; namespaces = [] }
            return (daemons, namespaces)
        }
        toStop.forEach { $0.stop() }
        for name in toDelete.reversed() {
            _ = try? Shell.run(["ip", "netns", "del", name])
        }
    }

    /// Deletes namespaces with this prefix left by a test process that no longer exists.
    static func removeStale(prefix: String) {
        guard let list = try? Shell.run(["ip", "netns", "list"]), list.succeeded else { return }
        for line in list.stdout.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            guard name.hasPrefix(prefix + "-") else { continue }
            let rest = name.dropFirst(prefix.count + 1)
            guard let pid = Int32(rest.split(separator: "-").first ?? ""), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH {
                _ = try? Shell.run(["ip", "netns", "del", name])
            }
        }
    }
}

/// The haexplain binary that `swift build` made, for end-to-end tests.
public enum HAExplainBinary {
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var path: String {
        let debug = packageRoot.appendingPathComponent(".build/debug/haexplain").path
        return FileManager.default.isExecutableFile(atPath: debug)
            ? debug : packageRoot.appendingPathComponent(".build/release/haexplain").path
    }

    /// Runs haexplain with `arguments`.
    public static func run(_ arguments: [String], timeout: TimeInterval = 60) throws -> Shell.Result {
        try Shell.run([path] + arguments, timeout: timeout)
    }

    /// Runs haexplain and parses its JSON output.
    public static func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try run(arguments + ["--json"])
        guard result.succeeded else { throw Shell.Failure(command: [path] + arguments, result: result) }
        guard let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Shell.Failure(command: [path] + arguments, result: result)
        }
        return object
    }
}

/// A program started in the background for a test, stopped by its PID.
public final class Daemon: @unchecked Sendable {
    public let pid: pid_t
    private var reaped = false
    private let lock = NSLock()

    public init(_ argv: [String], output: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let status = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        guard status == 0 else { throw Shell.Failure(command: argv, result: .init(status: status, stdout: "", stderr: String(cString: strerror(status)))) }
        self.pid = pid
    }

    public var isRunning: Bool {
        lock.withLock {
            guard !reaped else { return false }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                // WIFEXITED/WEXITSTATUS: a process that exited has no signal in the low 7 bits.
                if status & 0x7f == 0 { exited = (status >> 8) & 0xff }
            }
            return !reaped
        }
    }

    private var exited: Int32?
    /// The exit status, once the process has exited (nil while it runs, or when a signal killed it).
    public var exitStatus: Int32? { isRunning ? nil : lock.withLock { exited } }

    /// SIGTERM, then SIGKILL after two seconds; always reaped.
    public func stop() {
        guard isRunning else { return }
        // `unshare --fork` ignores SIGTERM while it waits, so tell its child (the pid
        // namespace's init) too; it exits cleanly and unshare follows.
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, SIGTERM) }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while isRunning, Date() < deadline { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            lock.withLock {
                var status: Int32 = 0
                if !reaped { _ = waitpid(pid, &status, 0); reaped = true }
            }
        }
    }

    deinit { stop() }
}

/// Polls `condition` every 100 ms for at most `timeout` seconds.
@discardableResult
public func poll(timeout: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(100_000)
    }
    return condition()
}
