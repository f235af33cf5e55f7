import HAModel
import KeepalivedConfig
import Processes
import VRRP

/// One host as the verdict sees it: its snapshot (this host's gathered now, or one from
/// --from/--host), marked when it is the host haexplain runs on.
@dynamicMemberLookup
public struct ExaminedHost: Sendable {
    public var snapshot: HostSnapshot
    public var isLocal: Bool

    public init(_ snapshot: HostSnapshot, isLocal: Bool) {
        self.snapshot = snapshot
        self.isLocal = isLocal
    }

    public subscript<T>(dynamicMember path: WritableKeyPath<HostSnapshot, T>) -> T {
        get { snapshot[keyPath: path] }
        set { snapshot[keyPath: path] = newValue }
    }
}

/// Everything the verdict is drawn from. Gathering it touches the system; explaining it is
/// this pure function of values, so tests and several hosts' snapshots use the same code.
public struct IPEvidence: Sendable {
    public var query: String
    public var addresses: [IPAddress]
    /// For a name query: the lines and answers that turned it into addresses.
    public var resolution: [NameClaim]?
    /// Names pointing at each address (hosts files, reverse lookups).
    public var names: [IPAddress: [NameClaim]]
    /// What resolving the query said, sorted into notes, warnings and limits.
    public var nameFindings: (notes: [String], warnings: [String], limits: [Limit])
    /// This host's snapshot first (when it was gathered), then the others'.
    public var hosts: [ExaminedHost]
    /// keepalived's configurations of every known node, analysed together; instance `node`
    /// names match the hosts' `hostname`.
    public var keepalived: KeepalivedReport?
    /// The VRRP census of what was heard on the wire; nil when nobody listened.
    public var wire: VRRPCensusReport?
    /// Names the hosts files give nodes' own addresses (a master heard on the wire that no
    /// snapshot describes), so an answer can say prod-haproxy-000 instead of 192.168.3.4.
    public var nodeNames: [IPAddress: NameClaim]
    /// What could not be observed for the whole answer, each with its source.
    public var limits: [Limit]

    public init(query: String, addresses: [IPAddress], resolution: [NameClaim]? = nil, names: [IPAddress: [NameClaim]] = [:],
                nameFindings: (notes: [String], warnings: [String], limits: [Limit]) = ([], [], []), hosts: [ExaminedHost], keepalived: KeepalivedReport?, wire: VRRPCensusReport?,
                nodeNames: [IPAddress: NameClaim] = [:], limits: [Limit] = []) {
        self.query = query
        self.addresses = addresses
        self.resolution = resolution
        self.names = names
        self.nameFindings = nameFindings
        self.hosts = hosts
        self.keepalived = keepalived
        self.wire = wire
        self.nodeNames = nodeNames
        self.limits = limits
    }
}

public enum IPExplainer {
    public static func explain(_ input: IPEvidence) -> IPReport {
        // Listening that ended before two masters were told apart is a limit of every answer.
        let undecided = input.wire?.capture.listening.flatMap(WireSufficiency.limit)
        var report = IPReport(query: input.query, resolution: input.resolution,
                              answers: input.addresses.map { answer(for: $0, input) }, limits: input.limits + (undecided.map { [$0] } ?? []),
                              listened: input.wire?.source, listening: input.wire?.capture.listening,
                              keepalivedSays: input.keepalived?.keepalivedSays, probes: input.wire?.capture.probes)
        report.linkLayer = input.wire?.linkLayer
        return report
    }

    struct Holder {
        var host: ExaminedHost
        var interface: NetworkInterface
        var address: InterfaceAddress
    }

    struct Configured {
        var instance: VRRPInstance
        var vip: VirtualAddress
    }

    static func answer(for address: IPAddress, _ input: IPEvidence) -> IPAnswer {
        var evidence: [Evidence] = []
        var warnings: [String] = []
        var notes: [String] = []
        var limits: [Limit] = []
        let local = input.hosts.first { $0.isLocal }

        // The kernel: who has the address on an interface.
        var holders: [Holder] = []
        for host in input.hosts {
            guard let table = host.addresses else {
                limits.append(Limit(source: AddressTable.dumpSource, message: "the addresses of \(host.hostname) are unknown, so whether it holds \(address) is not known"))
                continue
            }
            for (interface, assigned) in table.assignments(of: address) {
                holders.append(Holder(host: host, interface: interface, address: assigned))
                let kind = assigned.isSecondary ? " as a secondary address" : ""
                let label = assigned.label.map { $0 != interface.ifname ? " (label \($0))" : "" } ?? ""
                evidence.append(Evidence(.netlink("RTM_GETADDR"), "\(address)/\(assigned.prefixlen) is assigned on \(interface.ifname)\(label) of \(host.hostname)\(kind)", host: host.hostname))
                if assigned.ifconfigVisible == false, let reason = assigned.ifconfigHiddenReason {
                    notes.append("ifconfig on \(host.hostname) does not show \(address)/\(assigned.prefixlen): \(reason)")
                }
            }
            if host.isLocal, table.assignments(of: address).isEmpty {
                evidence.append(Evidence(.netlink("RTM_GETADDR"), "\(address) is not assigned on any interface of \(host.hostname)", host: host.hostname))
            }
        }

        // keepalived: which instances make it a virtual address.
        let instances = input.keepalived?.vrrpInstances ?? []
        var configured: [Configured] = []
        for instance in instances {
            for vip in instance.virtualIpaddress + instance.virtualIpaddressExcluded where vip.address == address {
                configured.append(Configured(instance: instance, vip: vip))
                let vrid = instance.virtualRouterID.map { ", VRID \($0)" } ?? ""
                let on = vip.dev ?? instance.interface ?? "its interface"
                evidence.append(Evidence(.file(vip.file, line: vip.line),
                    "vrrp_instance \(instance.name) on \(instance.node ?? "?") makes \(address) a virtual address on \(on)\(vrid), state \(instance.state ?? "not written") configured (starts as \(instance.initialState.rawValue): \(instance.initialStateReason)), priority \(instance.effectivePriority?.arithmetic ?? String(instance.priority))",
                    host: instance.node))
            }
        }
        if configured.isEmpty, input.keepalived != nil, !instances.isEmpty {
            evidence.append(Evidence(Source(kind: .assumption, detail: "keepalived"), "no vrrp_instance in the keepalived configuration read lists \(address)"))
        }
        let vrids = Set(configured.compactMap { $0.instance.virtualRouterID })
        let running = ProcessClaims.claims(instances: configured.map(\.instance), hosts: input.hosts)
        evidence += running.evidence
        warnings += running.warnings
        limits += running.limits

        // The wire: which virtual routers speak for it.
        var routers: [VRRPCensusReport.Router] = []
        if let wire = input.wire {
            // Only adverts that list the address speak for it: VRIDs are unique per LAN, and the
            // capture hears every LAN, so the configured VRID elsewhere is another router.
            // A configured VRID nobody advertised stays too: its census verdict says it is silent.
            routers = wire.routers.filter { router in
                router.family == address.family
                    && (router.senders.contains { $0.virtualAddresses.contains(address) } || (router.senders.isEmpty && vrids.contains(router.vrid)))
            }
            let sameVRID = wire.routers.filter { router in
                router.family == address.family && vrids.contains(router.vrid) && !router.senders.isEmpty
                    && !routers.contains { $0.vrid == router.vrid && $0.interface == router.interface }
            }
            for other in sameVRID {
                let senders = other.senders.map { sender in
                    "\(sender.address) (\(sender.virtualAddresses.map(\.description).joined(separator: ", ")))"
                }.joined(separator: "; ")
                warnings.append("VRID \(other.vrid) heard on \(other.interface ?? "the wire") from \(senders) does not list \(address): another virtual router with the same VRID (a different LAN), or the nodes' configurations list different addresses")
            }
            for router in routers {
                if let master = router.master {
                    let mac = master.mac.map { " (\($0))" } ?? ""
                    evidence.append(Evidence(master.source, "VRID \(router.vrid) on \(router.interface ?? "the wire"): \(master.address)\(mac) is master, advertising priority \(master.priority)"))
                    if let name = input.nodeNames[master.address] {
                        evidence.append(Evidence(name.source, "\(master.address) is \(name.name)" + (name.note.map { " (\($0))" } ?? "")))
                    }
                }
                for verdict in router.verdicts where verdict.code != .masterChanged || router.master == nil {
                    warnings.append("VRID \(router.vrid): \(verdict.message)")
                }
            }
            if !routers.contains(where: { !$0.senders.isEmpty }) {
                let what = vrids.isEmpty || !sameVRID.isEmpty
                    ? "no advert listed \(address)" : "no advert for VRID \(vrids.sorted().map(String.init).joined(separator: ", ")) was heard"
                evidence.append(Evidence(wire.source, "\(what) (\(wire.capture.adverts) VRRP advert(s) heard in all)"))
            }
        }

        var verdict = decide(address, holders: holders, configured: configured, routers: routers, input: input, local: local)
        // ARP/NDP on the wire: who claimed it (a second claimant makes the owner a conflict).
        let claimed = LinkLayerClaims.explain(address, linkLayer: input.wire?.linkLayer, hosts: input.hosts, verdict: &verdict)
        evidence += claimed.evidence
        warnings += claimed.warnings
        // The neighbour tables: where the hosts that do not hold it really send it.
        let neighbours = NeighbourClaims.findings(address, hosts: input.hosts, verdict: verdict, routers: input.wire?.routers ?? [],
                                                  holders: Set(holders.map(\.host.hostname)))
        evidence += neighbours.evidence
        warnings += neighbours.warnings
        let thisHost = local.flatMap { describeThisHost(address, local: $0, configured: configured, holders: holders) }
        let whatif = failover(address, configured: configured, routers: routers, thisHost: thisHost, input: input)
        if let note = likelyFailingCheck(thisHost: thisHost, configured: configured, routers: routers) { warnings.append(note) }
        for holder in holders where holder.host.processes?.keepalivedNotRunning == true
            && configured.contains(where: { $0.instance.node == holder.host.hostname }) {
            warnings.append("\(address) is assigned on \(holder.host.hostname) although keepalived is not running there: a keepalived killed without cleaning up; remove it (ip addr del \(address)/\(holder.address.prefixlen) dev \(holder.interface.ifname)) or start keepalived, before the peer takes it too")
        }

        // Problems keepalived's analysis found that touch this address's instances.
        // Linked by identity (instance and node), never by searching the message.
        let owners = Set(configured.map { InstanceIdentity(node: $0.instance.node, name: $0.instance.name) })
        for problem in input.keepalived?.problems ?? [] where problem.instance.map({ owners.contains(InstanceIdentity(node: problem.node, name: $0)) }) ?? false {
            warnings.append("\(problem.code.rawValue): \(problem.message)\(problem.file.map { " (\($0)\(problem.line.map { ":\($0)" } ?? ""))" } ?? "")")
        }
        var claims = input.names[address] ?? []
        if let resolution = input.resolution { claims = resolution.filter { $0.address == address } + claims.filter { c in !resolution.contains(c) } }
        warnings += input.nameFindings.warnings
        limits += input.nameFindings.limits
        let haproxy = HAProxyClaims.explain(address, hosts: input.hosts)
        evidence += haproxy.evidence
        warnings += haproxy.warnings
        limits += haproxy.limits
        var result = IPAnswer(address: address, names: claims, nameNotes: input.nameFindings.notes, verdict: verdict, thisHost: thisHost,
                              evidence: evidence, whatif: whatif, warnings: warnings, notes: notes, limits: limits,
                              neighbours: neighbours.matches.isEmpty ? nil : neighbours.matches)
        Reachability.annotate(&result, input: input, instances: configured.map(\.instance), routers: routers)
        return result
    }

    static func decide(_ address: IPAddress, holders: [Holder], configured: [Configured], routers: [VRRPCensusReport.Router],
                       input: IPEvidence, local: ExaminedHost?) -> Verdict {
        let holderHosts = Array(Set(holders.map(\.host.hostname))).sorted()
        let vrid = configured.first?.instance.virtualRouterID ?? routers.first?.vrid
        if let split = routers.first(where: { $0.has(.splitBrain) }) {
            let senders = split.senders.map { "\($0.address) (priority \($0.priority))" }.joined(separator: " and ")
            return Verdict(owner: .conflict, vrid: split.vrid, reason: "split brain: \(senders) \(split.senders.count > 2 ? "all" : "both") advertise VRID \(split.vrid) as master")
        }
        if holderHosts.count > 1 {
            return Verdict(owner: .conflict, vrid: vrid, reason: "\(holderHosts.joined(separator: " and ")) all hold \(address): only one should")
        }
        if let holder = holders.first {
            let primary = primaryAddress(on: holder.interface, family: address.family, excluding: address)
            let instance = configured.first { $0.instance.node == holder.host.hostname }?.instance
            var reason: String
            if instance != nil, holder.host.processes?.keepalivedNotRunning == true {
                // Assigned by a keepalived that is gone: nobody defends it, and the peer that
                // stops hearing adverts takes it too.
                reason = "assigned on \(holder.interface.ifname), but keepalived is not running on \(holder.host.hostname): a leftover address that nothing defends (the peer will take it as well)"
            } else if let instance, let id = instance.virtualRouterID {
                reason = "VRRP master of VRID \(id) (vrrp_instance \(instance.name)), priority \(instance.effectivePriority?.value.map(String.init) ?? "FAULT")"
            } else if let master = routers.compactMap(\.master).first, let id = vrid {
                reason = "VRRP master of VRID \(id), advertising priority \(master.priority)"
            } else if configured.isEmpty {
                reason = "assigned on \(holder.interface.ifname); no keepalived instance read here manages it"
            } else {
                reason = "assigned on \(holder.interface.ifname)"
            }
            if let master = routers.compactMap(\.master).first, let primary, master.address != primary {
                reason += "; but the wire says \(master.address) is master"
            }
            let advertised = routers.compactMap(\.master).first { $0.address == primary }?.priority
            return Verdict(owner: holder.host.isLocal ? .local : .peer, ownerAddress: primary, ownerMac: holder.interface.address,
                           ownerHost: holder.host.hostname, vrid: instance?.virtualRouterID ?? vrid,
                           priority: instance?.effectivePriority?.value ?? advertised, reason: reason)
        }
        if let router = routers.first(where: { $0.master != nil }), let master = router.master {
            let host = input.hosts.first { host in host.addresses?.assignments(of: master.address).isEmpty == false }
            if let host, host.isLocal {
                return Verdict(owner: .unknown, ownerAddress: master.address, ownerMac: master.mac?.description, ownerHost: host.hostname,
                               vrid: router.vrid, reason: "this host advertises VRID \(router.vrid) as master but \(address) is not assigned here")
            }
            return Verdict(owner: .peer, ownerAddress: master.address, ownerMac: master.mac?.description,
                           ownerHost: host?.hostname ?? input.nodeNames[master.address]?.name,
                           vrid: router.vrid, priority: master.priority, reason: "VRRP master of VRID \(router.vrid), priority \(master.priority)")
        }
        // This host's own interface for the address down: it hears no advert on that LAN, so
        // silence there says nothing of who holds the address (keepalived here is in FAULT).
        if let local, input.wire != nil,
           let name = configured.first(where: { $0.instance.node == local.hostname })?.instance.interface,
           let link = local.addresses?.interfaces.first(where: { $0.ifname == name }), link.rawFlags != 0, link.rawFlags & 0x41 != 0x41 {
            return Verdict(owner: .unknown, vrid: vrid,
                           reason: "\(name) of \(local.hostname) is \(link.isUp ? "up but not running (no carrier)" : "down"): no advert on its LAN reaches this host, so who holds \(address) there cannot be heard from here; ask a host on that LAN")
        }
        if !configured.isEmpty, input.wire != nil, input.hosts.allSatisfy({ $0.addresses != nil }) {
            let ids = vrids(configured)
            return Verdict(owner: .none, vrid: vrid,
                           reason: "configured as a virtual address (\(ids)) but no node holds it and no advert for it was heard: keepalived is not running, or every node is in FAULT")
        }
        // Without the wire, every node of the pair (or group) shown not holding it says the same,
        // as long as all their configurations and addresses are known.
        let nodes = Set(configured.compactMap(\.instance.node))
        let viewed = Set(input.hosts.filter { $0.addresses != nil }.map(\.hostname))
        if input.wire == nil, nodes.count > 1, nodes.isSubset(of: viewed) {
            return Verdict(owner: .none, vrid: vrid,
                           reason: "configured as a virtual address (\(vrids(configured))) on \(nodes.sorted().joined(separator: " and ")), and none of them holds it: keepalived is not running there, or every node is in FAULT (judged from their addresses; no advert was listened to)")
        }
        var missing: [String] = []
        if local != nil { missing.append("not assigned here") }
        if configured.isEmpty { missing.append(input.keepalived == nil ? "no keepalived configuration was read" : "no keepalived instance read lists it") }
        if input.wire == nil { missing.append("the wire was not listened to") } else { missing.append("no VRRP advert mentions it") }
        // CARP adverts list no addresses: one heard on this family may be the address's owner.
        let carp = (input.wire?.carpHosts ?? []).filter { $0.family == address.family }
        if !carp.isEmpty {
            let hosts = carp.map { host in "vhid \(host.vhid) (\(host.master.map { "master \($0.address)" } ?? "no master"))" }.joined(separator: ", ")
            missing.append("CARP was heard (\(hosts)), whose adverts do not list addresses: it may be a CARP virtual address (--probe asks who answers for it)")
        }
        return Verdict(owner: .unknown, vrid: vrid, reason: missing.joined(separator: "; "))
    }

    static func vrids(_ configured: [Configured]) -> String {
        let ids = Set(configured.compactMap(\.instance.virtualRouterID)).sorted()
        return ids.isEmpty ? "no VRID" : "VRID " + ids.map(String.init).joined(separator: ", ")
    }

    /// The node's own address on the interface: what peers and ARP see as it.
    static func primaryAddress(on interface: NetworkInterface, family: AddressFamily, excluding vip: IPAddress) -> IPAddress? {
        let candidates = interface.addrInfo.filter { $0.family == family && $0.local != vip && $0.scope == "global" }
        return (candidates.first { !$0.isSecondary } ?? candidates.first)?.local
    }

    static func describeThisHost(_ address: IPAddress, local: ExaminedHost, configured: [Configured], holders: [Holder]) -> ThisHost? {
        guard let mine = configured.first(where: { $0.instance.node == local.hostname }), let vrid = mine.instance.virtualRouterID else { return nil }
        let assigned = holders.contains { $0.host.isLocal }
        let priority = mine.instance.effectivePriority
        // Without a keepalived process the instance is in no VRRP state at all, even when the
        // address is still assigned (a keepalived killed without cleaning up).
        let stopped = local.processes?.keepalivedNotRunning == true
        let state: VRRPState = stopped ? .stopped : (priority?.fault == true ? .fault : (assigned ? .master : .backup))
        return ThisHost(host: local.hostname, state: state, vrid: vrid, instance: mine.instance.name, priority: priority?.value,
                        arithmetic: priority?.arithmetic ?? String(mine.instance.priority), assigned: assigned,
                        file: mine.instance.file, line: mine.instance.line)
    }

    /// A backup outranking the master it hears cannot be in its assumed state: unless it may
    /// not preempt, one of its tracked checks must be failing. Say which would explain it.
    static func likelyFailingCheck(thisHost: ThisHost?, configured: [Configured], routers: [VRRPCensusReport.Router]) -> String? {
        guard let thisHost, thisHost.state == .backup, let mine = thisHost.priority,
              let instance = configured.first(where: { $0.instance.node == thisHost.host })?.instance, !instance.nopreempt,
              let master = routers.first(where: { $0.vrid == thisHost.vrid })?.master, master.priority < mine else { return nil }
        // Checks that lower the priority come before those that would fault the instance.
        let lowering = (instance.whatif ?? []).filter { !$0.fault && ($0.priority ?? 0) < master.priority }
        let explaining = lowering + (instance.whatif ?? []).filter(\.fault)
        let candidates = explaining.map { "\($0.failing) (\($0.arithmetic))" }.joined(separator: " or ")
        return "this host would be master of VRID \(thisHost.vrid) at priority \(mine) with every tracked check OK, yet \(master.address) is master at \(master.priority): "
            + (candidates.isEmpty ? "something here lowers its priority that the configuration does not show" : "a check here is probably failing: \(candidates)")
    }

    /// What each tracked failure would change. With every node's configuration, keepalived's
    /// election says it; with only this host's, the wire supplies the master's priority and
    /// the rest is stated as an assumption.
    static func failover(_ address: IPAddress, configured: [Configured], routers: [VRRPCensusReport.Router],
                         thisHost: ThisHost?, input: IPEvidence) -> [FailoverWhatIf] {
        let vrids = Set(configured.compactMap(\.instance.virtualRouterID))
        // The virtual router of the instances that list the address (a VRID reused on
        // another interface is another router).
        if let election = input.keepalived?.elections.first(where: { election in configured.contains { election.includes($0.instance) } })
            ?? input.keepalived?.elections.first(where: { vrids.contains($0.virtualRouterID) && $0.family == address.family }),
           election.candidates.count > 1 {
            // keepalived's arithmetic over the configurations; nodes seen with no keepalived
            // running were left out of it (KeepalivedAnalysis.analyze's `stopped`).
            return election.whatif.map { whatif in
                FailoverWhatIf(node: whatif.node, failing: whatif.failing, priority: whatif.priority, newMaster: whatif.newMaster,
                               sentence: whatif.sentence, assumed: false)
            }
        }
        // A host whose keepalived is not running takes nothing over, whatever fails elsewhere.
        guard let thisHost, thisHost.state != .stopped,
              let mine = configured.first(where: { $0.instance.node == thisHost.host })?.instance else { return [] }
        let master = routers.first { $0.vrid == thisHost.vrid }?.master
        let myPriority = thisHost.priority
        var result: [FailoverWhatIf] = []
        for whatif in mine.whatif ?? [] {
            if thisHost.state == .master {
                result.append(FailoverWhatIf(node: thisHost.host, failing: whatif.failing, priority: whatif.priority, newMaster: nil,
                    sentence: "if \(whatif.failing) fails here: \(whatif.arithmetic); a peer takes over if its priority is higher (peers' configurations were not read: give them with --keepalived-config or --from)",
                    assumed: true))
            } else if let master, let mine = myPriority, let failed = whatif.priority, failed < mine {
                let term = failed - mine
                // The master's configuration is not here: assume it tracks the same object with the same weight.
                let after = master.priority + term
                let outcome = after < mine ? "\(after) < \(mine), this host takes over" : "\(after) >= \(mine), \(master.address) stays master"
                result.append(FailoverWhatIf(node: master.address.description, failing: whatif.failing, priority: after,
                    newMaster: after < mine ? thisHost.host : master.address.description,
                    sentence: "if \(whatif.failing) fails on \(master.address) (assuming it tracks it as this host does, weight \(term)): \(master.priority) -> \(after); \(outcome)",
                    assumed: true))
            }
        }
        return result
    }
}

/// A vrrp_instance on a node: how problems are tied to the instances they are about.
struct InstanceIdentity: Hashable {
    var node: String?
    var name: String
}
