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

    @Test("the socket inodes a process holds: a socket this test opens is listed for its pid")
    func socketInodes() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var info = stat()
        try #require(fstat(fd, &info) == 0)
        #expect(ProcessTable.socketInodes(pid: getpid()).contains(UInt64(info.st_ino)))
        let owners = ProcessTable.socketOwners(ProcessTable.read().filter { $0.pid == getpid() })
        #expect(owners[UInt64(info.st_ino)] == getpid())
    }
}
