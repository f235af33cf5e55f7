#if canImport(Glibc)
import Glibc
#endif
import HAModel
import LabSupport
import Testing

@Suite struct AddressQueryTests {
    @Test("inet_aton's numeric forms are addresses, said so", arguments: [
        ("127.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("2130706433", "127.0.0.1"), ("017700000001", "127.0.0.1"),
        ("10.0x63.1", "10.99.0.1"), ("0300.0250.03.0310", "192.168.3.200"), ("127.000.0.1", "127.0.0.1"), ("0", "0.0.0.0"),
    ])
    func numericForms(_ text: String, _ address: String) throws {
        let query = try #require(AddressQuery(text))
        #expect(query.address.description == address)
        #expect(query.note == "\(text) is the address \(address), as inet_aton reads it (glibc's getaddrinfo, getent and ping take it as an address, not a name)")
    }

    @Test("strict forms carry no note; an IPv4-mapped IPv6 address is the IPv4 address with a note")
    func strictAndMapped() throws {
        #expect(AddressQuery("192.168.3.200") == AddressQuery("192.168.3.200"))
        #expect(AddressQuery("192.168.3.200")?.note == nil)
        #expect(AddressQuery("fe80::1")?.note == nil)
        let mapped = try #require(AddressQuery("::ffff:10.99.0.1"))
        #expect(mapped.address == IPAddress("10.99.0.1"))
        #expect(mapped.note?.contains("IPv4-mapped IPv6 form of 10.99.0.1") == true)
        #expect(AddressQuery("::FFFF:a63:1")?.address == IPAddress("10.99.0.1"))
    }

    @Test("names and near misses are not addresses", arguments: [
        "prod-db-internal.panda.com", "127.0.0.1.", ".1", "1..2", "0x", "0x.1", "08", "1.2.3.4.5", "4294967296", "1.16777216",
        "1.2.65536", "1.2.3.256", "-1", "+1", "1e3", "127.0.0.1x", "", "0xg",
    ])
    func notAddresses(_ text: String) {
        #expect(AddressQuery(text) == nil)
    }

    /// glibc's own inet_aton as the oracle. It stops at whitespace (the exact form getaddrinfo
    /// uses does not), so the generated texts hold none.
    @Test("agrees with glibc's inet_aton on 50,000 generated texts (seeded)")
    func differential() {
        var generator = SeededGenerator(seed: 0x1a2b_3c4d)
        let pieces = ["0", "1", "7", "8", "9", "00", "0x", "0X", "ff", "FF", "a", "g", ".", ".", ".", "255", "256", "4294967295",
                      "4294967296", "0377", "0400", "0xff", "0x100", "16777215", "65535", "x", "-", "99999999999999999999"]
        var disagreements: [String] = []
        for _ in 0..<50_000 {
            let count = Int.random(in: 1...7, using: &generator)
            let text = (0..<count).map { _ in pieces.randomElement(using: &generator)! }.joined()
            var glibc = in_addr()
            let accepted = inet_aton(text, &glibc) != 0
            let ours = AddressQuery.inetAton(text)
            if accepted != (ours != nil) || (accepted && ours != UInt32(bigEndian: glibc.s_addr)) { disagreements.append(text) }
        }
        #expect(disagreements.isEmpty, "seed 0x1a2b3c4d: \(disagreements.prefix(10))")
    }
}
