import HAModel

/// One CARP advertisement (OpenBSD's Common Address Redundancy Protocol, ucarp): it shares
/// IP protocol 112 and 224.0.0.18 with VRRP but is another protocol. Its 36 bytes carry a
/// virtual host ID, the advertisement base and skew (interval = advbase + advskew/256 s), a
/// demotion counter, a replay counter and a SHA-1 HMAC of the shared password.
public struct CARPAdvert: Sendable, Equatable {
    public var packet: Int
    public var time: PacketTime
    public var interface: String?
    public var interfaceIndex: Int?
    public var vlans: [UInt16]
    public var sourceMAC: MACAddress?
    public var sourceAddress: IPAddress
    public var destinationAddress: IPAddress
    public var ttl: UInt8
    public var version: UInt8
    public var type: UInt8
    public var vhid: UInt8
    /// Lower skew advertises sooner and so wins: CARP's counterpart of VRRP's priority.
    public var advskew: UInt8
    public var authLength: UInt8
    public var demotion: UInt8
    /// Whole seconds between adverts (before the skew).
    public var advbase: UInt8
    public var checksum: UInt16
    public var checksumValid: Bool
    /// The replay counter (the HMAC after it is never kept: it is derived from the password).
    public var counter: UInt64

    public var family: AddressFamily { sourceAddress.family }

    public init(packet: Int, time: PacketTime, interface: String?, interfaceIndex: Int?, vlans: [UInt16], sourceMAC: MACAddress?,
                sourceAddress: IPAddress, destinationAddress: IPAddress, ttl: UInt8, version: UInt8, type: UInt8, vhid: UInt8,
                advskew: UInt8, authLength: UInt8, demotion: UInt8, advbase: UInt8, checksum: UInt16, checksumValid: Bool,
                counter: UInt64) {
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
        self.vhid = vhid
        self.advskew = advskew
        self.authLength = authLength
        self.demotion = demotion
        self.advbase = advbase
        self.checksum = checksum
        self.checksumValid = checksumValid
        self.counter = counter
    }
    public var source: Source { Source(kind: .packet, detail: "#\(packet)") }
}
