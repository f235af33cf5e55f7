import HAExplainCore
import HAModel
import KeepalivedConfig
import Testing

/// How long `ip` listens by default, and for which routers, from the instances listing the
/// addresses asked.
@Suite struct ListeningPlanTests {
    static func report() throws -> KeepalivedReport {
        func instance(_ name: String, vrid: Int, interval: Int, vip: String) -> String {
            "vrrp_instance \(name) {\n  interface eth0\n  virtual_router_id \(vrid)\n  priority 100\n  advert_int \(interval)\n  virtual_ipaddress {\n    \(vip)\n  }\n}\n"
        }
        // VI_SLOW at line 1, VI_FAST at line 10.
        let text = instance("VI_SLOW", vrid: 1, interval: 3, vip: "10.0.0.1") + instance("VI_FAST", vrid: 2, interval: 1, vip: "10.0.0.2")
        let config = try KeepalivedParser.parse(path: "k.conf", files: InMemoryConfigFiles(["k.conf": text]), configID: "x")
        return KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb0", config: config, chosenBecause: "test")])
    }

    static func plan(_ addresses: [String], _ report: KeepalivedReport?) -> ListeningPlan {
        ListeningPlan(keepalived: report, addresses: addresses.compactMap(IPAddress.init))
    }

    @Test("two adverts of the slowest instance listing an address asked, and half a second; never under 3.5 s")
    func boundFromTheSlowestInstance() throws {
        let report = try Self.report()
        #expect(Self.plan(["10.0.0.1"], report).defaultSeconds == 6.5)
        #expect(Self.plan(["10.0.0.2"], report).defaultSeconds == 3.5)
        #expect(Self.plan(["10.0.0.2", "10.0.0.1"], report).defaultSeconds == 6.5)
    }

    @Test("only the instances listing an address asked count: their VRIDs, and each router expected with its file and line")
    func expectedRouters() throws {
        let report = try Self.report()
        let fast = Self.plan(["10.0.0.2"], report)
        #expect(fast.vrids == [2])
        #expect(fast.expected == [VRRPCensus.ExpectedRouter(interface: nil, family: .inet, vrid: 2, source: .file("k.conf", line: 10))])
        #expect(Self.plan(["10.0.0.1", "10.0.0.2"], report).vrids == [1, 2])
    }

    @Test("no instance here lists the address, or no keepalived is read: 7 s for any router listing it")
    func nothingConfigured() throws {
        for plan in [Self.plan(["10.9.9.9"], try Self.report()), Self.plan(["10.0.0.1"], nil)] {
            #expect(plan.defaultSeconds == 7)
            #expect(plan.vrids.isEmpty && plan.expected.isEmpty)
        }
    }
}
