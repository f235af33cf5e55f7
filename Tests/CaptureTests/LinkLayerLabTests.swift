import Capture
import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// Who answers ARP and NDP for the VIP, heard from the application server of a keepalived
/// LAN: a failover's gratuitous ARP and unsolicited NA, a rogue host holding the VIP (heard
/// passively and by --probe), a node answering by proxy ARP. Each scenario is also recorded
/// by tcpdump with haexplain's own capture filter, and the decoder is held against tshark.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct LinkLayerLabTests {
    static func vip(_ vrid: Int, _ address: String, priority: Int) -> String {
        """
        vrrp_instance vip {
          interface eth2
          virtual_router_id \(vrid)
          priority \(priority)
          advert_int 1
          virtual_ipaddress {
            \(address)
          }
        }

        """
    }

    /// Runs haexplain in the background (its output in a file), for things to happen while it listens.
    final class Background {
        let process: Daemon
        let output: URL
        init(_ lab: VRRPLab, _ name: String, _ arguments: [String]) throws {
            output = lab.directory.appendingPathComponent("\(name).json")
            process = try Daemon([HAExplainBinary.path] + arguments, output: output.path)
        }

        /// The JSON it printed once it ended (at most `timeout` seconds).
        func json(timeout: Double = 30) throws -> [String: Any] {
            #expect(poll(timeout: timeout) { !process.isRunning })
            let text = try String(contentsOf: output, encoding: .utf8)
            return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
        }
    }

    /// Records what the observer receives with the filter haexplain compiles.
    static func record(_ lab: VRRPLab, _ name: String) throws -> (process: Daemon, file: URL) {
        let file = lab.directory.appendingPathComponent("\(name).pcap")
        let log = lab.directory.appendingPathComponent("\(name).tcpdump.log")
        let process = try lab.lab.spawn(lab.observer, ["tcpdump", "-i", "any", "-U", "-nn", "-w", file.path, PacketCapture.filter],
                                        ownPIDNamespace: false, output: log)
        #expect(poll(timeout: 5) { ((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("listening") })
        return (process, file)
    }

    /// The link-layer entry of `address` in a census or ip report.
    static func entry(_ report: [String: Any], _ address: String) -> [String: Any]? {
        let linkLayer = report["link_layer"] as? [String: Any]
        return (linkLayer?["addresses"] as? [[String: Any]])?.first { $0["address"] as? String == address }
    }

    static func verdicts(_ entry: [String: Any]?) -> [String] {
        (entry?["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    static func claimants(_ entry: [String: Any]?) -> Set<String> {
        Set((entry?["claimants"] as? [[String: Any]] ?? []).compactMap { $0["mac"] as? String })
    }

    /// Every ARP and NDP packet of `file`, decoded by LinkClaimDecoder and by tshark: the
    /// address each is about and the MAC it claims for it must agree packet by packet.
    static func expectDecoderParity(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var ours: [Int: String] = [:]
        let capture = try PacketCapture.open(file: file.path)
        var number = 0
        _ = try capture.run(seconds: 0) { frame, time, link in
            number += 1
            if let claim = try? LinkClaimDecoder.decode(frame: frame, linkType: link.linkType, packet: number, time: time) {
                ours[number] = "\(claim.address) \(claim.mac.map(\.description) ?? "-")"
            }
        }
        let json = try Shell.check(["tshark", "-r", file.path, "-T", "json", "-Y", "arp or icmpv6.type == 135 or icmpv6.type == 136",
                                    "-e", "frame.number", "-e", "arp.opcode", "-e", "arp.src.hw_mac", "-e", "arp.src.proto_ipv4",
                                    "-e", "arp.dst.proto_ipv4", "-e", "icmpv6.type", "-e", "icmpv6.nd.ns.target_address",
                                    "-e", "icmpv6.nd.na.target_address", "-e", "icmpv6.opt.type", "-e", "icmpv6.opt.linkaddr",
                                    "-e", "sll.src.eth"], timeout: 120)
        let packets = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        var theirs: [Int: String] = [:]
        for packet in packets {
            let layers = ((packet["_source"] as? [String: Any])?["layers"] as? [String: [String]]) ?? [:]
            func field(_ name: String) -> String? { layers[name]?.first }
            guard let frame = field("frame.number").flatMap(Int.init) else { continue }
            if let opcode = field("arp.opcode"), let sender = field("arp.src.proto_ipv4"), let target = field("arp.dst.proto_ipv4") {
                let claims = opcode == "2" || (sender == target && sender != "0.0.0.0")
                theirs[frame] = claims ? "\(sender) \(field("arp.src.hw_mac") ?? "-")" : "\(target) -"
            } else if field("icmpv6.type") == "135", let target = field("icmpv6.nd.ns.target_address") {
                theirs[frame] = "\(target) -"
            } else if field("icmpv6.type") == "136", let target = field("icmpv6.nd.na.target_address") {
                // The target link-layer address option (type 2), else the frame's source.
                let options = zip(layers["icmpv6.opt.type"] ?? [], layers["icmpv6.opt.linkaddr"] ?? [])
                let mac = options.first { $0.0 == "2" }?.1 ?? field("sll.src.eth") ?? "-"
                theirs[frame] = "\(target) \(mac)"
            }
        }
        #expect(!theirs.isEmpty, "no ARP/NDP packet in \(file.lastPathComponent)", sourceLocation: sourceLocation)
        #expect(ours == theirs, "LinkClaimDecoder and tshark differ on \(file.lastPathComponent)", sourceLocation: sourceLocation)
    }

    @Test("a failover's gratuitous ARP (IPv4) and unsolicited NA (IPv6) from the new master are heard from the application server and named garp_after_failover",
          arguments: [("192.168.3.200", 51), ("fd00::66", 66)])
    func failoverAnnouncementIsHeard(vip: String, vrid: Int) throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb\(vrid)a", address: "192.168.3.\(vrid)", mac: "02:00:00:00:00:\(vrid)"),
            .init(role: "lb\(vrid)b", address: "192.168.3.\(vrid + 1)", mac: "02:00:00:00:00:\(vrid + 1)"),
        ])
        let first = try lab.startKeepalived("lb\(vrid)a", config: Self.vip(vrid, vip, priority: 100))
        try lab.startKeepalived("lb\(vrid)b", config: Self.vip(vrid, vip, priority: 90))
        #expect(poll(timeout: 15) { lab.holds("lb\(vrid)a", vip) }, "\(lab.log("lb\(vrid)a"))")
        let recording = try Self.record(lab, "failover\(vrid)")
        let listening = try Background(lab, "vrrp\(vrid)", ["vrrp", "--listen", "9", "--json", "--netns", lab.observer])
        usleep(2_500_000)
        // keepalived stopped on the master resigns (priority 0); the backup takes the VIP and announces it.
        lab.lab.stop(first)
        #expect(poll(timeout: 10) { lab.holds("lb\(vrid)b", vip) }, "\(lab.log("lb\(vrid)b"))")
        let census = try listening.json()
        lab.stopCapture(recording)

        let entry = Self.entry(census, vip)
        #expect(Self.verdicts(entry).contains("garp_after_failover"), "\(entry ?? census)")
        #expect(Self.claimants(entry).contains("02:00:00:00:00:\(vrid + 1)"), "\(entry ?? [:])")
        #expect(!Self.verdicts(entry).contains("duplicate_address") && !Self.verdicts(entry).contains("no_garp_after_failover"), "\(entry ?? [:])")
        // The same census from the recording, through the file path.
        let read = try Shell.run([HAExplainBinary.path, "vrrp", "--read", recording.file.path, "--json"])
        let fromFile = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any])
        #expect(Self.verdicts(Self.entry(fromFile, vip)).contains("garp_after_failover"), "\(read.stdout)")
        try Self.expectDecoderParity(recording.file)
    }

    @Test("a rogue host on the bridge holding 192.168.3.200 is caught passively when it announces itself, and by --probe; both MACs named, also when asked on the master that holds it")
    func rogueHolderIsCaught() throws {
        let lab = try VRRPLab(nodes: [
            .init(role: "lb071", address: "192.168.3.71", mac: "02:00:00:00:00:71"),
            .init(role: "rogue", address: "192.168.3.66", mac: "02:00:00:00:00:66"),
        ])
        try lab.startKeepalived("lb071", config: Self.vip(71, "192.168.3.200", priority: 100))
        #expect(poll(timeout: 15) { lab.holds("lb071", "192.168.3.200") }, "\(lab.log("lb071"))")
        let rogue = lab.nodes["rogue"]!.namespace
        let recording = try Self.record(lab, "rogue")

        // The rogue takes the address and announces it (arping -U, as a host bringing it up
        // would), while the application server talks to the VIP: both holders answer it.
        try lab.lab.ip(rogue, "addr", "add", "192.168.3.200/24", "dev", "eth2")
        try lab.lab.spawn(rogue, ["arping", "-U", "-c", "8", "-I", "eth2", "-s", "192.168.3.200", "192.168.3.200"], ownPIDNamespace: false)
        let pings = try lab.lab.spawn(lab.observer, ["sh", "-c", "for i in 1 2 3 4 5 6 7 8; do ip neigh flush dev eth2; ping -c 1 -W 1 192.168.3.200; sleep 0.3; done"], ownPIDNamespace: false)
        usleep(300_000)
        let passive = try HAExplainBinary.json(["ip", "192.168.3.200", "--no-dns", "--listen", "4", "--json", "--netns", lab.observer])
        let heard = Self.entry(try #require(passive.json, "\(passive.stderr)"), "192.168.3.200")
        #expect(Self.verdicts(heard).contains("claimed_by_non_master"), "\(heard ?? [:]) \(passive.json?["listening"] ?? "") \(passive.json?["link_layer"] ?? "")")
        #expect(Self.claimants(heard).isSuperset(of: ["02:00:00:00:00:71", "02:00:00:00:00:66"]), "\(heard ?? [:])")
        let nonMaster = (heard?["verdicts"] as? [[String: Any]] ?? []).first { $0["code"] as? String == "claimed_by_non_master" }
        #expect((nonMaster?["macs"] as? [String])?.first == "02:00:00:00:00:66", "\(nonMaster ?? [:])")

        let probed = try HAExplainBinary.json(["ip", "192.168.3.200", "--no-dns", "--listen", "3", "--probe", "--json", "--netns", lab.observer])
        let report = try #require(probed.json, "\(probed.stderr)")
        let entry = Self.entry(report, "192.168.3.200")
        #expect(Self.verdicts(entry).contains("duplicate_address"), "\(entry ?? report)")
        let duplicate = (entry?["verdicts"] as? [[String: Any]] ?? []).first { $0["code"] as? String == "duplicate_address" }
        #expect(Set(duplicate?["macs"] as? [String] ?? []) == ["02:00:00:00:00:71", "02:00:00:00:00:66"], "\(duplicate ?? [:])")
        // The owner is a conflict, both MACs named.
        let verdict = (report["answers"] as? [[String: Any]])?.first?["verdict"] as? [String: Any] ?? [:]
        #expect(verdict["owner"] as? String == "conflict", "\(verdict)")
        let reason = verdict["reason"] as? String ?? ""
        #expect(reason.contains("02:00:00:00:00:71") && reason.contains("02:00:00:00:00:66"), "\(reason)")
        #expect(probed.status == 3, "ip exits 3 on a conflict")

        // Asked on the holder once the application server's pings ended: its kernel answers no
        // probe of its own, so the rogue's answer is all the wire shows; a conflict naming both.
        #expect(poll(timeout: 15) { !pings.isRunning })
        let holder = try HAExplainBinary.json(["ip", "192.168.3.200", "--no-dns", "--listen", "3", "--probe", "--json", "--netns", lab.nodes["lb071"]!.namespace])
        let held = try #require(holder.json, "\(holder.stderr)")
        let heldVerdict = (held["answers"] as? [[String: Any]])?.first?["verdict"] as? [String: Any] ?? [:]
        #expect(holder.status == 3 && heldVerdict["owner"] as? String == "conflict", "\(heldVerdict)")
        #expect((heldVerdict["reason"] as? String ?? "").hasPrefix("192.168.3.200 is held on 02:00:00:00:00:71 (eth2 of ")
                && (heldVerdict["reason"] as? String ?? "").contains("claimed on the wire by 02:00:00:00:00:66"), "\(heldVerdict)")

        // A snapshot of the application server keeps what its wire said; ip --from answers with it.
        try lab.lab.spawn(rogue, ["arping", "-U", "-c", "4", "-I", "eth2", "-s", "192.168.3.200", "192.168.3.200"], ownPIDNamespace: false)
        let snapshot = try Shell.run([HAExplainBinary.path, "snapshot", "--listen", "3", "--netns", lab.observer])
        #expect(snapshot.status == 0, "\(snapshot.stderr)")
        let file = lab.directory.appendingPathComponent("observer.json")
        try snapshot.stdout.write(to: file, atomically: true, encoding: .utf8)
        let fromSnapshot = try HAExplainBinary.json(["ip", "192.168.3.200", "--from", file.path, "--json"])
        let recorded = Self.entry(try #require(fromSnapshot.json, "\(fromSnapshot.stderr)"), "192.168.3.200")
        #expect(Self.verdicts(recorded).contains("claimed_by_non_master"), "\(recorded ?? [:])")
        #expect(Self.claimants(recorded).contains("02:00:00:00:00:66"), "\(recorded ?? [:])")
        lab.stopCapture(recording)
        try Self.expectDecoderParity(recording.file)
    }

    @Test("a node answering by proxy ARP for an address no interface holds is answered_from_nowhere, named as that node")
    func proxyARPIsAnsweredFromNowhere() throws {
        let lab = try VRRPLab(nodes: [.init(role: "px", address: "192.168.3.80", mac: "02:00:00:00:00:80")])
        let proxy = lab.nodes["px"]!.namespace
        // 192.168.3.77 routes through another interface of px, which answers ARP for it on eth2.
        try lab.lab.ip(proxy, "link", "add", "inside", "type", "veth", "peer", "name", "inside-peer")
        try lab.lab.ip(proxy, "link", "set", "inside", "up")
        try lab.lab.ip(proxy, "link", "set", "inside-peer", "up")
        try lab.lab.ip(proxy, "route", "add", "192.168.3.77/32", "dev", "inside")
        _ = try lab.lab.exec(proxy, ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.eth2.proxy_arp=1", "net.ipv4.neigh.eth2.proxy_delay=0"])
        let recording = try Self.record(lab, "proxy")
        let listening = try Background(lab, "proxy", ["ip", "192.168.3.77", "--no-dns", "--listen", "4", "--json", "--netns", proxy])
        usleep(1_500_000)
        _ = try lab.lab.exec(lab.observer, ["arping", "-c", "1", "-w", "2", "-I", "eth2", "192.168.3.77"])
        let report = try listening.json()
        lab.stopCapture(recording)
        let entry = Self.entry(report, "192.168.3.77")
        #expect(Self.verdicts(entry).contains("answered_from_nowhere"), "\(entry ?? report)")
        #expect(Self.claimants(entry) == ["02:00:00:00:00:80"], "\(entry ?? [:])")
        try Self.expectDecoderParity(recording.file)
    }
}
