import HAModel
import DNSMessage
import Testing

@Suite struct DNSMessageTests {
    @Test("a query for prod-db-internal.panda.com A is the RFC 1035 bytes, recursion desired")
    func queryBytes() throws {
        let bytes = try DNSMessage.query(id: 0x1234, name: "prod-db-internal.panda.com.", type: .a)
        #expect(Array(bytes.prefix(12)) == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(Array(bytes[12...]) == [16] + Array("prod-db-internal".utf8) + [5] + Array("panda".utf8)
                + [3] + Array("com".utf8) + [0, 0, 1, 0, 1])
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.query(id: 1, name: "a..b", type: .a) }
        #expect(throws: DNSMessage.Malformed.self) {
            try DNSMessage.query(id: 1, name: String(repeating: "x", count: 64), type: .a)
        }
    }

    @Test("reverse names for PTR queries")
    func reverseNames() {
        #expect(DNSMessage.reverseName(IPAddress("192.168.3.200")!) == "200.3.168.192.in-addr.arpa")
        #expect(DNSMessage.reverseName(IPAddress("2001:db8::1")!)
                == "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa")
    }

    /// A reply to `query` with the answers given as (type, rdata), names compressed to the question.
    static func reply(to query: [UInt8], rcode: UInt8 = 0, answers: [(UInt16, [UInt8])]) -> [UInt8] {
        var bytes = query
        bytes[2] = 0x81; bytes[3] = 0x80 | rcode
        bytes[7] = UInt8(answers.count)
        for (type, data) in answers {
            bytes += [0xc0, 12, UInt8(type >> 8), UInt8(type & 0xff), 0, 1, 0, 0, 0x0e, 0x10, 0, UInt8(data.count)] + data
        }
        return bytes
    }

    @Test("a reply with compressed names, A, AAAA, CNAME and PTR data decodes")
    func replyDecodes() throws {
        let query = try DNSMessage.query(id: 7, name: "db.panda.com", type: .a)
        let bytes = Self.reply(to: query, answers: [
            (1, [192, 168, 3, 200]),
            (28, [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]),
            (5, [3] + Array("www".utf8) + [0xc0, 12]),
            (12, [0xc0, 15]),
            (99, [1, 2, 3]),
        ])
        let message = try DNSMessage.parse(bytes)
        #expect(message.id == 7 && message.isResponse && message.responseCodeName == "NOERROR")
        #expect(message.questions.map(\.name) == ["db.panda.com"] && message.questions.map(\.type) == [.a])
        #expect(message.answers.map(\.data) == [
            .address(IPAddress("192.168.3.200")!), .address(IPAddress("2001:db8::1")!),
            .name("www.db.panda.com"), .name("panda.com"), .other(count: 3),
        ])
        #expect(message.answers[0].ttl == 3600 && message.answers[0].name == "db.panda.com")
    }

    @Test("NXDOMAIN is a response code, not an error")
    func nxdomain() throws {
        let query = try DNSMessage.query(id: 9, name: "nope.example", type: .aaaa)
        let message = try DNSMessage.parse(Self.reply(to: query, rcode: 3, answers: []))
        #expect(message.responseCodeName == "NXDOMAIN" && message.answers.isEmpty)
    }

    @Test("hostile replies are errors: every truncation, a pointer loop, a forward pointer, overlong data")
    func hostileReplies() throws {
        let query = try DNSMessage.query(id: 7, name: "db.panda.com", type: .a)
        let good = Self.reply(to: query, answers: [(1, [192, 168, 3, 200])])
        for cut in 0..<good.count {
            #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(Array(good.prefix(cut))) }
        }
        var loop = good
        loop[12] = 0xc0; loop[13] = 12
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(loop) }
        var forward = good
        forward[12] = 0xc0; forward[13] = 40
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(forward) }
        var overlong = good
        overlong[overlong.count - 5] = 200
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(overlong) }
        var reserved = good
        reserved[12] = 0x80
        #expect(throws: DNSMessage.Malformed.self) { try DNSMessage.parse(reserved) }
    }
}
