/// One network interface as the kernel reports it over rtnetlink. Field names and JSON
/// shapes are iproute2's (`ip -j -d addr show`), so scripts written for it keep working;
/// haexplain's own fields sit beside them.
public struct NetworkInterface: Codable, Sendable, Equatable {
    public var ifindex: Int
    /// The lower/peer interface's name when it is in this namespace (`ip`'s "link").
    public var link: String?
    /// The lower/peer interface's index when its name is not known here.
    public var linkIndex: Int?
    public var ifname: String
    public var flags: [String]
    public var mtu: Int?
    public var qdisc: String?
    public var master: String?
    public var operstate: String?
    public var group: String?
    public var txqlen: Int?
    public var linkType: String
    public var address: String?
    public var broadcast: String?
    public var linkNetnsid: Int?
    public var permaddr: String?
    public var ifalias: String?
    public var linkinfo: LinkKind?
    public var addrInfo: [InterfaceAddress]

    /// The raw IFF_* bits, kept so reasoning need not re-parse the flag names.
    public var rawFlags: UInt32

    public struct LinkKind: Codable, Sendable, Equatable {
        public var infoKind: String?
        public var infoSlaveKind: String?
        public init(infoKind: String?, infoSlaveKind: String? = nil) {
            self.infoKind = infoKind
            self.infoSlaveKind = infoSlaveKind
        }
        enum CodingKeys: String, CodingKey {
            case infoKind = "info_kind", infoSlaveKind = "info_slave_kind"
        }
    }

    public init(ifindex: Int, ifname: String, flags: [String] = [], rawFlags: UInt32 = 0,
                linkType: String = "ether", addrInfo: [InterfaceAddress] = []) {
        self.ifindex = ifindex
        self.ifname = ifname
        self.flags = flags
        self.rawFlags = rawFlags
        self.linkType = linkType
        self.addrInfo = addrInfo
    }

    enum CodingKeys: String, CodingKey {
        case ifindex, link, linkIndex = "link_index", ifname, flags, mtu, qdisc, master, operstate
        case group, txqlen, linkType = "link_type", address, broadcast
        case linkNetnsid = "link_netnsid", permaddr, ifalias, linkinfo
        case addrInfo = "addr_info", rawFlags = "raw_flags"
    }

    public var isUp: Bool { rawFlags & 0x1 != 0 }
}

/// One address on an interface (an `addr_info` entry of `ip -j addr show`).
public struct InterfaceAddress: Codable, Sendable, Equatable {
    public var family: AddressFamily
    public var local: IPAddress
    /// The peer of a point-to-point address (`ip`'s "address" when it differs from local).
    public var address: IPAddress?
    public var prefixlen: Int
    public var broadcast: IPAddress?
    public var anycast: IPAddress?
    public var scope: String
    // iproute2 prints each IFA_F_* flag as a key that is present only when set.
    public var dynamic: Bool?
    public var secondary: Bool?
    public var temporary: Bool?
    public var nodad: Bool?
    public var optimistic: Bool?
    public var dadfailed: Bool?
    public var home: Bool?
    public var deprecated: Bool?
    public var tentative: Bool?
    public var mngtmpaddr: Bool?
    public var noprefixroute: Bool?
    public var autojoin: Bool?
    public var stablePrivacy: Bool?
    public var label: String?
    public var validLifeTime: UInt32?
    public var preferredLifeTime: UInt32?

    /// The raw IFA_F_* bits.
    public var rawFlags: UInt32
    /// haexplain's own: would `ifconfig -a` print this IPv4 address? Only set for IPv4.
    public var ifconfigVisible: Bool?
    /// Why not, in a sentence, when `ifconfigVisible` is false.
    public var ifconfigHiddenReason: String?

    public init(local: IPAddress, prefixlen: Int, scope: String = "global", rawFlags: UInt32 = 0x80,
                label: String? = nil) {
        self.family = local.family
        self.local = local
        self.prefixlen = prefixlen
        self.scope = scope
        self.rawFlags = rawFlags
        self.label = label
    }

    enum CodingKeys: String, CodingKey {
        case family, local, address, prefixlen, broadcast, anycast, scope
        case dynamic, secondary, temporary, nodad, optimistic, dadfailed, home, deprecated
        case tentative, mngtmpaddr, noprefixroute, autojoin, stablePrivacy = "stable-privacy"
        case label, validLifeTime = "valid_life_time", preferredLifeTime = "preferred_life_time"
        case rawFlags = "raw_flags"
        case ifconfigVisible = "ifconfig_visible", ifconfigHiddenReason = "ifconfig_hidden_reason"
    }

    // Keys still the CodingKeys', absent ones skipped, family and addresses passed as text: synthesized costs 38M more instructions on 10,000 (addr --json budget).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(family.rawValue, forKey: .family)
        try c.encode(local.description, forKey: .local)
        if let address { try c.encode(address.description, forKey: .address) }
        try c.encode(prefixlen, forKey: .prefixlen)
        if let broadcast { try c.encode(broadcast.description, forKey: .broadcast) }
        if let anycast { try c.encode(anycast.description, forKey: .anycast) }
        try c.encode(scope, forKey: .scope)
        if let dynamic { try c.encode(dynamic, forKey: .dynamic) }
        if let secondary { try c.encode(secondary, forKey: .secondary) }
        if let temporary { try c.encode(temporary, forKey: .temporary) }
        if let nodad { try c.encode(nodad, forKey: .nodad) }
        if let optimistic { try c.encode(optimistic, forKey: .optimistic) }
        if let dadfailed { try c.encode(dadfailed, forKey: .dadfailed) }
        if let home { try c.encode(home, forKey: .home) }
        if let deprecated { try c.encode(deprecated, forKey: .deprecated) }
        if let tentative { try c.encode(tentative, forKey: .tentative) }
        if let mngtmpaddr { try c.encode(mngtmpaddr, forKey: .mngtmpaddr) }
        if let noprefixroute { try c.encode(noprefixroute, forKey: .noprefixroute) }
        if let autojoin { try c.encode(autojoin, forKey: .autojoin) }
        if let stablePrivacy { try c.encode(stablePrivacy, forKey: .stablePrivacy) }
        if let label { try c.encode(label, forKey: .label) }
        if let validLifeTime { try c.encode(validLifeTime, forKey: .validLifeTime) }
        if let preferredLifeTime { try c.encode(preferredLifeTime, forKey: .preferredLifeTime) }
        try c.encode(rawFlags, forKey: .rawFlags)
        if let ifconfigVisible { try c.encode(ifconfigVisible, forKey: .ifconfigVisible) }
        if let ifconfigHiddenReason { try c.encode(ifconfigHiddenReason, forKey: .ifconfigHiddenReason) }
    }

    public var isSecondary: Bool { rawFlags & 0x01 != 0 }

    /// The words `haexplain addr` prints after the scope for the flags set, in `ip addr`'s
    /// order; each word is the flag's CodingKey, the one spelling its JSON key and text share.
    public var flagWords: [String] {
        let flags: [(CodingKeys, Bool?)] = [
            (.secondary, secondary), (.temporary, temporary), (.dynamic, dynamic), (.nodad, nodad),
            (.optimistic, optimistic), (.dadfailed, dadfailed), (.deprecated, deprecated),
            (.tentative, tentative), (.mngtmpaddr, mngtmpaddr), (.noprefixroute, noprefixroute),
        ]
        return flags.compactMap { $1 == true ? $0.stringValue : nil }
    }
}

/// The IFA_F_* bits and the names iproute2 prints for them, in its order.
public enum AddressFlag {
    public static let secondary: UInt32 = 0x01
    public static let nodad: UInt32 = 0x02
    public static let optimistic: UInt32 = 0x04
    public static let dadfailed: UInt32 = 0x08
    public static let homeaddress: UInt32 = 0x10
    public static let deprecated: UInt32 = 0x20
    public static let tentative: UInt32 = 0x40
    public static let permanent: UInt32 = 0x80
    public static let managetempaddr: UInt32 = 0x100
    public static let noprefixroute: UInt32 = 0x200
    public static let mcautojoin: UInt32 = 0x400
    public static let stablePrivacy: UInt32 = 0x800
}

/// A network namespace's links and addresses, as one reading of the kernel.
public struct AddressTable: Codable, Sendable, Equatable {
    /// Where a live table comes from, and what is missing when it cannot be read.
    public static let dumpSource = Source.netlink("RTM_GETLINK/RTM_GETADDR dump")
    public var schemaVersion: Int
    public var netns: String?
    public var source: Source
    public var interfaces: [NetworkInterface]

    public init(netns: String?, source: Source, interfaces: [NetworkInterface]) {
        self.schemaVersion = SchemaVersion.current
        self.netns = netns
        self.source = source
        self.interfaces = interfaces
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", netns, source, interfaces
    }

    /// Every interface address equal to `address`, with its interface.
    public func assignments(of address: IPAddress) -> [(NetworkInterface, InterfaceAddress)] {
        interfaces.flatMap { interface in
            interface.addrInfo.filter { $0.local == address }.map { (interface, $0) }
        }
    }
}

public enum SchemaVersion {
    /// Bumped on any incompatible change to the JSON haexplain writes.
    public static let current = 4
    /// Snapshot versions `--from` and `--host` read: version 3 changed `ip --json`'s limits
    /// into objects, version 4 gave every limit a `Source`; an older snapshot's limits (strings,
    /// or a source in one word) read into those (`Limit`, `ProcessFacts`).
    public static let snapshotsRead: ClosedRange<Int> = 2...4
}
