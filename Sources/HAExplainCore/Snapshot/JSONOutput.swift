import JSONEncoding

/// JSON is the model encoded: the same values the text renderers read, under stable
/// snake_case names chosen in each type's CodingKeys, in that order.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        try OrderedJSONEncoder(pretty: pretty).encode(value)
    }

    /// Streams the document, then a newline, to `sink` (stdout) in chunks.
    public static func write<T: Encodable>(_ value: T, pretty: Bool, to sink: @escaping (UnsafeBufferPointer<UInt8>) -> Void) throws {
        try OrderedJSONEncoder(pretty: pretty).encode(value, to: sink)
        [UInt8(ascii: "\n")].withUnsafeBufferPointer(sink)
    }
}
