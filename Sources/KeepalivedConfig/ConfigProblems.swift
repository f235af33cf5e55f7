import HAModel

/// Mistakes in configurations, each with a stable code, a location and what to do.
enum ConfigProblems {
    static func at(_ file: String, _ line: Int) -> ConfigLocation { ConfigLocation(file: file, line: line) }

    /// Problems visible in one node's configuration.
    static func single(_ config: KeepalivedConfiguration, node: String, scriptOwners: [String: UInt32]) -> [ConfigDiagnostic] {
        var problems: [ConfigDiagnostic] = []
        let instances = config.vrrpInstances
        // First instance seen per (VRID, interface, family) and per VIP: one pass, not n².
        // Keyed by value, not by a sentence made per instance; sized once (keepalived budgets).
        struct Router: Hashable { var vrid: Int; var interface: String; var family: AddressFamily; var unicastFrom: String? }
        var byRouter: [Router: Int] = [:]
        var byAddress: [IPAddress: Int] = [:]
        byRouter.reserveCapacity(instances.count)
        byAddress.reserveCapacity(instances.reduce(0) { $0 + $1.virtualIpaddress.count })
        for (index, instance) in instances.enumerated() {
            // keepalived 2.2.7's check_vrid_conflicts: unicast and multicast are separate VRID
            // spaces; two unicast instances clash only from one source address to a shared peer.
            let unicastFrom = instance.unicastPeer.isEmpty ? nil : instance.unicastSrcIP ?? "-"
            let routerKey = Router(vrid: instance.virtualRouterID ?? 0, interface: instance.interface ?? "", family: instance.family, unicastFrom: unicastFrom)
            if instance.virtualRouterID != nil, byRouter[routerKey] == nil { byRouter[routerKey] = index }
            if let vrid = instance.virtualRouterID, let first = byRouter[routerKey], first != index,
               instance.unicastPeer.isEmpty || !Set(instance.unicastPeer).isDisjoint(with: instances[first].unicastPeer) {
                let other = instances[first]
                let unicast = unicastFrom.map { "unicast from \($0)" } ?? "multicast"
                problems.append(ConfigDiagnostic(.error, .duplicateVRID,
                    "vrrp_instance \(instance.name) uses virtual_router_id \(vrid) on \(instance.interface ?? "the default interface") (\(instance.family.rawValue), \(unicast)), as vrrp_instance \(other.name) does (\(other.file):\(other.line)): keepalived refuses to start (\"both use VRID\"); give one a different virtual_router_id",
                    at: at(instance.file, instance.line(of: "virtual_router_id")), instance: instance.name))
            }
            for vip in instance.virtualIpaddress {
                if byAddress[vip.address] == nil { byAddress[vip.address] = index }
                if let first = byAddress[vip.address], first != index {
                    let other = instances[first]
                    problems.append(ConfigDiagnostic(.error, .vipInTwoInstances,
                        "\(vip.address) is a virtual_ipaddress of vrrp_instance \(instance.name) and of \(other.name) (\(other.file):\(other.line)): whichever becomes master last takes it, and the other removes it when it steps down; keep each address in one instance",
                        at: at(vip.file, vip.line), instance: instance.name))
                }
            }
            for item in instance.trackScript where config.script(named: item.name) == nil {
                problems.append(ConfigDiagnostic(.error, .undefinedTrackScript,
                    "vrrp_instance \(instance.name) tracks script \(item.name), which no vrrp_script defines: keepalived ignores the entry, so the instance never reacts to it; define vrrp_script \(item.name) or fix the name",
                    at: at(item.file, item.line), instance: instance.name))
            }
            for item in instance.trackProcess where !config.vrrpTrackProcesses.contains(where: { $0.name == item.name }) {
                problems.append(ConfigDiagnostic(.error, .undefinedTrackProcess,
                    "vrrp_instance \(instance.name) tracks process \(item.name), which no vrrp_track_process defines: keepalived ignores the entry",
                    at: at(item.file, item.line), instance: instance.name))
            }
            if instance.priority == 255, instance.effectivePriorityTracks {
                problems.append(ConfigDiagnostic(.warning, .ownerWithWeights,
                    "vrrp_instance \(instance.name) has priority 255 (address owner), so tracking weights never change it: use a priority below 255 if failures should move the addresses",
                    at: at(instance.file, instance.line(of: "priority")), instance: instance.name))
            }
            if instance.virtualIpaddress.isEmpty {
                // keepalived 2.2.7 (vrrp_complete_instance) requires one with VRRPv3, IPv6 or strict mode.
                let version = instance.version ?? (instance.family == .inet6 ? 3 : config.globalDefs.vrrpVersion ?? 2)
                let strict = config.globalDefs.vrrpStrict || instance.keywordLines.contains { $0.keyword == "strict_mode" }
                if version == 3 || instance.family == .inet6 || strict {
                    problems.append(ConfigDiagnostic(.error, .noVirtualAddress,
                        "vrrp_instance \(instance.name) has no virtual_ipaddress (keepalived ignores addresses of the other family and ones it cannot parse): with \(strict ? "strict mode" : "VRRP version 3") keepalived refuses to start (\"at least one is required\")",
                        at: at(instance.file, instance.line), instance: instance.name))
                } else {
                    problems.append(ConfigDiagnostic(.warning, .noVirtualAddress,
                        "vrrp_instance \(instance.name) has no virtual_ipaddress: it elects a master but moves no address",
                        at: at(instance.file, instance.line), instance: instance.name))
                }
            }
        }
        let usedScripts = Set(instances.flatMap { $0.trackScript.map(\.name) } + config.vrrpSyncGroups.flatMap { $0.trackScript.map(\.name) })
        for script in config.vrrpScripts where !usedScripts.contains(script.name) {
            problems.append(ConfigDiagnostic(.info, .unusedScript,
                "vrrp_script \(script.name) is not tracked by any vrrp_instance or sync group: keepalived does not run it",
                at: at(script.file, script.line)))
        }
        // keepalived checks only scripts it will run: found by PATH search, or existing files.
        let runnable = KeepalivedAnalysis.scriptPrograms(config).contains { !$0.hasPrefix("/") || scriptOwners[$0] != nil }
        if runnable, !config.globalDefs.enableScriptSecurity {
            problems.append(ConfigDiagnostic(.warning, .scriptSecurityOff,
                "scripts are configured but global_defs has no enable_script_security: keepalived runs them as root without checking who can modify them (it logs SECURITY VIOLATION); add enable_script_security and script_user",
                at: config.globalDefs.file.map { at($0, config.globalDefs.line ?? 1) } ?? at(config.file, 1)))
        }
        for script in config.vrrpScripts {
            if let program = script.program, program.hasPrefix("/"), let uid = scriptOwners[program], uid != 0 {
                problems.append(ConfigDiagnostic(.warning, .scriptNotRootOwned,
                    "vrrp_script \(script.name) runs \(program), owned by uid \(uid), not root: whoever owns it can run code as keepalived's script user; chown root and remove group/other write",
                    at: at(script.file, script.line)))
            }
            if let program = script.program, !program.hasPrefix("/") {
                problems.append(ConfigDiagnostic(.info, .scriptRelativePath,
                    "vrrp_script \(script.name) runs '\(program)' found by PATH search; keepalived warns and asks for a full path",
                    at: at(script.file, script.line)))
            }
        }
        return problems
    }

    /// A VIP with the same prefix as an address already on its interface joins that subnet:
    /// the kernel makes it a `secondary`, hidden from ifconfig and deleted with the primary.
    static func subnets(_ config: KeepalivedConfiguration, addresses: AddressTable) -> [ConfigDiagnostic] {
        var problems: [ConfigDiagnostic] = []
        for instance in config.vrrpInstances {
            for vip in instance.virtualIpaddress {
                guard let dev = vip.dev, let interface = addresses.interfaces.first(where: { $0.ifname == dev }) else { continue }
                for existing in interface.addrInfo where !existing.isSecondary && existing.local != vip.address
                    && existing.family == vip.address.family && existing.prefixlen == vip.prefixlen
                    && vip.address.isInside(existing.local, prefixLength: existing.prefixlen) {
                    problems.append(ConfigDiagnostic(.info, .vipInInterfaceSubnet,
                        "\(vip.address)/\(vip.prefixlen) is inside \(existing.local)/\(existing.prefixlen) already on \(dev): the kernel adds it as a secondary address (ifconfig will not show it, and deleting \(existing.local) deletes it too unless promote_secondaries is set); use /32 if that is not wanted",
                        at: at(vip.file, vip.line), instance: instance.name))
                }
            }
        }
        return problems
    }

    /// Interfaces the configuration names that this host does not have. keepalived 2.2.7
    /// logs "... doesn't exist" for each and then stops ("Non-existent interface specified in
    /// configuration") unless global_defs has dynamic_interfaces, which instead keeps the
    /// instance in FAULT until the interface appears.
    static func interfaces(_ config: KeepalivedConfiguration, addresses: AddressTable) -> [ConfigDiagnostic] {
        let present = Set(addresses.interfaces.map(\.ifname))
        let dynamic = config.globalDefs.other.contains { $0.keyword == "dynamic_interfaces" }
        let consequence = dynamic
            ? "with dynamic_interfaces keepalived keeps the instance in FAULT until it appears"
            : "keepalived refuses to start (\"Non-existent interface specified in configuration\"); fix the name, or set dynamic_interfaces in global_defs if it is created later"
        var problems: [ConfigDiagnostic] = []
        // `what` is worded only for a missing interface, not for every present one (keepalived budgets).
        func check(_ name: String?, _ what: @autoclosure () -> String, _ file: String, _ line: Int, _ instance: String) {
            guard let name, !present.contains(name) else { return }
            problems.append(ConfigDiagnostic(dynamic ? .warning : .error, .interfaceMissing,
                                             "\(name) (\(what())) does not exist on this host: \(consequence)", at: at(file, line), instance: instance))
        }
        for instance in config.vrrpInstances {
            check(instance.interface, "the interface of vrrp_instance \(instance.name)", instance.file, instance.line(of: "interface"), instance.name)
            // A VIP without its own dev is on the instance's interface, reported above.
            for vip in instance.virtualIpaddress + instance.virtualIpaddressExcluded where vip.dev != instance.interface {
                check(vip.dev, "the dev of \(vip.address)/\(vip.prefixlen) in vrrp_instance \(instance.name)", vip.file, vip.line, instance.name)
            }
            for tracked in instance.trackInterface {
                check(tracked.name, "tracked by vrrp_instance \(instance.name)", tracked.file, tracked.line, instance.name)
            }
        }
        return problems
    }

    /// Problems between nodes that should form the same virtual routers.
    static func between(_ nodes: [NodeConfiguration], elections: [Election], instances: [VRRPInstance]) -> [ConfigDiagnostic] {
        var problems: [ConfigDiagnostic] = []
        for election in elections {
            let members = instances.filter(election.includes)
            guard let first = members.first else { continue }
            for other in members.dropFirst() {
                if other.advertInt != first.advertInt {
                    problems.append(ConfigDiagnostic(.error, .advertIntMismatch,
                        "VRID \(election.virtualRouterID): advert_int \(other.advertInt) on \(other.node ?? "") but \(first.advertInt) on \(first.node ?? "") (\(first.file):\(first.line(of: "advert_int"))): VRRPv2 routers drop adverts with another interval; set the same advert_int on every node",
                        at: at(other.file, other.line(of: "advert_int")), instance: other.name, node: other.node))
                }
                let a = first.authentication, b = other.authentication
                let sameType = a?.authType == b?.authType
                let samePass = a?.authPass == nil && b?.authPass == nil || (a?.authPass).flatMap { x in (b?.authPass).map { x.matches($0) } } == true
                if !sameType || !samePass {
                    problems.append(ConfigDiagnostic(.error, .authMismatch,
                        "VRID \(election.virtualRouterID): authentication differs between \(first.node ?? "") (\(a?.authType ?? "none") \(a?.authPass?.fingerprint ?? "")) and \(other.node ?? "") (\(b?.authType ?? "none") \(b?.authPass?.fingerprint ?? "")): each drops the other's adverts and both become master; use the same auth_type and auth_pass",
                        at: at(other.file, other.authentication?.line ?? other.line), instance: other.name, node: other.node))
                }
                let firstPeers = Set(first.unicastPeer), otherPeers = Set(other.unicastPeer)
                if !firstPeers.isEmpty || !otherPeers.isEmpty {
                    let mirrored = first.unicastSrcIP.map { otherPeers.contains($0) } ?? false
                        && other.unicastSrcIP.map { firstPeers.contains($0) } ?? false
                    if !mirrored {
                        problems.append(ConfigDiagnostic(.error, .unicastPeersNotMirrored,
                            "VRID \(election.virtualRouterID): \(first.node ?? "") sends to [\(first.unicastPeer.joined(separator: ", "))] from \(first.unicastSrcIP ?? "its primary address") and \(other.node ?? "") sends to [\(other.unicastPeer.joined(separator: ", "))] from \(other.unicastSrcIP ?? "its primary address"): each node's unicast_peer must list the other's unicast_src_ip, or adverts are not heard and both become master",
                            at: at(other.file, other.line(of: "unicast_peer")), instance: other.name, node: other.node))
                    }
                }
            }
            problems += weightProblems(election, members: members)
        }
        let sets = nodes.map { node in (node.name, Set(node.config.vrrpInstances.compactMap(\.virtualRouterID))) }
        if let (firstName, firstSet) = sets.first {
            for (name, set) in sets.dropFirst() where set != firstSet {
                let node = nodes.first { $0.name == name }!
                problems.append(ConfigDiagnostic(.warning, .vridSetMismatch,
                    "\(firstName) has VRIDs [\(firstSet.sorted().map(String.init).joined(separator: ", "))] but \(name) has [\(set.sorted().map(String.init).joined(separator: ", "))]: a VRID on one node only has no backup; add the missing instances or check the virtual_router_id values",
                    at: at(node.config.file, 1)))
            }
        }
        return problems
    }

    /// Whether a failure on the master actually moves mastership, and by how much.
    static func weightProblems(_ election: Election, members: [VRRPInstance]) -> [ConfigDiagnostic] {
        guard let master = election.master, let masterInstance = members.first(where: { $0.node == master }),
              let masterPriority = masterInstance.effectivePriority?.value,
              let runnerUp = members.filter({ $0.node != master }).compactMap({ i in i.effectivePriority?.value.map { (i, $0) } }).max(by: { $0.1 < $1.1 })
        else { return [] }
        var problems: [ConfigDiagnostic] = []
        for term in masterInstance.effectivePriority?.terms ?? [] {
            guard let failing = term.whileFailing, let ok = term.whileOK, failing - ok < 0 else { continue }
            let after = min(254, max(1, masterPriority - ok + failing))
            let location = at(term.file, term.line)
            if after >= runnerUp.1 {
                problems.append(ConfigDiagnostic(.warning, .weightTooSmall,
                    "VRID \(election.virtualRouterID): if \(term.label) fails on \(master), \(masterPriority) - \(ok - failing) = \(after) is not below \(runnerUp.0.node ?? "")'s \(runnerUp.1), so mastership does not move; use a weight of at least \(masterPriority - runnerUp.1 + 1) in magnitude",
                    at: location, instance: masterInstance.name, node: master))
            } else if after == runnerUp.1 - 1 {
                problems.append(ConfigDiagnostic(.info, .weightExactlyEnough,
                    "VRID \(election.virtualRouterID): if \(term.label) fails on \(master), \(masterPriority) - \(ok - failing) = \(after) is just one below \(runnerUp.0.node ?? "")'s \(runnerUp.1): failover works, but any other change of one (another script, a priority edit) cancels it; a larger weight leaves margin",
                    at: location, instance: masterInstance.name, node: master))
            }
        }
        return problems
    }
}

extension VRRPInstance {
    var effectivePriorityTracks: Bool { !trackScript.isEmpty || !trackInterface.isEmpty || !trackProcess.isEmpty || !trackFile.isEmpty }
}
