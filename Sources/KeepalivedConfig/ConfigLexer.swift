import HAModel

/// One piece of the token stream keepalived's parser sees: the words of a statement, or a
/// brace. Every piece carries the file and line it came from, through includes and
/// definitions.
public enum ConfigToken: Sendable, Equatable {
    case words([String], ConfigLocation)
    case open(ConfigLocation)
    case close(ConfigLocation)

    var location: ConfigLocation {
        switch self {
        case .words(_, let at), .open(let at), .close(let at): return at
        }
    }
}

public struct ConfigLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }
    public var description: String { "\(file):\(line)" }
}

/// Something the reader noticed and, like keepalived, stepped over.
public struct ConfigDiagnostic: Sendable, Equatable, Codable {
    public enum Severity: String, Sendable, Codable, Comparable {
        case info, warning, error
        public static func < (a: Severity, b: Severity) -> Bool {
            [.info, .warning, .error].firstIndex(of: a)! < [.info, .warning, .error].firstIndex(of: b)!
        }
    }
    public var severity: Severity
    public var code: ProblemCode
    public var message: String
    public var file: String?
    public var line: Int?
    /// The vrrp_instance (and node) the problem is about, when it is about one: how other
    /// answers find the problems of an instance (never by searching the message).
    public var instance: String?
    public var node: String?

    public init(_ severity: Severity, _ code: ProblemCode, _ message: String, at location: ConfigLocation?, instance: String? = nil, node: String? = nil) {
        self.severity = severity
        self.code = code
        self.message = message
        self.file = location?.file
        self.line = location?.line
        self.instance = instance
        self.node = node
    }

    enum CodingKeys: String, CodingKey { case severity, code, message, file, line, instance, node }
}

/// Turns keepalived.conf text into tokens the way keepalived 2.2.7 reads it (each rule
/// checked against `keepalived -t` / `--dump-conf`):
/// - `#` and `!` start a comment anywhere outside quotes, even inside a word (`A#x` is `A`);
/// - a trailing `\` continues a line only inside a `$NAME=` definition, nowhere else;
/// - `include` is recognised before conditionals and definitions; relative names are
///   relative to the including file's directory; a missing file is reported, not fatal;
/// - `@ID` / `@^ID` keep or drop a line by config id, then `$NAME=value` defines, then
///   `$NAME` (followed by whitespace) and `${NAME}` expand, recursively;
/// - `{` and `}` split a line into statements, so blocks open on the same or the next
///   line and several statements may share a line.
public struct ConfigLexer {
    public let files: any ConfigFiles
    public let configID: String
    public private(set) var tokens: [ConfigToken] = []
    public private(set) var diagnostics: [ConfigDiagnostic] = []
    public private(set) var filesRead: [String] = []

    private var definitions: [String: Definition] = [:]
    private var includeStack: [String] = []
    /// Guards against definitions that expand into themselves.
    private let maximumExpansions = 1_000
    private let maximumIncludeDepth = 64
    private let maximumExpandedLength = 65536

    struct Definition {
        var lines: [String]
    }

    /// Lines ~SEQ/~LST may generate in all: keepalived's own example makes 65024 instances.
    public let maximumGeneratedLines: Int
    private var generatedLines = 0

    public init(files: any ConfigFiles, configID: String, maximumGeneratedLines: Int = 2_000_000) {
        self.files = files
        self.configID = configID
        self.maximumGeneratedLines = maximumGeneratedLines
    }

    /// Reads the main file; an unreadable main file is an error, everything else a diagnostic.
    public mutating func readMain(_ path: String) throws {
        let bytes = try files.read(path)
        try checkText(bytes, path: path)
        filesRead.append(path)
        includeStack.append(path)
        readText(bytes, file: path)
        includeStack.removeLast()
    }

    private func checkText(_ bytes: [UInt8], path: String) throws {
        if let nul = bytes.firstIndex(of: 0) {
            let line = bytes[..<nul].reduce(1) { $1 == 10 ? $0 + 1 : $0 }
            throw HAError(.dataError, "binary data (a NUL byte) in a configuration file; is this really keepalived.conf?", file: path, line: line)
        }
    }

    private mutating func readText(_ bytes: [UInt8], file: String) {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        var index = 0
        while index < lines.count {
            let number = index + 1
            var raw = lines[index]
            if raw.last == 0x0D { raw = raw.dropLast() }
            index += 1
            let location = ConfigLocation(file: file, line: number)
            guard let first = raw.first(where: { $0 != 0x20 && $0 != 0x09 }), first != UInt8(ascii: "#"), first != UInt8(ascii: "!") else { continue }
            // Most lines hold no include, condition, definition or sequence: tokenize the bytes.
            if first != UInt8(ascii: "@"), first != UInt8(ascii: "~"), !raw.contains(UInt8(ascii: "$")),
               first != UInt8(ascii: "i") || !Self.startsWithInclude(raw) {
                tokenize(raw, at: location, endingAtComment: true)
                continue
            }
            let line = String(decoding: raw, as: UTF8.self)
            if let include = Self.includeDirective(line) {
                readInclude(include.name, checks: include.checks, at: location)
                continue
            }
            guard var kept = applyCondition(line) else { continue }
            kept = Self.stripComment(kept)
            if let (name, value) = Self.definition(kept) {
                if value.hasSuffix("\\") {
                    // A multi-line definition: each line but the last ends in a backslash.
                    var body: [String] = []
                    var current = String(value.dropLast())
                    while true {
                        if !current.trimmingWhitespace().isEmpty { body.append(current) }
                        guard index < lines.count else { break }
                        var next = String(decoding: lines[index], as: UTF8.self)
                        index += 1
                        if next.hasSuffix("\r") { next.removeLast() }
                        next = Self.stripComment(next)
                        if next.hasSuffix("\\") {
                            current = String(next.dropLast())
                            continue
                        }
                        if !next.trimmingWhitespace().isEmpty { body.append(next) }
                        break
                    }
                    definitions[name] = Definition(lines: body)
                } else {
                    definitions[name] = Definition(lines: [value])
                }
                continue
            }
            emitExpanded(kept, at: location, depth: 0)
        }
    }

    static func startsWithInclude(_ line: ArraySlice<UInt8>) -> Bool {
        let word = line.drop(while: { $0 == 0x20 || $0 == 0x09 })
        return word.starts(with: "include".utf8)
    }

    /// What an include keyword makes fatal when nothing matches (parser.c include_t): `m` a
    /// name without wildcards, `w` a pattern with them too, `b` a brace alternative.
    struct IncludeChecks: OptionSet {
        let rawValue: UInt8
        static let match = IncludeChecks(rawValue: 2), wildcard = IncludeChecks(rawValue: 4), brace = IncludeChecks(rawValue: 8)
        static let byKeyword: [String: IncludeChecks] = ["include": [], "includer": [], "includem": [.match],
                                                         "includew": [.match, .wildcard], "includeb": [.brace], "includea": [.match, .wildcard, .brace]]
    }

    /// `include`, `includer`, ... followed by a name: recognised on the raw line.
    static func includeDirective(_ line: String) -> (name: String, checks: IncludeChecks)? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard words.count >= 2, let checks = IncludeChecks.byKeyword[String(words[0])] else { return nil }
        let name = String(stripComment(String(words[1])))
        return name.isEmpty ? nil : (unquote(name), checks)
    }

    private mutating func readInclude(_ name: String, checks: IncludeChecks, at location: ConfigLocation) {
        let pattern = ConfigPath.resolve(name, from: location.file)
        let matches = files.glob(pattern)
        if matches.isEmpty {
            // glob found nothing: a missing name (a brace alternative if braces were used), or
            // wildcards that matched nothing; the include's own checks make that fatal.
            let wildcards = pattern.contains { "*?[".contains($0) }
            let failed: IncludeChecks = !wildcards ? (pattern.contains("{") ? .brace : .match) : .wildcard
            if checks.contains(failed) {
                diagnostics.append(ConfigDiagnostic(.error, .includeMissing, "include '\(name)' matches no file (looked for \(pattern)); keepalived stops: its include keyword makes a missing file a configuration error", at: location))
                return
            }
            diagnostics.append(ConfigDiagnostic(.warning, .includeMissing, "include '\(name)' matches no file (looked for \(pattern)); keepalived skips it, so whatever it was meant to define is absent", at: location))
            return
        }
        for path in matches {
            if includeStack.contains(path) {
                diagnostics.append(ConfigDiagnostic(.error, .includeLoop, "include '\(name)' includes \(path) again while it is still being read (\((includeStack + [path]).joined(separator: " -> "))); keepalived recurses until it runs out of file descriptors: remove the loop", at: location))
                continue
            }
            guard includeStack.count < maximumIncludeDepth else {
                diagnostics.append(ConfigDiagnostic(.error, .includeTooDeep, "includes nested more than \(maximumIncludeDepth) deep at '\(name)'; skipped", at: location))
                continue
            }
            do {
                let bytes = try files.read(path)
                try checkText(bytes, path: path)
                if !filesRead.contains(path) { filesRead.append(path) }
                includeStack.append(path)
                readText(bytes, file: path)
                includeStack.removeLast()
            } catch let error as HAError {
                diagnostics.append(ConfigDiagnostic(.error, .includeUnreadable, "include '\(name)': \(error); keepalived skips it, so whatever it was meant to define is absent", at: location))
            } catch {
                diagnostics.append(ConfigDiagnostic(.error, .includeUnreadable, "include '\(name)': \(error)", at: location))
            }
        }
    }

    private func applyCondition(_ line: String) -> String? {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.first == "@" else { return line }
        var rest = trimmed.dropFirst()
        let negated = rest.first == "^"
        if negated { rest = rest.dropFirst() }
        let id = rest.prefix(while: { $0 != " " && $0 != "\t" })
        let remainder = String(rest.dropFirst(id.count))
        return (id == configID) != negated ? remainder : nil
    }

    /// `$NAME=value` with only whitespace before the `$` and none before the `=`.
    static func definition(_ line: String) -> (String, String)? {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.first == "$" else { return nil }
        let body = trimmed.dropFirst()
        let name = body.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        guard let first = name.first, !first.isNumber, body.dropFirst(name.count).first == "=" else { return nil }
        let value = body.dropFirst(name.count + 1)
        return (String(name), String(value.trimmingWhitespace()))
    }

    private mutating func emitExpanded(_ line: String, at location: ConfigLocation, depth: Int) {
        guard depth < 32 else {
            diagnostics.append(ConfigDiagnostic(.error, .definitionRecursion, "definitions expand into themselves more than 32 times; line skipped", at: location))
            return
        }
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        if trimmed.hasPrefix("~SEQ") || trimmed.hasPrefix("~LST") {
            expandSequence(String(trimmed), at: location, depth: depth)
            return
        }
        guard line.contains("$") else {
            tokenize(line, at: location)
            return
        }
        var budget = maximumExpansions
        let expanded = expand(line, budget: &budget)
        if budget <= 0 {
            diagnostics.append(ConfigDiagnostic(.error, .definitionRecursion, "definitions expand without end (or beyond \(maximumExpandedLength) characters) on this line; skipped", at: location))
            return
        }
        let pieces = expanded.split(separator: "\n", omittingEmptySubsequences: false)
        if pieces.count == 1 {
            // A definition may expand to a conditional or a sequence: re-read it as a line.
            let once = String(pieces[0])
            if once.drop(while: { $0 == " " || $0 == "\t" }).first == "@" || once.contains("~SEQ") {
                if let kept = applyCondition(once) { emitExpanded(kept, at: location, depth: depth + 1) }
            } else if let (name, value) = Self.definition(once) {
                definitions[name] = Definition(lines: [value])
            } else {
                tokenize(once, at: location)
            }
            return
        }
        for piece in pieces {
            guard let kept = applyCondition(String(piece)) else { continue }
            if let (name, value) = Self.definition(kept) {
                definitions[name] = Definition(lines: [value])
            } else {
                emitExpanded(kept, at: location, depth: depth + 1)
            }
        }
    }

    /// Replaces `${NAME}` anywhere and `$NAME` followed by whitespace or the end; unknown
    /// names stay as written.
    private func expand(_ line: String, budget: inout Int) -> String {
        var text = Array(line.utf8)
        var index = 0
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f
        }
        while index < text.count {
            guard text[index] == UInt8(ascii: "$"), budget > 0 else { index += 1; continue }
            var nameStart = index + 1
            var nameEnd: Int
            var end: Int
            if nameStart < text.count, text[nameStart] == UInt8(ascii: "{") {
                nameStart += 1
                nameEnd = nameStart
                while nameEnd < text.count, text[nameEnd] != UInt8(ascii: "}") { nameEnd += 1 }
                guard nameEnd < text.count else { index += 1; continue }
                end = nameEnd + 1
            } else {
                nameEnd = nameStart
                while nameEnd < text.count, isNameByte(text[nameEnd]) { nameEnd += 1 }
                guard nameEnd == text.count || text[nameEnd] == UInt8(ascii: " ") || text[nameEnd] == UInt8(ascii: "\t") else { index += 1; continue }
                end = nameEnd
            }
            let name = String(decoding: text[nameStart..<nameEnd], as: UTF8.self)
            guard let value = builtin(name) ?? definitions[name].map({ $0.lines.joined(separator: "\n") }) else {
                index += 1
                continue
            }
            budget -= 1
            let bytes = Array(value.utf8)
            // A definition that doubles itself would grow without end: stop at a line length
            // no real configuration reaches.
            guard text.count - (end - index) + bytes.count <= maximumExpandedLength else {
                budget = 0
                break
            }
            // Recursive: the replacement is scanned again from the same place.
            text.replaceSubrange(index..<end, with: bytes)
        }
        return String(decoding: text, as: UTF8.self)
    }

    private func builtin(_ name: String) -> String? {
        switch name {
        case "_HASH": return "#"
        case "_BANG": return "!"
        case "_INSTANCE": return configID
        case "_PWD": return ConfigPath.directory(of: includeStack.last ?? ".")
        default: return nil
        }
    }

    /// `~SEQ(var, start, step, end) rest` repeats `rest` with $var counting; `~LST(var, a, b)`
    /// repeats it for each value.
    private mutating func expandSequence(_ line: String, at location: ConfigLocation, depth: Int) {
        let isList = line.hasPrefix("~LST")
        let hex = line.hasPrefix("~SEQx")
        guard let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")"), open < close else {
            diagnostics.append(ConfigDiagnostic(.error, .badSequence, "~SEQ/~LST without (...); line skipped", at: location))
            return
        }
        let args = line[line.index(after: open)..<close].split(separator: ",").map { String($0.trimmingWhitespace()) }
        let rest = String(line[line.index(after: close)...])
        guard let variable = args.first, !variable.isEmpty else {
            diagnostics.append(ConfigDiagnostic(.error, .badSequence, "~SEQ/~LST needs a variable name; line skipped", at: location))
            return
        }
        var values: [String] = []
        if isList {
            values = Array(args.dropFirst())
        } else {
            let numbers = args.dropFirst().map { Self.integer($0) }
            guard !numbers.isEmpty, numbers.count <= 3, numbers.allSatisfy({ $0 != nil }) else {
                diagnostics.append(ConfigDiagnostic(.error, .badSequence, "~SEQ(\(args.joined(separator: ", "))) needs 1 to 3 integers after the variable; line skipped", at: location))
                return
            }
            let n = numbers.map { $0! }
            let end = n[n.count - 1]
            let start = n.count >= 2 ? n[0] : (end >= 0 ? 1 : -1)
            let step = n.count == 3 ? n[1] : (end >= start ? 1 : -1)
            guard step != 0, (end - start) / step <= 100_000 else {
                diagnostics.append(ConfigDiagnostic(.error, .badSequence, "~SEQ step 0 or more than 100000 repetitions; line skipped", at: location))
                return
            }
            var value = start
            while step > 0 ? value <= end : value >= end {
                values.append(hex ? String(value, radix: 16) : String(value))
                value += step
            }
        }
        let saved = definitions[variable]
        for value in values {
            generatedLines += 1
            guard generatedLines <= maximumGeneratedLines else {
                if generatedLines == maximumGeneratedLines + 1 {
                    diagnostics.append(ConfigDiagnostic(.error, .sequenceTooLarge, "~SEQ/~LST lines would generate more than \(maximumGeneratedLines) lines; the rest is skipped", at: location))
                }
                break
            }
            definitions[variable] = Definition(lines: [value])
            emitExpanded(rest, at: location, depth: depth + 1)
        }
        definitions[variable] = saved
    }

    static func integer(_ text: String) -> Int? {
        if text.hasPrefix("0x") || text.hasPrefix("0X") { return Int(text.dropFirst(2), radix: 16) }
        if text.hasPrefix("-0x") { return Int(text.dropFirst(3), radix: 16).map { -$0 } }
        return Int(text)
    }

    /// Cuts the line at the first `#` or `!` outside quotes.
    static func stripComment(_ line: String) -> String {
        String(decoding: stripComment(Array(line.utf8)[...]), as: UTF8.self)
    }

    static func stripComment(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var quote: UInt8 = 0
        var escaped = false
        for index in line.indices {
            let c = line[index]
            if escaped { escaped = false; continue }
            if quote != 0 {
                if c == UInt8(ascii: "\\") { escaped = true } else if c == quote { quote = 0 }
            } else if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
            } else if c == UInt8(ascii: "#") || c == UInt8(ascii: "!") {
                return line[line.startIndex..<index]
            }
        }
        return line
    }

    static func unquote(_ word: String) -> String {
        if word.count >= 2, let first = word.first, first == "\"" || first == "'", word.last == first {
            return String(word.dropFirst().dropLast())
        }
        return word
    }

    private mutating func tokenize(_ line: String, at location: ConfigLocation) {
        tokenize(Array(line.utf8)[...], at: location)
    }

    /// Splits a line into words (quotes group and are removed, with shell-like escapes inside
    /// them) and braces, and emits statements split at each brace. `endingAtComment`: a `#` or
    /// `!` outside quotes ends the line, as `stripComment` would cut it, in the same pass over
    /// the bytes (keepalived text and --json budgets, <= 1.0x keepalived -t).
    private mutating func tokenize(_ line: ArraySlice<UInt8>, at location: ConfigLocation, endingAtComment: Bool = false) {
        var words: [String] = []
        // A word is usually one plain run of bytes, made a String straight from the line;
        // only quoted parts (escapes, quotes removed) are assembled byte by byte in `current`.
        var current: [UInt8] = []
        var plainStart = -1
        var inWord = false
        var quote: UInt8 = 0
        func flushPlain(upTo end: Int) {
            if plainStart >= 0 { current.append(contentsOf: line[plainStart..<end]); plainStart = -1 }
        }
        func endWord(at end: Int) {
            // Room for a statement's words at once, not regrown word by word (keepalived budgets).
            if words.isEmpty { words.reserveCapacity(6) }
            if current.isEmpty, plainStart >= 0 {
                words.append(String(decoding: line[plainStart..<end], as: UTF8.self))
            } else {
                flushPlain(upTo: end)
                words.append(String(decoding: current, as: UTF8.self))
                current.removeAll(keepingCapacity: true)
            }
            plainStart = -1
            inWord = false
        }
        var index = line.startIndex
        while index < line.endIndex {
            let position = index
            let c = line[index]
            index += 1
            if quote == 0, endingAtComment, c == UInt8(ascii: "#") || c == UInt8(ascii: "!") {
                index = position
                break
            }
            if quote != 0 {
                if c == quote {
                    quote = 0
                } else if c == UInt8(ascii: "\\"), index < line.endIndex {
                    current.append(Self.escape(line[index]))
                    index += 1
                } else {
                    current.append(c)
                }
                continue
            }
            switch c {
            case 0x20, 0x09, 0x0D, 0x0B, 0x0C:
                if inWord { endWord(at: position) }
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                flushPlain(upTo: position)
                quote = c
                inWord = true
            case UInt8(ascii: "{"), UInt8(ascii: "}"):
                if inWord { endWord(at: position) }
                if !words.isEmpty { tokens.append(.words(words, location)) }
                words = []
                tokens.append(c == UInt8(ascii: "{") ? .open(location) : .close(location))
            default:
                if plainStart < 0 { plainStart = position }
                inWord = true
            }
        }
        if inWord { endWord(at: index) }
        if !words.isEmpty { tokens.append(.words(words, location)) }
    }

    static func escape(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "a"): return 0x07
        case UInt8(ascii: "b"): return 0x08
        case UInt8(ascii: "E"): return 0x1B
        case UInt8(ascii: "f"): return 0x0C
        case UInt8(ascii: "n"): return 0x0A
        case UInt8(ascii: "r"): return 0x0D
        case UInt8(ascii: "t"): return 0x09
        case UInt8(ascii: "v"): return 0x0B
        default: return c
        }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
