import Foundation
import LabSupport
import Testing

/// The read-only rule on the wire: from an application server whose kernel is kept quiet,
/// a balancer's tcpdump sees no frame at all from it while `addr`, `neigh`, `vrrp`, `ip` and
/// `snapshot --listen` run, and exactly the probes when `--probe` is given.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct ProbeOnlySendsTests {
    static let observerMAC = "02:00:00:00:00:10"

    @Test("nothing but --probe sends: no frame leaves the application server for any other command; ip --probe sends one ARP probe, vrrp --probe one per VIP heard")
    func onlyProbeSends() throws {
        let lab = try VRRPLab(nodes: [.init(role: "lb041", address: "192.168.3.41", mac: "02:00:00:00:00:41")])
        try lab.startKeepalived("lb041", config: """
            vrrp_instance v4 {
              interface eth2
              virtual_router_id 41
              priority 100
              advert_int 1
              virtual_ipaddress {
                192.168.3.141/24
                192.168.3.142/24
              }
            }

            """)
        #expect(poll(timeout: 15) { lab.holds("lb041", "192.168.3.142") }, "\(lab.log("lb041"))")
        // No IPv6 and no router solicitations: the kernel of the observer says nothing by itself.
        _ = try lab.lab.exec(lab.observer, ["sysctl", "-qw", "net.ipv6.conf.eth2.disable_ipv6=1"])
        let balancer = lab.nodes["lb041"]!.namespace
        let log = lab.directory.appendingPathComponent("heard.log")
        let file = lab.directory.appendingPathComponent("heard.pcap")
        let tcpdump = try lab.lab.spawn(balancer, ["tcpdump", "-i", "eth2", "-U", "-nn", "-w", file.path, "ether src \(Self.observerMAC)"],
                                        ownPIDNamespace: false, output: log)
        #expect(poll(timeout: 5) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("listening") })
        func frames() throws -> [String] {
            usleep(300_000)
            return try Shell.check(["tshark", "-r", file.path, "-T", "fields", "-E", "separator=|",
                                    "-e", "frame.protocols", "-e", "arp.isprobe", "-e", "arp.dst.proto_ipv4"])
                .split(separator: "\n").map(String.init)
        }
        let netns = ["--netns", lab.observer]
        let quiet: [[String]] = [
            ["addr"], ["neigh", "--json"], ["vrrp", "--listen", "1.5"], ["vrrp", "--listen", "1.5", "--json"],
            ["ip", "192.168.3.141", "--no-dns", "--listen", "1.5"], ["ip", "192.168.3.141", "--no-dns", "--listen", "1.5", "--json"],
            ["snapshot", "--listen", "1"],
        ]
        for arguments in quiet {
            let result = try Shell.run([HAExplainBinary.path] + arguments + netns)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        #expect(try frames().isEmpty, "frames sent without --probe")

        let asked = try HAExplainBinary.json(["ip", "192.168.3.141", "--no-dns", "--listen", "1.5", "--probe", "--json"] + netns)
        let ip = try #require(asked.json, "\(asked.stderr)")
        let probes = ip["probes"] as? [[String: Any]] ?? []
        #expect(probes.map { "\($0["address"] ?? "") \($0["kind"] ?? "") \($0["interface"] ?? "") \($0["mac"] ?? "") \($0["reason"] ?? "")" }
                == ["192.168.3.141 arp_request eth2 \(Self.observerMAC) route"], "\(ip)")
        #expect(try frames() == ["eth:ethertype:arp|1|192.168.3.141"])

        let vrrp = try Shell.run([HAExplainBinary.path, "vrrp", "--listen", "2.5", "--probe"] + netns)
        #expect(vrrp.status == 0, "\(vrrp.stderr)")
        #expect(vrrp.stdout.contains("probed    ARP request for 192.168.3.141 on eth2 from \(Self.observerMAC)"), "\(vrrp.stdout)")
        #expect(vrrp.stdout.contains("probed    ARP request for 192.168.3.142 on eth2"), "\(vrrp.stdout)")
        lab.lab.stop(tcpdump)
        #expect(try frames() == ["eth:ethertype:arp|1|192.168.3.141", "eth:ethertype:arp|1|192.168.3.141", "eth:ethertype:arp|1|192.168.3.142"])

        // --probe needs the listening that hears the replies, and a live capture.
        #expect(try Shell.run([HAExplainBinary.path, "ip", "192.168.3.141", "--no-listen", "--probe"]).status == 64)
        #expect(try Shell.run([HAExplainBinary.path, "vrrp", "--read", file.path, "--probe"]).status == 64)
    }
}
