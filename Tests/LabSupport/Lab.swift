import Foundation

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
        public var description: String {
            "`\(command.joined(separator: " "))` exited \(result.status): \(result.stderr)\(result.stdout)"
        }
    }

    /// Runs `argv` to completion (killed after `timeout` seconds) and captures its output.
    @discardableResult
    public static func run(_ argv: [String], stdin: String? = nil, environment: [String: String]? = nil,
                           timeout: TimeInterval = 60) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child cannot block on a full pipe.
        let outBox = DataBox(), errBox = DataBox()
        let group = DispatchGroup()
        for (pipe, box) in [(out, outBox), (err, errBox)] {
            group.enter()
            DispatchQueue.global().async {
                box.data = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(2_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        group.wait()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: outBox.data, as: UTF8.self),
                      stderr: String(decoding: errBox.data, as: UTF8.self))
    }

    /// Runs `argv` and returns its stdout, throwing when it fails.
    @discardableResult
    public static func check(_ argv: [String], stdin: String? = nil, timeout: TimeInterval = 60) throws -> String {
        let result = try run(argv, stdin: stdin, timeout: timeout)
        guard result.succeeded else { throw Failure(command: argv, result: result) }
        return result.stdout
    }

    private final class DataBox: @unchecked Sendable { var data = Data() }
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
    private var daemons: [Process] = []
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
                      output: URL? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var command = ["ip", "netns", "exec", netns]
        if ownPIDNamespace {
            // --kill-child: when unshare dies, its child (the namespace's init) dies too.
            command += ["unshare", "--pid", "--fork", "--kill-child", "--mount-proc"]
        }
        process.arguments = command + argv
        if let output {
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.standardOutput = handle
            process.standardError = handle
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        lock.withLock { daemons.append(process) }
        return process
    }

    /// Stops one spawned program (SIGTERM, then SIGKILL after two seconds).
    public func stop(_ process: Process) {
        NetnsLab.terminate(process)
        lock.withLock { daemons.removeAll { $0 === process } }
    }

    public func teardown() {
        let (toStop, toDelete): ([Process], [String]) = lock.withLock {
            defer { daemons = []; namespaces = [] }
            return (daemons, namespaces)
        }
        toStop.forEach(NetnsLab.terminate)
        for name in toDelete.reversed() {
            _ = try? Shell.run(["ip", "netns", "del", name])
        }
    }

    static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
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
