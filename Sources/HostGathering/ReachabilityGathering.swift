import Firewall
import HAExplainCore
import HAModel
import Netlink
import SystemFacts

/// This host's routes to the addresses asked about and its firewall ruleset, read in the
/// examined namespace; what cannot be read becomes a limit.
public enum ReachabilityGathering {
    public static func routes(_ addresses: [IPAddress], table: AddressTable?, netns: String?, limits: inout [Limit]) -> [RoutePath] {
        guard !addresses.isEmpty else { return [] }
        let names = Dictionary((table?.interfaces ?? []).map { ($0.ifindex, $0.ifname) }, uniquingKeysWith: { a, _ in a })
        let source = Source.netlink("RTM_GETROUTE (ip route get, fibmatch), RTM_GETRULE")
        do {
            let socket = try RouteSocketHandle(netns: netns)
            var paths: [RoutePath] = []
            for address in addresses {
                let found = try RouteQuery.lookup(address, socket: socket, interfaces: names)
                paths.append(RouteExplanation.path(address, route: found.route, fibEntry: found.fibEntry, refused: found.refused,
                                                   error: found.error, rules: found.rules,
                                                   source: source))
            }
            return paths
        } catch {
            limits.append(Limit(source: source, message: "the route to \(addresses.map(\.description).joined(separator: ", ")) could not be asked of the kernel: \(error.message)"))
            return []
        }
    }

    public static func firewall(netns: String?, limits: inout [Limit]) -> FirewallFacts? {
        let source = Source.netlink("nftables ruleset (libnftables, list ruleset)")
        do {
            let listing = try NftablesReader.read(netns: netns)
            return try FirewallRuleset.parse(json: listing.json, text: listing.text, source: source,
                                             legacyTables: listing.legacyTables)
        } catch {
            limits.append(Limit(source: source, message: "the firewall was not read, so no blocker can be named: \(error.message)"))
            return nil
        }
    }

    /// The ARP sysctls of each interface holding an IPv4 address, read in the namespace. A
    /// name with a dot (a VLAN) is left out: sysctl's dotted names cannot spell it.
    public static func arp(_ table: AddressTable, netns: String?) -> [ARPSettings] {
        func value(_ interface: String, _ name: String) -> Int? {
            try? NamespaceSysctl.integer("net.ipv4.conf.\(interface).\(name)", netns: netns)
        }
        let all = (value("all", "arp_ignore"), value("all", "arp_announce"), value("all", "rp_filter"))
        return table.interfaces.filter { interface in
            !interface.ifname.contains(".") && interface.addrInfo.contains { $0.family == .inet }
        }.map { interface in
            ARPSettings(interface: interface.ifname, arpIgnore: value(interface.ifname, "arp_ignore"),
                        arpAnnounce: value(interface.ifname, "arp_announce"), rpFilter: value(interface.ifname, "rp_filter"),
                        allArpIgnore: all.0, allArpAnnounce: all.1, allRpFilter: all.2)
        }
    }

    /// A live census where this host's own routers advertise: its firewall may be why no peer
    /// is heard, and then that is the reason given. Unchanged when the firewall or the
    /// addresses cannot be read.
    public static func explainSilentPeers(_ report: VRRPCensusReport, netns: String?) -> VRRPCensusReport {
        guard report.routers.contains(where: { !$0.senders.isEmpty }) else { return report }
        var limits: [Limit] = []
        guard let firewall = firewall(netns: netns, limits: &limits), let table = try? AddressReader.read(netns: netns) else { return report }
        let own = Set(table.interfaces.flatMap { $0.addrInfo.map(\.local) })
        return Blockers.explainSilentPeers(report, own: own, firewall: firewall, host: HostIdentity.hostname())
    }
}
