import HAModel
import HAProxyConfig

/// What one host knows about its haproxy: the configuration it reads, the sockets that
/// really listen, and whether the kernel lets a process bind an address it does not hold.
/// Part of `HostSnapshot` (key "haproxy") and of the live host's view.
public struct HAProxySnapshot: Codable, Sendable {
    public var configuration: HAProxyConfiguration?
    /// Why these files were read (the running haproxy's -f, --haproxy-config, the default).
    public var chosenBecause: String
    /// Why no configuration could be read, when none was.
    public var configurationProblem: String?
    public var listeners: ListeningSocketTable?
    public var nonlocalBind: NonlocalBind?
    /// net.ipv6.bindv6only of haproxy's network namespace: whether an IPv6 wildcard bind with
    /// neither `v4v6` nor `v6only` also takes IPv4 (0, Linux's default) or not (nil: unread).
    public var bindv6only: Int?

    public init(configuration: HAProxyConfiguration?, chosenBecause: String, configurationProblem: String? = nil,
                listeners: ListeningSocketTable?, nonlocalBind: NonlocalBind?, bindv6only: Int? = nil) {
        self.configuration = configuration
        self.chosenBecause = chosenBecause
        self.configurationProblem = configurationProblem
        self.listeners = listeners
        self.nonlocalBind = nonlocalBind
        self.bindv6only = bindv6only
    }

    enum CodingKeys: String, CodingKey {
        case configuration, chosenBecause = "chosen_because", configurationProblem = "configuration_problem"
        case listeners, nonlocalBind = "nonlocal_bind", bindv6only
    }
}

/// net.ipv4.ip_nonlocal_bind and net.ipv6.ip_nonlocal_bind of the namespace haproxy runs in
/// (nil when unreadable).
public struct NonlocalBind: Codable, Sendable, Equatable {
    public var ipv4: Int?
    public var ipv6: Int?
    public var netns: String?

    public init(ipv4: Int?, ipv6: Int?, netns: String?) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.netns = netns
    }

    public func value(for family: AddressFamily) -> Int? { family == .inet ? ipv4 : ipv6 }
    public static func sysctl(for family: AddressFamily) -> String {
        family == .inet ? "net.ipv4.ip_nonlocal_bind" : "net.ipv6.ip_nonlocal_bind"
    }
}

/// One frontend (or listen) bind that takes traffic for an address, with where it leads.
public struct HAProxyRoute: Codable, Sendable, Equatable {
    public var frontend: String
    public var file: String
    public var line: Int
    public var bind: String
    public var bindFile: String
    public var bindLine: Int
    public var ports: String
    /// True when the bind names the address itself (not a wildcard).
    public var specific: Bool
    public var bindsNonLocal: Bool
    /// The section's mode: without a backend, HTTP answers 503 and TCP closes the connection.
    public var mode: String
    /// What the section answers by itself (stats page, exporter, return, redirect, CLI, ...).
    public var services: [HAProxyService]
    public var backends: [HAProxyRouteBackend]
    /// The sockets that accept these ports on the address now; nil when not observed.
    public var listening: [ListeningSocket]?

    enum CodingKeys: String, CodingKey {
        case frontend, file, line, bind, bindFile = "bind_file", bindLine = "bind_line", ports, specific
        case bindsNonLocal = "binds_nonlocal", mode, services, backends, listening
    }
}

public struct HAProxyRouteBackend: Codable, Sendable, Equatable {
    public var name: String
    /// "default_backend" or "use_backend if ..." / "use_backend unless ...".
    public var rule: String
    public var file: String
    public var line: Int
    public var servers: [String]
    /// What the backend answers by itself (a stats page, ...).
    public var services: [HAProxyService]
}

public enum HAProxyRoutes {
    /// Every bind of every frontend and listen section that accepts `address` (on `port`,
    /// when given), with the backends it leads to and the sockets listening for it.
    public static func routes(to address: IPAddress, port: Int? = nil, config: HAProxyConfiguration,
                              listeners: ListeningSocketTable?, bindv6only: Int? = nil) -> [HAProxyRoute] {
        var routes: [HAProxyRoute] = []
        for frontend in config.listeners {
            for bind in frontend.binds {
                let dualStack = bind.dualStack(bindv6only: bindv6only)
                for listen in bind.addresses where listen.accepts(address, port: port, dualStack: dualStack) {
                    let low = port ?? listen.portLow ?? 0
                    let high = port ?? listen.portHigh ?? low
                    var listening: [ListeningSocket]?
                    if let listeners, bind.namespace == nil {
                        let matching = listeners.sockets.filter { $0.transport == "tcp" && (low...high).contains($0.port) && $0.accepts(address) }
                        listening = matching.filter { !$0.isWildcard } + matching.filter(\.isWildcard)
                    }
                    routes.append(HAProxyRoute(
                        frontend: frontend.title, file: frontend.file, line: frontend.line, bind: listen.text,
                        bindFile: bind.file, bindLine: bind.line, ports: low == high ? "\(low)" : "\(low)-\(high)",
                        specific: listen.address != nil, bindsNonLocal: bind.bindsNonLocal, mode: frontend.mode ?? "tcp",
                        services: frontend.services, backends: backends(of: frontend, in: config), listening: listening))
                }
            }
        }
        return routes
    }

    static func backends(of frontend: HAProxySection, in config: HAProxyConfiguration) -> [HAProxyRouteBackend] {
        var result: [HAProxyRouteBackend] = []
        func servers(_ name: String) -> [String] {
            // A listen section serves with its own servers.
            config.backend(named: name)?.servers.map(\.summary) ?? []
        }
        // A backend's own answers; a listen's are its frontend's, said once.
        func services(_ name: String) -> [HAProxyService] {
            config.backend(named: name).flatMap { $0.kind == .backend ? $0.services : nil } ?? []
        }
        for rule in frontend.useBackends {
            let condition = rule.condition.map { " " + $0.joined(separator: " ") } ?? ""
            result.append(HAProxyRouteBackend(name: rule.backend, rule: "use_backend\(condition)", file: rule.file, line: rule.line,
                                              servers: servers(rule.backend), services: services(rule.backend)))
        }
        if let fallback = frontend.defaultBackend {
            result.append(HAProxyRouteBackend(name: fallback.backend, rule: "default_backend", file: fallback.file, line: fallback.line,
                                              servers: servers(fallback.backend), services: services(fallback.backend)))
        }
        if frontend.kind == .listen, !frontend.servers.isEmpty, frontend.defaultBackend == nil {
            result.append(HAProxyRouteBackend(name: frontend.name ?? "", rule: "its own servers", file: frontend.file, line: frontend.line,
                                              servers: frontend.servers.map(\.summary), services: []))
        }
        return result
    }

    /// "frontend X (haproxy.cfg:N) → backend Y (servers a 1.2.3.4:5432, b ...)", with what
    /// the section answers itself first ("answers itself: stats page at /st [haproxy.cfg:9]").
    public static func sentence(_ route: HAProxyRoute) -> String {
        let targets = route.backends.map { backend in
            var servers = backend.servers.isEmpty ? "no servers" : "servers " + backend.servers.joined(separator: ", ")
            if !backend.services.isEmpty { servers += "; answers itself: " + backend.services.map(\.sentence).joined(separator: ", ") }
            let rule = backend.rule == "default_backend" ? "" : " [\(backend.rule)]"
            return "backend \(backend.name)\(rule) (\(servers))"
        }
        var to = ""
        if !route.services.isEmpty { to += " answers itself: " + route.services.map(\.sentence).joined(separator: "; ") }
        if !targets.isEmpty {
            to += (to.isEmpty ? " → " : "; otherwise → ") + targets.joined(separator: "; ")
        } else if route.services.contains(where: { $0.kind == .cli }) {
            // A stats socket has no backend to have.
        } else if route.mode == "http" {
            to += (to.isEmpty ? " → " : "; otherwise → ") + "no backend (other requests get 503 Service Unavailable: no default_backend or use_backend)"
        } else {
            to += " → no backend (connections are closed: no default_backend or use_backend)"
        }
        return "\(route.frontend) (\(route.file):\(route.line))\(to)"
    }
}
