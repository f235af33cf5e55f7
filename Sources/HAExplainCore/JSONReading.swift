import FoundationEssentials
import HAModel

/// Decoding JSON input (snapshots) with error text that names the field that was wrong.
public enum JSONReading {
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }

    public static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return path(context.codingPath) + context.debugDescription
        case DecodingError.keyNotFound(let key, let context):
            return path(context.codingPath + [key]) + "missing"
        case DecodingError.typeMismatch(let type, let context):
            return path(context.codingPath) + "expected \(type)"
        case DecodingError.valueNotFound(let type, let context):
            return path(context.codingPath) + "expected \(type), found null"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().dropFirst(0) + ": "
    }
}
