import Foundation
@testable import HAExplainCore
import LabSupport
import Testing

/// The JSON value parser the ruleset reader uses, against Foundation's JSONSerialization on
/// the captured rulesets, on edge cases, and on seeded random documents.
@Suite struct JSONValueTests {
    /// Foundation's reading turned into a JSONValue, for comparison.
    static func reference(_ any: Any) -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let number as NSNumber:
            if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
            return .number(number.doubleValue)
        case let string as String: return .string(string)
        case let array as [Any]: return .array(array.map(reference))
        case let object as [String: Any]: return .object(object.keys.sorted().map { ($0, reference(object[$0]!)) })
        default: return .null
        }
    }

    /// Members sorted by name, as the reference's dictionaries come out unordered.
    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let a): return .array(a.map(sorted))
        case .object(let o): return .object(o.map { ($0.0, sorted($0.1)) }.sorted { $0.0 < $1.0 })
        default: return value
        }
    }

    static func agree(_ text: String, _ context: String = "") throws {
        let ours = try JSONValue.parse(Array(text.utf8))
        let theirs = reference(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
        #expect(sorted(ours) == sorted(theirs), "\(context)\(text.prefix(200))")
    }

    @Test("the captured nft rulesets read the same as JSONSerialization reads them")
    func fixtures() throws {
        for name in ["nft-keepalived-vrrp-strict", "nft-partition-and-vip-drops"] {
            try Self.agree(try String(contentsOf: ReachabilityTests.fixtures.appendingPathComponent("\(name).json"), encoding: .utf8))
        }
    }

    @Test("escapes, surrogate pairs, numbers and nesting as RFC 8259 has them")
    func edges() throws {
        for text in [#"{"a": "x\"y\\z\/\b\f\n\r\t", "b": "\u00e9\ud83d\ude00"}"#, "[1, -2.5, 3e2, -0.5E-3, 0, 1234567890123]",
                     "[true, false, null, [], {}, [[[]]]]", #""plain""#, "  42  ", #"{"k": {"k": [{"k": null}]}}"#] {
            try Self.agree(text)
        }
        for bad in ["", "{", "[1,]", #"{"a" 1}"#, "01x", "[1 2]", #""\x""#, "tru", "\"a\u{01}\"", "[1]]", "-", "1.", "1e"] {
            #expect(throws: JSONValue.SyntaxError.self, "\(bad)") { try JSONValue.parse(Array(bad.utf8)) }
        }
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONValue.SyntaxError.self) { try JSONValue.parse(Array(deep.utf8)) }
        #expect(try JSONValue.parse(Array(#""\ud800x""#.utf8)) == .string("\u{fffd}x"))
    }

    @Test("seeded random documents read the same as JSONSerialization reads them")
    func randomDocuments() throws {
        var generator = SeededGenerator.forTest()
        func value(_ depth: Int) -> String {
            switch generator.next() % (depth > 4 ? 4 : 6) {
            case 0: return String(Int64(bitPattern: generator.next()) % 100_000)
            case 1: return ["true", "false", "null"][Int(generator.next() % 3)]
            case 2: return "\"" + String((0..<(generator.next() % 8)).map { _ in Character(Unicode.Scalar(UInt8(97 + generator.next() % 26))) }) + "\""
            case 3: return "\(Double(Int64(generator.next() % 2_000_000) - 1_000_000) / 1000)"
            case 4: return "[" + (0..<(generator.next() % 4)).map { _ in value(depth + 1) }.joined(separator: ",") + "]"
            default: return "{" + (0..<(generator.next() % 4)).map { i in "\"k\(i)\": " + value(depth + 1) }.joined(separator: ", ") + "}"
            }
        }
        for _ in 0..<300 {
            let text = value(0)
            do { try Self.agree(text, "\(generator.label): ") } catch { Issue.record("\(generator.label): \(text): \(error)") }
        }
    }
}
