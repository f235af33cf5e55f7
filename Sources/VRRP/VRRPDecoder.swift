import HAModel

/// The link-layer framings tcpdump writes on Linux (and the BSD loopback ones), by the DLT
/// value libpcap reports.
public enum LinkType: Sendable, Equatable {
    case ethernet, linuxCooked, linuxCooked2, rawIP, ipv4, ipv6, null, loop

    public init?(dlt: Int32) {
        switch dlt {
        case 1: self = .ethernet
        case 113: self = .linuxCooked
        case 276: self = .linuxCooked2
        case 12, 14, 101: self = .rawIP
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 0: self = .null
        case 108: self = .loop
        default: return nil
        }
    }

    public static let all: [LinkType] = [.ethernet, .linuxCooked, .linuxCooked2, .rawIP, .ipv4, .ipv6, .null, .loop]
}

/// Why a VRRP packet could not be decoded: the packet number and one sentence.
public struct VRRPDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Decodes frames into VRRP adverts. Pure and total: any byte string yields an advert, nil
/// (not VRRP) or a `VRRPDecodeError`, never a trap. It keeps small bounded caches so the
/// steady stream of identical adverts a master sends allocates nothing per packet.
public struct VRRPDecoder {
    private var addressCache = [CachedAddresses?](repeating: nil, count: 64)
    private var secretCache = [CachedSecret?](repeating: nil, count: 16)

    struct CachedAddresses { var bytes: [UInt8]; var addresses: [IPAddress] }
    struct CachedSecret { var bytes: UInt64; var secret: Secret }

    public init() {}

    static let ipProtocolVRRP: UInt8 = 112
    static let ipProtocolAH: UInt8 = 51

    /// Decodes one captured frame. `nil` means the frame is not VRRP at all (another
    /// protocol); an error means it claims to be VRRP (or IP carrying it) but is malformed.
    public mutating func decode(frame: UnsafeRawBufferPointer, linkType: LinkType, packet: Int,
                                time: PacketTime) throws(VRRPDecodeError) -> VRRPAdvert? {
        var reader = ByteReader(frame)
        var mac: MACAddress? = nil
        var ifindex: Int? = nil
        let etherType: UInt16
        do {
            switch linkType {
            case .ethernet:
                try reader.skip(6)
                mac = MACAddress(bytes: try reader.take(6))
                var type = try reader.u16be()
                var tags = 0
                // 802.1Q / 802.1ad tags, as libpcap re-inserts them on live capture.
                while type == 0x8100 || type == 0x88a8 || type == 0x9100, tags < 4 {
                    try reader.skip(2)
                    type = try reader.u16be()
                    tags += 1
                }
                etherType = type
            case .linuxCooked:
                try reader.skip(2)
                let hardware = try reader.u16be()
                let addressLength = Int(try reader.u16be())
                let address = try reader.take(8)
                if hardware == 1, addressLength == 6 { mac = MACAddress(bytes: UnsafeRawBufferPointer(rebasing: address[0..<6])) }
                etherType = try reader.u16be()
            case .linuxCooked2:
                etherType = try reader.u16be()
                try reader.skip(2)
                ifindex = Int(try reader.u32be())
                let hardware = try reader.u16be()
                try reader.skip(1)
                let addressLength = Int(try reader.u8())
                let address = try reader.take(8)
                if hardware == 1, addressLength == 6 { mac = MACAddress(bytes: UnsafeRawBufferPointer(rebasing: address[0..<6])) }
            case .rawIP:
                var peek = reader
                let version = try peek.u8() >> 4
                etherType = version == 4 ? 0x0800 : version == 6 ? 0x86dd : 0
            case .ipv4:
                etherType = 0x0800
            case .ipv6:
                etherType = 0x86dd
            case .null, .loop:
                let raw = try reader.u32host()
                let family = linkType == .loop ? UInt32(bigEndian: raw) : (raw > 0xffff ? raw.byteSwapped : raw)
                etherType = family == 2 ? 0x0800 : [10, 24, 28, 30].contains(family) ? 0x86dd : 0
            }
        } catch {
            return nil  // too short for its link header: not a VRRP packet
        }
        var advert: VRRPAdvert?
        do {
            switch etherType {
            case 0x0800: advert = try decodeIPv4(&reader, packet: packet, time: time)
            case 0x86dd: advert = try decodeIPv6(&reader, packet: packet, time: time)
            default: return nil
            }
        } catch let truncated as ByteReader.Truncated {
            throw VRRPDecodeError("\(etherType == 0x0800 ? "IPv4" : "IPv6") VRRP packet truncated (\(truncated))")
        } catch let error as VRRPDecodeError {
            throw error
        } catch {
            throw VRRPDecodeError("\(error)")
        }
        advert?.sourceMAC = mac
        advert?.interfaceIndex = ifindex
        return advert
    }

    /// Decodes an IP packet (IPv4 or IPv6, by its version nibble).
    public mutating func decode(ipPacket: UnsafeRawBufferPointer, packet: Int = 1,
                                time: PacketTime = PacketTime(nanoseconds: 0)) throws(VRRPDecodeError) -> VRRPAdvert? {
        try decode(frame: ipPacket, linkType: .rawIP, packet: packet, time: time)
    }

    private mutating func decodeIPv4(_ reader: inout ByteReader, packet: Int, time: PacketTime) throws -> VRRPAdvert? {
        var header = reader
        let start = reader.offset
        let versionAndLength = try header.u8()
        guard versionAndLength >> 4 == 4 else { return nil }
        let headerLength = Int(versionAndLength & 0xf) * 4
        try header.skip(1)
        let totalLength = Int(try header.u16be())
        try header.skip(2)
        let fragment = try header.u16be()
        let ttl = try header.u8()
        var proto = try header.u8()
        guard proto == Self.ipProtocolVRRP || proto == Self.ipProtocolAH else { return nil }
        try header.skip(2)
        let sourceBytes = try header.take(4)
        let destinationBytes = try header.take(4)
        guard headerLength >= 20 else { throw VRRPDecodeError("IPv4 header length \(headerLength) is below 20") }
        guard totalLength >= headerLength else {
            throw VRRPDecodeError("IPv4 total length \(totalLength) is shorter than its header (\(headerLength))")
        }
        guard fragment & 0x3fff == 0 else { throw VRRPDecodeError("fragmented IPv4 packet (VRRP is never fragmented)") }
        guard totalLength <= reader.remaining else {
            throw VRRPDecodeError("IPv4 packet truncated: \(totalLength) bytes claimed, \(reader.remaining) captured")
        }
        // Options (IHL > 5) are skipped as a block; only the total length bounds the payload.
        var payload = ByteReader(UnsafeRawBufferPointer(rebasing: reader.bytes[(start + headerLength)..<(start + totalLength)]))
        var authenticationHeader = false
        if proto == Self.ipProtocolAH {
            proto = try payload.u8()
            let ahLength = (Int(try payload.u8()) + 2) * 4
            guard proto == Self.ipProtocolVRRP else { return nil }
            try payload.skip(ahLength - 2)
            authenticationHeader = true
        }
        return try decodeVRRP(payload, sourceBytes: sourceBytes, destinationBytes: destinationBytes, packet: packet,
                              time: time, ttl: ttl, authenticationHeader: authenticationHeader)
    }

    private mutating func decodeIPv6(_ reader: inout ByteReader, packet: Int, time: PacketTime) throws -> VRRPAdvert? {
        guard try reader.u8() >> 4 == 6 else { return nil }
        try reader.skip(3)
        let payloadLength = Int(try reader.u16be())
        var next = try reader.u8()
        let hopLimit = try reader.u8()
        let sourceBytes = try reader.take(16)
        let destinationBytes = try reader.take(16)
        guard payloadLength <= reader.remaining else {
            throw VRRPDecodeError("IPv6 packet truncated: \(payloadLength) payload bytes claimed, \(reader.remaining) captured")
        }
        var payload = ByteReader(UnsafeRawBufferPointer(rebasing: reader.bytes[reader.offset..<(reader.offset + payloadLength)]))
        var authenticationHeader = false
        // Extension headers: each names the next; at most a handful precede an upper layer.
        var headers = 0
        while next != Self.ipProtocolVRRP {
            headers += 1
            guard headers <= 16 else { throw VRRPDecodeError("more than 16 IPv6 extension headers") }
            switch next {
            case 0, 43, 60, 135, 139, 140:
                next = try payload.u8()
                try payload.skip((Int(try payload.u8()) + 1) * 8 - 2)
            case 44:
                next = try payload.u8()
                try payload.skip(1)
                let offsetAndFlags = try payload.u16be()
                try payload.skip(4)
                if offsetAndFlags & 0xfff9 != 0 {
                    guard next == Self.ipProtocolVRRP else { return nil }
                    throw VRRPDecodeError("fragmented IPv6 packet (VRRP is never fragmented)")
                }
            case Self.ipProtocolAH:
                next = try payload.u8()
                try payload.skip((Int(try payload.u8()) + 2) * 4 - 2)
                authenticationHeader = true
            default:
                return nil
            }
        }
        return try decodeVRRP(payload, sourceBytes: sourceBytes, destinationBytes: destinationBytes, packet: packet,
                              time: time, ttl: hopLimit, authenticationHeader: authenticationHeader)
    }

    /// The VRRP message itself (RFC 3768 section 5.1, RFC 5798 section 5.1).
    private mutating func decodeVRRP(_ payload: ByteReader, sourceBytes: UnsafeRawBufferPointer,
                                     destinationBytes: UnsafeRawBufferPointer, packet: Int, time: PacketTime,
                                     ttl: UInt8, authenticationHeader: Bool) throws -> VRRPAdvert {
        let source = IPAddress(bytes: sourceBytes)!
        let destination = IPAddress(bytes: destinationBytes)!
        let body = UnsafeRawBufferPointer(rebasing: payload.bytes[payload.offset...])
        var pseudoHeaderSum = Self.sum(sourceBytes) &+ Self.sum(destinationBytes)
        pseudoHeaderSum &+= UInt32(Self.ipProtocolVRRP) &+ UInt32(body.count)
        var reader = ByteReader(body)
        let versionAndType = try reader.u8()
        let version = versionAndType >> 4
        let type = versionAndType & 0xf
        let vrid = try reader.u8()
        let priority = try reader.u8()
        let count = Int(try reader.u8())
        let authType: UInt8?
        let interval: Int
        switch version {
        case 2:
            authType = try reader.u8()
            interval = Int(try reader.u8()) * 100
        case 3:
            authType = nil
            interval = Int(try reader.u16be() & 0x0fff)
        default:
            throw VRRPDecodeError("VRRP version \(version) (only 2 and 3 exist)")
        }
        let checksum = try reader.u16be()
        let width = source.family == .inet ? 4 : 16
        if version == 2, source.family == .inet6 {
            throw VRRPDecodeError("VRRPv2 over IPv6 (RFC 3768 is IPv4 only)")
        }
        let addressBytes = try reader.take(count * width)
        var authData: Secret? = nil
        if version == 2 {
            // RFC 3768 requires the 8 authentication bytes; RFC 2338 receivers read them too.
            authData = secret(try reader.take(8))
        }
        // v2 sums the VRRP message only; v3 adds the IPv4 or IPv6 pseudo-header.
        var sum = Self.sum(body)
        if version == 3 { sum &+= pseudoHeaderSum }
        let checksumValid = Self.fold(sum) == 0xffff
        return VRRPAdvert(packet: packet, time: time, sourceAddress: source, destinationAddress: destination,
                          ttl: ttl, version: version, type: type, vrid: vrid, priority: priority,
                          authType: authType, authenticationHeader: authenticationHeader, interval: interval,
                          checksum: checksum, checksumValid: checksumValid,
                          virtualAddresses: addresses(addressBytes, width: width), authData: authData)
    }

    private mutating func addresses(_ bytes: UnsafeRawBufferPointer, width: Int) -> [IPAddress] {
        guard !bytes.isEmpty else { return [] }
        var hash: UInt32 = 2_166_136_261
        for byte in bytes { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let slot = Int(hash % UInt32(addressCache.count))
        if let cached = addressCache[slot], cached.bytes.elementsEqual(bytes) { return cached.addresses }
        var list: [IPAddress] = []
        list.reserveCapacity(bytes.count / width)
        var offset = 0
        while offset + width <= bytes.count {
            list.append(IPAddress(bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + width)]))!)
            offset += width
        }
        addressCache[slot] = CachedAddresses(bytes: Array(bytes), addresses: list)
        return list
    }

    private mutating func secret(_ bytes: UnsafeRawBufferPointer) -> Secret? {
        let value = bytes.loadUnaligned(as: UInt64.self)
        guard value != 0 else { return nil }
        let slot = Int(truncatingIfNeeded: (value ^ value >> 29) % UInt64(secretCache.count))
        if let cached = secretCache[slot], cached.bytes == value { return cached.secret }
        // Zero padding is not part of the password, so wire and config fingerprints agree.
        var text = Array(bytes)
        while text.last == 0 { text.removeLast() }
        let secret = Secret(text)
        secretCache[slot] = CachedSecret(bytes: value, secret: secret)
        return secret
    }

    /// The 32-bit running sum of big-endian 16-bit words (an odd last byte padded with zero).
    static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var sum: UInt32 = 0
        var index = 0
        let count = bytes.count
        while index + 1 < count {
            sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < count { sum &+= UInt32(bytes[index]) << 8 }
        return sum
    }

    static func fold(_ sum: UInt32) -> UInt16 {
        var sum = sum
        while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
        return UInt16(sum)
    }

    /// The Internet checksum to put in a VRRP header (used by tests and the bench generator).
    public static func checksum(_ message: [UInt8], version: UInt8, source: IPAddress, destination: IPAddress) -> UInt16 {
        var total = message.withUnsafeBytes { sum($0) }
        if version == 3 {
            func bytes(_ address: IPAddress) -> [UInt8] {
                switch address {
                case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) }
                case .v6(let h, let l): return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * UInt64($0))) }
                    + (0..<8).map { UInt8(truncatingIfNeeded: l >> (56 - 8 * UInt64($0))) }
                }
            }
            total &+= bytes(source).withUnsafeBytes { sum($0) } &+ bytes(destination).withUnsafeBytes { sum($0) }
            total &+= UInt32(ipProtocolVRRP) &+ UInt32(message.count)
        }
        return ~fold(total)
    }
}
