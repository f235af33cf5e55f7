import HAModel
import KeepalivedConfig
import Namespaces
import Netlink
import Processes
import SystemFacts

/// Reads the running processes (SystemFacts' /proc reader) and judges them (Processes): the
/// keepalived and haproxy in use, their configuration's freshness, and the track scripts' state.
public enum ProcessGathering {
    /// The running keepalived (the parent process), with the working directory its -f is relative to.
    /// With `networkNamespace`, only a keepalived of that network namespace counts: one in
    /// another (a container's) holds its addresses there, not in the namespace examined.
    public static func keepalived(networkNamespace: UInt64? = nil, readers: HostReaders = .system)
        -> (process: RunningProcess, workingDirectory: String?)? {
        guard let parent = keepalivedParents(in: readers.processes(), networkNamespace: networkNamespace).first else { return nil }
        return (parent.process, readers.readLink("/proc/\(parent.process.pid)/cwd"))
    }

    public static func keepalivedParents(in processes: [RunningProcess], networkNamespace: UInt64?) -> [(process: RunningProcess, children: [Int32])] {
        let parents = DaemonFinder.parents(named: "keepalived", in: processes)
        guard let networkNamespace else { return parents }
        return parents.filter { $0.process.netNamespace == networkNamespace }
    }

    /// The network namespace haexplain examines: `netns` (a name under /run/netns or a path),
    /// else its own.
    public static func examinedNetworkNamespace(_ netns: String?, readers: HostReaders = .system) -> UInt64? {
        guard let netns else { return readers.namespaceInode("/proc/self/ns/net") }
        return readers.namespacePath(netns).flatMap(readers.namespaceInode)
    }

    /// Where keepalived runs outside the examined network namespace, said once: its
    /// configuration and state describe that namespace, not this one.
    public static func keepalivedElsewhere(networkNamespace: UInt64?, readers: HostReaders = .system) -> String? {
        guard let networkNamespace else { return nil }
        let table = readers.processes()
        let others = DaemonFinder.parents(named: "keepalived", in: table).filter { $0.process.netNamespace != networkNamespace }
        guard !others.isEmpty, keepalivedParents(in: table, networkNamespace: networkNamespace).isEmpty else { return nil }
        let pids = others.map { String($0.process.pid) }.joined(separator: ", ")
        return "keepalived runs only in other network namespaces here (pid \(pids)): it is not this namespace's, so its configuration and state were not used; ask from its namespace with --netns /proc/\(others[0].process.pid)/ns/net"
    }

    /// `keepalived`'s limit when the keepalived it explains (`running`, found in any namespace)
    /// runs in another network namespace than this one and no --netns was given: whether each
    /// VIP is assigned is checked here, not where it runs.
    public static func keepalivedInAnotherNamespace(_ running: RunningProcess?, netns: String?, readers: HostReaders = .system) -> Limit? {
        guard let running, netns == nil, let theirs = running.netNamespace,
              let ours = examinedNetworkNamespace(nil, readers: readers), theirs != ours else { return nil }
        return Limit(source: .process("keepalived", pid: running.pid),
                     message: "The running keepalived (pid \(running.pid)) is in another network namespace (net:[\(theirs)]) than this one (net:[\(ours)]): VIP assignment is checked here; add --netns /proc/\(running.pid)/ns/net to check its namespace.")
    }

    /// The running haproxy master, with the working directory its -f is relative to and the
    /// environment its "${VAR}" lines expand with.
    public static func haproxy(readers: HostReaders = .system) -> (process: RunningProcess, workingDirectory: String?, environment: [String: String]?)? {
        guard let master = DaemonFinder.parents(named: "haproxy", in: readers.processes()).first?.process else { return nil }
        return (master, readers.readLink("/proc/\(master.pid)/cwd"), ProcessTable.environment(pid: master.pid))
    }

    /// `path` as `process` sees it: through /proc/PID/root when it has a mount namespace of its own.
    public static func seenBy(_ process: RunningProcess?, _ path: String, ourMountNamespace: UInt64?) -> String {
        guard let process, process.mountNamespace != nil, process.mountNamespace != ourMountNamespace else { return path }
        return "/proc/\(process.pid)/root" + path
    }

    /// Everything the processes say, for this host's configuration `node` (nil: none read).
    /// With `networkNamespace`, keepalived processes of other network namespaces are left out.
    public static func facts(node: NodeConfiguration?, runScripts: Bool, networkNamespace: UInt64? = nil,
                             readers: HostReaders = .system) -> ProcessFacts {
        let processes = readers.processes()
        var facts = ProcessFacts()
        guard !processes.isEmpty else {
            facts.limits.append(Limit(source: ProcessFacts.procfs, message: "/proc could not be read: running processes and track scripts are unknown"))
            facts.partial = true
            return facts
        }
        // hidepid= leaves only our own processes: what is not seen may still run.
        if !processes.contains(where: { $0.pid == 1 }) {
            facts.limits.append(Limit(source: ProcessFacts.procfs, message: "/proc shows only some processes (mounted with hidepid?): keepalived or haproxy may run unseen; run as root"))
            facts.partial = true
        }
        let ourMount = ProcessTable.namespaceInode("/proc/self/ns/mnt")
        for program in ["keepalived", "haproxy"] {
            let parents = program == "keepalived" ? keepalivedParents(in: processes, networkNamespace: networkNamespace)
                                                  : DaemonFinder.parents(named: program, in: processes)
            for found in parents {
                let cwd = ProcessTable.readLink("/proc/\(found.process.pid)/cwd")
                var configs: [ConfigInUse]
                if program == "keepalived" {
                    let main = DaemonFinder.keepalivedConfig(found.process, workingDirectory: cwd)
                    configs = [main]
                    // Included files count too when the configuration read is this one.
                    if let node, node.config.file == main.path {
                        configs += node.config.filesRead.filter { $0 != main.path }.map { ConfigInUse(path: $0, given: "include") }
                    }
                } else {
                    configs = DaemonFinder.haproxyConfigs(found.process, workingDirectory: cwd) { directory in
                        let seen = seenBy(found.process, directory, ourMountNamespace: ourMount)
                        guard FileFact.stat(seen)?.kind == .directory else { return nil }
                        return (ProcessTable.directoryEntries(seen) ?? []).filter { $0.hasSuffix(".cfg") }.map { directory + "/" + $0 }
                    }
                }
                var daemon = DaemonProcess(program: program, process: found.process, children: found.children, configFiles: configs)
                facts.warnings += DaemonFinder.checkFreshness(&daemon) { path in
                    FileFact.stat(seenBy(found.process, path, ourMountNamespace: ourMount))?.modified
                }
                facts.daemons.append(daemon)
            }
        }
        if keepalivedParents(in: processes, networkNamespace: networkNamespace).count > 1 {
            facts.limits.append(Limit(source: .process("keepalived", pid: facts.keepalived?.process.pid), message: "several keepalived processes run here (in different namespaces): track scripts are judged for the first, pid \(facts.keepalived?.process.pid ?? 0)"))
        }
        guard let node else { return facts }
        if let keepalived = facts.keepalived, let file = keepalived.configFiles.first?.path, file != node.config.file {
            facts.limits.append(Limit(source: .process("keepalived", pid: keepalived.process.pid), message: "the running keepalived (pid \(keepalived.process.pid)) reads \(file), not \(node.config.file): the scripts of \(node.config.file) were judged in its namespaces all the same"))
        }
        facts.trackScripts = trackScripts(node, processes: processes, keepalived: facts.keepalived?.process,
                                          ourMount: ourMount, runScripts: runScripts, limits: &facts.limits)
        return facts
    }

    public static func trackScripts(_ node: NodeConfiguration, processes: [RunningProcess], keepalived: RunningProcess?,
                             ourMount: UInt64?, runScripts: Bool, limits: inout [Limit]) -> [TrackScriptState] {
        var view: (processes: [RunningProcess], level: Int, description: String)
        if let keepalived {
            view = DaemonFinder.visibleProcesses(to: keepalived, among: processes, ourMountNamespace: ourMount)
            // The tools read the /proc of keepalived's mount namespace: read that very /proc
            // when it is another one (its pids are then the ones the script would print).
            let theirs = "/proc/\(keepalived.pid)/root/proc"
            if keepalived.mountNamespace != ourMount, case let seen = ProcessTable.read(proc: theirs), !seen.isEmpty {
                view = (seen, 0, "the /proc of keepalived's mount namespace (\(theirs), pid namespace pid:[\(seen.first?.pidNamespace.map(String.init) ?? "?")]), as keepalived (pid \(keepalived.pid)) runs its scripts")
            }
        } else {
            view = (processes, 0, "haexplain's own namespaces (no keepalived is running; one started here would run its scripts here)")
        }
        let passwd = ProcessTable.readSmallFile(seenBy(keepalived, "/etc/passwd", ourMountNamespace: ourMount), limit: 16 << 20)
        var states: [TrackScriptState] = []
        // A script keepalived dropped is never run: there is no state to judge.
        for script in node.config.vrrpScripts where script.active {
            guard let command = script.script else { continue }
            let user = ScriptUser.choose(scriptUser: script.user, globalUser: node.config.globalDefs.scriptUser,
                                      passwd: passwd, keepalivedUID: keepalived?.uid)
            let surroundings = ScriptSurroundings(
                processes: view.processes,
                file: { path in
                    FileFact.stat(seenBy(keepalived, path, ourMountNamespace: ourMount)).map {
                        PathFact(kind: PathFact.Kind(rawValue: $0.kind.rawValue) ?? .other, size: $0.size)
                    }
                },
                realPath: { path in ProcessTable.realPath(seenBy(keepalived, path, ourMountNamespace: ourMount)).map { real in
                    keepalived.map { "/proc/\($0.pid)/root" }.flatMap { real.hasPrefix($0) ? String(real.dropFirst($0.count)) : nil } ?? real
                } },
                scriptUID: user.uid, description: view.description + ", as \(user.why)", namespaceLevel: view.level)
            var state = TrackScriptEvaluator.evaluate(name: script.name, script: command, node: node.name,
                                                      file: script.file, line: script.line, in: surroundings)
            if runScripts, state.state == .notEvaluated {
                state = ScriptRunning.run(state, script: script, keepalived: keepalived, user: user)
            }
            states.append(state)
        }
        if !runScripts, states.contains(where: { $0.state == .notEvaluated }) {
            limits.append(Limit(source: .process("track scripts"), message: "some track scripts were not evaluated (see track_scripts); --run-track-scripts runs them with a timeout"))
        }
        return states
    }
}

/// `--run-track-scripts`: runs a script the way keepalived would, inside keepalived's pid,
/// mount and network namespaces (nsenter) as the script user, with a timeout.
public enum ScriptRunning {
    public static func seconds(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }

    /// keepalived's own bound on a script, kept between 1 and 30 s.
    public static func timeout(_ script: VRRPScript) -> Double { min(30, max(1, script.timeout ?? script.interval ?? 5)) }

    /// What runs before the script's own words: with a running keepalived, its pid, mount and
    /// network namespaces (nsenter) as the script user under timeout(1); without one, this
    /// host's namespaces as the script user (setpriv), or nothing more for root.
    public static func entering(keepalived: RunningProcess?, uid: UInt32, gid: UInt32, timeout: Double) -> [String] {
        if let keepalived {
            // nsenter forks into the pid namespace and is all we could kill: timeout(1) there
            // kills the script itself, so nothing is left running in keepalived's namespace.
            return ["nsenter", "-t", String(keepalived.pid), "-p", "-m", "-n", "-S", String(uid), "-G", String(gid), "--",
                    "timeout", "-k", "1", ScriptRunning.seconds(timeout)]
        }
        return uid != 0 ? ["setpriv", "--reuid", String(uid), "--regid", String(gid), "--clear-groups", "--"] : []
    }

    public static func run(_ state: TrackScriptState, script: VRRPScript, keepalived: RunningProcess?, user: ScriptUser.Choice) -> TrackScriptState {
        var result = state
        let argv = TrackScriptEvaluator.words(script.script ?? "")
        guard !argv.isEmpty else { return state }
        guard let uid = user.uid else {
            result.reason += "; not run: the script user is unknown"
            return result
        }
        let timeout = timeout(script)
        let command = entering(keepalived: keepalived, uid: uid, gid: user.gid ?? 0, timeout: timeout)
        do {
            var outcome = try ProgramRunner.run(command + argv, timeout: timeout + (keepalived == nil ? 0 : 3), limit: 1 << 20,
                                                ownProcessGroup: true)
            if keepalived != nil, outcome.status == 124 || outcome.status == 137 { outcome.timedOut = true }
            result.method = "ran it (--run-track-scripts)\(keepalived.map { " in keepalived \($0.pid)'s namespaces" } ?? " in haexplain's namespaces") as uid \(uid)"
            if outcome.timedOut {
                result.state = .failing
                result.reason = "\(result.method): timed out after \(ScriptRunning.seconds(timeout)) s (keepalived counts a timeout as a failure)"
            } else {
                result.state = outcome.status == 0 ? .ok : .failing
                result.reason = "\(result.method): exit status \(outcome.status)"
            }
        } catch {
            result.reason += "; could not run it: \(error.message)"
        }
        return result
    }
}
