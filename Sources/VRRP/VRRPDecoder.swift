import HAModel

/// The link-layer framings tcpdump writes on Linux (and the BSD loopback ones), by the DLT
/// value libpcap reports.
public enum LinkType: Sendable, Equatable {
    case ethernet, linuxCooked, linuxCooked2, rawIP, ipv4, ipv6, null, loop
    /// A link type not decoded (a pcapng interface of another kind): its packets are counted, never read.
    case unsupported

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

/// The link a frame was captured on: its framing, and the interface's name when the capture
/// says (a live capture on one interface, a pcapng interface block); nil for a plain pcap.
public struct CaptureLink: Sendable, Equatable {
    public var linkType: LinkType
    public var name: String?
    public init(linkType: LinkType, name: String? = nil) {
        self.linkType = linkType
        self.name = name
    }
}

/// Why a VRRP packet could not be decoded: the packet number and one sentence.
public struct VRRPDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What a protocol-112 packet turned out to be.
public enum Protocol112Packet: Sendable, Equatable {
    case vrrp(VRRPAdvert)
    case carp(CARPAdvert)
}

/// The same when the VRRP advert was written into the caller's value (the rare CARP advert
/// boxed, so what comes back stays one word).
public enum Protocol112Kind: Sendable, Equatable {
    case vrrp
    indirect case carp(CARPAdvert)
}

/// Decodes frames into VRRP (and CARP) adverts. Pure and total: any byte string yields an
/// advert, nil (not protocol 112) or a `VRRPDecodeError`, never a trap. Packets an RFC
/// receiver would discard (bad checksums, TTL, type, version) still decode, so the census
/// can show them as evidence; `VRRPAdvert.discardReason` says why they elect nobody.
public struct VRRPDecoder: Sendable {
    public init() {}

    static let ipProtocolVRRP: UInt8 = 112
    static let ipProtocolAH: UInt8 = 51

    /// Decodes one captured frame as VRRP. `nil` means the frame is not VRRP (another
    /// protocol, or CARP); an error means it claims to be VRRP (or IP carrying it) but is malformed.
    public func decode(frame: UnsafeRawBufferPointer, linkType: LinkType, packet: Int,
                       time: PacketTime) throws(VRRPDecodeError) -> VRRPAdvert? {
        guard case .vrrp(let advert)? = try decodePacket(frame: frame, linkType: linkType, packet: packet, time: time) else { return nil }
        return advert
    }

    /// Decodes one captured frame: a VRRP advert, a CARP advert, or nil for anything else.
    public func decodePacket(frame: UnsafeRawBufferPointer, linkType: LinkType, packet: Int,
                             time: PacketTime) throws(VRRPDecodeError) -> Protocol112Packet? {
        var advert = VRRPAdvert(packet: packet, time: time, sourceAddress: .v4(0), destinationAddress: .v4(0), vrid: 0, priority: 0)
        switch try decode(frame: frame, linkType: linkType, packet: packet, time: time, into: &advert) {
        case .vrrp?: return .vrrp(advert)
        case .carp(let carp)?: return .carp(carp)
        case nil: return nil
        }
    }

    /// The same, a VRRP advert written into `advert`: a capture decodes every frame into one
    /// value whose address list is rewritten in place, so an advert costs no allocation and
    /// no copy of the whole value (vrrp --read budget). Every field but `interface` is
    /// written; the caller names the interface.
    public func decode(frame: UnsafeRawBufferPointer, linkType: LinkType, packet: Int, time: PacketTime,
                       into advert: inout VRRPAdvert) throws(VRRPDecodeError) -> Protocol112Kind? {
        var reader = ByteReader(frame)
        var envelope = Frame(packet: packet, time: time)
        let etherType: UInt16
        do {
            etherType = try Self.linkHeader(&reader, linkType: linkType, into: &envelope)
        } catch {
            return nil  // too short for its link header: not a VRRP packet
        }
        do {
            let found: Carrier?
            switch etherType {
            case 0x0800: found = try Self.ipv4(&reader)
            case 0x86dd: found = try Self.ipv6(&reader)
            default: return nil
            }
            guard let carrier = found else { return nil }
            if Self.isCARP(carrier.message), !carrier.authenticationHeader {
                return .carp(decodeCARP(carrier.message, carrier, envelope))
            }
            try decodeVRRP(carrier.message, carrier, envelope, into: &advert)
            return .vrrp
        } catch let truncated as ByteReader.Truncated {
            throw VRRPDecodeError("\(etherType == 0x0800 ? "IPv4" : "IPv6") VRRP packet truncated (\(truncated))")
        } catch let error as VRRPDecodeError {
            throw error
        } catch {
            throw VRRPDecodeError("\(error)")
        }
    }

    /// Reads the link-layer header and any 802.1Q/802.1ad tags after it; returns the
    /// ethertype of what follows (0 when it is not IP).
    static func linkHeader(_ reader: inout ByteReader, linkType: LinkType, into frame: inout Frame) throws(ByteReader.Truncated) -> UInt16 {
        var type: UInt16
        switch linkType {
        case .ethernet:
            // One bounds check for the whole header (vrrp --read budget).
            let header = try reader.take(14)
            frame.mac = MACAddress(loading: header, at: 6)
            type = header.be16(12)
        case .linuxCooked:
            try reader.skip(2)
            let hardware = try reader.u16be()
            let addressLength = Int(try reader.u16be())
            let address = try reader.take(8)
            if hardware == 1, addressLength == 6 { frame.mac = MACAddress(bytes: UnsafeRawBufferPointer(rebasing: address[0..<6])) }
            type = try reader.u16be()
        case .linuxCooked2:
            type = try reader.u16be()
            try reader.skip(2)
            frame.interfaceIndex = Int(try reader.u32be())
            let hardware = try reader.u16be()
            try reader.skip(1)
            let addressLength = Int(try reader.u8())
            let address = try reader.take(8)
            if hardware == 1, addressLength == 6 { frame.mac = MACAddress(bytes: UnsafeRawBufferPointer(rebasing: address[0..<6])) }
        case .rawIP:
            var peek = reader
            let version = try peek.u8() >> 4
            return version == 4 ? 0x0800 : version == 6 ? 0x86dd : 0
        case .ipv4:
            return 0x0800
        case .ipv6:
            return 0x86dd
        case .unsupported:
            return 0
        case .null, .loop:
            let raw = try reader.u32host()
            let family = linkType == .loop ? UInt32(bigEndian: raw) : (raw > 0xffff ? raw.byteSwapped : raw)
            return family == 2 ? 0x0800 : [10, 24, 28, 30].contains(family) ? 0x86dd : 0
        }
        // 802.1Q / 802.1ad (QinQ) tags: libpcap re-inserts them on live capture, in cooked
        // headers too, where the tag follows as an 802.1Q ethertype.
        while type == 0x8100 || type == 0x88a8 || type == 0x9100 {
            guard frame.tags.count < 4 else { return 0 }
            frame.tags.append(try reader.u16be() & 0x0fff)
            type = try reader.u16be()
        }
        return type
    }

    /// What the link layer and the capture say about a packet, carried down to the advert:
    /// plain values (the tags held inline), so a frame allocates and releases nothing (vrrp --read budget).
    struct Frame {
        var packet: Int
        var time: PacketTime
        var mac: MACAddress? = nil
        var interfaceIndex: Int? = nil
        var tags = VLANTags()
        var vlans: [UInt16] { tags.list }
    }

    /// Up to four 802.1Q/802.1ad VLAN IDs, outermost first, packed into one word.
    struct VLANTags {
        private(set) var count = 0
        private var packed: UInt64 = 0

        mutating func append(_ id: UInt16) {
            packed |= UInt64(id) << UInt64(16 * count)
            count += 1
        }

        subscript(index: Int) -> UInt16 { UInt16(truncatingIfNeeded: packed >> UInt64(16 * index)) }

        var list: [UInt16] { count == 0 ? [] : (0..<count).map { self[$0] } }

        @inline(__always)
        func matches(_ list: [UInt16]) -> Bool {
            guard list.count == count else { return false }
            for index in 0..<count where list[index] != self[index] { return false }
            return true
        }
    }

    /// The IP facts around a protocol-112 message, and the message.
    struct Carrier {
        var message: UnsafeRawBufferPointer
        var source: UnsafeRawBufferPointer
        var destination: UnsafeRawBufferPointer
        var sourceAddress: IPAddress
        var destinationAddress: IPAddress
        var ttl: UInt8
        var authenticationHeader: Bool
        var headerChecksumValid: Bool
    }

    /// Decodes an IP packet (IPv4 or IPv6, by its version nibble).
    public func decode(ipPacket: UnsafeRawBufferPointer, packet: Int = 1,
                       time: PacketTime = PacketTime(nanoseconds: 0)) throws(VRRPDecodeError) -> VRRPAdvert? {
        try decode(frame: ipPacket, linkType: .rawIP, packet: packet, time: time)
    }

    /// An IPv4 packet carrying protocol 112 (perhaps inside AH); nil for any other.
    /// Inlined into its one caller, the fields read straight from the checked header (vrrp --read budget).
    @inline(__always)
    private static func ipv4(_ reader: inout ByteReader) throws -> Carrier? {
        // The fixed header is bounds-checked once, then read field by field.
        var peek = reader
        let header = try peek.take(20)
        let versionAndLength = header[0]
        guard versionAndLength >> 4 == 4 else { return nil }
        let headerLength = Int(versionAndLength & 0xf) * 4
        let totalLength = Int(header.be16(2))
        var proto = header[9]
        guard proto == ipProtocolVRRP || proto == ipProtocolAH else { return nil }
        guard headerLength >= 20 else { throw VRRPDecodeError("IPv4 header length \(headerLength) is below 20") }
        guard totalLength >= headerLength else {
            throw VRRPDecodeError("IPv4 total length \(totalLength) is shorter than its header (\(headerLength))")
        }
        guard header.be16(6) & 0x3fff == 0 else { throw VRRPDecodeError("fragmented IPv4 packet (VRRP is never fragmented)") }
        guard totalLength <= reader.remaining else {
            throw VRRPDecodeError("IPv4 packet truncated: \(totalLength) bytes claimed, \(reader.remaining) captured")
        }
        let packet = UnsafeRawBufferPointer(start: header.baseAddress, count: totalLength)
        // Options (IHL > 5) are skipped as a block; only the total length bounds the payload.
        var message = UnsafeRawBufferPointer(rebasing: packet[headerLength...])
        var authenticationHeader = false
        if proto == ipProtocolAH {
            var payload = ByteReader(message)
            proto = try payload.u8()
            let ahLength = (Int(try payload.u8()) + 2) * 4
            guard proto == ipProtocolVRRP else { return nil }
            try payload.skip(ahLength - 2)
            authenticationHeader = true
            message = UnsafeRawBufferPointer(rebasing: message[payload.offset...])
        }
        return Carrier(message: message,
                       source: UnsafeRawBufferPointer(rebasing: header[12..<16]),
                       destination: UnsafeRawBufferPointer(rebasing: header[16..<20]),
                       sourceAddress: .v4(header.be32(12)), destinationAddress: .v4(header.be32(16)), ttl: header[8],
                       authenticationHeader: authenticationHeader,
                       headerChecksumValid: fold(sum(UnsafeRawBufferPointer(rebasing: packet[..<headerLength]))) == 0xffff)
    }

    /// The same for IPv6, through its extension headers.
    private static func ipv6(_ reader: inout ByteReader) throws -> Carrier? {
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
        while next != ipProtocolVRRP {
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
                    guard next == ipProtocolVRRP else { return nil }
                    throw VRRPDecodeError("fragmented IPv6 packet (VRRP is never fragmented)")
                }
            case ipProtocolAH:
                next = try payload.u8()
                try payload.skip((Int(try payload.u8()) + 2) * 4 - 2)
                authenticationHeader = true
            default:
                return nil
            }
        }
        return Carrier(message: UnsafeRawBufferPointer(rebasing: payload.bytes[payload.offset...]),
                       source: sourceBytes, destination: destinationBytes,
                       sourceAddress: IPAddress(bytes: sourceBytes)!, destinationAddress: IPAddress(bytes: destinationBytes)!,
                       ttl: hopLimit, authenticationHeader: authenticationHeader, headerChecksumValid: true)
    }

    /// CARP and VRRPv2 share protocol 112, version 2 and type 1. A CARP advert is exactly 36
    /// bytes with 7 in the byte where VRRP counts addresses (CARP's authlen: counter and HMAC
    /// in 32-bit words); a VRRPv2 advert with 7 addresses would be 44 bytes, so never both.
    /// (tshark's CARP heuristic checks version, type and authlen; the length check is ours.)
    static func isCARP(_ body: UnsafeRawBufferPointer) -> Bool {
        body.count == 36 && body[0] == 0x21 && body[3] == 7
    }

    private func decodeCARP(_ body: UnsafeRawBufferPointer, _ carrier: Carrier, _ frame: Frame) -> CARPAdvert {
        CARPAdvert(packet: frame.packet, time: frame.time, interface: nil, interfaceIndex: frame.interfaceIndex, vlans: frame.vlans,
                   sourceMAC: frame.mac, sourceAddress: carrier.sourceAddress,
                   destinationAddress: carrier.destinationAddress, ttl: carrier.ttl,
                   version: body[0] >> 4, type: body[0] & 0xf, vhid: body[1], advskew: body[2], authLength: body[3],
                   demotion: body[4], advbase: body[5], checksum: body.be16(6),
                   checksumValid: Self.fold(Self.sum(body)) == 0xffff,
                   counter: UInt64(body.be16(8)) << 48 | UInt64(body.be16(10)) << 32 | UInt64(body.be16(12)) << 16 | UInt64(body.be16(14)))
    }

    /// The VRRP message itself (RFC 3768 section 5.1, RFC 5798 section 5.1). Asked to be
    /// inlined into its one caller (vrrp --read budget); the compiler declines once that caller is large.
    @inline(__always)
    private func decodeVRRP(_ body: UnsafeRawBufferPointer, _ carrier: Carrier, _ frame: Frame,
                            into advert: inout VRRPAdvert) throws {
        let source = carrier.sourceAddress
        var reader = ByteReader(body)
        let header = try reader.take(8)
        let version = header[0] >> 4
        // Every field is written: nothing of the previous advert survives.
        // The interface is the caller's to name (it knows the capture's links); left as it
        // was, the same name is not released and retained again per advert (vrrp --read budget).
        advert.packet = frame.packet
        advert.time = frame.time
        advert.interfaceIndex = frame.interfaceIndex
        // Assigned only when the tags differ: sharing the same (mostly empty) list costs a
        // retain and a release per advert (vrrp --read budget).
        if !frame.tags.matches(advert.vlans) { advert.vlans = frame.tags.list }
        advert.sourceMAC = frame.mac
        advert.sourceAddress = source
        advert.destinationAddress = carrier.destinationAddress
        advert.ttl = carrier.ttl
        advert.version = version
        advert.type = header[0] & 0xf
        advert.vrid = header[1]
        advert.priority = header[2]
        advert.authType = nil
        advert.authenticationHeader = carrier.authenticationHeader
        advert.interval = 0
        advert.checksum = header.be16(6)
        advert.checksumValid = false
        advert.checksumWithoutPseudoHeader = false
        advert.ipHeaderChecksumValid = carrier.headerChecksumValid
        advert.authData = nil
        switch version {
        case 2:
            advert.authType = header[4]
            advert.interval = Int(header[5]) * 100
        case 3:
            advert.interval = Int(header.be16(4) & 0x0fff)
        default:
            // Not VRRP as any RFC defines it: kept (fields past the VRID and priority
            // unknown) so the census can show it as discarded, never as a vote.
            advert.virtualAddresses.removeAll()
            return
        }
        let width = source.family == .inet ? 4 : 16
        if version == 2, source.family == .inet6 {
            throw VRRPDecodeError("VRRPv2 over IPv6 (RFC 3768 is IPv4 only)")
        }
        let addressBytes = try reader.take(Int(header[3]) * width)
        if version == 2 {
            // RFC 3768 requires the 8 authentication bytes; RFC 2338 receivers read them too.
            advert.authData = VRRPAuthData(try reader.take(8))
        }
        // v2 sums the VRRP message only; v3 adds the IPv4 or IPv6 pseudo-header.
        let messageSum = Self.sum(body)
        if version == 3 {
            var pseudoHeaderSum = Self.sum(carrier.source) &+ Self.sum(carrier.destination)
            pseudoHeaderSum &+= UInt32(Self.ipProtocolVRRP) &+ UInt32(body.count)
            advert.checksumValid = Self.fold(messageSum &+ pseudoHeaderSum) == 0xffff
            advert.checksumWithoutPseudoHeader = !advert.checksumValid && source.family == .inet && Self.fold(messageSum) == 0xffff
        } else {
            advert.checksumValid = Self.fold(messageSum) == 0xffff
        }
        Self.write(addressBytes, width: width, into: &advert.virtualAddresses)
    }

    /// Rewrites `list` in place with the addresses `bytes` holds, each `width` bytes: emptying
    /// and refilling the list, or a uniqueness check per element, cost more than decoding the
    /// rest of the advert (vrrp --read budget).
    @inline(__always)
    private static func write(_ bytes: UnsafeRawBufferPointer, width: Int, into list: inout [IPAddress]) {
        let count = bytes.count / width
        // One element at a time: a router lists a handful, and the generic range operations cost more.
        while list.count > count { list.removeLast() }
        while list.count < count { list.append(.v4(0)) }
        guard count > 0 else { return }
        list.withUnsafeMutableBufferPointer { list in
            for index in 0..<count {
                list[index] = width == 4 ? .v4(bytes.be32(4 * index))
                    : .v6(UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16 * index, as: UInt64.self)),
                          UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16 * index + 8, as: UInt64.self)))
            }
        }
    }

    /// The 32-bit running sum of big-endian 16-bit words (an odd last byte padded with zero).
    /// Inlined: an advert sums three or four short blocks, and the call was a third of each
    /// sum (vrrp --read budget).
    @inline(__always)
    static func sum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var sum: UInt64 = 0
        var index = 0
        let count = bytes.count
        // Eight bytes at a time, their two big-endian 32-bit halves added: the ones' complement
        // sum does not care how words are grouped, and a UInt64 cannot overflow on any IP
        // packet (vrrp --read budget: the sums were a fifth of decoding an advert).
        while index + 8 <= count {
            let word = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            sum &+= (word >> 32) &+ (word & 0xffff_ffff)
            index += 8
        }
        if index + 4 <= count {
            sum &+= UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)))
            index += 4
        }
        while index + 1 < count {
            sum &+= UInt64(bytes[index]) << 8 | UInt64(bytes[index + 1])
            index += 2
        }
        if index < count { sum &+= UInt64(bytes[index]) << 8 }
        sum = (sum & 0xffff_ffff) &+ (sum >> 32)
        sum = (sum & 0xffff) &+ (sum >> 16)
        return UInt32(truncatingIfNeeded: sum)
    }

    static func fold(_ sum: UInt32) -> UInt16 {
        var sum = sum
        while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
        return UInt16(sum)
    }

    /// The Internet checksum to put in a VRRP header (used by tests and the bench generator).
    public static func checksum(_ message: [UInt8], version: UInt8, source: IPAddress, destination: IPAddress,
                                pseudoHeader: Bool = true) -> UInt16 {
        var total = message.withUnsafeBytes { sum($0) }
        if version == 3, pseudoHeader {
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

extension UnsafeRawBufferPointer {
    /// A big-endian 16-bit field of a block whose length the caller has already checked.
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    /// The same for a 32-bit field.
    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
