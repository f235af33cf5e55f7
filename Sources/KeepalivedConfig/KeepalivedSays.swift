import HAModel

/// What the running keepalived itself says about its instances (its JSON dump, written on
/// SIGJSON), beside haexplain's inference, with every disagreement named.
public struct KeepalivedSays: Sendable, Codable, Equatable {
    public struct Instance: Sendable, Codable, Equatable {
        public var name: String
        public var virtualRouterID: Int?
        public var interface: String?
        /// keepalived's state now: INIT, BACKUP, MASTER, FAULT (or its number if unknown).
        public var state: String
        public var basePriority: Int?
        public var effectivePriority: Int?
        /// The priority of the master it last heard (0 when none).
        public var masterPriority: Int?

        public init(name: String, virtualRouterID: Int?, interface: String?, state: String, basePriority: Int?,
                    effectivePriority: Int?, masterPriority: Int?) {
            self.name = name
            self.virtualRouterID = virtualRouterID
            self.interface = interface
            self.state = state
            self.basePriority = basePriority
            self.effectivePriority = effectivePriority
            self.masterPriority = masterPriority
        }

        enum CodingKeys: String, CodingKey {
            case name, virtualRouterID = "virtual_router_id", interface, state
            case basePriority = "base_priority", effectivePriority = "effective_priority", masterPriority = "master_priority"
        }
    }

    /// Where the dump came from: its file, the process and how old it was when read.
    public var source: String
    public var node: String
    public var instances: [Instance]
    /// Where keepalived and haexplain's inference differ, one sentence each.
    public var disagreements: [String] = []

    public init(source: String, node: String, instances: [Instance]) {
        self.source = source
        self.node = node
        self.instances = instances
    }

    enum CodingKeys: String, CodingKey { case source, node, instances, disagreements }
}

