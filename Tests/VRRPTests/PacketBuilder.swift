import HAModel
import VRRP

/// Builds VRRP frames byte by byte, the way keepalived puts them on the wire, so decoder
/// tests state exactly what they feed in.
struct PacketBuilder {
    var version: UInt8 = 2
    var type: UInt8 = 1
    var vrid: UInt8 = 200
    var priority: UInt8 = 100
    var authType: UInt8 = 0
    var password: [UInt8] = []
    var intervalCentiseconds = 100
    var addresses: [IPAddress] = [IPAddress("192.168.3.200")!]
    var source = IPAddress("192.168.3.4")!
    var destination = IPAddress("224.0.0.18")!
    var ttl: UInt8 = 255
    var ipID: UInt16 = 0
    var ipv4Options: [UInt8] = []
    /// Extension headers in order: their type and bytes (whose first byte names the next header).
    var ipv6Extensions: [(type: UInt8, bytes: [UInt8])] = []
    var corruptChecksum = false
    /// VRRPv3 over IPv4 with the checksum computed without the pseudo-header (FRR's `no ... checksum-with-ipv4-pseudoheader`).
    var checksumWithoutPseudoHeader = false
    var corruptIPChecksum = false
    /// 802.1Q tags, outermost first (802.1ad for the outer one of two).
    var vlans: [UInt16] = []
    var mac: [UInt8] = [0xbc, 0x76, 0x4e, 0x05, 0x6c, 0x1c]

    static func bytes(_ address: IPAddress) -> [UInt8] {
        switch address {
        case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) }
        case .v6(let h, let l):
            return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * UInt64($0))) }
                + (0..<8).map { UInt8(truncatingIfNeeded: l >> (56 - 8 * UInt64($0))) }
        }
    }

    var vrrp: [UInt8] {
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

    var ip: [UInt8] {
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
    var tagged: (type: [UInt8], rest: [UInt8]) {
        let inner: [UInt8] = source.family == .inet ? [0x08, 0x00] : [0x86, 0xdd]
        guard !vlans.isEmpty else { return (inner, []) }
        var rest: [UInt8] = []
        for (index, vlan) in vlans.enumerated() {
            rest += [UInt8(vlan >> 8), UInt8(vlan & 0xff)]
            rest += index + 1 < vlans.count ? [0x81, 0x00] : inner
        }
        return (vlans.count > 1 ? [0x88, 0xa8] : [0x81, 0x00], rest)
    }

    var ethernet: [UInt8] {
        [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12] + mac + tagged.type + tagged.rest + ip
    }

    var cooked: [UInt8] {
        [0, 2, 0, 1, 0, 6] + mac + [0, 0] + tagged.type + tagged.rest + ip
    }

    var cooked2: [UInt8] {
        tagged.type + [0, 0, 0, 0, 0, 7, 0, 1, 2, 6] + mac + [0, 0] + tagged.rest + ip
    }
}
