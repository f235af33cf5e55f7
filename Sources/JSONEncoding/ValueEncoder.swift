/// What a type's `encode(to:)` sees: the stream and the depth its value is written at. A
/// struct of two words, so handing it over as `any Encoder` allocates nothing.
///
/// Coding paths are not tracked (building one per value costs more than the encoding); the
/// only error this encoder raises, a non-finite double, says what it was instead.
struct ValueEncoder: Encoder {
    let stream: JSONStream
    let depth: Int
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        stream.keyedContainer(Key.self, depth: depth)
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        stream.openContainer(object: false, depth: depth)
        return UnkeyedStream(stream: stream, depth: depth)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleValueStream(stream: stream, depth: depth) }
}

/// An object open at `depth`; each member is written as it is encoded, in that order.
struct KeyedStream<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let stream: JSONStream
    let depth: Int
    var codingPath: [CodingKey] { [] }

    @inline(__always)
    private func member(_ key: Key) { stream.member(of: depth, key: key) }

    mutating func encodeNil(forKey key: Key) throws { member(key); stream.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { member(key); stream.bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { member(key); stream.quote(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { member(key); try stream.double(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { member(key); try stream.double(Double(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { member(key); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { member(key); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { member(key); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { member(key); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { member(key); stream.signed(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { member(key); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { member(key); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { member(key); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { member(key); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { member(key); stream.digits(value) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        member(key)
        try stream.encode(value, depth: depth + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        member(key)
        return stream.keyedContainer(NestedKey.self, depth: depth + 1)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        member(key)
        stream.openContainer(object: false, depth: depth + 1)
        return UnkeyedStream(stream: stream, depth: depth + 1)
    }

    mutating func superEncoder() -> Encoder {
        stream.owe(in: depth, key: "super")
        return ValueEncoder(stream: stream, depth: depth + 1)
    }

    mutating func superEncoder(forKey key: Key) -> Encoder {
        stream.owe(in: depth, key: key.stringValue)
        return ValueEncoder(stream: stream, depth: depth + 1)
    }
}

/// An array open at `depth`.
struct UnkeyedStream: UnkeyedEncodingContainer {
    let stream: JSONStream
    let depth: Int
    var codingPath: [CodingKey] { [] }
    private(set) var count = 0

    init(stream: JSONStream, depth: Int) {
        self.stream = stream
        self.depth = depth
    }

    @inline(__always)
    private mutating func element() {
        stream.member(of: depth, key: nil)
        count += 1
    }

    mutating func encodeNil() throws { element(); stream.null() }
    mutating func encode(_ value: Bool) throws { element(); stream.bool(value) }
    mutating func encode(_ value: String) throws { element(); stream.quote(value) }
    mutating func encode(_ value: Double) throws { element(); try stream.double(value) }
    mutating func encode(_ value: Float) throws { element(); try stream.double(Double(value)) }
    mutating func encode(_ value: Int) throws { element(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { element(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { element(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { element(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { element(); stream.signed(value) }
    mutating func encode(_ value: UInt) throws { element(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { element(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { element(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { element(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { element(); stream.digits(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        element()
        try stream.encode(value, depth: depth + 1)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        element()
        return stream.keyedContainer(NestedKey.self, depth: depth + 1)
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        element()
        stream.openContainer(object: false, depth: depth + 1)
        return UnkeyedStream(stream: stream, depth: depth + 1)
    }

    mutating func superEncoder() -> Encoder {
        count += 1
        stream.owe(in: depth, key: nil)
        return ValueEncoder(stream: stream, depth: depth + 1)
    }
}

/// One value at `depth`, or the value a `superEncoder` owes there.
struct SingleValueStream: SingleValueEncodingContainer {
    let stream: JSONStream
    let depth: Int
    var codingPath: [CodingKey] { [] }

    @inline(__always)
    private func value() { stream.singleValue(at: depth) }

    mutating func encodeNil() throws { value(); stream.null() }
    mutating func encode(_ value: Bool) throws { self.value(); stream.bool(value) }
    mutating func encode(_ value: String) throws { self.value(); stream.quote(value) }
    mutating func encode(_ value: Double) throws { self.value(); try stream.double(value) }
    mutating func encode(_ value: Float) throws { self.value(); try stream.double(Double(value)) }
    mutating func encode(_ value: Int) throws { self.value(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int8) throws { self.value(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int16) throws { self.value(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int32) throws { self.value(); stream.signed(Int64(value)) }
    mutating func encode(_ value: Int64) throws { self.value(); stream.signed(value) }
    mutating func encode(_ value: UInt) throws { self.value(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt8) throws { self.value(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt16) throws { self.value(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt32) throws { self.value(); stream.digits(UInt64(value)) }
    mutating func encode(_ value: UInt64) throws { self.value(); stream.digits(value) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        self.value()
        try stream.encode(value, depth: depth)
    }
}
