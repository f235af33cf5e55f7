#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Which processes the process-finding tools operators put in track scripts would find,
/// following each tool's own rules (psmisc 23 killall, sysvinit 3 pidof, procps-ng 4 pgrep).
/// They differ: killall compares the kernel's 15-byte task name, pidof the argument vector,
/// pgrep a regular expression over the task name or the whole command line.
public enum ProcessMatching {
    static let taskNameLength = 15

    /// killall NAME: the task name equals NAME. When the task name is 15 bytes long (the
    /// kernel cut it) and NAME is at least that long, killall looks in the command line for the
    /// first argument whose basename starts with the task name (skipping an interpreter) and
    /// compares NAME with that whole basename; only when there is none does it compare the
    /// first 15 bytes (and with -e skips the process). A NAME with a '/' is a file: processes
    /// running that executable. (psmisc 23.6, checked against the real killall.)
    public static func killall(_ name: String, in processes: [RunningProcess], ignoreCase: Bool = false, exact: Bool = false) -> [RunningProcess] {
        if name.contains("/") { return processes.filter { $0.exe == name || $0.exe == name + " (deleted)" } }
        let wanted = Array(name.utf8)
        return processes.filter { process in
            let comm = Array(process.comm.utf8)
            guard comm.count == taskNameLength else { return equal(wanted, comm, ignoreCase: ignoreCase) }
            let long = process.arguments.prefix { !$0.isEmpty }
                .map { Array(basename($0).utf8) }
                .first { $0.starts(with: comm) }
            if exact, long == nil { return false }
            guard wanted.count >= taskNameLength else { return equal(wanted, comm, ignoreCase: ignoreCase) }
            if let long { return equal(wanted, long, ignoreCase: ignoreCase) }
            return equal(Array(wanted.prefix(taskNameLength)), comm, ignoreCase: ignoreCase)
        }
    }

    /// pidof NAME: argv[0] equals NAME, or argv[0] equals NAME's basename, or argv[0]'s
    /// basename equals NAME; the task name when argv[0] is empty or holds a space (a process
    /// that rewrote its title); with -x also argv[1] of an interpreter running a script.
    /// An absolute NAME first matches the executable's real path. Zombies are skipped.
    public static func pidof(_ name: String, in processes: [RunningProcess], scriptsToo: Bool = false,
                             realPath: (String) -> String? = { _ in nil }) -> [RunningProcess] {
        let alive = processes.filter { !$0.isZombie }
        let base = basename(name)
        guard !base.isEmpty else { return [] }
        if name.hasPrefix("/"), let real = realPath(name) {
            let byPath = alive.filter { $0.exe == real || $0.arguments.first == name }
            if !byPath.isEmpty { return byPath }
        }
        return alive.filter { process in
            if name.hasPrefix("/") {
                // By path only; an executable that cannot be read is skipped as root does.
                guard let exe = process.exe else { return false }
                if exe == name || exe == name + " (deleted)" { return true }
                if !scriptsToo { return false }
            }
            let argv0 = process.arguments.first.flatMap { $0.isEmpty ? nil : $0 }
            var ok = false
            if let argv0 {
                ok = argv0 == name || (base != name && argv0 == base) || basename(argv0) == name
            }
            if scriptsToo, let argv1 = firstOperand(process.arguments) {
                let argv1Base = basename(argv1)
                if process.comm.utf8.prefix(taskNameLength).elementsEqual(argv1Base.utf8.prefix(taskNameLength)) {
                    ok = ok || argv1 == name || (base != name && argv1 == base) || argv1Base == name
                }
            }
            if base.utf8.count <= taskNameLength, argv0 == nil || argv0!.contains(" ") {
                ok = ok || process.comm == base
            }
            if base.utf8.count <= taskNameLength, argv0?.hasPrefix("-") == true, firstOperand(process.arguments) == nil {
                ok = ok || process.comm == base
            }
            return ok
        }
    }

    /// pgrep PATTERN: an extended regular expression searched in the task name (or, with -f,
    /// the command line joined by spaces); -x anchors it to the whole string.
    /// Returns nil when the pattern is not a valid regular expression (pgrep exits 2).
    public static func pgrep(_ pattern: String, in processes: [RunningProcess], exact: Bool = false, full: Bool = false,
                             ignoreCase: Bool = false) -> [RunningProcess]? {
        var expression = regex_t()
        let source = exact ? "^(\(pattern))$" : pattern
        let flags = REG_EXTENDED | REG_NOSUB | (ignoreCase ? REG_ICASE : 0)
        guard regcomp(&expression, source, flags) == 0 else { return nil }
        defer { regfree(&expression) }
        return processes.filter { process in
            let subject = full ? pgrepCommandLine(process) : process.comm
            return regexec(&expression, subject, 0, nil, 0) == 0
        }
    }

    /// The command line as procps shows it: arguments joined by spaces, control bytes as '?',
    /// and "[comm]" for a process without one (a kernel thread or a zombie).
    public static func pgrepCommandLine(_ process: RunningProcess) -> String {
        guard !process.arguments.isEmpty, !process.arguments.allSatisfy(\.isEmpty) else { return "[\(process.comm)]" }
        let joined = process.arguments.joined(separator: " ")
        return String(joined.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7f ? "?" : Character($0) })
    }

    /// Whether a process running as `uid` may send a signal to `process` (kill(2): root, or
    /// the sender's uid equals the target's real or saved uid).
    public static func maySignal(from uid: UInt32, to process: RunningProcess) -> Bool {
        uid == 0 || process.uid == uid || process.savedUID == uid
    }

    static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// sysvinit's argv[1]: the first later argument not starting with '-'.
    static func firstOperand(_ arguments: [String]) -> String? {
        arguments.dropFirst().first { !$0.hasPrefix("-") }.flatMap { $0.isEmpty ? nil : $0 }
    }

    static func equal(_ a: [UInt8], _ b: [UInt8], ignoreCase: Bool) -> Bool {
        guard ignoreCase else { return a == b }
        return a.count == b.count && zip(a, b).allSatisfy { lower($0) == lower($1) }
    }

    static func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
}
