import Foundation
import LabSupport
import Testing

/// What a real haproxy serves, asked from `haexplain haproxy ADDR:PORT` and `haexplain ip`,
/// against what a connection in its namespace really reaches (and `ss -ltn` there).
@Suite("what a real haproxy serves", .serialized,
       .enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs haproxy")))
struct ServingLabTests {
    static let v4 = "192.168.3.200"
    static let v6 = "2001:db8::200"

    /// Frontend name and bind; each frontend has a port of its own.
    static let wildcards: [(String, String, Int)] = [
        ("any4", "bind 0.0.0.0:7001", 7001),
        ("star", "bind *:7002", 7002),
        ("v6any", "bind [::]:7003", 7003),
        ("v6only", "bind :::7004 v6only", 7004),
        ("v4v6", "bind ipv6@:7005 v4v6", 7005),
        ("empty", "bind :7006", 7006),
        ("v6zero", "bind [0::0]:7007", 7007),
    ]

    static func config() -> String {
        var text = "defaults\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n"
        for (name, bind, _) in wildcards { text += "frontend \(name)\n    \(bind)\n    default_backend app\n" }
        return text + "backend app\n    server a 127.0.0.1:1\n"
    }

    static func endpoint(_ address: String, _ port: Int) -> String { address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)" }

    /// Starts haproxy in a fresh namespace with net.ipv6.bindv6only set, waits until every bind listens.
    static func start(_ lab: NetnsLab, config: String, bindv6only: Int, dir: String, listeners: Int) throws -> String {
        let ns = try lab.namespace("hp\(bindv6only)")
        try lab.ip(ns, "addr", "add", "\(v4)/32", "dev", "lo")
        try lab.ip(ns, "addr", "add", "\(v6)/128", "dev", "lo", "nodad")
        try #require(try lab.exec(ns, ["sysctl", "-q", "-w", "net.ipv6.bindv6only=\(bindv6only)"]).succeeded)
        try Data(config.utf8).write(to: URL(fileURLWithPath: "\(dir)/haproxy.cfg"))
        try lab.spawn(ns, ["haproxy", "-db", "-f", "\(dir)/haproxy.cfg"], ownPIDNamespace: false, output: URL(fileURLWithPath: "\(dir)/haproxy.log"))
        // Bounded: up to 30 s while other labs load the machine.
        for _ in 0..<600 {
            if try lab.exec(ns, ["ss", "-H", "-ltn"]).stdout.split(separator: "\n").count >= listeners { return ns }
            usleep(50_000)
        }
        Issue.record("haproxy did not listen: \((try? String(contentsOfFile: "\(dir)/haproxy.log", encoding: .utf8)) ?? "")")
        return ns
    }

    /// Whether a TCP connection to address:port succeeds inside the namespace.
    static func connects(_ lab: NetnsLab, _ ns: String, _ address: String, _ port: Int) throws -> Bool {
        try lab.exec(ns, ["nc", "-z", "-w", "2", address, String(port)], timeout: 10).succeeded
    }

    @Test("wildcard binds (0.0.0.0, *, [::], :::, ipv6@ with v4v6/v6only, empty) serve exactly the families a connection reaches, with bindv6only 0 and 1",
          arguments: [0, 1])
    func wildcardBinds(_ bindv6only: Int) throws {
        let dir = "/tmp/hxhp-serving-\(getpid())-\(bindv6only)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = NetnsLab(prefix: "hxhp-sv")
        defer { lab.teardown() }
        let ns = try Self.start(lab, config: Self.config(), bindv6only: bindv6only, dir: dir, listeners: Self.wildcards.count)
        let config = "\(dir)/haproxy.cfg"
        let ss = try lab.exec(ns, ["ss", "-H", "-ltn"]).stdout

        for address in [Self.v4, Self.v6] {
            // No keepalived here: the owner is unknown (exit 4), the haproxy evidence is there all the same.
            let run = try HAExplainBinary.run(["ip", address, "--netns", ns, "--no-listen", "--haproxy-config", config, "--json"])
            let ip = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stderr)")
            let answer = (ip["answers"] as? [[String: Any]])?.first ?? [:]
            let claims = (answer["evidence"] as? [[String: Any]] ?? []).compactMap { $0["claim"] as? String }
            for (name, bind, port) in Self.wildcards {
                let reached = try Self.connects(lab, ns, address, port)
                let answer = try HAExplainBinary.json(["haproxy", Self.endpoint(address, port), "--netns", ns, "--haproxy-config", config])
                let routes = answer["routes"] as? [[String: Any]] ?? []
                #expect(!routes.isEmpty == reached, "\(bind) asked for \(address), bindv6only \(bindv6only): connection \(reached ? "reached" : "refused"), haexplain \(routes)")
                if reached {
                    #expect(routes.first?["frontend"] as? String == "frontend \(name)")
                    let listening = routes.first?["listening"] as? [[String: Any]] ?? []
                    #expect(listening.contains { ($0["owners"] as? [[String: Any]])?.first?["command"] as? String == "haproxy" }, "\(bind): \(listening)\nss: \(ss)")
                }
                let served = claims.contains { $0.hasPrefix("\(Self.endpoint(address, port)) is served by frontend \(name) ") }
                #expect(served == reached, "ip \(address), \(bind), bindv6only \(bindv6only): \(claims)")
            }
        }
        // ss prints a dual-stack IPv6 wildcard as "*:PORT" and a v6only one as "[::]:PORT".
        let dualStack = Set(ss.split(separator: "\n").compactMap { line -> Int? in
            let local = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first ?? ""
            return local.hasPrefix("*:") ? Int(local.dropFirst(2)) : nil
        })
        let expected: Set<Int> = bindv6only == 0 ? [7003, 7005, 7007] : [7005]
        #expect(dualStack == expected, "ss: \(ss)")
    }

    static let answering = """
        global
            stats socket ipv4@127.0.0.1:7099 level admin
        defaults
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 5s
        frontend tcpstats
            mode tcp
            bind :7101
            stats enable
        listen httpstats
            bind :7102
            stats uri /st
        frontend ret
            bind :7103
            http-request return status 201 content-type text/plain string ok
        frontend redir
            bind :7104
            http-request redirect location http://example.invalid/ code 301
        frontend deny
            bind :7105
            http-request deny deny_status 429
        frontend prom
            bind :7106
            http-request use-service prometheus-exporter if { path /metrics }
        frontend mon
            bind :7107
            monitor-uri /health
        frontend nothing
            bind :7108
        frontend redirect-keyword
            bind :7109
            redirect prefix /elsewhere
        defaults with-stats
            mode http
            timeout client 5s
            timeout server 5s
            timeout connect 5s
            stats enable
        frontend inherited from with-stats
            bind :7110

        """

    /// The status line's code of an HTTP/1.0 GET sent with nc in the namespace; nil when the
    /// connection closed without an answer.
    static func httpStatus(_ lab: NetnsLab, _ ns: String, port: Int, path: String) throws -> Int? {
        let request = "printf 'GET \(path) HTTP/1.0\\r\\nHost: t\\r\\n\\r\\n' | nc -w 3 127.0.0.1 \(port)"
        let answer = try lab.exec(ns, ["sh", "-c", request], timeout: 10).stdout
        guard answer.hasPrefix("HTTP/") else { return nil }
        return Int(answer.split(separator: " ").dropFirst().first ?? "")
    }

    /// The first number after `word` in a service's detail ("status 201 ...", "redirect 301 ...").
    static func number(after word: String, in text: String) -> Int? {
        guard let range = text.range(of: word + " ") else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("listeners without a backend (stats page, CLI, Prometheus exporter, return, redirect, deny, monitor-uri) answer what haexplain says they answer; stats in TCP mode is ignored, as haproxy warns")
    func listenersWithoutBackend() throws {
        let dir = "/tmp/hxhp-answering-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let lab = NetnsLab(prefix: "hxhp-sa")
        defer { lab.teardown() }
        let ns = try Self.start(lab, config: Self.answering, bindv6only: 0, dir: dir, listeners: 11)
        let config = "\(dir)/haproxy.cfg"
        var checked = Set<String>()
        for port in [7099] + Array(7101...7110) {
            let answer = try HAExplainBinary.json(["haproxy", "127.0.0.1:\(port)", "--netns", ns, "--haproxy-config", config])
            let route = try #require((answer["routes"] as? [[String: Any]])?.first, "nothing serves 127.0.0.1:\(port)")
            let services = route["services"] as? [[String: Any]] ?? []
            let backends = route["backends"] as? [[String: Any]] ?? []
            #expect(backends.isEmpty)
            if services.isEmpty {
                // Nothing answers: HTTP says 503, TCP closes.
                let status = try Self.httpStatus(lab, ns, port: port, path: "/")
                #expect(status == (route["mode"] as? String == "http" ? 503 : nil), "port \(port): \(route)")
                checked.insert(route["mode"] as? String == "http" ? "503" : "closed")
            }
            for service in services {
                let kind = service["kind"] as? String ?? ""
                let detail = service["detail"] as? String ?? ""
                checked.insert(kind)
                switch kind {
                case "cli":
                    let reply = try lab.exec(ns, ["sh", "-c", "echo 'show info' | nc -w 3 -N 127.0.0.1 \(port)"], timeout: 10).stdout
                    #expect(reply.contains("Name: HAProxy"), "\(reply)")
                case "stats_page":
                    let path = String(detail.dropFirst("stats page at ".count))
                    #expect(try Self.httpStatus(lab, ns, port: port, path: path) == 200, "port \(port): \(detail)")
                case "prometheus_exporter":
                    // The condition says which path: `if { path /metrics }`.
                    let condition = service["condition"] as? [String] ?? []
                    let path = condition.firstIndex(of: "path").map { condition[$0 + 1] } ?? "/"
                    #expect(try Self.httpStatus(lab, ns, port: port, path: path) == 200)
                case "monitor_uri":
                    let path = String(detail.split(separator: " ")[3])
                    #expect(try Self.httpStatus(lab, ns, port: port, path: path) == Self.number(after: "status", in: detail))
                case "http_return", "deny":
                    #expect(try Self.httpStatus(lab, ns, port: port, path: "/") == Self.number(after: "status", in: detail), "\(detail)")
                case "redirect":
                    #expect(try Self.httpStatus(lab, ns, port: port, path: "/") == Self.number(after: "redirect", in: detail), "\(detail)")
                default:
                    Issue.record("unexpected service \(service)")
                }
            }
        }
        #expect(checked == ["cli", "stats_page", "prometheus_exporter", "monitor_uri", "http_return", "deny", "redirect", "503", "closed"])
        let report = try HAExplainBinary.json(["haproxy", "--netns", ns, "--haproxy-config", config])
        let messages = (report["messages"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        let log = try String(contentsOfFile: "\(dir)/haproxy.log", encoding: .utf8)
        for message in messages { #expect(log.contains(message), "haproxy did not say: \(message)\n\(log)") }
        #expect(messages.contains { $0.contains("tcpstats") })
    }
}
