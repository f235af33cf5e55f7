import HAModel
import HAProxyConfig

/// haproxy's part of `haexplain ip`: which frontend serves the address on each host, whether
/// a socket really listens there, and the backup trap (a bind on a VIP that a BACKUP node
/// cannot make, so haproxy there cannot start or reload). Pure: from host views only.
public enum HAProxyClaims {
    public struct Findings: Sendable, Equatable {
        public var evidence: [Evidence] = []
        public var warnings: [String] = []
        public var limits: [Limit] = []
    }

    public static func explain(_ address: IPAddress, hosts: [ExaminedHost]) -> Findings {
        var found = Findings()
        for host in hosts {
            guard let haproxy = host.haproxy else { continue }
            let name = host.hostname
            guard let config = haproxy.configuration else {
                found.limits.append(Limit(source: .process("haproxy"),
                                          message: "haproxy on \(name): no configuration read (\(haproxy.configurationProblem ?? haproxy.chosenBecause)), so what serves \(address) there is not known"))
                continue
            }
            if haproxy.listeners == nil {
                found.limits.append(Limit(source: ListeningSocketTable.dumpSource,
                                          message: "the listening sockets of \(name) were not read, so whether haproxy really listens on \(address) is not known"))
            }
            let holds = host.addresses.map { !$0.assignments(of: address).isEmpty }
            let routes = HAProxyRoutes.routes(to: address, config: config, listeners: haproxy.listeners, bindv6only: haproxy.bindv6only)
            for route in routes {
                // A node that does not hold the address serves it only after taking it over.
                let serves = holds == false ? "would be served, once \(name) holds it, by" : "is served by"
                found.evidence.append(Evidence(.file(route.bindFile, line: route.bindLine),
                    "\(endpoint(address, route.ports)) \(serves) \(HAProxyRoutes.sentence(route)) on \(name)", host: name))
                if holds == true {
                    listening(address, route, host: name, into: &found)
                } else if holds == false {
                    backupTrap(address, route, host: name, nonlocal: haproxy.nonlocalBind, into: &found)
                }
            }
            if routes.isEmpty, holds == true {
                let files = config.files.joined(separator: ", ")
                found.evidence.append(Evidence(.file(config.files.first ?? "haproxy.cfg"),
                    "no haproxy frontend on \(name) binds \(address) or a wildcard (\(files))", host: name))
                if let listeners = haproxy.listeners {
                    let others = listeners.sockets.filter { $0.accepts(address) }
                    if others.isEmpty {
                        found.warnings.append("no listener: nothing listens on \(address) on \(name), so traffic to the VIP would be refused")
                    } else {
                        found.evidence.append(Evidence(listeners.source, "on \(name), \(address) is accepted only by " + others.prefix(8).map(describe).joined(separator: ", ")
                            + (others.count > 8 ? " (showing 8 of \(others.count))" : ""), host: name))
                    }
                }
            }
        }
        return found
    }

    static func endpoint(_ address: IPAddress, _ ports: String) -> String {
        address.family == .inet6 ? "[\(address)]:\(ports)" : "\(address):\(ports)"
    }

    static func describe(_ socket: ListeningSocket) -> String {
        let owners = socket.owners.isEmpty ? "owner unknown" : socket.owners.map { "\($0.command) pid \($0.pid)" }.joined(separator: ", ")
        return "\(socket.transport) \(socket.endpoint) (\(owners))"
    }

    /// This host holds the address: someone must listen, or clients are refused.
    static func listening(_ address: IPAddress, _ route: HAProxyRoute, host: String, into found: inout Findings) {
        guard let sockets = route.listening else { return }
        if sockets.isEmpty {
            found.warnings.append("no listener: \(route.frontend) binds \(route.bind) (\(route.bindFile):\(route.bindLine)) but nothing listens on \(endpoint(address, route.ports)) on \(host), so traffic to the VIP would be refused (is haproxy running?)")
            return
        }
        let unique = sockets.reduce(into: [ListeningSocket]()) { list, socket in if !list.contains(socket) { list.append(socket) } }
        found.evidence.append(Evidence(ListeningSocketTable.dumpSource, "listening on \(host): " + unique.map(describe).joined(separator: ", "), host: host))
        let strangers = unique.filter { socket in !socket.owners.isEmpty && !socket.owners.contains { $0.command.hasPrefix("haproxy") } }
        for socket in strangers {
            found.warnings.append("\(socket.endpoint) on \(host) is held by \(socket.owners.map { "\($0.command) (pid \($0.pid))" }.joined(separator: ", ")), not haproxy: \(route.frontend) does not get this traffic")
        }
    }

    /// This host does not hold the address: a bind on it succeeds only with nonlocal binds.
    static func backupTrap(_ address: IPAddress, _ route: HAProxyRoute, host: String, nonlocal: NonlocalBind?, into found: inout Findings) {
        guard route.specific else { return }
        let sysctl = NonlocalBind.sysctl(for: address.family)
        let sysctlFile = Source(kind: .file, file: "/proc/sys/" + sysctl.replacingDots(), detail: nonlocal?.netns)
        let bind = "\(route.frontend) binds \(route.bind) (\(route.bindFile):\(route.bindLine))"
        if route.bindsNonLocal {
            found.evidence.append(Evidence(.file(route.bindFile, line: route.bindLine),
                "\(bind) with `transparent` (IP_TRANSPARENT or IP_FREEBIND), so haproxy on \(host) starts even while \(address) is not assigned there", host: host))
            return
        }
        switch nonlocal?.value(for: address.family) {
        case 0?:
            found.warnings.append("haproxy cannot start or reload here while this node is BACKUP: \(bind), \(address) is not assigned on \(host) and \(sysctl) = 0 there; set \(sysctl)=1 or add `transparent` to that bind (haproxy then sets IP_TRANSPARENT or IP_FREEBIND)")
        case let value?:
            found.evidence.append(Evidence(sysctlFile, "\(sysctl) = \(value) on \(host): haproxy may bind \(address) while it is not assigned there", host: host))
        case nil:
            found.limits.append(Limit(source: sysctlFile, message: "\(sysctl) on \(host) could not be read, so whether haproxy can bind \(address) while it is not assigned there (\(bind)) is not known"))
        }
    }
}

extension String {
    /// "net.ipv4.ip_nonlocal_bind" -> "net/ipv4/ip_nonlocal_bind".
    func replacingDots() -> String { String(map { $0 == "." ? "/" : $0 }) }
}
