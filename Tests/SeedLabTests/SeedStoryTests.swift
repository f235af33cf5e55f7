import Foundation
import LabSupport
import Testing

/// `haexplain ip` on the seed's network, from the application server, the master and the
/// backup: before haproxy dies on the master, after, and once it is back.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class SeedStoryTests {
    let lab: SeedLab

    init() throws { lab = try SeedLab("s") }

    @Test("the seed story: who owns 192.168.3.200 before, during and after haproxy dies on prod-haproxy-000")
    func failoverStory() throws {
        // Before: prod-haproxy-000 holds it as master of VRID 200 at 100 > 99.
        let app = try lab.ip(on: "app", ["prod-db-internal.panda.com"])
        #expect(app.status == 0)
        let fromApp = Answer(app.report)
        #expect(fromApp.address == "192.168.3.200")
        #expect(fromApp.owner == "peer" && fromApp.ownerAddress == "192.168.3.4" && fromApp.ownerMac == "bc:76:4e:05:6c:1c")
        #expect(fromApp.vrid == 200)
        // No snapshot describes the master: its name comes from the application server's hosts file.
        #expect(fromApp.ownerHost == "prod-haproxy-000")
        #expect(fromApp.evidence.contains { $0["claim"] as? String == "192.168.3.4 is prod-haproxy-000" && $0["file"] as? String == "/etc/hosts" })
        #expect(fromApp.names.contains { ($0["source"] as? [String: Any])?["file"] as? String == "/etc/hosts" && ($0["source"] as? [String: Any])?["line"] as? Int == 3 })
        #expect(fromApp.nameNotes.contains { $0.hasPrefix("not in DNS") } && !fromApp.warnings.contains { $0.hasPrefix("not in DNS") })
        // Both VRIDs' masters advertise every second: listening ends before its bound, by itself.
        #expect(((app.report["listened"] as? [String: Any])?["detail"] as? String)?.contains("once every VRID that matters was heard") == true,
                "\(app.report["listened"] ?? "no listened")")

        let master = Answer(try lab.ip(on: "lb0", ["192.168.3.200"]).report)
        #expect(master.owner == "local" && master.ownerHost == "prod-haproxy-000" && master.ownerAddress == "192.168.3.4")
        #expect(master.thisHost?["state"] as? String == "MASTER" && master.thisHost?["priority"] as? Int == 100)
        #expect(master.whatif.contains { $0["failing"] as? String == "track_script chk_haproxy" && $0["priority"] as? Int == 98 })
        #expect(master.notes.contains { $0.contains("ifconfig on prod-haproxy-000 does not show 192.168.3.200/32") })
        #expect(master.evidence.contains { $0["file"] as? String == "/etc/keepalived/keepalived.conf" && $0["line"] as? Int == 20 })

        let backup = Answer(try lab.ip(on: "lb1", ["192.168.3.200"]).report)
        #expect(backup.owner == "peer" && backup.ownerAddress == "192.168.3.4")
        #expect(backup.thisHost?["state"] as? String == "BACKUP" && backup.thisHost?["priority"] as? Int == 99)
        let backupWhatif = backup.whatif.first { $0["failing"] as? String == "track_script chk_haproxy" }
        #expect(backupWhatif?["priority"] as? Int == 98)
        #expect(backupWhatif?["new_master"] as? String == "prod-haproxy-001")
        #expect(backupWhatif?["assumed"] as? Bool == true)

        // haproxy dies on the master: 100 - 2 = 98 < 99, prod-haproxy-001 takes over.
        try lab.lab(["haproxy-stop", "lb0"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        try lab.lab(["wait-vip", "lb0", "192.168.3.200", "absent"])
        let appAfter = Answer(try lab.ip(on: "app", ["prod-db-internal.panda.com"]).report)
        #expect(appAfter.owner == "peer" && appAfter.ownerAddress == "192.168.3.5" && appAfter.ownerMac == "bc:76:4e:05:eb:70")
        #expect(appAfter.ownerHost == "prod-haproxy-001")
        let oldMaster = Answer(try lab.ip(on: "lb0", ["192.168.3.200"]).report)
        #expect(oldMaster.owner == "peer" && oldMaster.ownerAddress == "192.168.3.5")
        #expect(oldMaster.thisHost?["state"] as? String == "BACKUP")
        // The failing check is observed from /proc, so the priority is the real one: 100 - 2 = 98.
        #expect(oldMaster.thisHost?["priority"] as? Int == 98)
        #expect(oldMaster.evidence.contains { ($0["claim"] as? String)?.contains("track_script chk_haproxy \"killall -0 haproxy\" is failing") == true })
        let newMaster = Answer(try lab.ip(on: "lb1", ["192.168.3.200"]).report)
        #expect(newMaster.owner == "local" && newMaster.ownerHost == "prod-haproxy-001")
        #expect(newMaster.thisHost?["state"] as? String == "MASTER")

        // haproxy is back: 100 > 99 again and keepalived preempts.
        try lab.lab(["haproxy-start", "lb0"])
        try lab.lab(["wait-vip", "lb0", "192.168.3.200"])
        let appRestored = Answer(try lab.ip(on: "app", ["prod-db-internal.panda.com"]).report)
        #expect(appRestored.ownerAddress == "192.168.3.4" && appRestored.ownerMac == "bc:76:4e:05:6c:1c")
    }

    @Test("answers from the three hosts' snapshots agree with the live answers, and keepalived's election gives the what-if")
    func snapshotRoundTrip() throws {
        // The application server's snapshot carries what it heard on the wire.
        let (result, appOnly) = try lab.withSnapshots(listening: ["app"]) { files in
            (try HAExplainBinary.run(["ip", "prod-db-internal.panda.com", "--json"] + files.flatMap { ["--from", $0] }),
             try HAExplainBinary.run(["ip", "192.168.3.200", "--json", "--from", files[2]]))
        }
        #expect(result.status == 0, "\(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let fromSnapshots = Answer(report)
        let live = Answer(try lab.ip(on: "app", ["192.168.3.200"]).report)
        #expect(fromSnapshots.address == "192.168.3.200")
        #expect(fromSnapshots.owner == live.owner && fromSnapshots.ownerAddress == live.ownerAddress)
        #expect(fromSnapshots.ownerMac == live.ownerMac && fromSnapshots.vrid == live.vrid)
        #expect(fromSnapshots.ownerHost == "prod-haproxy-000")
        #expect(fromSnapshots.thisHost == nil)
        #expect(((report["listened"] as? [String: Any])?["detail"] as? String)?.hasPrefix("heard by prod-app-000") == true)
        #expect(fromSnapshots.evidence.contains { ($0["claim"] as? String)?.hasPrefix("VRID 200 on eth2: 192.168.3.4 (bc:76:4e:05:6c:1c) is master") == true })
        // Without the balancers' snapshots, the wire in the application server's still names the master.
        let wireOnly = Answer(try #require(try JSONSerialization.jsonObject(with: Data(appOnly.stdout.utf8)) as? [String: Any]))
        #expect(wireOnly.owner == "peer" && wireOnly.ownerAddress == "192.168.3.4" && wireOnly.ownerHost == "prod-haproxy-000")
        let chk = fromSnapshots.whatif.first { $0["node"] as? String == "prod-haproxy-000" && $0["failing"] as? String == "track_script chk_haproxy" }
        #expect(chk?["new_master"] as? String == "prod-haproxy-001")
        #expect(chk?["assumed"] as? Bool == false)
        #expect(fromSnapshots.names.contains { ($0["source"] as? [String: Any])?["file"] as? String == "prod-app-000:/etc/hosts" })
    }

    @Test("a name with two addresses gets an answer for each; an address nobody configured is unknown (exit 4)")
    func twoAddressesAndUnknown() throws {
        let both = try lab.ip(on: "app", ["prod-db-both.panda.com", "--no-dns"])
        #expect(both.status == 0)
        #expect(Answer(both.report, 0).address == "192.168.3.200" && Answer(both.report, 0).ownerAddress == "192.168.3.4")
        #expect(Answer(both.report, 1).address == "192.168.3.201" && Answer(both.report, 1).ownerAddress == "192.168.3.5")
        #expect(Answer(both.report, 1).vrid == 201)

        let nobody = try lab.ip(on: "app", ["192.168.3.99", "--listen", "2s", "--no-dns"])
        #expect(nobody.status == 4)
        #expect(Answer(nobody.report).owner == "unknown")
        let fromMaster = try lab.ip(on: "lb0", ["192.168.3.99", "--no-listen", "--no-dns"])
        #expect(fromMaster.status == 4)
        #expect((Answer(fromMaster.report).verdict["reason"] as? String)?.contains("no keepalived instance read lists it") == true)
    }

    @Test("haexplain ip changes nothing: addresses, routes, sysctls and the files it reads are the same after")
    func readOnly() throws {
        func state() throws -> [String] {
            try ["ip -j addr show", "ip -j route show table all", "ip neigh show | cut -d' ' -f1,5", "sysctl -a",
                 "sha256sum /etc/hosts /etc/keepalived/keepalived.conf /etc/resolv.conf"].map { command in
                let result = try lab.run(on: "lb0", ["sh", "-c", command + " 2>/dev/null | grep -v -e ^net.netfilter.nf_conntrack_count -e random -e ^fs. -e ^kernel.ns_last_pid -e ^kernel.pty -e ^net.core.netdev_rss_key"])
                return result.stdout
            }
        }
        let before = try state()
        _ = try lab.ip(on: "lb0", ["192.168.3.200"])
        _ = try lab.haexplain(on: "lb0", ["snapshot"])
        let after = try state()
        #expect(before.count == after.count)
        // Neighbour entries are compared by address and MAC only: their state ages by itself.
        for (a, b) in zip(before, after) {
            #expect(a == b)
        }
    }
}

@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class BrokenClusterTests {
    @Test("keepalived stopped on both balancers: nobody owns 192.168.3.200, live and from the snapshots")
    func keepalivedStoppedOnBoth() throws {
        let lab = try SeedLab("k")
        try lab.lab(["keepalived-stop", "lb0"])
        try lab.lab(["keepalived-stop", "lb1"])
        // keepalived removes its addresses as it exits.
        try lab.lab(["wait-vip", "lb0", "192.168.3.200", "absent"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.200", "absent"])
        // keepalived's parent outlives its VRRP child's cleanup by a moment.
        for node in ["lb0", "lb1"] {
            for _ in 0..<100 where try lab.run(on: node, ["pgrep", "-x", "keepalived"]).succeeded { usleep(100_000) }
        }
        // A silent wire: listening runs to its bound and ends there.
        let live = try lab.ip(on: "lb0", ["192.168.3.200", "--listen", "2s", "--no-dns"])
        #expect(live.status == 0)
        let answer = Answer(live.report)
        #expect(answer.owner == "none" && answer.vrid == 200, "\(answer.verdict)")
        #expect(answer.thisHost?["state"] as? String == "STOPPED")
        #expect(answer.warnings.contains { $0.contains("VRID 200 is configured") && $0.contains("no advert") })
        #expect(((live.report["listened"] as? [String: Any])?["detail"] as? String)?.contains("(2.0 s)") == true)

        let (result, appOnly) = try lab.withSnapshots { files in
            (try HAExplainBinary.run(["ip", "192.168.3.200", "--json"] + files.flatMap { ["--from", $0] }),
             try HAExplainBinary.run(["ip", "192.168.3.200", "--json", "--from", files[2]]))
        }
        #expect(result.status == 0, "\(result.stderr)")
        let fromSnapshots = Answer(try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]))
        #expect(fromSnapshots.owner == "none", "\(fromSnapshots.verdict)")
        // Both snapshots show no keepalived: neither is a candidate, so no failure elects anyone.
        #expect(fromSnapshots.whatif.isEmpty, "\(fromSnapshots.whatif)")
        // Without the balancers' snapshots the application server cannot tell.
        #expect(appOnly.status == 4)
    }

    @Test("split brain: the balancers cannot hear each other, the application server hears both: conflict, exit 3")
    func splitBrain() throws {
        let lab = try SeedLab("b")
        try lab.lab(["isolate"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        let result = try lab.ip(on: "app", ["192.168.3.200", "--no-dns"])
        #expect(result.status == 3)
        let answer = Answer(result.report)
        #expect(answer.owner == "conflict")
        #expect((answer.verdict["reason"] as? String)?.contains("split brain") == true)
    }
}
