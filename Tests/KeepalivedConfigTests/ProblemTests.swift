import Foundation
import HAModel
import KeepalivedConfig
import LabSupport
import Testing

/// Configuration mistakes, each with its code and the line to look at.
@Suite("keepalived configuration problems")
struct ProblemTests {
    static func nodes(_ configs: [String: String]) throws -> [NodeConfiguration] {
        let files = InMemoryConfigFiles(configs)
        return try configs.keys.sorted().map { path in
            NodeConfiguration(name: path, config: try KeepalivedParser.parse(path: path, files: files, configID: "x"), chosenBecause: "test")
        }
    }

    static func instance(_ name: String, vrid: Int, priority: Int = 100, extra: String = "", vip: String = "10.0.0.1") -> String {
        "vrrp_instance \(name) {\n interface eth0\n virtual_router_id \(vrid)\n priority \(priority)\n\(extra) virtual_ipaddress {\n  \(vip)\n }\n}\n"
    }

    @Test("one node: duplicate VRID on an interface, a VIP in two instances, nopreempt cleared by state MASTER, undefined script")
    func singleNode() throws {
        let text = Self.instance("A", vrid: 7) + Self.instance("B", vrid: 7, extra: " nopreempt\n state MASTER\n track_script {\n  nosuch\n }\n")
        let report = KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": text]))
        let codes = Dictionary(grouping: report.problems, by: \.code).mapValues { $0.map(\.line) }
        #expect(codes[.duplicateVRID] == [11])
        #expect(codes[.vipInTwoInstances] == [19])
        #expect(codes[.nopreemptCleared] == [13])
        #expect(codes[.undefinedTrackScript] == [16])
    }

    /// keepalived 2.2.7's check_vrid_conflicts and vrrp_complete_instance, seen with -t and
    /// "exited with permanent error CONFIG" in the adversarial differential.
    @Test("keepalived refuses: two multicast instances share a VRID on one interface; a VRRPv3 instance whose only VIP was of the other family")
    func refusedToStart() throws {
        let shared = Self.instance("A", vrid: 7) + Self.instance("B", vrid: 7, vip: "10.0.0.2")
        #expect(!KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": shared])).keepalivedWouldStart)
        // Unicast and multicast are separate VRID spaces, and unicast instances to other peers do not clash.
        let peers = Self.instance("A", vrid: 7) + Self.instance("B", vrid: 7, extra: " unicast_peer {\n  10.0.0.5\n }\n", vip: "10.0.0.2")
            + Self.instance("C", vrid: 7, extra: " unicast_peer {\n  10.0.0.6\n }\n", vip: "10.0.0.3")
        #expect(KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": peers])).keepalivedWouldStart)
        let v3 = "global_defs {\n vrrp_version 3\n}\n" + Self.instance("A", vrid: 7, extra: " unicast_peer {\n  10.0.0.5\n }\n", vip: "2001:db8::1")
        let report = KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": v3]))
        #expect(!report.keepalivedWouldStart)
        #expect(report.problems.contains { $0.code == .noVirtualAddress && $0.severity == .error })
        let v2 = Self.instance("A", vrid: 7, extra: " unicast_peer {\n  10.0.0.5\n }\n", vip: "2001:db8::1")
        #expect(KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": v2])).keepalivedWouldStart)
    }

    @Test("two nodes: advert_int, authentication, unicast peers and VRID sets that disagree")
    func betweenNodes() throws {
        let a = Self.instance("A", vrid: 7, priority: 150, extra: " advert_int 1\n authentication {\n  auth_type PASS\n  auth_pass one\n }\n unicast_src_ip 10.0.0.2\n unicast_peer {\n  10.0.0.3\n }\n") + Self.instance("X", vrid: 9, vip: "10.0.0.9")
        let b = Self.instance("A", vrid: 7, priority: 100, extra: " advert_int 3\n authentication {\n  auth_type PASS\n  auth_pass two\n }\n unicast_src_ip 10.0.0.3\n unicast_peer {\n  10.0.0.4\n }\n")
        let report = KeepalivedAnalysis.analyze(try Self.nodes(["a.conf": a, "b.conf": b]))
        let codes = Set(report.problems.map(\.code))
        #expect(codes.isSuperset(of: [.advertIntMismatch, .authMismatch, .unicastPeersNotMirrored, .vridSetMismatch] as [ProblemCode]))
        #expect(report.elections.first { $0.virtualRouterID == 7 }?.master == "a.conf")
    }

    @Test("equal priorities: the higher primary address wins when the configurations show it, else undecided")
    func tie() throws {
        let a = Self.instance("A", vrid: 7, extra: " unicast_src_ip 10.0.0.2\n unicast_peer {\n  10.0.0.10\n }\n")
        let b = Self.instance("A", vrid: 7, extra: " unicast_src_ip 10.0.0.10\n unicast_peer {\n  10.0.0.2\n }\n")
        let report = KeepalivedAnalysis.analyze(try Self.nodes(["a.conf": a, "b.conf": b]))
        let election = try #require(report.elections.first)
        #expect(election.master == "b.conf")
        #expect(election.reason.contains("10.0.0.10"))
        #expect(!report.problems.contains { $0.code == .unicastPeersNotMirrored })
        let plain = KeepalivedAnalysis.analyze(try Self.nodes(["a.conf": Self.instance("A", vrid: 7), "b.conf": Self.instance("A", vrid: 7)]))
        #expect(plain.elections.first?.master == nil)
    }

    @Test("a VIP with the prefix of an address already on its interface becomes a kernel secondary")
    func subnet() throws {
        let text = Self.instance("A", vrid: 7, vip: "192.168.3.200/24") + Self.instance("B", vrid: 8, vip: "192.168.3.201/32")
        var eth0 = NetworkInterface(ifindex: 2, ifname: "eth0")
        eth0.addrInfo = [InterfaceAddress(local: IPAddress("192.168.3.4")!, prefixlen: 24), InterfaceAddress(local: IPAddress("192.168.3.201")!, prefixlen: 32)]
        let table = AddressTable(netns: nil, source: .netlink("test"), interfaces: [eth0])
        let report = KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": text]), addresses: table)
        #expect(report.problems.filter { $0.code == .vipInInterfaceSubnet }.map(\.line) == [6])
        let vips = report.vrrpInstances.flatMap(\.virtualIpaddress)
        #expect(vips.map(\.assignedHere) == [false, true])
        #expect(vips.last?.assignedOn == "eth0")
    }

    @Test("a root-owned script is fine; another owner is a problem", arguments: [(UInt32(0), false), (UInt32(1000), true)])
    func scriptOwner(uid: UInt32, reported: Bool) throws {
        let text = "global_defs {\n enable_script_security\n}\nvrrp_script s {\n script \"/usr/local/bin/check\"\n}\n" + Self.instance("A", vrid: 7, extra: " track_script {\n  s\n }\n")
        let report = KeepalivedAnalysis.analyze(try Self.nodes(["k.conf": text]), scriptOwners: ["/usr/local/bin/check": uid])
        #expect(report.problems.contains { $0.code == .scriptNotRootOwned && $0.line == 4 } == reported)
        #expect(!report.problems.contains { $0.code == .scriptSecurityOff })
    }
}

/// Whether each VIP is assigned here, read from a real network namespace.
@Suite("haexplain keepalived reads VIP assignment from netlink", .serialized,
       .enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct AssignmentTests {
    @Test("prod-haproxy-000 holds 192.168.3.200 on eth2, not 192.168.3.201")
    func seedNode() throws {
        let lab = NetnsLab(prefix: "hxk")
        defer { lab.teardown() }
        let ns = try lab.namespace("lb0")
        try lab.ip(ns, "link", "add", "eth2", "type", "veth", "peer", "name", "hxkpeer")
        try lab.ip(ns, "link", "set", "eth2", "up")
        try lab.ip(ns, "addr", "add", "192.168.3.4/24", "dev", "eth2")
        try lab.ip(ns, "addr", "add", "192.168.3.200/32", "dev", "eth2")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxk-assign-\(getpid())/prod-haproxy-000").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        try SeedConfigs.prodHaproxy000.write(toFile: dir + "/keepalived.conf", atomically: true, encoding: .utf8)
        let text = try CommandExitTests.run(["--keepalived-config", dir + "/keepalived.conf", "--netns", ns])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("192.168.3.200/32 dev eth2  \(dir)/keepalived.conf:20  assigned here on eth2"))
        #expect(text.stdout.contains("192.168.3.201/32 dev eth2  \(dir)/keepalived.conf:32  not assigned here"))
        let json = try CommandExitTests.run(["--keepalived-config", dir + "/keepalived.conf", "--netns", ns, "--json"])
        let decoded = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let instances = decoded?["vrrp_instances"] as? [[String: Any]] ?? []
        let assigned = instances.map { (($0["virtual_ipaddress"] as? [[String: Any]])?.first?["assigned_here"] as? Bool) }
        #expect(assigned == [true, false])
    }
}
