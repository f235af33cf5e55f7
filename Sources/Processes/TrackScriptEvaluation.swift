import HAModel

/// The state of one vrrp_script as judged from /proc and the file system, without running it.
public struct TrackScriptState: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case ok, failing
        case notEvaluated = "not_evaluated"
    }
    public var node: String?
    public var name: String
    public var script: String
    public var state: State
    /// Why: which processes matched (or none did), which file test held, or why it was not judged.
    public var reason: String
    /// The matching pids as haexplain saw them, and as the script would see them in its namespace.
    public var matchedPIDs: [Int32]
    public var matchedPIDsInScriptNamespace: [Int32]
    /// Where the script was judged: "the pid and mount namespace of keepalived (pid 812)".
    public var evaluatedIn: String
    /// How it was judged: "from /proc" or "ran it (--run-track-scripts)".
    public var method: String
    public var file: String
    public var line: Int

    public init(node: String?, name: String, script: String, state: State, reason: String, matchedPIDs: [Int32] = [],
                matchedPIDsInScriptNamespace: [Int32] = [], evaluatedIn: String, method: String = "from /proc", file: String, line: Int) {
        self.node = node
        self.name = name
        self.script = script
        self.state = state
        self.reason = reason
        self.matchedPIDs = matchedPIDs
        self.matchedPIDsInScriptNamespace = matchedPIDsInScriptNamespace
        self.evaluatedIn = evaluatedIn
        self.method = method
        self.file = file
        self.line = line
    }

    enum CodingKeys: String, CodingKey {
        case node, name, script, state, reason, matchedPIDs = "matched_pids"
        case matchedPIDsInScriptNamespace = "matched_pids_in_script_namespace"
        case evaluatedIn = "evaluated_in", method, file, line
    }
}

/// What a track script would see: the processes of its pid namespace, the files of its mount
/// namespace, and the user it runs as.
public struct ScriptSurroundings {
    public var processes: [RunningProcess]
    /// A path as the script sees it (keepalived's root), or nil when it does not exist.
    public var file: (String) -> PathFact?
    public var realPath: (String) -> String?
    /// The uid the script runs as (script_user); nil when unknown (then root is assumed).
    public var scriptUID: UInt32?
    public var description: String
    /// The pid-namespace level of the script relative to haexplain's (index into NSpid).
    public var namespaceLevel: Int

    public init(processes: [RunningProcess], file: @escaping (String) -> PathFact?, realPath: @escaping (String) -> String? = { _ in nil },
                scriptUID: UInt32?, description: String, namespaceLevel: Int = 0) {
        self.processes = processes
        self.file = file
        self.realPath = realPath
        self.scriptUID = scriptUID
        self.description = description
        self.namespaceLevel = namespaceLevel
    }
}

/// A path's kind and size, what `test`/`[` asks of it.
public struct PathFact: Sendable, Equatable {
    public enum Kind: String, Sendable { case regular, directory, other }
    public var kind: Kind
    public var size: Int64
    public init(kind: Kind, size: Int64) {
        self.kind = kind
        self.size = size
    }
}

/// Judges vrrp_scripts of the shapes operators write, the way the program keepalived would
/// run would answer, from the surroundings it would run in. Anything else is "not evaluated".
public enum TrackScriptEvaluator {
    public static func evaluate(name: String, script: String, node: String? = nil, file: String, line: Int,
                                in surroundings: ScriptSurroundings) -> TrackScriptState {
        let verdict = judge(words(script), surroundings)
        let seen = verdict.pids.map(\.pid)
        let inside = verdict.pids.map { process in
            process.namespacePIDs.indices.contains(surroundings.namespaceLevel) ? process.namespacePIDs[surroundings.namespaceLevel] : process.pid
        }
        return TrackScriptState(node: node, name: name, script: script, state: verdict.state, reason: verdict.reason,
                                matchedPIDs: seen, matchedPIDsInScriptNamespace: inside,
                                evaluatedIn: surroundings.description, file: file, line: line)
    }

    struct Verdict {
        var state: TrackScriptState.State
        var reason: String
        var pids: [RunningProcess] = []
    }

    static func notEvaluated(_ why: String) -> Verdict { Verdict(state: .notEvaluated, reason: why) }

    static func judge(_ argv: [String], _ env: ScriptSurroundings) -> Verdict {
        guard let program = argv.first else { return notEvaluated("empty script") }
        let tool = ProcessMatching.basename(program)
        // Only the tools' own paths count: /opt/x/killall may be anything.
        let known = !program.contains("/") || ["/bin/", "/usr/bin/", "/sbin/", "/usr/sbin/"].contains { program == $0 + tool }
        guard known else { return notEvaluated("\(program) is not a tool haexplain knows how to judge; --run-track-scripts runs it") }
        let arguments = Array(argv.dropFirst())
        switch tool {
        case "killall": return killall(arguments, env)
        case "pidof": return pidof(arguments, env)
        case "pgrep": return pgrep(arguments, env)
        case "test": return test(arguments, env)
        case "[":
            guard arguments.last == "]" else { return Verdict(state: .failing, reason: "[ without a closing ]: the command fails") }
            return test(Array(arguments.dropLast()), env)
        case "systemctl":
            return notEvaluated("systemctl asks systemd over D-Bus: not evaluable without systemd (--run-track-scripts runs it)")
        case "true": return Verdict(state: .ok, reason: "true always succeeds")
        case "false": return Verdict(state: .failing, reason: "false always fails")
        default:
            return notEvaluated("\(program) is not a shape haexplain judges from /proc (killall, pidof, pgrep, test, [); --run-track-scripts runs it")
        }
    }

    static func killall(_ arguments: [String], _ env: ScriptSurroundings) -> Verdict {
        var names: [String] = []
        var ignoreCase = false
        var exact = false
        var index = 0
        var optionsDone = false
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if optionsDone || !argument.hasPrefix("-") || argument == "-" { names.append(argument); continue }
            switch argument {
            case "--": optionsDone = true
            case "-q", "--quiet", "-v", "--verbose": break
            case "-e", "--exact": exact = true
            case "-I", "--ignore-case": ignoreCase = true
            case "-s", "--signal": index += 1
            default:
                // -0, -9, -HUP, -SIGTERM: a signal; anything else changes what matches.
                let body = argument.dropFirst()
                if body.allSatisfy(\.isNumber) || body.allSatisfy({ $0.isUppercase || $0.isNumber }) { break }
                return notEvaluated("killall option \(argument) is not judged from /proc")
            }
        }
        guard !names.isEmpty else { return Verdict(state: .failing, reason: "killall without a name prints usage and fails") }
        var matched: [RunningProcess] = []
        var missing: [String] = []
        var refused: [String] = []
        for name in names {
            if name.contains("/"), env.file(name) == nil {
                missing.append("\(name) (no such file: killall fails)")
                continue
            }
            let found = ProcessMatching.killall(name, in: env.processes, ignoreCase: ignoreCase, exact: exact)
            let allowed = found.filter { ProcessMatching.maySignal(from: env.scriptUID ?? 0, to: $0) }
            if allowed.isEmpty {
                if found.isEmpty { missing.append(name) } else { refused.append("\(name) (pids \(found.map { String($0.pid) }.joined(separator: ", ")) run as another user: kill(2) is refused for uid \(env.scriptUID ?? 0))") }
            }
            matched += allowed
        }
        // killall succeeds only when every name was signalled.
        if missing.isEmpty, refused.isEmpty {
            return Verdict(state: .ok, reason: "killall finds \(describe(matched)) by task name", pids: matched)
        }
        let why = (missing.map { "no process named \($0)" } + refused).joined(separator: "; ")
        return Verdict(state: .failing, reason: "killall fails: \(why)", pids: matched)
    }

    static func pidof(_ arguments: [String], _ env: ScriptSurroundings) -> Verdict {
        var names: [String] = []
        var scriptsToo = false
        var omit: Set<Int32> = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-"), argument.count > 1, names.isEmpty else { names.append(argument); continue }
            for letter in argument.dropFirst() {
                switch letter {
                case "x": scriptsToo = true
                case "s", "q", "n", "c", "z": break
                case "o":
                    guard index < arguments.count else { return notEvaluated("pidof -o without a pid") }
                    for item in arguments[index].split(separator: ",") {
                        guard let pid = Int32(item) else { return notEvaluated("pidof -o \(arguments[index]) names a pid only the script knows") }
                        omit.insert(pid)
                    }
                    index += 1
                case "d": index += 1
                default: return notEvaluated("pidof option -\(letter) is not judged from /proc")
                }
            }
        }
        guard !names.isEmpty else { return Verdict(state: .failing, reason: "pidof without a name finds nothing and fails") }
        var matched: [RunningProcess] = []
        for name in names {
            matched += ProcessMatching.pidof(name, in: env.processes, scriptsToo: scriptsToo, realPath: env.realPath)
                .filter { !omit.contains($0.namespacePIDs[safe: env.namespaceLevel] ?? $0.pid) }
        }
        // pidof succeeds when any name matched.
        if matched.isEmpty { return Verdict(state: .failing, reason: "pidof finds no process for \(names.joined(separator: " ")) (argv[0] or its basename)") }
        return Verdict(state: .ok, reason: "pidof finds \(describe(matched))", pids: matched)
    }

    static func pgrep(_ arguments: [String], _ env: ScriptSurroundings) -> Verdict {
        var exact = false, full = false, ignoreCase = false
        var patterns: [String] = []
        for argument in arguments {
            guard argument.hasPrefix("-"), argument.count > 1, patterns.isEmpty else { patterns.append(argument); continue }
            switch argument {
            case "--exact": exact = true
            case "--full": full = true
            case "--ignore-case": ignoreCase = true
            case "--list-name", "--list-full", "--count", "--newest", "--oldest": break
            default:
                guard !argument.hasPrefix("--") else { return notEvaluated("pgrep option \(argument) is not judged from /proc") }
                for letter in argument.dropFirst() {
                    switch letter {
                    case "x": exact = true
                    case "f": full = true
                    case "i": ignoreCase = true
                    case "l", "a", "c", "n", "o": break
                    default: return notEvaluated("pgrep option -\(letter) is not judged from /proc")
                    }
                }
            }
        }
        guard patterns.count == 1 else {
            return Verdict(state: .failing, reason: patterns.isEmpty ? "pgrep without a pattern exits 2" : "pgrep takes one pattern: exits 2")
        }
        guard let matched = ProcessMatching.pgrep(patterns[0], in: env.processes, exact: exact, full: full, ignoreCase: ignoreCase) else {
            return Verdict(state: .failing, reason: "pgrep: \(patterns[0]) is not a valid extended regular expression (exit 2)")
        }
        let subject = full ? "command line" : "task name (15 bytes)"
        if matched.isEmpty {
            var reason = "pgrep finds no process whose \(subject) \(exact ? "is" : "contains a match of") \(patterns[0])"
            if !full, patterns[0].utf8.count > ProcessMatching.taskNameLength {
                reason += "; the pattern is longer than the 15-byte task name (pgrep -f matches the command line)"
            }
            return Verdict(state: .failing, reason: reason)
        }
        return Verdict(state: .ok, reason: "pgrep finds \(describe(matched)) by \(subject)", pids: matched)
    }

    /// test / [ with one unary file test, optionally negated.
    static func test(_ arguments: [String], _ env: ScriptSurroundings) -> Verdict {
        var rest = arguments
        var negate = false
        if rest.first == "!" {
            negate = true
            rest.removeFirst()
        }
        guard rest.count == 2, let op = rest.first, ["-e", "-f", "-d", "-s"].contains(op) else {
            return notEvaluated("test \(arguments.joined(separator: " ")) is not a single file test (-e, -f, -d, -s) haexplain judges")
        }
        let path = rest[1]
        guard path.hasPrefix("/") else { return notEvaluated("\(path) is relative to keepalived's working directory, which is not judged") }
        let fact = env.file(path)
        let holds: Bool
        switch op {
        case "-e": holds = fact != nil
        case "-f": holds = fact?.kind == .regular
        case "-d": holds = fact?.kind == .directory
        default: holds = (fact?.size ?? 0) > 0
        }
        let seen = fact.map { "\(path) is a \($0.kind.rawValue == "other" ? "special file" : ($0.kind == .regular ? "regular file" : "directory")) of \($0.size) bytes" } ?? "\(path) does not exist"
        let ok = holds != negate
        return Verdict(state: ok ? .ok : .failing, reason: "test \(negate ? "! " : "")\(op) \(path) \(ok ? "holds" : "fails"): \(seen)")
    }

    static func describe(_ processes: [RunningProcess]) -> String {
        processes.map { "pid \($0.pid) (\($0.comm))" }.joined(separator: ", ")
    }

    /// The script's words, split the way keepalived splits `script` (no shell): on blanks,
    /// with '...' and "..." quoting and a backslash escaping the next character.
    public static func words(_ script: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character? = nil
        var escaped = false
        for character in script {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open { quote = nil } else if character == "\\" { escaped = true } else { current.append(character) }
                continue
            }
            switch character {
            case "\\": escaped = true; inWord = true
            case "'", "\"": quote = character; inWord = true
            case " ", "\t":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
