import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// Seeded random VRRP frames that haexplain decodes (types out of range, IPv4 and IPv6, VLAN
/// tags, IPv4 options and IPv6 extension headers, any TTL, bad checksums, any priority,
/// interval and authentication) in Ethernet, SLL and SLL2 captures: every field held against
/// tshark's VRRP dissector. Frames haexplain reports as malformed (truncated, unknown
/// version, VRRPv2 over IPv6, an address count longer than the packet) are left out: tshark
/// decodes what it can of them, haexplain names them as problems with their packet number.
/// `make test` runs 300 frames; HAEXPLAIN_VRRP_DIFFERENTIAL=COUNT[:SEED] runs more.
@Suite struct VRRPDifferentialTests {
    static let start: Int64 = 1_764_043_032_000_000_000

    static var run: (count: Int, seed: UInt64) {
        let setting = ProcessInfo.processInfo.environment["HAEXPLAIN_VRRP_DIFFERENTIAL"]?.split(separator: ":") ?? []
        return (setting.first.flatMap { Int($0) } ?? 300, setting.count > 1 ? UInt64(setting[1]) ?? 0x7a11 : 0x7a11)
    }

    static func randomBuilder(_ random: inout SeededGenerator) -> PacketBuilder {
        var builder = PacketBuilder()
        // Versions other than 2 and 3 are discarded by haexplain (RFC 3768 5.1), whose fields it leaves
        // undecoded where tshark reads them as version 2: not compared here.
        let six = random.chance(25)
        builder.version = six ? 3 : UInt8(2 + random.below(2))
        builder.type = random.chance(90) ? 1 : UInt8(random.below(16))
        builder.vrid = UInt8(random.below(256))
        builder.priority = UInt8(random.below(256))
        builder.authType = random.chance(70) ? 0 : UInt8(random.below(4))
        builder.password = Array(random.pick(["s3cret", "", "12345678", "a"]).utf8)
        builder.intervalCentiseconds = builder.version == 3 ? random.below(4096) : 100 * random.below(256)
        if six {
            builder.source = .v6(0xfe80_0000_0000_0000, UInt64(1 + random.below(0xffff)))
            builder.destination = random.chance(90) ? IPAddress("ff02::12")! : IPAddress("2001:db8::1")!
            builder.addresses = (0..<random.below(4)).map { _ in .v6(0x2001_0db8_0000_0000, UInt64(random.below(0xffff))) }
            if random.chance(10) { builder.ipv6Extensions = [(0, [112, 0, 1, 4, 0, 0, 0, 0])] }
        } else {
            builder.source = .v4(0xc0a8_0300 | UInt32(random.below(256)))
            builder.destination = random.chance(90) ? IPAddress("224.0.0.18")! : .v4(0x0a00_0001)
            builder.addresses = (0..<random.below(5)).map { _ in .v4(0xc0a8_0300 | UInt32(random.below(256))) }
            if random.chance(10) { builder.ipv4Options = [0x94, 0x04, 0, 0] }
        }
        builder.ttl = random.chance(85) ? 255 : UInt8(random.below(256))
        builder.ipID = UInt16(random.below(65536))
        builder.corruptChecksum = random.chance(10)
        builder.checksumWithoutPseudoHeader = builder.version == 3 && random.chance(10)
        builder.corruptIPChecksum = random.chance(5)
        builder.vlans = random.chance(20) ? (0..<(1 + random.below(2))).map { _ in UInt16(1 + random.below(4094)) } : []
        builder.mac = (0..<6).map { index in index == 0 ? UInt8(random.below(256)) & 0xfe : UInt8(random.below(256)) }
        return builder
    }

    @Test("seeded differential: random valid and broken VRRP frames in three framings, every field as tshark decodes it")
    func differential() throws {
        let (count, seed) = Self.run
        var random = SeededGenerator(seed: seed)
        var byLink: [Int: [(frame: [UInt8], nanoseconds: Int64)]] = [:]
        for index in 0..<count {
            let builder = Self.randomBuilder(&random)
            let linkType = random.pick([1, 113, 276])
            let frame = linkType == 1 ? builder.ethernet : linkType == 113 ? builder.cooked : builder.cooked2
            byLink[linkType, default: []].append((frame, Self.start + Int64(index) * 1_000_000))
        }
        for (linkType, frames) in byLink.sorted(by: { $0.key < $1.key }) {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("hxv-\(getpid())-\(seed)-\(linkType).pcap")
            try Data(CaptureFileWriter.pcap(linkType: linkType, frames)).write(to: url)
            defer { if ProcessInfo.processInfo.environment["HAEXPLAIN_KEEP_CAPTURES"] == nil { try? FileManager.default.removeItem(at: url) } }
            try expectTsharkParity(url)
        }
        print("vrrp differential seed \(seed): \(count) frames compared with tshark")
    }
}
