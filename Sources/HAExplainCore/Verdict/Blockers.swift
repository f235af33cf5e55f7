import HAModel

/// A firewall rule (or a chain's drop policy) that drops what an address needs: the VRRP
/// adverts between its nodes, or the traffic to it.
public struct Blocker: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// VRRP adverts (IP protocol 112) in or out: the nodes cannot hear each other.
        case vrrp
        /// keepalived's own drop of traffic to its VIPs (vrrp_strict or no `accept`).
        case keepalivedStrict = "keepalived_strict"
        /// Traffic to the address (and haproxy's ports on it).
        case service
    }

    public var kind: Kind
    public var host: String
    /// input or output: which way the dropped packets travel on `host`.
    public var direction: String
    public var family: String
    public var table: String
    public var chain: String
    /// The rule's handle; nil when the chain's policy drops it.
    public var handle: Int?
    /// The rule as nft prints it, or "policy drop".
    public var rule: String
    /// The vrrp_instance whose configuration explains it (keepalived's own rules).
    public var instance: String?
    public var sentence: String

    /// "table inet filter, chain input, handle 3".
    public var location: String {
        "table \(family) \(table), chain \(chain)" + (handle.map { ", handle \($0)" } ?? "")
    }
}

/// One packet the address depends on, as the firewall would see it.
struct JudgedPacket {
    var family: AddressFamily
    var protocolNumber: Int
    var source: IPAddress?
    var destination: IPAddress?
    var port: Int?
    /// input or output.
    var direction: String
    var interface: String?
}

/// Walks a host's nftables chains the way the kernel would for one packet: each base chain on
/// the packet's hook, rules in order, jumps followed, the policy at the end. Pure.
enum FirewallWalk {
    enum Outcome {
        case accepted
        case dropped(FirewallChain, FirewallRule?)
        case passed
    }

    static let protocolNumbers = ["icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51,
                                  "icmpv6": 58, "ipv6-icmp": 58, "vrrp": 112, "sctp": 132]

    static func hooks(_ direction: String) -> Set<String> {
        direction == "input" ? ["input", "prerouting"] : ["output", "postrouting"]
    }

    static func applies(_ chain: FirewallChain, to family: AddressFamily) -> Bool {
        switch chain.family {
        case "inet": true
        case "ip": family == .inet
        case "ip6": family == .inet6
        default: false
        }
    }

    /// Every base chain's decision; a drop in any table drops the packet.
    static func drops(_ facts: FirewallFacts, _ packet: JudgedPacket) -> [(FirewallChain, FirewallRule?)] {
        var found: [(FirewallChain, FirewallRule?)] = []
        let byName = Dictionary(facts.chains.map { ("\($0.family) \($0.table) \($0.name)", $0) }, uniquingKeysWith: { a, _ in a })
        let hookSet = hooks(packet.direction)
        for chain in facts.chains where chain.hook.map(hookSet.contains) == true && applies(chain, to: packet.family) {
            switch walk(chain, packet, byName, depth: 0) {
            case .dropped(let decided, let rule): found.append((decided, rule))
            case .passed:
                if chain.policy == "drop" { found.append((chain, nil)) }
            case .accepted: break
            }
        }
        return found
    }

    static func walk(_ chain: FirewallChain, _ packet: JudgedPacket, _ chains: [String: FirewallChain], depth: Int) -> Outcome {
        guard depth < 16 else { return .passed }
        // A rule with a condition that cannot be judged (a client's address, an interface
        // name, a rate limit) is passed over: a blocker is named only when it surely matches.
        for rule in chain.rules where matches(rule, packet) == true {
            switch rule.verdict {
            case "accept":
                return .accepted
            case "drop", "reject":
                return .dropped(chain, rule)
            case "jump", "goto":
                guard let target = rule.target, let next = chains["\(chain.family) \(chain.table) \(target)"] else { continue }
                let outcome = walk(next, packet, chains, depth: depth + 1)
                if case .passed = outcome, rule.verdict == "jump" { continue }
                return outcome
            case "return":
                return .passed
            default:
                continue
            }
        }
        return .passed
    }

    /// true: every condition holds; false: one does not; nil: one could not be judged.
    static func matches(_ rule: FirewallRule, _ packet: JudgedPacket) -> Bool? {
        var result: Bool? = true
        for condition in rule.conditions {
            switch holds(condition, packet) {
            case false: return false
            case nil: result = nil
            default: break
            }
        }
        return result
    }

    static func holds(_ condition: FirewallCondition, _ packet: JudgedPacket) -> Bool? {
        let field = condition.field
        // A field of the other family never matches (nft adds the family check itself).
        if field.hasPrefix("ip "), packet.family != .inet { return false }
        if field.hasPrefix("ip6 "), packet.family != .inet6 { return false }
        let member: Bool?
        switch field {
        case "ip protocol", "meta l4proto", "ip6 nexthdr":
            member = condition.values.contains { (protocolNumbers[$0] ?? Int($0)) == packet.protocolNumber }
        case "ip saddr", "ip6 saddr":
            guard let source = packet.source else { return nil }
            member = contains(condition.values, source)
        case "ip daddr", "ip6 daddr":
            guard let destination = packet.destination else { return nil }
            member = contains(condition.values, destination)
        case "tcp dport", "udp dport", "th dport", "sctp dport":
            let wanted = field.hasPrefix("tcp") ? 6 : field.hasPrefix("udp") ? 17 : field.hasPrefix("sctp") ? 132 : nil
            if let wanted, wanted != packet.protocolNumber { return false }
            if wanted == nil, packet.protocolNumber != 6, packet.protocolNumber != 17 { return false }
            guard let port = packet.port else { return nil }
            member = condition.values.contains { inRange($0, port) }
        case "tcp sport", "udp sport", "th sport":
            let wanted = field.hasPrefix("tcp") ? 6 : field.hasPrefix("udp") ? 17 : nil
            if let wanted, wanted != packet.protocolNumber { return false }
            return nil
        case "meta nfproto":
            member = condition.values.contains(packet.family == .inet ? "ipv4" : "ipv6")
        case "ct state":
            // Adverts and a client's first packet are new connections to conntrack.
            member = condition.values.contains("new")
        case "meta iifname", "meta oifname", "iifname", "oifname":
            guard let interface = packet.interface else { return nil }
            member = condition.values.contains(interface)
        default:
            return nil
        }
        switch condition.op {
        case "==", "in": return member
        case "!=": return member.map { !$0 }
        default: return nil
        }
    }

    static func contains(_ values: [String], _ address: IPAddress) -> Bool {
        values.contains { value in
            if let slash = value.firstIndex(of: "/"), let network = IPAddress(value[..<slash]),
               let length = Int(value[value.index(after: slash)...]) {
                return address.isInside(network, prefixLength: length)
            }
            if let dash = value.firstIndex(of: "-"), let low = IPAddress(value[..<dash]), let high = IPAddress(value[value.index(after: dash)...]) {
                return low <= address && address <= high
            }
            return IPAddress(value) == address
        }
    }

    static func inRange(_ value: String, _ port: Int) -> Bool {
        if let dash = value.firstIndex(of: "-"), let low = Int(value[..<dash]), let high = Int(value[value.index(after: dash)...]) {
            return low <= port && port <= high
        }
        return Int(value) == port
    }
}

/// Which firewall rules on which hosts block an address: VRRP between its nodes, keepalived's
/// own drops, and traffic to haproxy's frontends on it.
public enum Blockers {
    public static let vrrpMulticast4 = IPAddress("224.0.0.18")!
    public static let vrrpMulticast6 = IPAddress("ff02::12")!

    public static func find(_ address: IPAddress, hosts: [ExaminedHost], instances: [VRRPInstanceFacts], peers: [IPAddress]) -> [Blocker] {
        var found: [Blocker] = []
        var allPorts: [ServingPort] = []
        for host in hosts {
            for port in servingPorts(address, host: host) where !allPorts.contains(where: { $0.port == port.port }) { allPorts.append(port) }
        }
        for host in hosts {
            guard let firewall = host.firewall else { continue }
            let mine = instances.filter { $0.node == host.hostname }
            let own = Set(host.addresses?.interfaces.flatMap { $0.addrInfo.map(\.local) } ?? [])
            let others = peers.filter { !own.contains($0) }
            for instance in mine {
                let group = address.family == .inet ? vrrpMulticast4 : vrrpMulticast6
                let destinations = instance.unicastPeers.isEmpty ? [group] : instance.unicastPeers
                // Adverts coming in, from each peer known (or from anyone), and going out.
                for source in (others.isEmpty ? [nil] : others.map(Optional.some)) {
                    let packet = JudgedPacket(family: address.family, protocolNumber: 112, source: source,
                                              destination: instance.unicastPeers.isEmpty ? group : nil, port: nil,
                                              direction: "input", interface: instance.interface)
                    for (chain, rule) in FirewallWalk.drops(firewall, packet) {
                        let from = source.map { " from \($0)" } ?? ""
                        found.append(blocker(.vrrp, host: host.hostname, "input", chain, rule, instance: instance.name,
                            "\(describe(chain, rule)) drops the VRRP adverts\(from) arriving at \(host.hostname) (vrrp_instance \(instance.name)): \(host.hostname) cannot hear its peer and makes itself master too, the likely cause of a split brain or of 'no peer heard'"))
                    }
                }
                for destination in destinations {
                    let packet = JudgedPacket(family: address.family, protocolNumber: 112, source: nil, destination: destination,
                                              port: nil, direction: "output", interface: instance.interface)
                    for (chain, rule) in FirewallWalk.drops(firewall, packet) {
                        found.append(blocker(.vrrp, host: host.hostname, "output", chain, rule, instance: instance.name,
                            "\(describe(chain, rule)) drops the VRRP adverts \(host.hostname) sends to \(destination) (vrrp_instance \(instance.name)): its peers cannot hear it and make themselves master too, the likely cause of a split brain"))
                    }
                }
            }
            // What this host sends to the address (an application server's clients, say),
            // to each port a frontend on any host serves it on.
            for port in allPorts.isEmpty ? [nil] : allPorts.map(Optional.some) {
                let packet = JudgedPacket(family: address.family, protocolNumber: 6, source: nil, destination: address,
                                          port: port?.port, direction: "output", interface: nil)
                for (chain, rule) in FirewallWalk.drops(firewall, packet) {
                    let what = port.map { "TCP \(host.hostname) sends to \(address):\($0.port) (haproxy \($0.frontend))" } ?? "traffic \(host.hostname) sends to \(address)"
                    let verb = rule?.verdict == "reject" ? "rejects" : "drops"
                    found.append(blocker(.service, host: host.hostname, "output", chain, rule, instance: nil,
                        "\(describe(chain, rule)) \(verb) \(what): clients on \(host.hostname) cannot reach it"))
                }
            }
            // Traffic to the address: to each haproxy port that serves it, or to it at all.
            let ports = servingPorts(address, host: host)
            for port in ports.isEmpty ? [nil] : ports.map(Optional.some) {
                let packet = JudgedPacket(family: address.family, protocolNumber: 6, source: nil, destination: address,
                                          port: port?.port, direction: "input", interface: nil)
                for (chain, rule) in FirewallWalk.drops(firewall, packet) {
                    if chain.table == "keepalived", let instance = mine.first(where: { $0.addresses.contains(address) }) ?? mine.first {
                        let held = host.addresses?.assignments(of: address).isEmpty == false ? "is held here" : "is configured here"
                        found.append(blocker(.keepalivedStrict, host: host.hostname, "input", chain, rule, instance: instance.name,
                            "\(address) \(held), but keepalived's \(instance.strict ? "vrrp_strict" : "no_accept") drops all traffic to it (\(describe(chain, rule)) on \(host.hostname)): \(remedy(instance))"))
                    } else if chain.table == "keepalived" {
                        found.append(blocker(.keepalivedStrict, host: host.hostname, "input", chain, rule, instance: nil,
                            "keepalived's own rule drops all traffic to \(address) on \(host.hostname) (\(describe(chain, rule))): vrrp_strict or no_accept without `accept`"))
                    } else {
                        let what = port.map { "TCP to \(address):\($0.port) (haproxy \($0.frontend))" } ?? "traffic to \(address)"
                        let verb = rule?.verdict == "reject" ? "rejects" : "drops"
                        found.append(blocker(.service, host: host.hostname, "input", chain, rule, instance: nil,
                            "\(describe(chain, rule)) \(verb) \(what) on \(host.hostname): clients cannot reach it there"))
                    }
                }
            }
        }
        // One blocker per rule and kind: a rule met by several packets is named once.
        var seen = Set<String>()
        return found.filter { seen.insert("\($0.kind) \($0.host) \($0.location) \($0.direction)").inserted }
    }

    /// What makes keepalived stop dropping: keepalived 2.2.7 resets `accept` under vrrp_strict
    /// for VRRPv2 ("accept mode for VRRP version 2 does not comply with RFC3768 - resetting").
    static func remedy(_ instance: VRRPInstanceFacts) -> String {
        if instance.strict, instance.version == 2 {
            return instance.accept
                ? "vrrp_instance \(instance.name) says `accept`, but vrrp_strict resets it for VRRPv2 (RFC 3768); add `version 3` to it, or remove vrrp_strict from global_defs"
                : "add `accept` and `version 3` to vrrp_instance \(instance.name) (vrrp_strict resets accept for VRRPv2), or remove vrrp_strict from global_defs"
        }
        return instance.strict ? "add `accept` to vrrp_instance \(instance.name)" : "replace `no_accept` with `accept` in vrrp_instance \(instance.name)"
    }

    static func blocker(_ kind: Blocker.Kind, host: String, _ direction: String, _ chain: FirewallChain, _ rule: FirewallRule?,
                        instance: String?, _ sentence: String) -> Blocker {
        Blocker(kind: kind, host: host, direction: direction, family: chain.family, table: chain.table, chain: chain.name,
                handle: rule?.handle, rule: rule.map { $0.text ?? "(handle \($0.handle))" } ?? "policy drop", instance: instance,
                sentence: sentence)
    }

    static func describe(_ chain: FirewallChain, _ rule: FirewallRule?) -> String {
        guard let rule else { return "the \(chain.hook ?? "") policy drop of table \(chain.family) \(chain.table) chain \(chain.name)" }
        return "`\(rule.text ?? rule.verdict)` (table \(chain.family) \(chain.table), chain \(chain.name), handle \(rule.handle))"
    }

    struct ServingPort { var port: Int; var frontend: String }

    static func servingPorts(_ address: IPAddress, host: ExaminedHost) -> [ServingPort] {
        guard let config = host.haproxy?.configuration else { return [] }
        return HAProxyRoutes.routes(to: address, config: config, listeners: host.haproxy?.listeners).compactMap { route in
            Int(route.ports.prefix { $0.isNumber }).map { ServingPort(port: $0, frontend: route.frontend) }
        }
    }
}

/// What blockers need of a vrrp_instance: its node, interface, addresses, unicast peers and
/// whether keepalived runs it strict.
public struct VRRPInstanceFacts: Sendable {
    public var name: String
    public var node: String?
    public var interface: String?
    public var addresses: [IPAddress]
    public var unicastPeers: [IPAddress]
    public var strict: Bool
    /// The VRRP version it runs (instance, else global_defs' vrrp_version, else 2).
    public var version: Int
    /// Whether it says `accept`.
    public var accept: Bool

    public init(name: String, node: String?, interface: String?, addresses: [IPAddress], unicastPeers: [IPAddress], strict: Bool,
                version: Int = 2, accept: Bool = false) {
        self.version = version
        self.accept = accept
        self.name = name
        self.node = node
        self.interface = interface
        self.addresses = addresses
        self.unicastPeers = unicastPeers
        self.strict = strict
    }
}

extension Blockers {
    /// `vrrp` on a node that hears no peer, or in a split brain: for each such virtual router,
    /// the rules here that drop VRRP coming in or going out, as a verdict on that router. (The
    /// capture sees adverts before the firewall drops them, so a dropped peer is still heard:
    /// then it is the split brain that the rule explains.)
    /// Pure: the census, this host's addresses and its ruleset in, the census with reasons out.
    public static func explainSilentPeers(_ report: VRRPCensusReport, own: Set<IPAddress>, firewall: FirewallFacts,
                                          host: String) -> VRRPCensusReport {
        var report = report
        for index in report.routers.indices {
            let router = report.routers[index]
            let alone = !router.senders.isEmpty && router.senders.allSatisfy { own.contains($0.address) }
            guard alone || router.has(.splitBrain) else { continue }
            let group = router.family == .inet ? vrrpMulticast4 : vrrpMulticast6
            var reasons: [String] = []
            for direction in ["input", "output"] {
                let packet = JudgedPacket(family: router.family, protocolNumber: 112, source: nil,
                                          destination: group, port: nil,
                                          direction: direction, interface: router.interface)
                for (chain, rule) in FirewallWalk.drops(firewall, packet) {
                    reasons.append(direction == "input"
                        ? "\(describe(chain, rule)) drops VRRP arriving at \(host), so it cannot hear its peers and makes itself master"
                        : "\(describe(chain, rule)) drops VRRP sent by \(host), so its peers cannot hear it and make themselves master")
                }
            }
            guard !reasons.isEmpty else { continue }
            report.routers[index].verdicts.append(.init(
                code: .firewallDropsVRRP,
                message: (alone ? "no peer heard for VRID \(router.vrid): only this host advertises, and " : "split brain on VRID \(router.vrid), and ")
                    + reasons.joined(separator: "; "),
                source: firewall.source))
        }
        return report
    }
}
