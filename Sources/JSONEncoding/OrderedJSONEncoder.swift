/// A JSON encoder driven by each type's own `Codable`: keys come out in the order the type
/// encodes them (its CodingKeys order), so output is stable and reads like `ip -j` (Foundation's
/// JSONEncoder on Linux orders keys by hash unless told to sort them). Nothing is built in
/// between: every value is written as UTF-8 into one output buffer the moment it is encoded.
public struct OrderedJSONEncoder {
    /// Indented by two spaces, `"key": value`; otherwise compact, as `ip -j` prints.
    public var pretty: Bool

    public init(pretty: Bool = true) { self.pretty = pretty }

    public func encode<T: Encodable>(_ value: T) throws -> String {
        let stream = JSONStream(pretty: pretty, sink: nil)
        try stream.document(value)
        return stream.text
    }

    /// The document as UTF-8 bytes.
    public func encodeBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        let stream = JSONStream(pretty: pretty, sink: nil)
        try stream.document(value)
        return stream.bytes
    }

    /// Streams the document to `sink` in chunks of about 64 KiB, so a large table is never held
    /// whole as text. A value that cannot be encoded (a NaN) throws after the chunks before it
    /// were handed over.
    public func encode<T: Encodable>(_ value: T, to sink: @escaping (UnsafeBufferPointer<UInt8>) -> Void) throws {
        let stream = JSONStream(pretty: pretty, sink: sink)
        try stream.document(value)
        stream.flush()
    }
}
