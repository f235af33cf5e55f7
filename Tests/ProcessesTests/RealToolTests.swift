import Foundation
import HAModel
import LabSupport
import Processes
import SystemFacts
import Testing

/// The process finder against the real killall (psmisc), pidof (sysvinit) and pgrep (procps),
/// run with nsenter in a pid and mount namespace of a test's own that holds processes with a
/// short name, a name over 15 bytes, and a shell script run through its #! line.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class RealToolTests {
    let lab = NetnsLab(prefix: "hxpr")
    let directory: String
    let initPID: Int32

    init() throws {
        directory = "/tmp/hxpr-procs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: directory + "/haproxy")
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: directory + "/averyveryverylongname-daemon")
        try "#!/bin/sh\nsleep 1000\n".write(toFile: directory + "/my-check-script.sh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/my-check-script.sh")
        let netns = try lab.namespace("procs")
        let script = "\(directory)/haproxy 1000 & \(directory)/averyveryverylongname-daemon 1000 & \(directory)/my-check-script.sh & wait"
        let daemon = try lab.spawn(netns, ["sh", "-c", script])
        // The namespace's init is the child of unshare; wait (bounded) for its three children.
        var found: Int32?
        for _ in 0..<600 {
            let processes = ProcessTable.read()
            if let unshare = processes.first(where: { $0.ppid == daemon.pid && $0.comm == "unshare" }) ?? processes.first(where: { $0.pid == daemon.pid }),
               let child = processes.first(where: { $0.ppid == unshare.pid && $0.comm == "sh" }),
               processes.filter({ $0.ppid == child.pid }).count >= 3,
               processes.contains(where: { $0.comm == "sleep" && $0.pidNamespace == child.pidNamespace }) {
                found = child.pid
                break
            }
            usleep(50_000)
        }
        initPID = try #require(found, "the test namespace's processes did not start")
    }

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The processes a script in the namespace sees, as haexplain judges them: from our /proc
    /// by namespace (nested pid namespaces), or from the namespace's own /proc.
    func surroundings(theirProc: Bool = false) throws -> ScriptSurroundings {
        let all = ProcessTable.read()
        let holder = try #require(all.first { $0.pid == initPID })
        var view = DaemonFinder.visibleProcesses(to: holder, among: all, ourMountNamespace: ProcessTable.namespaceInode("/proc/self/ns/mnt"))
        if theirProc { view = (ProcessTable.read(proc: "/proc/\(initPID)/root/proc"), 0, "their /proc") }
        return ScriptSurroundings(processes: view.processes, file: { path in
            FileFact.stat("/proc/\(self.initPID)/root" + path).map { PathFact(kind: PathFact.Kind(rawValue: $0.kind.rawValue) ?? .other, size: $0.size) }
        }, realPath: { ProcessTable.realPath($0) }, scriptUID: 0, description: "test namespace", namespaceLevel: view.level)
    }

    @Test("killall -0, pidof, pidof -x, pgrep, pgrep -x and pgrep -f agree with haexplain on every name, long names and scripts included",
          arguments: [false, true])
    func toolsAgree(theirProc: Bool) throws {
        let env = try surroundings(theirProc: theirProc)
        #expect(env.namespaceLevel == (theirProc ? 0 : 1))
        let names = ["haproxy", "sleep", "averyveryverylongname-daemon", "averyveryverylo", "averyveryverylongname",
                     "averyveryverylo-other-suffix", "my-check-script.sh", "my-check-script", "sh", "nothere", "\(directory)/haproxy"]
        let shapes: [[String]] = [["killall", "-0"], ["pidof"], ["pidof", "-x"], ["pgrep"], ["pgrep", "-x"], ["pgrep", "-f"]]
        var compared = 0
        for name in names {
            for shape in shapes {
                let script = (shape + [name]).joined(separator: " ")
                let judged = TrackScriptEvaluator.evaluate(name: "t", script: script, file: "t", line: 1, in: env)
                let real = try Shell.run(["nsenter", "-t", String(initPID), "-p", "-m", "--"] + shape + [name], timeout: 20)
                #expect(judged.state == (real.status == 0 ? .ok : .failing), "\(script): real exit \(real.status) \(real.stderr), haexplain \(judged.state) \(judged.reason)")
                if shape[0] != "killall", real.status == 0 {
                    // pidof and pgrep print the pids as the namespace numbers them.
                    let printed = Set(real.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int32($0) })
                    #expect(printed == Set(judged.matchedPIDsInScriptNamespace), "\(script): real \(printed), haexplain \(judged.matchedPIDsInScriptNamespace)")
                }
                compared += 1
            }
        }
        #expect(compared == names.count * shapes.count)
    }

    @Test("killall -0 as a script user that does not own the processes: kill(2) refuses, as haexplain says")
    func killallAsNobody() throws {
        var env = try surroundings()
        env.scriptUID = 65534
        for name in ["haproxy", "averyveryverylongname-daemon"] {
            let judged = TrackScriptEvaluator.evaluate(name: "t", script: "killall -0 \(name)", file: "t", line: 1, in: env)
            let real = try Shell.run(["nsenter", "-t", String(initPID), "-p", "-m", "-S", "65534", "-G", "65534", "--", "killall", "-0", name], timeout: 20)
            #expect(judged.state == (real.status == 0 ? .ok : .failing), "killall -0 \(name) as 65534: real exit \(real.status), haexplain \(judged.state)")
            #expect(judged.reason.contains("another user"))
        }
    }

    @Test("test -e / [ -f ] / [ -d ] through the namespace's root agree with the real test")
    func fileTestsAgree() throws {
        let env = try surroundings()
        for script in ["test -e \(directory)/haproxy", "[ -f \(directory)/haproxy ]", "[ -d \(directory) ]", "[ -f \(directory) ]",
                       "test -e /nonexistent/hxpr", "test ! -e /nonexistent/hxpr", "[ -s \(directory)/my-check-script.sh ]"] {
            let judged = TrackScriptEvaluator.evaluate(name: "t", script: script, file: "t", line: 1, in: env)
            let real = try Shell.run(["nsenter", "-t", String(initPID), "-p", "-m", "--"] + TrackScriptEvaluator.words(script), timeout: 20)
            #expect(judged.state == (real.status == 0 ? .ok : .failing), "\(script): real exit \(real.status), haexplain \(judged.state)")
        }
    }
}
