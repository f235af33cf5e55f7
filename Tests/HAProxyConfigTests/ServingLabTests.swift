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
}
