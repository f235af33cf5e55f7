import HAModel
import KeepalivedConfig
import LocalFiles
import Testing

/// The seed's prod-haproxy-000 configuration with the live state of chk_haproxy fed in.
@Suite("Effective priority from the observed track state")
struct ObservedPriorityTests {
    static let seed = URLPath.packageRoot + "/demo/seed/prod-haproxy-000.keepalived.conf"

    func report(_ state: ObservedTrack.State?) throws -> KeepalivedReport {
        let config = try KeepalivedParser.parse(path: Self.seed, files: LocalConfigFiles(), configID: "prod-haproxy-000")
        let node = NodeConfiguration(name: "prod-haproxy-000", config: config, chosenBecause: "test")
        let observed = state.map { [ObservedTrack(node: "prod-haproxy-000", kind: .trackScript, name: "chk_haproxy", state: $0, reason: "seen")] } ?? []
        return KeepalivedAnalysis.analyze([node], observed: observed)
    }

    @Test("haproxy stopped on the master: chk_haproxy failing gives 100 - 2 = 98 and says it was observed")
    func failing() throws {
        let instance = try #require(try report(.failing).vrrpInstances.first { $0.virtualRouterID == 200 })
        #expect(instance.effectivePriority?.value == 98)
        #expect(instance.effectivePriority?.arithmetic == "100 - 2 = 98")
        #expect(instance.effectivePriority?.assumption.contains("observed: track_script chk_haproxy failing") == true)
        #expect(instance.whatif?.contains { $0.sentence == "if track_script chk_haproxy fails (it is failing now): 100 - 2 = 98" } == true)
    }

    @Test("haproxy running: 100, observed rather than assumed; not evaluated stays assumed")
    func okAndAssumed() throws {
        let ok = try report(.ok)
        #expect(ok.vrrpInstances.first { $0.virtualRouterID == 200 }?.effectivePriority?.value == 100)
        #expect(!ok.limits.contains { $0.message.hasPrefix("Effective priorities assume") })
        let assumed = try report(.notEvaluated)
        let instance = assumed.vrrpInstances.first { $0.virtualRouterID == 200 }
        #expect(instance?.effectivePriority?.value == 100)
        #expect(instance?.effectivePriority?.assumption.contains("assumed OK (not observed): track_script chk_haproxy") == true)
        #expect(try report(nil).limits.contains { $0.message.hasPrefix("Effective priorities assume all tracked scripts") })
    }
}

enum URLPath {
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()
}
