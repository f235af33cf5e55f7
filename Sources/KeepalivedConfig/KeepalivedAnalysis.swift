import HAModel

/// One node's configuration and why it was the one read.
public struct NodeConfiguration: Sendable {
    public var name: String
    public var config: KeepalivedConfiguration
    public var chosenBecause: String

    public init(name: String, config: KeepalivedConfiguration, chosenBecause: String) {
        self.name = name
        self.config = config
        self.chosenBecause = chosenBecause
    }

    /// A node's label: its router_id, else the directory of a file named keepalived.conf
    /// (configs collected as NODE/keepalived.conf), else the path.
    public static func label(for config: KeepalivedConfiguration) -> String {
        if let routerID = config.globalDefs.routerID { return routerID }
        let parts = config.file.split(separator: "/")
        if parts.count >= 2, parts.last == "keepalived.conf", parts[parts.count - 2] != "keepalived" {
            return String(parts[parts.count - 2])
        }
        return config.file
    }
}

public struct ConfigSummary: Sendable, Codable {
    public var node: String
    public var file: String
    public var chosenBecause: String
    public var configID: String
    public var filesRead: [String]
    public var globalDefs: GlobalDefs

    enum CodingKeys: String, CodingKey {
        case node, file, chosenBecause = "chosen_because", configID = "config_id", filesRead = "files_read", globalDefs = "global_defs"
    }
}

/// Who is master of one VRID when several nodes' configurations are given.
public struct Election: Sendable, Codable {
    public struct Candidate: Sendable, Codable {
        public var node: String
        public var instance: String
        /// The state it starts in, or STOPPED when no keepalived runs on its node.
        public var state: VRRPState?
        public var priority: Int?
        public var arithmetic: String
        public var primaryIP: String?
        public var file: String
        public var line: Int

        enum CodingKeys: String, CodingKey {
            case node, instance, state, priority, arithmetic, primaryIP = "primary_ip", file, line
        }
    }
    public var virtualRouterID: Int
    public var family: AddressFamily
    /// Set when a node has this VRID on several interfaces: then each is a router of its own.
    public var interface: String?
    public var virtualIpaddress: [String]
    public var candidates: [Candidate]
    public var master: String?
    public var reason: String
    public var whatif: [WhatIf]

    /// Whether an instance is one of this virtual router's.
    public func includes(_ instance: VRRPInstance) -> Bool {
        candidates.contains { $0.node == (instance.node ?? "") && $0.instance == instance.name }
    }

    enum CodingKeys: String, CodingKey {
        case virtualRouterID = "virtual_router_id", family, interface, virtualIpaddress = "virtual_ipaddress"
        case candidates, master, reason, whatif
    }
}

/// Everything `haexplain keepalived` says: the model of every node's configuration, the
/// elections between them, and the problems found.
public struct KeepalivedReport: Sendable, Codable {
    public var schemaVersion = SchemaVersion.current
    public var configs: [ConfigSummary] = []
    public var vrrpInstances: [VRRPInstance] = []
    public var vrrpScripts: [VRRPScript] = []
    public var vrrpTrackProcesses: [VRRPTrackProcess] = []
    public var vrrpSyncGroups: [VRRPSyncGroup] = []
    public var virtualServers: [VirtualServer] = []
    public var elections: [Election] = []
    public var problems: [ConfigDiagnostic] = []
    /// The tracked objects' live state that the effective priorities use.
    public var trackState: [ObservedTrack] = []
    /// What the answer could not observe, said plainly.
    public var limits: [Limit] = []
    /// With --ask-keepalived: the running keepalived's own dump beside the inference.
    public var keepalivedSays: KeepalivedSays?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", configs, vrrpInstances = "vrrp_instances"
        case vrrpScripts = "vrrp_scripts", vrrpTrackProcesses = "vrrp_track_processes"
        case vrrpSyncGroups = "vrrp_sync_groups", virtualServers = "virtual_servers"
        case elections, problems, trackState = "track_state", limits, keepalivedSays = "keepalived_says"
    }
}

public enum KeepalivedAnalysis {
    /// Builds the report. `addresses` is this host's address table (the first node is this
    /// host); `scriptOwners` maps script paths to their owner uid when they could be seen;
    /// `observed` is the live state of tracked objects, per node (others are assumed OK).
    /// `stopped` names nodes seen with no keepalived running: they send no adverts, so they
    /// are no candidates in an election, whatever their configuration says.
    public static func analyze(_ nodes: [NodeConfiguration], addresses: AddressTable? = nil,
                               scriptOwners: [String: UInt32] = [:], observed: [ObservedTrack] = [],
                               stopped: Set<String> = []) -> KeepalivedReport {
        var report = KeepalivedReport()
        report.trackState = observed
        report.vrrpInstances.reserveCapacity(nodes.reduce(0) { $0 + $1.config.vrrpInstances.count })
        let holders = addresses.map(interfaceHolding)
        for node in nodes {
            let config = node.config
            report.configs.append(ConfigSummary(node: node.name, file: config.file, chosenBecause: node.chosenBecause,
                                                configID: config.configID, filesRead: config.filesRead, globalDefs: config.globalDefs))
            let firstProblem = report.problems.count
            report.problems += config.diagnostics
            // Instances of one node mostly track the same things: their observed state is
            // worked out once per distinct set of terms, not once per instance.
            let nodeObserved = observed.filter { $0.node == node.name }
            var stateByTerms: [[String]: (failing: Set<String>, assumption: String)] = [:]
            let firstInstance = report.vrrpInstances.count
            let groupMembers = SyncGroupFault.members(of: config)
            for var instance in config.vrrpInstances {
                instance.node = node.name
                let terms = PriorityCalculator.terms(of: instance, in: config)
                let labels = terms.map(\.label)
                let now = stateByTerms[labels] ?? PriorityCalculator.observedState(terms, nodeObserved)
                stateByTerms[labels] = now
                instance.effectivePriority = PriorityCalculator.compute(instance, terms: terms, labels: labels, failing: now.failing, alsoFailing: nil, assumption: now.assumption)
                // Each label made once here, not four times per what-if (keepalived budgets).
                instance.whatif = zip(terms, labels).enumerated().map { index, pair in
                    let (term, label) = pair
                    let failed = PriorityCalculator.compute(instance, terms: terms, labels: labels, failing: now.failing, alsoFailing: index, assumption: now.assumption)
                    let what = term.kind == .trackScript || term.kind == .trackProcess ? "fails" : (term.kind == .trackFile ? "reads failure" : "goes down")
                    let follow = failed.fault ? SyncGroupFault.siblingsFollow(instance, members: groupMembers) : ""
                    return WhatIf(node: node.name, failing: label, priority: failed.value, fault: failed.fault, arithmetic: failed.arithmetic,
                                  newMaster: nil, sentence: "if \(label) \(what)\(now.failing.contains(label) ? " (it is failing now)" : ""): \(failed.arithmetic)\(follow)")
                }
                if let holders, node.name == nodes.first?.name {
                    mark(&instance.virtualIpaddress, holders: holders)
                    mark(&instance.virtualIpaddressExcluded, holders: holders)
                }
                report.vrrpInstances.append(instance)
            }
            SyncGroupFault.propagate(&report.vrrpInstances[firstInstance...])
            report.vrrpScripts += config.vrrpScripts.map { var script = $0; script.node = node.name; return script }
            report.vrrpTrackProcesses += config.vrrpTrackProcesses
            report.vrrpSyncGroups += config.vrrpSyncGroups
            report.virtualServers += config.virtualServers
            report.problems += ConfigProblems.single(config, node: node.name, scriptOwners: scriptOwners)
            if let addresses, node.name == nodes.first?.name {
                report.problems += ConfigProblems.subnets(config, addresses: addresses)
                report.problems += ConfigProblems.interfaces(config, addresses: addresses)
            }
            for index in report.problems.indices.dropFirst(firstProblem) { report.problems[index].node = node.name }
        }
        if nodes.count > 1 {
            report.elections = elections(nodes, instances: report.vrrpInstances, observed: observed, stopped: stopped)
            for election in report.elections {
                for whatif in election.whatif {
                    if let index = report.vrrpInstances.firstIndex(where: { election.includes($0) && $0.node == whatif.node }),
                       let slot = report.vrrpInstances[index].whatif?.firstIndex(where: { $0.failing == whatif.failing }) {
                        report.vrrpInstances[index].whatif?[slot] = whatif
                    }
                }
            }
            report.problems += ConfigProblems.between(nodes, elections: report.elections, instances: report.vrrpInstances)
        }
        let unread = report.problems.filter { ([.includeMissing, .includeUnreadable, .includeLoop, .includeTooDeep, .unterminatedBlock] as [ProblemCode]).contains($0.code) }
        if !unread.isEmpty {
            report.limits.append(Limit(source: .file(unread[0].file ?? nodes.first?.config.file ?? "?", line: unread[0].line),
                                       message: "INCOMPLETE: \(unread.count) include or block problem(s) (see problems): the configuration shown may lack what those files or blocks define."))
        }
        let observedNodes = Set(observed.filter { $0.state != .notEvaluated }.map(\.node))
        let assumedNodes = nodes.map(\.name).filter { !observedNodes.contains($0) }
        let assumption = Source.assumption("track state")
        if observedNodes.isEmpty {
            report.limits.append(Limit(source: assumption, message: "Effective priorities assume \(PriorityCalculator.allOKAssumption)."))
        } else if !assumedNodes.isEmpty {
            report.limits.append(Limit(source: assumption, message: "Effective priorities of \(assumedNodes.joined(separator: ", ")) assume \(PriorityCalculator.allOKAssumption); those of \(observedNodes.sorted().joined(separator: ", ")) use the observed track state (see track_state)."))
        }
        if addresses == nil { report.limits.append(Limit(source: AddressTable.dumpSource, message: "Whether each virtual address is assigned here was not checked.")) }
        if let only = nodes.first, nodes.count == 1 {
            report.limits.append(Limit(source: .file(only.config.file), message: "Only this node's configuration was given: who is master of each VRID needs the peers' configurations too (repeat --keepalived-config)."))
        }
        return report
    }

    /// The programs keepalived would run for this configuration: vrrp_scripts (of tracked and
    /// untracked scripts alike) and notify scripts, first word of each.
    public static func scriptPrograms(_ config: KeepalivedConfiguration) -> [String] {
        var commands = config.vrrpScripts.compactMap(\.script)
        // Each instance's notify scripts read in place, not through a key path that copies the
        // instance (keepalived budgets, <= 1.0x keepalived -t).
        for index in config.vrrpInstances.indices { commands += config.vrrpInstances[index].notify.all }
        commands += config.vrrpSyncGroups.flatMap(\.notify.all)
        return commands.compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    static func mark(_ vips: inout [VirtualAddress], holders: [IPAddress: String]) {
        for index in vips.indices {
            let holder = holders[vips[index].address]
            vips[index].assignedHere = holder != nil
            vips[index].assignedOn = holder
        }
    }

    /// Each address this host holds, with the first interface holding it: built once, as
    /// thousands of VIPs are looked up in thousands of addresses.
    static func interfaceHolding(_ table: AddressTable) -> [IPAddress: String] {
        var holders: [IPAddress: String] = [:]
        for interface in table.interfaces {
            for address in interface.addrInfo where holders[address.local] == nil {
                holders[address.local] = interface.ifname
            }
        }
        return holders
    }

    /// Per virtual router: the highest effective priority wins; equal priorities go to the
    /// higher primary IP (RFC 3768 5.3.5). And the same question under each tracked failure.
    /// A virtual router is a VRID and family on one LAN: when a node has the VRID on several
    /// interfaces, each interface is a router of its own (keyed by interface name); else the
    /// nodes' instances of the VRID form one, whatever their interfaces are called.
    static func elections(_ nodes: [NodeConfiguration], instances: [VRRPInstance], observed: [ObservedTrack] = [],
                          stopped: Set<String> = []) -> [Election] {
        struct Key: Hashable { var vrid: Int; var family: AddressFamily; var interface: String? }
        var perNode: [Key: Int] = [:]
        for instance in instances {
            guard let vrid = instance.virtualRouterID else { continue }
            perNode[Key(vrid: vrid, family: instance.family, interface: instance.node), default: 0] += 1
        }
        let groupMembers = Dictionary(nodes.map { ($0.name, SyncGroupFault.members(of: $0.config)) }, uniquingKeysWith: { first, _ in first })
        let split = Set(perNode.filter { $0.value > 1 }.map { Key(vrid: $0.key.vrid, family: $0.key.family, interface: nil) })
        var keys: [Key] = []
        var seen: Set<Key> = []
        for instance in instances {
            guard let vrid = instance.virtualRouterID else { continue }
            var key = Key(vrid: vrid, family: instance.family, interface: nil)
            if split.contains(key) { key.interface = instance.interface ?? "" }
            if seen.insert(key).inserted { keys.append(key) }
        }
        return keys.map { key in
            let vrid = key.vrid
            let members = instances.filter { $0.virtualRouterID == vrid && $0.family == key.family && (key.interface == nil || ($0.interface ?? "") == key.interface) }
            let candidates = members.map { instance in
                let down = stopped.contains(instance.node ?? "")
                return Election.Candidate(node: instance.node ?? "", instance: instance.name, state: down ? .stopped : VRRPState(instance.initialState),
                                          priority: down ? nil : instance.effectivePriority?.value,
                                          arithmetic: down ? "keepalived is not running: no adverts" : instance.effectivePriority?.arithmetic ?? "",
                                          primaryIP: instance.unicastSrcIP, file: instance.file, line: instance.line)
            }
            let (master, reason) = winner(candidates)
            var whatifs: [WhatIf] = []
            for (position, instance) in members.enumerated() {
                // A check failing on a node whose keepalived is stopped changes nothing.
                guard let node = nodes.first(where: { $0.name == instance.node }), !stopped.contains(node.name) else { continue }
                let nodeObserved = observed.filter { $0.node == node.name }
                let terms = PriorityCalculator.terms(of: instance, in: node.config)
                let now = PriorityCalculator.observedState(terms, nodeObserved)
                let vips = instance.virtualIpaddress.map { $0.address.description }.joined(separator: ", ")
                func outcome(_ priority: Int?, _ arithmetic: String) -> (String?, String) {
                    var changed = candidates
                    changed[position].priority = priority
                    changed[position].arithmetic = arithmetic
                    let (newMaster, newReason) = winner(changed)
                    if newMaster == master { return (newMaster, "\(newMaster ?? "nobody") stays master (\(newReason))") }
                    if let newMaster { return (newMaster, "\(newMaster) takes \(vips.isEmpty ? "VRID \(vrid)" : vips) (\(newReason))") }
                    return (nil, "no node can be master (\(newReason))")
                }
                for term in terms {
                    let failed = PriorityCalculator.compute(instance, terms: terms, failing: now.failing.union([term.label]), assumption: now.assumption)
                    let (newMaster, said) = outcome(failed.value, failed.arithmetic)
                    let what = term.kind == .trackScript || term.kind == .trackProcess ? "fails" : "goes down"
                    let follow = failed.fault ? SyncGroupFault.siblingsFollow(instance, members: groupMembers[node.name] ?? [:]) : ""
                    whatifs.append(WhatIf(node: instance.node, failing: term.label, priority: failed.value, fault: failed.fault,
                                          arithmetic: failed.arithmetic, newMaster: newMaster,
                                          sentence: "if \(term.label) \(what) on \(instance.node ?? "?")\(now.failing.contains(term.label) ? " (it is failing now)" : ""): \(failed.arithmetic)\(follow); \(said)"))
                }
                // A sibling in the same sync group going to FAULT takes this instance with it.
                for (sibling, term) in SyncGroupFault.faultingSiblingTerms(of: instance, in: node.config, observed: nodeObserved)
                    where !terms.contains(where: { $0.label == term.label }) {
                    let arithmetic = "FAULT (vrrp_sync_group \(instance.syncGroup ?? ""): \(sibling) is in FAULT and the group follows)"
                    let (newMaster, said) = outcome(nil, arithmetic)
                    let what = term.kind == .trackScript || term.kind == .trackProcess ? "fails" : "goes down"
                    whatifs.append(WhatIf(node: instance.node, failing: term.label, priority: nil, fault: true, arithmetic: arithmetic,
                                          newMaster: newMaster,
                                          sentence: "if \(term.label) \(what) on \(instance.node ?? "?"): \(sibling) goes to FAULT and its sync group \(instance.syncGroup ?? "") takes \(instance.name) to FAULT too (siblings follow); \(said)"))
                }
            }
            return Election(virtualRouterID: vrid, family: key.family, interface: key.interface,
                            virtualIpaddress: Array(Set(members.flatMap { $0.virtualIpaddress.map(\.address.description) })).sorted(),
                            candidates: candidates, master: master, reason: reason, whatif: whatifs)
        }
    }

    static func winner(_ candidates: [Election.Candidate]) -> (String?, String) {
        let alive = candidates.filter { $0.priority != nil }
        guard let best = alive.map({ $0.priority! }).max() else {
            return (nil, candidates.contains { $0.state == .stopped } ? "every candidate is in FAULT or has keepalived stopped" : "every candidate is in FAULT")
        }
        let top = alive.filter { $0.priority == best }
        let others = alive.filter { $0.priority != best }.map { "\($0.priority!)" }
        if top.count == 1 {
            let rest = others.isEmpty
                ? (candidates.contains { $0.state == .stopped } ? "the only candidate running and not in FAULT" : "the only candidate not in FAULT")
                : "\(best) > \(others.joined(separator: ", "))"
            return (top[0].node, rest)
        }
        let withIP = top.compactMap { c in c.primaryIP.flatMap(IPAddress.init).map { (c, $0) } }
        if withIP.count == top.count, let highest = withIP.max(by: { $0.1 < $1.1 }) {
            return (highest.0.node, "equal priority \(best): the higher primary address \(highest.1) wins")
        }
        return (nil, "equal priority \(best) on \(top.map(\.node).joined(separator: " and ")): the higher primary IP address wins, which the configurations do not show")
    }
}

/// keepalived's sync groups move together: one member in FAULT takes every member to FAULT.
enum SyncGroupFault {
    /// Each sync group's member instances, in configuration order: built once per node, as
    /// scanning every instance for each member was quadratic (keepalived text and --json budgets).
    static func members(of config: KeepalivedConfiguration) -> [String: [String]] {
        var members: [String: [String]] = [:]
        for instance in config.vrrpInstances {
            if let group = instance.syncGroup { members[group, default: []].append(instance.name) }
        }
        return members
    }

    /// ", and vrrp_sync_group G takes A, B to FAULT too (siblings follow)", or "".
    static func siblingsFollow(_ instance: VRRPInstance, members: [String: [String]]) -> String {
        guard let group = instance.syncGroup else { return "" }
        let siblings = (members[group] ?? []).filter { $0 != instance.name }
        return siblings.isEmpty ? "" : "; vrrp_sync_group \(group) takes \(siblings.joined(separator: ", ")) to FAULT too (siblings follow)"
    }

    /// The tracked objects of this instance's sync-group siblings whose failure puts the
    /// sibling (and so the group) in FAULT.
    static func faultingSiblingTerms(of instance: VRRPInstance, in config: KeepalivedConfiguration,
                                     observed: [ObservedTrack]) -> [(String, PriorityTerm)] {
        guard let group = instance.syncGroup else { return [] }
        var result: [(String, PriorityTerm)] = []
        for sibling in config.vrrpInstances where sibling.syncGroup == group && sibling.name != instance.name {
            let terms = PriorityCalculator.terms(of: sibling, in: config)
            let now = PriorityCalculator.observedState(terms, observed)
            for term in terms where !result.contains(where: { $0.1.label == term.label })
                && PriorityCalculator.compute(sibling, terms: terms, failing: now.failing.union([term.label])).fault {
                result.append((sibling.name, term))
            }
        }
        return result
    }

    /// The state now: a member in FAULT puts its siblings (of the same node) in FAULT.
    /// The sentence names the group's first member in FAULT at that moment, counting those this
    /// pass has already put there; kept per group in one pass, as scanning all instances for each
    /// member was quadratic (keepalived text and --json budgets).
    static func propagate(_ instances: inout ArraySlice<VRRPInstance>) {
        var firstFaulty: [String: (index: Int, name: String)] = [:]
        for index in instances.indices {
            guard let group = instances[index].syncGroup, instances[index].effectivePriority?.fault == true,
                  firstFaulty[group] == nil else { continue }
            firstFaulty[group] = (index, instances[index].name)
        }
        for index in instances.indices {
            guard let group = instances[index].syncGroup, instances[index].effectivePriority?.fault == false,
                  let faulty = firstFaulty[group] else { continue }
            instances[index].effectivePriority?.value = nil
            instances[index].effectivePriority?.fault = true
            instances[index].effectivePriority?.arithmetic = "FAULT (vrrp_sync_group \(group): \(faulty.name) is in FAULT and the group follows)"
            if index < faulty.index { firstFaulty[group] = (index, instances[index].name) }
        }
    }
}
