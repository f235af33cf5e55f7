import Foundation
import LabSupport
import Testing

/// `haexplain ip ADDRESS` against `ip -j route get ADDRESS` and `ip -j route get fibmatch
/// ADDRESS` in a namespace holding every kind of route the issue names, and the firewall read
/// through libnftables left exactly as it was.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class RouteParityTests {
    let lab = NetnsLab(prefix: "hxr")
    let netns: String
    /// An empty keepalived.conf and hosts file: the answer needs neither.
    let empty: String

    init() throws {
        empty = FileManager.default.temporaryDirectory.appendingPathComponent("hxr-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).conf").path
        try "".write(toFile: empty, atomically: true, encoding: .utf8)
        netns = try lab.namespace("routes")
        try lab.ip(netns, "link", "add", "d0", "type", "veth", "peer", "name", "d1")
        for link in ["d0", "d1"] { try lab.ip(netns, "link", "set", link, "up") }
        try lab.ip(netns, "addr", "add", "10.1.0.1/24", "dev", "d0")
        try lab.ip(netns, "route", "add", "default", "via", "10.1.0.254")
        try lab.ip(netns, "route", "add", "table", "100", "10.9.0.0/16", "via", "10.1.0.9")
        try lab.ip(netns, "rule", "add", "to", "10.9.0.0/16", "lookup", "100", "pref", "1000")
        try lab.ip(netns, "route", "add", "blackhole", "10.66.0.0/16")
        try lab.ip(netns, "route", "add", "unreachable", "10.67.0.0/16")
        try lab.ip(netns, "route", "add", "prohibit", "10.68.0.0/16")
        try lab.ip(netns, "addr", "add", "fd00:1::1/64", "dev", "d0", "nodad")
        try lab.ip(netns, "-6", "route", "add", "default", "via", "fd00:1::fe")
    }

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(atPath: empty)
    }

    /// The route answer of `haexplain ip` for `address`, as JSON.
    func ours(_ address: String) throws -> [String: Any] {
        let result = try HAExplainBinary.run(["ip", address, "--netns", netns, "--no-listen", "--no-dns", "--json",
                                              "--keepalived-config", empty, "--hosts-file", empty])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let answer = try #require((report["answers"] as? [[String: Any]])?.first)
        return try #require((answer["routes"] as? [[String: Any]])?.first, "no route in \(result.stdout)")
    }

    func iproute2(_ arguments: [String]) throws -> (route: [String: Any]?, error: String?) {
        let result = try lab.exec(netns, ["ip", "-j", "route", "get"] + arguments)
        guard result.succeeded else {
            return (nil, result.stderr.split(separator: "\n").first.map { String($0.replacingOccurrences(of: "RTNETLINK answers: ", with: "")) })
        }
        let list = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        return (list.first, nil)
    }

    /// The fields both print; iproute2 leaves out unicast, table main, scope global and protocol boot.
    static func compare(_ ours: [String: Any]?, _ theirs: [String: Any]?, fields: [String], what: String) -> [String] {
        guard let ours, let theirs else { return ours == nil && theirs == nil ? [] : ["\(what): one side has no route (ours \(ours.map { "\($0)" } ?? "nil"), ip \(theirs.map { "\($0)" } ?? "nil"))"] }
        let defaults: [String: String] = ["type": "unicast", "table": "main", "scope": "global", "protocol": "boot"]
        var mismatches: [String] = []
        for field in fields {
            let mine = ours[field].map { "\($0)" }
            let iproute = theirs[field].map { "\($0)" } ?? defaults[field]
            if mine != iproute { mismatches.append("\(what) \(field): ours \(mine ?? "nil"), ip \(iproute ?? "nil")") }
        }
        return mismatches
    }

    @Test("route get and fibmatch agree with iproute2 for on-link, gateway, policy-routed, local, broadcast, blackhole, unreachable and prohibit",
          arguments: ["10.1.0.5", "8.8.8.8", "10.9.1.1", "10.1.0.1", "10.1.0.255", "10.66.0.1", "10.67.0.1", "10.68.0.1",
                      "fd00:1::5", "2001:db8::1", "fd00:1::1"])
    func parity(_ address: String) throws {
        let path = try ours(address)
        let get = try iproute2([address])
        let fib = try iproute2(["fibmatch", address])
        // For IPv6, iproute2 also prints the metric, and the protocol of the route a packet takes.
        let v6 = address.contains(":") ? ["metric", "protocol"] : []
        var mismatches = Self.compare(path["route"] as? [String: Any], get.route, fields: ["type", "dst", "gateway", "dev", "prefsrc", "table"] + v6, what: "route get")
        mismatches += Self.compare(path["fib_entry"] as? [String: Any], fib.route,
                                   fields: ["type", "dst", "gateway", "dev", "prefsrc", "table", "protocol", "scope"] + v6, what: "fibmatch")
        if let error = get.error { mismatches += (path["error"] as? String) == error ? [] : ["error: ours \(path["error"] ?? "nil"), ip \(error)"] }
        #expect(mismatches.isEmpty, "\(mismatches.joined(separator: "\n"))")
        let summary = try #require(path["summary"] as? String)
        switch address {
        case "10.9.1.1":
            let rule = try #require(path["rule"] as? [String: Any])
            let rules = try #require(try JSONSerialization.jsonObject(with: Data(try lab.ip(netns, "-j", "rule").utf8)) as? [[String: Any]])
            #expect(rules.contains { $0["priority"] as? Int == rule["priority"] as? Int && $0["table"] as? String == "100" })
            #expect(summary.contains("via gateway 10.1.0.9 on d0") && summary.contains("chosen by rule 1000 (from all to 10.9.0.0/16 lookup 100)"))
        case "10.66.0.1": #expect(path["refused"] as? String == "blackhole" && summary.contains("blackhole"))
        case "10.67.0.1": #expect(path["refused"] as? String == "unreachable")
        case "10.68.0.1": #expect(path["refused"] as? String == "prohibit")
        case "10.1.0.5": #expect(summary.hasPrefix("on-link on d0"))
        default: break
        }
    }

    @Test("ip reads the namespace's nftables ruleset through libnftables, names the drop of the address's traffic, and leaves the ruleset as it was")
    func firewallReadOnly() throws {
        let rules = """
            table inet filter {
              chain input { type filter hook input priority 0; policy accept;
                ip protocol vrrp drop
                ip daddr 10.1.0.200 drop
              }
            }
            """
        let load = try Shell.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], stdin: rules)
        #expect(load.succeeded, "\(load.stderr)")
        let before = try lab.exec(netns, ["nft", "-j", "list", "ruleset"]).stdout
        let result = try HAExplainBinary.run(["ip", "10.1.0.200", "--netns", netns, "--no-listen", "--no-dns", "--json",
                                              "--keepalived-config", empty, "--hosts-file", empty])
        let after = try lab.exec(netns, ["nft", "-j", "list", "ruleset"]).stdout
        #expect(before == after)
        #expect(before.contains("vrrp"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let blockers = try #require((report["answers"] as? [[String: Any]])?.first?["blockers"] as? [[String: Any]], "\(result.stdout)")
        let blocker = try #require(blockers.first)
        #expect(blocker["kind"] as? String == "service" && blocker["rule"] as? String == "ip daddr 10.1.0.200 drop")
        #expect(blocker["table"] as? String == "filter" && blocker["chain"] as? String == "input" && blocker["handle"] as? Int != nil)
    }

    @Test("arp_ignore=2 read from the namespace's /proc/sys for the interface of a /32 gives the warning; arp_ignore=1 does not")
    func arpIgnoreFromTheKernel() throws {
        try lab.ip(netns, "addr", "add", "10.1.0.200/32", "dev", "d0")
        func warnings() throws -> [String] {
            let result = try HAExplainBinary.run(["ip", "10.1.0.200", "--netns", netns, "--no-listen", "--no-dns", "--json",
                                                  "--keepalived-config", empty, "--hosts-file", empty])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return (report["answers"] as? [[String: Any]])?.first?["warnings"] as? [String] ?? []
        }
        #expect(try lab.exec(netns, ["sysctl", "-qw", "net.ipv4.conf.d0.arp_ignore=2"]).succeeded)
        #expect(try warnings().contains { $0.contains("ignores ARP requests for 10.1.0.200 on d0: arp_ignore=2") })
        #expect(try lab.exec(netns, ["sysctl", "-qw", "net.ipv4.conf.d0.arp_ignore=1"]).succeeded)
        #expect(try !warnings().contains { $0.contains("ARP requests") })
    }
}
