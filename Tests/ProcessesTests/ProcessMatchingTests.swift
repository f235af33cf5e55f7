import HAModel
import KeepalivedConfig
import Processes
import Testing

/// A small process table: the shapes that make killall, pidof and pgrep disagree.
enum Table {
    static let haproxy = RunningProcess(pid: 11, ppid: 1, comm: "haproxy", arguments: ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"], exe: "/usr/sbin/haproxy")
    static let worker = RunningProcess(pid: 12, ppid: 11, comm: "haproxy", arguments: ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"], exe: "/usr/sbin/haproxy")
    /// A 28-byte executable name: the kernel keeps 15 bytes of it as the task name.
    static let long = RunningProcess(pid: 20, ppid: 1, comm: "averyveryverylo", arguments: ["/opt/bin/averyveryverylongname-daemon", "--serve"], exe: "/opt/bin/averyveryverylongname-daemon")
    /// A shell script run through its #! line: argv is the interpreter, then the script.
    static let script = RunningProcess(pid: 30, ppid: 1, comm: "my-check-script", arguments: ["/bin/sh", "/usr/local/bin/my-check-script.sh"], exe: "/usr/bin/dash")
    static let titled = RunningProcess(pid: 40, ppid: 1, comm: "postgres", arguments: ["postgres: checkpointer "], exe: "/usr/lib/postgresql/15/bin/postgres")
    static let zombie = RunningProcess(pid: 50, ppid: 1, comm: "redis-server", arguments: [], state: "Z")
    static let all = [haproxy, worker, long, script, titled, zombie]

    static func surroundings(_ processes: [RunningProcess] = all, files: [String: PathFact] = [:], uid: UInt32? = 0) -> ScriptSurroundings {
        ScriptSurroundings(processes: processes, file: { files[$0] }, scriptUID: uid, description: "test")
    }
}

@Suite("Finding processes the way killall, pidof and pgrep do")
struct ProcessMatchingTests {
    @Test("killall compares the task name; for a 15-byte one, the whole basename found in the command line")
    func killallTaskName() {
        #expect(ProcessMatching.killall("haproxy", in: Table.all).map(\.pid) == [11, 12])
        #expect(ProcessMatching.killall("averyveryverylongname-daemon", in: Table.all).map(\.pid) == [20])
        #expect(ProcessMatching.killall("averyveryverylo-something-else", in: Table.all).isEmpty)
        #expect(ProcessMatching.killall("averyveryverylo", in: Table.all).isEmpty)
        #expect(ProcessMatching.killall("averyvery", in: Table.all).isEmpty)
        #expect(ProcessMatching.killall("my-check-script.sh", in: Table.all).map(\.pid) == [30])
        #expect(ProcessMatching.killall("my-check-script", in: Table.all).isEmpty)
        // No argument carries the name (a rewritten command line): the first 15 bytes decide.
        let renamed = RunningProcess(pid: 60, ppid: 1, comm: "averyveryverylo", arguments: ["worker"])
        #expect(ProcessMatching.killall("averyveryverylo-anything", in: [renamed]).map(\.pid) == [60])
        #expect(ProcessMatching.killall("averyveryverylo-anything", in: [renamed], exact: true).isEmpty)
        #expect(ProcessMatching.killall("sh", in: Table.all).isEmpty)
        // killall does not skip zombies: kill(2) with signal 0 succeeds on them.
        #expect(ProcessMatching.killall("redis-server", in: Table.all).map(\.pid) == [50])
        #expect(ProcessMatching.killall("/usr/sbin/haproxy", in: Table.all).map(\.pid) == [11, 12])
    }

    @Test("pidof compares argv[0] and basenames, scripts only with -x, and skips zombies")
    func pidofArgv() {
        #expect(ProcessMatching.pidof("haproxy", in: Table.all).map(\.pid) == [11, 12])
        #expect(ProcessMatching.pidof("averyveryverylongname-daemon", in: Table.all).map(\.pid) == [20])
        #expect(ProcessMatching.pidof("averyveryverylo", in: Table.all).isEmpty)
        #expect(ProcessMatching.pidof("sh", in: Table.all).map(\.pid) == [30])
        #expect(ProcessMatching.pidof("my-check-script.sh", in: Table.all).isEmpty)
        #expect(ProcessMatching.pidof("my-check-script.sh", in: Table.all, scriptsToo: true).map(\.pid) == [30])
        // A rewritten title (a space in argv[0]) falls back to the task name.
        #expect(ProcessMatching.pidof("postgres", in: Table.all).map(\.pid) == [40])
        #expect(ProcessMatching.pidof("redis-server", in: Table.all).isEmpty)
    }

    @Test("pgrep searches a regular expression in the task name, -x anchors it, -f reads the command line")
    func pgrepRegex() {
        #expect(ProcessMatching.pgrep("hap", in: Table.all)?.map(\.pid) == [11, 12])
        #expect(ProcessMatching.pgrep("hap", in: Table.all, exact: true)?.isEmpty == true)
        #expect(ProcessMatching.pgrep("averyveryverylongname", in: Table.all)?.isEmpty == true)
        #expect(ProcessMatching.pgrep("averyveryverylongname", in: Table.all, full: true)?.map(\.pid) == [20])
        #expect(ProcessMatching.pgrep("my-check-script.sh", in: Table.all, full: true)?.map(\.pid) == [30])
        #expect(ProcessMatching.pgrep("^redis", in: Table.all, full: true)?.isEmpty == true)
        #expect(ProcessMatching.pgrep("redis-server", in: Table.all, full: true)?.map(\.pid) == [50])
        #expect(ProcessMatching.pgrep("(", in: Table.all) == nil)
    }
}

@Suite("Track scripts judged from /proc")
struct TrackScriptEvaluatorTests {
    func judge(_ script: String, _ surroundings: ScriptSurroundings = Table.surroundings()) -> TrackScriptState {
        TrackScriptEvaluator.evaluate(name: "chk", script: script, file: "k.conf", line: 7, in: surroundings)
    }

    @Test("killall -0 haproxy is OK while haproxy runs and failing once it is gone")
    func killallHaproxy() {
        let running = judge("killall -0 haproxy")
        #expect(running.state == .ok && running.matchedPIDs == [11, 12])
        let stopped = judge("killall -0 haproxy", Table.surroundings([Table.long, Table.script]))
        #expect(stopped.state == .failing && stopped.reason.contains("no process named haproxy"))
        #expect(judge("/usr/bin/killall -0 haproxy").state == .ok)
        #expect(judge("/opt/tools/killall -0 haproxy").state == .notEvaluated)
    }

    @Test("killall as a script user other than the process owner is refused by kill(2)")
    func killallOtherUser() {
        var root = Table.haproxy
        root.uid = 0
        root.savedUID = 0
        let state = judge("killall -0 haproxy", Table.surroundings([root], uid: 1001))
        #expect(state.state == .failing && state.reason.contains("another user"))
    }

    @Test("pidof, pgrep and pgrep -x")
    func otherFinders() {
        #expect(judge("pidof haproxy").state == .ok)
        #expect(judge("pidof nginx").state == .failing)
        #expect(judge("pgrep -x haproxy").state == .ok)
        #expect(judge("pgrep -x hap").state == .failing)
        #expect(judge("pgrep -f my-check-script.sh").state == .ok)
        #expect(judge("pgrep -u haproxy haproxy").state == .notEvaluated)
    }

    @Test("test and [ with -e, -f, -d, negation; anything else is not evaluated")
    func fileTests() {
        let files = ["/run/haproxy.pid": PathFact(kind: .regular, size: 5), "/etc/haproxy": PathFact(kind: .directory, size: 4096)]
        let env = Table.surroundings(files: files)
        #expect(judge("test -e /run/haproxy.pid", env).state == .ok)
        #expect(judge("[ -f /run/haproxy.pid ]", env).state == .ok)
        #expect(judge("[ -f /etc/haproxy ]", env).state == .failing)
        #expect(judge("/usr/bin/[ -d /etc/haproxy ]", env).state == .ok)
        #expect(judge("test ! -e /run/maintenance", env).state == .ok)
        #expect(judge("[ -f /run/haproxy.pid", env).state == .failing)
        #expect(judge("systemctl is-active --quiet haproxy", env).state == .notEvaluated)
        #expect(judge("/usr/local/bin/check_haproxy.sh", env).state == .notEvaluated)
    }

    @Test("the script is split the way keepalived splits it: quotes and escapes, no shell")
    func words() {
        #expect(TrackScriptEvaluator.words(#"killall -0 "ha proxy""#) == ["killall", "-0", "ha proxy"])
        #expect(TrackScriptEvaluator.words(#"test -e /a\ b"#) == ["test", "-e", "/a b"])
        #expect(TrackScriptEvaluator.words("  pidof  x  ") == ["pidof", "x"])
        // No shell: '||' is one more name for killall, which then fails.
        #expect(judge("killall -0 haproxy || true").state == .failing)
    }
}

@Suite("keepalived and haproxy processes, their configuration and its freshness")
struct DaemonTests {
    @Test("keepalived's parent process and its -f; haproxy's master, -f files and directories")
    func daemons() {
        let parent = RunningProcess(pid: 5, ppid: 1, comm: "keepalived", arguments: ["keepalived", "-n", "--use-file=conf/k.conf"])
        let child = RunningProcess(pid: 6, ppid: 5, comm: "keepalived", arguments: ["keepalived", "-n", "--use-file=conf/k.conf"])
        let found = DaemonFinder.parents(named: "keepalived", in: [child, parent])
        #expect(found.count == 1 && found[0].process.pid == 5 && found[0].children == [6])
        #expect(DaemonFinder.keepalivedConfig(parent, workingDirectory: "/etc/keepalived").path == "/etc/keepalived/conf/k.conf")
        let master = RunningProcess(pid: 9, ppid: 1, comm: "haproxy", arguments: ["/usr/sbin/haproxy", "-Ws", "-f", "/etc/haproxy/haproxy.cfg", "-f", "/etc/haproxy/conf.d", "-p", "/run/haproxy.pid", "-S", "/run/haproxy-master.sock"])
        let configs = DaemonFinder.haproxyConfigs(master, workingDirectory: "/") { $0 == "/etc/haproxy/conf.d" ? ["/etc/haproxy/conf.d/10-a.cfg"] : nil }
        #expect(configs.map(\.path) == ["/etc/haproxy/haproxy.cfg", "/etc/haproxy/conf.d", "/etc/haproxy/conf.d/10-a.cfg"])
    }

    @Test("a configuration modified after the process started is a warning")
    func freshness() {
        var process = RunningProcess(pid: 5, ppid: 1, comm: "keepalived", arguments: ["keepalived"])
        process.startEpoch = 1_700_000_000
        process.startTime = RunningProcess.isoDate(1_700_000_000)
        var daemon = DaemonProcess(program: "keepalived", process: process, children: [],
                                   configFiles: [ConfigInUse(path: "/etc/keepalived/keepalived.conf", given: "default")])
        #expect(DaemonFinder.checkFreshness(&daemon) { _ in 1_699_999_000 }.isEmpty)
        #expect(daemon.configFiles[0].changedAfterStart == false)
        let warnings = DaemonFinder.checkFreshness(&daemon) { _ in 1_700_000_060 }
        #expect(warnings.count == 1 && warnings[0].contains("the running keepalived may not be running this file"))
        #expect(daemon.configFiles[0].changedAfterStart == true)
        #expect(RunningProcess.isoDate(1_700_000_000) == "2023-11-14T22:13:20Z")
    }

    @Test("the script user: the script's, global script_user, keepalived_script, else keepalived's own")
    func scriptUser() {
        let passwd = "root:x:0:0::/root:/bin/sh\nkeepalived_script:x:998:997::/:/usr/sbin/nologin\nhaproxy:x:105:110::/:/bin/false\n"
        #expect(ScriptUser.choose(scriptUser: "haproxy", globalUser: nil, passwd: passwd, keepalivedUID: 0).uid == 105)
        #expect(ScriptUser.choose(scriptUser: nil, globalUser: nil, passwd: passwd, keepalivedUID: 0).uid == 998)
        #expect(ScriptUser.choose(scriptUser: nil, globalUser: nil, passwd: "root:x:0:0::/:/bin/sh", keepalivedUID: 0).uid == 0)
        #expect(ScriptUser.choose(scriptUser: "nobody-here", globalUser: nil, passwd: passwd, keepalivedUID: 0).uid == nil)
    }
}
