#if canImport(Glibc)
import Glibc
#endif
import HAModel
import Synchronization
import SystemPackage

/// Runs another program (ssh for `--host`, `haproxy -vv`, track scripts) with a deadline and a
/// cap on what it may print. Nothing above this type sees a pid, a pipe or errno.
///
/// Not swift-subprocess 1.0.2 (evaluated for issue 14): its API is async only, and every `run`
/// awaits an unstructured `Task {}` (`withAsyncTaskCleanupHandler` in Configuration.swift calls
/// `withUncancelledTask`, Teardown.swift), which needs a free thread of the cooperative pool
/// whatever executor the caller prefers. Our callers are synchronous; blocked on that pool (as
/// Swift Testing runs every test) two callers on two cores deadlock, as a probe showed. It would
/// also cost ~28 s of CPU on a clean debug plus release build and ~1.8M instructions a run.
public enum ProgramRunner {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: String
        public var timedOut: Bool

        public init(status: Int32, stdout: [UInt8], stderr: String = "", timedOut: Bool = false) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
            self.timedOut = timedOut
        }
    }

    /// How long a program stopped at its deadline gets between SIGTERM and SIGKILL.
    public static let gracePeriod = 1.0

    /// Of stderr the last this many bytes are kept: a program's reason comes at the end.
    public static let stderrTail = 65536

    /// Pipes are made and a child spawned under one lock: glibc's pipe2 (atomic close-on-exec)
    /// is hidden from Swift, and between pipe and fcntl another thread's child would inherit
    /// our ends (`--host` runs one ProgramRunner per host at once).
    private static let spawning = Mutex(())

    /// `argv[0]` is looked up in PATH. The child reads `input` (small: it is written before
    /// any output is read) or /dev/null. `environment` replaces ours when given. Output
    /// beyond `limit` bytes is an error rather than unbounded memory. At the deadline the child
    /// gets SIGTERM, and SIGKILL `gracePeriod` later. `ownProcessGroup` puts the child in a
    /// process group of its own, so both signals reach what it started too (ssh's
    /// ProxyCommand, a script's children).
    public static func run(_ argv: [String], timeout seconds: Double, limit: Int = 64 << 20,
                           input: [UInt8]? = nil, environment: [String: String]? = nil,
                           ownProcessGroup: Bool = false) throws(HAError) -> Outcome {
        let (pid, out, err, stdin) = try spawning.withLock { _ throws(HAError) in
            try spawn(argv, input: input != nil, environment: environment, ownProcessGroup: ownProcessGroup)
        }
        defer { close(out); close(err) }
        if let input, let stdin {
            // A child that stops reading early (EPIPE) has what it wanted: its output is the answer.
            _ = try? FileDescriptor(rawValue: stdin).writeAll(input)
            close(stdin)
        }

        var stdout: [UInt8] = [], stderr: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        func keep(_ count: Int, isOut: Bool) {
            if isOut { stdout += chunk[0..<count]; return }
            stderr += chunk[0..<count]
            if stderr.count > stderrTail { stderr.removeFirst(stderr.count - stderrTail) }
        }
        var open: [(fd: Int32, isOut: Bool)] = [(out, true), (err, false)]
        let deadline = monotonicNow() + seconds
        var timedOut = false
        var overflow = false
        var status: Int32 = 0
        var reaped = false
        while !open.isEmpty {
            let remaining = deadline - monotonicNow()
            if remaining <= 0 { timedOut = true; break }
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000, 1000)) + 1)
            // By hand, not swift-system: poll has no wrapper there, and a retry recomputes the time left.
            if ready < 0 { if errno == EINTR { continue }; break }
            for (i, entry) in fds.enumerated() where entry.revents != 0 {
                let count: Int
                do {
                    count = try chunk.withUnsafeMutableBytes { try FileDescriptor(rawValue: entry.fd).read(into: $0) }
                } catch Errno.resourceTemporarilyUnavailable {
                    continue
                } catch {
                    count = 0
                }
                if count > 0 {
                    keep(count, isOut: open[i].isOut)
                    if stdout.count > limit { overflow = true }
                } else {
                    open[i].fd = -1
                }
            }
            open.removeAll { $0.fd < 0 }
            if overflow { break }
            // The child has exited but something it started still holds the pipes: what was
            // written is already there; its status is the answer, not that of the leftovers.
            if !open.isEmpty, waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                for entry in open {
                    var one = pollfd(fd: entry.fd, events: Int16(POLLIN), revents: 0)
                    while stdout.count <= limit, poll(&one, 1, 0) > 0, one.revents & Int16(POLLIN) != 0 {
                        guard let count = try? chunk.withUnsafeMutableBytes({ try FileDescriptor(rawValue: entry.fd).read(into: $0) }),
                              count > 0 else { break }
                        keep(count, isOut: entry.isOut)
                    }
                }
                break
            }
        }
        if timedOut || overflow { stop(pid, group: ownProcessGroup) }
        // By hand: swift-system has no waitpid.
        if !reaped { while waitpid(pid, &status, 0) < 0, errno == EINTR {} }
        if overflow {
            throw HAError(.dataError, "\(argv[0]) printed more than \(limit >> 20) MiB; stopped it")
        }
        // WIFEXITED/WEXITSTATUS are macros: decode the wait status by hand.
        let exited = status & 0x7f == 0
        return Outcome(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                       stdout: stdout, stderr: String(decoding: stderr, as: UTF8.self), timedOut: timedOut)
    }

    /// The child and our ends of its stdout, stderr and (with input) stdin pipes.
    private static func spawn(_ argv: [String], input: Bool, environment: [String: String]?,
                              ownProcessGroup: Bool) throws(HAError) -> (pid_t, Int32, Int32, Int32?) {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, !input || pipe(&inPipe) == 0 else {
            let reason = Errno(rawValue: errno)
            for fd in outPipe + errPipe where fd >= 0 { close(fd) }
            throw HAError(.unavailable, "cannot create a pipe to run \(argv[0]): \(reason)")
        }
        for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input {
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownProcessGroup {
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let cEnvironment = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
        defer { cEnvironment?.forEach { free($0) } }
        let spawned = cEnvironment.map { posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, $0) }
            ?? posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, environ)
        close(outPipe[1])
        close(errPipe[1])
        if input { close(inPipe[0]) }
        guard spawned == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            if input { close(inPipe[1]) }
            throw HAError(.unavailable, "cannot run \(argv[0]): \(Errno(rawValue: spawned))")
        }
        return (pid, outPipe[0], errPipe[0], input ? inPipe[1] : nil)
    }

    /// SIGTERM (ssh and scripts may tidy up), then SIGKILL for whatever is left once the child
    /// has gone or the grace period has passed. The child is not reaped here: unreaped, its
    /// pid cannot come to name another process or group before the SIGKILL.
    private static func stop(_ pid: pid_t, group: Bool) {
        let target = group ? -pid : pid
        kill(target, SIGTERM)
        let end = monotonicNow() + gracePeriod
        while monotonicNow() < end, !hasExited(pid) { usleep(10_000) }
        kill(target, SIGKILL)
    }

    /// Whether the child has exited, without reaping it (WNOWAIT; si_pid stays 0 while it runs).
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._sigchld.si_pid == pid
    }

    static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
