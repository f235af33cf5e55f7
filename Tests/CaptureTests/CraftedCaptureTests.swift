import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// `haexplain vrrp --read` on captures made byte by byte for the cases issue 12 names: VLANs
/// sharing a VRID in cooked captures, pcapng with several interfaces, link types and
/// sections, RFC discards, VRRPv3 checksum variants and CARP; every decoded field held
/// against tshark's.
@Suite struct CraftedCaptureTests {
    static let start: Int64 = 1_764_043_032_000_000_000

    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hxc-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url
    }

    func census(_ file: URL) throws -> CensusJSON {
        let result = try Shell.run([HAExplainBinary.path, "vrrp", "--read", file.path, "--json"], timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        return CensusJSON(root: try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]))
    }

    /// VRID 200 on VLAN 10 and VLAN 20 (two LANs, different addresses) and VRID 201 untagged.
    static func vlanAdverts(_ frame: (PacketBuilder) -> [UInt8]) -> [(frame: [UInt8], nanoseconds: Int64)] {
        var frames: [(frame: [UInt8], nanoseconds: Int64)] = []
        for second in 0..<3 {
            var lan10 = PacketBuilder()
            lan10.vlans = [10]
            var lan20 = PacketBuilder()
            lan20.vlans = [20]
            lan20.source = IPAddress("10.20.0.4")!
            lan20.addresses = [IPAddress("10.20.0.200")!]
            var qinq = PacketBuilder()
            qinq.vlans = [100, 20]
            qinq.source = IPAddress("10.99.0.4")!
            qinq.addresses = [IPAddress("10.99.0.200")!]
            var untagged = PacketBuilder()
            untagged.vrid = 201
            for (index, builder) in [lan10, lan20, qinq, untagged].enumerated() {
                frames.append((frame(builder), start + Int64(second) * 1_000_000_000 + Int64(index) * 100_000_000))
            }
        }
        return frames
    }

    @Test("tcpdump -i any captures (SLL and SLL2) with and without VLAN tags: a VRID on two VLANs is two routers, no collision",
          arguments: [113, 276])
    func cookedVLANs(linkType: Int) throws {
        let file = try write(CaptureFileWriter.pcap(linkType: linkType, Self.vlanAdverts { linkType == 113 ? $0.cooked : $0.cooked2 }),
                             "vlans-\(linkType).pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let census = try census(file)
        let routers = census.routers
        #expect(routers.count == 4, "\(routers)")
        let vlans = Set(routers.map { "\($0["vrid"] as? Int ?? 0)/\(($0["vlans"] as? [Int]) ?? [])" })
        #expect(vlans == ["200/[10]", "200/[20]", "200/[100, 20]", "201/[]"], "\(vlans)")
        #expect(routers.allSatisfy { ($0["verdicts"] as? [[String: Any]])?.isEmpty == true }, "\(routers)")
        // SLL2 names the link by its ifindex; SLL has none.
        #expect(routers.allSatisfy { $0["interface"] as? String == (linkType == 276 ? "ifindex 7" : nil) })
        try expectTsharkParity(file)
    }

    @Test("pcapng with several interfaces, link types and sections: each packet keeps its interface, named by the file")
    func pcapngInterfacesAndSections() throws {
        var ethernet = PacketBuilder()
        var cooked = PacketBuilder()
        cooked.source = IPAddress("10.1.0.4")!
        cooked.addresses = [IPAddress("10.1.0.200")!]
        var raw = PacketBuilder()
        raw.source = IPAddress("10.2.0.4")!
        raw.addresses = [IPAddress("10.2.0.200")!]
        var first: [(interface: Int, frame: [UInt8], nanoseconds: Int64)] = []
        var second: [(interface: Int, frame: [UInt8], nanoseconds: Int64)] = []
        for index in 0..<3 {
            let time = Self.start + Int64(index) * 1_000_000_000
            ethernet.ipID = UInt16(index)
            first.append((0, ethernet.ethernet, time))
            first.append((1, cooked.cooked, time + 300_000_000))
            second.append((0, raw.ip, time + 600_000_000))
            // A link type haexplain does not decode (IEEE 802.11): counted and said, never silently dropped.
            second.append((1, [0x08, 0x00, 0, 0], time + 700_000_000))
        }
        let bytes = CaptureFileWriter.pcapngSection(interfaces: [(1, "eth2"), (113, nil)], first)
            + CaptureFileWriter.pcapngSection(interfaces: [(101, "tun0"), (105, "wlan0")], second)
        let file = try write(bytes, "multi.pcapng")
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try Shell.check(["capinfos", "-I", file.path]).contains("wlan0"))
        let census = try census(file)
        let links = Set(census.routers.map { $0["interface"] as? String ?? "-" })
        #expect(links == ["eth2", "interface 1", "tun0"], "\(census.routers)")
        #expect(census.routers.allSatisfy { ($0["verdicts"] as? [[String: Any]])?.isEmpty == true }, "\(census.routers)")
        let problems = (census.root["problems"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String }
        #expect(problems.contains { $0.hasPrefix("3 packet(s) on wlan0 (link type 105) were not decoded") }, "\(problems)")
        #expect((census.root["capture"] as? [String: Any])?["packets"] as? Int == 12)
        try expectTsharkParity(file)
    }

    @Test("RFC discards are verdicts with their packets, never votes; VRRPv3 checksum with and without the pseudo-header")
    func discardsAndChecksumVariants() throws {
        var frames: [(frame: [UInt8], nanoseconds: Int64)] = []
        for second in 0..<4 {
            let time = Self.start + Int64(second) * 1_000_000_000
            var master = PacketBuilder()
            master.ipID = UInt16(second)
            frames.append((master.ethernet, time))
            // A rogue higher priority with every fault in turn: none of it may elect.
            var rogue = PacketBuilder()
            rogue.source = IPAddress("192.168.3.66")!
            rogue.priority = 250
            rogue.mac[5] = 0x66
            switch second {
            case 0: rogue.corruptIPChecksum = true
            case 1: rogue.ttl = 64
            case 2: rogue.type = 2
            default: rogue.corruptChecksum = true
            }
            frames.append((rogue.ethernet, time + 400_000_000))
            // VRID 60: VRRPv3 as RFC 5798 and keepalived compute it; VRID 61: without the pseudo-header (FRR's switch).
            var rfc = PacketBuilder()
            rfc.version = 3
            rfc.vrid = 60
            frames.append((rfc.ethernet, time + 500_000_000))
            var legacy = PacketBuilder()
            legacy.version = 3
            legacy.vrid = 61
            legacy.source = IPAddress("192.168.3.61")!
            legacy.checksumWithoutPseudoHeader = true
            frames.append((legacy.ethernet, time + 600_000_000))
        }
        let file = try write(CaptureFileWriter.pcap(linkType: 1, frames), "discards.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let census = try census(file)
        #expect(census.master(200)?.address == "192.168.3.4", "\(census.verdicts(200))")
        let verdicts = census.verdicts(200)
        for code in ["bad_ip_checksum", "bad_ttl", "not_advert", "bad_checksum"] {
            #expect(verdicts.contains(code), "\(code): \(verdicts)")
        }
        #expect(!verdicts.contains("split_brain") && !verdicts.contains("master_changed") && !verdicts.contains("vrid_collision"))
        #expect(census.verdicts(60).isEmpty && census.master(60)?.address == "192.168.3.4")
        #expect(census.verdicts(61) == ["checksum_without_pseudo_header"])
        let own = try #require(census.router(61)?["master"] as? [String: Any])
        #expect(own["address"] as? String == "192.168.3.61" && own["in_own_eyes_only"] as? Bool == true)
        try expectTsharkParity(file)
    }

    @Test("CARP beside VRRP: CARP hosts apart, never malformed VRRP, decoded as tshark's CARP dissector does")
    func carpBesideVRRP() throws {
        var frames: [(frame: [UInt8], nanoseconds: Int64)] = []
        for second in 0..<3 {
            let time = Self.start + Int64(second) * 1_000_000_000
            frames.append((PacketBuilder().ethernet, time))
            frames.append((PacketBuilder.carpFrame(vhid: 200, advskew: 30, counter: UInt64(1000 + second)), time + 200_000_000))
        }
        let file = try write(CaptureFileWriter.pcap(linkType: 1, frames), "carp.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let census = try census(file)
        #expect(census.verdicts(200).isEmpty && census.master(200)?.address == "192.168.3.4")
        #expect((census.root["capture"] as? [String: Any])?["malformed"] as? Int == 0)
        let hosts = try #require(census.root["carp_hosts"] as? [[String: Any]])
        #expect(hosts.count == 1 && hosts[0]["vhid"] as? Int == 200)
        let codes = (hosts[0]["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes == ["carp", "carp_and_vrrp"])
        try expectTsharkParity(file)
        try expectTsharkCARPParity(file)
    }
}
