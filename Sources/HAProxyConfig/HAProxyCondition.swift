import HAModel

/// What `.if` conditions are judged against: the environment haproxy starts with and, when
/// known, its version and build features (`haproxy -vv`).
public struct HAProxyBuild: Sendable, Equatable {
    public var environment: [String: String]
    /// "2.6.12"; nil when unknown (version predicates are then taken as false, with a note).
    public var version: String?
    /// The "Feature list" words, e.g. "+OPENSSL", "-QUIC"; nil when unknown.
    public var features: [String]?
    /// The TLS library haproxy runs with, as it names it ("OpenSSL 3.0.19 27 Jan 2026").
    public var sslLibrary: String?
    /// haproxy's local peer name (-L, else the host name): a peers section listens only when
    /// it names this peer. nil when unknown.
    public var localPeer: String?

    public init(environment: [String: String] = [:], version: String? = nil, features: [String]? = nil) {
        self.environment = environment
        self.version = version
        self.features = features
    }
}

/// A `.if`/`.elif` expression as haproxy 2.6's cfgcond reads it: terms joined by `&&` and `||`
/// (`&&` binds tighter), `!` negation, parentheses, integers (non-zero is true) and the
/// predicates defined, feature, streq, strneq, version_atleast, version_before,
/// openssl_version_atleast/before, ssllib_name_startswith.
struct HAProxyCondition {
    var build: HAProxyBuild
    var file: String
    var line: Int
    /// Predicates that could not be judged here, in words.
    var unknowns: [String] = []

    static let arity: [String: Int] = [
        "defined": 1, "feature": 1, "streq": 2, "strneq": 2, "version_atleast": 1, "version_before": 1,
        "openssl_version_atleast": 1, "openssl_version_before": 1, "ssllib_name_startswith": 1,
    ]
    static let maximumDepth = 1024

    indirect enum Node {
        case constant(Bool)
        case predicate(String, [String])
        case not(Node)
        case and(Node, Node)
        case or(Node, Node)
    }

    mutating func evaluate(_ text: String) throws(HAError) -> Bool {
        let bytes = Array(text.utf8)
        // An empty condition is false.
        guard !bytes.isEmpty else { return false }
        var index = 0
        let node = try expression(bytes, &index, depth: HAProxyCondition.maximumDepth)
        skipBlanks(bytes, &index)
        guard index == bytes.count else {
            throw fail("unexpected character '\(Character(Unicode.Scalar(bytes[index])))' at the end of conditional expression '\(text)'")
        }
        return value(node)
    }

    private func fail(_ message: String) -> HAError { HAError(.dataError, message, file: file, line: line) }

    private func skipBlanks(_ bytes: [UInt8], _ index: inout Int) {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    private func expression(_ bytes: [UInt8], _ index: inout Int, depth: Int) throws(HAError) -> Node {
        guard depth > 0 else { throw fail("conditional expression nested too deeply") }
        return try chain(bytes, &index, operator: UInt8(ascii: "|"), combine: Node.or) { (bytes, index) throws(HAError) in
            try chain(bytes, &index, operator: UInt8(ascii: "&"), combine: Node.and) { (bytes, index) throws(HAError) in
                try term(bytes, &index, depth: depth - 1)
            }
        }
    }

    /// Operands joined by a doubled operator (`||`, `&&`), left to right.
    private func chain(_ bytes: [UInt8], _ index: inout Int, operator symbol: UInt8, combine: (Node, Node) -> Node,
                       operand: ([UInt8], inout Int) throws(HAError) -> Node) throws(HAError) -> Node {
        var left = try operand(bytes, &index)
        skipBlanks(bytes, &index)
        while index + 1 < bytes.count, bytes[index] == symbol, bytes[index + 1] == symbol {
            index += 2
            skipBlanks(bytes, &index)
            left = combine(left, try operand(bytes, &index))
            skipBlanks(bytes, &index)
        }
        return left
    }

    private func term(_ bytes: [UInt8], _ index: inout Int, depth: Int) throws(HAError) -> Node {
        guard depth > 0 else { throw fail("conditional expression nested too deeply") }
        skipBlanks(bytes, &index)
        let start = index
        guard index < bytes.count else { throw fail("unparsable conditional expression: a term is missing at the end") }
        var negated = false
        while index < bytes.count, bytes[index] == UInt8(ascii: "!") {
            negated.toggle()
            index += 1
            skipBlanks(bytes, &index)
        }
        func wrap(_ node: Node) -> Node { negated ? .not(node) : node }
        if let number = integer(bytes, &index) { return wrap(.constant(number != 0)) }
        if index < bytes.count, bytes[index] == UInt8(ascii: "(") {
            index += 1
            skipBlanks(bytes, &index)
            guard index < bytes.count else { throw fail("unparsable conditional expression after '('") }
            let inner = try expression(bytes, &index, depth: depth - 1)
            skipBlanks(bytes, &index)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ")") else {
                throw fail("expected ')' after conditional expression '\(String(decoding: bytes[start...], as: UTF8.self))'")
            }
            index += 1
            skipBlanks(bytes, &index)
            return wrap(inner)
        }
        var nameEnd = index
        while nameEnd < bytes.count, bytes[nameEnd] != 0x20, bytes[nameEnd] != UInt8(ascii: "(") { nameEnd += 1 }
        let name = String(decoding: bytes[index..<nameEnd], as: UTF8.self)
        guard let count = HAProxyCondition.arity[name] else {
            throw fail("unparsable conditional expression '\(String(decoding: bytes[start...], as: UTF8.self))': expected a number, '(' or one of \(HAProxyCondition.arity.keys.sorted().joined(separator: ", "))")
        }
        index = nameEnd
        let arguments = try predicateArguments(bytes, &index, name: name)
        guard arguments.count == count else {
            throw fail("predicate '\(name)' takes \(count) argument(s), got \(arguments.count)")
        }
        return wrap(.predicate(name, arguments))
    }

    /// strtol(3) with base 0: optional sign, 0x hex, leading-0 octal, decimal.
    private func integer(_ bytes: [UInt8], _ index: inout Int) -> Int? {
        var cursor = index
        while cursor < bytes.count, HAProxyWords.isSpace(bytes[cursor]) { cursor += 1 }
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "+") || bytes[cursor] == UInt8(ascii: "-") { cursor += 1 }
        var base = 10
        if cursor + 2 < bytes.count, bytes[cursor] == UInt8(ascii: "0"), bytes[cursor + 1] | 0x20 == UInt8(ascii: "x"),
           HAProxyWords.hex(bytes[cursor + 2]) != nil {
            base = 16
            cursor += 2
        } else if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "0") {
            base = 8
        }
        let digitsStart = cursor
        // Only zero or not matters, so no overflow to care about.
        var value = 0
        while cursor < bytes.count, let digit = HAProxyWords.hex(bytes[cursor]), Int(digit) < base {
            if digit != 0 { value = 1 }
            cursor += 1
        }
        guard cursor > digitsStart else { return nil }
        index = cursor
        return value
    }

    /// `(a,b)` after a predicate name, with make_arg_list's quoting: quotes group, backslash
    /// escapes `\\ \  \" \'` and `\r \n \t`.
    private func predicateArguments(_ bytes: [UInt8], _ index: inout Int, name: String) throws(HAError) -> [String] {
        // Without parentheses, make_arg_list gives one empty argument.
        guard index < bytes.count, bytes[index] == UInt8(ascii: "(") else { return [""] }
        index += 1
        var arguments: [String] = []
        var current: [UInt8] = []
        var inSingle = false, inDouble = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") && !inSingle { inDouble.toggle(); index += 1; continue }
            if byte == UInt8(ascii: "'") && !inDouble { inSingle.toggle(); index += 1; continue }
            if byte == UInt8(ascii: "\\"), !inSingle, index + 1 < bytes.count {
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "\\"), 0x20, UInt8(ascii: "\""), UInt8(ascii: "'"): current.append(next); index += 2
                case UInt8(ascii: "r"): current.append(0x0d); index += 2
                case UInt8(ascii: "n"): current.append(0x0a); index += 2
                case UInt8(ascii: "t"): current.append(0x09); index += 2
                default: current.append(byte); index += 1
                }
                continue
            }
            if !inSingle && !inDouble && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: ")")) {
                arguments.append(String(decoding: current, as: UTF8.self))
                current = []
                index += 1
                if byte == UInt8(ascii: ")") { return arguments }
                continue
            }
            current.append(byte)
            index += 1
        }
        throw fail("missing ')' after the arguments of predicate '\(name)'")
    }

    private mutating func value(_ node: Node) -> Bool {
        switch node {
        case .constant(let value): return value
        case .not(let inner): return !value(inner)
        case .and(let left, let right): return value(left) && value(right)
        case .or(let left, let right): return value(left) || value(right)
        case .predicate(let name, let arguments): return predicate(name, arguments)
        }
    }

    private mutating func unknown(_ name: String, _ arguments: [String]) -> Bool {
        unknowns.append("\(name)(\(arguments.joined(separator: ","))) taken as false: the TLS library haproxy runs with is not known here")
        return false
    }

    private mutating func predicate(_ name: String, _ arguments: [String]) -> Bool {
        switch name {
        case "defined": return build.environment[arguments[0]] != nil
        case "streq": return arguments[0] == arguments[1]
        case "strneq": return arguments[0] != arguments[1]
        case "feature":
            guard let features = build.features else {
                unknowns.append("feature(\(arguments[0])) taken as false: haproxy's build features are not known here")
                return false
            }
            return features.contains("+" + arguments[0])
        case "version_atleast", "version_before":
            guard let version = build.version else {
                unknowns.append("\(name)(\(arguments[0])) taken as false: haproxy's version is not known here")
                return false
            }
            let order = HAProxyCondition.compareVersions(version, arguments[0])
            return name == "version_atleast" ? order <= 0 : order > 0
        case "ssllib_name_startswith":
            guard let library = build.sslLibrary else { return unknown(name, arguments) }
            return library.hasPrefix(arguments[0])
        default:
            guard let library = build.sslLibrary, let running = library.split(separator: " ").dropFirst().first else { return unknown(name, arguments) }
            let order = HAProxyCondition.compareVersions(String(running), arguments[0])
            return name == "openssl_version_atleast" ? order <= 0 : order > 0
        }
    }

    /// haproxy's compare_current_version: -1 when `argument` is older than `current`, 0 the
    /// same, 1 newer; -2/-3 when `current`/`argument` does not parse (and -3 makes
    /// version_atleast true, as in haproxy).
    static func compareVersions(_ current: String, _ argument: String) -> Int {
        guard let local = splitVersion(current) else { return -2 }
        guard let wanted = splitVersion(argument) else { return -3 }
        for (have, want) in zip(local, wanted) where have != want { return want < have ? -1 : 1 }
        return 0
    }

    /// haproxy's split_version: <a>[.<b>[.<c>[.<d>]]][-{dev,pre,rc}<f>][-*][-<g>] into seven
    /// numbers, the tag being dev 1, rc/pre 2, none 3.
    static func splitVersion(_ text: String) -> [Int]? {
        let bytes = Array(text.utf8)
        var value = [0, 0, 0, 0, 3, 0, 0]
        guard !bytes.isEmpty else { return nil }
        func at(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }
        /// strtol(p, &end, 10) without overflow concerns (versions are small).
        func number(_ start: Int) -> (Int, Int) {
            var i = start
            while HAProxyWords.isSpace(at(i)) { i += 1 }
            var negative = false
            if at(i) == UInt8(ascii: "-") || at(i) == UInt8(ascii: "+") { negative = at(i) == UInt8(ascii: "-"); i += 1 }
            let digits = i
            var result = 0
            while (0x30...0x39).contains(at(i)) { result = min(result * 10 + Int(at(i) - 0x30), Int(Int32.max)); i += 1 }
            return i == digits ? (0, start) : (negative ? -result : result, i)
        }
        var p = 0
        var tagged = false
        for position in 0..<4 {
            let (parsed, end) = number(p)
            value[position] = parsed
            p = end + 1
            switch at(end) {
            case 0: return value
            case UInt8(ascii: "-"): tagged = true
            case UInt8(ascii: ".") where position < 3: continue
            default: return nil
            }
            break
        }
        guard tagged else { return nil }
        var commitFrom = p
        if !(0x30...0x39).contains(at(p)) {
            let rest = bytes[min(p, bytes.count)...]
            var tagLength = 0
            if rest.starts(with: Array("dev".utf8)) { value[4] = 1; tagLength = 3 }
            else if rest.starts(with: Array("rc".utf8)) { value[4] = 2; tagLength = 2 }
            else if rest.starts(with: Array("pre".utf8)) { value[4] = 2; tagLength = 3 }
            if tagLength > 0 {
                let (parsed, end) = number(p + tagLength)
                value[5] = parsed
                if at(end) == 0 { return value }
                guard at(end) == UInt8(ascii: "-") else { return nil }
                commitFrom = end + 1
            }
        }
        // The commit number is after the last '-', when all of it is a number.
        let tail = Array(bytes[min(commitFrom, bytes.count)...])
        let start = (tail.lastIndex(of: UInt8(ascii: "-")).map { $0 + 1 }) ?? 0
        if start > 0, start == tail.count { return nil }
        let (parsed, end) = number(commitFrom + start)
        value[6] = at(end) == 0 ? parsed : 0
        return value
    }
}

extension HAProxyBuild {
    /// Version and feature list from `haproxy -vv` output ("HAProxy version 2.6.12-1+deb12u4 ...",
    /// "Feature list : +EPOLL -KQUEUE ..."); the environment is left as given.
    public mutating func read(versionOutput text: String) {
        for line in text.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count >= 3, words[0] == "HAProxy", words[1] == "version" {
                // "2.6.12-1+deb12u4": the distribution's suffix is not haproxy's version.
                version = String(words[2].prefix { $0.isNumber || $0 == "." })
            } else if line.hasPrefix("Running on OpenSSL version : ") {
                sslLibrary = String(line.dropFirst("Running on OpenSSL version : ".count))
            } else if line.hasPrefix("Feature list") {
                features = words.filter { $0.hasPrefix("+") || $0.hasPrefix("-") }.map(String.init)
            }
        }
    }
}
