import HAModel
import VRRP

/// What `ip` knows beside the wire, for the link-layer census: the addresses asked, the
/// hosts in view (this one, and the snapshots'), with their interfaces' MACs, the
/// addresses they hold and this host's neighbour entries.
public struct LinkLayerHosts: Sendable {
    public var asked: [IPAddress]
    public var hosts: [HostView]

    public init(asked: [IPAddress], hosts: [HostView]) {
        self.asked = asked
        self.hosts = hosts
    }
}

extension LinkLayerContext {
    /// Adds the asked addresses, the hosts' MACs as nodes, which hosts hold each address and
    /// this host's neighbour entries for them.
    public mutating func add(_ view: LinkLayerHosts) {
        for address in view.asked where !addresses.contains(address) { addresses.append(address) }
        for host in view.hosts {
            for interface in host.addresses?.interfaces ?? [] where interface.linkType == "ether" {
                guard let mac = interface.address.flatMap(MACAddress.init), mac.value != 0, nodes[mac] == nil else { continue }
                nodes[mac] = "\(host.hostname) \(interface.ifname)"
            }
        }
        var held: [IPAddress: [String]] = self.held ?? [:]
        for address in addresses {
            held[address] = view.hosts.filter { !($0.addresses?.assignments(of: address).isEmpty ?? true) }.map(\.hostname)
        }
        self.held = held
        guard let local = view.hosts.first(where: \.isLocal), let table = local.neighbours else { return }
        for entry in table.neighbours where addresses.contains(entry.dst) {
            guard let mac = entry.lladdr.flatMap(MACAddress.init) else { continue }
            neighbours.append(Neighbour(address: entry.dst, mac: mac, state: entry.state.joined(separator: ","), device: entry.dev,
                                        source: table.source))
        }
    }
}

extension LinkLayerReport {
    /// With this host alone in view, an answer from a MAC no host in view has cannot be told
    /// from its owner's: `answered_from_nowhere` then stands only when every MAC it names is
    /// a host in view (which does not hold the address: proxy ARP here).
    public func keepingCertainAnswersFromNowhere(_ view: LinkLayerHosts, nodes: [MACAddress: String]) -> LinkLayerReport {
        guard view.hosts.count == 1 else { return self }
        var report = self
        for index in report.addresses.indices {
            report.addresses[index].verdicts.removeAll { verdict in
                verdict.code == .answeredFromNowhere && !verdict.macs.allSatisfy { nodes[$0] != nil }
            }
        }
        return report
    }
}
