import HAModel
import VRRP

/// Builds ARP and Neighbour Discovery frames byte by byte (RFC 826, RFC 4861), in every
/// framing the decoder reads, so tests state exactly what they feed in.
public struct LinkFrameBuilder {
    public enum Framing: CaseIterable, Sendable {
        case ethernet, cooked, cooked2
        /// The DLT libpcap writes for it.
        public var linkType: Int {
            switch self {
            case .ethernet: return 1
            case .cooked: return 113
            case .cooked2: return 276
            }
        }
    }

    public var framing: Framing = .ethernet
    /// 802.1Q tags, outermost first (802.1ad for the outer one of two).
    public var vlans: [UInt16] = []
    /// The frame's source MAC (the Ethernet source, or the cooked header's address).
    public var sourceMAC: MACAddress = MACAddress("bc:76:4e:05:6c:1c")!
    public var destinationMAC: MACAddress = MACAddress("ff:ff:ff:ff:ff:ff")!

    public init(framing: Framing = .ethernet, vlans: [UInt16] = [], sourceMAC: MACAddress = MACAddress("bc:76:4e:05:6c:1c")!) {
        self.framing = framing
        self.vlans = vlans
        self.sourceMAC = sourceMAC
    }

    public static func bytes(_ mac: MACAddress) -> [UInt8] {
        (0..<6).map { UInt8(truncatingIfNeeded: mac.value >> (40 - 8 * UInt64($0))) }
    }

    /// An ARP packet for IPv4 over Ethernet (operation 1 request, 2 reply).
    public static func arp(operation: UInt16, senderMAC: MACAddress, sender: IPAddress, targetMAC: MACAddress = MACAddress(value: 0),
                           target: IPAddress, hardware: UInt16 = 1, protocolType: UInt16 = 0x0800,
                           hardwareLength: UInt8 = 6, protocolLength: UInt8 = 4) -> [UInt8] {
        [UInt8(hardware >> 8), UInt8(hardware & 0xff), UInt8(protocolType >> 8), UInt8(protocolType & 0xff),
         hardwareLength, protocolLength, UInt8(operation >> 8), UInt8(operation & 0xff)]
            + bytes(senderMAC) + PacketBuilder.bytes(sender) + bytes(targetMAC) + PacketBuilder.bytes(target)
    }

    /// An ICMPv6 Neighbour Solicitation (135) or Advertisement (136) in its IPv6 packet, the
    /// checksum computed (or corrupted), with link-layer address options (1 source, 2 target).
    public static func ndp(type: UInt8, source: IPAddress, destination: IPAddress, target: IPAddress,
                           flags: UInt8 = 0, code: UInt8 = 0, hopLimit: UInt8 = 255,
                           options: [(type: UInt8, mac: MACAddress)] = [], rawOptions: [UInt8] = [],
                           corruptChecksum: Bool = false, extensions: [(type: UInt8, bytes: [UInt8])] = []) -> [UInt8] {
        var message: [UInt8] = [type, code, 0, 0, type == 136 ? flags : 0, 0, 0, 0] + PacketBuilder.bytes(target)
        for option in options { message += [option.type, 1] + bytes(option.mac) }
        message += rawOptions
        var sum: UInt32 = 0
        func add(_ bytes: [UInt8]) {
            var index = 0
            while index < bytes.count {
                sum &+= UInt32(bytes[index]) << 8 | (index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0)
                index += 2
            }
        }
        add(PacketBuilder.bytes(source))
        add(PacketBuilder.bytes(destination))
        sum &+= 58 &+ UInt32(message.count)
        add(message)
        while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
        var checksum = ~UInt16(sum)
        if corruptChecksum { checksum ^= 0x5a5a }
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xff)
        let chain = extensions.flatMap(\.bytes)
        let length = chain.count + message.count
        return [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xff), extensions.first?.type ?? 58, hopLimit]
            + PacketBuilder.bytes(source) + PacketBuilder.bytes(destination) + chain + message
    }

    /// `payload` (ARP, or an IPv6 packet) in this builder's framing.
    public func frame(_ payload: [UInt8], etherType: UInt16) -> [UInt8] {
        let inner = [UInt8(etherType >> 8), UInt8(etherType & 0xff)]
        var first = inner
        var rest: [UInt8] = []
        if !vlans.isEmpty {
            for (index, vlan) in vlans.enumerated() {
                rest += [UInt8(vlan >> 8), UInt8(vlan & 0xff)]
                rest += index + 1 < vlans.count ? [0x81, 0x00] : inner
            }
            first = vlans.count > 1 ? [0x88, 0xa8] : [0x81, 0x00]
        }
        let mac = Self.bytes(sourceMAC)
        switch framing {
        case .ethernet: return Self.bytes(destinationMAC) + mac + first + rest + payload
        case .cooked: return [0, 1, 0, 1, 0, 6] + mac + [0, 0] + first + rest + payload
        case .cooked2: return first + [0, 0, 0, 0, 0, 7, 0, 1, 1, 6] + mac + [0, 0] + rest + payload
        }
    }

    public func arpFrame(operation: UInt16, senderMAC: MACAddress? = nil, sender: IPAddress, targetMAC: MACAddress = MACAddress(value: 0),
                         target: IPAddress) -> [UInt8] {
        frame(Self.arp(operation: operation, senderMAC: senderMAC ?? sourceMAC, sender: sender, targetMAC: targetMAC, target: target),
              etherType: 0x0806)
    }

    /// A gratuitous ARP as keepalived sends it: a request whose sender and target are the address.
    public func announcement(_ address: IPAddress, mac: MACAddress? = nil) -> [UInt8] {
        arpFrame(operation: 1, senderMAC: mac, sender: address, target: address)
    }

    /// An unsolicited Neighbour Advertisement with override, to all nodes, as keepalived sends it for an IPv6 VIP.
    public func unsolicitedAdvertisement(_ address: IPAddress, mac: MACAddress? = nil) -> [UInt8] {
        frame(Self.ndp(type: 136, source: address, destination: IPAddress("ff02::1")!, target: address, flags: 0x20,
                       options: [(2, mac ?? sourceMAC)]), etherType: 0x86dd)
    }
}
