#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Runs another program (ssh, for `--host`) with a deadline and a cap on what it may print.
/// Nothing above this type sees a pid, a pipe or errno.
public enum ProgramRunner {
    public struct Outcome: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: String
        public var timedOut: Bool
    }

    /// `argv[0]` is looked up in PATH. The child gets no stdin (/dev/null). Output beyond
    /// `limit` bytes is an error rather than unbounded memory.
    public static func run(_ argv: [String], timeout seconds: Double, limit: Int = 64 << 20) throws(HAError) -> Outcome {
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw HAError(.unavailable, "cannot create a pipe to run \(argv[0]): \(String(cString: strerror(errno)))")
        }
        // Our ends must not leak into the child (or into anything else we start).
        for fd in outPipe + errPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let spawned = posix_spawnp(&pid, argv[0], &actions, nil, cArgs, environ)
        close(outPipe[1])
        close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard spawned == 0 else {
            throw HAError(.unavailable, "cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }

        var stdout: [UInt8] = [], stderr: [UInt8] = []
        var open: [(fd: Int32, isOut: Bool)] = [(outPipe[0], true), (errPipe[0], false)]
        let deadline = monotonicNow() + seconds
        var timedOut = false
        var overflow = false
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = deadline - monotonicNow()
            if remaining <= 0 { timedOut = true; break }
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000, 1000)) + 1)
            if ready < 0 { if errno == EINTR { continue }; break }
            for (i, entry) in fds.enumerated() where entry.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    if open[i].isOut { stdout += chunk[0..<count] } else if stderr.count < 65536 { stderr += chunk[0..<count] }
                    if stdout.count > limit { overflow = true }
                } else if count == 0 || (count < 0 && errno != EINTR && errno != EAGAIN) {
                    open[i].fd = -1
                }
            }
            open.removeAll { $0.fd < 0 }
            if overflow { break }
        }
        if timedOut || overflow { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
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
