import HAModel
import KeepalivedConfig

/// Why the address is reachable, and what blocks it: its class, each host's route to it, and
/// the firewall rules that drop its VRRP or its traffic. Added to an answer after the verdict;
/// a VRRP blocker becomes the reason of a split brain, or of a node that hears no peer.
enum Reachability {
    static func annotate(_ answer: inout IPAnswer, input: IPEvidence, instances: [VRRPInstance], routers: [VRRPCensusReport.Router]) {
        let address = answer.address
        answer.addressClass = AddressClass.of(address, names: answer.names)

        var routes: [RoutePath] = []
        for host in input.hosts {
            for var path in host.routes ?? [] where path.address == address {
                path.host = host.hostname
                routes.append(path)
            }
        }
        answer.routes = routes.isEmpty ? nil : routes

        let configs = Dictionary((input.keepalived?.configs ?? []).map { ($0.node, $0.globalDefs) }, uniquingKeysWith: { a, _ in a })
        let facts = instances.map { instance in
            let defs = instance.node.flatMap { configs[$0] }
            return VRRPInstanceFacts(name: instance.name, node: instance.node, interface: instance.interface,
                                     addresses: (instance.virtualIpaddress + instance.virtualIpaddressExcluded).map(\.address),
                                     unicastPeers: instance.unicastPeer.compactMap { IPAddress($0) },
                                     strict: defs?.vrrpStrict ?? false, version: instance.version ?? defs?.vrrpVersion ?? 2,
                                     accept: instance.keywordLines.contains { $0.keyword == "accept" })
        }
        // The peers: who was heard for the address, and the other nodes' own addresses.
        var peers = routers.flatMap { $0.senders.map(\.address) }
        for instance in instances {
            guard let host = input.hosts.first(where: { $0.hostname == instance.node }), let table = host.addresses else { continue }
            for interface in table.interfaces where instance.interface == nil || interface.ifname == instance.interface {
                peers += interface.addrInfo.filter { $0.family == address.family && $0.scope == "global" && !$0.isSecondary && $0.local != address }.map(\.local)
            }
        }
        peers = Array(Set(peers)).sorted()
        let blockers = Blockers.find(address, hosts: input.hosts, instances: facts, peers: peers)
        answer.blockers = blockers.isEmpty ? nil : blockers

        for host in input.hosts {
            guard let firewall = host.firewall else { continue }
            if !firewall.legacyTables.isEmpty {
                answer.limits.append(Limit(source: firewall.source, message: "legacy iptables tables (\(firewall.legacyTables.joined(separator: ", "))) are loaded on \(host.hostname); libnftables cannot list them, so their rules were not judged (see `iptables-legacy -S`)"))
            }
        }
        answer.warnings += ARPJudgement.warnings(address, hosts: input.hosts, instances: facts)
        for blocker in blockers where blocker.kind != .vrrp {
            answer.warnings.append(blocker.sentence)
        }
        // A VRRP blocker is the reason a split brain happens, or a node hears no peer.
        let vrrp = blockers.filter { $0.kind == .vrrp }
        guard !vrrp.isEmpty else { return }
        // A master that holds the address while the wire shows another master cannot hear it:
        // a split brain the census has not yet had time to name.
        let local = input.hosts.first { $0.isLocal }
        let otherMaster = answer.verdict.owner == .local && routers.compactMap(\.master).contains { master in
            local?.addresses?.assignments(of: master.address).isEmpty != false
        }
        if answer.verdict.owner == .conflict || otherMaster {
            let because = vrrp.map { "\($0.rule) (\($0.location) on \($0.host))" }.joined(separator: "; ")
            answer.verdict.reason += answer.verdict.owner == .conflict
                ? "; likely cause: the firewall drops VRRP: \(because)"
                : "; two masters: this host holds it while the wire shows another master it cannot hear, likely because the firewall drops VRRP: \(because)"
        }
        answer.warnings += vrrp.map(\.sentence)
    }
}

/// The text of an answer's class, routes and blockers, read from the answer as it is.
enum ReachabilityText {
    static func fields(_ answer: IPAnswer) -> String {
        var out = ""
        if let kind = answer.addressClass {
            out += IPReportText.field("class", ["\(kind.kind.rawValue.replacingUnderscores()) (\(kind.rfc), \(kind.block)): \(kind.meaning)"]
                + (kind.nameNote.map { [$0] } ?? []))
        }
        out += IPReportText.field("route", (answer.routes ?? []).map { path in
            "\(path.host.map { "from \($0): " } ?? "")\(path.summary) [\(path.source)]"
        })
        out += IPReportText.field("blocker", (answer.blockers ?? []).map { "\($0.host): \($0.rule) (\($0.location), \($0.direction))" })
        return out
    }
}

extension String {
    func replacingUnderscores() -> String { String(map { $0 == "_" ? " " : $0 }) }
}
