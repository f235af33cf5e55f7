import HAModel
import HAProxyConfig

/// The answer of `haexplain haproxy`: frontends with their binds (and whether a socket really
/// listens for each), backends with their servers, and, for ADDRESS[:PORT], what serves it.
public struct HAProxyReport: Codable, Sendable {
    public var schemaVersion = SchemaVersion.current
    public var netns: String?
    public var files: [String]
    public var chosenBecause: String
    public var query: String?
    /// For a query: every bind that takes it, and where it leads.
    public var routes: [HAProxyRoute]?
    public var frontends: [Frontend]
    public var backends: [Backend]
    public var nonlocalBind: NonlocalBind?
    /// net.ipv6.bindv6only: whether IPv6 wildcard binds without v4v6/v6only take IPv4 too.
    public var bindv6only: Int?
    public var messages: [HAProxyMessage]
    public var warnings: [String]
    public var limits: [Limit]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", netns, files, chosenBecause = "chosen_because", query, routes
        case frontends, backends, nonlocalBind = "nonlocal_bind", bindv6only, messages, warnings, limits
    }

    public struct Frontend: Codable, Sendable {
        public var name: String
        public var kind: String
        public var file: String
        public var line: Int
        public var mode: String
        public var binds: [Bind]
        public var defaultBackend: HAProxyBackendReference?
        public var useBackend: [HAProxyBackendReference]
        public var services: [HAProxyService]

        enum CodingKeys: String, CodingKey {
            case name, kind, file, line, mode, binds, defaultBackend = "default_backend", useBackend = "use_backend", services
        }
    }

    public struct Bind: Codable, Sendable {
        public var address: HAProxyBindAddress
        public var file: String
        public var line: Int
        public var options: [String]
        public var transparent: Bool
        /// listening, not listening, or not checked (a path, a host name, sockets unread).
        public var status: String
        public var listening: [ListeningSocket]
    }

    public struct Backend: Codable, Sendable {
        public var name: String
        public var kind: String
        public var file: String
        public var line: Int
        public var mode: String
        public var servers: [HAProxyServer]
        public var services: [HAProxyService]
    }
}

public enum HAProxyExplainer {
    /// "192.168.3.200:5432", "[2001:db8::1]:80", "2001:db8::1", "192.168.3.200" -> address and port.
    public static func parseQuery(_ text: String) -> (address: IPAddress, port: Int?)? {
        if let address = IPAddress(text) { return (address, nil) }
        var host = Substring(text)
        var port: Int?
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let rest = host[host.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return nil }
            if rest.hasPrefix(":") { guard let value = Int(rest.dropFirst()) else { return nil }; port = value }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":"), !host[..<colon].contains(":") {
            guard let value = Int(host[host.index(after: colon)...]) else { return nil }
            port = value
            host = host[..<colon]
        }
        guard let address = IPAddress(host), port.map({ (1...65535).contains($0) }) ?? true else { return nil }
        return (address, port)
    }

    public static func report(_ snapshot: HAProxySnapshot, addresses: AddressTable?, query: (address: IPAddress, port: Int?)?,
                              queryText: String?, netns: String?, limits: [Limit] = []) -> HAProxyReport {
        let config = snapshot.configuration ?? HAProxyConfiguration()
        var warnings: [String] = []
        var limits = limits
        if let problem = snapshot.configurationProblem { limits.append(Limit(source: .process("haproxy"), message: "no haproxy configuration read: \(problem)")) }
        if snapshot.listeners == nil {
            limits.append(Limit(source: ListeningSocketTable.dumpSource, message: "listening sockets were not read: whether each bind really listens is not checked"))
        }
        let local = Set(addresses?.interfaces.flatMap { $0.addrInfo.map(\.local) } ?? [])
        var frontends: [HAProxyReport.Frontend] = []
        for section in config.listeners {
            var binds: [HAProxyReport.Bind] = []
            for bind in section.binds {
                for address in bind.addresses {
                    // A bind with `namespace` listens in another network namespace than the one read.
                    let (status, sockets) = bind.namespace == nil ? listening(address, snapshot.listeners) : ("not checked", [])
                    binds.append(HAProxyReport.Bind(address: address, file: bind.file, line: bind.line, options: bind.options,
                                                    transparent: bind.transparent, status: status, listening: sockets))
                    if status == "not listening" {
                        warnings.append("\(section.title): bind \(address.text) (\(bind.file):\(bind.line)) is configured but nothing listens there (is haproxy running, with this configuration?)")
                    }
                    if let ip = address.address, addresses != nil, !local.contains(ip), !bind.bindsNonLocal,
                       snapshot.nonlocalBind?.value(for: ip.family) == 0 {
                        let sysctl = NonlocalBind.sysctl(for: ip.family)
                        warnings.append("haproxy cannot start or reload here while \(ip) is not assigned (this node is BACKUP for it): \(section.title) binds \(address.text) (\(bind.file):\(bind.line)) and \(sysctl) = 0; set \(sysctl)=1 or add `transparent` to that bind (haproxy then sets IP_TRANSPARENT or IP_FREEBIND)")
                    }
                }
            }
            frontends.append(HAProxyReport.Frontend(name: section.name ?? "", kind: section.kind.rawValue, file: section.file, line: section.line,
                                                    mode: section.mode ?? "tcp", binds: binds, defaultBackend: section.defaultBackend,
                                                    useBackend: section.useBackends, services: section.services))
        }
        let backends = config.backends.map {
            HAProxyReport.Backend(name: $0.name ?? "", kind: $0.kind.rawValue, file: $0.file, line: $0.line, mode: $0.mode ?? "tcp", servers: $0.servers,
                                  services: $0.kind == .backend ? $0.services : [])
        }
        var routes: [HAProxyRoute]?
        if let query {
            routes = HAProxyRoutes.routes(to: query.address, port: query.port, config: config, listeners: snapshot.listeners,
                                          bindv6only: snapshot.bindv6only)
            if routes?.isEmpty == true, snapshot.configuration != nil {
                let held = local.contains(query.address)
                warnings.append("no haproxy frontend binds \(queryText ?? query.address.description)\(held ? "; \(query.address) is assigned here, so traffic to it would be refused unless something else listens" : "")")
            }
        }
        return HAProxyReport(netns: netns, files: config.files, chosenBecause: snapshot.chosenBecause, query: queryText, routes: routes,
                             frontends: frontends, backends: backends, nonlocalBind: snapshot.nonlocalBind, bindv6only: snapshot.bindv6only,
                             messages: config.messages, warnings: warnings, limits: limits)
    }

    /// The sockets that are this bind, matched by address (wildcards by family) and port.
    static func listening(_ address: HAProxyBindAddress, _ table: ListeningSocketTable?) -> (String, [ListeningSocket]) {
        guard let table, address.family == .inet || address.family == .inet6, address.host == nil,
              let low = address.portLow, let high = address.portHigh else { return ("not checked", []) }
        let wanted: IPAddress = address.address ?? (address.family == .inet ? .v4(0) : .v6(0, 0))
        let sockets = table.sockets.filter { $0.transport == "tcp" && $0.address == wanted && (low...high).contains($0.port) }
        let complete = Set(sockets.map(\.port)).count == high - low + 1
        return (complete ? "listening" : "not listening", sockets)
    }
}

/// The text rendering of `haexplain haproxy`; it reads the report and computes nothing.
public enum HAProxyText {
    public static func render(_ report: HAProxyReport) -> String {
        var out = "haproxy configuration: \(report.files.isEmpty ? "none" : report.files.joined(separator: ", "))\n  (\(report.chosenBecause))\n"
        if let query = report.query, let routes = report.routes {
            out += "\n\(query)\n"
            if routes.isEmpty { out += "  not served by any frontend\n" }
            for route in routes {
                out += "  served by \(HAProxyRoutes.sentence(route))\n"
                if let listening = route.listening {
                    out += listening.isEmpty ? "    nothing listens on it now\n"
                        : listening.map { "    listening: \(socket($0))\n" }.joined()
                }
            }
        }
        for frontend in report.frontends {
            out += frontend.kind == "global" ? "\nglobal (stats socket)  [\(frontend.file):\(frontend.line)]\n"
                : "\n\(frontend.kind) \(frontend.name)  [\(frontend.file):\(frontend.line)] mode \(frontend.mode)\n"
            for bind in frontend.binds {
                let options = bind.options.isEmpty ? "" : " " + bind.options.joined(separator: " ")
                out += "  \(frontend.kind == "global" ? "stats socket" : "bind") \(bind.address.text)\(options)  [\(bind.file):\(bind.line)] \(bind.status)\n"
                for socket in bind.listening { out += "    \(self.socket(socket))\n" }
            }
            for rule in frontend.useBackend {
                out += "  use_backend \(rule.backend)\(rule.condition.map { " " + $0.joined(separator: " ") } ?? "")  [\(rule.file):\(rule.line)]\n"
            }
            if let fallback = frontend.defaultBackend {
                out += "  default_backend \(fallback.backend)  [\(fallback.file):\(fallback.line)]\n"
            }
            for service in frontend.services { out += "  answers itself: \(service.sentence)\n" }
        }
        for backend in report.backends where backend.kind == "backend" || !backend.servers.isEmpty {
            out += "\n\(backend.kind) \(backend.name)  [\(backend.file):\(backend.line)] mode \(backend.mode)\n"
            if backend.servers.isEmpty { out += "  no servers\n" }
            for service in backend.services { out += "  answers itself: \(service.sentence)\n" }
            for server in backend.servers {
                let options = server.options.isEmpty ? "" : " " + server.options.joined(separator: " ")
                out += "  server \(server.name) \(server.addressText)\(options)  [\(server.file):\(server.line)]\n"
            }
        }
        if let nonlocal = report.nonlocalBind {
            out += "\nnet.ipv4.ip_nonlocal_bind = \(nonlocal.ipv4.map(String.init) ?? "unknown"), net.ipv6.ip_nonlocal_bind = \(nonlocal.ipv6.map(String.init) ?? "unknown")"
            out += ", net.ipv6.bindv6only = \(report.bindv6only.map(String.init) ?? "unknown")\n"
        }
        if !report.messages.isEmpty { out += "\n" }
        for message in report.messages { out += "\(message.level): \(message.message) [\(message.file):\(message.line)]\n" }
        if !report.warnings.isEmpty || !report.limits.isEmpty { out += "\n" }
        for warning in report.warnings { out += "warning: \(warning)\n" }
        for limit in report.limits { out += "limit: \(limit.text)\n" }
        return out
    }

    static func socket(_ socket: ListeningSocket) -> String {
        let owners = socket.owners.isEmpty ? "owner unknown" : socket.owners.map { "\($0.command) pid \($0.pid) fd \($0.fd)" }.joined(separator: ", ")
        return "\(socket.transport) \(socket.endpoint) \(owners)"
    }
}
