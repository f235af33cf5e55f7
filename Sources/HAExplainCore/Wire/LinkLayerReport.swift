import HAModel
import VRRP

/// The link-layer census as `vrrp`, `ip` and `snapshot` carry it (`link_layer` in JSON):
/// per address that matters, every MAC that claimed it and the verdicts.
public struct LinkLayerReport: Codable, Sendable, Equatable {
    /// ARP/NDP packets decoded, and malformed ones.
    public var packets: Int
    public var malformed: Int
    public var addresses: [Address]
    /// Addresses seen on the wire that do not matter here (not shown one by one).
    public var otherAddresses: Int
    public var problems: [Problem]

    enum CodingKeys: String, CodingKey {
        case packets, malformed, addresses, otherAddresses = "other_addresses", problems
    }

    public struct Problem: Codable, Sendable, Equatable {
        public var packet: Int?
        public var message: String
    }

    public struct KindCount: Codable, Sendable, Equatable {
        public var kind: LinkClaim.Kind
        public var count: Int
    }

    public struct Discard: Codable, Sendable, Equatable {
        public var reason: LinkClaimDiscard
        public var count: Int
        public var firstPacket: Int
        public var lastPacket: Int
        enum CodingKeys: String, CodingKey {
            case reason, count, firstPacket = "first_packet", lastPacket = "last_packet"
        }
    }

    /// One MAC that claimed the address.
    public struct Claimant: Codable, Sendable, Equatable {
        public var mac: MACAddress
        /// The node it belongs to, when the evidence says (a VRRP sender, an interface, a name).
        public var node: String?
        /// True for VRRP's virtual MAC of a router listing the address.
        public var virtualMAC: Bool
        public var announcements: Int
        public var replies: Int
        /// ARP requests or solicitations sent from the address with this MAC.
        public var asked: Int
        public var kinds: [KindCount]
        public var firstSeen: PacketTime
        public var lastSeen: PacketTime
        public var firstPacket: Int
        public var lastPacket: Int
        /// Frame sources that differ from the claimed MAC (a proxy answering, or a forged claim).
        public var frameSources: [MACAddress]

        enum CodingKeys: String, CodingKey {
            case mac, node, virtualMAC = "virtual_mac", announcements, replies, asked, kinds
            case firstSeen = "first_seen", lastSeen = "last_seen", firstPacket = "first_packet", lastPacket = "last_packet"
            case frameSources = "frame_sources"
        }
    }

    public struct Address: Codable, Sendable, Equatable {
        public var address: IPAddress
        public var counts: [KindCount]
        public var firstSeen: PacketTime?
        public var lastSeen: PacketTime?
        public var claimants: [Claimant]
        /// Questions about the address (requests, probes, solicitations).
        public var questions: Int
        public var discarded: [Discard]
        public var verdicts: [Verdict]
        public var eventsDropped: Int

        enum CodingKeys: String, CodingKey {
            case address, counts, firstSeen = "first_seen", lastSeen = "last_seen", claimants, questions, discarded, verdicts
            case eventsDropped = "events_dropped"
        }

        public func has(_ code: Verdict.Code) -> Bool { verdicts.contains { $0.code == code } }
    }

    public struct Verdict: Codable, Sendable, Equatable {
        public enum Code: String, Codable, Sendable, CaseIterable {
            /// Two MACs claim one address and no failover explains it.
            case duplicateAddress = "duplicate_address"
            /// The new master announced the address after a failover.
            case garpAfterFailover = "garp_after_failover"
            /// The master changed and no announcement of the address was seen.
            case noGarpAfterFailover = "no_garp_after_failover"
            /// The MAC claiming a VIP is neither the VRRP master's nor the virtual MAC.
            case claimedByNonMaster = "claimed_by_non_master"
            /// Answered on the wire, but no interface of any host in view holds the address.
            case answeredFromNowhere = "answered_from_nowhere"
            /// This host's neighbour entry maps the address to another MAC than the wire last claimed.
            case staleNeighbour = "stale_neighbour"
            /// Two VRRP masters of a split brain both announced the address (the split brain's doing).
            case claimedDuringSplitBrain = "claimed_during_split_brain"
            /// One host answered for the address from two of its MACs (ARP flux, or its real MAC beside the virtual one).
            case arpFlux = "arp_flux"
        }
        public var code: Code
        public var message: String
        public var source: Source
        public var packets: [Int] = []
        /// The MACs the verdict is about (both claimants of a duplicate, the old master's...).
        public var macs: [MACAddress] = []
    }
}

extension LinkLayerCensus {
    /// How long after a master change an announcement still belongs to it: keepalived sends
    /// its gratuitous ARPs at once and repeats them after garp_master_delay (5 s by default).
    static let failoverWindow = PacketTime(seconds: 10)
    /// Capture timestamps of two hosts' packets, and a master sending its first GARP just
    /// before its first advert as master, are this close.
    static let slack = PacketTime(seconds: 1)
    /// Two MACs claiming one address this close together, with no failover between, is a duplicate.
    static let duplicateWindow = PacketTime(seconds: 60)

    /// The report: nil when there is nothing to say (no ARP/NDP packet read and the capture was
    /// not set up to see any), so captures without ARP/NDP print as before.
    public func report(context: LinkLayerContext, end: PacketTime? = nil) -> LinkLayerReport? {
        guard packets > 0 || malformed > 0 || context.capturesLinkLayer else { return nil }
        let end = end ?? lastTime ?? PacketTime(nanoseconds: 0)
        let context = withOwners(context)
        var reported: [LinkLayerReport.Address] = []
        var shown = Set<IPAddress>()
        for address in context.addresses where !shown.contains(address) {
            shown.insert(address)
            let state = self.state(of: address) ?? LinkAddressState(address: address)
            // Silence means something only where the capture saw this family's ARP or NDP.
            let heard = context.capturesLinkLayer || (address.family == .inet ? arpPackets : ndpPackets) > 0
            let entry = state.report(context: context, end: end, heard: heard)
            // An address that matters but was never seen and has nothing to say is left out.
            guard state.first != nil || !entry.verdicts.isEmpty else { continue }
            reported.append(entry)
        }
        var problems = self.problems
        if malformed > problems.count {
            problems.append(.init(packet: nil, message: "\(malformed - problems.count) more malformed ARP/NDP packet(s) not listed"))
        }
        if addressesDropped > 0 {
            problems.append(.init(packet: nil, message: "ARP/NDP packets about more than \(Self.maximumAddresses) addresses: \(addressesDropped) were counted but not tracked"))
        }
        return LinkLayerReport(packets: packets, malformed: malformed, addresses: reported,
                               otherAddresses: addresses.filter { !shown.contains($0.address) }.count, problems: problems)
    }
}

extension LinkLayerCensus {
    /// The context with each MAC that claimed a VRRP sender's own address (or sent its
    /// adverts) marked as that sender's: one host, whichever interface or MAC answers.
    func withOwners(_ context: LinkLayerContext) -> LinkLayerContext {
        var context = context
        let virtual = Set(context.routers.map(\.virtualMAC))
        for router in context.routers {
            for master in router.masters {
                guard let address = master.address else { continue }
                if let mac = master.mac, !virtual.contains(mac), context.owners[mac] == nil { context.owners[mac] = address }
                for claimant in state(of: address)?.claimants ?? [] where !virtual.contains(claimant.mac) && context.owners[claimant.mac] == nil {
                    context.owners[claimant.mac] = address
                }
            }
            for split in router.splits {
                for member in split.members {
                    if let mac = member.mac, !virtual.contains(mac), context.owners[mac] == nil { context.owners[mac] = member.address }
                }
            }
        }
        return context
    }
}

extension LinkAddressState {
    func report(context: LinkLayerContext, end: PacketTime, heard: Bool = true) -> LinkLayerReport.Address {
        let routers = context.routers.filter { $0.addresses.contains(address) }
        let virtual = Set(routers.map(\.virtualMAC))
        let list = claimants.map { claimant in
            LinkLayerReport.Claimant(
                mac: claimant.mac, node: name(claimant.mac, context, routers), virtualMAC: virtual.contains(claimant.mac),
                announcements: claimant.announcements, replies: claimant.replies, asked: claimant.asked,
                kinds: LinkClaim.Kind.allCases.compactMap { kind in claimant.kinds[kind].map { .init(kind: kind, count: $0) } },
                firstSeen: claimant.first, lastSeen: claimant.last, firstPacket: claimant.firstPacket, lastPacket: claimant.lastPacket,
                frameSources: claimant.otherSources)
        }
        var judge = LinkLayerJudge(state: self, context: context, routers: routers, virtual: virtual, end: end, heard: heard)
        return LinkLayerReport.Address(
            address: address,
            counts: LinkClaim.Kind.allCases.compactMap { kind in counts[kind].map { .init(kind: kind, count: $0) } },
            firstSeen: first, lastSeen: last, claimants: list, questions: questions,
            discarded: LinkClaimDiscard.allCases.compactMap { reason in
                discarded[reason].map { .init(reason: reason, count: $0.count, firstPacket: $0.first, lastPacket: $0.last) }
            },
            verdicts: judge.verdicts(), eventsDropped: eventsDropped)
    }

    func name(_ mac: MACAddress, _ context: LinkLayerContext, _ routers: [LinkLayerContext.Router]) -> String? {
        if let node = context.nodes[mac] { return node }
        if let router = routers.first(where: { $0.virtualMAC == mac }) { return "VRRP virtual MAC of \(router.what)" }
        return nil
    }
}
