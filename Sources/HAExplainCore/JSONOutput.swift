import HAModel

/// JSON is the model encoded: the same values the text renderers read, under stable
/// snake_case names chosen in each type's CodingKeys, in that order.
public enum JSONOutput {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = true) throws -> String {
        try OrderedJSONEncoder(pretty: pretty).encode(value)
    }
}
