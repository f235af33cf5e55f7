import Dispatch
import Foundation
import LabSupport
import Testing

/// The seed lab's link layer, from the application server: the failover's gratuitous ARP
/// from prod-haproxy-001 is heard and named, and --probe is answered by the master alone.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct LinkLayerSeedTests {
    static func entry(_ report: [String: Any], _ address: String) -> [String: Any]? {
        ((report["link_layer"] as? [String: Any])?["addresses"] as? [[String: Any]])?.first { $0["address"] as? String == address }
    }

    static func verdicts(_ entry: [String: Any]?) -> [String] {
        (entry?["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test("from the application server: --probe is answered by the master's MAC alone; haproxy dies on lb0 and prod-haproxy-001's gratuitous ARP is garp_after_failover")
    func failoverAnnouncementFromTheApplicationServer() throws {
        let lab = try SeedLab("arp")
        let probed = try lab.ip(on: "app", ["192.168.3.200", "--probe", "--listen", "3"])
        #expect(probed.status == 0, "\(probed.report)")
        #expect(Answer(probed.report).owner == "peer" && Answer(probed.report).ownerMac == "bc:76:4e:05:6c:1c", "\(Answer(probed.report).verdict)")
        let claimants = (Self.entry(probed.report, "192.168.3.200")?["claimants"] as? [[String: Any]] ?? []).compactMap { $0["mac"] as? String }
        #expect(claimants == ["bc:76:4e:05:6c:1c"], "\(Self.entry(probed.report, "192.168.3.200") ?? [:])")
        #expect((probed.report["probes"] as? [[String: Any]])?.count == 1)

        // vrrp listens on the application server while the master fails over.
        nonisolated(unsafe) var listened: Shell.Result?
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            listened = try? lab.haexplain(on: "app", ["vrrp", "--listen", "14", "--json"])
            done.signal()
        }
        usleep(1_500_000)
        try lab.lab(["haproxy-stop", "lb0"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        done.wait()
        let result = try #require(listened)
        let census = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let entry = Self.entry(census, "192.168.3.200")
        #expect(Self.verdicts(entry).contains("garp_after_failover"), "\(entry ?? census)")
        #expect(!Self.verdicts(entry).contains("duplicate_address") && !Self.verdicts(entry).contains("no_garp_after_failover"), "\(entry ?? [:])")
        let announced = (entry?["claimants"] as? [[String: Any]] ?? []).first { $0["mac"] as? String == "bc:76:4e:05:eb:70" }
        #expect((announced?["announcements"] as? Int ?? 0) >= 1, "\(entry ?? [:])")
    }
}
