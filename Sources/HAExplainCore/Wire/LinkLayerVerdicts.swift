import HAModel
import VRRP

/// The link-layer verdicts for one address. The time model: a failover is a VRRP master
/// change; announcements from the new master (or the virtual MAC) within `failoverWindow`
/// after it belong to it; two MACs claiming within `duplicateWindow` of each other with no
/// master change between them (one that took mastership from the earlier claimant) is a duplicate.
struct LinkLayerJudge {
    typealias Verdict = LinkLayerReport.Verdict
    let state: LinkAddressState
    let context: LinkLayerContext
    let routers: [LinkLayerContext.Router]
    let virtual: Set<MACAddress>
    let end: PacketTime
    /// The capture saw this address's family on the link (ARP for IPv4, NDP for IPv6).
    let heard: Bool
    let events: [LinkClaimEvent]
    /// Each router's master changes, computed once.
    let failoverLists: [[(from: LinkLayerContext.Mastership, to: LinkLayerContext.Mastership)]]

    init(state: LinkAddressState, context: LinkLayerContext, routers: [LinkLayerContext.Router], virtual: Set<MACAddress>, end: PacketTime, heard: Bool) {
        self.state = state
        self.context = context
        self.routers = routers
        self.virtual = virtual
        self.end = end
        self.heard = heard
        self.failoverLists = routers.map(\.failovers)
        self.events = state.events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
    }

    var address: IPAddress { state.address }

    func mac(_ event: LinkClaimEvent) -> MACAddress { state.claimants[event.claimant].mac }

    func name(_ mac: MACAddress) -> String {
        state.name(mac, context, routers).map { "\(mac) (\($0))" } ?? "\(mac)"
    }

    func name(_ master: LinkLayerContext.Mastership) -> String {
        (master.address.map(\.description) ?? "nobody") + (master.mac.map { " (\($0))" } ?? "")
    }

    func packet(_ number: Int) -> Source { Source(kind: .packet, detail: "#\(number)") }

    static func list(_ packets: [Int]) -> String {
        let shown = packets.prefix(8).map { "#\($0)" }.joined(separator: ", ")
        return packets.count > 8 ? shown + ", ... (\(packets.count) in all)" : shown
    }

    var announcementWord: String {
        address.family == .inet ? "gratuitous ARP" : "unsolicited Neighbour Advertisement (override set)"
    }

    mutating func verdicts() -> [Verdict] {
        failovers() + duplicates() + nonMasterClaims() + fromNowhere() + staleNeighbours()
    }

    private func failovers() -> [Verdict] {
        var verdicts: [Verdict] = []
        for (router, changes) in zip(routers, failoverLists) {
            for (index, change) in changes.enumerated() {
                let (from, to) = change
                var windowEnd = PacketTime(nanoseconds: to.time.nanoseconds &+ LinkLayerCensus.failoverWindow.nanoseconds)
                if index + 1 < changes.count, changes[index + 1].to.time < windowEnd { windowEnd = changes[index + 1].to.time }
                let start = PacketTime(nanoseconds: to.time.nanoseconds &- LinkLayerCensus.slack.nanoseconds)
                let macs: Set<MACAddress> = Set([to.mac, router.virtualMAC].compactMap { $0 })
                let announced = events.filter { $0.how == .announcement && $0.time >= start && $0.time < windowEnd && macs.contains(mac($0)) }
                let what = "\(router.what) changed from \(name(from)) to \(name(to)) at \(to.time) (packet #\(to.packet))"
                if let first = announced.first {
                    let senders = Set(announced.map(mac)).sorted { $0.value < $1.value }.map(name).joined(separator: " and ")
                    verdicts.append(Verdict(code: .garpAfterFailover, message:
                        "the master of \(what); the new master announced \(address) \(announced.count) time(s) by \(announcementWord) from \(senders), "
                        + "the first \(format(to.time.seconds(until: first.time))) s after the change (packets \(Self.list(announced.map(\.packet)))): "
                        + "clients and the gateway that heard it now send to the new master",
                        source: packet(first.packet), packets: announced.map(\.packet).prefix(16).map { $0 }, macs: Array(macs).sorted { $0.value < $1.value }))
                    continue
                }
                // Too early to say when the capture ended right at the change; nothing to say
                // when it never saw this family's ARP/NDP.
                guard heard, end.nanoseconds >= to.time.nanoseconds &+ LinkLayerCensus.slack.nanoseconds else { continue }
                let watched = min(windowEnd, end)
                var message = "the master of \(what), and no \(announcementWord) for \(address) from the new master was seen in the "
                    + "\(format(to.time.seconds(until: watched))) s after it: clients and the gateway keep "
                    + (from.mac.map { "the old master's MAC \($0)" } ?? "the old MAC")
                    + " until their entries expire or they ask again, so traffic for \(address) may still go to \(from.address.map(\.description) ?? "the old master")"
                let stale = context.neighbours.filter { $0.address == address && from.mac != nil && $0.mac == from.mac }
                if !stale.isEmpty {
                    message += "; here, " + stale.map { "the neighbour entry \($0.address) lladdr \($0.mac) \($0.state)" + ($0.device.map { " dev \($0)" } ?? "") + " [\($0.source)]" }
                        .joined(separator: ", ") + " still points at the old master"
                }
                verdicts.append(Verdict(code: .noGarpAfterFailover, message: message, source: packet(to.packet), packets: [to.packet],
                                        macs: [from.mac, to.mac].compactMap { $0 }))
            }
        }
        return verdicts
    }

    /// A failover of a router listing the address, between `since` and `until`, that took
    /// mastership away from the earlier claimant: its claim ended there, so a later claim by
    /// another MAC is no duplicate of it (a rogue then shows against the new master's claims).
    private func explained(earlier: MACAddress, since: PacketTime, until: PacketTime) -> Bool {
        let low = since.nanoseconds &- LinkLayerCensus.slack.nanoseconds, high = until.nanoseconds &+ LinkLayerCensus.slack.nanoseconds
        return failoverLists.contains { changes in
            changes.contains { change in
                change.to.time.nanoseconds >= low && change.to.time.nanoseconds <= high && change.from.mac == earlier
            }
        }
    }

    private func duplicates() -> [Verdict] {
        struct Pair: Hashable { var first: Int; var second: Int }
        var last: [Int: LinkClaimEvent] = [:]
        var pairs: [Pair: [Int]] = [:]
        var order: [Pair] = []
        for event in events {
            let mine = mac(event)
            defer { last[event.claimant] = event }
            guard !virtual.contains(mine) else { continue }
            for (other, earlier) in last where other != event.claimant {
                let theirs = state.claimants[other].mac
                guard !virtual.contains(theirs),
                      event.time.nanoseconds &- earlier.time.nanoseconds <= LinkLayerCensus.duplicateWindow.nanoseconds,
                      !explained(earlier: theirs, since: earlier.time, until: event.time) else { continue }
                let pair = Pair(first: min(other, event.claimant), second: max(other, event.claimant))
                if pairs[pair] == nil { order.append(pair) }
                for number in [earlier.packet, event.packet] where !(pairs[pair]?.contains(number) ?? false) {
                    pairs[pair, default: []].append(number)
                }
            }
        }
        return order.map { pair in
            let a = state.claimants[pair.first].mac, b = state.claimants[pair.second].mac
            let packets = pairs[pair] ?? []
            return Verdict(code: .duplicateAddress, message:
                "\(address) is claimed by both \(name(a)) and \(name(b)) within \(format(Double(LinkLayerCensus.duplicateWindow.nanoseconds) / 1e9)) s "
                + "of each other (packets \(Self.list(packets))), and no VRRP master change between them explains it: two hosts hold the address "
                + "(a leftover address, a second cluster, a rogue host), and clients follow whichever answered last",
                source: packet(packets.last ?? state.lastPacket), packets: Array(packets.prefix(16)), macs: [a, b])
        }
    }

    private func nonMasterClaims() -> [Verdict] {
        guard !routers.isEmpty else { return [] }
        var byClaimant: [Int: (packets: [Int], master: LinkLayerContext.Mastership, router: LinkLayerContext.Router)] = [:]
        var order: [Int] = []
        for event in events {
            let mine = mac(event)
            guard !virtual.contains(mine) else { continue }
            let around = [event.time, PacketTime(nanoseconds: event.time.nanoseconds &- LinkLayerCensus.slack.nanoseconds),
                          PacketTime(nanoseconds: event.time.nanoseconds &+ LinkLayerCensus.slack.nanoseconds)]
            var known: (LinkLayerContext.Mastership, LinkLayerContext.Router)?
            var isMaster = false
            for router in routers {
                for time in around {
                    guard let master = router.master(at: time) else { continue }
                    if master.mac == mine { isMaster = true }
                    if known == nil, time == event.time { known = (master, router) }
                }
            }
            guard !isMaster, let (master, router) = known else { continue }
            if byClaimant[event.claimant] == nil { order.append(event.claimant); byClaimant[event.claimant] = ([], master, router) }
            byClaimant[event.claimant]!.packets.append(event.packet)
        }
        return order.map { claimant in
            let entry = byClaimant[claimant]!
            let mine = state.claimants[claimant].mac
            return Verdict(code: .claimedByNonMaster, message:
                "\(name(mine)) claimed \(address) \(entry.packets.count) time(s) (packets \(Self.list(entry.packets))) while the master of \(entry.router.what) "
                + "was \(name(entry.master)): it is neither the master's MAC nor the virtual MAC \(entry.router.virtualMAC), so clients that "
                + "believe it send traffic for \(address) to a node that is not master",
                source: packet(entry.packets.last!), packets: Array(entry.packets.prefix(16)),
                macs: [mine] + [entry.master.mac].compactMap { $0 })
        }
    }

    private func fromNowhere() -> [Verdict] {
        guard let held = context.held, held[address]?.isEmpty ?? true else { return [] }
        // A VIP with a VRRP master at the time is held by that master, whatever the snapshot shows.
        let answers = events.filter { event in
            event.how != .asked && !routers.contains { $0.master(at: event.time) != nil }
        }
        guard !answers.isEmpty else { return [] }
        var claimants: [Int] = []
        for event in answers where !claimants.contains(event.claimant) { claimants.append(event.claimant) }
        let names = claimants.map { index -> String in
            let mac = state.claimants[index].mac
            if let node = context.nodes[mac] { return "\(mac) (\(node), which does not hold it: proxy ARP)" }
            return name(mac)
        }
        return [Verdict(code: .answeredFromNowhere, message:
            "\(address) was answered on the wire by \(names.joined(separator: " and ")) (packets \(Self.list(answers.map(\.packet)))), "
            + "but no interface of any host in view holds it: proxy ARP, or an L2 announcer (MetalLB, kube-proxy in IPVS mode) answering for it",
            source: packet(answers.last!.packet), packets: Array(answers.map(\.packet).prefix(16)),
            macs: claimants.map { state.claimants[$0].mac })]
    }

    private func staleNeighbours() -> [Verdict] {
        guard let latest = events.last(where: { $0.how != .asked }) ?? events.last else { return [] }
        let wire = mac(latest)
        return context.neighbours.filter { $0.address == address && $0.mac != wire }.map { entry in
            Verdict(code: .staleNeighbour, message:
                "this host's neighbour table maps \(address) to \(name(entry.mac)) (\(entry.state)" + (entry.device.map { " on \($0)" } ?? "")
                + ", \(entry.source)), but on the wire it was last claimed by \(name(wire)) at \(latest.time) (packet #\(latest.packet)): "
                + "this host sends to the old MAC until the entry is confirmed again or expires",
                source: packet(latest.packet), packets: [latest.packet], macs: [entry.mac, wire])
        }
    }
}
