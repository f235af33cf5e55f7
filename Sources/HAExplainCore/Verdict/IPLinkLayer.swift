import HAModel
import VRRP

/// What ARP and Neighbour Discovery on the wire say about an address `ip` is asked about:
/// who claimed it, and whether that makes its owner a conflict. Kept apart from IPExplainer
/// (one call there), so the hosts' shape and the wire's can change independently.
public enum LinkLayerClaims {
    /// The context `ip` judges the link-layer census in: the asked addresses; VRRP's masters
    /// from the wire; every interface MAC of the hosts in view as a node; which host holds
    /// which address (when every host in view's addresses are known), and with one host in
    /// view, that only its own MACs' addresses are known (it cannot tell an address held by a
    /// host out of view from one answered from nowhere); and this host's neighbour entries
    /// for the asked addresses. `names` names a node's address
    /// (a hosts file), so a VRRP sender reads as the node it is.
    public static func context(addresses: [IPAddress], wire: VRRPCensusReport?, hosts: [ExaminedHost],
                               names: [IPAddress: String] = [:], capturesLinkLayer: Bool = false) -> LinkLayerContext {
        var context = wire.map { LinkLayerContext(vrrp: $0, capturesLinkLayer: capturesLinkLayer) }
            ?? LinkLayerContext(addresses: [], capturesLinkLayer: capturesLinkLayer)
        context.addresses = addresses
        // A VRRP sender's node reads as the name its address has (from the senders, not by
        // parsing the node's text back into an address).
        for sender in (wire?.routers ?? []).flatMap(\.senders) {
            guard let mac = sender.mac, let name = names[sender.address], context.nodes[mac] == LinkLayerContext.senderNode(sender.address) else { continue }
            context.nodes[mac] = "\(LinkLayerContext.senderNode(sender.address)), \(name)"
        }
        var held: [IPAddress: [String]] = [:]
        var macs: Set<MACAddress> = []
        for host in hosts {
            for interface in host.addresses?.interfaces ?? [] {
                if let mac = interface.address.flatMap(MACAddress.init), mac.value != 0 {
                    context.nodes[mac] = "\(interface.ifname) of \(host.hostname)"
                    macs.insert(mac)
                }
                for assigned in interface.addrInfo {
                    if !(held[assigned.local]?.contains(host.hostname) ?? false) { held[assigned.local, default: []].append(host.hostname) }
                    if addresses.contains(assigned.local), let mac = interface.address.flatMap(MACAddress.init), mac.value != 0 {
                        context.holders[assigned.local, default: [:]][mac] = "\(interface.ifname) of \(host.hostname)"
                    }
                }
            }
        }
        if hosts.allSatisfy({ $0.addresses != nil }) { context.held = held }
        if hosts.count == 1 { context.macsWithKnownAddresses = macs }
        if let table = hosts.first(where: \.isLocal)?.neighbours {
            context.neighbours = table.neighbours.compactMap { entry in
                guard addresses.contains(entry.dst), let mac = entry.lladdr.flatMap(MACAddress.init) else { return nil }
                return .init(address: entry.dst, mac: mac, state: entry.state.isEmpty ? "NONE" : entry.state.joined(separator: ","),
                             device: entry.dev, source: table.source)
            }
        }
        return context
    }

    /// The claims on the wire for `address` as evidence, its verdicts as warnings (a good
    /// announcement as evidence), and a duplicate's two MACs as the owner's conflict.
    static func explain(_ address: IPAddress, linkLayer: LinkLayerReport?, hosts: [ExaminedHost] = [], verdict: inout Verdict) -> (evidence: [Evidence], warnings: [String]) {
        guard let entry = linkLayer?.addresses.first(where: { $0.address == address }) else { return ([], []) }
        var evidence: [Evidence] = []
        var warnings: [String] = []
        for claimant in entry.claimants {
            var how: [String] = []
            if claimant.announcements > 0 { how.append("\(claimant.announcements) announcement(s)") }
            if claimant.replies > 0 { how.append("\(claimant.replies) repl(ies)") }
            if claimant.asked > 0 { how.append("\(claimant.asked) request(s) sent from it") }
            evidence.append(Evidence(Source(kind: .packet, detail: "#\(claimant.lastPacket)"),
                "on the wire, \(claimant.mac)\(claimant.node.map { " (\($0))" } ?? "") claimed \(address): \(how.joined(separator: ", ")), packets #\(claimant.firstPacket)..#\(claimant.lastPacket)"))
        }
        for found in entry.verdicts {
            if found.code == .garpAfterFailover {
                evidence.append(Evidence(found.source, found.message))
            } else {
                warnings.append("\(found.code.rawValue): \(found.message)")
            }
        }
        if let duplicate = entry.verdicts.first(where: { $0.code == .duplicateAddress }) {
            // A MAC that claimed nothing on the wire is the holder's (a host in view holding it).
            let holder = duplicate.macs.first { mac in !entry.claimants.contains { $0.mac == mac } }
            let names = duplicate.macs.map { mac in
                (entry.claimants.first { $0.mac == mac }?.node ?? interfaceName(mac, holding: address, hosts)).map { "\(mac) (\($0))" } ?? mac.description
            }
            let reason = holder == nil
                ? "two MACs claim \(address) on the wire: \(names.joined(separator: " and ")) [\(duplicate.source)]"
                : "\(address) is held on \(names[0]) and claimed on the wire by \(names.dropFirst().joined(separator: " and ")) [\(duplicate.source)]"
            if verdict.owner == .conflict {
                verdict.reason += "; \(reason)"
            } else {
                verdict.owner = .conflict
                verdict.reason = reason
            }
        }
        return (evidence, warnings)
    }

    /// "eth2 of prod-haproxy-001": the interface of a host in view with `mac` that holds `address`.
    static func interfaceName(_ mac: MACAddress, holding address: IPAddress, _ hosts: [ExaminedHost]) -> String? {
        for host in hosts {
            for (interface, _) in host.addresses?.assignments(of: address) ?? [] where interface.address.flatMap(MACAddress.init) == mac {
                return "\(interface.ifname) of \(host.hostname)"
            }
        }
        return nil
    }
}
