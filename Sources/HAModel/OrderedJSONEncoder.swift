/// A JSON encoder that writes keys in the order the type encodes them (its CodingKeys
/// order), so output is stable and reads like `ip -j`: Foundation's JSONEncoder on Linux
/// orders keys by hash unless told to sort them. It builds a small tree, then writes it.
public struct OrderedJSONEncoder {
    public var pretty: Bool

    public init(pretty: Bool = true) { self.pretty = pretty }

    public func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = TreeEncoder(codingPath: [])
        try value.encode(to: encoder)
        var out = ""
        out.reserveCapacity(4096)
        write(encoder.resolved, into: &out, depth: 0)
        return out
    }

    private func write(_ node: Node, into out: inout String, depth: Int) {
        switch node {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): OrderedJSONEncoder.quote(text, into: &out)
        case .encoder(let child): write(child.resolved, into: &out, depth: depth)
        case .array(let box):
            if box.items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in box.items.enumerated() {
                if i > 0 { out += "," }
                newline(&out, depth + 1)
                write(item, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out += "]"
        case .object(let box):
            if box.entries.isEmpty { out += "{}"; return }
            out += "{"
            for (i, entry) in box.entries.enumerated() {
                if i > 0 { out += "," }
                newline(&out, depth + 1)
                OrderedJSONEncoder.quote(entry.key, into: &out)
                out += pretty ? ": " : ":"
                write(entry.value, into: &out, depth: depth + 1)
            }
            newline(&out, depth)
            out += "}"
        }
    }

    @inline(__always)
    private func newline(_ out: inout String, _ depth: Int) {
        guard pretty else { return }
        out += "\n"
        for _ in 0..<depth { out += "  " }
    }

    static func quote(_ text: String, into out: inout String) {
        out += "\""
        var plainStart = text.utf8.startIndex
        let utf8 = text.utf8
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == 0x22 || byte == 0x5c || byte < 0x20 {
                out += String(Substring(utf8[plainStart..<index]))
                switch byte {
                case 0x22: out += "\\\""
                case 0x5c: out += "\\\\"
                case 0x0a: out += "\\n"
                case 0x0d: out += "\\r"
                case 0x09: out += "\\t"
                default:
                    let hex = String(byte, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
                plainStart = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        out += String(Substring(utf8[plainStart..<utf8.endIndex]))
        out += "\""
    }
}

indirect enum Node {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array(ArrayBox)
    case object(ObjectBox)
    case encoder(TreeEncoder)
}

final class ArrayBox { var items: [Node] = [] }
final class ObjectBox { var entries: [(key: String, value: Node)] = [] }

final class TreeEncoder: Encoder {
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var root: Node?

    init(codingPath: [CodingKey]) { self.codingPath = codingPath }

    var resolved: Node { root ?? .object(ObjectBox()) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let box)? = root {
            return KeyedEncodingContainer(KeyedTree<Key>(box: box, codingPath: codingPath))
        }
        let box = ObjectBox()
        root = .object(box)
        return KeyedEncodingContainer(KeyedTree<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array(let box)? = root { return UnkeyedTree(box: box, codingPath: codingPath) }
        let box = ArrayBox()
        root = .array(box)
        return UnkeyedTree(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleTree(encoder: self) }

    static func node<T: Encodable>(_ value: T, at path: [CodingKey]) throws -> Node {
        switch value {
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(String(number))
        case let number as UInt32: return .number(String(number))
        case let number as Double: return try double(number, at: path)
        default:
            let child = TreeEncoder(codingPath: path)
            try value.encode(to: child)
            return child.resolved
        }
    }

    static func double(_ value: Double, at path: [CodingKey]) throws -> Node {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "JSON has no NaN or infinity"))
        }
        if value == value.rounded(), abs(value) < 1e15 { return .number(String(Int64(value))) }
        return .number(String(value))
    }
}

struct KeyedTree<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    let codingPath: [CodingKey]

    private func add(_ key: Key, _ node: Node) { box.entries.append((key.stringValue, node)) }

    mutating func encodeNil(forKey key: Key) throws { add(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { add(key, try TreeEncoder.double(value, at: codingPath + [key])) }
    mutating func encode(_ value: Float, forKey key: Key) throws { add(key, try TreeEncoder.double(Double(value), at: codingPath + [key])) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(key, .number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        add(key, try TreeEncoder.node(value, at: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        add(key, .object(nested))
        return KeyedEncodingContainer(KeyedTree<NestedKey>(box: nested, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let nested = ArrayBox()
        add(key, .array(nested))
        return UnkeyedTree(box: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        let child = TreeEncoder(codingPath: codingPath + [key])
        add(key, .encoder(child))
        return child
    }
}

struct UnkeyedTree: UnkeyedEncodingContainer {
    let box: ArrayBox
    let codingPath: [CodingKey]
    var count: Int { box.items.count }

    private struct Index: CodingKey {
        var stringValue: String { String(intValue!) }
        var intValue: Int?
        init(_ value: Int) { intValue = value }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    mutating func encodeNil() throws { box.items.append(.null) }
    mutating func encode(_ value: Bool) throws { box.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
    mutating func encode(_ value: Int) throws { box.items.append(.number(String(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try TreeEncoder.node(value, at: codingPath + [Index(count)]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedTree<NestedKey>(box: nested, codingPath: codingPath + [Index(count)]))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.items.append(.array(nested))
        return UnkeyedTree(box: nested, codingPath: codingPath + [Index(count)])
    }

    mutating func superEncoder() -> Encoder {
        let child = TreeEncoder(codingPath: codingPath + [Index(count)])
        box.items.append(.encoder(child))
        return child
    }
}

struct SingleTree: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    var codingPath: [CodingKey] { encoder.codingPath }

    mutating func encodeNil() throws { encoder.root = .null }
    mutating func encode(_ value: Bool) throws { encoder.root = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.root = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.root = try TreeEncoder.double(value, at: codingPath) }
    mutating func encode(_ value: Int) throws { encoder.root = .number(String(value)) }
    mutating func encode(_ value: Int32) throws { encoder.root = .number(String(value)) }
    mutating func encode(_ value: Int64) throws { encoder.root = .number(String(value)) }
    mutating func encode(_ value: UInt8) throws { encoder.root = .number(String(value)) }
    mutating func encode(_ value: UInt16) throws { encoder.root = .number(String(value)) }
    mutating func encode(_ value: UInt32) throws { encoder.root = .number(String(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.root = .number(String(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws { encoder.root = try TreeEncoder.node(value, at: codingPath) }
}
