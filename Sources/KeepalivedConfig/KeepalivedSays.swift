import HAModel

/// What the running keepalived itself says about its instances (its JSON dump, written on
/// SIGJSON), beside haexplain's inference, with every disagreement named.
public struct KeepalivedSays: Sendable, Codable, Equatable {
    public struct Instance: Sendable, Codable, Equatable {
        public var name: String
        public var virtualRouterID: Int?
        public var interface: String?
        /// keepalived's state now: INIT, BACKUP, MASTER, FAULT (or its number if unknown).
        public var state: State
        public var basePriority: Int?
        public var effectivePriority: Int?
        /// The priority of the master it last heard (0 when none).
        public var masterPriority: Int?

        public init(name: String, virtualRouterID: Int?, interface: String?, state: State, basePriority: Int?,
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

    /// keepalived's state numbers (vrrp.h), said in its words; JSON carries the words.
    public enum State: Sendable, Equatable, Codable, CustomStringConvertible {
        case initial, backup, master, fault
        case other(Int)
        case unknown

        public init(number: Int?) {
            switch number {
            case 0?: self = .initial
            case 1?: self = .backup
            case 2?: self = .master
            case 3?: self = .fault
            case let other?: self = .other(other)
            case nil: self = .unknown
            }
        }

        public var description: String {
            switch self {
            case .initial: "INIT"
            case .backup: "BACKUP"
            case .master: "MASTER"
            case .fault: "FAULT"
            case .other(let number): "state \(number)"
            case .unknown: "unknown"
            }
        }

        public init(from decoder: any Decoder) throws {
            let word = try decoder.singleValueContainer().decode(String.self)
            let known: [State] = [.initial, .backup, .master, .fault]
            if let state = known.first(where: { $0.description == word }) {
                self = state
            } else if word.hasPrefix("state "), let number = Int(word.dropFirst("state ".count)) {
                self = .other(number)
            } else {
                self = .unknown
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
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

