import Foundation
import HAModel
import LabSupport
import Testing

/// Real keepalived failovers recorded by tcpdump on the application server, then read back:
/// a takeover and a preemption back, with garp_master_delay and garp_master_refresh, plain
/// and with use_vmac. Whatever keepalived and the kernel send, the verdicts must be two
/// garp_after_failover and never a duplicate, a non-master claim or a missing announcement.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct LinkLayerStormLabTests {
    static func config(priority: Int, vmac: Bool) -> String {
        """
        vrrp_instance vip {
          interface eth2
          virtual_router_id 77
          priority \(priority)
          advert_int 1
          garp_master_delay 2
          garp_master_refresh 2
          \(vmac ? "use_vmac" : "")
          virtual_ipaddress {
            192.168.3.177
          }
        }

        """
    }

    /// `vrrp --read FILE --json` on the recording: the report, the VIP's entry and its verdict codes (printed for the log).
    static func judged(_ file: URL, _ vip: String, _ label: String) throws -> (json: [String: Any], entry: [String: Any]?, codes: [String]) {
        let read = try Shell.run([HAExplainBinary.path, "vrrp", "--read", file.path, "--json"])
        #expect(read.status == 0, "\(read.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        let entry = LinkLayerLabTests.entry(json, vip)
        let codes = LinkLayerLabTests.verdicts(entry)
        print("storm lab (\(label)): \(codes)")
        return (json, entry, codes)
    }

    @Test("takeover then preemption back, real keepalived (garp_master_delay 2, garp_master_refresh 2): two garp_after_failover, no duplicate",
          arguments: [false, true])
    func takeoverAndPreemption(vmac: Bool) throws {
        let vip = "192.168.3.177"
        let lab = try VRRPLab(nodes: [
            .init(role: "lba", address: "192.168.3.77", mac: "02:00:00:00:00:77"),
            .init(role: "lbb", address: "192.168.3.78", mac: "02:00:00:00:00:78"),
        ], prefix: "hxarpv")
        var first = try lab.startKeepalived("lba", config: Self.config(priority: 100, vmac: vmac))
        try lab.startKeepalived("lbb", config: Self.config(priority: 90, vmac: vmac))
        let holds = { (role: String) in
            ((try? lab.lab.ip(lab.nodes[role]!.namespace, "-o", "addr", "show")) ?? "").contains(" \(vip)/")
        }
        #expect(poll(timeout: 15) { holds("lba") }, "\(lab.log("lba"))")
        let recording = try LinkLayerLabTests.record(lab, "storm\(vmac)")
        usleep(1_500_000)
        lab.lab.stop(first)
        #expect(poll(timeout: 10) { holds("lbb") }, "\(lab.log("lbb"))")
        usleep(4_000_000)
        first = try lab.startKeepalived("lba", config: Self.config(priority: 100, vmac: vmac))
        #expect(poll(timeout: 15) { holds("lba") && !holds("lbb") }, "\(lab.log("lba"))")
        usleep(5_000_000)
        lab.stopCapture(recording)
        lab.lab.stop(first)

        let (json, entry, codes) = try Self.judged(recording.file, vip, "use_vmac \(vmac)")
        #expect(codes.filter { $0 == "garp_after_failover" }.count == 2, "\(entry ?? json)")
        #expect(Set(codes).isDisjoint(with: ["duplicate_address", "claimed_by_non_master", "no_garp_after_failover"]), "\(entry ?? json)")
        if vmac {
            #expect(LinkLayerLabTests.claimants(entry).contains("00:00:5e:00:01:4d"), "\(entry ?? [:])")
        }
    }

    @Test("a real split brain (the nodes' bridge ports isolated: both masters, both GARPing), then healed: claimed_during_split_brain naming both MACs, no duplicate")
    func healedSplitBrain() throws {
        let vip = "192.168.3.177"
        let lab = try VRRPLab(nodes: [
            .init(role: "lba", address: "192.168.3.77", mac: "02:00:00:00:00:77"),
            .init(role: "lbb", address: "192.168.3.78", mac: "02:00:00:00:00:78"),
        ], isolated: true, prefix: "hxarps")
        let recording = try LinkLayerLabTests.record(lab, "split")
        let first = try lab.startKeepalived("lba", config: Self.config(priority: 100, vmac: false))
        let second = try lab.startKeepalived("lbb", config: Self.config(priority: 90, vmac: false))
        #expect(poll(timeout: 15) { lab.holds("lba", vip) && lab.holds("lbb", vip) }, "\(lab.log("lbb"))")
        usleep(5_000_000)
        for port in ["p0", "p1"] {
            try Shell.check(["ip", "netns", "exec", lab.bridgeNamespace, "bridge", "link", "set", "dev", port, "isolated", "off"])
        }
        #expect(poll(timeout: 10) { !lab.holds("lbb", vip) }, "\(lab.log("lbb"))")
        usleep(4_000_000)
        lab.stopCapture(recording)
        lab.lab.stop(second)
        lab.lab.stop(first)

        let (json, entry, codes) = try Self.judged(recording.file, vip, "split brain")
        #expect(codes.contains("claimed_during_split_brain"), "\(entry ?? json)")
        #expect(Set(codes).isDisjoint(with: ["duplicate_address", "claimed_by_non_master"]), "\(entry ?? json)")
        let split = (entry?["verdicts"] as? [[String: Any]] ?? []).first { $0["code"] as? String == "claimed_during_split_brain" }
        let named = Set((split?["macs"] as? [String]) ?? [])
        #expect(named.isSuperset(of: ["02:00:00:00:00:77", "02:00:00:00:00:78"]), "\(split ?? [:])")
    }
}
