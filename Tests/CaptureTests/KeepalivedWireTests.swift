import Foundation
import HAModel
import LabSupport
import Testing

/// Real keepalived 2.2.7 nodes on a bridge, captured from a third namespace as an
/// application server would; every capture is also checked field by field against tshark.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct KeepalivedWireTests {
    static func seedConfig(node: String, priority200: Int, priority201: Int) -> String {
        """
        # Node - \(node)
        vrrp_script chk_haproxy {
          script "killall -0 haproxy"
          interval 1
          weight -2
        }
        vrrp_instance 192.168.3.200 {
          interface eth2
          state MASTER
          virtual_router_id 200
          priority \(priority200)
          virtual_ipaddress {
            192.168.3.200
          }
          track_script {
            chk_haproxy
          }
        }
        vrrp_instance 192.168.3.201 {
          interface eth2
          state MASTER
          virtual_router_id 201
          priority \(priority201)
          virtual_ipaddress {
            192.168.3.201
          }
          track_script {
            chk_haproxy
          }
        }

        """
    }

    func census(_ file: URL) throws -> CensusJSON {
        let result = try HAExplainBinary.json(["vrrp", "--read", file.path, "--json"])
        #expect(result.status == 0, "haexplain vrrp --read failed: \(result.stderr)")
        return CensusJSON(root: try #require(result.json))
    }

    @Test("the seed: both nodes say state MASTER with swapped priorities, each masters one VRID; then haproxy dies on 000")
    func seedAndHaproxyDeath() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb000", address: "192.168.3.4", mac: "bc:76:4e:05:6c:1c"),
            .init(role: "lb001", address: "192.168.3.5", mac: "bc:76:4e:05:eb:70"),
        ])
        let startup = try lab.startCapture("seed")
        let node000 = try lab.startKeepalived("lb000", config: Self.seedConfig(node: "prod-haproxy-000", priority200: 100, priority201: 99), haproxy: true)
        try lab.startKeepalived("lb001", config: Self.seedConfig(node: "prod-haproxy-001", priority200: 99, priority201: 100), haproxy: true)
        let settled = poll(timeout: 15) { lab.holds("lb000", "192.168.3.200") && lab.holds("lb001", "192.168.3.201") }
        #expect(settled, "keepalived did not settle: \(lab.log("lb000"))")
        usleep(1_500_000)

        // An application server listening live, inside its own namespace.
        let live = try HAExplainBinary.json(["vrrp", "--netns", lab.observer, "--listen", "2.5", "--json"])
        #expect(live.status == 0, "\(live.stderr)")
        let liveCensus = CensusJSON(root: try #require(live.json))
        #expect(liveCensus.master(200)?.address == "192.168.3.4" && liveCensus.master(200)?.priority == 100)
        #expect(liveCensus.master(201)?.address == "192.168.3.5" && liveCensus.master(201)?.priority == 100)
        #expect(liveCensus.router(200)?["interface"] as? String == "eth2")
        for vrid in [200, 201] {
            #expect(liveCensus.senders(vrid).count == 1, "only the master advertises")
            #expect(liveCensus.verdicts(vrid).isEmpty)
        }
        // Ctrl-C ends a long capture on one interface early and still prints the census.
        let interrupted = Process()
        interrupted.executableURL = URL(fileURLWithPath: HAExplainBinary.path)
        interrupted.arguments = ["vrrp", "--netns", lab.observer, "--interface", "eth2", "--listen", "60", "--json"]
        let output = Pipe()
        interrupted.standardOutput = output
        interrupted.standardError = FileHandle.nullDevice
        try interrupted.run()
        usleep(2_500_000)
        kill(interrupted.processIdentifier, SIGINT)
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        interrupted.waitUntilExit()
        #expect(interrupted.terminationStatus == 0)
        let root = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any])
        let afterInterrupt = CensusJSON(root: root)
        #expect(((root["source"] as? [String: Any])?["detail"] as? String)?.contains("interrupted") == true)
        #expect(afterInterrupt.master(200)?.address == "192.168.3.4" && afterInterrupt.master(201)?.address == "192.168.3.5")
        #expect(afterInterrupt.router(201)?["interface"] as? String == "eth2")

        lab.stopCapture(startup)
        let seed = try census(startup.file)
        #expect(seed.master(200)?.address == "192.168.3.4" && seed.master(200)?.priority == 100)
        #expect(seed.master(201)?.address == "192.168.3.5" && seed.master(201)?.priority == 100)
        #expect(seed.sender(200, "192.168.3.4")?["mac"] as? String == "bc:76:4e:05:6c:1c")
        #expect(seed.sender(200, "192.168.3.4")?["virtual_addresses"] as? [String] == ["192.168.3.200"])
        #expect(!seed.verdicts(200).contains("split_brain") && !seed.verdicts(201).contains("split_brain"))
        try expectTsharkParity(startup.file)

        // haproxy dies on 000: 100 - 2 = 98 < 99, so 001 takes VRID 200.
        let death = try lab.startCapture("haproxy-death")
        // The capture must hold an advert at 100 before the death, or there is no change to see
        // (tcpdump -U writes each packet as it comes, so the partial file can be read).
        let heardBefore = poll(timeout: 5) {
            (try? HAExplainBinary.json(["vrrp", "--read", death.file.path, "--json"]).json)
                .map { CensusJSON(root: $0).sender(200, "192.168.3.4")?["priority"] as? Int == 100 } ?? false
        }
        #expect(heardBefore, "no advert from 192.168.3.4 at priority 100 before haproxy was killed")
        lab.signal("haproxy", in: node000, SIGKILL)
        #expect(poll(timeout: 10) { lab.holds("lb001", "192.168.3.200") }, "001 did not take VRID 200: \(lab.log("lb001"))")
        usleep(1_500_000)
        lab.stopCapture(death)
        let afterDeath = try census(death.file)
        #expect(afterDeath.master(200)?.address == "192.168.3.5" && afterDeath.master(200)?.priority == 99)
        #expect(afterDeath.sender(200, "192.168.3.4")?["priority"] as? Int == 98)
        #expect(afterDeath.verdicts(200).contains("master_changed"))
        #expect(afterDeath.events(200).contains { $0["kind"] as? String == "priority_changed" && $0["priority"] as? Int == 98 })
        try expectTsharkParity(death.file)
    }

    @Test("failover: stopping keepalived on the master sends priority 0 and the backup takes over")
    func stopMasterFailover() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb000", address: "192.168.3.4", mac: "bc:76:4e:05:6c:1c"),
            .init(role: "lb001", address: "192.168.3.5", mac: "bc:76:4e:05:eb:70"),
        ])
        let master = try lab.startKeepalived("lb000", config: Self.seedConfig(node: "prod-haproxy-000", priority200: 100, priority201: 99), haproxy: true)
        try lab.startKeepalived("lb001", config: Self.seedConfig(node: "prod-haproxy-001", priority200: 99, priority201: 100), haproxy: true)
        #expect(poll(timeout: 15) { lab.holds("lb000", "192.168.3.200") && lab.holds("lb001", "192.168.3.201") })
        let capture = try lab.startCapture("failover")
        usleep(1_200_000)
        lab.signal("keepalived", in: master)
        #expect(poll(timeout: 10) { lab.holds("lb001", "192.168.3.200") }, "001 did not take over: \(lab.log("lb001"))")
        usleep(1_500_000)
        lab.stopCapture(capture)
        let census = try census(capture.file)
        #expect(census.verdicts(200).contains("master_resigned"))
        #expect(census.verdicts(200).contains("master_changed"))
        #expect(census.master(200)?.address == "192.168.3.5" && census.master(200)?.priority == 99)
        #expect(census.sender(200, "192.168.3.4")?["priority"] as? Int == 0)
        let kinds = census.events(200).compactMap { $0["kind"] as? String }
        #expect(kinds.firstIndex(of: "resigned").map { kinds[$0...].contains("master") } == true, "\(kinds)")
        #expect(census.master(201)?.address == "192.168.3.5")
        try expectTsharkParity(capture.file)
    }

    @Test("split brain: two nodes that cannot hear each other both advertise while the observer hears both")
    func splitBrain() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb000", address: "192.168.3.4", mac: "bc:76:4e:05:6c:1c"),
            .init(role: "lb001", address: "192.168.3.5", mac: "bc:76:4e:05:eb:70"),
        ], isolated: true)
        let capture = try lab.startCapture("split", interface: "any")
        try lab.startKeepalived("lb000", config: Self.seedConfig(node: "prod-haproxy-000", priority200: 100, priority201: 99), haproxy: true)
        try lab.startKeepalived("lb001", config: Self.seedConfig(node: "prod-haproxy-001", priority200: 99, priority201: 100), haproxy: true)
        #expect(poll(timeout: 15) { lab.holds("lb000", "192.168.3.200") && lab.holds("lb001", "192.168.3.200") })
        // Asked from the application server into the split brain: listening stops once it is
        // named (never while it is still forming), and the answer is a conflict.
        let asked = try lab.lab.exec(lab.observer, [HAExplainBinary.path, "ip", "192.168.3.200", "--json", "--no-dns", "--listen", "20s"])
        #expect(asked.status == 3, "\(asked.stdout) \(asked.stderr)")
        #expect(asked.stdout.contains("split brain") && asked.stdout.contains("the answer could no longer change"), "\(asked.stdout)")
        // Longer than the master-down interval (3 x 1 s + skew) of both adverts.
        usleep(4_500_000)
        lab.stopCapture(capture)
        let census = try census(capture.file)
        for vrid in [200, 201] {
            #expect(census.verdicts(vrid).contains("split_brain"), "VRID \(vrid): \(census.verdicts(vrid))")
            #expect(census.senders(vrid).count == 2)
        }
        // Both claim it; by VRRP's rules the higher priority would win once they hear each other.
        #expect(census.master(200)?.address == "192.168.3.4")
        #expect(census.master(201)?.address == "192.168.3.5")
        try expectTsharkParity(capture.file)
    }

    static func misconfiguredNode(_ me: String, peer: String, priority: Int, collisionVIP: String, interval: Int,
                                  password: String) -> String {
        """
        vrrp_instance collision {
          interface eth2
          state BACKUP
          virtual_router_id 51
          priority 100
          virtual_ipaddress {
            \(collisionVIP)
          }
        }
        vrrp_instance interval {
          interface eth2
          virtual_router_id 52
          priority \(priority)
          advert_int \(interval)
          virtual_ipaddress {
            192.168.3.152
          }
        }
        vrrp_instance auth {
          interface eth2
          virtual_router_id 53
          priority \(priority)
          authentication {
            auth_type PASS
            auth_pass \(password)
          }
          virtual_ipaddress {
            192.168.3.153
          }
        }
        vrrp_instance ah {
          interface eth2
          virtual_router_id 54
          priority \(priority)
          authentication {
            auth_type AH
            auth_pass ahsecret
          }
          virtual_ipaddress {
            192.168.3.154
          }
        }
        vrrp_instance v3 {
          interface eth2
          version 3
          virtual_router_id 60
          priority \(priority)
          virtual_ipaddress {
            192.168.3.160
          }
        }
        vrrp_instance v6 {
          interface eth2
          virtual_router_id 61
          priority \(priority)
          virtual_ipaddress {
            fd00::61/64
          }
        }
        vrrp_instance unicast {
          interface eth2
          virtual_router_id 62
          priority \(priority)
          unicast_src_ip \(me)
          unicast_peer {
            \(peer)
          }
          virtual_ipaddress {
            192.168.3.162
          }
        }

        """
    }

    @Test("one LAN: VRID collision, advert_int and auth mismatch, IPsec AH, VRRPv3 over IPv4 and IPv6, unicast peers")
    func misconfigurationsAndVersions() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb006", address: "192.168.3.6", mac: "02:00:00:00:00:06"),
            .init(role: "lb007", address: "192.168.3.7", mac: "02:00:00:00:00:07"),
        ], hub: true)
        let capture = try lab.startCapture("lan")
        try lab.startKeepalived("lb006", config: Self.misconfiguredNode("192.168.3.6", peer: "192.168.3.7", priority: 100,
                                                                        collisionVIP: "192.168.3.151", interval: 1, password: "alpha1"))
        try lab.startKeepalived("lb007", config: Self.misconfiguredNode("192.168.3.7", peer: "192.168.3.6", priority: 90,
                                                                        collisionVIP: "192.168.3.251", interval: 2, password: "bravo2"))
        // VRID 52's mismatch needs both nodes sending: lb007 (advert_int 2) becomes master
        // only after its master-down interval (about 7 s), later still on a loaded machine.
        #expect(poll(timeout: 30) {
            lab.holds("lb006", "192.168.3.160") && lab.holds("lb006", "fd00::61") && lab.holds("lb006", "192.168.3.162") && lab.holds("lb006", "192.168.3.154")
                && lab.holds("lb007", "192.168.3.153") && lab.holds("lb006", "192.168.3.152") && lab.holds("lb007", "192.168.3.152")
        }, "\(lab.log("lb006"))\n\(lab.log("lb007"))")
        usleep(2_500_000)
        lab.stopCapture(capture)
        let census = try census(capture.file)
        #expect(census.verdicts(51).contains("vrid_collision"), "\(census.verdicts(51))")
        #expect(census.verdicts(52).contains("advert_int_mismatch"), "\(census.verdicts(52))")
        #expect(Set(census.senders(52).compactMap { $0["advert_int"] as? Int }) == [1, 2])
        #expect(census.verdicts(53).contains("auth_mismatch"), "\(census.verdicts(53))")
        #expect(census.sender(53, "192.168.3.6")?["auth_fingerprint"] as? String == Secret("alpha1").fingerprint)
        #expect(census.sender(53, "192.168.3.7")?["auth_fingerprint"] as? String == Secret("bravo2").fingerprint)
        #expect(census.sender(53, "192.168.3.6")?["auth_type"] as? String == "simple")
        let text = try Shell.check([HAExplainBinary.path, "vrrp", "--read", capture.file.path])
        let jsonText = try Shell.check([HAExplainBinary.path, "vrrp", "--read", capture.file.path, "--json"])
        for output in [text, jsonText] {
            #expect(!output.contains("alpha1") && !output.contains("bravo2"), "a PASS password was printed")
        }

        #expect(census.sender(54, "192.168.3.6")?["auth_type"] as? String == "ah")
        #expect(census.master(54)?.address == "192.168.3.6" && !census.verdicts(54).contains("auth_mismatch"), "\(census.verdicts(54))")

        #expect(census.router(60)?["version"] as? Int == 3)
        #expect(census.master(60)?.address == "192.168.3.6" && census.master(60)?.priority == 100)
        #expect(census.sender(60, "192.168.3.6")?["advert_int"] as? Int == 1)
        #expect(census.router(61, family: "inet6")?["version"] as? Int == 3)
        #expect(census.master(61, family: "inet6")?.address == "fe80::ff:fe00:6")
        #expect(census.sender(61, "fe80::ff:fe00:6", family: "inet6")?["virtual_addresses"] as? [String] == ["fd00::61"])
        #expect(census.master(62)?.address == "192.168.3.6")
        for vrid in [60, 62] { #expect(!census.verdicts(vrid).contains("bad_checksum")) }
        #expect(!census.verdicts(61, family: "inet6").contains("bad_checksum"))
        try expectTsharkParity(capture.file)
    }

    @Test("an IPv6 VIP end to end: the application server's ip names the VRRPv3 master by link-local address and MAC, before and after failover")
    func ipv6VIPFromTheApplicationServer() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb016", address: "192.168.3.16", mac: "02:00:00:00:00:16"),
            .init(role: "lb017", address: "192.168.3.17", mac: "02:00:00:00:00:17"),
        ])
        func config(_ priority: Int) -> String {
            """
            vrrp_instance v6 {
              interface eth2
              virtual_router_id 66
              priority \(priority)
              advert_int 1
              virtual_ipaddress {
                fd00::66/64
              }
            }

            """
        }
        let first = try lab.startKeepalived("lb016", config: config(100))
        try lab.startKeepalived("lb017", config: config(90))
        #expect(poll(timeout: 15) { lab.holds("lb016", "fd00::66") }, "\(lab.log("lb016"))")
        _ = try lab.lab.ip(lab.observer, "addr", "add", "fd00::10/64", "dev", "eth2", "nodad")

        // The application server talks to the VIP (a neighbour entry), then asks who owns it.
        func ask() throws -> (report: [String: Any], answer: [String: Any]) {
            _ = try lab.lab.exec(lab.observer, ["ping", "-6", "-c", "1", "-W", "2", "fd00::66"])
            let result = try lab.lab.exec(lab.observer, [HAExplainBinary.path, "ip", "fd00::66", "--json", "--no-dns", "--listen", "5s"])
            #expect(result.status == 0, "\(result.stderr)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return (report, try #require((report["answers"] as? [[String: Any]])?.first))
        }
        let (report, before) = try ask()
        let verdict = before["verdict"] as? [String: Any] ?? [:]
        #expect(verdict["owner"] as? String == "peer", "\(before)")
        #expect(verdict["owner_address"] as? String == "fe80::ff:fe00:16", "\(verdict)")
        #expect(verdict["owner_mac"] as? String == "02:00:00:00:00:16", "\(verdict)")
        #expect(verdict["vrid"] as? Int == 66)
        // The application server shares /proc with the balancers' keepalived, but not their
        // network namespaces: their configurations are not this host's, and it says so.
        #expect(before["this_host"] == nil, "\(before)")
        #expect(!(before["warnings"] as? [String] ?? []).contains { $0.contains("vip-in-interface-subnet") }, "\(before)")
        // This host's own limit: its source, and no host name.
        #expect((report["limits"] as? [[String: Any]] ?? []).contains {
            ($0["source"] as? [String: Any])?["detail"] as? String == "keepalived" && $0["host"] == nil && ($0["message"] as? String)?.contains("keepalived runs only in other network namespaces") == true
        }, "\(report)")
        // A snapshot of the application server chooses the same way.
        let snapshot = try lab.lab.exec(lab.observer, [HAExplainBinary.path, "snapshot"])
        #expect(snapshot.status == 0, "\(snapshot.stderr)")
        let taken = try #require(try JSONSerialization.jsonObject(with: Data(snapshot.stdout.utf8)) as? [String: Any])
        #expect(taken["keepalived"] == nil, "\(taken["keepalived"] ?? "")")
        #expect((taken["limits"] as? [[String: Any]] ?? []).contains {
            ($0["message"] as? String)?.contains("keepalived runs only in other network namespaces") == true
        }, "\(taken["limits"] ?? "")")

        // keepalived stopped on the master: it resigns (priority 0) and lb017 takes the VIP,
        // announcing it with unsolicited neighbour advertisements.
        lab.lab.stop(first)
        #expect(poll(timeout: 15) { lab.holds("lb017", "fd00::66") }, "\(lab.log("lb017"))")
        let after = try ask().answer
        let moved = after["verdict"] as? [String: Any] ?? [:]
        #expect(moved["owner"] as? String == "peer", "\(after)")
        #expect(moved["owner_address"] as? String == "fe80::ff:fe00:17", "\(moved)")
        #expect(moved["owner_mac"] as? String == "02:00:00:00:00:17", "\(moved)")
    }
}
