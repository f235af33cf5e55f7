import Foundation
import HAModel
import LabSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// IPAddress against glibc's inet_pton/inet_ntop, the functions iproute2 prints with.
@Suite struct IPAddressTests {
    static let samples = [
        "0.0.0.0", "127.0.0.1", "192.168.3.200", "255.255.255.255", "1.2.3.4",
        "::", "::1", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "2001:0:0:1::1", "fe80::be76:4eff:fe05:6c1c",
        "ff02::12", "::ffff:192.168.3.4", "1::", "1:2:3:4:5:6:7:8", "0:0:1:0:0:0:0:0", "2001:db8:0:1:1:1:1:1",
        "::192.168.3.4", "64:ff9b::1.2.3.4",
    ]
    static let rejects = ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1..2.3",
                          ":::", "1:2:3:4:5:6:7:8:9", "12345::", "1::2::3", "g::1", ":1::", "1:2:3:4:5:6:7::8:9",
                          "1.2.3.4:", "::1.2.3", "0x1.2.3.4", "1.2.3.-4"]

    static func glibcNormal(_ text: String) -> String? {
        let family = text.contains(":") ? AF_INET6 : AF_INET
        var buffer = [UInt8](repeating: 0, count: 16)
        guard inet_pton(family, text, &buffer) == 1 else { return nil }
        var out = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family, buffer, &out, 64) != nil else { return nil }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("parses and prints every sample exactly as inet_pton/inet_ntop do", arguments: samples)
    func agreesWithGlibc(_ text: String) {
        #expect(IPAddress(text)?.description == IPAddressTests.glibcNormal(text))
    }

    @Test("rejects what inet_pton rejects", arguments: rejects)
    func rejectsLikeGlibc(_ text: String) {
        #expect(IPAddressTests.glibcNormal(text) == nil)
        #expect(IPAddress(text) == nil)
    }

    @Test("random IPv6 addresses with zero runs round-trip like inet_ntop")
    func randomRoundTrip() {
        var generator = SeededGenerator.forTest()
        for _ in 0..<2000 {
            let groups = (0..<8).map { _ in Bool.random(using: &generator) ? "0" : String(UInt16.random(in: 0...0xffff, using: &generator), radix: 16) }
            let text = groups.joined(separator: ":")
            let ours = IPAddress(text)?.description
            #expect(ours == IPAddressTests.glibcNormal(text), "\(text), \(generator.label)")
            #expect(ours.flatMap { IPAddress($0) } == IPAddress(text), "\(text), \(generator.label)")
        }
    }

    @Test("prefix containment for the seed's VIP and its subnet")
    func containment() throws {
        let vip = try #require(IPAddress("192.168.3.200"))
        #expect(vip.isInside(try #require(IPAddress("192.168.3.4")), prefixLength: 24))
        #expect(!vip.isInside(try #require(IPAddress("192.168.4.4")), prefixLength: 24))
        #expect(vip.isInside(try #require(IPAddress("10.0.0.0")), prefixLength: 0))
        let v6 = try #require(IPAddress("2001:db8::5"))
        #expect(v6.isInside(try #require(IPAddress("2001:db8::")), prefixLength: 64))
        #expect(!v6.isInside(try #require(IPAddress("2001:db9::")), prefixLength: 64))
        #expect(!v6.isInside(vip, prefixLength: 0))
    }
}

@Suite struct ByteReaderTests {
    @Test("reads big-endian fields and reports truncation with its offset instead of trapping")
    func truncation() throws {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 5, alignment: 1)
        defer { raw.deallocate() }
        raw.copyBytes(from: [0x21, 0xc8, 0x64, 0x01, 0x00] as [UInt8])
        var reader = ByteReader(UnsafeRawBufferPointer(raw))
        #expect(try reader.u8() == 0x21)
        #expect(try reader.u16be() == 0xc864)
        let error = #expect(throws: ByteReader.Truncated.self) { try reader.u32be() }
        #expect(error?.offset == 3 && error?.needed == 2)
        #expect(reader.offset == 3)
        #expect(try reader.take(2).count == 2)
        #expect(throws: ByteReader.Truncated.self) { try reader.skip(1) }
        #expect(throws: ByteReader.Truncated.self) { try reader.skip(-1) }
    }
}
