import HAModel
import KeepalivedConfig
import Testing

/// The seed story: two balancers, VRIDs 200 and 201, priorities 100/99 swapped, each
/// tracking `killall -0 haproxy` with weight -2.
@Suite("seed story keepalived configurations")
struct SeedStoryTests {
    static let files = InMemoryConfigFiles([
        "prod-haproxy-000/keepalived.conf": SeedConfigs.prodHaproxy000,
        "prod-haproxy-001/keepalived.conf": SeedConfigs.prodHaproxy001,
    ])

    static func node(_ name: String) throws -> NodeConfiguration {
        let config = try KeepalivedParser.parse(path: "\(name)/keepalived.conf", files: files, configID: name)
        return NodeConfiguration(name: NodeConfiguration.label(for: config), config: config, chosenBecause: "given on the command line")
    }

    @Test("both nodes hold both VRIDs with priorities 100 and 99 swapped")
    func prioritiesSwap() throws {
        let a = try Self.node("prod-haproxy-000").config
        let b = try Self.node("prod-haproxy-001").config
        #expect(a.vrrpInstances.map(\.name) == ["192.168.3.200", "192.168.3.201"])
        #expect(a.vrrpInstances.map(\.virtualRouterID) == [200, 201])
        #expect(a.vrrpInstances.map(\.priority) == [100, 99])
        #expect(b.vrrpInstances.map(\.virtualRouterID) == [201, 200])
        #expect(b.vrrpInstances.map(\.priority) == [100, 99])
        #expect(a.vrrpInstances.allSatisfy { $0.state == "MASTER" && $0.interface == "eth2" })
        let first = try #require(a.vrrpInstances.first)
        #expect(first.file == "prod-haproxy-000/keepalived.conf")
        #expect(first.line == 14)
        #expect(first.virtualIpaddress.map(\.address) == [IPAddress("192.168.3.200")!])
        #expect(first.virtualIpaddress.first?.line == 20)
        #expect(first.virtualIpaddress.first?.dev == "eth2")
        #expect(first.trackScript.map(\.name) == ["chk_haproxy"])
        #expect(a.diagnostics.isEmpty, "\(a.diagnostics)")
    }

    @Test("chk_haproxy has weight -2, so each node's effective priority is its base while haproxy runs")
    func scriptWeight() throws {
        let report = KeepalivedAnalysis.analyze([try Self.node("prod-haproxy-000")])
        let script = try #require(report.vrrpScripts.first)
        #expect(script.name == "chk_haproxy")
        #expect(script.weight == -2)
        #expect(script.script == "killall -0 haproxy")
        #expect(script.interval == 2)
        let vrid200 = try #require(report.vrrpInstances.first { $0.virtualRouterID == 200 })
        #expect(vrid200.effectivePriority?.value == 100)
        #expect(vrid200.effectivePriority?.assumption.contains("OK") == true)
        let whatif = try #require(vrid200.whatif?.first { $0.failing == "track_script chk_haproxy" })
        #expect(whatif.priority == 98)
        #expect(whatif.arithmetic == "100 - 2 = 98")
        #expect(report.limits.contains { $0.message.contains("assume") && $0.source.kind == .assumption })
    }

    @Test("haproxy dies on prod-haproxy-000: 100-2 = 98 < 99, prod-haproxy-001 takes 192.168.3.200", arguments: [false, true])
    func failover(peerFirst: Bool) throws {
        let nodes = [try Self.node("prod-haproxy-000"), try Self.node("prod-haproxy-001")]
        let report = KeepalivedAnalysis.analyze(peerFirst ? nodes.reversed() : nodes)
        let election = try #require(report.elections.first { $0.virtualRouterID == 200 })
        #expect(election.master == "prod-haproxy-000")
        #expect(election.reason == "100 > 99")
        let whatif = try #require(election.whatif.first { $0.node == "prod-haproxy-000" && $0.failing == "track_script chk_haproxy" })
        #expect(whatif.priority == 98)
        #expect(whatif.newMaster == "prod-haproxy-001")
        #expect(whatif.sentence == "if track_script chk_haproxy fails on prod-haproxy-000: 100 - 2 = 98; prod-haproxy-001 takes 192.168.3.200 (99 > 98)")
        let other = try #require(report.elections.first { $0.virtualRouterID == 201 })
        #expect(other.master == "prod-haproxy-001")
        #expect(report.problems.contains { $0.code == .weightExactlyEnough && $0.file == "prod-haproxy-000/keepalived.conf" && $0.line == 23 })
        #expect(!report.problems.contains { $0.code == .weightTooSmall })
        #expect(report.problems.contains { $0.code == .scriptSecurityOff })
        let instance = try #require(report.vrrpInstances.first { $0.node == "prod-haproxy-000" && $0.virtualRouterID == 200 })
        #expect(instance.whatif?.first?.newMaster == "prod-haproxy-001" || instance.whatif?.contains { $0.newMaster == "prod-haproxy-001" } == true)
    }

    @Test("a weight of -1 cannot move mastership: reported as too small")
    func weightTooSmall() throws {
        let files = InMemoryConfigFiles([
            "a/keepalived.conf": SeedConfigs.prodHaproxy000.replacingAll("weight -2", with: "weight -1"),
            "b/keepalived.conf": SeedConfigs.prodHaproxy001,
        ])
        let nodes = try ["a", "b"].map { name in
            let config = try KeepalivedParser.parse(path: "\(name)/keepalived.conf", files: files, configID: name)
            return NodeConfiguration(name: name, config: config, chosenBecause: "test")
        }
        let report = KeepalivedAnalysis.analyze(nodes)
        #expect(report.problems.contains { $0.code == .weightTooSmall && $0.message.contains("100 - 1 = 99") })
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
