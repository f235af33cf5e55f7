import HAModel

/// Keywords whose handler in keepalived 2.2.7 reads a parameter without checking that one
/// is there: written alone (or followed only by a comment) they make keepalived log
/// "missing a parameter after keyword" and exit with a permanent CONFIG error. Found by
/// running `keepalived -t` on each keyword of these blocks (ConformanceTests checks them).
enum NeedsValue {
    static let globalDefs: Set<String> = [
        "bfd_process_name", "checker_process_name", "checker_rlimit_rtime", "config_save_dir", "process_name",
        "random_seed", "smtp_connect_timeout", "smtp_server", "umask", "vrrp_garp_interval", "vrrp_garp_lower_prio_delay",
        "vrrp_garp_lower_prio_repeat", "vrrp_garp_master_delay", "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat",
        "vrrp_garp_master_repeat", "vrrp_gna_interval", "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_process_name",
        "vrrp_rlimit_rtime", "vrrp_startup_delay", "vrrp_version",
    ]
    static let vrrpScript: Set<String> = ["fall", "interval", "rise", "timeout", "user", "weight"]
    static let vrrpInstance: Set<String> = [
        "advert_int", "debug", "down_timer_adverts", "garp_lower_prio_delay", "garp_lower_prio_repeat", "garp_master_delay",
        "garp_master_refresh", "garp_master_refresh_repeat", "garp_master_repeat", "interface", "mcast_dst_ip", "mcast_src_ip",
        "notify", "notify_backup", "notify_fault", "notify_master", "notify_master_rx_lower_pri", "notify_stop",
        "preempt_delay", "priority", "state", "unicast_src_ip", "unicast_ttl", "version", "virtual_router_id",
    ]
    static let authentication: Set<String> = ["auth_type", "auth_pass"]
    static let syncGroup: Set<String> = ["notify", "notify_master", "notify_backup", "notify_fault", "notify_stop"]
    static let trackProcess: Set<String> = ["process", "quorum", "quorum_max", "delay", "terminate_delay", "fork_delay"]
    static let topLevel: Set<String> = ["vrrp_script", "vrrp_track_process", "track_file", "vrrp_track_file"]
    /// Every block's set, by the keyword that opens the block.
    static let byBlock: [String: Set<String>] = [
        "global_defs": globalDefs, "vrrp_script": vrrpScript, "vrrp_instance": vrrpInstance,
        "authentication": authentication, "vrrp_sync_group": syncGroup, "vrrp_track_process": trackProcess,
    ]
}

/// keepalived's keyword tables: one handler per keyword, per block, as install_keyword
/// registers them. Keywords keepalived knows but haexplain does not interpret are accepted
/// silently (`accept`), so only truly unknown keywords are reported.
enum Keywords {
    /// Keywords whose value is a block: keepalived expects a '{' after them.
    static let blockKeywords: Set<String> = [
        "global_defs", "vrrp_script", "vrrp_track_process", "vrrp_sync_group", "vrrp_instance", "virtual_server",
        "virtual_server_group", "static_ipaddress", "static_routes", "static_rules", "vrrp_track_file",
        "virtual_ipaddress", "virtual_ipaddress_excluded", "virtual_routes", "virtual_rules", "track_script",
        "track_interface", "track_file", "track_process", "unicast_peer", "authentication", "group",
        "notification_email", "real_server",
    ]

    /// Where `{` opens a block in keepalived 2.2.7's VRRP process, by enclosing block ("" is
    /// the top level): keywords with sub-keywords or whose handler reads a value block, as its
    /// install_keyword tables have them. Anywhere else keepalived logs "Unexpected '{'",
    /// ignores the brace and reads what follows at the same level, so the next '}' closes the
    /// enclosing block.
    static let blocksIn: [String: Set<String>] = [
        "": ["global_defs", "vrrp_script", "vrrp_track_process", "vrrp_track_file", "track_file", "vrrp_sync_group", "vrrp_instance",
             "virtual_server", "virtual_server_group", "static_ipaddress", "static_routes", "static_rules", "linkbeat_interfaces",
             "garp_group", "track_group", "interface_up_down_delays", "bfd_instance", "SSL"],
        "global_defs": ["notification_email"],
        "vrrp_instance": ["authentication", "virtual_ipaddress", "virtual_ipaddress_excluded", "virtual_routes", "virtual_rules",
                          "track_script", "track_interface", "track_file", "track_process", "track_bfd", "unicast_peer"],
        "vrrp_sync_group": ["group", "track_script", "track_interface", "track_file", "track_process", "track_bfd"],
        "garp_group": ["interfaces"],
        "track_group": ["group"],
    ]
    /// Blocks the VRRP process skips whole by counting braces (their keywords belong to the
    /// checker and BFD processes): every `{` inside them nests.
    static let skippedBlocks: Set<String> = ["virtual_server", "virtual_server_group", "bfd_instance", "SSL"]

    typealias Handler<Model> = @Sendable (inout Model, ConfigNode, inout Reporter) -> Void

    static let topLevel: [String: Handler<KeepalivedConfiguration>] = {
        var t: [String: Handler<KeepalivedConfiguration>] = [:]
        t["global_defs"] = block { config, node, reporter in
            config.globalDefs.file = node.at.file
            config.globalDefs.line = node.at.line
            run(globalDefs, on: &config.globalDefs, node: node, context: "global_defs", needsValue: NeedsValue.globalDefs, reporter: &reporter)
        }
        t["vrrp_script"] = block { config, node, reporter in
            guard let name = named(node, &reporter) else { return }
            var script = VRRPScript(name: name, file: node.at.file, line: node.at.line)
            run(vrrpScript, on: &script, node: node, context: "vrrp_script \(name)", needsValue: NeedsValue.vrrpScript, reporter: &reporter)
            let defs = config.globalDefs
            if let user = script.user {
                script.runAs = ScriptRunAs(source: .user, user: user, group: script.group, securityEnabled: defs.enableScriptSecurity)
            } else if let user = defs.scriptUser {
                let words = user.split(separator: " ").map(String.init)
                script.runAs = ScriptRunAs(source: .scriptUser, user: words.first, group: words.dropFirst().first, securityEnabled: defs.enableScriptSecurity,
                                           earlierScriptUsers: defs.earlierScriptUsers)
            } else {
                script.runAs = ScriptRunAs(source: .keepalivedDefault, securityEnabled: defs.enableScriptSecurity)
            }
            if config.vrrpScripts.contains(where: { $0.name == name }) {
                reporter.error(.duplicateScript, "vrrp_script \(name) is defined twice; keepalived refuses the configuration", at: node)
            }
            config.vrrpScripts.append(script)
        }
        t["vrrp_track_process"] = block { config, node, reporter in
            guard let name = named(node, &reporter) else { return }
            var process = VRRPTrackProcess(name: name, file: node.at.file, line: node.at.line)
            run(trackProcess, on: &process, node: node, context: "vrrp_track_process \(name)", needsValue: NeedsValue.trackProcess, reporter: &reporter)
            config.vrrpTrackProcesses.append(process)
        }
        t["vrrp_sync_group"] = block { config, node, reporter in
            guard let name = named(node, &reporter) else { return }
            var group = VRRPSyncGroup(name: name, file: node.at.file, line: node.at.line)
            run(syncGroup, on: &group, node: node, context: "vrrp_sync_group \(name)", needsValue: NeedsValue.syncGroup, reporter: &reporter)
            config.vrrpSyncGroups.append(group)
        }
        t["vrrp_instance"] = block { config, node, reporter in
            guard let name = named(node, &reporter) else { return }
            guard config.instanceNames.insert(name).inserted else {
                reporter.error(.duplicateInstance, "vrrp_instance \(name) is already defined: keepalived ignores this second block entirely; rename one of them", at: node)
                return
            }
            var instance = VRRPInstance(name: name, file: node.at.file, line: node.at.line)
            reporter.instance = name
            defer { reporter.instance = nil }
            run(vrrpInstance, on: &instance, node: node, context: "vrrp_instance \(name)", needsValue: NeedsValue.vrrpInstance, reporter: &reporter)
            instance.keywordLines = (node.children ?? []).map { KeywordLine(keyword: $0.keyword, line: $0.at.line) }
            if instance.virtualRouterID == nil {
                reporter.error(.missingVRID, "vrrp_instance \(name) has no virtual_router_id; keepalived stops with a configuration error", at: node)
            }
            config.vrrpInstances.append(instance)
        }
        t["virtual_server"] = block { config, node, reporter in
            var server = VirtualServer(address: node.value ?? "", port: node.words.count > 2 ? node.words[2] : nil, file: node.at.file, line: node.at.line)
            for child in node.children ?? [] {
                if child.keyword == "real_server" {
                    server.realServers.append(child.arguments.joined(separator: " "))
                } else {
                    server.settings.append(ConfigSetting(keyword: child.keyword, value: Array(child.arguments), file: child.at.file, line: child.at.line))
                }
            }
            config.virtualServers.append(server)
        }
        // A track_file block is read past, but keepalived takes its name unchecked (track_file.c
        // track_file_handler): `track_file {` at the top level, as when an early '}' closed the
        // instance it was written in, stops keepalived.
        for name in ["track_file", "vrrp_track_file"] {
            t[name] = { _, node, reporter in _ = named(node, &reporter) }
        }
        accept(["virtual_server_group", "static_ipaddress", "static_routes", "static_rules", "linkbeat_interfaces", "track_group", "bfd_instance", "garp_group", "static_track_group", "vrrp_track_bfd"], into: &t)
        accept(["net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "instance",
                "use_pid_dir", "linkbeat_use_polling", "child_wait_time"], into: &t)
        return t
    }()

    static let globalDefs: [String: Handler<GlobalDefs>] = {
        var t: [String: Handler<GlobalDefs>] = [:]
        t["router_id"] = { defs, node, _ in defs.routerID = node.value }
        t["vrrp_version"] = { defs, node, reporter in defs.vrrpVersion = reporter.integer(node, in: 2...3) }
        t["script_user"] = { defs, node, reporter in
            guard node.value != nil else {
                reporter.warn(.missingValue, "script_user needs a user name: keepalived logs \"No script username specified\" and ignores the line", at: node)
                return
            }
            if let earlier = defs.scriptUser { defs.earlierScriptUsers.append(earlier) }
            defs.scriptUser = node.arguments.prefix(2).joined(separator: " ")
        }
        t["enable_script_security"] = { defs, _, _ in defs.enableScriptSecurity = true }
        t["vrrp_strict"] = { defs, _, _ in defs.vrrpStrict = true }
        t["max_auto_priority"] = { defs, node, _ in defs.maxAutoPriority = node.value.flatMap { Int($0) } ?? -1 }
        for name in ["notification_email", "notification_email_from", "smtp_server", "smtp_connect_timeout", "smtp_helo_name", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "lvs_id", "lvs_sync_daemon", "lvs_flush", "lvs_flush_onstop", "lvs_timeouts", "vrrp_skip_check_adv_addr", "vrrp_garp_interval", "vrrp_gna_interval", "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_iptables", "vrrp_ipsets", "vrrp_check_unicast_src", "vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat", "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat", "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert", "vrrp_min_garp", "vrrp_startup_delay", "vrrp_priority", "checker_priority", "bfd_priority", "vrrp_no_swap", "checker_no_swap", "bfd_no_swap", "vrrp_rt_priority", "checker_rt_priority", "bfd_rt_priority", "vrrp_rlimit_rtime", "checker_rlimit_rtime", "dynamic_interfaces", "notify_fifo", "notify_fifo_script", "vrrp_notify_fifo", "vrrp_notify_fifo_script", "lvs_notify_fifo", "lvs_notify_fifo_script", "enable_traps", "enable_snmp_vrrp", "enable_snmp_checker", "enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3", "enable_dbus", "snmp_socket", "process_names", "process_name", "vrrp_process_name", "checker_process_name", "bfd_process_name", "default_interface", "nftables", "nftables_counters", "nftables_ifindex", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs", "umask", "script_user", "startup_script", "shutdown_script", "startup_script_timeout", "shutdown_script_timeout", "tmp_config_directory", "config_save_dir", "vrrp_garp_extra_if", "vrrp_garp_interval_vmac", "no_email_faults", "router_id_min", "log_unknown_vrids", "vrrp_skip_check_adv_address", "vrrp_notify_priority_changes", "random_seed", "reload_check_config", "reload_time_file", "vrrp_own_all_vips", "checker_log_all_failures", "net_namespace", "instance", "use_pid_dir", "linkbeat_use_polling", "child_wait_time", "fifo_write_vrrp_states_on_reload", "vrrp_tx_buffer", "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier", "rs_init_notifies", "no_checker_emails"] where t[name] == nil {
            t[name] = { defs, node, _ in
                defs.other.append(ConfigSetting(keyword: node.keyword, value: Array(node.arguments), file: node.at.file, line: node.at.line))
            }
        }
        return t
    }()

    static let vrrpScript: [String: Handler<VRRPScript>] = {
        var t: [String: Handler<VRRPScript>] = [:]
        t["script"] = { script, node, _ in script.script = node.arguments.joined(separator: " ") }
        t["interval"] = { script, node, reporter in script.interval = reporter.seconds(node, in: 0.000001...Double(UInt32.max)) }
        t["timeout"] = { script, node, reporter in script.timeout = reporter.seconds(node, in: 0.000001...Double(UInt32.max)) }
        t["weight"] = { script, node, reporter in
            script.weight = reporter.integer(node, in: -253...253)
            script.reverse = node.words.dropFirst(2).first == "reverse"
        }
        t["rise"] = { script, node, reporter in script.rise = reporter.integer(node, in: 1...Int(Int32.max)) }
        t["fall"] = { script, node, reporter in script.fall = reporter.integer(node, in: 1...Int(Int32.max)) }
        t["user"] = { script, node, _ in
            script.user = node.value
            script.group = node.words.count > 2 ? node.words[2] : nil
        }
        t["init_fail"] = { _, _, _ in }
        return t
    }()

    static let trackProcess: [String: Handler<VRRPTrackProcess>] = {
        var t: [String: Handler<VRRPTrackProcess>] = [:]
        t["process"] = { process, node, _ in process.process = node.value }
        t["param_match"] = { _, _, _ in }
        t["param"] = { process, node, _ in process.param = node.arguments.joined(separator: " ") }
        t["quorum"] = { process, node, reporter in process.quorum = reporter.integer(node, in: 1...65535) }
        t["quorum_max"] = { _, _, _ in }
        t["weight"] = { process, node, reporter in
            process.weight = reporter.integer(node, in: -253...253)
            process.reverse = node.words.dropFirst(2).first == "reverse"
        }
        t["delay"] = { process, node, reporter in process.delay = reporter.seconds(node, in: 0...Double(UInt32.max)) }
        accept(["terminate_delay", "fork_delay", "full_command"], into: &t)
        return t
    }()

    static let syncGroup: [String: Handler<VRRPSyncGroup>] = {
        var t: [String: Handler<VRRPSyncGroup>] = [:]
        t["group"] = block { group, node, _ in group.group = (node.children ?? []).flatMap(\.words) }
        t["track_script"] = block { group, node, reporter in group.trackScript = []; tracked(node, into: &group.trackScript, reporter: &reporter) }
        t["notify"] = { group, node, _ in group.notify.notify = node.arguments.joined(separator: " ") }
        t["notify_master"] = { group, node, _ in group.notify.notifyMaster = node.arguments.joined(separator: " ") }
        t["notify_backup"] = { group, node, _ in group.notify.notifyBackup = node.arguments.joined(separator: " ") }
        t["notify_fault"] = { group, node, _ in group.notify.notifyFault = node.arguments.joined(separator: " ") }
        t["notify_stop"] = { group, node, _ in group.notify.notifyStop = node.arguments.joined(separator: " ") }
        t["sync_group_tracking_weight"] = { group, _, _ in group.trackingWeight = true }
        accept(["smtp_alert", "global_tracking"], into: &t)
        accept(["track_interface", "track_file", "track_process"], into: &t)
        return t
    }()

    static let vrrpInstance: [String: Handler<VRRPInstance>] = {
        var t: [String: Handler<VRRPInstance>] = [:]
        t["state"] = { instance, node, reporter in
            let value = node.value ?? ""
            if VRRPStartState(rawValue: value) == .backup, instance.writtenState == .master {
                reporter.error(.stateAdjusted, "(\(instance.name)) state previously set as MASTER - ignoring BACKUP: keepalived keeps MASTER; remove one of the state lines", at: node)
                return
            }
            if VRRPStartState(rawValue: value) == nil {
                reporter.error(.stateAdjusted, "(\(instance.name)) unknown state '\(value)', defaulting to BACKUP: write MASTER or BACKUP", at: node)
            }
            instance.state = value
        }
        t["interface"] = { instance, node, _ in instance.interface = node.value }
        t["virtual_router_id"] = { instance, node, reporter in instance.virtualRouterID = reporter.integer(node, in: 1...255) }
        t["priority"] = { instance, node, reporter in
            if let value = reporter.integer(node, in: 1...255) { instance.priority = value }
        }
        t["advert_int"] = { instance, node, reporter in
            if let value = reporter.seconds(node, in: 0.01...255) { instance.advertInt = value }
        }
        t["version"] = { instance, node, reporter in instance.version = reporter.integer(node, in: 2...3) }
        t["nopreempt"] = { instance, _, _ in instance.nopreempt = true }
        t["preempt"] = { instance, _, _ in instance.nopreempt = false }
        t["preempt_delay"] = { instance, node, reporter in instance.preemptDelay = reporter.seconds(node, in: 0...1000) }
        t["use_vmac"] = { instance, node, _ in instance.useVmac = node.value ?? "vrrp.\(instance.virtualRouterID.map(String.init) ?? "")" }
        t["unicast_src_ip"] = { instance, node, reporter in
            guard let value = node.value.map(withoutPrefixLength), IPAddress(value) != nil else {
                reporter.warn(.invalidValue, "unicast_src_ip '\(node.value ?? "")' is not an address; keepalived ignores it", at: node)
                return
            }
            // keepalived fixes the instance's family at the first address it reads.
            guard instance.claimFamily(IPAddress(value)!.family) else {
                reporter.warn(.invalidValue, "unicast_src_ip \(value) is not of the instance's address family; keepalived ignores it", at: node)
                return
            }
            instance.unicastSrcIP = value
        }
        t["unicast_peer"] = block { instance, node, reporter in
            for peer in node.children ?? [] {
                let address = withoutPrefixLength(peer.keyword)
                guard IPAddress(address) != nil else {
                    reporter.warn(.invalidValue, "unicast_peer '\(peer.keyword)' is not an address; keepalived ignores it", at: peer)
                    continue
                }
                guard instance.claimFamily(IPAddress(address)!.family) else {
                    reporter.warn(.invalidValue, "unicast_peer \(address) is not of the instance's address family; keepalived skips it", at: peer)
                    continue
                }
                instance.unicastPeer.append(address)
            }
        }
        t["authentication"] = block { instance, node, reporter in
            var auth = Authentication(file: node.at.file, line: node.at.line)
            for child in node.children ?? [] {
                if NeedsValue.authentication.contains(child.keyword), child.value == nil {
                    reporter.missingParameter(child)
                    continue
                }
                switch child.keyword {
                case "auth_type":
                    guard let type = child.value, type == "PASS" || type == "AH" else {
                        reporter.warn(.invalidValue, "auth_type '\(child.value ?? "")' is neither PASS nor AH; keepalived ignores it", at: child)
                        continue
                    }
                    auth.authType = type
                case "auth_pass":
                    // VRRP carries 8 bytes of password: keepalived truncates longer ones.
                    guard let pass = child.value else { continue }
                    if pass.isEmpty {
                        auth.authPass = nil
                        continue
                    }
                    if pass.utf8.count > 8 {
                        reporter.warn(.authPassTruncated, "auth_pass is longer than 8 characters; keepalived uses only the first 8", at: child)
                    }
                    auth.authPass = Secret(Array(pass.utf8.prefix(8)))
                default:
                    reporter.unknown(child, in: "authentication")
                }
            }
            instance.authentication = auth
        }
        t["virtual_ipaddress"] = block { instance, node, reporter in
            for vip in addresses(node, reporter: &reporter) {
                guard instance.claimFamily(vip.address.family) else {
                    reporter.warn(.invalidAddress, "virtual_ipaddress \(vip.address) is not of the instance's address family (set by its first address, unicast_src_ip or unicast_peer); keepalived ignores it", at: ConfigNode(words: [vip.address.description], at: ConfigLocation(file: vip.file, line: vip.line)))
                    continue
                }
                instance.virtualIpaddress.append(vip)
            }
        }
        t["virtual_ipaddress_excluded"] = block { instance, node, reporter in
            instance.virtualIpaddressExcluded += addresses(node, reporter: &reporter)
        }
        t["virtual_routes"] = block { instance, node, _ in
            instance.virtualRoutes += (node.children ?? []).map { VirtualRoute(route: $0.words.joined(separator: " "), file: $0.at.file, line: $0.at.line) }
        }
        t["track_script"] = block { instance, node, reporter in tracked(node, into: &instance.trackScript, reporter: &reporter) }
        t["track_interface"] = block { instance, node, reporter in tracked(node, into: &instance.trackInterface, reporter: &reporter) }
        t["track_file"] = block { instance, node, reporter in tracked(node, into: &instance.trackFile, reporter: &reporter) }
        t["track_process"] = block { instance, node, reporter in tracked(node, into: &instance.trackProcess, reporter: &reporter) }
        t["notify"] = { instance, node, _ in instance.notify.notify = node.arguments.joined(separator: " ") }
        t["notify_master"] = { instance, node, _ in instance.notify.notifyMaster = node.arguments.joined(separator: " ") }
        t["notify_backup"] = { instance, node, _ in instance.notify.notifyBackup = node.arguments.joined(separator: " ") }
        t["notify_fault"] = { instance, node, _ in instance.notify.notifyFault = node.arguments.joined(separator: " ") }
        t["notify_stop"] = { instance, node, _ in instance.notify.notifyStop = node.arguments.joined(separator: " ") }
        t["notify_master_rx_lower_pri"] = { instance, node, _ in instance.notify.notifyMasterRxLowerPri = node.arguments.joined(separator: " ") }
        accept(["dont_track_primary", "mcast_src_ip", "accept", "no_accept", "garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat", "garp_lower_prio_delay", "garp_lower_prio_repeat", "lower_prio_no_advert", "higher_prio_send_advert", "smtp_alert", "native_ipv6", "strict_mode", "vmac_xmit_base", "use_ipvlan", "skip_check_adv_addr", "check_unicast_src", "unicast_ttl", "debug", "kernel_rx_buf_size", "track_src_ip", "down_timer_adverts", "notify_deleted", "notify_priority_changes", "linkbeat_use_polling", "promote_secondaries", "unicast_fault_no_peer", "old_unicast_checksum", "mcast_dst_ip"], into: &t)
        accept(["virtual_rules", "track_bfd", "track_group"], into: &t)
        return t
    }()

    /// keepalived 2.2.7's entry syntax (vrrp_track.c, track_file.c): `NAME [weight N [reverse|noreverse]]`.
    /// A second word other than `weight`, or `weight` without a value, drops the entry; a weight
    /// out of range keeps the entry with the tracked object's own weight; a bad fourth word is
    /// ignored (track_file drops the entry; track_interface knows no `noreverse`); a name
    /// already tracked in this instance is ignored.
    static func tracked(_ node: ConfigNode, into items: inout [TrackedItem], reporter: inout Reporter) {
        let kind = node.keyword
        for entry in node.children ?? [] {
            var item = TrackedItem(name: entry.keyword, file: entry.at.file, line: entry.at.line)
            let words = Array(entry.arguments)
            if let option = words.first {
                guard option == "weight" else {
                    reporter.warn(.invalidValue, "\(kind) \(entry.keyword): unknown option '\(option)' (only 'weight N' may follow the name); keepalived ignores the whole entry", at: entry)
                    continue
                }
                guard words.count >= 2 else {
                    reporter.warn(.invalidValue, "\(kind) \(entry.keyword): weight without a value; keepalived ignores the whole entry", at: entry)
                    continue
                }
                if let weight = Int(words[1]), (-254...254).contains(weight) {
                    // keepalived turns +/-254 into +/-253 for scripts and interfaces.
                    item.weight = abs(weight) == 254 && (kind == "track_script" || kind == "track_interface") ? weight.signum() * 253 : weight
                } else {
                    reporter.warn(.invalidValue, "\(kind) \(entry.keyword): weight '\(words[1])' is not a number in [-254, 254]; keepalived keeps the entry with the tracked object's own weight", at: entry)
                }
                if words.count >= 3 {
                    switch words[2] {
                    case "reverse": item.reverse = true
                    case "noreverse" where kind != "track_interface": item.reverse = false
                    default:
                        guard kind != "track_file" else {
                            reporter.warn(.invalidValue, "\(kind) \(entry.keyword): unknown weight option '\(words[2])'; keepalived ignores the whole entry", at: entry)
                            continue
                        }
                        reporter.warn(.invalidValue, "\(kind) \(entry.keyword): unknown weight option '\(words[2])'; keepalived ignores the option", at: entry)
                    }
                }
            }
            guard !items.contains(where: { $0.name == item.name }) else {
                reporter.warn(.invalidValue, "\(kind) \(entry.keyword) is listed twice in this block; keepalived ignores the second entry", at: entry)
                continue
            }
            items.append(item)
        }
    }

    /// `ADDR[/PREFIX] [brd ADDR] [dev IF] [scope S] [label L] [...]`, one per line.
    static func addresses(_ node: ConfigNode, reporter: inout Reporter) -> [VirtualAddress] {
        var result: [VirtualAddress] = []
        for entry in node.children ?? [] {
            let parts = addressAndPrefix(entry.keyword)
            guard let first = parts.first, let address = IPAddress(first) else {
                reporter.warn(.invalidAddress, "\(node.keyword): '\(entry.keyword)' is not an address; keepalived skips it", at: entry)
                continue
            }
            let maxPrefix = address.family == .inet ? 32 : 128
            var prefix = maxPrefix
            if parts.count == 2 {
                guard let value = Int(parts[1]), (0...maxPrefix).contains(value) else {
                    reporter.warn(.invalidAddress, "\(node.keyword): bad prefix length in '\(entry.keyword)'; keepalived skips the address", at: entry)
                    continue
                }
                prefix = value
            }
            var vip = VirtualAddress(address: address, prefixlen: prefix, dev: nil, file: entry.at.file, line: entry.at.line)
            var rest = entry.arguments[...]
            while let option = rest.popFirst() {
                switch option {
                case "dev": vip.dev = rest.popFirst()
                case "label": vip.label = rest.popFirst()
                case "scope": vip.scope = rest.popFirst()
                case "brd", "broadcast": vip.brd = rest.popFirst()
                case "no_track", "home", "-nodad", "nodad", "noprefixroute", "autojoin":
                    vip.options.append(option)
                case "preferred_lft", "peer", "track_group":
                    vip.options.append(option + " " + (rest.popFirst() ?? ""))
                default:
                    reporter.warn(.invalidAddress, "\(node.keyword): unknown option '\(option)' for \(entry.keyword); keepalived ignores the option", at: entry)
                }
            }
            result.append(vip)
        }
        return result
    }

    /// Checks keepalived makes once everything is read.
    static func finish(_ config: inout KeepalivedConfiguration, reporter: inout Reporter) {
        // A vrrp_script without `script` is removed by keepalived, so tracking it finds nothing.
        for script in config.vrrpScripts where script.script?.isEmpty ?? true {
            reporter.diagnostics.append(ConfigDiagnostic(.warning, .scriptWithoutCommand, "vrrp_script \(script.name) has no 'script' line: keepalived removes it, and instances tracking it ignore the entry", at: ConfigLocation(file: script.file, line: script.line)))
        }
        config.vrrpScripts.removeAll { $0.script?.isEmpty ?? true }
        // An address without `dev` goes on the instance's interface, wherever that is set.
        for index in config.vrrpInstances.indices {
            let interface = config.vrrpInstances[index].interface
            for vip in config.vrrpInstances[index].virtualIpaddress.indices where config.vrrpInstances[index].virtualIpaddress[vip].dev == nil {
                config.vrrpInstances[index].virtualIpaddress[vip].dev = interface
            }
            for vip in config.vrrpInstances[index].virtualIpaddressExcluded.indices where config.vrrpInstances[index].virtualIpaddressExcluded[vip].dev == nil {
                config.vrrpInstances[index].virtualIpaddressExcluded[vip].dev = interface
            }
        }
        // Each instance's index by name, once: searching every instance for each member was
        // quadratic (keepalived text and --json budgets). Names are unique (duplicates are refused).
        var indexByName: [String: Int] = [:]
        for (index, instance) in config.vrrpInstances.enumerated() where indexByName[instance.name] == nil {
            indexByName[instance.name] = index
        }
        for group in config.vrrpSyncGroups {
            for member in group.group {
                if let index = indexByName[member] {
                    if let other = config.vrrpInstances[index].syncGroup {
                        reporter.diagnostics.append(ConfigDiagnostic(.warning, .syncMemberTwice, "Virtual router \(member) cannot exist in more than one sync group; ignoring \(group.name): it stays in \(other)", at: ConfigLocation(file: group.file, line: group.line), instance: member))
                        continue
                    }
                    config.vrrpInstances[index].syncGroup = group.name
                } else {
                    reporter.diagnostics.append(ConfigDiagnostic(.warning, .undefinedSyncMember, "vrrp_sync_group \(group.name) names instance \(member), which is not defined; keepalived drops it from the group", at: ConfigLocation(file: group.file, line: group.line)))
                }
            }
        }
        InstanceCompletion.complete(&config, reporter: &reporter)
        // Weights would desynchronise a sync group, and never move an address owner.
        for index in config.vrrpInstances.indices {
            // Two fields read, not the whole instance copied (keepalived budgets).
            let (syncGroup, priority) = (config.vrrpInstances[index].syncGroup, config.vrrpInstances[index].priority)
            if let group = syncGroup, config.vrrpSyncGroups.first(where: { $0.name == group })?.trackingWeight == false {
                dropWeightedTracking(&config, instance: index, because: .syncGroup, reporter: &reporter)
            } else if priority == 255 {
                dropWeightedTracking(&config, instance: index, because: .addressOwner, reporter: &reporter)
            }
        }
    }

    enum WeightIgnored { case syncGroup, addressOwner }

    /// keepalived ignores weighted tracking on sync group members (unless the group says
    /// sync_group_tracking_weight: weights would desynchronise the group) and on address
    /// owners (priority 255 never changes): weighted scripts are dropped, weighted interfaces
    /// kept with weight 0 in a sync group (a failure is FAULT) and dropped for an owner,
    /// files with the default weight tracked with weight 0 and explicit weights dropped.
    static func dropWeightedTracking(_ config: inout KeepalivedConfiguration, instance index: Int, because reason: WeightIgnored,
                                     reporter: inout Reporter) {
        let instance = config.vrrpInstances[index]
        let why = reason == .syncGroup ? "SYNC group" : "address_owner"
        let fix = reason == .syncGroup
            ? "it is in vrrp_sync_group \(instance.syncGroup ?? ""): add sync_group_tracking_weight to the group or drop the weight"
            : "priority 255 (address owner) never changes: use a priority below 255 if failures should move the addresses"
        func ignored(_ item: TrackedItem, _ said: String) {
            reporter.diagnostics.append(ConfigDiagnostic(.warning, .weightIgnored, "(\(instance.name)) \(said) due to \(why): \(fix)",
                                                         at: ConfigLocation(file: item.file, line: item.line), instance: instance.name))
        }
        let scripts = config.vrrpScripts
        config.vrrpInstances[index].trackScript.removeAll { item in
            guard (item.weight ?? scripts.first { $0.name == item.name }?.weight ?? 0) != 0 else { return false }
            ignored(item, "ignoring tracked script \(item.name) with weights")
            return true
        }
        var interfaces: [TrackedItem] = []
        for var item in config.vrrpInstances[index].trackInterface {
            if (item.weight ?? 0) != 0 {
                ignored(item, "ignoring \(item.name) tracked interface \(reason == .syncGroup ? "weight " : "")")
                guard reason == .syncGroup else { continue }
                item.weight = 0
            }
            interfaces.append(item)
        }
        config.vrrpInstances[index].trackInterface = interfaces
        var files: [TrackedItem] = []
        for var item in config.vrrpInstances[index].trackFile {
            if item.weight == nil {
                ignored(item, "ignoring weight from tracked file \(item.name). specify weight 0")
                item.weight = 0
            } else if item.weight != 0 {
                ignored(item, "ignoring tracked file \(item.name) with weight \(item.weight ?? 0)")
                continue
            }
            files.append(item)
        }
        config.vrrpInstances[index].trackFile = files
    }

    // MARK: table building

    static func block<Model>(_ handler: @escaping Handler<Model>) -> Handler<Model> {
        { model, node, reporter in
            guard node.children != nil else {
                reporter.error(.missingBrace, "'\(node.keyword)' must be followed by a '{' block on the same or the next line; keepalived skips it", at: node)
                return
            }
            handler(&model, node, &reporter)
        }
    }

    /// Keywords keepalived knows and haexplain lists without interpreting.
    static func accept<Model>(_ names: [String], into table: inout [String: Handler<Model>]) {
        for name in names where table[name] == nil {
            table[name] = { _, _, _ in }
        }
    }

    /// `ADDR/PREFIX` split at the first `/` as Character-wise `split(separator: "/", maxSplits: 1)`
    /// does; over bytes when the word is ASCII, as walking Characters cost ~3,000 instructions
    /// an address (keepalived text and --json budgets).
    static func addressAndPrefix(_ word: String) -> [Substring] {
        guard word.utf8.allSatisfy({ $0 < 0x80 }) else { return word.split(separator: "/", maxSplits: 1) }
        // As split does: leading slashes make no (empty) part, an empty rest is dropped.
        let slash = UInt8(ascii: "/")
        let utf8 = word.utf8
        guard let start = utf8.firstIndex(where: { $0 != slash }) else { return [] }
        guard let cut = utf8[start...].firstIndex(of: slash) else { return [word[start...]] }
        let after = utf8.index(after: cut)
        return after == utf8.endIndex ? [word[start..<cut]] : [word[start..<cut], word[after...]]
    }

    /// keepalived's `unicast_src_ip` and `unicast_peer` take an address with an optional
    /// prefix length, which it ignores.
    static func withoutPrefixLength(_ text: String) -> String {
        // Over bytes when ASCII, as for VIPs (keepalived text and --json budgets).
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? text
        }
        return text.utf8.firstIndex(of: UInt8(ascii: "/")).map { String(text[..<$0]) } ?? text
    }

    static func named(_ node: ConfigNode, _ reporter: inout Reporter) -> String? {
        guard let name = node.value else {
            if NeedsValue.topLevel.contains(node.keyword) {
                reporter.missingParameter(node)
                return nil
            }
            reporter.error(.missingName, "'\(node.keyword)' needs a name; keepalived skips the block", at: node)
            return nil
        }
        return name
    }

    /// `context` is worded only for an unknown keyword, not once per block (keepalived budgets).
    static func run<Model>(_ table: [String: Handler<Model>], on model: inout Model, node: ConfigNode, context: @autoclosure () -> String,
                           needsValue: Set<String> = [], reporter: inout Reporter) {
        for child in node.children ?? [] {
            guard let handler = table[child.keyword] else {
                reporter.unknown(child, in: context())
                continue
            }
            if child.words.count == 1, child.children == nil, needsValue.contains(child.keyword) {
                reporter.missingParameter(child)
                continue
            }
            handler(&model, child, &reporter)
        }
    }
}
