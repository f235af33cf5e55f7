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
        try expectTsharkParity(capture.file)
        try expectTsharkCARPParity(capture.file)
    }
}
