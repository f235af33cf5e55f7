/// A JSON encoder that writes keys in the order the type encodes them (its CodingKeys
/// order), so output is stable and reads like `ip -j`: Foundation's JSONEncoder on Linux
/// orders keys by hash unless told to sort them. It builds a small tree, then writes it.
public struct OrderedJSONEncoder {
    public var pretty: Bool

    public init(pretty: Bool = true) { self.pretty = pretty }

    public func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encodeBytes(value), as: UTF8.self)
    }

    /// The document as UTF-8 bytes.
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let writer = ByteWriter(pretty: pretty, sink: nil)
        writer.write(try TreeEncoder.node(value), depth: 0)
        return writer.bytes
    }

    /// Streams the document to `sink` in chunks of about 64 KiB, so a large table is never
    /// held twice in memory (model and text) and the buffer never regrows.
    public func encode<T: Encodable>(_ value: T, to sink: @escaping (UnsafeBufferPointer<UInt8>) -> Void) throws {
        let writer = ByteWriter(pretty: pretty, sink: sink)
        writer.write(try TreeEncoder.node(value), depth: 0)
        writer.flush()
    }
}

/// Appends JSON text to a byte buffer; appending bytes is several times cheaper than
/// growing a String, which matters for tables of 10,000 addresses.
final class ByteWriter {
    // Only this single-threaded writer touches the buffer; dynamic exclusivity checks on
    // every append cost a fifth of the run.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    let pretty: Bool
    let sink: ((UnsafeBufferPointer<UInt8>) -> Void)?
    static let chunk = 1 << 16

    init(pretty: Bool, sink: ((UnsafeBufferPointer<UInt8>) -> Void)?) {
        self.pretty = pretty
        self.sink = sink
        bytes.reserveCapacity(sink == nil ? 1 << 16 : 2 * ByteWriter.chunk)
    }

    func flush() {
        guard let sink, !bytes.isEmpty else { return }
        bytes.withUnsafeBufferPointer(sink)
        bytes.removeAll(keepingCapacity: true)
    }

    func writeArray<T: DirectJSONObject>(_ objects: [T], depth: Int) {
        if objects.isEmpty { append("[]"); return }
        bytes.append(UInt8(ascii: "["))
        for (i, object) in objects.enumerated() {
            if sink != nil, bytes.count >= ByteWriter.chunk { flush() }
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            newline(depth + 1)
            var fields = JSONObjectWriter(writer: self, depth: depth + 1)
            fields.open()
            object.jsonFields(&fields)
            fields.close()
        }
        newline(depth)
        bytes.append(UInt8(ascii: "]"))
    }

    func write(_ node: Node, depth: Int) {
        if sink != nil, bytes.count >= ByteWriter.chunk { flush() }
        switch node {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .int(let value):
            if value < 0 { bytes.append(UInt8(ascii: "-")); digits(value.magnitude) } else { digits(UInt64(value)) }
        case .uint(let value): digits(value)
        case .text(let text): append(text)
        case .string(let text): quote(text)
        case .encoder(let child): write(child.resolved, depth: depth)
        case .direct(let value):
            var object = JSONObjectWriter(writer: self, depth: depth)
            object.open()
            value.jsonFields(&object)
            object.close()
        case .array(let box):
            if box.items.isEmpty { append("[]"); return }
            bytes.append(UInt8(ascii: "["))
            for (i, item) in box.items.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                write(item, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "]"))
        case .object(let box):
            if box.entries.isEmpty { append("{}"); return }
            bytes.append(UInt8(ascii: "{"))
            for (i, entry) in box.entries.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                newline(depth + 1)
                quote(entry.key)
                if pretty { append(": ") } else { bytes.append(UInt8(ascii: ":")) }
                write(entry.value, depth: depth + 1)
            }
            newline(depth)
            bytes.append(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    func append(_ text: String) {
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    func newline(_ depth: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        for _ in 0..<depth { bytes.append(0x20); bytes.append(0x20) }
    }

    func digits(_ value: UInt64) {
        if value < 10 { bytes.append(UInt8(ascii: "0") + UInt8(value)); return }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let count = withUnsafeMutableBytes(of: &scratch) { buffer -> Int in
            var v = value
            var i = buffer.count
            while v > 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: buffer[i...])
            return buffer.count - i
        }
        _ = count
    }

    /// A key: our CodingKeys are identifiers, so nothing in them needs escaping.
    @inline(__always)
    func quotePlain(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
    }

    func quote(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var plainStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte == 0x22 || byte == 0x5c || byte < 0x20 else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<i]))
                switch byte {
                case 0x22: append("\\\"")
                case 0x5c: append("\\\\")
                case 0x0a: append("\\n")
                case 0x0d: append("\\r")
                case 0x09: append("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    append("\\u00")
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xf)])
                }
                plainStart = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plainStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

indirect enum Node {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    /// Preformatted number text (doubles).
    case text(String)
    case string(String)
    case array(ArrayBox)
    case object(ObjectBox)
    case encoder(TreeEncoder)
    case direct(any DirectJSONObject)
}

final class ArrayBox { var items: [Node] = [] }
final class ObjectBox { var entries: [(key: String, value: Node)] = [] }

/// Coding paths are not tracked (building one per value costs more than the encoding);
/// the only error this encoder raises, a non-finite double, says what it was instead.
final class TreeEncoder: Encoder {
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    var root: Node?

    init() {}

    var resolved: Node { root ?? .object(ObjectBox()) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object(let box)? = root {
            return KeyedEncodingContainer(KeyedTree<Key>(box: box))
        }
        let box = ObjectBox()
        root = .object(box)
        return KeyedEncodingContainer(KeyedTree<Key>(box: box))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array(let box)? = root { return UnkeyedTree(box: box) }
        let box = ArrayBox()
        root = .array(box)
        return UnkeyedTree(box: box)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleTree(encoder: self) }

    static func node<T: Encodable>(_ value: T) throws -> Node {
        switch value {
        case let text as String: return .string(text)
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .int(Int64(number))
        case let number as UInt32: return .uint(UInt64(number))
        case let number as Double: return try double(number)
        case let direct as DirectJSONObject:
            return .direct(direct)
        default:
            let child = TreeEncoder()
            try value.encode(to: child)
            return child.resolved
        }
    }

    static func double(_ value: Double) throws -> Node {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "JSON has no NaN or infinity"))
        }
        if value == value.rounded(), abs(value) < 1e15 { return .int(Int64(value)) }
        return .text(String(value))
    }
}

struct KeyedTree<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    var codingPath: [CodingKey] { [] }

    private func add(_ key: Key, _ node: Node) { box.entries.append((key.stringValue, node)) }

    mutating func encodeNil(forKey key: Key) throws { add(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { add(key, try TreeEncoder.double(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { add(key, try TreeEncoder.double(Double(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { add(key, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { add(key, .int(Int64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { add(key, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(key, .uint(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        add(key, try TreeEncoder.node(value))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        add(key, .object(nested))
        return KeyedEncodingContainer(KeyedTree<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let nested = ArrayBox()
        add(key, .array(nested))
        return UnkeyedTree(box: nested)
    }

    mutating func superEncoder() -> Encoder { superEncoder(forKey: Key(stringValue: "super")!) }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        let child = TreeEncoder()
        add(key, .encoder(child))
        return child
    }
}

struct UnkeyedTree: UnkeyedEncodingContainer {
    let box: ArrayBox
    var codingPath: [CodingKey] { [] }
    var count: Int { box.items.count }

    mutating func encodeNil() throws { box.items.append(.null) }
    mutating func encode(_ value: Bool) throws { box.items.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.items.append(.string(value)) }
    mutating func encode(_ value: Int) throws { box.items.append(.int(Int64(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try TreeEncoder.node(value))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedTree<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.items.append(.array(nested))
        return UnkeyedTree(box: nested)
    }

    mutating func superEncoder() -> Encoder {
        let child = TreeEncoder()
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
    mutating func encode(_ value: Double) throws { encoder.root = try TreeEncoder.double(value) }
    mutating func encode(_ value: Int) throws { encoder.root = .int(Int64(value)) }
    mutating func encode(_ value: Int32) throws { encoder.root = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { encoder.root = .int(value) }
    mutating func encode(_ value: UInt8) throws { encoder.root = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { encoder.root = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { encoder.root = .uint(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { encoder.root = .uint(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { encoder.root = try TreeEncoder.node(value) }
}

/// Types encoded by the ten thousand (addresses) write their JSON object straight into the
/// output instead of going through Codable's generic containers, several times faster.
/// Their keys come from their CodingKeys, and a test checks the
/// result equals their Codable encoding.
public protocol DirectJSONObject: Encodable {
    /// Writes every field; a field that must fall back to Codable and fails is omitted
    /// (only types whose fields cannot fail to encode adopt this).
    func jsonFields(_ object: inout JSONObjectWriter)
}

public struct JSONObjectWriter {
    let writer: ByteWriter
    let depth: Int
    var count = 0

    init(writer: ByteWriter, depth: Int) {
        self.writer = writer
        self.depth = depth
    }

    mutating func open() { writer.bytes.append(UInt8(ascii: "{")) }

    mutating func close() {
        if count > 0 { writer.newline(depth) }
        writer.bytes.append(UInt8(ascii: "}"))
    }

    private mutating func key(_ key: some CodingKey) {
        if count > 0 { writer.bytes.append(UInt8(ascii: ",")) }
        count += 1
        writer.newline(depth + 1)
        writer.quotePlain(key.stringValue)
        if writer.pretty { writer.append(": ") } else { writer.bytes.append(UInt8(ascii: ":")) }
    }

    public mutating func add(_ key: some CodingKey, _ value: String?) {
        guard let value else { return }
        self.key(key)
        writer.quote(value)
    }
    public mutating func add(_ key: some CodingKey, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        if value < 0 { writer.bytes.append(UInt8(ascii: "-")) }
        writer.digits(UInt64(value.magnitude))
    }
    public mutating func add(_ key: some CodingKey, _ value: UInt32?) {
        guard let value else { return }
        self.key(key)
        writer.digits(UInt64(value))
    }
    public mutating func add(_ key: some CodingKey, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        writer.append(value ? "true" : "false")
    }
    public mutating func add(_ key: some CodingKey, _ value: IPAddress?) {
        guard let value else { return }
        self.key(key)
        writer.quote(value.description)
    }
    public mutating func add(_ key: some CodingKey, strings: [String]?) {
        guard let strings else { return }
        self.key(key)
        writer.write(.array({ let box = ArrayBox(); box.items = strings.map { .string($0) }; return box }()), depth: depth + 1)
    }
    /// An array of objects that write themselves: no per-element boxing.
    public mutating func add<T: DirectJSONObject>(_ key: some CodingKey, objects: [T]) {
        self.key(key)
        writer.writeArray(objects, depth: depth + 1)
    }
    /// Anything else goes through the Codable path.
    public mutating func add<T: Encodable>(_ key: some CodingKey, encodable value: T?) throws {
        guard let value else { return }
        let node = try TreeEncoder.node(value)
        self.key(key)
        writer.write(node, depth: depth + 1)
    }
}
