import HAModel

/// The sysctls that decide whether a host answers ARP for an address on an interface
/// (net.ipv4.conf.IFACE.* and net.ipv4.conf.all.*; the kernel uses the larger of the two).
public struct ARPSettings: Codable, Sendable, Equatable {
    public var interface: String
    public var arpIgnore: Int?
    public var arpAnnounce: Int?
    public var rpFilter: Int?
    public var allArpIgnore: Int?
    public var allArpAnnounce: Int?
    public var allRpFilter: Int?

    public init(interface: String, arpIgnore: Int?, arpAnnounce: Int?, rpFilter: Int?, allArpIgnore: Int?, allArpAnnounce: Int?, allRpFilter: Int?) {
        self.interface = interface
        self.arpIgnore = arpIgnore
        self.arpAnnounce = arpAnnounce
        self.rpFilter = rpFilter
        self.allArpIgnore = allArpIgnore
        self.allArpAnnounce = allArpAnnounce
        self.allRpFilter = allRpFilter
    }

    enum CodingKeys: String, CodingKey {
        case interface, arpIgnore = "arp_ignore", arpAnnounce = "arp_announce", rpFilter = "rp_filter"
        case allArpIgnore = "all_arp_ignore", allArpAnnounce = "all_arp_announce", allRpFilter = "all_rp_filter"
    }

    /// What the kernel applies: max(all, interface), as it does for these three.
    public var effectiveArpIgnore: Int { max(arpIgnore ?? 0, allArpIgnore ?? 0) }
    public var effectiveArpAnnounce: Int { max(arpAnnounce ?? 0, allArpAnnounce ?? 0) }
    public var effectiveRpFilter: Int { max(rpFilter ?? 0, allRpFilter ?? 0) }

    /// "arp_ignore=2 (all 0, eth2 2)".
    func describe(_ name: String, _ effective: Int, _ all: Int?, _ own: Int?) -> String {
        "\(name)=\(effective) (net.ipv4.conf.all.\(name)=\(all.map(String.init) ?? "?"), net.ipv4.conf.\(interface).\(name)=\(own.map(String.init) ?? "?"))"
    }
}

/// Warnings for sysctls that make a host ignore ARP for an address it holds, or answer ARP
/// for it where keepalived does not manage it. Pure.
enum ARPJudgement {
    static func warnings(_ address: IPAddress, hosts: [ExaminedHost], instances: [VRRPInstanceFacts]) -> [String] {
        guard address.family == .inet else { return [] }
        var warnings: [String] = []
        for host in hosts {
            guard let table = host.addresses, !(host.arp ?? []).isEmpty else { continue }
            for (interface, assigned) in table.assignments(of: address) {
                guard let settings = host.arp?.first(where: { $0.interface == interface.ifname }) else { continue }
                let ignore = settings.effectiveArpIgnore
                let said = settings.describe("arp_ignore", ignore, settings.allArpIgnore, settings.arpIgnore)
                if ignore == 2, assigned.prefixlen == 32 {
                    warnings.append("\(host.hostname) ignores ARP requests for \(address) on \(interface.ifname): \(said) answers only senders inside the target address's subnet, and a /32 has none, so neighbours cannot resolve it there")
                } else if ignore >= 4 {
                    warnings.append("\(host.hostname) never answers ARP on \(interface.ifname), where \(address) is assigned: \(said)")
                }
                // Held on an interface keepalived does not put it on (lo, say): with arp_ignore 0
                // the host answers ARP for it on every interface, a second answerer beside the master.
                let managed = instances.filter { $0.node == host.hostname && $0.addresses.contains(address) }
                if ignore == 0, !managed.isEmpty, !managed.contains(where: { $0.interface == interface.ifname }) {
                    warnings.append("\(host.hostname) answers ARP for \(address) on every interface (\(said)) because it is assigned on \(interface.ifname), where keepalived does not manage it: set arp_ignore=1 or remove it there")
                }
                // The same stray address is also a source the kernel may put in the ARP requests
                // it sends on keepalived's interface (arp_announce 0: any local address), teaching
                // neighbours that the VIP is at this host's MAC while another node is master.
                for name in Set(managed.compactMap(\.interface)) where name != interface.ifname {
                    guard let out = host.arp?.first(where: { $0.interface == name }), out.effectiveArpAnnounce == 0 else { continue }
                    let announce = out.describe("arp_announce", 0, out.allArpAnnounce, out.arpAnnounce)
                    warnings.append("\(host.hostname) may announce \(address) from its own MAC on \(name) (\(announce)) because it is assigned on \(interface.ifname), where keepalived does not manage it: its ARP requests can carry it as their source, so neighbours send the VIP here; set arp_announce=2 on \(name) or remove it there")
                }
            }
        }
        return warnings
    }
}
