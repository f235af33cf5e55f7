import HAModel
import KeepalivedConfig

/// A keepalived or haproxy found running: its process (the parent of its own children), the
/// children, and the configuration it was started with.
public struct DaemonProcess: Sendable, Codable, Equatable {
    public var program: String
    public var process: RunningProcess
    public var children: [Int32]
    public var configFiles: [ConfigInUse]

    enum CodingKeys: String, CodingKey { case program, process, children, configFiles = "config_files" }

    public init(program: String, process: RunningProcess, children: [Int32], configFiles: [ConfigInUse]) {
        self.program = program
        self.process = process
        self.children = children
        self.configFiles = configFiles
    }
}

/// A configuration file a running daemon reads, and whether it changed after the daemon started.
public struct ConfigInUse: Sendable, Codable, Equatable {
    public var path: String
    /// How it was chosen: "-f", "default", "include", "-f directory".
    public var given: String
    public var modified: String?
    public var changedAfterStart: Bool?

    enum CodingKeys: String, CodingKey { case path, given, modified, changedAfterStart = "changed_after_start" }

    public init(path: String, given: String, modified: String? = nil, changedAfterStart: Bool? = nil) {
        self.path = path
        self.given = given
        self.modified = modified
        self.changedAfterStart = changedAfterStart
    }
}

/// What the running processes say: keepalived and haproxy, and the state of the track scripts.
public struct ProcessFacts: Sendable, Codable, Equatable {
    public var daemons: [DaemonProcess]
    public var trackScripts: [TrackScriptState]
    public var warnings: [String]
    public var limits: [Limit]
    /// True when /proc showed only part of the processes (unreadable, or hidepid hiding pid 1):
    /// a daemon not found may still run.
    public var partial: Bool?

    public init(daemons: [DaemonProcess] = [], trackScripts: [TrackScriptState] = [], warnings: [String] = [], limits: [Limit] = [],
                partial: Bool? = nil) {
        self.partial = partial
        self.daemons = daemons
        self.trackScripts = trackScripts
        self.warnings = warnings
        self.limits = limits
    }

    enum CodingKeys: String, CodingKey { case daemons, trackScripts = "track_scripts", warnings, limits, partial }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        daemons = try container.decode([DaemonProcess].self, forKey: .daemons)
        trackScripts = try container.decode([TrackScriptState].self, forKey: .trackScripts)
        warnings = try container.decode([String].self, forKey: .warnings)
        partial = try container.decodeIfPresent(Bool.self, forKey: .partial)
        // Snapshots of schema versions 2 and 3 said these limits as sentences; they came from /proc.
        if SchemaVersion.reading(decoder) < 4, let sentences = try? container.decode([String].self, forKey: .limits) {
            limits = sentences.map { Limit(source: ProcessFacts.procfs, message: $0) }
            return
        }
        do {
            limits = try container.decode([Limit].self, forKey: .limits)
        } catch {
            guard let sentences = try? container.decode([String].self, forKey: .limits), !sentences.isEmpty else { throw error }
            throw DecodingError.dataCorruptedError(forKey: .limits, in: container, debugDescription:
                "since schema_version 4 each limit is an object with its source and message, not a sentence as in versions 2 and 3")
        }
    }

    /// The source of what is read from the process table.
    public static let procfs = Source.process("/proc")

    public var keepalived: DaemonProcess? { daemons.first { $0.program == "keepalived" } }

    /// /proc was read in full and shows no keepalived.
    public var keepalivedNotRunning: Bool { keepalived == nil && partial != true }
}

public enum DaemonFinder {
    /// The daemons named `program` (by task name) whose parent is not one of them: keepalived's
    /// parent process, haproxy's master. Sorted by pid.
    public static func parents(named program: String, in processes: [RunningProcess]) -> [(process: RunningProcess, children: [Int32])] {
        let named = processes.filter { $0.comm == program && !$0.isZombie }
        let pids = Set(named.map(\.pid))
        return named.filter { !pids.contains($0.ppid) }.sorted { $0.pid < $1.pid }.map { parent in
            (parent, named.filter { $0.ppid == parent.pid }.map(\.pid))
        }
    }

    /// keepalived's configuration file: -f/--use-file (relative to its working directory), else the default.
    public static func keepalivedConfig(_ process: RunningProcess, workingDirectory: String?) -> ConfigInUse {
        let line = KeepalivedCommandLine(arguments: process.arguments)
        guard let file = line.useFile else { return ConfigInUse(path: "/etc/keepalived/keepalived.conf", given: "default (no -f)") }
        let path = file.hasPrefix("/") || workingDirectory == nil ? file : workingDirectory! + "/" + file
        return ConfigInUse(path: path, given: "-f \(file)")
    }

    /// haproxy's configuration: every -f FILE-OR-DIRECTORY (and -fFILE), then the files after
    /// "--", in order; a directory stands for its *.cfg files (expanded by `directoryFiles`).
    public static func haproxyConfigs(_ process: RunningProcess, workingDirectory: String?,
                                      directoryFiles: (String) -> [String]? = { _ in nil }) -> [ConfigInUse] {
        var given: [(String, String)] = []
        var index = 1
        let arguments = process.arguments
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                given += arguments[index...].map { ($0, "after --") }
                break
            }
            if argument == "-f", index < arguments.count {
                given.append((arguments[index], "-f"))
                index += 1
            } else if argument.hasPrefix("-f"), argument.count > 2 {
                given.append((String(argument.dropFirst(2)), "-f"))
            } else if ["-p", "-L", "-sf", "-st", "-x", "-S", "-C", "-N", "-m", "-n"].contains(argument) {
                // Options with a value (-sf/-st take pids until the next option).
                if argument == "-sf" || argument == "-st" {
                    while index < arguments.count, !arguments[index].hasPrefix("-") { index += 1 }
                } else {
                    index += 1
                }
            }
        }
        var configs: [ConfigInUse] = []
        for (file, how) in given {
            let path = file.hasPrefix("/") || workingDirectory == nil ? file : workingDirectory! + "/" + file
            if let files = directoryFiles(path) {
                configs.append(ConfigInUse(path: path, given: "\(how) directory"))
                configs += files.map { ConfigInUse(path: $0, given: "in \(path)") }
            } else {
                configs.append(ConfigInUse(path: path, given: how))
            }
        }
        return configs
    }

    /// Marks each file modified more than a second after the process started (start times
    /// are known to about a second: boot time is whole seconds) and says so as a warning.
    public static func checkFreshness(_ daemon: inout DaemonProcess, modified: (String) -> Double?) -> [String] {
        var warnings: [String] = []
        for index in daemon.configFiles.indices {
            let file = daemon.configFiles[index]
            guard let mtime = modified(file.path) else { continue }
            daemon.configFiles[index].modified = RunningProcess.isoDate(mtime)
            guard let start = daemon.process.startEpoch else { continue }
            let after = mtime > start + 1
            daemon.configFiles[index].changedAfterStart = after
            if after {
                warnings.append("\(file.path) was modified at \(RunningProcess.isoDate(mtime)), after \(daemon.program) (pid \(daemon.process.pid)) started at \(daemon.process.startTime ?? RunningProcess.isoDate(start)): the running \(daemon.program) may not be running this file (reload or restart it to apply it)")
            }
        }
        return warnings
    }

    /// The processes a program started by `process` sees in /proc. The tools read /proc, and
    /// /proc shows the pid namespace it was mounted for: keepalived's own when it has a mount
    /// namespace of its own (as with `unshare --mount-proc` or a container), else ours.
    public static func visibleProcesses(to process: RunningProcess, among all: [RunningProcess], ourMountNamespace: UInt64?) -> (processes: [RunningProcess], level: Int, description: String) {
        if process.mountNamespace == nil || process.mountNamespace == ourMountNamespace || process.pidNamespace == nil {
            return (all, 0, "haexplain's /proc (keepalived pid \(process.pid) shares this mount namespace, so its scripts read the same /proc)")
        }
        let level = max(0, process.namespacePIDs.count - 1)
        let byPID = Dictionary(all.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        // In keepalived's pid namespace, or nested below it: a process whose ancestors reach it.
        func visible(_ candidate: RunningProcess) -> Bool {
            var current: RunningProcess? = candidate
            var steps = 0
            while let node = current, steps < 4096 {
                if node.pidNamespace == process.pidNamespace { return node.namespacePIDs.count >= process.namespacePIDs.count }
                current = byPID[node.ppid]
                steps += 1
            }
            return false
        }
        let seen = all.filter { $0.namespacePIDs.count > level && visible($0) }
        let description = "the pid namespace (pid:[\(process.pidNamespace!)]) and mount namespace (mnt:[\(process.mountNamespace!)]) of keepalived (pid \(process.pid)), assuming its /proc is mounted for its own pid namespace"
        return (seen, level, description)
    }
}

/// The user a track script runs as, the way keepalived chooses it: the script's `user`, else
/// global `script_user`, else `keepalived_script` when that user exists, else keepalived's own.
public enum ScriptUser {
    public struct Choice: Sendable, Equatable {
        public var uid: UInt32?
        public var gid: UInt32?
        public var why: String
    }

    public static func choose(scriptUser: String?, globalUser: String?, passwd: String?, keepalivedUID: UInt32?) -> Choice {
        let users = parse(passwd ?? "")
        if let name = scriptUser ?? globalUser {
            if let user = users[name] { return Choice(uid: user.uid, gid: user.gid, why: "user \(name) (uid \(user.uid))") }
            if let uid = UInt32(name) { return Choice(uid: uid, gid: nil, why: "uid \(name)") }
            return Choice(uid: nil, gid: nil, why: "user \(name), not in keepalived's /etc/passwd")
        }
        if let user = users["keepalived_script"] {
            return Choice(uid: user.uid, gid: user.gid, why: "keepalived_script (uid \(user.uid)), keepalived's default script user")
        }
        return Choice(uid: keepalivedUID ?? 0, gid: nil, why: "keepalived's own user (uid \(keepalivedUID ?? 0)): no script_user and no keepalived_script user")
    }

    static func parse(_ passwd: String) -> [String: (uid: UInt32, gid: UInt32)] {
        var users: [String: (uid: UInt32, gid: UInt32)] = [:]
        for line in passwd.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 3, users[String(fields[0])] == nil, let uid = UInt32(fields[2]), let gid = UInt32(fields[3]) {
                users[String(fields[0])] = (uid, gid)
            }
        }
        return users
    }
}
