import HAModel
import VRRP

/// Who claims which IP address on the link (ARP and Neighbour Discovery), built one decoded
/// packet at a time: a pure function of the packets. Memory is bounded by the number of
/// addresses, claimants and events kept per address (all capped), never by the packet count.
///
/// It records facts only; `report(context:end:)` judges them against what VRRP (or a
/// snapshot) says about who should hold each address.
public struct LinkLayerCensus: Sendable {
    static let maximumAddresses = 4096
    static let maximumClaimants = 16
    static let maximumEvents = 512

    /// ARP/NDP packets decoded (valid or not), and those that claimed to be ARP/NDP but were malformed.
    public private(set) var packets = 0
    public private(set) var malformed = 0
    /// ARP and NDP packets apart: a capture that shows one family's says nothing of the other's silence.
    public private(set) var arpPackets = 0
    public private(set) var ndpPackets = 0
    public private(set) var firstTime: PacketTime?
    public private(set) var lastTime: PacketTime?
    private(set) var problems: [LinkLayerReport.Problem] = []
    private var index: [IPAddress: Int] = [:]
    private(set) var addresses: [LinkAddressState] = []
    private(set) var addressesDropped = 0
    /// Addresses tracked even past the cap (the VIPs, the addresses asked about), so a flood
    /// of ARP for other addresses cannot push out the ones that matter.
    public private(set) var watched: Set<IPAddress> = []

    public init() {}

    public mutating func watch(_ addresses: some Sequence<IPAddress>) { watched.formUnion(addresses) }

    /// True once the cap is reached: only watched addresses are tracked from then on.
    public var isFull: Bool { addresses.count >= Self.maximumAddresses }

    public mutating func noteMalformed(packet: Int, reason: String) {
        malformed += 1
        if problems.count < 20 { problems.append(.init(packet: packet, message: reason)) }
    }

    public mutating func record(_ claim: LinkClaim) {
        packets += 1
        if claim.family == .inet { arpPackets += 1 } else { ndpPackets += 1 }
        if firstTime.map({ claim.time < $0 }) ?? true { firstTime = claim.time }
        if lastTime.map({ claim.time > $0 }) ?? true { lastTime = claim.time }
        if let slot = slot(for: claim.address) {
            addresses[slot].record(claim)
        }
        // A question says who asks, too: an ARP request or a solicitation with a source
        // link-layer address maps its sender address to that MAC in every receiver that
        // already has an entry for it (RFC 826, RFC 4861 7.2.3), so it is a (weaker) claim.
        if claim.discardReason == nil, claim.kind == .arpRequest || claim.kind == .neighbourSolicitation,
           let mac = claim.senderMAC, claim.senderAddress != claim.address, let slot = slot(for: claim.senderAddress) {
            addresses[slot].recordAsking(claim, mac: mac)
        }
    }

    private mutating func slot(for address: IPAddress) -> Int? {
        if let found = index[address] { return found }
        guard addresses.count < Self.maximumAddresses || (watched.contains(address) && addresses.count < 2 * Self.maximumAddresses) else {
            addressesDropped += 1
            return nil
        }
        index[address] = addresses.count
        addresses.append(LinkAddressState(address: address))
        return addresses.count - 1
    }

    func state(of address: IPAddress) -> LinkAddressState? {
        index[address].map { addresses[$0] }
    }
}

/// One claim as the time model needs it: when, which packet, which claimant, how.
struct LinkClaimEvent: Sendable, Equatable {
    enum How: UInt8, Sendable { case announcement, reply, asked }
    var time: PacketTime
    var packet: Int
    var claimant: Int
    var how: How
}

struct LinkClaimantState: Sendable {
    var mac: MACAddress
    /// Frames' link-layer sources that differ from the claimed MAC (a proxy, or a forged claim).
    var otherSources: [MACAddress] = []
    var announcements = 0
    var replies = 0
    var asked = 0
    var first: PacketTime
    var last: PacketTime
    var firstPacket: Int
    var lastPacket: Int
    var kinds: [LinkClaim.Kind: Int] = [:]
    var vlans: [UInt16]
    var interface: String?
}

struct LinkAddressState: Sendable {
    let address: IPAddress
    var counts: [LinkClaim.Kind: Int] = [:]
    /// Messages RFC 4861 receivers discard, by reason (they moved no cache).
    var discarded: [LinkClaimDiscard: (count: Int, first: Int, last: Int)] = [:]
    var first: PacketTime?
    var last: PacketTime?
    var firstPacket = 0
    var lastPacket = 0
    var claimants: [LinkClaimantState] = []
    var claimantsDropped = 0
    var events: [LinkClaimEvent] = []
    var eventsDropped = 0
    /// Questions about the address (requests, probes, solicitations) and their last packet.
    var questions = 0

    init(address: IPAddress) { self.address = address }

    private mutating func touch(_ claim: LinkClaim) {
        if first.map({ claim.time < $0 }) ?? true { first = claim.time; firstPacket = claim.packet }
        if last.map({ claim.time >= $0 }) ?? true { last = claim.time; lastPacket = claim.packet }
    }

    mutating func record(_ claim: LinkClaim) {
        touch(claim)
        counts[claim.kind, default: 0] += 1
        if let reason = claim.discardReason {
            var entry = discarded[reason] ?? (0, claim.packet, claim.packet)
            entry.count += 1
            entry.last = claim.packet
            discarded[reason] = entry
            return
        }
        guard claim.isClaim, let mac = claim.mac else {
            questions += 1
            return
        }
        add(claim, mac: mac, how: claim.isAnnouncement ? .announcement : .reply)
    }

    mutating func recordAsking(_ claim: LinkClaim, mac: MACAddress) {
        touch(claim)
        add(claim, mac: mac, how: .asked)
    }

    private mutating func add(_ claim: LinkClaim, mac: MACAddress, how: LinkClaimEvent.How) {
        var slot = claimants.firstIndex { $0.mac == mac } ?? -1
        if slot < 0 {
            guard claimants.count < LinkLayerCensus.maximumClaimants else { claimantsDropped += 1; return }
            claimants.append(LinkClaimantState(mac: mac, first: claim.time, last: claim.time, firstPacket: claim.packet,
                                               lastPacket: claim.packet, vlans: claim.vlans, interface: claim.interface))
            slot = claimants.count - 1
        }
        var claimant = claimants[slot]
        switch how {
        case .announcement: claimant.announcements += 1
        case .reply: claimant.replies += 1
        case .asked: claimant.asked += 1
        }
        claimant.kinds[claim.kind, default: 0] += 1
        if claim.time < claimant.first { claimant.first = claim.time; claimant.firstPacket = claim.packet }
        if claim.time >= claimant.last { claimant.last = claim.time; claimant.lastPacket = claim.packet }
        if let source = claim.sourceMAC, source != mac, !claimant.otherSources.contains(source), claimant.otherSources.count < 4 {
            claimant.otherSources.append(source)
        }
        claimants[slot] = claimant
        // Keep the latest events: drop the oldest half at once so appending stays O(1).
        if events.count >= 2 * LinkLayerCensus.maximumEvents {
            events.removeFirst(LinkLayerCensus.maximumEvents)
            eventsDropped += LinkLayerCensus.maximumEvents
        }
        events.append(LinkClaimEvent(time: claim.time, packet: claim.packet, claimant: slot, how: how))
    }
}

extension VRRPCensus {
    /// Every virtual address the adverts heard so far list (also followed while listening:
    /// solicited-node groups, --probe).
    public var virtualAddresses: Set<IPAddress> {
        Set(routers.lazy.flatMap { $0.senders.lazy.flatMap(\.addresses) })
    }

    /// Every VRRP sender's own address heard so far.
    public var senderAddresses: Set<IPAddress> {
        Set(routers.lazy.flatMap { $0.senders.lazy.map(\.address) })
    }
}
