import LabSupport

/// Objects keyed by keys of one byte or none — the kind the encoder remembers the text of
/// (`JSONStream.member(of:key:)`): two struct key types over every byte value with different
/// texts, an enum whose texts need escapes, and a one-case enum. Siblings and nested objects
/// mix the types at one depth, and a document holds more keys than the encoder remembers.
indirect enum ByteKeyedDocument: Encodable {
    case number(Int)
    case object(kind: Kind, members: [(byte: UInt8, value: ByteKeyedDocument)])
    case array([ByteKeyedDocument])

    enum Kind: CaseIterable { case letter, digit, fruit, only }

    struct LetterKey: CodingKey {
        var byte: UInt8
        var stringValue: String { byte % 7 == 0 ? "k\(byte)\"\\\n" : "k\(byte)" }
        var intValue: Int? { nil }
        init(_ byte: UInt8) { self.byte = byte }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
    }

    struct DigitKey: CodingKey {
        var byte: UInt8
        var stringValue: String { "\(byte)é with a longer text than a word" }
        var intValue: Int? { nil }
        init(_ byte: UInt8) { self.byte = byte }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { nil }
    }

    enum FruitKey: String, CodingKey, CaseIterable { case apple, banana = "ba\"na", cherry = "\u{1}x", damson = "" }

    enum OnlyKey: CodingKey { case only }

    static func key(_ kind: Kind, _ byte: UInt8) -> String {
        switch kind {
        case .letter: LetterKey(byte).stringValue
        case .digit: DigitKey(byte).stringValue
        case .fruit: FruitKey.allCases[Int(byte) % FruitKey.allCases.count].stringValue
        case .only: OnlyKey.only.stringValue
        }
    }

    static func random(_ random: inout SeededRandom, depth: Int) -> ByteKeyedDocument {
        if depth > 3 || random.chance(30) { return .number(random.below(1000)) }
        if random.chance(30) { return .array((0..<random.below(6)).map { _ in Self.random(&random, depth: depth + 1) }) }
        let members = (0..<random.below(24)).map { _ in (UInt8(random.below(256)), Self.random(&random, depth: depth + 1)) }
        return .object(kind: random.pick(Kind.allCases), members: members)
    }

    func encode(to encoder: Encoder) throws {
        switch self {
        case .number(let value):
            var single = encoder.singleValueContainer()
            try single.encode(value)
        case .array(let elements):
            var unkeyed = encoder.unkeyedContainer()
            for element in elements { try unkeyed.encode(element) }
        case let .object(kind, members):
            switch kind {
            case .letter: try write(members, to: encoder) { LetterKey($0) }
            case .digit: try write(members, to: encoder) { DigitKey($0) }
            case .fruit: try write(members, to: encoder) { FruitKey.allCases[Int($0) % FruitKey.allCases.count] }
            case .only: try write(members, to: encoder) { _ in OnlyKey.only }
            }
        }
    }

    private func write<Key: CodingKey>(_ members: [(byte: UInt8, value: ByteKeyedDocument)], to encoder: Encoder, key: (UInt8) -> Key) throws {
        var keyed = encoder.container(keyedBy: Key.self)
        for member in members {
            if case .number(let value) = member.value {
                try keyed.encode(value, forKey: key(member.byte))
            } else {
                try keyed.encode(member.value, forKey: key(member.byte))
            }
        }
    }

    func expected(pretty: Bool, depth: Int = 0) -> String {
        func newline(_ depth: Int) -> String { pretty ? "\n" + String(repeating: "  ", count: depth) : "" }
        func list(_ open: String, _ close: String, _ items: [String]) -> String {
            items.isEmpty ? open + close : open + items.map { newline(depth + 1) + $0 }.joined(separator: ",") + newline(depth) + close
        }
        switch self {
        case .number(let value): return String(value)
        case .array(let elements): return list("[", "]", elements.map { $0.expected(pretty: pretty, depth: depth + 1) })
        case let .object(kind, members):
            return list("{", "}", members.map {
                AnyDocument.quoted(Self.key(kind, $0.byte)) + (pretty ? ": " : ":") + $0.value.expected(pretty: pretty, depth: depth + 1)
            })
        }
    }
}
