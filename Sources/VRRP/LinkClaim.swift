import HAModel

/// One ARP or Neighbour Discovery packet that says something about an IP address: who asks
/// for it, who answers for it, who announces it. Clients follow these, not VRRP adverts.
public struct LinkClaim: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// ARP request: "who has `address`?", asked by the sender.
        case arpRequest = "arp_request"
        /// ARP reply: "`address` is at `mac`".
        case arpReply = "arp_reply"
        /// Gratuitous ARP (request or reply whose sender IP is its target IP): a host announcing
        /// its own address, as keepalived does after becoming master.
        case arpAnnouncement = "arp_announcement"
        /// ARP probe (sender IP 0.0.0.0, RFC 5227): "does anyone hold `address`?" (`arping -D`).
        case arpProbe = "arp_probe"
        /// Neighbour Solicitation (ICMPv6 135) for `address` from an address the sender holds.
        case neighbourSolicitation = "neighbour_solicitation"
        /// Duplicate Address Detection: a Neighbour Solicitation from :: (RFC 4862 5.4).
        case dadSolicitation = "dad_solicitation"
        /// Neighbour Advertisement (ICMPv6 136): solicited (an answer) or not (an announcement).
        case neighbourAdvertisement = "neighbour_advertisement"
    }

    /// The Neighbour Advertisement flags (RFC 4861 4.4).
    public struct AdvertisementFlags: Sendable, Equatable, Hashable {
        public var router: Bool
        public var solicited: Bool
        public var override: Bool
        public init(router: Bool = false, solicited: Bool = false, override: Bool = false) {
            self.router = router
            self.solicited = solicited
            self.override = override
        }
    }

    public var kind: Kind
    /// The address the packet is about: the ARP target (a request or probe), the ARP sender
    /// (a reply or announcement), the NDP target.
    public var address: IPAddress
    /// The link-layer address the packet claims for `address`: the ARP sender hardware address
    /// of a reply or announcement; a Neighbour Advertisement's target link-layer option, else
    /// the frame's source. Nil for questions (requests, probes, solicitations).
    public var mac: MACAddress?
    /// The frame's link-layer source (Ethernet source, or the cooked header's address).
    public var sourceMAC: MACAddress?
    /// ARP sender protocol address, or the IPv6 source (:: for DAD).
    public var senderAddress: IPAddress
    /// ARP sender hardware address, or the NDP source link-layer address option.
    public var senderMAC: MACAddress?
    /// ARP target hardware address (zero in requests); nil for NDP.
    public var targetMAC: MACAddress?
    /// The IPv6 destination (nil for ARP).
    public var destinationAddress: IPAddress?
    /// Neighbour Advertisement flags; nil for every other kind.
    public var flags: AdvertisementFlags?
    /// The ARP operation code (1 request, 2 reply), or the ICMPv6 type (135, 136).
    public var operation: UInt16
    /// The IPv6 hop limit (nil for ARP); RFC 4861 7.1 requires 255.
    public var hopLimit: UInt8?
    /// The ICMPv6 checksum (nil for ARP, which has none).
    public var checksumValid: Bool?
    /// Why an RFC 4861 receiver discards this message (nil when it is valid, and always for ARP).
    public var discardReason: LinkClaimDiscard?
    /// 802.1Q/802.1ad VLAN IDs, outermost first.
    public var vlans: [UInt16]
    /// The ifindex a Linux cooked v2 header carries.
    public var interfaceIndex: Int?
    /// The capture interface's name when known (set by the caller, as for adverts).
    public var interface: String?
    /// 1-based packet number in the capture.
    public var packet: Int
    public var time: PacketTime

    public var family: AddressFamily { address.family }

    /// True for a packet that says "`address` is at `mac`" on its own initiative or as an
    /// answer (what moves a client's ARP/neighbour cache entry): replies, announcements,
    /// advertisements; never questions, nor messages a receiver discards.
    public var isClaim: Bool {
        guard mac != nil, discardReason == nil else { return false }
        switch kind {
        case .arpReply, .arpAnnouncement, .neighbourAdvertisement: return true
        case .arpRequest, .arpProbe, .neighbourSolicitation, .dadSolicitation: return false
        }
    }

    /// True for an announcement nobody asked for: a gratuitous ARP, or an unsolicited
    /// Neighbour Advertisement (with override, so caches update: RFC 4861 7.2.6).
    public var isAnnouncement: Bool {
        guard isClaim else { return false }
        switch kind {
        case .arpAnnouncement: return true
        case .neighbourAdvertisement: return flags?.solicited == false && flags?.override == true
        default: return false
        }
    }

    public var source: Source { Source(kind: .packet, detail: "#\(packet)") }

    public init(kind: Kind, address: IPAddress, mac: MACAddress? = nil, sourceMAC: MACAddress? = nil,
                senderAddress: IPAddress, senderMAC: MACAddress? = nil, targetMAC: MACAddress? = nil,
                destinationAddress: IPAddress? = nil, flags: AdvertisementFlags? = nil, operation: UInt16 = 0,
                hopLimit: UInt8? = nil, checksumValid: Bool? = nil, discardReason: LinkClaimDiscard? = nil, vlans: [UInt16] = [],
                interfaceIndex: Int? = nil, interface: String? = nil, packet: Int, time: PacketTime) {
        self.kind = kind
        self.address = address
        self.mac = mac
        self.sourceMAC = sourceMAC
        self.senderAddress = senderAddress
        self.senderMAC = senderMAC
        self.targetMAC = targetMAC
        self.destinationAddress = destinationAddress
        self.flags = flags
        self.operation = operation
        self.hopLimit = hopLimit
        self.checksumValid = checksumValid
        self.discardReason = discardReason
        self.vlans = vlans
        self.interfaceIndex = interfaceIndex
        self.interface = interface
        self.packet = packet
        self.time = time
    }
}

/// Why an RFC 4861 7.1 receiver silently discards a Neighbour Discovery message. The packet
/// is still decoded, so the census can show it as evidence that moved nobody's cache.
public enum LinkClaimDiscard: String, Sendable, Codable, CaseIterable {
    case hopLimit = "bad_hop_limit"
    case checksum = "bad_checksum"
    case code = "bad_code"
    /// An option with length 0.
    case option = "bad_option"
    /// A solicited advertisement sent to a multicast address.
    case solicitedToMulticast = "solicited_to_multicast"
    /// A DAD solicitation (source ::) carrying a source link-layer address option, or not sent to a solicited-node address.
    case badDAD = "bad_dad"
    /// A Neighbour Solicitation or Advertisement whose target is a multicast address.
    case multicastTarget = "multicast_target"
}

/// Decodes ARP (ethertype 0x0806) and IPv6 Neighbour Discovery (ICMPv6 135/136) frames.
/// Pure and total, like `VRRPDecoder`: any byte string yields a claim, nil (not ARP/NDP) or a
/// `VRRPDecodeError` (ARP or NDP, but truncated or malformed), never a trap.
public enum LinkClaimDecoder {
    static let etherTypeARP: UInt16 = 0x0806
    static let etherTypeIPv6: UInt16 = 0x86dd
    static let nextHeaderICMPv6: UInt8 = 58

    public static func decode(frame: UnsafeRawBufferPointer, linkType: LinkType, packet: Int,
                              time: PacketTime) throws(VRRPDecodeError) -> LinkClaim? {
        var reader = ByteReader(frame)
        var envelope = VRRPDecoder.Frame(packet: packet, time: time)
        let etherType: UInt16
        do {
            etherType = try VRRPDecoder.linkHeader(&reader, linkType: linkType, into: &envelope)
        } catch {
            return nil  // too short for its link header: not ARP or NDP
        }
        do {
            switch etherType {
            case etherTypeARP: return try decodeARP(&reader, envelope)
            case etherTypeIPv6: return try decodeIPv6(&reader, envelope)
            default: return nil
            }
        } catch let truncated as ByteReader.Truncated {
            throw VRRPDecodeError("\(etherType == etherTypeARP ? "ARP" : "Neighbour Discovery") packet truncated (\(truncated))")
        } catch let error as VRRPDecodeError {
            throw error
        } catch {
            throw VRRPDecodeError("\(error)")
        }
    }

    /// RFC 826, for IPv4 over Ethernet only (the only ARP that says anything about an IP address here).
    private static func decodeARP(_ reader: inout ByteReader, _ frame: VRRPDecoder.Frame) throws -> LinkClaim? {
        let hardware = try reader.u16be()
        let protocolType = try reader.u16be()
        let hardwareLength = try reader.u8()
        let protocolLength = try reader.u8()
        let operation = try reader.u16be()
        guard hardware == 1, protocolType == 0x0800 else { return nil }
        guard hardwareLength == 6, protocolLength == 4 else {
            throw VRRPDecodeError("ARP for IPv4 over Ethernet with address lengths \(hardwareLength)/\(protocolLength) (6/4 expected)")
        }
        guard operation == 1 || operation == 2 else { return nil }  // RARP, InARP: about no IP claim
        let senderMAC = MACAddress(bytes: try reader.take(6))!
        let sender = IPAddress(bytes: try reader.take(4))!
        let targetMAC = MACAddress(bytes: try reader.take(6))!
        let target = IPAddress(bytes: try reader.take(4))!
        let kind: LinkClaim.Kind
        if sender == target {
            kind = .arpAnnouncement
        } else if operation == 2 {
            kind = .arpReply
        } else if sender == .v4(0) {
            kind = .arpProbe
        } else {
            kind = .arpRequest
        }
        let claims = kind == .arpReply || kind == .arpAnnouncement
        return LinkClaim(kind: kind, address: claims ? sender : target, mac: claims ? senderMAC : nil,
                         sourceMAC: frame.mac, senderAddress: sender, senderMAC: senderMAC, targetMAC: targetMAC,
                         operation: operation, vlans: frame.vlans, interfaceIndex: frame.interfaceIndex,
                         packet: frame.packet, time: frame.time)
    }

    /// RFC 4861 4.3/4.4, validated as 7.1.1/7.1.2 say (failures marked, not thrown).
    private static func decodeIPv6(_ reader: inout ByteReader, _ frame: VRRPDecoder.Frame) throws -> LinkClaim? {
        guard try reader.u8() >> 4 == 6 else { return nil }
        try reader.skip(3)
        let payloadLength = Int(try reader.u16be())
        let next = try reader.u8()
        let hopLimit = try reader.u8()
        let sourceBytes = try reader.take(16)
        let destinationBytes = try reader.take(16)
        // Only ICMPv6 135/136 are ours: a packet whose headers end before its ICMPv6 type
        // shows is not known to be ND, so it is not called a malformed one.
        guard let offset = icmpv6Offset(UnsafeRawBufferPointer(rebasing: reader.bytes[reader.offset...]), next: next).map({ reader.offset + $0 }),
              offset < reader.bytes.count, reader.bytes[offset] == 135 || reader.bytes[offset] == 136 else { return nil }
        let type = reader.bytes[offset]
        let end = reader.offset + payloadLength
        guard payloadLength <= reader.remaining else {
            throw VRRPDecodeError("IPv6 packet truncated: \(payloadLength) payload bytes claimed, \(reader.remaining) captured")
        }
        guard offset <= end else {
            throw VRRPDecodeError("IPv6 extension headers run past the payload length \(payloadLength)")
        }
        let message = UnsafeRawBufferPointer(rebasing: reader.bytes[offset..<end])
        guard message.count >= 24 else {
            throw VRRPDecodeError("ICMPv6 \(type == 135 ? "Neighbour Solicitation" : "Neighbour Advertisement") is \(message.count) bytes (24 at least)")
        }
        let source = IPAddress(bytes: sourceBytes)!
        let destination = IPAddress(bytes: destinationBytes)!
        let code = message[1]
        let target = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: message[8..<24]))!
        var discard: LinkClaimDiscard?
        // The checksum covers the pseudo-header with the upper-layer length (RFC 8200 8.1).
        var sum = VRRPDecoder.sum(sourceBytes) &+ VRRPDecoder.sum(destinationBytes)
        sum &+= UInt32(nextHeaderICMPv6) &+ UInt32(message.count) &+ VRRPDecoder.sum(message)
        let checksumValid = VRRPDecoder.fold(sum) == 0xffff
        if hopLimit != 255 { discard = .hopLimit }
        else if !checksumValid { discard = .checksum }
        else if code != 0 { discard = .code }
        else if target.isMulticast { discard = .multicastTarget }

        // Options: type, length in units of 8 bytes. A zero length makes the whole message invalid.
        var options = ByteReader(UnsafeRawBufferPointer(rebasing: message[24...]))
        var sourceLink: MACAddress?
        var targetLink: MACAddress?
        while options.remaining > 0 {
            let optionType = try options.u8()
            let length = Int(try options.u8()) * 8
            guard length > 0 else {
                if discard == nil { discard = .option }
                break
            }
            let body = try options.take(length - 2)
            // Ethernet link-layer addresses: the first 6 bytes of the option body.
            if body.count >= 6, optionType == 1 || optionType == 2 {
                let mac = MACAddress(bytes: UnsafeRawBufferPointer(rebasing: body[0..<6]))
                if optionType == 1, sourceLink == nil { sourceLink = mac }
                if optionType == 2, targetLink == nil { targetLink = mac }
            }
        }

        if type == 135 {
            let dad = source == .v6(0, 0)
            if discard == nil, dad, sourceLink != nil || !destination.isSolicitedNode { discard = .badDAD }
            return LinkClaim(kind: dad ? .dadSolicitation : .neighbourSolicitation, address: target, sourceMAC: frame.mac,
                             senderAddress: source, senderMAC: sourceLink, destinationAddress: destination,
                             operation: 135, hopLimit: hopLimit, checksumValid: checksumValid, discardReason: discard, vlans: frame.vlans,
                             interfaceIndex: frame.interfaceIndex, packet: frame.packet, time: frame.time)
        }
        let flagByte = message[4]
        let flags = LinkClaim.AdvertisementFlags(router: flagByte & 0x80 != 0, solicited: flagByte & 0x40 != 0,
                                                 override: flagByte & 0x20 != 0)
        if discard == nil, flags.solicited, destination.isMulticast { discard = .solicitedToMulticast }
        return LinkClaim(kind: .neighbourAdvertisement, address: target, mac: targetLink ?? frame.mac, sourceMAC: frame.mac,
                         senderAddress: source, senderMAC: sourceLink, destinationAddress: destination, flags: flags,
                         operation: 136, hopLimit: hopLimit, checksumValid: checksumValid, discardReason: discard, vlans: frame.vlans,
                         interfaceIndex: frame.interfaceIndex, packet: frame.packet, time: frame.time)
    }

    /// Where the ICMPv6 header starts after the extension headers a Neighbour Discovery
    /// message may follow: hop-by-hop and destination options (whose options must fit, RFC
    /// 8200 4.2, or the stack drops the packet), routing, AH (RFC 4861 allows IPsec). Nil for
    /// anything else: another protocol, a fragment (ND is never reassembled, RFC 6980),
    /// headers cut short or malformed.
    private static func icmpv6Offset(_ bytes: UnsafeRawBufferPointer, next first: UInt8) -> Int? {
        var next = first
        var ext = ByteReader(bytes)
        do {
            for _ in 0..<8 {
                switch next {
                case nextHeaderICMPv6:
                    return ext.offset
                case 0, 60:
                    next = try ext.u8()
                    var options = ByteReader(try ext.take((Int(try ext.u8()) + 1) * 8 - 2))
                    while options.remaining > 0 {
                        guard try options.u8() != 0 else { continue }  // Pad1
                        try options.skip(Int(try options.u8()))
                    }
                case 43:
                    next = try ext.u8()
                    try ext.skip((Int(try ext.u8()) + 1) * 8 - 2)
                case 51:
                    next = try ext.u8()
                    try ext.skip((Int(try ext.u8()) + 2) * 4 - 2)
                default:
                    return nil
                }
            }
        } catch {
            return nil
        }
        return nil
    }
}

extension IPAddress {
    /// IPv4 224/4 or IPv6 ff00::/8.
    var isMulticast: Bool {
        switch self {
        case .v4(let v): return v >> 28 == 0xe
        case .v6(let high, _): return high >> 56 == 0xff
        }
    }

    /// An IPv6 solicited-node multicast address, ff02::1:ffXX:XXXX (RFC 4291 2.7.1).
    var isSolicitedNode: Bool {
        guard case .v6(let high, let low) = self else { return false }
        return high == 0xff02_0000_0000_0000 && low >> 24 == 0x0000_0001_ff
    }
}
