import CMNL
import LabSupport
@testable import Netlink
import Testing

/// The attribute walk is ours (libmnl's callback per attribute cost more than the address it
/// belonged to), so libmnl's `mnl_attr_parse` is its oracle: the same attributes found, at the
/// same bytes, on well-formed messages and on every way a length can lie.
@Suite struct AttributeWalkTests {
    /// Each type's payload, where it lies and its length (the last one of a type wins, in
    /// libmnl's callback as in our table).
    typealias Found = [Int: (address: Int, count: Int)]

    /// Attributes with lengths that are right, too short for a header, past the end, or odd
    /// (so the 4-byte alignment to the next one matters), types with the nested and
    /// byte-order flags, and trailing bytes too few for a header.
    static func attributes(_ random: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = []
        for _ in 0..<random.below(9) {
            let payload = (0..<random.below(21)).map { _ in UInt8.random(in: 0...255, using: &random) }
            var length = UInt16(4 + payload.count)
            if random.chance(12) { length = random.pick([0, 1, 3, 4, 0xffff, length + 1, length + 8, UInt16(random.below(64))]) }
            let type = UInt16(random.below(70)) | (random.chance(15) ? 0x8000 : 0) | (random.chance(10) ? 0x4000 : 0)
            bytes += withUnsafeBytes(of: length) { Array($0) } + withUnsafeBytes(of: type) { Array($0) } + payload
            bytes += [UInt8](repeating: 0, count: (4 - payload.count % 4) % 4)
        }
        if random.chance(20) { bytes += (0..<random.below(4)).map { _ in UInt8(random.below(256)) } }
        return bytes
    }

    static func libmnl(_ parse: (UnsafeMutableRawPointer) -> Void) -> Found {
        var found: Found = [:]
        withUnsafeMutablePointer(to: &found) { parse(UnsafeMutableRawPointer($0)) }
        return found
    }

    static func ours(_ table: AttributeTable) -> Found {
        var found: Found = [:]
        for type in 0...63 {
            guard let payload = table[Int32(type)] else { continue }
            found[type] = (Int(bitPattern: payload.baseAddress), payload.count)
        }
        return found
    }

    static func same(_ a: Found, _ b: Found) -> Bool {
        a.count == b.count && a.allSatisfy { type, value in b[type].map { $0 == value } ?? false }
    }

    @Test("a message's attributes, and a nested attribute's, are what libmnl's walk finds, however their lengths lie")
    func matchesLibmnl() {
        var random = SeededGenerator.forTest()
        let headerSize = MemoryLayout<ifaddrmsg>.size
        for round in 0..<3_000 {
            let attributes = Self.attributes(&random)
            // nlmsghdr, the family header, the attributes; the buffer runs to the aligned end
            // that both walks may read up to, as a received dump does.
            let length = 16 + headerSize + attributes.count
            var message = [UInt8](repeating: 0, count: (length + 3) & ~3)
            message.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(length), as: UInt32.self) }
            message.replaceSubrange((16 + headerSize)..<length, with: attributes)
            message.withUnsafeBytes { buffer in
                let base = buffer.baseAddress!
                let header = base.assumingMemoryBound(to: nlmsghdr.self)
                var table = AttributeTable(maxType: 63)
                table.load(header, headerSize: headerSize)
                let expected = Self.libmnl { data in
                    _ = mnl_attr_parse(header, UInt32(headerSize), { attribute, data in
                        AttributeWalkTests.record(attribute!, into: data!)
                    }, data)
                }
                #expect(Self.same(Self.ours(table), expected), "message \(round), \(random.label)")
            }
            // The same bytes as the payload of one enclosing attribute.
            var nested = withUnsafeBytes(of: UInt16(4 + attributes.count)) { Array($0) } + [1, 0x80] + attributes
            nested += [UInt8](repeating: 0, count: (4 - nested.count % 4) % 4)
            nested.withUnsafeBytes { buffer in
                let base = buffer.baseAddress!
                let table = AttributeTable.parseNested(UnsafeRawBufferPointer(start: base + 4, count: attributes.count), maxType: 63)
                let expected = Self.libmnl { data in
                    _ = mnl_attr_parse_nested(base.assumingMemoryBound(to: nlattr.self), { attribute, data in
                        AttributeWalkTests.record(attribute!, into: data!)
                    }, data)
                }
                #expect(Self.same(Self.ours(table), expected), "nested \(round), \(random.label)")
            }
        }
    }

    static func record(_ attribute: UnsafePointer<nlattr>, into data: UnsafeMutableRawPointer) -> Int32 {
        let found = data.assumingMemoryBound(to: Found.self)
        let type = Int(mnl_attr_get_type(attribute))
        if type <= 63 {
            found.pointee[type] = (Int(bitPattern: mnl_attr_get_payload(attribute)), Int(mnl_attr_get_payload_len(attribute)))
        }
        return MNL_CB_OK
    }
}
