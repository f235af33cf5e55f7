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

    /// The VRRP sender (by its own address) a MAC belongs to, when the packets say.
    func owner(_ mac: MACAddress) -> IPAddress? { context.owners[mac] }

    /// True when `mac` is the master's: its advert MAC, or another MAC of the same host.
    func isMaster(_ mac: MACAddress, _ master: LinkLayerContext.Mastership) -> Bool {
        mac == master.mac || (master.address != nil && owner(mac) == master.address)
    }

    /// The split brain (of a router listing the address) in which `mac`'s host acted as
    /// master at `time`: from a second before it was seen to the failover window after it healed.
    func split(of mac: MACAddress, at time: PacketTime) -> (router: LinkLayerContext.Router, split: LinkLayerContext.Split)? {
        for router in routers {
            for split in router.splits where time.nanoseconds >= split.since.nanoseconds &- LinkLayerCensus.slack.nanoseconds
                && time.nanoseconds <= split.until.nanoseconds &+ LinkLayerCensus.failoverWindow.nanoseconds {
                // The member must list the address (a VRID shared by two clusters is no split over it).
                if split.members.contains(where: { member in
                    (member.mac == mac || (owner(mac) != nil && owner(mac) == member.address))
                        && router.acting.contains { $0.address == member.address && $0.addresses.contains(address) }
                }) { return (router, split) }
            }
        }
        return nil
    }

    /// A claim by a sender that advertised as master at `time` while the census's master was
    /// another (a brief split brain: it missed the master's adverts, took over, then yielded).
    func contending(_ mac: MACAddress, at time: PacketTime) -> (router: LinkLayerContext.Router, acting: LinkLayerContext.Acting)? {
        let slack = LinkLayerCensus.slack.nanoseconds
        for router in routers {
            for span in router.acting where time.nanoseconds >= span.since.nanoseconds &- slack && time.nanoseconds <= span.until.nanoseconds &+ slack
                && (span.mac == mac && !virtual.contains(mac) || (owner(mac) != nil && owner(mac) == span.address)) {
                let masters = [time, PacketTime(nanoseconds: time.nanoseconds &- slack), PacketTime(nanoseconds: time.nanoseconds &+ slack)]
                    .compactMap { router.master(at: $0)?.address }
                // Both must list the address: senders of one VRID listing different addresses are
                // two clusters sharing it (a VRID collision), not a contention over this address.
                let listed = span.addresses.contains(address)
                    && router.acting.contains { $0.address == masters.first && $0.addresses.contains(address) }
                if listed, !masters.isEmpty, !masters.contains(span.address) { return (router, span) }
            }
        }
        return nil
    }

    func bothInSplit(_ a: MACAddress, _ b: MACAddress, at time: PacketTime) -> Bool {
        guard let first = split(of: a, at: time), let second = split(of: b, at: time) else { return false }
        return first.split == second.split
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
        let duplicates = duplicates()
        return failovers() + duplicates + claimedBesideHolder(besides: duplicates) + splitBrainClaims() + contentionClaims() + flux() + nonMasterClaims() + fromNowhere() + staleNeighbours()
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
                let announced = events.filter {
                    $0.how == .announcement && $0.time >= start && $0.time < windowEnd && (macs.contains(mac($0)) || isMaster(mac($0), to))
                }
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
                // The announcement may come any time in the window: judged only once the capture covered it.
                guard heard, end >= windowEnd else { continue }
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
                change.to.time.nanoseconds >= low && change.to.time.nanoseconds <= high
                    && (change.from.mac == earlier || (change.from.address != nil && owner(earlier) == change.from.address))
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
                      !explained(earlier: theirs, since: earlier.time, until: event.time),
                      owner(theirs) == nil || owner(theirs) != owner(mine),
                      !bothInSplit(theirs, mine, at: earlier.time), !bothInSplit(theirs, mine, at: event.time),
                      contending(theirs, at: earlier.time) == nil, contending(mine, at: event.time) == nil else { continue }
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
                + "(a leftover address, a second cluster, a rogue host), and clients follow whichever answered last"
                + (context.nodes[a] == nil || context.nodes[b] == nil
                    ? "; one host answering from two interfaces (ARP flux) looks the same until it is seen answering for its own address from both" : ""),
                source: packet(packets.last ?? state.lastPacket), packets: Array(packets.prefix(16)), macs: [a, b])
        }
    }

    /// A MAC claiming an address that a host in view holds on another interface, while it is
    /// no host in view's, no VRRP sender's and no virtual MAC: a second host holds the address.
    /// A holder's kernel answers no probe of its own and announces only when it takes the
    /// address, so from the holder this claim is all there is to see of a duplicate.
    private func claimedBesideHolder(besides found: [Verdict]) -> [Verdict] {
        guard let holders = context.holders[address], let holder = holders.keys.min(by: { $0.value < $1.value }) else { return [] }
        var packets: [MACAddress: [Int]] = [:]
        var order: [MACAddress] = []
        for event in events where event.how != .asked {
            let mine = mac(event)
            guard holders[mine] == nil, !virtual.contains(mine), context.nodes[mine] == nil, owner(mine) == nil,
                  !found.contains(where: { $0.macs.contains(mine) }) else { continue }
            if packets[mine] == nil { order.append(mine) }
            packets[mine, default: []].append(event.packet)
        }
        let held = holders.keys.sorted { $0.value < $1.value }.map { "\($0) (\(holders[$0]!))" }.joined(separator: " and ")
        return order.map { stranger in
            let list = packets[stranger]!
            return Verdict(code: .duplicateAddress, message:
                "\(address) is held on \(held), yet \(name(stranger)) claimed it \(list.count) time(s) (packets \(Self.list(list))): "
                + "a MAC of no host in view and of no VRRP sender, so a second host holds the address (a leftover address, a second cluster, "
                + "a rogue host), and clients follow whichever answered last",
                source: packet(list.last!), packets: Array(list.prefix(16)), macs: [holder, stranger])
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
                    if self.isMaster(mine, master) { isMaster = true }
                    if known == nil, time == event.time { known = (master, router) }
                }
            }
            guard !isMaster, split(of: mine, at: event.time) == nil, contending(mine, at: event.time) == nil,
                  let (master, router) = known else { continue }
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

    /// Claims by two masters of a VRRP split brain: what a split brain does, said as such.
    private func splitBrainClaims() -> [Verdict] {
        var found: [(router: LinkLayerContext.Router, split: LinkLayerContext.Split, events: [LinkClaimEvent])] = []
        for event in events where event.how != .asked {
            guard let (router, split) = split(of: mac(event), at: event.time) else { continue }
            if let index = found.firstIndex(where: { $0.router == router && $0.split == split }) {
                found[index].events.append(event)
            } else {
                found.append((router, split, [event]))
            }
        }
        return found.compactMap { router, split, claims in
            let macs = Set(claims.map(mac)).sorted { $0.value < $1.value }
            guard macs.count > 1, let last = claims.last else { return nil }
            return Verdict(code: .claimedDuringSplitBrain, message:
                "during the split brain of \(router.what) (\(split.members.map { $0.address.description }.joined(separator: " and ")) both advertising as master, "
                + "\(split.since) to \(split.until)), \(macs.map(name).joined(separator: " and ")) each claimed \(address) (packets \(Self.list(claims.map(\.packet)))): "
                + "two claimants are what a split brain does, not another host taking the address; clients follow whichever announced last, "
                + "here \(name(mac(last))) at \(last.time) (packet #\(last.packet))",
                source: packet(last.packet), packets: Array(claims.map(\.packet).prefix(16)), macs: macs)
        }
    }

    /// Claims by a sender that briefly advertised as master beside the census's master (too
    /// short for a split_brain verdict): the VRRP contention's doing, said with both named.
    private func contentionClaims() -> [Verdict] {
        var found: [(router: LinkLayerContext.Router, acting: LinkLayerContext.Acting, events: [LinkClaimEvent])] = []
        for event in events where event.how != .asked && split(of: mac(event), at: event.time) == nil {
            guard let (router, acting) = contending(mac(event), at: event.time) else { continue }
            if let index = found.firstIndex(where: { $0.router == router && $0.acting == acting }) {
                found[index].events.append(event)
            } else {
                found.append((router, acting, [event]))
            }
        }
        return found.map { router, acting, claims in
            let master = router.master(at: acting.since) ?? router.master(at: claims[0].time)
            let macs = (Set(claims.map(mac)).sorted { $0.value < $1.value }) + [master?.mac].compactMap { $0 }
            return Verdict(code: .claimedDuringSplitBrain, message:
                "VRRP sender \(acting.address) advertised \(router.what) as master from \(acting.since) to \(acting.until) while \(master.map(name) ?? "another") was master "
                + "(a brief split brain: it missed the master's adverts), and \(Set(claims.map(mac)).sorted { $0.value < $1.value }.map(name).joined(separator: " and ")) "
                + "claimed \(address) meanwhile (packets \(Self.list(claims.map(\.packet)))): clients that heard it sent to it until the master announced again; "
                + "not another host taking the address",
                source: packet(claims.last!.packet), packets: Array(claims.map(\.packet).prefix(16)), macs: macs)
        }
    }

    /// One host claiming the address from two of its MACs: two interfaces on one link
    /// answering (ARP flux), or its real MAC beside VRRP's virtual MAC.
    private func flux() -> [Verdict] {
        var byOwner: [IPAddress: [MACAddress: [Int]]] = [:]
        var order: [IPAddress] = []
        for event in events where event.how != .asked {
            let mine = mac(event)
            var host = owner(mine)
            if host == nil, virtual.contains(mine) {
                host = routers.lazy.compactMap { $0.master(at: event.time)?.address }.first
            }
            guard let host else { continue }
            if byOwner[host] == nil { order.append(host) }
            byOwner[host, default: [:]][mine, default: []].append(event.packet)
        }
        return order.compactMap { host in
            let macs = byOwner[host]!
            guard macs.count > 1 else { return nil }
            let sorted = macs.keys.sorted { $0.value < $1.value }
            let packets = macs.values.flatMap { $0 }.sorted()
            let vmac = sorted.contains(where: virtual.contains)
            return Verdict(code: .arpFlux, message:
                "\(address) was claimed by \(sorted.map(name).joined(separator: " and ")), all of one host (VRRP sender \(host): each MAC is its advert's or answered for \(host) itself; packets \(Self.list(packets))): "
                + (vmac ? "its real MAC answers beside the virtual MAC, so clients that learn the real MAC do not follow the virtual one"
                        : "two of its interfaces answer ARP on one link (Linux answers on any interface unless arp_ignore/arp_filter say otherwise)")
                + "; not a duplicate, but clients split between the MACs",
                source: packet(packets.last!), packets: Array(packets.prefix(16)), macs: sorted)
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
        if let known = context.macsWithKnownAddresses, !claimants.allSatisfy({ known.contains(state.claimants[$0].mac) }) { return [] }
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
