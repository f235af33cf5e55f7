import HAModel
import KeepalivedConfig

/// What keepalived looks at, on the host and in the mount namespace it runs in, before it
/// runs a vrrp_script: the user databases, the files on the way to the script, its PATH.
public struct ScriptHost {
    /// /etc/passwd and /etc/group as keepalived sees them (nil: unreadable, nothing judged).
    public var passwd: String?
    public var group: String?
    public var keepalivedUID: UInt32
    public var keepalivedGID: UInt32
    public var lstat: (String) -> FileStatus?
    public var stat: (String) -> FileStatus?
    public var realPath: (String) -> String?
    /// keepalived's PATH, for scripts named without a '/'.
    public var searchPath: [String]

    public init(passwd: String?, group: String?, keepalivedUID: UInt32 = 0, keepalivedGID: UInt32 = 0,
                lstat: @escaping (String) -> FileStatus?, stat: @escaping (String) -> FileStatus?,
                realPath: @escaping (String) -> String?, searchPath: [String]) {
        self.passwd = passwd
        self.group = group
        self.keepalivedUID = keepalivedUID
        self.keepalivedGID = keepalivedGID
        self.lstat = lstat
        self.stat = stat
        self.realPath = realPath
        self.searchPath = searchPath
    }

    /// systemd's default PATH, which keepalived started as a service inherits.
    public static let defaultSearchPath = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
}

/// Which vrrp_scripts keepalived 2.2.7 really runs on a host: it drops a script whose user
/// cannot be set, whose file is missing or not executable for that user, or (with
/// enable_script_security) whose path a non-root user could change. A dropped script is
/// marked inactive with keepalived's own words, and every instance tracking it gets a
/// problem: its weight never applies.
public enum ScriptAvailability {
    public struct Verdict: Sendable, Equatable {
        public var active: Bool
        /// keepalived's log lines for it, in order.
        public var log: [String]
        /// Insecure but kept (enable_script_security off): keepalived's SECURITY VIOLATION.
        public var insecure = false
        /// Why keepalived drops it, for the remedy (nil while it runs).
        public var cause: DropCause?
    }

    /// What an operator fixes for a dropped script: decided where it is dropped, not read back from the log's words.
    public enum DropCause: Sendable, Equatable { case scriptUser, insecurePath, notExecutable, notFound }

    /// Marks the dropped scripts of `config` and adds a problem per tracking instance. A
    /// configuration judged once (it came back in a snapshot) is left as it is.
    public static func apply(to config: inout KeepalivedConfiguration, host: ScriptHost, node: String? = nil) {
        guard host.passwd != nil else { return }
        // The user and group files read once for all scripts (keepalived text and --json budgets).
        let users = Self.users(host), groups = Self.groups(host.group ?? "")
        for index in config.vrrpScripts.indices where config.vrrpScripts[index].active {
            let script = config.vrrpScripts[index]
            let verdict = judge(script, host: host, users: users, groups: groups)
            guard !verdict.active else { continue }
            let reason = verdict.log.joined(separator: "; ")
            config.vrrpScripts[index].active = false
            config.vrrpScripts[index].inactiveReason = reason
            for instance in config.vrrpInstances {
                for item in instance.trackScript where item.name == script.name {
                    config.diagnostics.append(ConfigDiagnostic(.error, .scriptDropped,
                        "vrrp_instance \(instance.name) tracks vrrp_script \(script.name), which keepalived drops (\(reason)): its weight never applies and a failure of the check changes nothing; \(remedy(script, verdict))",
                        at: ConfigLocation(file: script.file, line: script.line), instance: instance.name, node: node))
                }
            }
        }
    }

    static func remedy(_ script: VRRPScript, _ verdict: Verdict) -> String {
        switch verdict.cause {
        case .scriptUser?:
            "create the user keepalived_script, or set script_user (global_defs) or user (vrrp_script) to one that exists"
        case .insecurePath?:
            "make the script and every directory above it owned by root and not writable by group or others"
        case .notExecutable?: "chmod +x the script (for the user it runs as)"
        case .notFound?, nil: "install the script at that path or correct the path"
        }
    }

    /// keepalived's verdict on one script, in the order it checks.
    public static func judge(_ script: VRRPScript, host: ScriptHost) -> Verdict {
        judge(script, host: host, users: users(host), groups: groups(host.group ?? ""))
    }

    static func users(_ host: ScriptHost) -> [String: (UInt32, UInt32)] {
        ScriptUser.parse(host.passwd ?? "").mapValues { ($0.uid, $0.gid) }
    }

    static func judge(_ script: VRRPScript, host: ScriptHost, users: [String: (UInt32, UInt32)], groups: [String: UInt32]) -> Verdict {
        var log: [String] = []
        var runAs: (uid: UInt32, gid: UInt32)
        let command = script.script ?? ""
        func lookUp(_ user: String?, _ group: String?) -> (UInt32, UInt32)? {
            guard let user else { return nil }
            guard let found = users[user] else {
                log.append("Script user '\(user)' does not exist")
                return nil
            }
            guard let group else { return found }
            guard let gid = groups[group] else {
                log.append("Script group '\(group)' does not exist")
                return nil
            }
            return (found.0, gid)
        }
        switch script.runAs.source {
        case .user:
            guard let found = lookUp(script.runAs.user, script.runAs.group) else {
                log.append("Unable to set uid/gid for script \(command)")
                return Verdict(active: false, log: log, cause: .scriptUser)
            }
            runAs = found
        case .scriptUser:
            // Every script_user line is looked up as it is read, and one failure sticks.
            let earlierFailed = script.runAs.earlierScriptUsers.contains { earlier in
                let words = earlier.split(separator: " ").map(String.init)
                return lookUp(words.first, words.dropFirst().first) == nil
            }
            guard !earlierFailed, let found = lookUp(script.runAs.user, script.runAs.group) else {
                log += ["Error setting global script uid/gid", "Unable to set default user for vrrp script \(script.name) - removing"]
                return Verdict(active: false, log: log, cause: .scriptUser)
            }
            runAs = found
        case .keepalivedDefault:
            if let found = users["keepalived_script"] {
                runAs = found
            } else if script.runAs.securityEnabled {
                log += ["Unable to set default user keepalived_script for script", "Unable to set default user for vrrp script \(script.name) - removing"]
                return Verdict(active: false, log: log, cause: .scriptUser)
            } else {
                runAs = (host.keepalivedUID, host.keepalivedGID)
            }
        }
        return checkFile(script, argv0: TrackScriptEvaluator.words(command).first ?? "", runAs: runAs, host: host, log: log)
    }

    /// check_script_secure: the program found, executable for the user, and (when it runs
    /// with root's power) every part of its path safe from non-root writers.
    static func checkFile(_ script: VRRPScript, argv0: String, runAs: (uid: UInt32, gid: UInt32), host: ScriptHost, log: [String]) -> Verdict {
        var log = log
        let name = script.name
        func dropped(_ line: String, _ summary: String?, _ cause: DropCause = .notFound) -> Verdict {
            log.append(line)
            if let summary { log.append(summary) }
            return Verdict(active: false, log: log, cause: cause)
        }
        let notFound = "Disabling track script \(name) since not found/accessible"
        // "</path": keepalived only checks that the file opens; nothing is executed.
        if argv0.hasPrefix("<"), argv0.dropFirst().drop(while: { $0 == " " || $0 == "\t" }).first == "/" {
            return Verdict(active: true, log: log)
        }
        var path = argv0
        if !argv0.contains("/") {
            // keepalived searches PATH as the script user: after seteuid to a non-root user it
            // can no longer set that user's groups, so the search fails before looking.
            if runAs.uid != host.keepalivedUID {
                return dropped("Unable to set supplementary gids (Operation not permitted)",
                               "Permissions failure for script \(argv0) in path - disabling; \(notFound)")
            }
            var deniedSomewhere = false
            var found: String?
            for directory in host.searchPath {
                let candidate = (directory.isEmpty ? "" : directory + "/") + argv0
                guard let status = host.stat(candidate) else { continue }
                if status.kind == .regular, executable(status, runAs) {
                    found = candidate
                    break
                }
                deniedSomewhere = true
            }
            guard let found else {
                return dropped(deniedSomewhere ? "Permissions failure for script \(argv0) in path - disabling" : "Cannot find script \(argv0) in path - disabling", notFound)
            }
            log.append("WARNING - script `\(argv0)` resolved by path search to `\(found)`. Please specify full path.")
            path = found
        }
        guard let real = host.realPath(path) else {
            return dropped("Script \(path) cannot be accessed - No such file or directory", notFound)
        }
        guard let file = host.stat(real) else {
            return dropped("Unable to access script `\(path)` - disabling", notFound)
        }
        guard executable(file, runAs) else {
            return dropped("WARNING - script '\(real)' is not executable for uid:gid \(runAs.uid):\(runAs.gid) - disabling.", nil, .notExecutable)
        }
        let setRoot = (file.uid == 0 && file.mode & 0o100 != 0 && file.mode & 0o4000 != 0)
            || (file.gid == 0 && file.mode & 0o010 != 0 && file.mode & 0o2000 != 0)
        // A script run without root's power is not checked any further.
        guard runAs.uid == 0 || runAs.gid == 0 || setRoot else { return Verdict(active: true, log: log) }
        switch pathSecurity(real, host: host) {
        case .safe:
            return Verdict(active: true, log: log)
        case .missing:
            return dropped("check_script_secure could not find script '\(real)' - disabling", notFound)
        case .wrongType:
            return dropped("Wrong file type found in script path '\(real)'.", "Disabling track script \(name) due to insecure", .insecurePath)
        case .unsafe:
            if script.runAs.securityEnabled {
                return dropped("Unsafe permissions found for script '\(real)' - disabling.", "Disabling track script \(name) due to insecure", .insecurePath)
            }
            log.append("Unsafe permissions found for script '\(real)'.")
            return Verdict(active: true, log: log, insecure: true)
        }
    }

    enum PathSecurity { case safe, missing, wrongType, unsafe }

    /// Every prefix of the path, "/" first: directories on the way, the file (or symlink)
    /// last; each owned by root and not writable by a non-root group or by others (a
    /// directory with the sticky bit may be).
    static func pathSecurity(_ path: String, host: ScriptHost) -> PathSecurity {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        var prefixes: [String] = []
        var current = ""
        for (index, part) in parts.enumerated() {
            current += index == 0 ? "" : "/" + part
            if index == 0 { prefixes.append("/") } else if !part.isEmpty || index == parts.count - 1 { prefixes.append(current) }
        }
        for (index, prefix) in prefixes.enumerated() {
            guard let status = host.lstat(prefix) else { return .missing }
            let last = index == prefixes.count - 1
            if last ? !(status.kind == .regular || status.kind == .symlink) : status.kind != .directory { return .wrongType }
            let checkedForWrites = (status.kind == .directory && status.mode & 0o1000 == 0) || status.kind == .regular
            let writable = (status.gid != 0 && status.mode & 0o020 != 0) || status.mode & 0o002 != 0
            if status.uid != 0 || (checkedForWrites && writable) { return .unsafe }
        }
        return .safe
    }

    /// keepalived's is_executable: root needs any x bit; others the bit of their class.
    static func executable(_ file: FileStatus, _ runAs: (uid: UInt32, gid: UInt32)) -> Bool {
        if runAs.uid == 0 { return file.mode & 0o111 != 0 }
        if runAs.uid == file.uid { return file.mode & 0o100 != 0 }
        return runAs.gid == file.gid ? file.mode & 0o010 != 0 : file.mode & 0o001 != 0
    }

    static func groups(_ group: String) -> [String: UInt32] {
        var groups: [String: UInt32] = [:]
        for line in group.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count > 2, groups[String(fields[0])] == nil, let gid = UInt32(fields[2]) { groups[String(fields[0])] = gid }
        }
        return groups
    }
}
