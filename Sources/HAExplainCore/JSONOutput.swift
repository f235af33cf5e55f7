import HAModel

/// JSON is the model encoded: the same values the text renderers read, under stable
/// snake_case names chosen in each type's CodingKeys, in that order.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        try OrderedJSONEncoder(pretty: pretty).encode(value)
    }

    /// The document as UTF-8 bytes with a final newline, ready for stdout.
    public static func encodeBytes<T: Encodable>(_ value: T, pretty: Bool = true) throws -> [UInt8] {
        var bytes = try OrderedJSONEncoder(pretty: pretty).encodeBytes(value)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}
