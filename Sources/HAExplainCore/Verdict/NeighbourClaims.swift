import HAModel

/// Which MAC a host sends an address's traffic to, and who that MAC is: what an
/// application server's ARP entry says about the owner, and whether it still points at the
/// node that is master now.
public struct NeighbourMatch: Codable, Sendable, Equatable {
    /// The host whose neighbour table holds the entry.
    public var host: String
    public var dev: String?
    public var lladdr: String?
    public var state: [String]
    /// Who the MAC belongs to: a node's host name, else the VRRP sender's address.
    public var node: String?
    public var nodeAddress: IPAddress?
    /// How it was identified: "interface" (a snapshot's or this host's interface MAC),
    /// "vrrp_sender" (the source MAC of adverts heard), "vrrp_virtual_mac", "neighbour_entry"
    /// (the MAC the same host has for another address, such as the node's own).
    public var identifiedBy: String?
    /// The VRID the MAC stands for (its virtual MAC, or the adverts it sends).
    public var vrid: Int?
    /// Whether it is the current owner's MAC; nil when the owner is not known.
    public var pointsAtOwner: Bool?

    enum CodingKeys: String, CodingKey {
        case host, dev, lladdr, state, node, nodeAddress = "node_address", identifiedBy = "identified_by", vrid
        case pointsAtOwner = "points_at_owner"
    }
}

/// The neighbour-table part of the verdict: evidence, warnings and the structured matches.
public enum NeighbourClaims {
    public struct Findings: Sendable {
        public var matches: [NeighbourMatch] = []
        public var evidence: [Evidence] = []
        public var warnings: [String] = []
    }

    /// A MAC's owner as the other sources know it.
    struct Identity {
        var node: String?
        var address: IPAddress?
        var by: String
        var vrid: Int?
        /// "VRRP master of VRID 200", "advertises VRID 200 at priority 99, not master", ...
        var role: String?
    }

    /// `holders` are the hosts that have the address assigned: their tables cannot hold it.
    public static func findings(_ address: IPAddress, hosts: [ExaminedHost], verdict: Verdict, routers: [VRRPCensusReport.Router],
                                holders: Set<String>) -> Findings {
        var result = Findings()
        let source = Source.netlink("RTM_GETNEIGH")
        for host in hosts where !holders.contains(host.hostname) {
            guard let table = host.neighbours else { continue }
            let subject = host.isLocal ? "this host" : host.hostname
            let entries = table.entries(for: address)
            if entries.isEmpty, host.isLocal, onLink(address, host.addresses) {
                result.evidence.append(Evidence(source, "this host has no neighbour entry for \(address): it has not sent to it lately", host: host.hostname))
            }
            for entry in entries {
                let on = "neighbour entry on \(entry.dev ?? "if\(entry.ifindex)"), \(entry.state.isEmpty ? "NONE" : entry.state.joined(separator: ","))"
                guard let mac = entry.lladdr, entry.isUsable else {
                    result.matches.append(NeighbourMatch(host: host.hostname, dev: entry.dev, lladdr: entry.lladdr, state: entry.state))
                    result.evidence.append(Evidence(source, "\(subject) has no MAC for \(address) (\(on))", host: host.hostname))
                    if entry.isUnresolved {
                        result.warnings.append(unresolved(subject, address, entry, ownerKnown: verdict.owner == .peer || verdict.owner == .local))
                    }
                    continue
                }
                let identity = identify(mac, family: address.family, hosts: hosts, except: host.hostname, routers: routers, verdict: verdict)
                    ?? sameMAC(mac, as: address, in: table, verdict: verdict)
                let owner = ownerMatch(mac, identity, verdict)
                result.matches.append(NeighbourMatch(host: host.hostname, dev: entry.dev, lladdr: mac, state: entry.state,
                                                     node: identity?.node ?? identity?.address?.description, nodeAddress: identity?.address,
                                                     identifiedBy: identity?.by, vrid: identity?.vrid, pointsAtOwner: owner))
                let who = identity.map { id in
                    guard let name = id.node ?? id.address?.description else { return " = " + (id.role ?? "a node") }
                    return " = " + name + (id.role.map { " (\($0))" } ?? "")
                } ?? ", which no interface, advert or VRRP virtual MAC known here identifies"
                result.evidence.append(Evidence(source, "\(subject) sends \(address) to \(mac)\(who); \(on)", host: host.hostname))
                if owner == false {
                    result.warnings.append(stale(subject, address, mac, identity, entry, verdict))
                }
            }
        }
        return result
    }

    /// Who `mac` is: a known node's interface, a VRRP sender heard on the wire, or a VRRP
    /// virtual MAC.
    static func identify(_ mac: String, family: AddressFamily, hosts: [ExaminedHost], except: String,
                         routers: [VRRPCensusReport.Router], verdict: Verdict) -> Identity? {
        let wanted = mac.lowercased()
        let sent = routers.filter { router in router.senders.contains { $0.mac?.description == wanted } }
        let role: String? = {
            if let master = sent.first(where: { $0.master?.mac?.description == wanted }) {
                return "VRRP master of VRID \(master.vrid)"
            }
            if let router = sent.first, let sender = router.senders.first(where: { $0.mac?.description == wanted }) {
                return "advertises VRID \(router.vrid) at priority \(sender.priority), not master"
            }
            return nil
        }()
        for host in hosts where host.hostname != except {
            for interface in host.addresses?.interfaces ?? [] where interface.address?.lowercased() == wanted {
                let own = interface.addrInfo.first { $0.family == family && $0.scope == "global" && !$0.isSecondary }?.local
                let isOwner = verdict.ownerHost == host.hostname && (verdict.owner == .peer || verdict.owner == .local)
                let nodeRole = role ?? (isOwner ? verdict.vrid.map { "VRRP master of VRID \($0)" } ?? "holds the address" : nil)
                return Identity(node: host.hostname, address: own, by: "interface", vrid: sent.first?.vrid ?? (isOwner ? verdict.vrid : nil), role: nodeRole)
            }
        }
        if let router = sent.first, let sender = router.senders.first(where: { $0.mac?.description == wanted }) {
            return Identity(node: nil, address: sender.address, by: "vrrp_sender", vrid: router.vrid, role: role)
        }
        if let virtual = VRRPVirtualMAC.router(wanted), virtual.family == family {
            return Identity(node: nil, address: nil, by: "vrrp_virtual_mac", vrid: virtual.vrid,
                            role: "the VRRP virtual MAC of VRID \(virtual.vrid): whichever node is master answers to it")
        }
        return nil
    }

    /// A MAC the host's own table also has for another address (a node's own address, seen
    /// when it was resolved): the silent backup that was master before, say.
    static func sameMAC(_ mac: String, as address: IPAddress, in table: NeighbourTable, verdict: Verdict) -> Identity? {
        let wanted = mac.lowercased()
        guard let other = table.neighbours.first(where: { $0.dst != address && $0.dst.family == address.family && $0.isUsable && $0.lladdr?.lowercased() == wanted })
        else { return nil }
        let isOwner = verdict.ownerAddress == other.dst && (verdict.owner == .peer || verdict.owner == .local)
        return Identity(node: nil, address: other.dst, by: "neighbour_entry", vrid: isOwner ? verdict.vrid : nil,
                        role: isOwner ? verdict.vrid.map { "VRRP master of VRID \($0)" } : "its own neighbour entry has the same MAC")
    }

    /// Whether the entry leads to the current owner; nil when no owner is known to compare.
    static func ownerMatch(_ mac: String, _ identity: Identity?, _ verdict: Verdict) -> Bool? {
        guard verdict.owner == .peer || verdict.owner == .local else { return nil }
        if let identity, identity.by == "vrrp_virtual_mac" { return verdict.vrid == nil || identity.vrid == verdict.vrid }
        if let ownerMac = verdict.ownerMac { return ownerMac.lowercased() == mac.lowercased() }
        if let node = identity?.node, let ownerHost = verdict.ownerHost { return node == ownerHost }
        if let address = identity?.address, let ownerAddress = verdict.ownerAddress { return address == ownerAddress }
        return nil
    }

    static func stale(_ subject: String, _ address: IPAddress, _ mac: String, _ identity: Identity?, _ entry: NeighbourEntry, _ verdict: Verdict) -> String {
        let who = identity.flatMap { $0.node ?? $0.address?.description } ?? "a MAC no node known here has"
        let identity = [verdict.ownerAddress?.description, verdict.ownerMac].compactMap { $0 }.joined(separator: ", ")
        let owner = verdict.ownerHost.map { identity.isEmpty ? $0 : "\($0) (\(identity))" } ?? identity
        let what = address.family == .inet ? "ARP" : "neighbour"
        let recheck = entry.rawState & (NeighbourState.permanent | NeighbourState.noarp) != 0
            ? "the entry is static and will not change by itself: replace or delete it"
            : "traffic goes there until the entry is re-resolved"
        return "\(subject) sends \(address) to \(mac) (\(who)), but the owner now is \(owner.isEmpty ? "another node" : owner): a stale \(what) entry after a failover, or the new master's gratuitous \(what) never arrived; \(recheck)"
    }

    static func unresolved(_ subject: String, _ address: IPAddress, _ entry: NeighbourEntry, ownerKnown: Bool) -> String {
        let asked = address.family == .inet ? "ARP requests" : "neighbour solicitations"
        if entry.rawState & NeighbourState.failed != 0 {
            // FAILED lingers after an outage; with an owner known now, it resolves on next use.
            return ownerKnown
                ? "\(subject)'s neighbour entry for \(address) is FAILED: its \(asked) went unanswered at some point (an earlier outage?); the next packet asks again"
                : "\(subject)'s neighbour entry for \(address) is FAILED: nobody answered its \(asked), so traffic to \(address) goes nowhere (no node holds it on that link)"
        }
        return "\(subject)'s neighbour entry for \(address) is INCOMPLETE: its \(asked) have not been answered yet"
    }

    /// Whether `address` is inside a prefix of one of the host's interfaces (so it is reached
    /// directly, through a neighbour entry of its own).
    static func onLink(_ address: IPAddress, _ table: AddressTable?) -> Bool {
        table?.interfaces.contains { interface in
            interface.addrInfo.contains { $0.family == address.family && address.isInside($0.local, prefixLength: $0.prefixlen) }
        } ?? false
    }
}
