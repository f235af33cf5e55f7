/// One route as the kernel answers `ip route get` (the route a packet takes) or
/// `ip route get fibmatch` (the table entry that matched). Field names and values are
/// iproute2's JSON ones, so the two can be compared side by side.
public struct KernelRoute: Codable, Sendable, Equatable {
    /// unicast, local, broadcast, multicast, blackhole, unreachable, prohibit, throw, ...
    public var type: String
    /// The destination: an address, a prefix ("10.1.0.0/24") or "default".
    public var dst: String
    public var gateway: IPAddress?
    public var dev: String?
    /// The source address the kernel would pick.
    public var prefsrc: IPAddress?
    /// "local", "main", "default" or the table's number.
    public var table: String
    public var `protocol`: String?
    public var scope: String?
    public var metric: Int?
    /// The destination prefix length (32/128 for a host route).
    public var dstLength: Int

    public init(type: String, dst: String, gateway: IPAddress? = nil, dev: String? = nil, prefsrc: IPAddress? = nil,
                table: String, protocol: String? = nil, scope: String? = nil, metric: Int? = nil, dstLength: Int) {
        self.type = type
        self.dst = dst
        self.gateway = gateway
        self.dev = dev
        self.prefsrc = prefsrc
        self.table = table
        self.protocol = `protocol`
        self.scope = scope
        self.metric = metric
        self.dstLength = dstLength
    }

    enum CodingKeys: String, CodingKey {
        case type, dst, gateway, dev, prefsrc, table, `protocol`, scope, metric, dstLength = "dst_len"
    }
}

/// One policy-routing rule (`ip rule`): a selector and what it does with matching packets.
public struct PolicyRule: Codable, Sendable, Equatable {
    public var priority: Int
    /// As `ip rule` prints it after the priority, e.g. "from all to 10.9.0.0/16 lookup 100".
    public var text: String
    /// The table it looks up, for `lookup` rules.
    public var table: String?
    /// lookup, goto, nop, blackhole, unreachable, prohibit.
    public var action: String
    /// True when a packet this host sends to the address (no source chosen yet, no mark,
    /// from the loopback interface) is selected by it.
    public var selectsLocalTraffic: Bool
    /// Selectors this reading does not judge (tos, uid range, ports, ...): the rule may or may not apply.
    public var unjudged: [String]
    /// suppress_prefixlen: a lookup result with a prefix this short or shorter is refused.
    public var suppressPrefixLength: Int?

    public init(priority: Int, text: String, table: String?, action: String, selectsLocalTraffic: Bool,
                unjudged: [String] = [], suppressPrefixLength: Int? = nil) {
        self.priority = priority
        self.text = text
        self.table = table
        self.action = action
        self.selectsLocalTraffic = selectsLocalTraffic
        self.unjudged = unjudged
        self.suppressPrefixLength = suppressPrefixLength
    }

    enum CodingKeys: String, CodingKey {
        case priority, text, table, action, selectsLocalTraffic = "selects_local_traffic", unjudged
        case suppressPrefixLength = "suppress_prefixlen"
    }
}

/// What the kernel of one host would do with a packet it sends to an address.
public struct RoutePath: Codable, Sendable, Equatable {
    public var address: IPAddress
    /// `ip route get ADDRESS`; nil when the kernel refused the lookup.
    public var route: KernelRoute?
    /// `ip route get fibmatch ADDRESS`: the table entry that matched.
    public var fibEntry: KernelRoute?
    /// The route type a refusal stands for (blackhole, unreachable, prohibit, none) and the
    /// kernel's error, when it refused.
    public var refused: String?
    public var error: String?
    /// The policy rule that chose the table, when one could be named.
    public var rule: PolicyRule?
    /// What the path means, in a sentence.
    public var summary: String
    public var source: Source
    /// The host whose kernel answered (set when answers from several hosts are shown together).
    public var host: String? = nil

    public init(address: IPAddress, route: KernelRoute?, fibEntry: KernelRoute?, refused: String? = nil, error: String? = nil,
                rule: PolicyRule?, summary: String, source: Source) {
        self.address = address
        self.route = route
        self.fibEntry = fibEntry
        self.refused = refused
        self.error = error
        self.rule = rule
        self.summary = summary
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case address, route, fibEntry = "fib_entry", refused, error, rule, summary, source, host
    }
}
