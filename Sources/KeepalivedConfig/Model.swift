import HAModel

/// What keepalived would build from one configuration, element by element, each with the
/// file and line it came from. JSON field names are keepalived.conf's own keywords.
public struct KeepalivedConfiguration: Sendable, Codable {
    public var file: String
    public var configID: String
    public var filesRead: [String] = []
    public var globalDefs = GlobalDefs()
    public var vrrpScripts: [VRRPScript] = []
    public var vrrpTrackProcesses: [VRRPTrackProcess] = []
    public var vrrpSyncGroups: [VRRPSyncGroup] = []
    public var vrrpInstances: [VRRPInstance] = []
    public var virtualServers: [VirtualServer] = []
    /// What the reader stepped over or doubted: unknown keywords, bad values, missing includes.
    public var diagnostics: [ConfigDiagnostic] = []
    /// Instance names already defined, for keepalived's duplicate check (not encoded).
    var instanceNames: Set<String> = []

    public init(file: String, configID: String) {
        self.file = file
        self.configID = configID
    }

    enum CodingKeys: String, CodingKey {
        case file, configID = "config_id", filesRead = "files_read", globalDefs = "global_defs"
        case vrrpScripts = "vrrp_scripts", vrrpTrackProcesses = "vrrp_track_processes"
        case vrrpSyncGroups = "vrrp_sync_groups", vrrpInstances = "vrrp_instances"
        case virtualServers = "virtual_servers", diagnostics
    }

    public func script(named name: String) -> VRRPScript? { vrrpScripts.first { $0.name == name } }
}

public struct GlobalDefs: Sendable, Codable, Equatable {
    public var routerID: String?
    public var vrrpVersion: Int?
    public var scriptUser: String?
    /// The script_user lines before the last one, as written: keepalived never forgets that
    /// one of them named a user that does not exist (not encoded; judged before a snapshot).
    public var earlierScriptUsers: [String] = []
    public var enableScriptSecurity = false
    public var vrrpStrict = false
    public var maxAutoPriority: Int?
    public var file: String?
    public var line: Int?
    /// Every other global_defs keyword, as written (it is accepted, not interpreted).
    public var other: [ConfigSetting] = []

    public init() {}

    enum CodingKeys: String, CodingKey {
        case routerID = "router_id", vrrpVersion = "vrrp_version", scriptUser = "script_user"
        case enableScriptSecurity = "enable_script_security", vrrpStrict = "vrrp_strict"
        case maxAutoPriority = "max_auto_priority", file, line, other
    }
}

/// A keyword kept as written, for blocks haexplain lists but does not interpret.
public struct ConfigSetting: Sendable, Codable, Equatable {
    public var keyword: String
    public var value: [String]
    public var file: String
    public var line: Int
}

public struct VRRPScript: Sendable, Codable, Equatable {
    public var name: String
    public var script: String?
    public var interval: Double?
    public var timeout: Double?
    public var weight: Int?
    public var reverse = false
    public var rise: Int?
    public var fall: Int?
    public var user: String?
    public var group: String?
    /// Who keepalived runs it as, decided when the block ends (per-script `user`, else
    /// global_defs `script_user` read so far, else keepalived_script or root).
    public var runAs = ScriptRunAs(source: .keepalivedDefault, securityEnabled: false)
    /// false when keepalived drops the script (no usable user, file missing or not
    /// executable, insecure path): instances tracking it then ignore the entry.
    public var active = true
    /// keepalived's reason for dropping it, in its own words.
    public var inactiveReason: String?
    public var file: String
    public var line: Int
    public var node: String?

    public init(name: String, file: String, line: Int) {
        self.name = name
        self.file = file
        self.line = line
    }

    enum CodingKeys: String, CodingKey {
        case node, name, script, interval, timeout, weight, reverse, rise, fall, user, group
        case runAs = "run_as", active, inactiveReason = "inactive_reason", file, line
    }

    /// The executable keepalived would run: the first word of `script`.
    public var program: String? { script?.split(separator: " ").first.map(String.init) }
}

/// Whom keepalived runs a vrrp_script as, decided at the end of its block: its own
/// `user USER [GROUP]`, else global_defs `script_user` read so far, else the user
/// keepalived_script if it exists, else root (unless enable_script_security was already
/// set, which makes a missing keepalived_script drop the script).
public struct ScriptRunAs: Sendable, Codable, Equatable {
    public enum Source: String, Sendable, Codable {
        case user, scriptUser = "script_user", keepalivedDefault = "default"
    }
    public var source: Source
    public var user: String?
    public var group: String?
    public var securityEnabled: Bool
    /// global_defs script_user lines read before the one in force ("USER [GROUP]"): one that
    /// failed leaves keepalived's default user failed for good (notify.c default_user_fail).
    public var earlierScriptUsers: [String] = []

    public init(source: Source, user: String? = nil, group: String? = nil, securityEnabled: Bool, earlierScriptUsers: [String] = []) {
        self.source = source
        self.user = user
        self.group = group
        self.securityEnabled = securityEnabled
        self.earlierScriptUsers = earlierScriptUsers
    }

    enum CodingKeys: String, CodingKey { case source, user, group, securityEnabled = "security_enabled" }
}

public struct VRRPTrackProcess: Sendable, Codable, Equatable {
    public var name: String
    public var process: String?
    public var param: String?
    public var quorum: Int?
    public var weight: Int?
    public var reverse = false
    public var delay: Double?
    public var file: String
    public var line: Int
}

public struct VRRPSyncGroup: Sendable, Codable, Equatable {
    public var name: String
    public var group: [String] = []
    public var trackScript: [TrackedItem] = []
    public var notify: NotifyScripts = NotifyScripts()
    public var trackingWeight = false
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey {
        case name, group, trackScript = "track_script", notify, trackingWeight = "sync_group_tracking_weight", file, line
    }
}

/// An entry of track_script / track_interface / track_file / track_process.
public struct TrackedItem: Sendable, Codable, Equatable {
    public var name: String
    /// The weight written in the instance; nil means "the tracked object's own weight".
    public var weight: Int?
    /// `reverse` / `noreverse` as written; nil means "the tracked object's own".
    public var reverse: Bool?
    public var file: String
    public var line: Int
}

public struct NotifyScripts: Sendable, Codable, Equatable {
    public var notify: String?
    public var notifyMaster: String?
    public var notifyBackup: String?
    public var notifyFault: String?
    public var notifyStop: String?
    public var notifyMasterRxLowerPri: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case notify, notifyMaster = "notify_master", notifyBackup = "notify_backup"
        case notifyFault = "notify_fault", notifyStop = "notify_stop"
        case notifyMasterRxLowerPri = "notify_master_rx_lower_pri"
    }

    var all: [String] {
        // Most instances set none: then no array is built (keepalived budgets, <= 1.0x keepalived -t).
        guard notify != nil || notifyMaster != nil || notifyBackup != nil || notifyFault != nil || notifyStop != nil
                || notifyMasterRxLowerPri != nil else { return [] }
        return [notify, notifyMaster, notifyBackup, notifyFault, notifyStop, notifyMasterRxLowerPri].compactMap { $0 }
    }

    /// The state-change scripts `keepalived` text lists, each with its keyword: the CodingKey,
    /// the one spelling the keyword, its JSON key and the text share.
    public var stateScripts: [(keyword: String, script: String)] {
        // Most instances set none: then no array is built (keepalived budgets, <= 1.0x keepalived -t).
        guard notify != nil || notifyMaster != nil || notifyBackup != nil || notifyFault != nil || notifyStop != nil else { return [] }
        let scripts: [(CodingKeys, String?)] = [(.notify, notify), (.notifyMaster, notifyMaster), (.notifyBackup, notifyBackup),
                                                (.notifyFault, notifyFault), (.notifyStop, notifyStop)]
        return scripts.compactMap { key, script in script.map { (key.stringValue, $0) } }
    }
}

/// One virtual_ipaddress entry: `<addr>[/<prefix>] [brd <addr>] [dev <if>] [scope <s>] [label <l>] ...`
public struct VirtualAddress: Sendable, Codable, Equatable {
    public var address: IPAddress
    public var prefixlen: Int
    public var dev: String?
    public var label: String?
    public var scope: String?
    public var brd: String?
    /// Whether this address is on an interface here now (from netlink); nil when not looked.
    public var assignedHere: Bool?
    public var assignedOn: String?
    /// Options keepalived accepts that haexplain does not interpret (no_track, preferred_lft ...).
    public var options: [String] = []
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey {
        case address, prefixlen, dev, label, scope, brd, assignedHere = "assigned_here", assignedOn = "assigned_on"
        case options, file, line
    }
}

public struct VirtualRoute: Sendable, Codable, Equatable {
    public var route: String
    public var file: String
    public var line: Int
}

public struct Authentication: Sendable, Codable, Equatable {
    public var authType: String?
    /// Never printed: only its fingerprint is encoded.
    public var authPass: Secret?
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey {
        case authType = "auth_type", authPass = "auth_pass", file, line
    }
}

/// The state keepalived puts an instance in when it starts (its `wantstate` once the
/// configuration is complete), which may differ from the `state` keyword written.
public enum VRRPStartState: String, Sendable, Codable {
    case master = "MASTER", backup = "BACKUP"
}

/// The state an instance is in now, as haexplain infers it: keepalived's three, or none at all
/// when no keepalived process runs.
public enum VRRPState: String, Sendable, Codable, CaseIterable {
    case master = "MASTER", backup = "BACKUP", fault = "FAULT", stopped = "STOPPED"

    public init(_ start: VRRPStartState) {
        switch start {
        case .master: self = .master
        case .backup: self = .backup
        }
    }
}

public struct VRRPInstance: Sendable, Codable, Equatable {
    public var name: String
    /// The `state` keyword as written (nil when absent).
    public var state: String?
    /// The `state` keyword when it is one keepalived knows.
    public var writtenState: VRRPStartState? { state.flatMap(VRRPStartState.init(rawValue:)) }
    /// What keepalived 2.2.7 starts the instance as, and why (set when the file is read).
    public var initialState: VRRPStartState = .backup
    public var initialStateReason = "no state keyword: keepalived starts it as BACKUP"
    public var interface: String?
    public var virtualRouterID: Int?
    /// As configured; keepalived's default is 100 (255 when it owns the addresses is explicit).
    public var priority: Int = 100
    public var advertInt: Double = 1
    public var version: Int?
    public var nopreempt = false
    public var preemptDelay: Double?
    public var useVmac: String?
    public var unicastSrcIP: String?
    public var unicastPeer: [String] = []
    public var authentication: Authentication?
    public var virtualIpaddress: [VirtualAddress] = []
    public var virtualIpaddressExcluded: [VirtualAddress] = []
    public var virtualRoutes: [VirtualRoute] = []
    public var trackScript: [TrackedItem] = []
    public var trackInterface: [TrackedItem] = []
    public var trackFile: [TrackedItem] = []
    public var trackProcess: [TrackedItem] = []
    public var notify = NotifyScripts()
    public var syncGroup: String?
    public var file: String
    public var line: Int
    /// Filled by the analysis: which node's configuration this is, its priority under the
    /// stated assumption, and what each tracked failure would do.
    public var node: String?
    public var effectivePriority: EffectivePriority?
    public var whatif: [WhatIf]?
    /// Where each keyword was set, for problems that point at one line.
    public var keywordLines: [KeywordLine] = []

    public init(name: String, file: String, line: Int) {
        self.name = name
        self.file = file
        self.line = line
    }

    enum CodingKeys: String, CodingKey {
        case name, state, initialState = "initial_state", initialStateReason = "initial_state_reason"
        case interface, virtualRouterID = "virtual_router_id", priority
        case advertInt = "advert_int", version, nopreempt, preemptDelay = "preempt_delay"
        case useVmac = "use_vmac", unicastSrcIP = "unicast_src_ip", unicastPeer = "unicast_peer"
        case authentication, virtualIpaddress = "virtual_ipaddress"
        case virtualIpaddressExcluded = "virtual_ipaddress_excluded", virtualRoutes = "virtual_routes"
        case trackScript = "track_script", trackInterface = "track_interface"
        case trackFile = "track_file", trackProcess = "track_process", notify
        case syncGroup = "sync_group", file, line, node
        case effectivePriority = "effective_priority", whatif
    }

    /// The first line that sets `keyword` in this instance, else the instance's own line.
    public func line(of keyword: String) -> Int { keywordLines.first { $0.keyword == keyword }?.line ?? line }

    /// The address family of the instance: set by the first address keepalived reads in it
    /// (unicast_src_ip, a unicast_peer or a VIP); a VIP or peer of the other family is ignored.
    public var family: AddressFamily { declaredFamily ?? virtualIpaddress.first?.address.family ?? .inet }
    /// The family the first address read fixed (not encoded: a snapshot's VIPs carry it).
    var declaredFamily: AddressFamily?

    /// Fixes the family at the first address; false when `family` is the other one.
    mutating func claimFamily(_ family: AddressFamily) -> Bool {
        if let declaredFamily { return declaredFamily == family }
        declaredFamily = family
        return true
    }
}

/// A keyword of a block and the line it is on (a list: blocks hold a dozen keywords).
public struct KeywordLine: Sendable, Equatable {
    public var keyword: String
    public var line: Int
}

public struct VirtualServer: Sendable, Codable, Equatable {
    public var address: String
    public var port: String?
    public var realServers: [String] = []
    public var settings: [ConfigSetting] = []
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey {
        case address, port, realServers = "real_servers", settings, file, line
    }
}
