import HAModel

/// One VRRP advertisement as it crossed the wire, with the IP and link-layer facts around it
/// (who sent it, with which TTL, when, and which packet of the capture it was).
public struct VRRPAdvert: Sendable, Equatable {
    /// 1-based number of the packet in the capture or file, as tcpdump and tshark count.
    public var packet: Int
    public var time: PacketTime
    /// The capture interface's name when known (live capture, or mapped from an ifindex).
    public var interface: String?
    /// The ifindex a Linux cooked v2 header carries.
    public var interfaceIndex: Int?
    /// 802.1Q/802.1ad VLAN IDs, outermost first (empty when untagged).
    public var vlans: [UInt16]
    public var sourceMAC: MACAddress?
    public var sourceAddress: IPAddress
    public var destinationAddress: IPAddress
    /// IPv4 TTL or IPv6 hop limit; RFC 3768/5798 require 255.
    public var ttl: UInt8
    public var version: UInt8
    public var type: UInt8
    public var vrid: UInt8
    public var priority: UInt8
    /// VRRPv2 only: 0 none, 1 simple text password, 2 IP authentication header.
    public var authType: UInt8?
    /// True when the advert came inside an IPsec AH header (keepalived's `auth_type AH`).
    public var authenticationHeader: Bool
    /// The advert interval in centiseconds (VRRPv2 carries seconds, VRRPv3 centiseconds).
    public var interval: Int
    public var checksum: UInt16
    /// The VRRP checksum as RFC 3768 (v2: the message) or RFC 5798 (v3: with the pseudo-header) defines it.
    public var checksumValid: Bool
    /// VRRPv3 over IPv4 whose checksum matches only when the pseudo-header is left out (as
    /// some vendors and FRR's `no vrrp N checksum-with-ipv4-pseudoheader` compute it).
    public var checksumWithoutPseudoHeader: Bool
    /// The IPv4 header checksum (always true for IPv6, which has none).
    public var ipHeaderChecksumValid: Bool
    public var virtualAddresses: [IPAddress]
    /// VRRPv2 authentication data; printed only as a fingerprint.
    public var authData: VRRPAuthData?

    public var family: AddressFamily { sourceAddress.family }

    /// Why an RFC 3768/5798 receiver drops this packet before it can elect anyone, or nil
    /// when it is a valid advertisement.
    @inlinable @inline(__always)  // read by the census per advert (vrrp --read budget)
    public var discardReason: VRRPDiscard? {
        if !ipHeaderChecksumValid { return .ipHeaderChecksum }
        if ttl != 255 { return .ttl }
        if version != 2 && version != 3 { return .version }
        if type != 1 { return .type }
        if !checksumValid { return checksumWithoutPseudoHeader ? .checksumWithoutPseudoHeader : .checksum }
        return nil
    }

    public var source: Source { Source(kind: .packet, detail: "#\(packet)") }

    public init(packet: Int, time: PacketTime, interface: String? = nil, interfaceIndex: Int? = nil, vlans: [UInt16] = [],
                sourceMAC: MACAddress? = nil, sourceAddress: IPAddress, destinationAddress: IPAddress,
                ttl: UInt8 = 255, version: UInt8 = 2, type: UInt8 = 1, vrid: UInt8, priority: UInt8,
                authType: UInt8? = 0, authenticationHeader: Bool = false, interval: Int = 100,
                checksum: UInt16 = 0, checksumValid: Bool = true, checksumWithoutPseudoHeader: Bool = false,
                ipHeaderChecksumValid: Bool = true, virtualAddresses: [IPAddress] = [],
                authData: VRRPAuthData? = nil) {
        self.packet = packet
        self.time = time
        self.interface = interface
        self.interfaceIndex = interfaceIndex
        self.vlans = vlans
        self.sourceMAC = sourceMAC
        self.sourceAddress = sourceAddress
        self.destinationAddress = destinationAddress
        self.ttl = ttl
        self.version = version
        self.type = type
        self.vrid = vrid
        self.priority = priority
        self.authType = authType
        self.authenticationHeader = authenticationHeader
        self.interval = interval
        self.checksum = checksum
        self.checksumValid = checksumValid
        self.checksumWithoutPseudoHeader = checksumWithoutPseudoHeader
        self.ipHeaderChecksumValid = ipHeaderChecksumValid
        self.virtualAddresses = virtualAddresses
        self.authData = authData
    }
}

/// The 8 authentication bytes of a VRRPv2 advert (a PASS password, zero-padded). Like every
/// secret it is shown only as its fingerprint, which is worked out when asked for, not per
/// advert: a SHA-256 per advert would cost more than reading the advert (vrrp --read budget).
public struct VRRPAuthData: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The bytes as they lie in the packet.
    private let bytes: UInt64

    /// Nil for 8 zero bytes: no password.
    public init?(_ data: UnsafeRawBufferPointer) {
        guard data.count == 8 else { return nil }
        bytes = data.loadUnaligned(as: UInt64.self)
        guard bytes != 0 else { return nil }
    }

    /// A password as keepalived puts it in an advert: its first 8 bytes, zero-padded.
    public init?(password: String) {
        var data = Array(password.utf8.prefix(8))
        data += [UInt8](repeating: 0, count: 8 - data.count)
        guard let value = data.withUnsafeBytes({ VRRPAuthData($0) }) else { return nil }
        self = value
    }

    /// The fingerprint of the password: zero padding is not part of it, so wire and config agree.
    public var secret: Secret {
        var text = withUnsafeBytes(of: bytes) { Array($0) }
        while text.last == 0 { text.removeLast() }
        return Secret(text)
    }

    public var fingerprint: String { secret.fingerprint }
    public var description: String { fingerprint }
    public var debugDescription: String { fingerprint }
    /// Reflection (`dump`, test failures) sees the fingerprint, never the bytes.
    public var customMirror: Mirror { Mirror(self, children: ["fingerprint": fingerprint]) }
}

/// A capture timestamp in nanoseconds since the Unix epoch (libpcap's nanosecond precision).
public struct PacketTime: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        self.nanoseconds = seconds &* 1_000_000_000 &+ nanoseconds
    }

    // Inlinable, as `==` and `adding`: the census compares and advances times per advert (vrrp --read budget).
    @inlinable
    public static func < (a: PacketTime, b: PacketTime) -> Bool { a.nanoseconds < b.nanoseconds }

    @inlinable
    public static func == (a: PacketTime, b: PacketTime) -> Bool { a.nanoseconds == b.nanoseconds }

    @inlinable
    public func adding(centiseconds: Int) -> PacketTime {
        PacketTime(nanoseconds: nanoseconds &+ Int64(centiseconds) &* 10_000_000)
    }

    /// Seconds from `self` to `later`.
    public func seconds(until later: PacketTime) -> Double {
        Double(later.nanoseconds &- nanoseconds) / 1e9
    }

    /// RFC 3339 in UTC with nanoseconds, e.g. 2026-11-25T03:57:12.123456789Z.
    public var description: String {
        let seconds = nanoseconds >= 0 ? nanoseconds / 1_000_000_000 : (nanoseconds &- 999_999_999) / 1_000_000_000
        return UTCTime.format(seconds: seconds, nanoseconds: nanoseconds &- seconds &* 1_000_000_000)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = PacketTime(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a time like 2026-11-25T03:57:12.123456789Z")
        }
        self = time
    }

    /// Reads what `description` writes (UTC, "Z", up to nine fraction digits).
    public init?(rfc3339 text: String) {
        guard let time = UTCTime.parse(text) else { return nil }
        self.init(seconds: time.seconds, nanoseconds: time.nanoseconds)
    }
}

/// An Ethernet address, printed as `ip` prints it (lower-case, colon-separated).
public struct MACAddress: Hashable, Sendable, Codable, CustomStringConvertible {
    public var value: UInt64

    @inlinable  // the census tells senders apart by address and MAC per advert (vrrp --read budget)
    public static func == (a: MACAddress, b: MACAddress) -> Bool { a.value == b.value }

    public init(value: UInt64) { self.value = value & 0xffff_ffff_ffff }

    public init?(bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 6 else { return nil }
        self.init(loading: bytes, at: 0)
    }

    /// The six bytes at `offset` of a block whose length the caller has checked.
    @inline(__always)
    init(loading bytes: UnsafeRawBufferPointer, at offset: Int) {
        let high = UInt64(UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        let low = UInt64(UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt32.self)))
        self.value = high << 32 | low
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var value: UInt64 = 0
        for part in parts {
            guard part.utf8.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            value = value << 8 | UInt64(byte)
        }
        self.value = value
    }

    /// Written into one buffer: a list of Characters per call cost 7,000 instructions, and a
    /// census prints one per event and sender (vrrp --read budget).
    public var description: String {
        String(unsafeUninitializedCapacity: 17) { text in
            for index in 0..<6 {
                let byte = UInt8(truncatingIfNeeded: value >> UInt64(40 - 8 * index))
                if index > 0 { text[3 * index - 1] = UInt8(ascii: ":") }
                text[3 * index] = Self.hexDigit(byte >> 4)
                text[3 * index + 1] = Self.hexDigit(byte & 0xf)
            }
            return 17
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = MACAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a MAC address: \(text)"))
        }
        self = value
    }
}

/// The VRRPv2 authentication types of RFC 3768 (RFC 2338 defined 1 and 2).
public enum VRRPAuthType {
    public static func name(_ type: UInt8) -> String {
        switch type {
        case 0: return "none"
        case 1: return "simple"
        case 2: return "ah"
        default: return "unknown(\(type))"
        }
    }
}

/// The RFC receivers' reasons to discard a VRRP packet (RFC 3768 7.1, RFC 5798 7.1), and the
/// IPv4 header checksum every IP stack checks before that.
public enum VRRPDiscard: String, Sendable, Codable, CaseIterable {
    case ipHeaderChecksum = "bad_ip_checksum"
    case ttl = "bad_ttl"
    case version = "bad_version"
    case type = "not_advert"
    case checksum = "bad_checksum"
    case checksumWithoutPseudoHeader = "checksum_without_pseudo_header"
}
