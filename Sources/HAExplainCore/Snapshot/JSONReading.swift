import FoundationEssentials
import HAModel

/// Decoding JSON input (snapshots) with error text that names the field that was wrong.
public enum JSONReading {
    /// `schemaVersion`: read the shapes that version wrote (`SchemaVersion.reading`); nil, the current ones.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], schemaVersion: Int? = nil) throws -> T {
        let decoder = JSONDecoder()
        if let schemaVersion { decoder.userInfo[SchemaVersion.userInfoKey] = schemaVersion }
        // The decoder reads the array's own bytes: a 60 MB snapshot is not copied first.
        return try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return try decoder.decode(type, from: Data()) }
            let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
            return try decoder.decode(type, from: data)
        }
    }

    /// Where `bytes` nest arrays and objects deeper than `limit`, as a sentence, or nil. One
    /// pass that skips strings: a hostile document is refused before a decoder recurses into it.
    public static func nestingProblem(_ bytes: [UInt8], limit: Int) -> String? {
        var depth = 0
        var inString = false
        var escaped = false
        for (offset, byte) in bytes.enumerated() {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > limit { return "arrays and objects nest deeper than \(limit) levels at byte \(offset)" }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
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
