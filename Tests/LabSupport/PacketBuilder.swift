import HAModel
import VRRP

/// Builds VRRP frames byte by byte, the way keepalived puts them on the wire, so decoder
/// tests state exactly what they feed in.
public struct PacketBuilder {
    public var version: UInt8 = 2
    public var type: UInt8 = 1
    public var vrid: UInt8 = 200
    public var priority: UInt8 = 100
    public var authType: UInt8 = 0
    public var password: [UInt8] = []
    public var intervalCentiseconds = 100
    public var addresses: [IPAddress] = [IPAddress("192.168.3.200")!]
    public var source = IPAddress("192.168.3.4")!
    public var destination = IPAddress("224.0.0.18")!
    public var ttl: UInt8 = 255
    public var ipID: UInt16 = 0
    public var ipv4Options: [UInt8] = []
    /// Extension headers in order: their type and bytes (whose first byte names the next header).
    public var ipv6Extensions: [(type: UInt8, bytes: [UInt8])] = []
    public var corruptChecksum = false
    /// VRRPv3 over IPv4 with the checksum computed without the pseudo-header (FRR's `no ... checksum-with-ipv4-pseudoheader`).
    public var checksumWithoutPseudoHeader = false
    public var corruptIPChecksum = false
    /// 802.1Q tags, outermost first (802.1ad for the outer one of two).
    public var vlans: [UInt16] = []

    public init() {}
    public var mac: [UInt8] = [0xbc, 0x76, 0x4e, 0x05, 0x6c, 0x1c]

    public static func bytes(_ address: IPAddress) -> [UInt8] {
        switch address {
        case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) }
        case .v6(let h, let l):
            return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: l >> (56 - 8 * UInt64($0))) }
        }
    }

    public var vrrp: [UInt8] {
        var message: [UInt8] = [version << 4 | type, vrid, priority, UInt8(addresses.count)]
        if version == 2 {
            message += [authType, UInt8(intervalCentiseconds / 100)]
        } else {
            message += [UInt8(intervalCentiseconds >> 8 & 0x0f), UInt8(intervalCentiseconds & 0xff)]
        }
        message += [0, 0]
        for address in addresses { message += Self.bytes(address) }
        if version == 2 { message += (password + [UInt8](repeating: 0, count: 8)).prefix(8) }
        var checksum = VRRPDecoder.checksum(message, version: version, source: source, destination: destination,
                                            pseudoHeader: !checksumWithoutPseudoHeader)
        if corruptChecksum { checksum ^= 0x5a5a }
        message[6] = UInt8(checksum >> 8)
        message[7] = UInt8(checksum & 0xff)
        return message
    }

    public var ip: [UInt8] {
        let payload = vrrp
        switch source {
        case .v4:
            let headerLength = 20 + ipv4Options.count
            let total = headerLength + payload.count
            var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0xc0, UInt8(total >> 8), UInt8(total & 0xff),
                                   UInt8(ipID >> 8), UInt8(ipID & 0xff), 0, 0, ttl, 112, 0, 0]
            header += Self.bytes(source) + Self.bytes(destination) + ipv4Options
            // The IPv4 header checksum: the same ones' complement sum over the header alone.
            var sum = VRRPDecoder.checksum(header, version: 2, source: source, destination: destination)
            if corruptIPChecksum { sum ^= 0x0f0f }
            header[10] = UInt8(sum >> 8)
            header[11] = UInt8(sum & 0xff)
            return header + payload
        case .v6:
            let extensions = ipv6Extensions.flatMap(\.bytes)
            let first = ipv6Extensions.first?.type ?? 112
            let length = extensions.count + payload.count
            var header: [UInt8] = [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xff), first, ttl]
            header += Self.bytes(source) + Self.bytes(destination)
            return header + extensions + payload
        }
    }

    /// The ethertype, behind the VLAN tags when there are any: (first type, tags and inner type).
    public var tagged: (type: [UInt8], rest: [UInt8]) {
        let inner: [UInt8] = source.family == .inet ? [0x08, 0x00] : [0x86, 0xdd]
        guard !vlans.isEmpty else { return (inner, []) }
        var rest: [UInt8] = []
        for (index, vlan) in vlans.enumerated() {
            rest += [UInt8(vlan >> 8), UInt8(vlan & 0xff)]
            rest += index + 1 < vlans.count ? [0x81, 0x00] : inner
        }
        return (vlans.count > 1 ? [0x88, 0xa8] : [0x81, 0x00], rest)
    }

    public var ethernet: [UInt8] {
        [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12] + mac + tagged.type + tagged.rest + ip
    }

    public var cooked: [UInt8] {
        [0, 2, 0, 1, 0, 6] + mac + [0, 0] + tagged.type + tagged.rest + ip
    }

    public var cooked2: [UInt8] {
        tagged.type + [0, 0, 0, 0, 0, 7, 0, 1, 2, 6] + mac + [0, 0] + tagged.rest + ip
    }

    /// A CARP advert as ucarp sends it: version 2 type 1, vhid, advskew, authlen 7, demotion, advbase, checksum, counter, HMAC.
    public static func carpFrame(vhid: UInt8 = 7, advskew: UInt8 = 20, advbase: UInt8 = 1, counter: UInt64 = 0x0102030405060708,
                                 source: IPAddress = IPAddress("192.168.3.7")!) -> [UInt8] {
        var message: [UInt8] = [0x21, vhid, advskew, 7, 0, advbase, 0, 0]
        message += (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        message += [UInt8](repeating: 0xab, count: 20)
        let sum = VRRPDecoder.checksum(message, version: 2, source: .v4(0), destination: .v4(0))
        message[6] = UInt8(sum >> 8)
        message[7] = UInt8(sum & 0xff)
        var ip: [UInt8] = [0x45, 0x10, 0, UInt8(20 + message.count), 0, 1, 0, 0, 255, 112, 0, 0] + bytes(source) + [224, 0, 0, 18]
        let ipSum = VRRPDecoder.checksum(ip, version: 2, source: .v4(0), destination: .v4(0))
        ip[10] = UInt8(ipSum >> 8)
        ip[11] = UInt8(ipSum & 0xff)
        return [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x01, vhid, 0x08, 0x00] + ip + message
    }
}

/// Capture files written byte by byte (little-endian, nanosecond timestamps), so a test
/// states exactly which links, interfaces and sections a file has.
public enum CaptureFileWriter {
    static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8 & 0xff)] }
    static func le32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    /// A classic pcap with one link type; frames with their time in nanoseconds since the epoch.
    public static func pcap(linkType: Int, _ frames: [(frame: [UInt8], nanoseconds: Int64)]) -> [UInt8] {
        var bytes = le32(0xa1b2_3c4d) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(linkType)
        for (frame, time) in frames {
            bytes += le32(Int(time / 1_000_000_000)) + le32(Int(time % 1_000_000_000)) + le32(frame.count) + le32(frame.count) + frame
        }
        return bytes
    }

    /// One pcapng section: interfaces (link type, if_name, nanosecond if_tsresol) and packets on them.
    public static func pcapngSection(interfaces: [(linkType: Int, name: String?)],
                                     _ packets: [(interface: Int, frame: [UInt8], nanoseconds: Int64)]) -> [UInt8] {
        func block(_ type: Int, _ body: [UInt8]) -> [UInt8] {
            let padded = body + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
            return le32(type) + le32(padded.count + 12) + padded + le32(padded.count + 12)
        }
        func option(_ code: Int, _ value: [UInt8]) -> [UInt8] {
            le16(code) + le16(value.count) + value + [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
        }
        var bytes = block(0x0a0d_0d0a, le32(0x1a2b_3c4d) + [1, 0, 0, 0] + [UInt8](repeating: 0xff, count: 8))
        for interface in interfaces {
            var body = le16(interface.linkType) + [0, 0] + le32(65535)
            if let name = interface.name { body += option(2, Array(name.utf8)) }
            body += option(9, [9]) + [0, 0, 0, 0]
            bytes += block(1, body)
        }
        for packet in packets {
            let time = Int(packet.nanoseconds)
            bytes += block(6, le32(packet.interface) + le32(time >> 32) + le32(time & 0xffff_ffff) + le32(packet.frame.count)
                               + le32(packet.frame.count) + packet.frame)
        }
        return bytes
    }
}
