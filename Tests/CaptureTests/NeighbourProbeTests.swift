import Capture
import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// The link layer on the wire: the capture filter lets ARP and neighbour discovery through
/// beside VRRP, and `--probe`'s frames are what `arping -D` and DAD send, answered by the
/// holder as `arping -D` and `ndisc6` see it.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct NeighbourProbeTests {
    /// A reply heard: the sender's MAC and the address it claims.
    struct Claim: Equatable, CustomStringConvertible {
        var kind: String
        var mac: String
        var address: String
        var description: String { "\(kind) \(address) at \(mac)" }
    }

    /// ARP replies and neighbour advertisements in Linux cooked v2 frames, read by offset
    /// (SLL2 header 20 bytes); enough for a test, the product's decoder is LinkClaimDecoder.
    static func claims(_ frames: [[UInt8]]) -> [Claim] {
        frames.compactMap { frame -> Claim? in
            guard frame.count > 20 else { return nil }
            let protocolType = UInt16(frame[0]) << 8 | UInt16(frame[1])
            let body = Array(frame[20...])
            func mac(_ bytes: ArraySlice<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined(separator: ":") }
            if protocolType == 0x0806, body.count >= 28, body[7] == 2 {
                return Claim(kind: "arp reply", mac: mac(body[8..<14]), address: IPAddress(bytes: Array(body[14..<18]))!.description)
            }
            if protocolType == 0x86dd, body.count >= 64, body[6] == 58, body[40] == 136, body.count >= 72, body[64] == 2 {
                return Claim(kind: "neighbour advertisement", mac: mac(body[66..<72]), address: IPAddress(bytes: Array(body[48..<64]))!.description)
            }
            return nil
        }
    }

    @Test("--probe's ARP request and DAD solicitation are answered by the holder, as arping -D and ndisc6 see it; one frame per address, no more")
    func probeIsAnsweredByTheHolder() throws {
        let lab = try VRRPLab(nodes: [.init(role: "holder", address: "192.168.3.31", mac: "02:00:00:00:00:31")])
        let holder = lab.nodes["holder"]!.namespace
        try lab.lab.ip(holder, "addr", "add", "192.168.3.200/24", "dev", "eth2")
        try lab.lab.ip(holder, "addr", "add", "fd00::200/64", "dev", "eth2", "nodad")
        try lab.lab.ip(lab.observer, "addr", "add", "fd00::10/64", "dev", "eth2", "nodad")
        // What the holder receives, to see the probes as tshark decodes them.
        let received = lab.directory.appendingPathComponent("holder.pcap")
        let tcpdump = try lab.lab.spawn(holder, ["tcpdump", "-i", "eth2", "-U", "-nn", "-w", received.path,
                                                 "arp or (icmp6 and ip6[40] == 135)"],
                                        ownPIDNamespace: false, output: lab.directory.appendingPathComponent("tcpdump.log"))
        #expect(poll(timeout: 5) {
            ((try? String(contentsOf: lab.directory.appendingPathComponent("tcpdump.log"), encoding: .utf8)) ?? "").contains("listening")
        })

        let capture = try PacketCapture.open(interface: nil, netns: lab.observer)
        let asked = ["192.168.3.200", "fd00::200", "192.168.3.222", "10.9.9.9"].map { IPAddress($0)! }
        capture.listenForSolicitations(of: asked)
        // The solicited-node group of fd00::200 is asked for on the capture's socket (a NIC
        // that filters multicast would otherwise drop solicitations for it), and only that one.
        let groups = try lab.lab.ip(lab.observer, "maddr", "show", "dev", "eth2")
        #expect(groups.contains("link  33:33:ff:00:02:00") && groups.contains("link  01:00:5e:00:00:12"), "\(groups)")
        let outcome = try capture.probe(asked)
        usleep(300_000)
        lab.lab.stop(tcpdump)
        // Ordinary traffic: the echoes stay out of the capture, the address resolution does not.
        #expect(try lab.lab.exec(lab.observer, ["ping", "-c", "1", "-W", "2", "192.168.3.31"]).succeeded)
        #expect(try lab.lab.exec(lab.observer, ["ping", "-6", "-c", "1", "-W", "2", "fd00::200"]).succeeded)
        var frames: [[UInt8]] = []
        _ = try capture.run(seconds: 1.5) { frame, _, _ in frames.append(Array(frame)) }
        let echoes = frames.filter { frame in
            frame.count > 60 && ((frame[1] == 0x00 && frame[0] == 0x08 && frame[29] == 1) || (frame[0] == 0x86 && frame[1] == 0xdd && frame[26] == 58 && [128, 129].contains(frame[60])))
        }
        #expect(echoes.isEmpty, "\(echoes.count) ICMP echo frames passed the filter")
        #expect(Self.claims(frames).contains { $0.kind == "arp reply" && $0.address == "192.168.3.31" }, "the ping's own ARP reply, to this host, is heard")
        lab.lab.stop(tcpdump)

        // One frame per address on the observer's only Ethernet interface: on the subnet by
        // its route, 10.9.9.9 (no route) on every up Ethernet interface, which is eth2 alone.
        #expect(outcome.sent.map { "\($0.address) \($0.interface) \($0.reason) \($0.error ?? "sent")" } == [
            "192.168.3.200 eth2 route sent", "fd00::200 eth2 route sent", "192.168.3.222 eth2 route sent",
            "10.9.9.9 eth2 everyInterface sent",
        ], "\(outcome)")
        #expect(outcome.sent.allSatisfy { $0.mac == "02:00:00:00:00:10" })
        let heard = Self.claims(frames)
        #expect(heard.contains(Claim(kind: "arp reply", mac: "02:00:00:00:00:31", address: "192.168.3.200")), "\(heard)")
        #expect(heard.contains(Claim(kind: "neighbour advertisement", mac: "02:00:00:00:00:31", address: "fd00::200")), "\(heard)")
        #expect(!heard.contains { $0.address == "192.168.3.222" || $0.address == "10.9.9.9" }, "\(heard)")

        // The holder got exactly the four probes from the observer, each a DAD probe to tshark
        // (arp.isprobe; an NS from :: with hop limit 255 and a good checksum).
        let fields = try Shell.check(["tshark", "-r", received.path, "-Y", "eth.src == 02:00:00:00:00:10", "-T", "fields", "-E", "separator=|",
                                      "-e", "arp.isprobe", "-e", "arp.src.proto_ipv4", "-e", "arp.dst.proto_ipv4",
                                      "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.hlim", "-e", "icmpv6.nd.ns.target_address",
                                      "-e", "icmpv6.checksum.status", "-e", "eth.dst"])
        let lines = fields.split(separator: "\n").map(String.init)
        #expect(lines.sorted() == [
            "1|0.0.0.0|10.9.9.9||||||ff:ff:ff:ff:ff:ff",
            "1|0.0.0.0|192.168.3.200||||||ff:ff:ff:ff:ff:ff",
            "1|0.0.0.0|192.168.3.222||||||ff:ff:ff:ff:ff:ff",
            "|||::|ff02::1:ff00:200|255|fd00::200|1|33:33:ff:00:02:00",
        ].sorted(), "\(fields)")

        // A capture on one interface probes out of that one only: loopback is no Ethernet port.
        let onLoopback = try NeighbourProbe.send([IPAddress("192.168.3.200")!], netns: lab.observer, interface: "lo")
        #expect(onLoopback.sent.isEmpty && onLoopback.notes == ["192.168.3.200 was not probed: no interface lo here is up, Ethernet and answers ARP"],
                "\(onLoopback)")

        // The reference tools name the same holder.
        let arping = try lab.lab.exec(lab.observer, ["arping", "-D", "-c", "1", "-w", "2", "-I", "eth2", "192.168.3.200"])
        #expect(arping.status == 1 && arping.stdout.contains("[02:00:00:00:00:31]"), "\(arping.stdout)")
        let ndisc = try lab.lab.exec(lab.observer, ["ndisc6", "-1", "-n", "fd00::200", "eth2"])
        #expect(ndisc.stdout.uppercased().contains("02:00:00:00:00:31"), "\(ndisc.stdout)")
    }

    @Test("where probes go: the interfaces holding the address, else the routed one, else every port")
    func probePlan() {
        let mac = MACAddress("02:00:00:00:00:01")!
        let ports = [
            NeighbourProbe.Port(index: 2, name: "eth0", mac: mac, holds: [IPAddress("10.0.0.5")!]),
            NeighbourProbe.Port(index: 3, name: "br0", mac: mac, holds: [IPAddress("192.168.3.5")!, IPAddress("192.168.3.200")!]),
        ]
        let routed: (IPAddress) -> Int? = { $0.isInside(IPAddress("192.168.3.0")!, prefixLength: 24) ? 3 : nil }
        let plan = NeighbourProbe.plan(["192.168.3.200", "192.168.3.7", "172.16.0.1"].map { IPAddress($0)! }, ports: ports, routedPort: routed)
        #expect(plan.map { "\($0.0) \($0.1.name) \($0.2)" } == [
            "192.168.3.200 br0 holds", "192.168.3.7 br0 route", "172.16.0.1 eth0 everyInterface", "172.16.0.1 br0 everyInterface",
        ])
    }
}
