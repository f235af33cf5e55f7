import Foundation
import HAModel
import LabSupport
import Netlink
import SystemFacts
import Testing

/// The sock_diag reader and the /proc owner scan against `ss -H -ltnp` / `ss -H -lunp`, with a
/// real haproxy listening on a VIP, on `*`, on `::` (dual stack and v6only) and on an IPv6
/// address in a test namespace.
@Suite(.enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs haproxy")))
final class ListeningSocketParityTests {
    let lab = NetnsLab(prefix: "hxhp-ls")
    let netns: String
    // One directory per suite instance: the tests run in parallel and each deinit removes its own.
    let dir = "/tmp/hxhp-ls-\(getpid())-\(UUID().uuidString.prefix(8))"
    var haproxy: Daemon?
    var udp: Daemon?

    init() throws {
        netns = try lab.namespace("lb")
        try lab.ip(netns, "addr", "add", "192.168.3.200/32", "dev", "lo")
        try lab.ip(netns, "addr", "add", "2001:db8::1/128", "dev", "lo", "nodad")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = """
            defaults
                timeout client 5s
                timeout server 5s
                timeout connect 5s
            frontend db
                bind 192.168.3.200:5432
                bind *:3306
                bind :::8443
                bind ipv6@:::9000 v6only
                bind [2001:db8::1]:80,127.0.0.1:7000-7001
                default_backend nodes
            backend nodes
                server a 192.168.3.21:5432

            """
        try Data(config.utf8).write(to: URL(fileURLWithPath: "\(dir)/haproxy.cfg"))
        haproxy = try lab.spawn(netns, ["haproxy", "-db", "-f", "\(dir)/haproxy.cfg"], ownPIDNamespace: false)
        udp = try lab.spawn(netns, ["nc", "-u", "-l", "127.0.0.1", "5353"], ownPIDNamespace: false)
        // Bounded wait until every bind listens: up to 30 s, as a loaded machine running the
        // other labs in parallel was seen to take longer than 5 s to start haproxy.
        for _ in 0..<600 {
            let listening = try lab.exec(netns, ["ss", "-H", "-ltn"]).stdout.split(separator: "\n").count
            if listening >= 7 { break }
            usleep(50_000)
        }
    }

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// "LOCAL pid,pid" per line of `ss -H -l?np`, with "*:" (IPv6 any, dual stack) kept as ss prints it.
    static func ssLines(_ text: String) -> Set<String> {
        Set(text.split(separator: "\n").map { line in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            let local = columns.count > 3 ? String(columns[3]) : ""
            let pids = line.split(separator: "pid=").dropFirst().compactMap { Int32($0.prefix { $0.isNumber }) }.sorted()
            let names = line.split(separator: "((\"").dropFirst().map { $0.prefix { $0 != "\"" } }
                + line.split(separator: ",(\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            return "\(local) \(pids.map(String.init).joined(separator: ",")) \(Set(names.map(String.init)).sorted().joined(separator: ","))"
        })
    }

    static func ourLines(_ sockets: [ListeningSocket]) -> Set<String> {
        Set(sockets.map { socket in
            // ss writes an IPv6 wildcard that also takes IPv4 as "*".
            let local = socket.isWildcard && socket.address.family == .inet6 && socket.v6only == false ? "*:\(socket.port)" : socket.endpoint
            let pids = Set(socket.owners.map(\.pid)).sorted().map(String.init).joined(separator: ",")
            return "\(local) \(pids) \(Set(socket.owners.map(\.command)).sorted().joined(separator: ","))"
        })
    }

    @Test("listening TCP sockets, their v6only and their owners equal `ss -H -ltnp` in the namespace")
    func tcpParity() throws {
        let table = SocketOwners.attach(to: try ListeningSocketReader.read(netns: netns))
        let ss = try lab.exec(netns, ["ss", "-H", "-ltnp"])
        #expect(ss.succeeded)
        let tcp = table.sockets.filter { $0.transport == "tcp" }
        #expect(Self.ourLines(tcp) == Self.ssLines(ss.stdout))
        #expect(tcp.count == 7)
        let haproxyPID = try #require(haproxy?.pid)
        // `ip netns exec` execs haproxy, so the PID we started owns every socket.
        #expect(tcp.allSatisfy { $0.owners.contains { $0.command == "haproxy" && $0.pid == haproxyPID } })
        let vip = IPAddress("192.168.3.200")!
        #expect(table.accepting(vip, port: 5432).map(\.endpoint) == ["192.168.3.200:5432"])
        #expect(table.accepting(vip, port: 8443).count == 1)
        #expect(table.accepting(vip, port: 9000).isEmpty)
    }

    @Test("bound UDP sockets and their owners equal `ss -H -lunp`")
    func udpParity() throws {
        var table = SocketOwners.attach(to: try ListeningSocketReader.read(netns: netns))
        for _ in 0..<600 where !table.sockets.contains(where: { $0.transport == "udp" }) {
            usleep(50_000)
            table = SocketOwners.attach(to: try ListeningSocketReader.read(netns: netns))
        }
        let ss = try lab.exec(netns, ["ss", "-H", "-lunp"])
        #expect(Self.ourLines(table.sockets.filter { $0.transport == "udp" }) == Self.ssLines(ss.stdout))
        #expect(table.sockets.contains { $0.transport == "udp" && $0.port == 5353 })
    }

    @Test("another namespace's sockets are not this one's: the host namespace has no VIP listener")
    func namespacesAreSeparate() throws {
        let other = try lab.namespace("empty")
        #expect(try ListeningSocketReader.read(netns: other).sockets.isEmpty)
    }

    @Test("haexplain haproxy --netns: every bind listening, owned by the haproxy we started; a VIP query finds its frontend; exit statuses")
    func command() throws {
        let config = "\(dir)/haproxy.cfg"
        // Only this test's namespace allows nonlocal IPv4 binds: the value must be read inside it.
        #expect(try lab.exec(netns, ["sysctl", "-q", "-w", "net.ipv4.ip_nonlocal_bind=1"]).succeeded)
        let report = try HAExplainBinary.json(["haproxy", "192.168.3.200:5432", "--netns", netns, "--haproxy-config", config])
        let nonlocal = try #require(report["nonlocal_bind"] as? [String: Any])
        #expect(nonlocal["ipv4"] as? Int == 1)
        #expect(nonlocal["ipv6"] as? Int == Int(try lab.exec(netns, ["sysctl", "-n", "net.ipv6.ip_nonlocal_bind"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let outside = try HAExplainBinary.json(["haproxy", "--haproxy-config", config])
        #expect((outside["nonlocal_bind"] as? [String: Any])?["ipv4"] as? Int
                == Int(try Shell.check(["sysctl", "-n", "net.ipv4.ip_nonlocal_bind"]).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(report["schema_version"] as? Int == 4)
        #expect(report["chosen_because"] as? String == "given with --haproxy-config")
        let frontends = try #require(report["frontends"] as? [[String: Any]])
        let binds = try #require(frontends.first?["binds"] as? [[String: Any]])
        #expect(binds.count == 6, "six addresses, one of them a range of two ports")
        #expect(binds.allSatisfy { $0["status"] as? String == "listening" }, "\(binds.map { $0["status"] ?? "?" })")
        let owners = binds.flatMap { ($0["listening"] as? [[String: Any]] ?? []).flatMap { $0["owners"] as? [[String: Any]] ?? [] } }
        let haproxyPID = try #require(haproxy?.pid)
        #expect(!owners.isEmpty && owners.allSatisfy { $0["pid"] as? Int == Int(haproxyPID) })
        let routes = try #require(report["routes"] as? [[String: Any]])
        #expect(routes.map { $0["frontend"] as? String } == ["frontend db"])
        #expect((routes.first?["backends"] as? [[String: Any]])?.first?["name"] as? String == "nodes")

        // Exit statuses: unreadable 66, malformed 65 with file:line, bad usage 64.
        #expect(try HAExplainBinary.run(["haproxy", "--haproxy-config", "\(dir)/missing.cfg"]).status == 66)
        try Data("frontend f\n    bind \"127.0.0.1:80\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/bad.cfg"))
        let bad = try HAExplainBinary.run(["haproxy", "--haproxy-config", "\(dir)/bad.cfg"])
        #expect(bad.status == 65)
        #expect(bad.stderr.contains("\(dir)/bad.cfg:2: unmatched quote"))
        #expect(try HAExplainBinary.run(["haproxy", "not-an-address:99"]).status == 64)
    }
}
