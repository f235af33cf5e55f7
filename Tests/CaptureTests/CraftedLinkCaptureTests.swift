import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// ARP and Neighbour Discovery captures made byte by byte: every kind of claim in every
/// framing (Ethernet, 802.1Q, QinQ, SLL, SLL2, pcapng), malformed and discarded variants,
/// each decoded field held against tshark's; and a seeded differential of thousands of
/// random valid and broken frames.
@Suite struct CraftedLinkCaptureTests {
    static let start: Int64 = 1_764_043_032_000_000_000
    static let vip = IPAddress("192.168.3.200")!
    static let vip6 = IPAddress("fd00:3::200")!
    static let master = MACAddress("bc:76:4e:05:6c:1c")!
    static let other = MACAddress("02:42:c0:a8:03:63")!

    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hxl-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url
    }

    /// One frame of each kind the decoder tells apart, with what it must decode to (nil: an error).
    static func variants(_ builder: LinkFrameBuilder) -> [(frame: [UInt8], kind: LinkClaim.Kind?, discard: LinkClaimDiscard?)] {
        let client = IPAddress("192.168.3.10")!
        let solicited = IPAddress("ff02::1:ff00:200")!
        let link6 = IPAddress("fe80::be76:4eff:fe05:6c1c")!
        func nd(_ packet: [UInt8]) -> [UInt8] { builder.frame(packet, etherType: 0x86dd) }
        let announcement = builder.announcement(vip)
        return [
            (builder.arpFrame(operation: 1, sender: client, target: vip), .arpRequest, nil),
            (builder.arpFrame(operation: 2, sender: vip, targetMAC: other, target: client), .arpReply, nil),
            (announcement, .arpAnnouncement, nil),
            (builder.arpFrame(operation: 2, sender: vip, targetMAC: MACAddress("ff:ff:ff:ff:ff:ff")!, target: vip), .arpAnnouncement, nil),
            (builder.arpFrame(operation: 1, sender: .v4(0), target: vip), .arpProbe, nil),
            (Array(announcement.dropLast(5)), nil, nil),
            (nd(LinkFrameBuilder.ndp(type: 135, source: link6, destination: solicited, target: vip6, options: [(1, master)])), .neighbourSolicitation, nil),
            (nd(LinkFrameBuilder.ndp(type: 135, source: IPAddress("::")!, destination: solicited, target: vip6)), .dadSolicitation, nil),
            (nd(LinkFrameBuilder.ndp(type: 135, source: IPAddress("::")!, destination: solicited, target: vip6, options: [(1, master)])), .dadSolicitation, .badDAD),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: link6, target: vip6, flags: 0x60, options: [(2, master)])), .neighbourAdvertisement, nil),
            (builder.unsolicitedAdvertisement(vip6), .neighbourAdvertisement, nil),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x20)), .neighbourAdvertisement, nil),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x60, options: [(2, master)])),
             .neighbourAdvertisement, .solicitedToMulticast),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x20, options: [(2, master)],
                                     corruptChecksum: true)), .neighbourAdvertisement, .checksum),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x20, hopLimit: 64,
                                     options: [(2, master)])), .neighbourAdvertisement, .hopLimit),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x20, code: 3,
                                     options: [(2, master)])), .neighbourAdvertisement, .code),
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x20,
                                     rawOptions: [2, 0, 0, 0, 0, 0, 0, 0])), .neighbourAdvertisement, .option),
            // A hop-by-hop options header (PadN) before the advertisement.
            (nd(LinkFrameBuilder.ndp(type: 136, source: vip6, destination: IPAddress("ff02::1")!, target: vip6, flags: 0x20, options: [(2, master)],
                                     extensions: [(0, [58, 0, 1, 4, 0, 0, 0, 0])])), .neighbourAdvertisement, nil),
            (Array(nd(LinkFrameBuilder.ndp(type: 135, source: link6, destination: solicited, target: vip6)).dropLast(6)), nil, nil),
        ]
    }

    static func expectDecoded(_ variants: [(frame: [UInt8], kind: LinkClaim.Kind?, discard: LinkClaimDiscard?)], linkType: LinkType,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, variant) in variants.enumerated() {
            let outcome = variant.frame.withUnsafeBytes { bytes in
                Result { () throws(VRRPDecodeError) in try LinkClaimDecoder.decode(frame: bytes, linkType: linkType, packet: index + 1, time: PacketTime(nanoseconds: 0)) }
            }
            switch outcome {
            case .success(let claim?):
                #expect(claim.kind == variant.kind && claim.discardReason == variant.discard,
                        "variant \(index) on \(linkType): \(claim.kind) \(String(describing: claim.discardReason))", sourceLocation: sourceLocation)
            case .success(nil):
                Issue.record("variant \(index) on \(linkType): not decoded as ARP/NDP", sourceLocation: sourceLocation)
            case .failure(let error):
                #expect(variant.kind == nil, "variant \(index) on \(linkType): \(error)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("every ARP and NDP variant in Ethernet, 802.1Q, QinQ, SLL and SLL2 framing: decoded as meant and as tshark decodes it",
          arguments: [(LinkFrameBuilder.Framing.ethernet, [UInt16]()), (.ethernet, [10]), (.ethernet, [100, 20]), (.cooked, []), (.cooked, [10]),
                      (.cooked2, []), (.cooked2, [30])])
    func variantsInEveryFraming(framing: LinkFrameBuilder.Framing, vlans: [UInt16]) throws {
        let builder = LinkFrameBuilder(framing: framing, vlans: vlans, sourceMAC: Self.master)
        let variants = Self.variants(builder)
        Self.expectDecoded(variants, linkType: LinkType(dlt: Int32(framing.linkType))!)
        let frames = variants.enumerated().map { ($0.element.frame, Self.start + Int64($0.offset) * 100_000_000) }
        let file = try write(CaptureFileWriter.pcap(linkType: framing.linkType, frames), "variants-\(framing)-\(vlans.count).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let compared = try expectTsharkLinkParity(file)
        #expect(compared == variants.filter { $0.kind != nil }.count, "compared \(compared)")
        let decoded = try decodedLinkClaims(file)
        for case .claim(let claim) in decoded.values {
            #expect(claim.vlans == vlans && claim.sourceMAC == Self.master, "\(claim)")
            #expect(claim.interfaceIndex == (framing == .cooked2 ? 7 : nil))
        }
    }

    @Test("pcapng with an Ethernet and an SLL2 interface: ARP and NDP from both decoded as tshark does")
    func pcapng() throws {
        let ethernet = Self.variants(LinkFrameBuilder(framing: .ethernet, sourceMAC: Self.master))
        let cooked = Self.variants(LinkFrameBuilder(framing: .cooked2, vlans: [5], sourceMAC: Self.other))
        var packets: [(interface: Int, frame: [UInt8], nanoseconds: Int64)] = []
        for index in ethernet.indices {
            packets.append((0, ethernet[index].frame, Self.start + Int64(index) * 1_000_000))
            packets.append((1, cooked[index].frame, Self.start + Int64(index) * 1_000_000 + 500))
        }
        let file = try write(CaptureFileWriter.pcapngSection(interfaces: [(1, "eth0"), (276, "any")], packets), "variants.pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        let compared = try expectTsharkLinkParity(file)
        #expect(compared == 2 * ethernet.filter { $0.kind != nil }.count, "compared \(compared)")
    }

    /// Random frames: valid ARP/NDP of every kind, then some with fields or bytes broken.
    static func randomFrame(_ random: inout SeededGenerator) -> (framing: LinkFrameBuilder.Framing, frame: [UInt8]) {
        func mac() -> MACAddress { MACAddress(value: random.next() & 0xfeff_ffff_ffff) }
        func v4() -> IPAddress { random.chance(10) ? .v4(0) : .v4(0xc0a8_0300 | UInt32(random.below(256))) }
        func v6() -> IPAddress {
            random.pick([IPAddress("::")!, IPAddress("fe80::1")!, .v6(0xfd00_0003_0000_0000, UInt64(random.below(512))), IPAddress("ff02::1")!,
                         .v6(0xff02_0000_0000_0000, 0x0000_0001_ff00_0000 | UInt64(random.below(0xffffff)))])
        }
        var builder = LinkFrameBuilder(framing: random.pick(LinkFrameBuilder.Framing.allCases), sourceMAC: mac())
        builder.vlans = random.chance(20) ? (0..<(1 + random.below(2))).map { _ in UInt16(1 + random.below(4094)) } : []
        var frame: [UInt8]
        if random.chance(50) {
            let sender = v4()
            let target = random.chance(30) ? sender : v4()
            var arp = LinkFrameBuilder.arp(operation: random.chance(90) ? UInt16(1 + random.below(2)) : UInt16(random.below(10)),
                                           senderMAC: mac(), sender: sender, targetMAC: random.chance(50) ? MACAddress(value: 0) : mac(), target: target,
                                           hardware: random.chance(95) ? 1 : 6, protocolType: random.chance(95) ? 0x0800 : 0x86dd,
                                           hardwareLength: random.chance(95) ? 6 : UInt8(random.below(16)),
                                           protocolLength: random.chance(95) ? 4 : UInt8(random.below(16)))
            if random.chance(10) { arp = Array(arp.prefix(random.below(arp.count))) }
            frame = builder.frame(arp, etherType: 0x0806)
        } else {
            let type: UInt8 = random.chance(50) ? 135 : 136
            var options: [(type: UInt8, mac: MACAddress)] = []
            for _ in 0..<random.below(3) { options.append((random.chance(80) ? UInt8(1 + random.below(2)) : UInt8(random.below(40)), mac())) }
            let raw: [UInt8] = random.chance(10) ? [UInt8(random.below(40)), UInt8(random.below(2))] + (0..<6).map { _ in UInt8(random.below(256)) } : []
            let extensions: [(type: UInt8, bytes: [UInt8])] = random.chance(10) ? [(random.chance(50) ? 0 : 60, [58, 0, 1, 4, 0, 0, 0, 0])] : []
            var packet = LinkFrameBuilder.ndp(type: type, source: v6(), destination: v6(), target: v6(), flags: UInt8(random.below(8)) << 5,
                                              code: random.chance(95) ? 0 : UInt8(random.below(256)),
                                              hopLimit: random.chance(90) ? 255 : UInt8(random.below(256)), options: options, rawOptions: raw,
                                              corruptChecksum: random.chance(10), extensions: extensions)
            if random.chance(10) { packet = Array(packet.prefix(random.below(packet.count))) }
            frame = builder.frame(packet, etherType: 0x86dd)
        }
        // Now and then a byte flipped anywhere (the link header included).
        if random.chance(5) { frame[random.below(frame.count)] ^= UInt8(1 + random.below(255)) }
        return (builder.framing, frame)
    }

    @Test("seeded differential: 3000 random valid and broken ARP/NDP frames per framing, every field as tshark decodes it")
    func differential() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["HAEXPLAIN_SEED"] ?? "") ?? 0x15_a4b9
        var random = SeededGenerator(seed: seed)
        var byFraming: [LinkFrameBuilder.Framing: [(frame: [UInt8], nanoseconds: Int64)]] = [:]
        // HAEXPLAIN_LINK_FRAMES=N runs a larger differential outside `make test`.
        let count = Int(ProcessInfo.processInfo.environment["HAEXPLAIN_LINK_FRAMES"] ?? "") ?? 9000
        for index in 0..<count {
            let (framing, frame) = Self.randomFrame(&random)
            byFraming[framing, default: []].append((frame, Self.start + Int64(index) * 1_000_000))
        }
        var total = 0
        for (framing, frames) in byFraming.sorted(by: { $0.key.linkType < $1.key.linkType }) {
            let file = try write(CaptureFileWriter.pcap(linkType: framing.linkType, frames), "differential-\(framing).pcap")
            // HAEXPLAIN_KEEP_CAPTURES=1 leaves the files for a look with tshark.
            defer { if ProcessInfo.processInfo.environment["HAEXPLAIN_KEEP_CAPTURES"] == nil { try? FileManager.default.removeItem(at: file) } }
            total += try expectTsharkLinkParity(file, seed: seed)
        }
        print("link differential seed \(seed): \(total) claims compared with tshark")
        #expect(total > count * 4 / 9, "seed \(seed): only \(total) claims compared")
    }
}
