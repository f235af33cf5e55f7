import Foundation
import LabSupport
import Testing

/// The firewall as the cause: nftables drops of IP protocol 112 in a balancer's namespace
/// partition the seed's cluster, and `haexplain ip` names the rule (table, chain, handle) as
/// the reason of the split brain, live and from the nodes' snapshots.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct FirewallPartitionTests {
    /// Adds `table inet partition` with an input chain dropping protocol 112 on `node`; returns the rule's handle.
    static func dropVRRP(_ lab: SeedLab, on node: String) throws -> Int {
        for command in [["add", "table", "inet", "partition"],
                        ["add", "chain", "inet", "partition", "input", "{ type filter hook input priority 0 ; policy accept ; }"],
                        ["add", "rule", "inet", "partition", "input", "ip", "protocol", "112", "drop"]] {
            let result = try lab.run(on: node, ["nft"] + command)
            guard result.succeeded else { throw Shell.Failure(command: ["nft"] + command, result: result) }
        }
        let listing = try lab.run(on: node, ["nft", "-a", "list", "chain", "inet", "partition", "input"]).stdout
        let line = try #require(listing.split(separator: "\n").first { $0.contains("ip protocol vrrp drop") })
        return try #require(Int(line.split(separator: " ").last ?? ""))
    }

    static func reason(_ report: [String: Any]) -> String { Answer(report).verdict["reason"] as? String ?? "" }

    @Test("one-way partition: prod-haproxy-001 drops protocol 112, becomes master too; ip names its rule, there and from the snapshots")
    func oneWay() throws {
        let lab = try SeedLab("f")
        let handle = try Self.dropVRRP(lab, on: "lb1")
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        let expected = "ip protocol vrrp drop (table inet partition, chain input, handle \(handle) on prod-haproxy-001)"
        let live = try lab.ip(on: "lb1", ["192.168.3.200", "--no-dns", "--listen", "6s"])
        #expect(live.status == 3)
        #expect(Self.reason(live.report).contains("likely cause: the firewall drops VRRP: \(expected)"), "\(Self.reason(live.report))")
        let blockers = Answer(live.report).json["blockers"] as? [[String: Any]] ?? []
        #expect(blockers.contains { $0["kind"] as? String == "vrrp" && $0["handle"] as? Int == handle && $0["direction"] as? String == "input" })
        // With ip's own listening bound, which may end before the census can call it a split
        // brain, the rule is still the reason: this host holds the VIP while another master advertises.
        let quick = try lab.ip(on: "lb1", ["192.168.3.200", "--no-dns"])
        #expect(Self.reason(quick.report).contains(expected), "\(Self.reason(quick.report))")
        // prod-haproxy-000 drops nothing: its own firewall names no blocker.
        let master = try lab.ip(on: "lb0", ["192.168.3.200", "--no-dns", "--listen", "6s"])
        #expect(!Self.reason(master.report).contains("likely cause"))
        // The seed's customer, from the application server: the name is private, and from its /etc/hosts.
        let byName = try lab.ip(on: "app", ["prod-db-internal.panda.com", "--no-listen", "--no-dns"])
        let kind = try #require(Answer(byName.report).json["address_class"] as? [String: Any])
        #expect(kind["kind"] as? String == "private" && kind["routable_on_internet"] as? Bool == false)
        let note = try #require(kind["name_note"] as? String)
        #expect(note.hasPrefix("not routable on the internet: whoever reaches a public address by this name resolves it elsewhere (their own hosts file or DNS)"))
        #expect(note.contains("prod-db-internal.panda.com -> 192.168.3.200 (/etc/hosts:"), "\(note)")
        let route = try #require((Answer(byName.report).json["routes"] as? [[String: Any]])?.first)
        #expect((route["summary"] as? String)?.hasPrefix("on-link on eth2") == true, "\(route)")
        // From the application server, with the balancers' snapshots: the same rule, on prod-haproxy-001.
        let fromApp = try lab.withSnapshots(listening: ["app"], listenFor: "6s") { files in
            try HAExplainBinary.run(["ip", "192.168.3.200", "--json"] + files.flatMap { ["--from", $0] })
        }
        let report = try #require(try JSONSerialization.jsonObject(with: Data(fromApp.stdout.utf8)) as? [String: Any], "\(fromApp.stderr)")
        #expect(fromApp.status == 3)
        #expect(Self.reason(report).contains(expected), "\(Self.reason(report))")
        // The balancers' snapshots carry their kernels' routes to the VIP: local where it is held.
        let routes = Answer(report).json["routes"] as? [[String: Any]] ?? []
        #expect(routes.contains { $0["host"] as? String == "prod-haproxy-001" && ($0["route"] as? [String: Any])?["type"] as? String == "local" },
                "\(routes)")
    }

    @Test("two-way partition: both balancers drop protocol 112; each names its own rule")
    func twoWay() throws {
        let lab = try SeedLab("w")
        let handles = [try Self.dropVRRP(lab, on: "lb0"), try Self.dropVRRP(lab, on: "lb1")]
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        for (node, host, handle) in [("lb0", "prod-haproxy-000", handles[0]), ("lb1", "prod-haproxy-001", handles[1])] {
            let live = try lab.ip(on: node, ["192.168.3.200", "--no-dns", "--listen", "6s"])
            #expect(live.status == 3, "\(node)")
            #expect(Self.reason(live.report).contains("ip protocol vrrp drop (table inet partition, chain input, handle \(handle) on \(host))"),
                    "\(node): \(Self.reason(live.report))")
            // `vrrp` there: the split brain it names has the same rule as its reason.
            let census = try lab.haexplain(on: node, ["vrrp", "--listen", "4", "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(census.stdout.utf8)) as? [String: Any], "\(census.stderr)")
            let verdicts = (report["routers"] as? [[String: Any]] ?? []).flatMap { $0["verdicts"] as? [[String: Any]] ?? [] }
            #expect(verdicts.contains { $0["code"] as? String == "firewall_drops_vrrp"
                        && ($0["message"] as? String)?.contains("(table inet partition, chain input, handle \(handle)) drops VRRP arriving at \(host)") == true },
                    "\(node): \(verdicts.map { $0["message"] ?? "" })")
        }
    }
}

/// keepalived's own nftables rules: with vrrp_strict and no `accept`, keepalived 2.2.7 drops all
/// traffic to the VIP it holds; `ip` names the rule and the instance to add `accept` to.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class KeepalivedStrictTests {
    let lab = NetnsLab(prefix: "hxs")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxs-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(at: directory)
    }

    func answer(accept: Bool, version: Int = 2) throws -> [String: Any] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let netns = try lab.namespace(accept ? "accept\(version)" : "strict")
        try lab.ip(netns, "link", "add", "eth2", "type", "veth", "peer", "name", "peer")
        for link in ["eth2", "peer"] { try lab.ip(netns, "link", "set", link, "up") }
        try lab.ip(netns, "addr", "add", "10.1.0.1/24", "dev", "eth2")
        let config = directory.appendingPathComponent("\(netns).conf")
        try """
            global_defs {
              vrrp_strict
            }
            vrrp_instance VI_STRICT {
              state MASTER
              interface eth2
              virtual_router_id 51
              priority 100
              advert_int 1
              \(accept ? "accept" : "")
              version \(version)
              virtual_ipaddress {
                10.1.0.200/32
              }
            }
            """.write(to: config, atomically: true, encoding: .utf8)
        let run = directory.appendingPathComponent(netns).path
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try lab.spawn(netns, ["keepalived", "-n", "-l", "-D", "--vrrp", "-f", config.path, "-p", "\(run)/k.pid", "-r", "\(run)/v.pid"])
        for _ in 0..<150 where !(try lab.ip(netns, "-o", "addr", "show", "dev", "eth2")).contains("10.1.0.200/") { usleep(200_000) }
        #expect(try lab.ip(netns, "-o", "addr", "show", "dev", "eth2").contains("10.1.0.200/"))
        let result = try HAExplainBinary.run(["ip", "10.1.0.200", "--netns", netns, "--no-listen", "--no-dns", "--json",
                                              "--keepalived-config", config.path])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test("vrrp_strict without accept: keepalived's drop of 10.1.0.200 is named with vrrp_instance VI_STRICT; with accept (VRRPv3) it is not; with accept under VRRPv2 keepalived resets it, and ip says so")
    func strictDropsTheVIP() throws {
        let strict = Answer(try answer(accept: false))
        let blocker = try #require((strict.json["blockers"] as? [[String: Any]])?.first { $0["kind"] as? String == "keepalived_strict" },
                                   "\(strict.json["blockers"] ?? "no blockers"); limits: \(strict.json["limits"] ?? "")")
        #expect(blocker["table"] as? String == "keepalived" && blocker["chain"] as? String == "in" && blocker["instance"] as? String == "VI_STRICT")
        #expect(blocker["rule"] as? String == "ip daddr @vips drop" && blocker["handle"] as? Int != nil)
        #expect(strict.warnings.contains { $0.hasPrefix("10.1.0.200 is held here, but keepalived's vrrp_strict drops all traffic to it") && $0.contains("add `accept` and `version 3` to vrrp_instance VI_STRICT") })
        let accepting = Answer(try answer(accept: true, version: 3))
        #expect(accepting.json["blockers"] == nil, "\(accepting.json["blockers"] ?? "")")
        // keepalived 2.2.7: "accept mode for VRRP version 2 does not comply with RFC3768 - resetting".
        let reset = Answer(try answer(accept: true, version: 2))
        #expect(reset.warnings.contains { $0.contains("vrrp_instance VI_STRICT says `accept`, but vrrp_strict resets it for VRRPv2") })
    }
}
