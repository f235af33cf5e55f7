import HAModel
import VRRP

/// What the link-layer census is judged against: which addresses matter, who VRRP says
/// holds them over time, which MAC belongs to which node, and (when a snapshot says) which
/// addresses the hosts in view hold and which neighbour entries this host keeps.
public struct LinkLayerContext: Sendable {
    /// One VRRP master (or none) from a time on.
    public struct Mastership: Sendable, Equatable {
        public var time: PacketTime
        public var packet: Int
        /// Nil: nobody is master from `time` (the master resigned or stopped advertising).
        public var address: IPAddress?
        public var mac: MACAddress?
        public init(time: PacketTime, packet: Int, address: IPAddress?, mac: MACAddress?) {
            self.time = time
            self.packet = packet
            self.address = address
            self.mac = mac
        }
    }

    /// A VRRP split brain: two senders advertising as master at once, from `since` to `until`.
    public struct Split: Sendable, Equatable {
        public var since: PacketTime
        public var until: PacketTime
        public var members: [(address: IPAddress, mac: MACAddress?)]
        public init(since: PacketTime, until: PacketTime, members: [(address: IPAddress, mac: MACAddress?)]) {
            self.since = since
            self.until = until
            self.members = members
        }
        public static func == (a: Split, b: Split) -> Bool {
            a.since == b.since && a.until == b.until && a.members.map(\.address) == b.members.map(\.address) && a.members.map(\.mac) == b.members.map(\.mac)
        }
    }

    /// A sender advertising (so acting as master in its own eyes) from `since` to `until`.
    public struct Acting: Sendable, Equatable {
        public var address: IPAddress
        public var mac: MACAddress?
        public var since: PacketTime
        public var until: PacketTime
        /// The virtual addresses its adverts listed.
        public var addresses: [IPAddress]
        public init(address: IPAddress, mac: MACAddress?, since: PacketTime, until: PacketTime, addresses: [IPAddress] = []) {
            self.address = address
            self.mac = mac
            self.addresses = addresses
            self.since = since
            self.until = until
        }
    }

    /// A virtual router whose virtual addresses matter, with its masters in time order.
    public struct Router: Sendable, Equatable {
        public var vrid: Int
        public var family: AddressFamily
        public var interface: String?
        public var addresses: [IPAddress]
        public var masters: [Mastership]
        /// Its split brains: each member acted as master (and announced) in its own eyes.
        public var splits: [Split]
        /// When each sender advertised as master.
        public var acting: [Acting]
        public init(vrid: Int, family: AddressFamily, interface: String?, addresses: [IPAddress], masters: [Mastership], splits: [Split] = [],
                    acting: [Acting] = []) {
            self.acting = acting
            self.vrid = vrid
            self.family = family
            self.interface = interface
            self.addresses = addresses
            self.masters = masters
            self.splits = splits
        }

        /// RFC 5798 7.3: 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6.
        public var virtualMAC: MACAddress {
            MACAddress(value: (family == .inet ? 0x0000_5e00_0100 : 0x0000_5e00_0200) | UInt64(vrid & 0xff))
        }

        public var what: String {
            "VRID \(vrid)" + (interface.map { " on \($0)" } ?? "") + (family == .inet6 ? " (IPv6)" : "")
        }

        /// The master at `time` (nil: none known, or nobody).
        func master(at time: PacketTime) -> Mastership? {
            // Binary search: the last entry at or before `time` (masters are in time order).
            var low = 0, high = masters.count
            while low < high {
                let middle = (low + high) / 2
                if masters[middle].time <= time { low = middle + 1 } else { high = middle }
            }
            guard low > 0, masters[low - 1].address != nil else { return nil }
            return masters[low - 1]
        }

        /// Master changes: a new master after another (not the first master the capture heard).
        var failovers: [(from: Mastership, to: Mastership)] {
            var result: [(Mastership, Mastership)] = []
            var previous: Mastership?
            for entry in masters {
                guard entry.address != nil else { continue }
                if let old = previous, old.address != entry.address || old.mac != entry.mac { result.append((old, entry)) }
                previous = entry
            }
            return result
        }
    }

    /// A neighbour (ARP/NDP cache) entry of the host examined.
    public struct Neighbour: Sendable, Equatable {
        public var address: IPAddress
        public var mac: MACAddress
        public var state: String
        public var device: String?
        public var source: Source
        public init(address: IPAddress, mac: MACAddress, state: String, device: String?, source: Source) {
            self.address = address
            self.mac = mac
            self.state = state
            self.device = device
            self.source = source
        }
    }

    /// The addresses that matter, in the order to report them.
    public var addresses: [IPAddress]
    public var routers: [Router]
    /// Node names by MAC (a VRRP sender, a snapshot's interface, a hosts-file name).
    public var nodes: [MACAddress: String]
    /// Which node holds each address on an interface, when the hosts in view are known
    /// (nil: not known, so nothing is said to be answered from nowhere).
    public var held: [IPAddress: [String]]?
    /// The MACs of the interfaces the addresses that matter are assigned on, by address, each
    /// with its node's name ("eth2 of prod-haproxy-001"): a holder's kernel never answers its
    /// own probe, so another MAC claiming such an address is all it sees of a second holder.
    public var holders: [IPAddress: [MACAddress: String]] = [:]
    /// The MACs whose addresses `held` knows, when the hosts in view may not be all of the link
    /// (one host alone: its own interfaces'); nil when they are taken to be. An answer from any
    /// other MAC cannot be told from its owner's, so it is not judged answered from nowhere.
    public var macsWithKnownAddresses: Set<MACAddress>?
    /// This host's neighbour entries for the addresses that matter.
    public var neighbours: [Neighbour]
    /// True when the capture was set up to see ARP/NDP (a live capture with the link-layer
    /// filter): a silent wire then means silence. A file shows it by holding any ARP/NDP packet.
    public var capturesLinkLayer: Bool
    /// Which VRRP sender (by its own address) each MAC belongs to: the sender's advert MAC and
    /// every MAC that claimed the sender's own address on the wire (a second interface of
    /// that host, its real MAC under use_vmac). Filled by the census from the packets.
    public var owners: [MACAddress: IPAddress] = [:]

    public init(addresses: [IPAddress], routers: [Router] = [], nodes: [MACAddress: String] = [:],
                held: [IPAddress: [String]]? = nil, macsWithKnownAddresses: Set<MACAddress>? = nil, neighbours: [Neighbour] = [],
                capturesLinkLayer: Bool = false) {
        self.addresses = addresses
        self.routers = routers
        self.nodes = nodes
        self.held = held
        self.macsWithKnownAddresses = macsWithKnownAddresses
        self.neighbours = neighbours
        self.capturesLinkLayer = capturesLinkLayer
    }

    /// How a VRRP sender's MAC is named as a node.
    public static func senderNode(_ address: IPAddress) -> String { "VRRP sender \(address)" }

    /// What the VRRP census says: the virtual addresses its senders list, each router's
    /// masters from its events, and each sender's MAC as a node.
    public init(vrrp report: VRRPCensusReport, capturesLinkLayer: Bool = false) {
        var addresses: [IPAddress] = []
        var routers: [Router] = []
        var nodes: [MACAddress: String] = [:]
        for router in report.routers {
            var listed: [IPAddress] = []
            for sender in router.senders {
                for address in sender.virtualAddresses where !listed.contains(address) { listed.append(address) }
                if let mac = sender.mac, nodes[mac] == nil { nodes[mac] = Self.senderNode(sender.address) }
            }
            var masters: [Mastership] = []
            var current: IPAddress?
            for event in router.events {
                switch event.kind {
                case .master:
                    masters.append(.init(time: event.time, packet: event.packet, address: event.address, mac: event.mac))
                    current = event.address
                case .lost, .resigned:
                    if current == event.address {
                        masters.append(.init(time: event.time, packet: event.packet, address: nil, mac: nil))
                        current = nil
                    }
                case .priorityChanged:
                    break
                }
            }
            masters.sort { $0.time < $1.time }
            for address in listed where !addresses.contains(address) { addresses.append(address) }
            routers.append(Router(vrid: router.vrid, family: router.family, interface: router.interface, addresses: listed, masters: masters,
                                  splits: router.splits, acting: router.acting))
        }
        self.init(addresses: addresses, routers: routers, nodes: nodes, capturesLinkLayer: capturesLinkLayer)
    }
}
