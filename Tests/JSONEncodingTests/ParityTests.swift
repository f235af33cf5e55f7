import Foundation
import HAExplainCore
import HAModel
import JSONEncoding
import KeepalivedConfig
import LabSupport
import Testing

/// The streaming encoder against the tree encoder with its direct writers, which it replaces:
/// the same documents, varied by a seeded generator, must come out byte for byte the same.
@Suite struct ParityTests {
    static let seed = UInt64(ProcessInfo.processInfo.environment["HAEXPLAIN_JSON_SEED"] ?? "") ?? 14

    static func both<T: Encodable>(_ value: T, _ what: String) throws {
        for pretty in [true, false] {
            let old = try HAModel.OrderedJSONEncoder(pretty: pretty).encodeBytes(value)
            let new = try JSONEncoding.OrderedJSONEncoder(pretty: pretty).encodeBytes(value)
            if old != new {
                let at = zip(old, new).prefix { $0 == $1 }.count
                Issue.record("\(what) (pretty: \(pretty), seed \(seed)) differs at byte \(at): was …\(String(decoding: old[max(0, at - 80)..<min(old.count, at + 40)], as: UTF8.self)), now …\(String(decoding: new[max(0, at - 80)..<min(new.count, at + 40)], as: UTF8.self))")
            }
            var streamed: [UInt8] = []
            try JSONEncoding.OrderedJSONEncoder(pretty: pretty).encode(value) { streamed += $0 }
            #expect(streamed == new, "\(what) streamed in chunks (seed \(seed)) differs from the whole document")
        }
    }

    @Test("random documents: nested objects and arrays, empty ones, escapes, numbers, nulls")
    func randomDocuments() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<300 {
            try Self.both(AnyDocument.random(&random, depth: 0), "document \(i)")
        }
    }

    @Test("random address tables (every optional field on or off) encode as the direct writer did")
    func addressTables() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<50 {
            try Self.both(Generated.addressTable(&random), "address table \(i)")
        }
    }

    @Test("random neighbour tables encode as the direct writer did")
    func neighbourTables() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<50 {
            try Self.both(Generated.neighbourTable(&random), "neighbour table \(i)")
        }
    }

    @Test("keepalived reports from random configurations encode as before")
    func keepalivedReports() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<20 {
            let report = try Generated.keepalivedReport(&random)
            try Self.both(report, "keepalived report \(i)")
        }
    }
}
