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

/// Appends JSON text to a buffer it manages itself. Tables of 10,000 addresses make a
/// quarter of a million small appends; an `[UInt8]` pays a uniqueness check and a
/// capacity check on each, a raw buffer only the capacity check.
final class ByteWriter {
    // Only this single-threaded writer touches these; dynamic exclusivity checks on every
    // append would cost more than the append.
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private(set) var count = 0
    let pretty: Bool
    let sink: ((UnsafeBufferPointer<UInt8>) -> Void)?
    static let chunk = 1 << 16

    init(pretty: Bool, sink: ((UnsafeBufferPointer<UInt8>) -> Void)?) {
        self.pretty = pretty
        self.sink = sink
        // Streaming flushes at `chunk`, so twice that rarely regrows.
        capacity = sink == nil ? 1 << 16 : 2 * ByteWriter.chunk
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// The bytes written so far (only meaningful without a sink).
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    func flush() {
        guard let sink, count > 0 else { return }
        sink(UnsafeBufferPointer(start: base, count: count))
        count = 0
    }

    @inline(never)
    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity - count < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    func put(_ byte: UInt8) {
        if count == capacity { grow(1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    func put(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        if capacity - count < buffer.count { grow(buffer.count) }
        (base + count).update(from: source, count: buffer.count)
        count += buffer.count
    }

    /// Streams out what is written once a chunk is full; a no-op when collecting.
    @inline(__always)
    func flushIfFull() {
        if sink != nil, count >= ByteWriter.chunk { flush() }
    }

    func writeArray<T: DirectJSONObject>(_ objects: [T], depth: Int) {
        if objects.isEmpty { append("[]"); return }
        put(UInt8(ascii: "["))
        // Elements are borrowed in place: copying a 200-byte address per element showed.
        objects.withUnsafeBufferPointer { objects in
            for i in objects.indices {
                flushIfFull()
                if i > 0 { put(UInt8(ascii: ",")) }
                newline(depth + 1)
                var fields = JSONObjectWriter(writer: self, depth: depth + 1)
                fields.open()
                objects[i].jsonFields(&fields)
                fields.close()
            }
        }
        newline(depth)
        put(UInt8(ascii: "]"))
    }

    func write(_ node: Node, depth: Int) {
        flushIfFull()
        switch node {
        case .null: append("null")
        case .bool(let value): append(value ? "true" : "false")
        case .int(let value):
            if value < 0 { put(UInt8(ascii: "-")); digits(value.magnitude) } else { digits(UInt64(value)) }
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
            put(UInt8(ascii: "["))
            for (i, item) in box.items.enumerated() {
                if i > 0 { put(UInt8(ascii: ",")) }
                newline(depth + 1)
                write(item, depth: depth + 1)
            }
            newline(depth)
            put(UInt8(ascii: "]"))
        case .object(let box):
            if box.entries.isEmpty { append("{}"); return }
            put(UInt8(ascii: "{"))
            for (i, entry) in box.entries.enumerated() {
                if i > 0 { put(UInt8(ascii: ",")) }
                newline(depth + 1)
                quote(entry.key)
                if pretty { append(": ") } else { put(UInt8(ascii: ":")) }
                write(entry.value, depth: depth + 1)
            }
            newline(depth)
            put(UInt8(ascii: "}"))
        }
    }

    @inline(__always)
    func append(_ text: String) {
        var text = text
        text.withUTF8 { put($0) }
    }

    @inline(__always)
    func newline(_ depth: Int) {
        guard pretty else { return }
        put(UInt8(ascii: "\n"))
        for _ in 0..<depth { put(0x20); put(0x20) }
    }

    /// "00" to "99", so each division by 100 writes two digits.
    private static let pairs: [UInt8] = {
        var pairs: [UInt8] = []
        for n in 0..<100 {
            let tens = UInt8(n / 10), ones = UInt8(n % 10)
            pairs.append(UInt8(ascii: "0") + tens)
            pairs.append(UInt8(ascii: "0") + ones)
        }
        return pairs
    }()

    func digits(_ value: UInt64) {
        if value < 10 { put(UInt8(ascii: "0") + UInt8(value)); return }
        var length = 2
        var limit: UInt64 = 100
        while length < 20, value >= limit { length += 1; limit &*= 10 }
        if capacity - count < length { grow(length) }
        // Written from the last digit back, straight into the buffer.
        ByteWriter.pairs.withUnsafeBufferPointer { pairs in
            var v = value
            var i = count + length
            while v >= 100 {
                let pair = Int(v % 100) * 2
                v /= 100
                i -= 2
                base[i] = pairs[pair]
                base[i + 1] = pairs[pair + 1]
            }
            if v >= 10 {
                i -= 2
                base[i] = pairs[Int(v) * 2]
                base[i + 1] = pairs[Int(v) * 2 + 1]
            } else {
                i -= 1
                base[i] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: v)
            }
        }
        count += length
    }

    /// `"key":` (with a space when pretty) after a comma and newline as needed, in one
    /// reservation: our CodingKeys are identifiers, so nothing in them needs escaping.
    @inline(__always)
    func key(_ text: StaticString, first: Bool, depth: Int) {
        if !first { put(UInt8(ascii: ",")) }
        newline(depth)
        let length = text.utf8CodeUnitCount
        if capacity - count < length + 4 { grow(length + 4) }
        // Locals, so stores through the pointer need not reload `base` and `count`; keys are
        // a few bytes, where a plain loop beats a call to memcpy.
        let destination = base + count
        let source = text.utf8Start
        destination[0] = UInt8(ascii: "\"")
        for i in 0..<length { destination[1 + i] = source[i] }
        destination[length + 1] = UInt8(ascii: "\"")
        destination[length + 2] = UInt8(ascii: ":")
        var written = length + 3
        if pretty { destination[written] = 0x20; written += 1 }
        count += written
    }

    /// A string known to need no escaping (formatted addresses), quoted.
    @inline(__always)
    func quotePlain(_ utf8: UnsafeBufferPointer<UInt8>) {
        let needed = utf8.count + 2
        if capacity - count < needed { grow(needed) }
        base[count] = UInt8(ascii: "\"")
        if let source = utf8.baseAddress { (base + count + 1).update(from: source, count: utf8.count) }
        count += utf8.count + 1
        base[count] = UInt8(ascii: "\"")
        count += 1
    }

    /// True when some byte of the eight in `word` is a quote, a backslash or below 0x20
    /// (the bytes JSON escapes), by the usual SWAR zero-byte test on each condition.
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5c)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        // Below 0x20: subtracting 0x20 borrows into the high bit, for bytes that had it clear.
        let hasControl = (word &- ones &* 0x20) & ~word & highs
        return hasQuote | hasBackslash | hasControl != 0
    }

    func quote(_ text: String) {
        put(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            // Almost every string needs no escaping: find that eight bytes at a time.
            var clean = 0
            if let start = utf8.baseAddress {
                let raw = UnsafeRawPointer(start)
                while clean + 8 <= utf8.count, !ByteWriter.needsEscape(raw.loadUnaligned(fromByteOffset: clean, as: UInt64.self)) {
                    clean += 8
                }
            }
            var plainStart = 0
            for i in clean..<utf8.count {
                let byte = utf8[i]
                guard byte == 0x22 || byte == 0x5c || byte < 0x20 else { continue }
                put(UnsafeBufferPointer(rebasing: utf8[plainStart..<i]))
                switch byte {
                case 0x22: append("\\\"")
                case 0x5c: append("\\\\")
                case 0x0a: append("\\n")
                case 0x0d: append("\\r")
                case 0x09: append("\\t")
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    append("\\u00")
                    put(hex[Int(byte >> 4)])
                    put(hex[Int(byte & 0xf)])
                }
                plainStart = i + 1
            }
            put(UnsafeBufferPointer(rebasing: utf8[plainStart..<utf8.count]))
        }
        put(UInt8(ascii: "\""))
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
        // Metatype comparisons, then a cast known to succeed: a failed dynamic cast costs
        // dozens of instructions, and most values (structs, arrays) would fail all of them.
        let type = T.self
        if type == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if type == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if type == Int.self { return .int(Int64(unsafeBitCast(value, to: Int.self))) }
        if type == UInt32.self { return .uint(UInt64(unsafeBitCast(value, to: UInt32.self))) }
        if type == Double.self { return try double(unsafeBitCast(value, to: Double.self)) }
        // Concrete types, not `as DirectJSONObject`: a cast to a protocol scans every
        // conformance record in the binary (thousands) for each new type it meets.
        if type == NetworkInterface.self { return .direct(value as! NetworkInterface) }
        if type == InterfaceAddress.self { return .direct(value as! InterfaceAddress) }
        if type == NeighbourTable.self { return .direct(value as! NeighbourTable) }
        if type == NeighbourEntry.self { return .direct(value as! NeighbourEntry) }
        let child = TreeEncoder()
        try value.encode(to: child)
        return child.resolved
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
/// Each adopter is also listed in `TreeEncoder.node`, which finds them by concrete type.
/// Their keys are spelled out as static strings (no String made per key); they must equal
/// the CodingKeys' raw values, and tests check each type's output equals its Codable encoding.
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

    mutating func open() { writer.put(UInt8(ascii: "{")) }

    mutating func close() {
        if count > 0 { writer.newline(depth) }
        writer.put(UInt8(ascii: "}"))
    }

    private mutating func key(_ key: StaticString) {
        writer.key(key, first: count == 0, depth: depth + 1)
        count += 1
    }

    public mutating func add(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        writer.quote(value)
    }
    public mutating func add(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        if value < 0 { writer.put(UInt8(ascii: "-")) }
        writer.digits(UInt64(value.magnitude))
    }
    public mutating func add(_ key: StaticString, _ value: UInt32?) {
        guard let value else { return }
        self.key(key)
        writer.digits(UInt64(value))
    }
    public mutating func add(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        writer.append(value ? "true" : "false")
    }
    public mutating func add(_ key: StaticString, _ value: IPAddress?) {
        guard let value else { return }
        self.key(key)
        value.withText { writer.quotePlain($0) }
    }
    public mutating func add(_ key: StaticString, strings: [String]?) {
        guard let strings else { return }
        self.key(key)
        writer.write(.array({ let box = ArrayBox(); box.items = strings.map { .string($0) }; return box }()), depth: depth + 1)
    }
    /// An array of objects that write themselves: no per-element boxing.
    public mutating func add<T: DirectJSONObject>(_ key: StaticString, objects: [T]) {
        self.key(key)
        writer.writeArray(objects, depth: depth + 1)
    }
    /// Anything else goes through the Codable path.
    public mutating func add<T: Encodable>(_ key: StaticString, encodable value: T?) throws {
        guard let value else { return }
        let node = try TreeEncoder.node(value)
        self.key(key)
        writer.write(node, depth: depth + 1)
    }
}
