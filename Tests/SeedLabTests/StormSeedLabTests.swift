import Foundation
import LabSupport
import Testing

/// Storms on the seed lab that keepalived and the kernel really play out, asked from the
/// balancers and the application server: track scripts keepalived drops, and a failover whose
/// gratuitous ARP never reaches the application server.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct StormSeedLabTests {
    /// keepalived stopped, gone, and started again on `node` with the configuration now in its /etc/keepalived.
    static func restartKeepalived(_ lab: SeedLab, _ node: String) throws {
        try lab.lab(["keepalived-stop", node])
        let gone = poll(timeout: 10) {
            (try? lab.run(on: node, ["sh", "-c", "kill -0 \"$(cat /run/lab/keepalived.pid)\""]))?.succeeded == false
        }
        #expect(gone, "keepalived did not stop on \(node)")
        try lab.lab(["keepalived-start", node])
    }

    static func keepalivedLog(_ lab: SeedLab, _ node: String) -> String {
        (try? lab.run(on: node, ["cat", "/run/lab/keepalived.log"]))?.stdout ?? ""
    }

    @Test("track scripts keepalived drops (no script user on prod-haproxy-000, an insecure directory on prod-haproxy-001): haproxy stops on both and nothing fails over; ip names each master at priority 100 with the script dropped, as keepalived says, and the application server the same owners")
    func droppedTrackScripts() throws {
        let lab = try SeedLab("d", family: "hxstorm")
        let seed = { (node: String) in try String(contentsOfFile: "\(lab.state)/\(node)/etc-keepalived/keepalived.conf", encoding: .utf8) }
        // No script_user and no keepalived_script user: keepalived removes chk_haproxy.
        try ("global_defs {\n  enable_script_security\n}\n" + seed("lb0"))
            .write(toFile: "\(lab.state)/lb0/etc-keepalived/keepalived.conf", atomically: true, encoding: .utf8)
        // The script in a directory anyone may write to: keepalived disables it as insecure.
        _ = try lab.run(on: "lb1", ["sh", "-c", "mkdir -p /run/lab/drop && chmod 0777 /run/lab/drop && printf '#!/bin/sh\\nexec killall -0 haproxy\\n' > /run/lab/drop/chk_haproxy && chmod 0755 /run/lab/drop/chk_haproxy"])
        try ("global_defs {\n  enable_script_security\n  script_user root\n}\n"
             + seed("lb1").replacingOccurrences(of: "script \"killall -0 haproxy\"", with: "script \"/run/lab/drop/chk_haproxy\""))
            .write(toFile: "\(lab.state)/lb1/etc-keepalived/keepalived.conf", atomically: true, encoding: .utf8)
        for node in ["lb0", "lb1"] { try Self.restartKeepalived(lab, node) }
        try lab.lab(["wait-vip", "lb0", "192.168.3.200"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.201"])
        // keepalived's own word: the scripts are gone.
        #expect(Self.keepalivedLog(lab, "lb0").contains("Unable to set default user for vrrp script chk_haproxy - removing"))
        #expect(Self.keepalivedLog(lab, "lb1").contains("Disabling track script chk_haproxy due to insecure"))

        for node in ["lb0", "lb1"] { try lab.lab(["haproxy-stop", node]) }
        // Longer than chk_haproxy's interval (2 s) and the peer's master-down interval: nobody moves.
        usleep(6_000_000)
        for (node, vip) in [("lb0", "192.168.3.200"), ("lb1", "192.168.3.201")] {
            #expect(try lab.run(on: node, ["ip", "-o", "addr", "show", "dev", "eth2"]).stdout.contains(" \(vip)/"), "\(node) lost \(vip)")
            let asked = try lab.ip(on: node, [vip, "--no-dns"])
            let answer = Answer(asked.report)
            #expect(asked.status == 0 && answer.owner == "local", "\(node): \(answer.verdict)")
            #expect(answer.thisHost?["state"] as? String == "MASTER" && answer.thisHost?["priority"] as? Int == 100, "\(node): \(answer.thisHost ?? [:])")
            #expect(answer.warnings.contains { $0.hasPrefix("script-dropped: vrrp_instance \(vip) tracks vrrp_script chk_haproxy") }, "\(node): \(answer.warnings)")
            #expect(!answer.whatif.contains { ($0["failing"] as? String ?? "").contains("chk_haproxy") }, "\(node): \(answer.whatif)")
        }
        for (vip, host) in [("192.168.3.200", "prod-haproxy-000"), ("192.168.3.201", "prod-haproxy-001")] {
            let asked = try lab.ip(on: "app", [vip, "--no-dns"])
            #expect(asked.status == 0 && Answer(asked.report).owner == "peer" && Answer(asked.report).ownerHost == host, "\(vip): \(Answer(asked.report).verdict)")
        }
    }

    @Test("a failover whose gratuitous ARP never reaches the application server (the bridge drops announcements of 192.168.3.200): ip there names the new master and warns it still sends to the old MAC; vrrp over the failover says no_garp_after_failover, no split brain")
    func garpNeverCame() throws {
        let lab = try SeedLab("g", family: "hxstorm")
        _ = try Shell.check(["ip", "netns", "exec", "\(lab.prefix)-sw", "nft", "-f", "-"], stdin: """
            table bridge nogarp {
              chain forward {
                type filter hook forward priority 0; policy accept;
                arp saddr ip 192.168.3.200 arp daddr ip 192.168.3.200 drop
              }
            }

            """)
        _ = try lab.run(on: "app", ["ping", "-c", "1", "-W", "2", "192.168.3.200"])
        #expect(try lab.run(on: "app", ["ip", "neigh", "show", "192.168.3.200"]).stdout.contains("bc:76:4e:05:6c:1c"))
        // Long enough to cover the 10 s after the failover (chk_haproxy's 2 s and lb1's master-down
        // interval of about 3.6 s come first).
        _ = try lab.run(on: "app", ["sh", "-c", "\(HAExplainBinary.path) vrrp --listen 20 --json > /tmp/storm-vrrp.json 2>/tmp/storm-vrrp.err &"])
        usleep(1_000_000)
        try lab.lab(["haproxy-stop", "lb0"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        let asked = try lab.ip(on: "app", ["192.168.3.200", "--no-dns"])
        let answer = Answer(asked.report)
        #expect(asked.status == 0 && answer.owner == "peer" && answer.ownerHost == "prod-haproxy-001", "\(answer.verdict)")
        #expect(answer.warnings.contains { $0.contains("this host sends 192.168.3.200 to bc:76:4e:05:6c:1c (192.168.3.4), but the owner now is prod-haproxy-001") },
                "\(answer.warnings)")
        var text = ""
        _ = poll(timeout: 25) {
            text = (try? lab.run(on: "app", ["cat", "/tmp/storm-vrrp.json"]))?.stdout ?? ""
            return text.hasSuffix("}\n") || text.hasSuffix("}")
        }
        let census = try #require(try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "vrrp wrote: \(text.suffix(300))")
        let router = (census["routers"] as? [[String: Any]] ?? []).first { $0["vrid"] as? Int == 200 }
        let codes = (router?["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("master_changed") && !codes.contains("split_brain"), "\(codes)")
        let addresses = (census["link_layer"] as? [String: Any])?["addresses"] as? [[String: Any]] ?? []
        let claims = addresses.first { $0["address"] as? String == "192.168.3.200" }
        let verdicts = (claims?["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(verdicts == ["no_garp_after_failover"], "\(claims ?? [:])")
    }

    @Test("a configuration keepalived refuses (the instance's interface eth3 does not exist): keepalived exits with a configuration error, prod-haproxy-001 takes 192.168.3.200; ip on prod-haproxy-000 says keepalived is not running, why it refuses the file, and names the new owner")
    func refusedConfiguration() throws {
        let lab = try SeedLab("r", family: "hxstorm")
        let path = "\(lab.state)/lb0/etc-keepalived/keepalived.conf"
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "interface eth2", with: "interface eth3")
            .write(toFile: path, atomically: true, encoding: .utf8)
        try Self.restartKeepalived(lab, "lb0")
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        #expect(poll(timeout: 10) { Self.keepalivedLog(lab, "lb0").contains("exited with permanent error CONFIG") }, "\(Self.keepalivedLog(lab, "lb0").suffix(600))")
        let asked = try lab.ip(on: "lb0", ["192.168.3.200", "--no-dns"])
        let answer = Answer(asked.report)
        #expect(asked.status == 0 && answer.owner == "peer" && answer.ownerHost == "prod-haproxy-001", "\(answer.verdict)")
        #expect(answer.thisHost?["state"] as? String == "STOPPED", "\(answer.thisHost ?? [:])")
        #expect(answer.warnings.contains { $0.hasPrefix("interface-missing: eth3") && $0.contains("keepalived refuses to start") }, "\(answer.warnings)")
        let check = try lab.haexplain(on: "lb0", ["keepalived", "--check"])
        #expect(check.status == 1, "keepalived --check: \(check.stdout)")
    }

    @Test("a split brain (each balancer's nftables drops its peer's VRRP) in which prod-haproxy-001's track script is dropped (its file is missing), then haproxy dies on both: both stay masters, prod-haproxy-000 at 98 and prod-haproxy-001 at 99, conflict from all three hosts, each balancer's state and priority keepalived's own; then eth2 of prod-haproxy-000 goes down: FAULT there, its owner unknown (not none), and the application server names prod-haproxy-001")
    func splitBrainWithDroppedScriptThenInterfaceDown() throws {
        let lab = try SeedLab("s", family: "hxstorm")
        let path = "\(lab.state)/lb1/etc-keepalived/keepalived.conf"
        try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "script \"killall -0 haproxy\"", with: "script \"/run/lab/missing/chk_haproxy\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        try Self.restartKeepalived(lab, "lb1")
        #expect(poll(timeout: 10) { Self.keepalivedLog(lab, "lb1").contains("Disabling track script chk_haproxy since not found") },
                "\(Self.keepalivedLog(lab, "lb1").suffix(600))")
        for (node, peer) in [("lb0", "192.168.3.5"), ("lb1", "192.168.3.4")] {
            _ = try Shell.check(["ip", "netns", "exec", "\(lab.prefix)-\(node)", "nft", "-f", "-"], stdin: """
                table inet storm {
                  chain input {
                    type filter hook input priority 0; policy accept;
                    ip saddr \(peer) ip protocol 112 drop
                  }
                }

                """)
        }
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        for node in ["lb0", "lb1"] { try lab.lab(["haproxy-stop", node]) }
        // chk_haproxy's interval (2 s) passes on prod-haproxy-000; prod-haproxy-001 has none.
        usleep(4_000_000)
        for (node, priority) in [("lb0", 98), ("lb1", 99)] {
            let asked = try lab.ip(on: node, ["192.168.3.200", "--no-dns", "--ask-keepalived"])
            let answer = Answer(asked.report)
            #expect(asked.status == 3 && answer.owner == "conflict", "\(node): \(answer.verdict)")
            #expect(answer.thisHost?["state"] as? String == "MASTER" && answer.thisHost?["priority"] as? Int == priority, "\(node): \(answer.thisHost ?? [:])")
            let says = asked.report["keepalived_says"] as? [String: Any]
            #expect((says?["disagreements"] as? [String])?.isEmpty == true, "\(node): \(says ?? [:])")
        }
        #expect(Answer(try lab.ip(on: "app", ["192.168.3.200", "--no-dns"]).report).owner == "conflict")

        _ = try Shell.check(["ip", "-n", "\(lab.prefix)-lb0", "link", "set", "eth2", "down"])
        usleep(1_000_000)
        let deaf = try lab.ip(on: "lb0", ["192.168.3.200", "--no-dns", "--ask-keepalived"])
        let down = Answer(deaf.report)
        #expect(deaf.status == 4 && down.owner == "unknown" && (down.verdict["reason"] as? String ?? "").hasPrefix("eth2 of prod-haproxy-000 is down"), "\(down.verdict)")
        #expect(down.thisHost?["state"] as? String == "FAULT", "\(down.thisHost ?? [:])")
        let says = deaf.report["keepalived_says"] as? [String: Any]
        #expect((says?["disagreements"] as? [String])?.isEmpty == true, "\(says ?? [:])")
        let app = Answer(try lab.ip(on: "app", ["192.168.3.200", "--no-dns"]).report)
        #expect(app.owner == "peer" && app.ownerHost == "prod-haproxy-001", "\(app.verdict)")
    }
}
