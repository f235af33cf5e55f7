import HAModel
import KeepalivedConfig
import Testing

/// Who is master of each virtual router when both nodes' files are given: a VRID reused on
/// another interface is another router, and a sync group goes to FAULT together.
@Suite("elections between nodes")
struct ElectionTests {
    static func report(_ configs: [(String, String)]) throws -> KeepalivedReport {
        let files = InMemoryConfigFiles(Dictionary(uniqueKeysWithValues: configs))
        let nodes = try configs.map { name, _ in
            NodeConfiguration(name: name, config: try KeepalivedParser.parse(path: name, files: files, configID: "x"), chosenBecause: "test")
        }
        return KeepalivedAnalysis.analyze(nodes)
    }

    static func instance(_ name: String, vrid: Int, interface: String, priority: Int, vip: String, extra: String = "") -> String {
        "vrrp_instance \(name) {\n state BACKUP\n interface \(interface)\n virtual_router_id \(vrid)\n priority \(priority)\n\(extra) virtual_ipaddress {\n  \(vip)\n }\n}\n"
    }

    @Test("VRID 50 on eth0 and on eth1 of both nodes: two routers, each with its own master")
    func sameVRIDTwoInterfaces() throws {
        let a = Self.instance("LAN", vrid: 50, interface: "eth0", priority: 150, vip: "10.0.0.50")
            + Self.instance("DMZ", vrid: 50, interface: "eth1", priority: 90, vip: "10.1.0.50")
        let b = Self.instance("LAN", vrid: 50, interface: "eth0", priority: 100, vip: "10.0.0.50")
            + Self.instance("DMZ", vrid: 50, interface: "eth1", priority: 120, vip: "10.1.0.50")
        let report = try Self.report([("lb0", a), ("lb1", b)])
        #expect(report.elections.count == 2)
        let lan = try #require(report.elections.first { $0.interface == "eth0" })
        let dmz = try #require(report.elections.first { $0.interface == "eth1" })
        #expect(lan.master == "lb0")
        #expect(dmz.master == "lb1")
        #expect(lan.candidates.map(\.instance) == ["LAN", "LAN"])
        #expect(!report.problems.contains { $0.code == .duplicateVRID })
    }

    @Test("interfaces named differently on the peers still form one router when each node has the VRID once")
    func differentInterfaceNames() throws {
        let report = try Self.report([("lb0", Self.instance("VI", vrid: 7, interface: "eth2", priority: 100, vip: "10.0.0.7")),
                                      ("lb1", Self.instance("VI", vrid: 7, interface: "ens3", priority: 99, vip: "10.0.0.7"))])
        #expect(report.elections.count == 1)
        #expect(report.elections.first?.interface == nil)
        #expect(report.elections.first?.master == "lb0")
    }

    @Test("a sync group member going FAULT takes its sibling to FAULT: the sibling's VIP moves too")
    func syncGroupSiblingsFollow() throws {
        let group = "vrrp_sync_group G {\n group {\n  FRONT\n  BACK\n }\n}\n"
        let a = group + Self.instance("FRONT", vrid: 1, interface: "eth0", priority: 150, vip: "10.0.0.1", extra: " track_interface {\n  eth9\n }\n")
            + Self.instance("BACK", vrid: 2, interface: "eth1", priority: 150, vip: "10.1.0.1")
        let b = group + Self.instance("FRONT", vrid: 1, interface: "eth0", priority: 100, vip: "10.0.0.1")
            + Self.instance("BACK", vrid: 2, interface: "eth1", priority: 100, vip: "10.1.0.1")
        let report = try Self.report([("lb0", a), ("lb1", b)])
        let back = try #require(report.elections.first { $0.virtualRouterID == 2 })
        #expect(back.master == "lb0")
        let sibling = try #require(back.whatif.first { $0.failing == "track_interface eth9" && $0.node == "lb0" })
        #expect(sibling.fault)
        #expect(sibling.newMaster == "lb1")
        #expect(sibling.sentence.contains("siblings follow"))
        let front = try #require(report.elections.first { $0.virtualRouterID == 1 })
        #expect(front.whatif.first { $0.failing == "track_interface eth9" }?.sentence.contains("vrrp_sync_group G takes BACK to FAULT too") == true)
    }

    @Test("with one member in FAULT now, the whole group is in FAULT now")
    func syncGroupFaultNow() throws {
        let group = "vrrp_sync_group G {\n group {\n  FRONT\n  BACK\n }\n}\n"
        let text = group + Self.instance("FRONT", vrid: 1, interface: "eth0", priority: 150, vip: "10.0.0.1", extra: " track_script {\n  chk\n }\n")
            + Self.instance("BACK", vrid: 2, interface: "eth1", priority: 150, vip: "10.1.0.1")
            + "vrrp_script chk {\n script \"/bin/false\"\n}\n"
        let config = try KeepalivedParser.parse(path: "k", files: InMemoryConfigFiles(["k": text]), configID: "x")
        let observed = [ObservedTrack(node: "lb0", kind: .trackScript, name: "chk", state: .failing, reason: "false always fails")]
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb0", config: config, chosenBecause: "test")], observed: observed)
        let back = try #require(report.vrrpInstances.first { $0.name == "BACK" })
        #expect(back.effectivePriority?.fault == true)
        #expect(back.effectivePriority?.arithmetic.contains("FRONT is in FAULT") == true)
    }

    @Test("three members, the last in FAULT now: each other member names the first member in FAULT when it is reached, and the failing one names both siblings")
    func syncGroupFaultNamesFirstMemberInFault() throws {
        let group = "vrrp_sync_group G {\n group {\n  A\n  B\n  C\n }\n}\n"
        let text = group + Self.instance("A", vrid: 1, interface: "eth0", priority: 150, vip: "10.0.0.1")
            + Self.instance("B", vrid: 2, interface: "eth1", priority: 150, vip: "10.1.0.1")
            + Self.instance("C", vrid: 3, interface: "eth2", priority: 150, vip: "10.2.0.1", extra: " track_script {\n  chk\n }\n")
            + "vrrp_script chk {\n script \"/bin/false\"\n}\n"
        let config = try KeepalivedParser.parse(path: "k", files: InMemoryConfigFiles(["k": text]), configID: "x")
        let observed = [ObservedTrack(node: "lb0", kind: .trackScript, name: "chk", state: .failing, reason: "false always fails")]
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb0", config: config, chosenBecause: "test")], observed: observed)
        let arithmetic = Dictionary(uniqueKeysWithValues: report.vrrpInstances.map { ($0.name, $0.effectivePriority?.arithmetic ?? "") })
        #expect(arithmetic["A"] == "FAULT (vrrp_sync_group G: C is in FAULT and the group follows)")
        #expect(arithmetic["B"] == "FAULT (vrrp_sync_group G: A is in FAULT and the group follows)")
        let c = try #require(report.vrrpInstances.first { $0.name == "C" })
        #expect(c.whatif?.first?.sentence.hasSuffix("; vrrp_sync_group G takes A, B to FAULT too (siblings follow)") == true)
    }
}
