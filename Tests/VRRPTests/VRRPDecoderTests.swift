#if canImport(Glibc)
import Glibc
#endif
import HAModel
import Testing
import LabSupport
import VRRP

@Suite struct VRRPDecoderTests {
    func decode(_ bytes: [UInt8], _ link: LinkType = .ethernet) throws -> VRRPAdvert? {
        let decoder = VRRPDecoder()
        return try bytes.withUnsafeBytes { buffer throws(VRRPDecodeError) in
            try decoder.decode(frame: buffer, linkType: link, packet: 7, time: PacketTime(seconds: 1_764_043_032))
        }
    }

    @Test("the seed master's VRRPv2 advert for VRID 200 decodes field by field")
    func seedAdvert() throws {
        let advert = try #require(try decode(PacketBuilder().ethernet))
        #expect(advert.version == 2 && advert.type == 1 && advert.vrid == 200 && advert.priority == 100)
        #expect(advert.interval == 100)
        #expect(advert.authType == 0 && advert.authData == nil)
        #expect(advert.virtualAddresses == [IPAddress("192.168.3.200")!])
        #expect(advert.sourceAddress == IPAddress("192.168.3.4")! && advert.destinationAddress == IPAddress("224.0.0.18")!)
        #expect(advert.sourceMAC?.description == "bc:76:4e:05:6c:1c")
        #expect(advert.ttl == 255 && advert.checksumValid)
        #expect(advert.packet == 7 && advert.source.description == "packet #7")
        #expect(advert.time.description == "2025-11-25T03:57:12.000000000Z")
    }

    @Test("the same advert decodes identically from every Linux link type")
    func everyLinkType() throws {
        let builder = PacketBuilder()
        let reference = try #require(try decode(builder.ethernet))
        for (bytes, link) in [(builder.ip, LinkType.rawIP), (builder.ip, .ipv4), (builder.cooked, .linuxCooked),
                              (builder.cooked2, .linuxCooked2)] {
            var advert = try #require(try decode(bytes, link))
            #expect(advert.interfaceIndex == (link == .linuxCooked2 ? 7 : nil))
            advert.interfaceIndex = nil
            if link == .rawIP || link == .ipv4 { advert.sourceMAC = reference.sourceMAC }
            #expect(advert == reference)
        }
    }

    @Test("VRRPv2 intervals are seconds, VRRPv3 centiseconds")
    func intervalUnits() throws {
        var builder = PacketBuilder()
        builder.intervalCentiseconds = 300
        #expect(try decode(builder.ethernet)?.interval == 300)
        builder.version = 3
        builder.intervalCentiseconds = 25
        let v3 = try #require(try decode(builder.ethernet))
        #expect(v3.interval == 25 && v3.authType == nil && v3.checksumValid)
    }

    @Test("a VRRPv3 checksum covers the pseudo-header; a v2-style one is reported bad")
    func pseudoHeader() throws {
        var builder = PacketBuilder()
        builder.version = 3
        var bytes = builder.ethernet
        #expect(try decode(bytes)?.checksumValid == true)
        // Recompute the checksum without the pseudo-header, as old keepalived did.
        let start = 14 + 20
        bytes[start + 6] = 0
        bytes[start + 7] = 0
        let sum = VRRPDecoder.checksum(Array(bytes[start...]), version: 2, source: builder.source, destination: builder.destination)
        bytes[start + 6] = UInt8(sum >> 8)
        bytes[start + 7] = UInt8(sum & 0xff)
        let legacy = try #require(try decode(bytes))
        #expect(!legacy.checksumValid && legacy.checksumWithoutPseudoHeader && legacy.discardReason == .checksumWithoutPseudoHeader)
        builder.checksumWithoutPseudoHeader = true
        #expect(try decode(builder.ethernet)?.discardReason == .checksumWithoutPseudoHeader)
        builder.checksumWithoutPseudoHeader = false
        builder.corruptChecksum = true
        #expect(try decode(builder.ethernet)?.discardReason == .checksum)
        builder.version = 2
        let corrupt = try #require(try decode(builder.ethernet))
        #expect(!corrupt.checksumValid && !corrupt.checksumWithoutPseudoHeader && corrupt.discardReason == .checksum)
    }

    @Test("every RFC discard decodes with its reason, so the census can show it: IPv4 header checksum, TTL, version, type")
    func discards() throws {
        var builder = PacketBuilder()
        #expect(try decode(builder.ethernet)?.discardReason == nil)
        builder.corruptIPChecksum = true
        let badHeader = try #require(try decode(builder.ethernet))
        #expect(!badHeader.ipHeaderChecksumValid && badHeader.discardReason == .ipHeaderChecksum && badHeader.checksumValid)
        builder.corruptIPChecksum = false
        builder.ttl = 64
        #expect(try decode(builder.ethernet)?.discardReason == .ttl)
        builder.ttl = 255
        builder.type = 2
        let type2 = try #require(try decode(builder.ethernet))
        #expect(type2.type == 2 && type2.discardReason == .type && type2.vrid == 200)
        var bytes = PacketBuilder().ethernet
        bytes[14 + 20] = 0x51
        let version5 = try #require(try decode(bytes))
        #expect(version5.version == 5 && version5.vrid == 200 && version5.priority == 100 && version5.discardReason == .version)
    }

    @Test("802.1Q and QinQ tags on Ethernet and in Linux cooked v1/v2 headers give the VLANs, outermost first")
    func vlanTags() throws {
        for vlans: [UInt16] in [[100], [10, 200]] {
            var builder = PacketBuilder()
            builder.vlans = vlans
            for (bytes, link) in [(builder.ethernet, LinkType.ethernet), (builder.cooked, .linuxCooked), (builder.cooked2, .linuxCooked2)] {
                let advert = try #require(try decode(bytes, link), "\(link) \(vlans)")
                #expect(advert.vlans == vlans && advert.vrid == 200 && advert.checksumValid && advert.ipHeaderChecksumValid, "\(link) \(vlans)")
                #expect(advert.sourceMAC?.description == "bc:76:4e:05:6c:1c")
            }
        }
        #expect(try decode(PacketBuilder().cooked2, .linuxCooked2)?.vlans == [])
    }

    @Test("CARP on protocol 112 decodes as CARP with its own fields, never as (malformed) VRRP")
    func carpAdvert() throws {
        let decoder = VRRPDecoder()
        let frame = PacketBuilder.carpFrame()
        let decoded = try frame.withUnsafeBytes { buffer throws(VRRPDecodeError) in
            try decoder.decodePacket(frame: buffer, linkType: .ethernet, packet: 3, time: PacketTime(seconds: 1))
        }
        guard case .carp(let carp)? = decoded else { Issue.record("not CARP: \(String(describing: decoded))"); return }
        #expect(carp.vhid == 7 && carp.advskew == 20 && carp.advbase == 1 && carp.demotion == 0 && carp.authLength == 7)
        #expect(carp.counter == 0x0102030405060708 && carp.checksumValid && carp.ttl == 255)
        #expect(carp.sourceAddress == IPAddress("192.168.3.7")! && carp.sourceMAC?.description == "00:00:5e:00:01:07")
        #expect(try decode(frame) == nil, "the VRRP-only entry point says: not VRRP")
        // A VRRPv2 advert with 5 addresses is 36 bytes too, but counts 5, not CARP's 7.
        var five = PacketBuilder()
        five.addresses = (1...5).map { IPAddress("192.168.3.\(200 + $0)")! }
        #expect(try decode(five.ethernet)?.virtualAddresses.count == 5)
        var seven = PacketBuilder()
        seven.addresses = (1...7).map { IPAddress("192.168.3.\(200 + $0)")! }
        #expect(try decode(seven.ethernet)?.virtualAddresses.count == 7, "VRRPv2 with 7 addresses is 44 bytes: still VRRP")
    }

    @Test("VRRPv3 over IPv6 skips hop-by-hop and destination options headers")
    func ipv6Extensions() throws {
        var builder = PacketBuilder()
        builder.version = 3
        builder.source = IPAddress("fe80::be76:4eff:fe05:6c1c")!
        builder.destination = IPAddress("ff02::12")!
        builder.addresses = [IPAddress("fd00::200")!, IPAddress("2001:db8::1")!]
        builder.ipv6Extensions = [(0, [60, 0, 5, 2, 0, 0, 1, 0]), (60, [112, 1] + [UInt8](repeating: 1, count: 14))]
        let advert = try #require(try decode(builder.ethernet))
        #expect(advert.virtualAddresses == builder.addresses && advert.checksumValid && advert.family == .inet6)
        builder.ipv6Extensions = [(0, [17, 0, 5, 2, 0, 0, 1, 0])]
        #expect(try decode(builder.ethernet) == nil)
    }

    @Test("IPv4 options are skipped by the header length")
    func ipv4Options() throws {
        var builder = PacketBuilder()
        builder.ipv4Options = [0x94, 0x04, 0, 0]  // router alert
        let advert = try #require(try decode(builder.ethernet))
        #expect(advert.vrid == 200 && advert.checksumValid)
    }

    @Test("a PASS password is shown only as a fingerprint that matches the config's")
    func password() throws {
        var builder = PacketBuilder()
        builder.authType = 1
        builder.password = Array("s3cr3t".utf8)
        let advert = try #require(try decode(builder.ethernet))
        #expect(advert.authType == 1)
        #expect(advert.authData?.fingerprint == Secret("s3cr3t").fingerprint)
        #expect(!"\(advert)".contains("s3cr3t") && !String(reflecting: advert).contains("s3cr3t"))
    }

    @Test("truncated and malformed VRRP is an error naming the problem; other protocols are nil")
    func malformed() throws {
        let bytes = PacketBuilder().ethernet
        for cut in [14 + 20 + 3, 14 + 20 + 8, bytes.count - 1] {
            #expect(throws: VRRPDecodeError.self) { try decode(Array(bytes[..<cut])) }
        }
        var udp = bytes
        udp[14 + 9] = 17
        #expect(try decode(udp) == nil)
        #expect(try decode(Array(bytes[..<10])) == nil)
    }

    /// A valid advert with random fields, as keepalived would send it (VRRPv3 sometimes over IPv6).
    static func randomAdvert(_ generator: inout SeededGenerator) -> PacketBuilder {
        var builder = PacketBuilder()
        builder.version = Bool.random(using: &generator) ? 2 : 3
        builder.vrid = .random(in: 1...255, using: &generator)
        builder.priority = .random(in: 0...255, using: &generator)
        builder.ipID = .random(in: 0...0xffff, using: &generator)
        builder.vlans = (0..<Int.random(in: 0...2, using: &generator)).map { _ in .random(in: 1...4094, using: &generator) }
        builder.mac = (0..<6).map { _ in .random(in: 0...255, using: &generator) }
        let ipv6 = builder.version == 3 && Bool.random(using: &generator)
        if ipv6 {
            builder.source = .v6(0xfe80 << 48, .random(in: 1...UInt64.max, using: &generator))
            builder.destination = IPAddress("ff02::12")!
        } else {
            builder.source = .v4(.random(in: 1...0xdfff_ffff, using: &generator))
        }
        builder.addresses = (0..<Int.random(in: 0...6, using: &generator)).map { _ in
            ipv6 ? .v6(0x2001_0db8 << 32, .random(in: 0...UInt64.max, using: &generator)) : .v4(.random(in: 0...UInt32.max, using: &generator))
        }
        if builder.version == 2 {
            builder.intervalCentiseconds = 100 * Int.random(in: 1...255, using: &generator)
            builder.authType = Bool.random(using: &generator) ? 1 : 0
            if builder.authType == 1 { builder.password = (0..<Int.random(in: 1...8, using: &generator)).map { _ in .random(in: 1...255, using: &generator) } }
        } else {
            builder.intervalCentiseconds = .random(in: 1...4095, using: &generator)
        }
        return builder
    }

    @Test("random valid adverts decode to what was sent; random and damaged bytes on every link type never trap, and every error names its reason")
    func randomBytes() throws {
        var generator = SeededGenerator.forTest()
        let decoder = VRRPDecoder()
        for round in 0..<4_000 {
            let builder = Self.randomAdvert(&generator)
            let context = "round \(round), \(generator.label)"
            let advert = try #require(try decode(builder.ethernet), "\(context)")
            #expect(advert.version == builder.version && advert.vrid == builder.vrid && advert.priority == builder.priority, "\(context)")
            #expect(advert.interval == builder.intervalCentiseconds && advert.virtualAddresses == builder.addresses, "\(context)")
            #expect(advert.sourceAddress == builder.source && advert.destinationAddress == builder.destination, "\(context)")
            #expect(advert.sourceMAC == builder.mac.withUnsafeBytes { MACAddress(bytes: $0) }, "\(context)")
            #expect(advert.vlans == builder.vlans && advert.discardReason == nil && advert.checksumValid, "\(context)")
            #expect(advert.authData?.fingerprint == (builder.password.isEmpty ? nil : Secret(builder.password).fingerprint), "\(context)")
            // The same frame damaged and cut short, or bytes at random.
            var bytes = builder.ethernet
            if round % 2 == 0 {
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = .random(in: 0...255, using: &generator)
                }
                bytes = Array(bytes[..<Int.random(in: 0...bytes.count, using: &generator)])
            } else {
                bytes = (0..<Int.random(in: 0..<80, using: &generator)).map { _ in .random(in: 0...255, using: &generator) }
            }
            for link in LinkType.all {
                do {
                    _ = try bytes.withUnsafeBytes { try decoder.decodePacket(frame: $0, linkType: link, packet: round, time: PacketTime(nanoseconds: 0)) }
                } catch let error as VRRPDecodeError {
                    // A sentence that says which layer was wrong, never a bare Swift error.
                    #expect(error.reason.contains("IPv4") || error.reason.contains("IPv6"), "\(error.reason): \(link), \(context)")
                } catch {
                    Issue.record("not a VRRPDecodeError: \(error), \(link), \(context)")
                }
            }
        }
    }
}

@Suite struct PacketTimeTests {
    @Test("capture times print as glibc's gmtime/strftime says and read back to the nanosecond")
    func roundTrip() throws {
        var generator = SeededGenerator.forTest()
        // Int64 nanoseconds reach the years 1677 to 2262; a corrupt pcap time goes before 1970.
        let samples: [Int64] = [0, -1, -86_401, -2_208_988_800, -9_000_000_000, 951_782_400, 1_764_043_032, 4_102_444_799, 9_000_000_000]
            + (0..<500).map { _ in Int64.random(in: -9_000_000_000...9_000_000_000, using: &generator) }
        for seconds in samples {
            let nanos = Int64.random(in: 0..<1_000_000_000, using: &generator)
            let time = PacketTime(seconds: seconds, nanoseconds: nanos)
            var t = time_t(seconds)
            var parts = tm()
            gmtime_r(&t, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S", &parts)
            let expected = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(time.description.hasPrefix(expected + "."), "\(seconds), \(generator.label)")
            #expect(PacketTime(rfc3339: time.description) == time, "\(time.nanoseconds), \(generator.label)")
        }
        #expect(PacketTime(rfc3339: "2026-11-25T06:22:50Z") == PacketTime(seconds: 1_795_587_770))
        #expect(PacketTime(rfc3339: "2026-11-25T06:22:50.5Z") == PacketTime(seconds: 1_795_587_770, nanoseconds: 500_000_000))
        for bad in ["", "2026-11-25", "2026-13-25T06:22:50Z", "2026-11-25T06:22:50.Z", "2026-11-25 06:22:50Z",
                    "2026-11-25T06:22:50.1234567890Z", "2026-11-25T06:22:5xZ", "２026-11-25T06:22:50Z"] {
            #expect(PacketTime(rfc3339: bad) == nil, "\(bad)")
        }
    }
}

@Suite struct PcapngReaderTests {
    /// Reads every block of `bytes` as PacketCapture does.
    static func blocks(_ bytes: [UInt8]) throws -> (reader: PcapngReader, blocks: [PcapngReader.Block]) {
        var reader = PcapngReader()
        var blocks: [PcapngReader.Block] = []
        var offset = 0
        while offset < bytes.count {
            let rest = Array(bytes[offset...])
            let length = try rest.withUnsafeBytes { try reader.blockLength($0) } ?? Int.max
            guard length <= rest.count else { throw PcapngReader.FormatError(offset: offset, reason: "cut short") }
            let block = Array(rest[0..<length])
            blocks.append(try block.withUnsafeBytes { try reader.read(block: $0) })
            offset += length
        }
        return (reader, blocks)
    }

    @Test("interfaces keep their names, link types and sections; packet times in the interface's resolution")
    func interfacesAndTimes() throws {
        let frame = PacketBuilder().ethernet
        let bytes = CaptureFileWriter.pcapngSection(interfaces: [(1, "eth2"), (276, nil)],
                                                    [(0, frame, 1_764_043_032_123_456_789), (1, frame, 1_764_043_033_000_000_001)])
            + CaptureFileWriter.pcapngSection(interfaces: [(101, "tun0")], [(0, frame, 5)])
        let (reader, blocks) = try Self.blocks(bytes)
        #expect(reader.interfaces.map(\.label) == ["eth2", "interface 1", "tun0"])
        #expect(reader.interfaces.map(\.linkType) == [1, 276, 101])
        let packets = blocks.compactMap { block -> (Int, PacketTime?)? in
            if case .packet(let interface, let time, _) = block { return (interface, time) }
            return nil
        }
        #expect(packets.map(\.0) == [0, 1, 2])
        #expect(packets.map { $0.1?.nanoseconds } == [1_764_043_032_123_456_789, 1_764_043_033_000_000_001, 5])
    }

    @Test("microsecond and binary resolutions convert to nanoseconds")
    func resolutions() {
        let reader = PcapngReader()
        var interface = PcapngReader.Interface(linkType: 1, name: nil, section: 1, number: 0)
        #expect(reader.time(1_764_043_032_123_456, interface).nanoseconds == 1_764_043_032_123_456_000)
        interface.resolutionPowerOfTwo = true
        interface.resolutionExponent = 10
        #expect(reader.time(3 << 10 | 512, interface).nanoseconds == 3_500_000_000)
    }

    @Test("a block whose trailing length differs, or a length not a multiple of 4, is an error with its offset")
    func malformed() throws {
        var bytes = CaptureFileWriter.pcapngSection(interfaces: [(1, "eth2")], [(0, PacketBuilder().ethernet, 1)])
        bytes[bytes.count - 1] ^= 1
        #expect(throws: PcapngReader.FormatError.self) { try Self.blocks(bytes) }
        var odd = CaptureFileWriter.pcapngSection(interfaces: [(1, "eth2")], [])
        odd[4] = 29
        #expect(throws: PcapngReader.FormatError.self) { try Self.blocks(odd) }
    }
}
