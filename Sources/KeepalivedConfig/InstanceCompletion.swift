import HAModel

/// What keepalived 2.2.7 does to each vrrp_instance once the whole file is read
/// (vrrp_complete_instance, then the sync-group pass at start-up): defaults derived from
/// other settings, settings it clears or ignores, and the state each instance starts in.
/// Every adjustment it logs becomes a problem with its own words; the model keeps the
/// adjusted value.
enum InstanceCompletion {
    static func complete(_ config: inout KeepalivedConfiguration, reporter: inout Reporter) {
        for index in config.vrrpInstances.indices {
            complete(&config.vrrpInstances[index], globals: config.globalDefs, reporter: &reporter)
        }
        startSyncGroupsTogether(&config, reporter: &reporter)
    }

    static func complete(_ instance: inout VRRPInstance, globals: GlobalDefs, reporter: inout Reporter) {
        let name = instance.name
        let written = instance
        var found: [ConfigDiagnostic] = []
        defer { reporter.diagnostics += found }
        func adjusted(_ code: ProblemCode, _ keyword: String, _ message: String) {
            found.append(ConfigDiagnostic(.warning, code, message, at: ConfigLocation(file: written.file, line: written.line(of: keyword)), instance: name))
        }
        // Two look-ups in a dozen lines: searched, not hashed into a Set (keepalived budgets).
        let wrote = { (keyword: String) in written.keywordLines.contains { $0.keyword == keyword } }
        let strict = globals.vrrpStrict || wrote("strict_mode")
        // No priority: an instance that says MASTER is taken as the address owner.
        if !wrote("priority"), instance.writtenState == .master {
            instance.priority = 255
            adjusted(.priorityAdjusted, "state",
                     "(\(name)) has state MASTER and no priority: keepalived makes it the address owner (priority 255), which takes the addresses at once and ignores every tracking weight; write the priority you mean")
        }
        let owner = instance.priority == 255
        switch (instance.state, instance.writtenState) {
        case (_, let written?):
            (instance.initialState, instance.initialStateReason) = (written, "state \(written.rawValue)")
        case (nil, nil):
            (instance.initialState, instance.initialStateReason) = owner
                ? (.master, "no state keyword and priority 255 (address owner): keepalived starts it as MASTER")
                : (.backup, "no state keyword: keepalived starts it as BACKUP")
        case (let other?, nil):
            (instance.initialState, instance.initialStateReason) = (.backup, "unknown state '\(other)': keepalived defaults to BACKUP")
        }
        if strict, instance.state != nil, (instance.initialState == .master) != owner {
            instance.initialState = owner ? .master : .backup
            instance.initialStateReason = "vrrp_strict: the initial state follows being address owner (priority 255)"
            adjusted(.initialStateAdjusted, "state", "(\(name)) State MASTER must match being address owner: with vrrp_strict keepalived starts it as \(instance.initialState.rawValue)")
        }
        completeAuthentication(&instance, globals: globals, strict: strict, adjusted: adjusted)
        if owner, instance.nopreempt {
            instance.nopreempt = false
            adjusted(.nopreemptCleared, "nopreempt", "(\(name)) nopreempt is incompatible with priority 255. resetting nopreempt: the address owner always preempts")
        }
        if instance.initialState == .master {
            if instance.nopreempt {
                instance.nopreempt = false
                adjusted(.nopreemptCleared, "nopreempt", "(\(name)) Warning - nopreempt will not work with initial state MASTER - clearing: set state BACKUP on every node that should not preempt")
            }
            if (instance.preemptDelay ?? 0) > 0 {
                instance.preemptDelay = nil
                adjusted(.preemptDelayCleared, "preempt_delay", "(\(name)) Warning - preempt delay will not work with initial state MASTER - clearing")
            }
        }
        if (instance.preemptDelay ?? 0) > 0 {
            if strict {
                instance.preemptDelay = nil
                adjusted(.preemptDelayCleared, "preempt_delay", "(\(name)) preempt_delay is incompatible with strict mode - resetting")
            } else if instance.nopreempt {
                instance.preemptDelay = nil
                adjusted(.preemptDelayCleared, "preempt_delay", "(\(name)) preempt_delay is incompatible with nopreempt mode - resetting")
            }
        }
    }

    /// keepalived drops authentication it cannot use, and an AH instance that would start as
    /// MASTER waits as BACKUP for an advert (it needs the AH sequence number first).
    static func completeAuthentication(_ instance: inout VRRPInstance, globals: GlobalDefs, strict: Bool,
                                       adjusted: (ProblemCode, String, String) -> Void) {
        guard let type = instance.authentication?.authType else { return }
        let name = instance.name
        let version = instance.version ?? (instance.family == .inet6 ? 3 : globals.vrrpVersion ?? 2)
        let reason: String?
        if strict {
            reason = "(\(name)) Strict mode does not support authentication. Ignoring."
        } else if version == 3 {
            reason = "(\(name)) VRRP version 3 does not support authentication. Ignoring."
        } else if instance.authentication?.authPass == nil {
            reason = "(\(name)) Authentication specified but no password given. Ignoring"
        } else if instance.family == .inet6, type == "AH" {
            reason = "(\(name)) Cannot use AH authentication with IPv6. ignoring"
        } else {
            reason = nil
        }
        if let reason {
            instance.authentication?.authType = nil
            instance.authentication?.authPass = nil
            adjusted(.authIgnored, "authentication", reason + ": adverts go out without authentication")
            return
        }
        if type == "AH", instance.initialState == .master, instance.priority != 255 {
            instance.initialState = .backup
            instance.initialStateReason = "auth_type AH: keepalived clears initial state MASTER (it must hear an advert for the AH sequence number before taking over)"
            adjusted(.initialStateAdjusted, "state", "(\(name)) Initial state master is incompatible with AH authentication - clearing: it starts as BACKUP")
        }
    }

    /// At start-up keepalived lets a sync group start MASTER only if every member is an
    /// address owner starting MASTER; otherwise every member that would start MASTER starts
    /// BACKUP (it logs nothing).
    static func startSyncGroupsTogether(_ config: inout KeepalivedConfiguration, reporter: inout Reporter) {
        // Members found in one pass, not one pass over every instance per group (keepalived budgets).
        var membersByGroup: [String: [Int]] = [:]
        for index in config.vrrpInstances.indices {
            if let group = config.vrrpInstances[index].syncGroup { membersByGroup[group, default: []].append(index) }
        }
        for group in config.vrrpSyncGroups {
            let members = membersByGroup[group.name] ?? []
            let states = members.map { config.vrrpInstances[$0] }
            let someBackup = states.contains { $0.initialState == .backup || $0.priority != 255 }
            guard someBackup, states.contains(where: { $0.initialState == .master }) else { continue }
            for index in members where config.vrrpInstances[index].initialState == .master {
                let instance = config.vrrpInstances[index]
                config.vrrpInstances[index].initialState = .backup
                config.vrrpInstances[index].initialStateReason = "member of vrrp_sync_group \(group.name), whose members are not all address owners (priority 255) starting MASTER: keepalived starts every member as BACKUP"
                reporter.diagnostics.append(ConfigDiagnostic(.info, .syncGroupStartsBackup,
                    "vrrp_instance \(instance.name) says state MASTER but starts as BACKUP: in vrrp_sync_group \(group.name) keepalived starts members as MASTER only when all of them are address owners (priority 255)",
                    at: ConfigLocation(file: instance.file, line: instance.line(of: "state")), instance: instance.name))
            }
        }
    }
}
