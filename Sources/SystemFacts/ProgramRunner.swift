#if canImport(Glibc)
import Glibc
#endif
import HAModel
import SystemPackage

/// Runs another program (ssh, for `--host`) with a deadline and a cap on what it may print.
/// Nothing above this type sees a pid, a pipe or errno.
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

    /// `argv[0]` is looked up in PATH. The child reads `input` (small: it is written before
    /// any output is read) or /dev/null. `environment` replaces ours when given. Output
    /// beyond `limit` bytes is an error rather than unbounded memory. `ownProcessGroup` puts
    /// the child in a process group of its own, so a timeout kills what it started as well.
    public static func run(_ argv: [String], timeout seconds: Double, limit: Int = 64 << 20,
                           input: [UInt8]? = nil, environment: [String: String]? = nil,
                           ownProcessGroup: Bool = false) throws(HAError) -> Outcome {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0, input == nil || pipe(&inPipe) == 0 else {
            throw HAError(.unavailable, "cannot create a pipe to run \(argv[0]): \(Errno(rawValue: errno))")
        }
        // Our ends must not leak into the child (or into anything else started meanwhile).
        for fd in outPipe + errPipe + inPipe where fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if input != nil {
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
        if input != nil { close(inPipe[0]) }
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else {
            if input != nil { close(inPipe[1]) }
            throw HAError(.unavailable, "cannot run \(argv[0]): \(Errno(rawValue: spawned))")
        }
        if let input {
            // A child that stops reading early (EPIPE) has what it wanted: its output is the answer.
            _ = try? FileDescriptor(rawValue: inPipe[1]).writeAll(input)
            close(inPipe[1])
        }

        var stdout: [UInt8] = [], stderr: [UInt8] = []
        var open: [(fd: Int32, isOut: Bool)] = [(outPipe[0], true), (errPipe[0], false)]
        let deadline = monotonicNow() + seconds
        var timedOut = false
        var overflow = false
        var chunk = [UInt8](repeating: 0, count: 65536)
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
                    if open[i].isOut { stdout += chunk[0..<count] } else if stderr.count < 65536 { stderr += chunk[0..<count] }
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
                        if entry.isOut { stdout += chunk[0..<count] } else if stderr.count < 65536 { stderr += chunk[0..<count] }
                    }
                }
                break
            }
        }
        if timedOut || overflow { kill(ownProcessGroup ? -pid : pid, SIGKILL) }
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

    static func monotonicNow() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
