import Foundation
import HAModel
import LabSupport
import Testing

/// Other redundancy daemons on the segment, as they really run: ucarp's CARP beside
/// keepalived's VRRP, captured by tcpdump from the observer and read with `vrrp --read`.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct InteropWireTests {
    static let keepalived = """
        vrrp_instance vip200 {
          interface eth2
          state MASTER
          virtual_router_id 200
          priority 100
          virtual_ipaddress {
            192.168.3.200
          }
        }

        """

    @Test("ucarp beside keepalived: CARP vhid 200 named as CARP (master by advskew), VRRP VRID 200 untouched; fields as tshark decodes them",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ucarp"), "needs ucarp (apt-get install ucarp)"))
    func ucarpBesideKeepalived() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb000", address: "192.168.3.4", mac: "bc:76:4e:05:6c:1c"),
            .init(role: "carp1", address: "192.168.3.7", mac: "02:00:00:00:00:07"),
            .init(role: "carp2", address: "192.168.3.8", mac: "02:00:00:00:00:08"),
        ])
        let capture = try lab.startCapture("carp")
        try lab.startKeepalived("lb000", config: Self.keepalived)
        for (role, skew) in [("carp1", 10), ("carp2", 50)] {
            let node = try #require(lab.nodes[role])
            try lab.lab.spawn(node.namespace, ["ucarp", "--interface=eth2", "--srcip=\(node.address)", "--vhid=200", "--pass=s3cret",
                                               "--addr=192.168.3.150", "--advbase=1", "--advskew=\(skew)", "--upscript=/bin/true",
                                               "--downscript=/bin/true"],
                              output: lab.directory.appendingPathComponent("\(role).log"))
        }
        #expect(poll(timeout: 15) { lab.holds("lb000", "192.168.3.200") })
        // ucarp waits three advbase intervals (plus skew) before it first advertises as master.
        usleep(7_000_000)
        lab.stopCapture(capture)
        let result = try HAExplainBinary.json(["vrrp", "--read", capture.file.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let census = CensusJSON(root: try #require(result.json))
        #expect(census.master(200)?.address == "192.168.3.4", "\(census.routers)")
        #expect(census.senders(200).count == 1, "CARP senders must not appear as VRRP senders: \(census.senders(200))")
        #expect((census.root["capture"] as? [String: Any])?["malformed"] as? Int == 0)
        let hosts = census.root["carp_hosts"] as? [[String: Any]] ?? []
        let host = try #require(hosts.first { $0["vhid"] as? Int == 200 }, "\(hosts) \(lab.log("carp1"))")
        let master = try #require(host["master"] as? [String: Any])
        #expect(master["address"] as? String == "192.168.3.7" && master["advskew"] as? Int == 10 && master["advbase"] as? Int == 1)
        let codes = (host["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes.contains("carp") && codes.contains("carp_and_vrrp") && !codes.contains("split_brain"), "\(codes)")
        let text = try Shell.run([HAExplainBinary.path, "vrrp", "--read", capture.file.path]).stdout
        #expect(text.contains("CARP vhid 200") && text.contains("VRID 200"), "\(text)")
        // Asked from the application server: CARP beside changes nothing for the VRRP address,
        // and CARP's own address (its adverts list none) is unknown with CARP named as the lead.
        let vrrp = try StormLabTests.ask(lab, "192.168.3.200")
        #expect(vrrp.status == 0 && vrrp.answer["owner"] as? String == "peer" && vrrp.answer["owner_address"] as? String == "192.168.3.4", "\(vrrp.answer)")
        let carp = try StormLabTests.ask(lab, "192.168.3.150", ["--listen", "3"])
        #expect(carp.status == 4 && (carp.answer["reason"] as? String ?? "").contains("CARP was heard (vhid 200 (master 192.168.3.7))"), "\(carp.answer)")
        try expectTsharkParity(capture.file)
        try expectTsharkCARPParity(capture.file)
    }

    /// FRR's vrrpd (zebra beside it) in the node's own mount namespace: its state and config
    /// in a tmpfs over a lab directory, run as FRR's user, the macvlan with the virtual MAC
    /// that vrrpd requires. Debian 12's FRR 8.4.4 has no `checksum-with-ipv4-pseudoheader`
    /// switch (later FRR does), so it always sends RFC 5798's checksum.
    static func frrScript(state: String, vrid: Int, priority: Int, vip: String) -> String {
        """
        set -e
        mount -t tmpfs frr \(state)
        mkdir -p \(state)/run
        printf 'interface eth2\\n vrrp \(vrid) version 3\\n vrrp \(vrid) priority \(priority)\\n vrrp \(vrid) advertisement-interval 1000\\n vrrp \(vrid) ip \(vip)\\n' > \(state)/vrrpd.conf
        : > \(state)/zebra.conf
        chown -R frr:frr \(state)
        common="-u frr -g frr -z \(state)/run/zserv.api --vty_socket \(state)/run"
        /usr/lib/frr/zebra -d $common -i \(state)/run/zebra.pid -f \(state)/zebra.conf --log file:\(state)/zebra.log
        sleep 1
        exec /usr/lib/frr/vrrpd $common -i \(state)/run/vrrpd.pid -f \(state)/vrrpd.conf --log stdout
        """
    }

    @Test("FRR's vrrpd (VRRPv3, priority 150) beside keepalived (VRRPv3, priority 100) on one VRID: FRR is master, no split brain; fields as tshark decodes them",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/lib/frr/vrrpd"), "needs FRR (apt-get install frr)"))
    func frrBesideKeepalived() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb000", address: "192.168.3.4", mac: "bc:76:4e:05:6c:1c"),
            .init(role: "frr1", address: "192.168.3.50", mac: "02:00:00:00:00:50"),
        ])
        let frr = try #require(lab.nodes["frr1"])
        try lab.lab.ip(frr.namespace, "link", "add", "vrrp4-2-5", "link", "eth2", "type", "macvlan", "mode", "bridge")
        try lab.lab.ip(frr.namespace, "link", "set", "vrrp4-2-5", "address", "00:00:5e:00:01:05")
        try lab.lab.ip(frr.namespace, "addr", "add", "192.168.3.55/24", "dev", "vrrp4-2-5")
        try lab.lab.ip(frr.namespace, "link", "set", "vrrp4-2-5", "up")
        let state = lab.directory.appendingPathComponent("frr-state").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        let capture = try lab.startCapture("frr")
        try lab.startKeepalived("lb000", config: """
            vrrp_instance vip55 {
              interface eth2
              state BACKUP
              version 3
              virtual_router_id 5
              priority 100
              virtual_ipaddress {
                192.168.3.55
              }
            }

            """)
        try lab.lab.spawn(frr.namespace, ["sh", "-c", Self.frrScript(state: state, vrid: 5, priority: 150, vip: "192.168.3.55")],
                          output: lab.directory.appendingPathComponent("frr1.log"))
        // Both wait a master-down interval (about 3.4 s for 150, 3.6 s for 100) before advertising.
        usleep(8_000_000)
        lab.stopCapture(capture)
        let result = try HAExplainBinary.json(["vrrp", "--read", capture.file.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let census = CensusJSON(root: try #require(result.json))
        #expect(census.master(5)?.address == "192.168.3.50" && census.master(5)?.priority == 150,
                "\(census.routers) frr: \(lab.log("frr1")) keepalived: \(lab.log("lb000"))")
        #expect((census.router(5)?["version"] as? Int) == 3)
        #expect(!census.verdicts(5).contains("split_brain") && !census.verdicts(5).contains("bad_checksum"), "\(census.verdicts(5))")
        #expect(!lab.holds("lb000", "192.168.3.55"), "keepalived must be backup to FRR's higher priority")
        let asked = try StormLabTests.ask(lab, "192.168.3.55")
        #expect(asked.status == 0 && asked.answer["owner"] as? String == "peer" && asked.answer["owner_address"] as? String == "192.168.3.50"
                && asked.answer["priority"] as? Int == 150, "\(asked.answer) \(asked.listened)")
        try expectTsharkParity(capture.file)
    }
}
