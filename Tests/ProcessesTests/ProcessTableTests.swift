import Foundation
import HAModel
import LabSupport
import SystemFacts
import Testing

/// The /proc reader on this test's own process, checked against the kernel's other views.
@Suite("Reading /proc")
struct ProcessTableTests {
    @Test("this process: parent, task name, command line, namespaces and start time as ps sees them")
    func ownProcess() throws {
        let me = try #require(ProcessTable.read().first { $0.pid == getpid() })
        #expect(me.ppid == getppid())
        let comm = try String(contentsOfFile: "/proc/self/comm", encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(me.comm == comm)
        #expect(me.arguments == CommandLine.arguments)
        #expect(me.netNamespace != nil && me.pidNamespace != nil && me.mountNamespace != nil)
        #expect(me.uid == getuid() && me.euid == geteuid())
        // ps's elapsed seconds and ours agree on when the process started (to about a second).
        let ps = try Shell.check(["ps", "-o", "etimes=", "-p", String(getpid())]).trimmingCharacters(in: .whitespacesAndNewlines)
        let elapsed = try #require(Double(ps))
        let start = try #require(me.startEpoch)
        #expect(abs((Date().timeIntervalSince1970 - elapsed) - start) < 2.5)
    }

    @Test("socket owners: a socket this test opens is found with its pid, task name and fd")
    func socketOwners() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var info = stat()
        try #require(fstat(fd, &info) == 0)
        let inode = UInt32(truncatingIfNeeded: info.st_ino)
        let owners = SocketOwners.find([inode])[inode] ?? []
        let me = try #require(ProcessTable.read().first { $0.pid == getpid() })
        #expect(owners.contains { $0.pid == getpid() && $0.fd == fd && $0.command == me.comm }, "\(owners)")
    }

    @Test("a process's environment, read from /proc, has what this test runs with")
    func environment() throws {
        let mine = try #require(ProcessTable.environment(pid: getpid()))
        #expect(mine["PATH"] == ProcessInfo.processInfo.environment["PATH"])
    }
}

/// Running a program to its end: its own exit ends the wait, whatever it left running.
@Suite struct ProgramRunnerTests {
    @Test("a script that exits 0 while its background child holds stdout is done, with what it printed")
    func exitedChildIsDone() throws {
        // Waiting for the pipe's end would run into the timeout: the sleep outlives it.
        let outcome = try ProgramRunner.run(["sh", "-c", "sleep 30 & echo $!; exit 0"], timeout: 10)
        let text = String(decoding: outcome.stdout, as: UTF8.self)
        if let left = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { kill(left, SIGKILL) }
        #expect(!outcome.timedOut && outcome.status == 0)
        #expect(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) != nil, "printed: \(text)")
    }

    @Test("on a timeout, a process group of its own is killed whole: nothing it started is left running")
    func timeoutKillsTheGroup() throws {
        let outcome = try ProgramRunner.run(["sh", "-c", "sleep 300 & echo $!; sleep 300"], timeout: 1, ownProcessGroup: true)
        #expect(outcome.timedOut)
        let left = try #require(Int32(String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Killed with the group; once reaped by its new parent it is gone from /proc.
        var gone = false
        for _ in 0..<600 {
            let stat = (try? String(contentsOfFile: "/proc/\(left)/stat", encoding: .utf8)) ?? ""
            if stat.isEmpty || stat.contains(") Z ") { gone = true; break }
            usleep(50_000)
        }
        #expect(gone, "pid \(left) still runs")
    }

    @Test("at the deadline SIGTERM comes first: a program that traps it tidies up and its own exit status comes back")
    func deadlineTermFirst() throws {
        let outcome = try ProgramRunner.run(["sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done"], timeout: 1, ownProcessGroup: true)
        #expect(outcome.timedOut)
        #expect(outcome.status == 3, "status \(outcome.status): the trap did not run, so SIGTERM was not sent first")
    }

    @Test("a program that ignores SIGTERM is killed after the grace period")
    func deadlineKillAfterGrace() throws {
        let outcome = try ProgramRunner.run(["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"], timeout: 1, ownProcessGroup: true)
        #expect(outcome.timedOut)
        #expect(outcome.status == 128 + SIGKILL)
    }

    @Test("a program printing past the cap is stopped and the run is an error, not unbounded memory")
    func outputCap() throws {
        let error = #expect(throws: HAError.self) { try ProgramRunner.run(["yes"], timeout: 60, limit: 1 << 20) }
        #expect(error?.kind == .dataError)
        #expect(error?.message == "yes printed more than 1 MiB; stopped it")
    }

    @Test("of a chatty stderr the end is kept: the reason a program gives last is not lost")
    func stderrKeepsTheEnd() throws {
        let outcome = try ProgramRunner.run(["sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x >&2; echo 'the reason' >&2; exit 1"], timeout: 60)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasSuffix("xxthe reason\n"))
        #expect(outcome.stderr.utf8.count == ProgramRunner.stderrTail)
    }
}
