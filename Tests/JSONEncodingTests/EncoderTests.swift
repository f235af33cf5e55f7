import Foundation
import HAModel
import JSONEncoding
import LabSupport
import Testing

/// The encoder against two oracles: a renderer of its own that knows each random document's
/// shape (so formatting is checked byte for byte), and Foundation (for model values).
@Suite struct EncoderTests {
    static let seed = UInt64(ProcessInfo.processInfo.environment["HAEXPLAIN_JSON_SEED"] ?? "") ?? 14

    @Test("random documents (every container kind, empty ones, escapes, numbers, nulls) come out as their shape says, pretty and compact, whole or streamed")
    func randomDocuments() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<400 {
            let document = AnyDocument.random(&random, depth: 0)
            for pretty in [true, false] {
                let ours = try OrderedJSONEncoder(pretty: pretty).encodeBytes(document)
                let expected = Array(document.expected(pretty: pretty).utf8)
                if ours != expected {
                    let at = zip(ours, expected).prefix { $0 == $1 }.count
                    Issue.record("document \(i) (pretty: \(pretty), seed \(Self.seed)) differs at byte \(at): expected …\(String(decoding: expected[max(0, at - 60)..<min(expected.count, at + 30)], as: UTF8.self)), got …\(String(decoding: ours[max(0, at - 60)..<min(ours.count, at + 30)], as: UTF8.self))")
                }
                var streamed: [UInt8] = []
                try OrderedJSONEncoder(pretty: pretty).encode(document) { streamed += $0 }
                #expect(streamed == ours, "document \(i) streamed (seed \(Self.seed)) differs from the whole document")
                #expect((try? JSONSerialization.jsonObject(with: Data(ours), options: .fragmentsAllowed)) != nil, "document \(i) (seed \(Self.seed)) is not JSON")
            }
        }
    }

    @Test("keys of one byte (structs over every byte, enums with escapes, a one-case enum) are written as their own text, whatever key type came before at that depth, and past the keys the encoder remembers")
    func oneByteKeys() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<60 {
            // Every letter and digit key (512) and then some: more than the encoder remembers.
            let every = { (kind: ByteKeyedDocument.Kind) in ByteKeyedDocument.object(kind: kind, members: (0...255).map { (UInt8($0), .number($0)) }) }
            let document = ByteKeyedDocument.array([every(.letter)] + (0..<40).map { _ in ByteKeyedDocument.random(&random, depth: 1) } + [every(.digit), every(.letter)])
            for pretty in [true, false] {
                let encoder = OrderedJSONEncoder(pretty: pretty)
                let expected = document.expected(pretty: pretty)
                #expect(try encoder.encode(document) == expected, "document \(i) (pretty: \(pretty), seed \(Self.seed))")
                // A second document from a fresh encoder, and the same one twice in a row, as the first.
                #expect(try encoder.encode([document, document]) == ByteKeyedDocument.array([document, document]).expected(pretty: pretty))
            }
        }
    }

    @Test("a document larger than a chunk is streamed in several chunks that join to the whole")
    func chunks() throws {
        var random = SeededRandom(seed: Self.seed)
        let tables = (0..<200).map { _ in Generated.addressTable(&random) }
        var chunks: [[UInt8]] = []
        try OrderedJSONEncoder(pretty: true).encode(tables) { chunks.append(Array($0)) }
        #expect(chunks.count > 1)
        #expect(Array(chunks.joined()) == (try OrderedJSONEncoder(pretty: true).encodeBytes(tables)))
    }

    @Test("address and neighbour tables (every optional field on or off) say what Foundation's encoding says and decode back")
    func modelValues() throws {
        var random = SeededRandom(seed: Self.seed)
        for i in 0..<40 {
            let addresses = Generated.addressTable(&random)
            let neighbours = Generated.neighbourTable(&random)
            for pretty in [true, false] {
                let ours = try OrderedJSONEncoder(pretty: pretty).encodeBytes(addresses)
                let a = try JSONSerialization.jsonObject(with: Data(ours)) as? NSDictionary
                let b = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(addresses)) as? NSDictionary
                #expect(a != nil && a == b, "address table \(i) (seed \(Self.seed))")
                #expect(try JSONDecoder().decode(AddressTable.self, from: Data(ours)) == addresses)
                let theirs = try OrderedJSONEncoder(pretty: pretty).encodeBytes(neighbours)
                let c = try JSONSerialization.jsonObject(with: Data(theirs)) as? NSDictionary
                let d = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(neighbours)) as? NSDictionary
                #expect(c != nil && c == d, "neighbour table \(i) (seed \(Self.seed))")
                #expect(try JSONDecoder().decode(NeighbourTable.self, from: Data(theirs)) == neighbours)
            }
        }
    }

    @Test("random strings (quotes, backslashes, control bytes, UTF-8 at every offset) and numbers survive a round trip")
    func randomRoundTrip() throws {
        var generator = SeededRandom(seed: Self.seed)
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "🙂", "/"]
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            let numbers = (0..<4).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator) }
            let signed = (0..<4).map { _ in Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0...63, using: &generator) }
            let small = (0..<4).map { _ in Int8.random(in: .min ... .max, using: &generator) }
            for pretty in [true, false] {
                let json = try OrderedJSONEncoder(pretty: pretty).encodeBytes([text])
                #expect(try JSONDecoder().decode([String].self, from: Data(json)) == [text], "seed \(Self.seed)")
                #expect(try JSONDecoder().decode([UInt64].self, from: Data(OrderedJSONEncoder(pretty: pretty).encodeBytes(numbers))) == numbers)
                #expect(try JSONDecoder().decode([Int].self, from: Data(OrderedJSONEncoder(pretty: pretty).encodeBytes(signed))) == signed)
                #expect(try JSONDecoder().decode([Int8].self, from: Data(OrderedJSONEncoder(pretty: pretty).encodeBytes(small))) == small)
            }
        }
        #expect(try OrderedJSONEncoder(pretty: false).encode([UInt64.max, 0, 9, 10, 99, 100]) == "[18446744073709551615,0,9,10,99,100]")
    }

    @Test("keys come out in CodingKeys order, so output is stable run to run")
    func keyOrder() throws {
        var address = InterfaceAddress(local: IPAddress("10.9.9.1")!, prefixlen: 32, rawFlags: 0x01, label: "eth0:1")
        address.secondary = true
        address.dynamic = true
        address.broadcast = IPAddress("10.9.9.255")
        let json = try OrderedJSONEncoder(pretty: false).encode(address)
        #expect(json == #"{"family":"inet","local":"10.9.9.1","prefixlen":32,"broadcast":"10.9.9.255","scope":"global","dynamic":true,"secondary":true,"label":"eth0:1","raw_flags":1}"#)
    }

    @Test("pretty output indents by two spaces with a space after each colon; compact has neither")
    func layout() throws {
        struct Pair: Encodable { var a = 1; var b: [String] = ["x"]; var c: [Int] = []; var d = [String: Int]() }
        #expect(try OrderedJSONEncoder(pretty: true).encode(Pair()) == "{\n  \"a\": 1,\n  \"b\": [\n    \"x\"\n  ],\n  \"c\": [],\n  \"d\": {}\n}")
        #expect(try OrderedJSONEncoder(pretty: false).encode(Pair()) == #"{"a":1,"b":["x"],"c":[],"d":{}}"#)
    }

    @Test("non-finite doubles are an encoding error, not invalid JSON")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try OrderedJSONEncoder().encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try OrderedJSONEncoder().encode(["x": Float.infinity]) }
    }
}
