import HAModel

/// haproxy's configuration as haproxy 2.6 reads it: every section and line with its file and
/// line, and what haexplain needs from it (binds, backends, servers, modes).
public struct HAProxyConfiguration: Codable, Sendable, Equatable {
    /// The files read, in the order haproxy reads them (directories expanded).
    public var files: [String]
    public var sections: [HAProxySection]
    /// What `.diag`, `.notice` and `.warning` said, and conditions that could not be judged.
    public var messages: [HAProxyMessage]

    public init(files: [String] = [], sections: [HAProxySection] = [], messages: [HAProxyMessage] = []) {
        self.files = files
        self.sections = sections
        self.messages = messages
    }

    /// Sections that accept connections (frontend, listen).
    public var frontends: [HAProxySection] { sections.filter { $0.kind == .frontend || $0.kind == .listen } }
    /// Everything that listens: frontends and listens, and `global` when it has a `stats socket`.
    public var listeners: [HAProxySection] { sections.filter { $0.kind == .frontend || $0.kind == .listen || ($0.kind == .global && !$0.binds.isEmpty) } }
    /// Sections that hold servers (backend, listen).
    public var backends: [HAProxySection] { sections.filter { $0.kind == .backend || $0.kind == .listen } }

    /// haproxy's local peer name (`localpeer`, else as the reader was told); not encoded.
    public var localPeer: String?

    enum CodingKeys: String, CodingKey { case files, sections, messages }

    /// Whether haproxy would have anything to listen on, so that it starts at all. A peers
    /// section counts when it names the local peer (haproxy drops it otherwise), or, with the
    /// local name unknown, when it names any peer.
    public var hasListener: Bool {
        listeners.contains { !$0.disabled && !$0.binds.isEmpty } || sections.contains { section in
            section.keyword == "peers" && section.lines.contains { line in
                (line.words.first == "peer" || line.words.first == "server") && line.words.count > 1 && (localPeer.map { $0 == line.words[1] } ?? true)
            }
        }
    }

    public func backend(named name: String) -> HAProxySection? {
        sections.first { ($0.kind == .backend || $0.kind == .listen) && $0.name == name }
    }
}

public struct HAProxySection: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case global, defaults, frontend, backend, listen
        /// userlist, peers, resolvers, ...: read for their lines only.
        case other
    }

    public var kind: Kind
    /// The section keyword as written ("peers", "cache", ... for `other`).
    public var keyword: String
    public var name: String?
    public var file: String
    public var line: Int
    /// `mode` of the section, else of the defaults it inherits, else haproxy's default (tcp).
    public var mode: String?
    public var binds: [HAProxyBind]
    public var defaultBackend: HAProxyBackendReference?
    public var useBackends: [HAProxyBackendReference]
    public var servers: [HAProxyServer]
    /// What the section answers by itself, without a server: stats page, Prometheus exporter,
    /// `http-request return`/`redirect`/`deny`, monitor-uri, and in `global` the CLI of each
    /// `stats socket` (whose addresses are this section's binds).
    public var services: [HAProxyService] = []
    /// `disabled` (inherited from defaults, undone by `enabled`): the proxy does not start.
    public var disabled = false
    /// Every line of the section after its header, as words, with where it is. Never encoded:
    /// lines such as `stats auth` and `user ... insecure-password` hold secrets, and snapshots
    /// travel (ssh, files); what the verdict needs is in the fields above.
    public var lines: [HAProxyLine] = []

    public init(kind: Kind, keyword: String, name: String?, file: String, line: Int) {
        self.kind = kind
        self.keyword = keyword
        self.name = name
        self.file = file
        self.line = line
        self.binds = []
        self.useBackends = []
        self.servers = []
    }

    enum CodingKeys: String, CodingKey {
        case kind, keyword, name, file, line, mode, binds, defaultBackend = "default_backend"
        case useBackends = "use_backend", servers, services, disabled
    }

    /// Snapshots from an haexplain before `services` and `disabled` still decode (same schema).
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try container.decode(Kind.self, forKey: .kind), keyword: try container.decode(String.self, forKey: .keyword),
                  name: try container.decodeIfPresent(String.self, forKey: .name),
                  file: try container.decode(String.self, forKey: .file), line: try container.decode(Int.self, forKey: .line))
        mode = try container.decodeIfPresent(String.self, forKey: .mode)
        binds = try container.decode([HAProxyBind].self, forKey: .binds)
        defaultBackend = try container.decodeIfPresent(HAProxyBackendReference.self, forKey: .defaultBackend)
        useBackends = try container.decode([HAProxyBackendReference].self, forKey: .useBackends)
        servers = try container.decode([HAProxyServer].self, forKey: .servers)
        services = try container.decodeIfPresent([HAProxyService].self, forKey: .services) ?? []
        disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled) ?? false
    }

    public var source: Source { .file(file, line: line) }
    /// "frontend prod-db-internal" / "global".
    public var title: String { name.map { "\(keyword) \($0)" } ?? keyword }
}

/// One configuration line after haproxy's quoting and expansion.
public struct HAProxyLine: Codable, Sendable, Equatable {
    public var words: [String]
    public var file: String
    public var line: Int
}

public struct HAProxyBind: Codable, Sendable, Equatable {
    public var addresses: [HAProxyBindAddress]
    /// The words after the address list, as written (`transparent`, `ssl`, `crt`, PATH, ...).
    public var options: [String]
    /// `transparent`: haproxy sets IP_TRANSPARENT or IP_FREEBIND, so the socket binds even
    /// when the address is not local.
    public var transparent: Bool
    /// Always false with haproxy 2.6, which has no `freebind` bind keyword (and refuses one);
    /// kept so the JSON says so plainly.
    public var freebind: Bool
    /// `namespace NAME`: haproxy opens this socket in another network namespace.
    public var namespace: String?
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey { case addresses, options, transparent, freebind, namespace, file, line }

    /// Whether this bind can come up while its address is not assigned here.
    public var bindsNonLocal: Bool { transparent || freebind }

    /// Whether this bind's IPv6 sockets also take IPv4: haproxy sets IPV6_V6ONLY for `v6only`
    /// (which wins over `v4v6`), clears it for `v4v6`, and otherwise leaves the kernel's
    /// default, net.ipv6.bindv6only of haproxy's network namespace (0 on Linux unless changed;
    /// nil when unknown, taken as Linux's default).
    public func dualStack(bindv6only: Int?) -> Bool {
        if options.contains("v6only") { return false }
        if options.contains("v4v6") { return true }
        return (bindv6only ?? 0) == 0
    }
}

/// One address of a `bind` line (a bind lists several, separated by commas).
public struct HAProxyBindAddress: Codable, Sendable, Equatable {
    public enum Family: String, Codable, Sendable {
        /// IPv4/IPv6 decided by the address, or a host name resolved when haproxy starts.
        case inet, inet6, unix, abns, fd, sockpair, unspecified
    }

    /// The address as written, after environment expansion.
    public var text: String
    public var family: Family
    /// The IP address; nil for a wildcard (`*`, empty, `0.0.0.0`, `::` in any spelling), a host
    /// name or a socket path.
    public var address: IPAddress?
    /// True for `*`, an empty address, `0.0.0.0` and `::`: every address of the family.
    public var wildcard: Bool
    /// A host name haproxy resolves when it starts (nil when the address is literal).
    public var host: String?
    /// A UNIX socket path or file descriptor number.
    public var path: String?
    public var portLow: Int?
    public var portHigh: Int?
    /// "stream" (TCP), "dgram" (UDP) or "quic".
    public var transport: String

    enum CodingKeys: String, CodingKey {
        case text, family, address, wildcard, host, path, portLow = "port_low", portHigh = "port_high", transport
    }

    /// Whether a connection to `target`:`port` reaches this listener (ignoring which addresses
    /// are local: a wildcard matches every one of its family). `dualStack` says whether an
    /// IPv6 socket of this bind also takes IPv4 (IPV6_V6ONLY off), see `HAProxyBind.dualStack`.
    public func accepts(_ target: IPAddress, port: Int?, dualStack: Bool) -> Bool {
        guard family == .inet || family == .inet6 else { return false }
        if let port, let low = portLow, let high = portHigh, !(low...high).contains(port) { return false }
        if let address {
            if address == target { return true }
            // A dual-stack socket on ::ffff:a.b.c.d takes IPv4 connections to a.b.c.d.
            if dualStack, case .v6(let high, let low) = address, case .v4(let v4) = target {
                return high == 0 && low == 0x0000_ffff_0000_0000 | UInt64(v4)
            }
            return false
        }
        guard wildcard else { return false }
        if family == .inet { return target.family == .inet }
        return target.family == .inet6 || dualStack
    }

    public var portText: String {
        guard let low = portLow else { return "" }
        return portHigh.map { $0 != low ? "\(low)-\($0)" : "\(low)" } ?? "\(low)"
    }
}

public struct HAProxyServer: Codable, Sendable, Equatable {
    public var name: String
    /// The address as written (host name, IP, `unix@`, `${VAR}` expanded).
    public var addressText: String
    public var address: IPAddress?
    public var host: String?
    /// nil when the server takes the client's destination port; offsets (`+N`, `-N`) kept as text.
    public var port: String?
    public var options: [String]
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey { case name, addressText = "address_text", address, host, port, options, file, line }

    /// "db-000 192.168.3.21:3306".
    public var summary: String { "\(name) \(addressText)" }
}

public struct HAProxyBackendReference: Codable, Sendable, Equatable {
    public var backend: String
    /// The words after `if`/`unless`, when the rule is conditional.
    public var condition: [String]?
    public var file: String
    public var line: Int
}

public struct HAProxyMessage: Codable, Sendable, Equatable {
    /// diag, notice, warning, alert (haproxy's, yet not fatal) or note (haexplain's own remark).
    public var level: String
    public var message: String
    public var file: String
    public var line: Int
    /// The problem this message is for `--check`, when it is one (a `.notice` is not).
    public var code: HAProxyProblem.Code?

    public init(level: String, message: String, file: String, line: Int, code: HAProxyProblem.Code? = nil) {
        self.level = level
        self.message = message
        self.file = file
        self.line = line
        self.code = code
    }
}

/// Something haproxy answers itself, without passing the connection to a server.
public struct HAProxyService: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// `stats enable`, `stats uri` and the other `stats` keywords of a proxy (HTTP mode only).
        case statsPage = "stats_page"
        /// `http-request use-service prometheus-exporter`.
        case prometheusExporter = "prometheus_exporter"
        /// `http-request use-service NAME` for another service (a Lua one).
        case service
        /// `http-request return`.
        case httpReturn = "http_return"
        /// `http-request redirect` or `redirect`.
        case redirect
        /// `http-request deny` (403 unless deny_status says otherwise) or `tarpit` (500 after a delay).
        case deny
        case tarpit
        /// `monitor-uri`: 200 to that URI.
        case monitorURI = "monitor_uri"
        /// `stats socket` in global: haproxy's command line interface.
        case cli
    }

    public var kind: Kind
    /// What it answers, in haproxy's words: "stats page at /haproxy?stats", "status 200", ...
    public var detail: String
    /// The words from `if`/`unless` on, when the rule is conditional.
    public var condition: [String]?
    public var file: String
    public var line: Int

    public init(kind: Kind, detail: String, condition: [String]? = nil, file: String, line: Int) {
        self.kind = kind
        self.detail = detail
        self.condition = condition
        self.file = file
        self.line = line
    }

    /// Only HTTP proxies answer these; haproxy ignores them in TCP mode, with a warning.
    public var needsHTTP: Bool { kind != .cli }

    /// "stats page at /st [haproxy.cfg:12]", "status 200 if { path /health } [haproxy.cfg:14]".
    public var sentence: String {
        let condition = condition.map { " " + $0.joined(separator: " ") } ?? ""
        return "\(detail)\(condition) [\(file):\(line)]"
    }
}
