import HAModel

/// Any JSON value, parsed by a small bounds-checked reader: libnftables' ruleset can hold
/// thousands of rules, and Foundation's decoder, made to read an arbitrary value by trying
/// each type in turn, spent seconds building the errors of the failed tries.
indirect enum JSONValue: Equatable, Sendable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case let (.bool(x), .bool(y)): x == y
        case let (.number(x), .number(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.array(x), .array(y)): x == y
        case let (.object(x), .object(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }

    /// The first member named `key` of an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }
    var string: String? { if case .string(let s) = self { s } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var int: Int? { if case .number(let n) = self, n.isFinite, n.magnitude < 1e15, n == n.rounded() { Int(n) } else { nil } }

    /// A scalar as nft writes it: numbers without a fraction, strings as they are.
    var text: String? {
        switch self {
        case .string(let s): s
        case .number(let n): int.map(String.init) ?? String(n)
        case .bool(let b): String(b)
        default: nil
        }
    }

    struct SyntaxError: Error, CustomStringConvertible {
        var offset: Int
        var expected: String
        var description: String { "at byte \(offset): expected \(expected)" }
    }

    /// Parses one JSON text (RFC 8259); nesting deeper than `maxDepth` is refused, not recursed into.
    static func parse(_ bytes: [UInt8], maxDepth: Int = 256) throws(SyntaxError) -> JSONValue {
        var parser = Parser(bytes: bytes, maxDepth: maxDepth)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.at == bytes.count else { throw SyntaxError(offset: parser.at, expected: "the end of the text") }
        return value
    }

    struct Parser {
        let bytes: [UInt8]
        let maxDepth: Int
        var at = 0

        init(bytes: [UInt8], maxDepth: Int) {
            self.bytes = bytes
            self.maxDepth = maxDepth
        }

        mutating func skipSpace() {
            while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0a || bytes[at] == 0x0d || bytes[at] == 0x09 { at += 1 }
        }

        func fail(_ expected: String) -> SyntaxError { SyntaxError(offset: at, expected: expected) }

        mutating func literal(_ word: String, _ value: JSONValue) throws(SyntaxError) -> JSONValue {
            let utf8 = Array(word.utf8)
            guard bytes.count - at >= utf8.count, Array(bytes[at..<(at + utf8.count)]) == utf8 else { throw fail(word) }
            at += utf8.count
            return value
        }

        mutating func value(depth: Int) throws(SyntaxError) -> JSONValue {
            skipSpace()
            guard at < bytes.count else { throw fail("a value") }
            switch bytes[at] {
            case UInt8(ascii: "{"):
                guard depth < maxDepth else { throw fail("nesting at most \(maxDepth) deep") }
                at += 1
                var members: [(String, JSONValue)] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "}") { at += 1; return .object(members) }
                while true {
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: "\"") else { throw fail("a member name") }
                    let key = try string()
                    skipSpace()
                    guard at < bytes.count, bytes[at] == UInt8(ascii: ":") else { throw fail("':'") }
                    at += 1
                    members.append((key, try value(depth: depth + 1)))
                    skipSpace()
                    guard at < bytes.count else { throw fail("',' or '}'") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    guard bytes[at] == UInt8(ascii: "}") else { throw fail("',' or '}'") }
                    at += 1
                    return .object(members)
                }
            case UInt8(ascii: "["):
                guard depth < maxDepth else { throw fail("nesting at most \(maxDepth) deep") }
                at += 1
                var elements: [JSONValue] = []
                skipSpace()
                if at < bytes.count, bytes[at] == UInt8(ascii: "]") { at += 1; return .array(elements) }
                while true {
                    elements.append(try value(depth: depth + 1))
                    skipSpace()
                    guard at < bytes.count else { throw fail("',' or ']'") }
                    if bytes[at] == UInt8(ascii: ",") { at += 1; continue }
                    guard bytes[at] == UInt8(ascii: "]") else { throw fail("',' or ']'") }
                    at += 1
                    return .array(elements)
                }
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: return try number()
            }
        }

        mutating func number() throws(SyntaxError) -> JSONValue {
            let start = at
            func digits(_ parser: inout Parser) -> Int {
                let from = parser.at
                while parser.at < parser.bytes.count, parser.bytes[parser.at] >= 0x30, parser.bytes[parser.at] <= 0x39 { parser.at += 1 }
                return parser.at - from
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits(&self) > 0 else { throw fail("a value") }
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
                at += 1
                guard digits(&self) > 0 else { throw fail("digits after '.'") }
            }
            if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
                at += 1
                if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
                guard digits(&self) > 0 else { throw fail("exponent digits") }
            }
            guard let value = Double(String(decoding: bytes[start..<at], as: UTF8.self)) else { throw fail("a number") }
            return .number(value)
        }

        mutating func hex4() throws(SyntaxError) -> UInt32 {
            guard bytes.count - at >= 4 else { throw fail("four hex digits") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[at]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: throw fail("a hex digit")
                }
                value = value << 4 | digit
                at += 1
            }
            return value
        }

        /// A string after its opening quote is checked: escapes decoded, invalid UTF-8 replaced.
        mutating func string() throws(SyntaxError) -> String {
            at += 1
            var out: [UInt8] = []
            while true {
                guard at < bytes.count else { throw fail("'\"'") }
                let c = bytes[at]
                if c == UInt8(ascii: "\"") { at += 1; break }
                guard c >= 0x20 else { throw fail("no control character inside a string") }
                if c != UInt8(ascii: "\\") { out.append(c); at += 1; continue }
                at += 1
                guard at < bytes.count else { throw fail("an escape") }
                let escape = bytes[at]
                at += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    // A surrogate pair is one scalar; a lone surrogate becomes U+FFFD.
                    if scalar >= 0xd800, scalar < 0xdc00, bytes.count - at >= 6, bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                        at += 2
                        let low = try hex4()
                        scalar = low >= 0xdc00 && low < 0xe000 ? 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00) : 0xfffd
                    }
                    out += Array(String(Character(Unicode.Scalar(scalar) ?? "\u{fffd}")).utf8)
                default:
                    throw fail("a valid escape")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
