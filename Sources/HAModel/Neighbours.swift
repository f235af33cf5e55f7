/// One entry of the kernel's neighbour table (ARP for IPv4, NDP for IPv6): which link-layer
/// address this host sends an IP address's traffic to. Field names are iproute2's
/// (`ip -j -s neigh show nud all`); flags iproute2 prints as `"router": null` are `true` here.
public struct NeighbourEntry: Codable, Sendable, Equatable {
    public var dst: IPAddress
    /// The interface's name; `if<N>` when the link dump did not name it.
    public var dev: String?
    public var lladdr: String?
    public var router: Bool?
    public var proxy: Bool?
    public var externLearn: Bool?
    public var offload: Bool?
    public var managed: Bool?
    /// Seconds since the entry was last used, confirmed and updated (iproute2's -s values).
    public var refcnt: UInt32?
    public var used: UInt32?
    public var confirmed: UInt32?
    public var updated: UInt32?
    public var probes: UInt32?
    /// NUD states in iproute2's order and names (REACHABLE, STALE, FAILED, ...); empty for NONE.
    public var state: [String]
    public var ifindex: Int
    /// The raw NUD_* and NTF_* bits, so reasoning need not re-parse the names.
    public var rawState: UInt16
    public var rawFlags: UInt8
    /// haexplain's own: the VRID when `lladdr` is a VRRP virtual MAC (00:00:5e:00:01:XX for
    /// IPv4, 00:00:5e:00:02:XX for IPv6).
    public var vrrpVirtualRouter: Int?

    public init(dst: IPAddress, ifindex: Int, dev: String? = nil, lladdr: String? = nil, rawState: UInt16, rawFlags: UInt8 = 0) {
        self.dst = dst
        self.ifindex = ifindex
        self.dev = dev
        self.lladdr = lladdr
        self.rawState = rawState
        self.rawFlags = rawFlags
        self.state = NeighbourState.names(rawState)
    }

    enum CodingKeys: String, CodingKey {
        case dst, dev, lladdr, router, proxy, externLearn = "extern_learn", offload, managed
        case refcnt, used, confirmed, updated, probes, state, ifindex
        case rawState = "raw_state", rawFlags = "raw_flags", vrrpVirtualRouter = "vrrp_virtual_router"
    }

    /// The words `haexplain neigh` prints for the flags set, in `ip neigh`'s order; each word is
    /// the flag's CodingKey, the one spelling its JSON key and text share.
    public var flagWords: [String] {
        let flags: [(CodingKeys, Bool?)] = [(.router, router), (.proxy, proxy), (.externLearn, externLearn), (.offload, offload), (.managed, managed)]
        return flags.compactMap { $1 == true ? $0.stringValue : nil }
    }

    /// The entry names a link-layer address the kernel will send to now or after a re-check
    /// (REACHABLE, STALE, DELAY, PROBE, PERMANENT, NOARP).
    public var isUsable: Bool { rawState & NeighbourState.valid != 0 && lladdr != nil }
    /// Resolution is under way or failed: nobody has answered for the address.
    public var isUnresolved: Bool { rawState & (NeighbourState.incomplete | NeighbourState.failed) != 0 }
}

/// The NUD_* bits of linux/neighbour.h and iproute2's names for them, in its order.
public enum NeighbourState {
    public static let incomplete: UInt16 = 0x01
    public static let reachable: UInt16 = 0x02
    public static let stale: UInt16 = 0x04
    public static let delay: UInt16 = 0x08
    public static let probe: UInt16 = 0x10
    public static let failed: UInt16 = 0x20
    public static let noarp: UInt16 = 0x40
    public static let permanent: UInt16 = 0x80
    /// NUD_VALID: the states in which the entry holds a usable link-layer address.
    public static let valid: UInt16 = permanent | noarp | reachable | probe | stale | delay

    static let ordered: [(UInt16, String)] = [
        (incomplete, "INCOMPLETE"), (reachable, "REACHABLE"), (stale, "STALE"), (delay, "DELAY"),
        (probe, "PROBE"), (failed, "FAILED"), (noarp, "NOARP"), (permanent, "PERMANENT"),
    ]

    public static func names(_ raw: UInt16) -> [String] {
        var rest = raw
        var names: [String] = []
        for (bit, name) in ordered where rest & bit != 0 {
            names.append(name)
            rest &= ~bit
        }
        // iproute2 prints leftover bits as bare hex.
        if rest != 0 { names.append(String(rest, radix: 16)) }
        return names
    }
}

/// The NTF_* bits of an entry's ndm_flags.
public enum NeighbourFlag {
    public static let proxy: UInt8 = 0x08
    public static let externLearned: UInt8 = 0x10
    public static let offloaded: UInt8 = 0x20
    public static let router: UInt8 = 0x80
    /// NTF_EXT_MANAGED, carried in NDA_FLAGS_EXT.
    public static let extManaged: UInt32 = 0x01
}

/// A network namespace's neighbour table, IPv4 then IPv6 in the kernel's order.
public struct NeighbourTable: Codable, Sendable, Equatable {
    /// Where a live table comes from, and what is missing when it cannot be read.
    public static let dumpSource = Source.netlink("RTM_GETNEIGH dump")
    public var schemaVersion: Int
    public var netns: String?
    public var source: Source
    public var neighbours: [NeighbourEntry]

    public init(netns: String?, source: Source, neighbours: [NeighbourEntry]) {
        self.schemaVersion = SchemaVersion.current
        self.netns = netns
        self.source = source
        self.neighbours = neighbours
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", netns, source, neighbours
    }

    /// The entries for `address` (one per interface it was resolved on).
    public func entries(for address: IPAddress) -> [NeighbourEntry] {
        neighbours.filter { $0.dst == address }
    }
}
