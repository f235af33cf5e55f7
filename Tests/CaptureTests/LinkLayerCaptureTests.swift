import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// `haexplain vrrp --read` on captures holding VRRP adverts and ARP/NDP made byte by byte:
/// each link-layer verdict, in JSON (validated against the schema) and in text.
@Suite struct LinkLayerCaptureTests {
    static let start: Int64 = 1_764_043_032_000_000_000
    static let masterMAC = MACAddress("bc:76:4e:05:6c:1c")!
    static let backupMAC = MACAddress("bc:76:4e:05:6c:2d")!
    static let rogueMAC = MACAddress("02:42:c0:a8:03:63")!
    static let vip = IPAddress("192.168.3.200")!
    static let vip6 = IPAddress("fd00:3::200")!

    typealias Frames = [(frame: [UInt8], nanoseconds: Int64)]

    static func at(_ seconds: Double) -> Int64 { start + Int64(seconds * 1e9) }

    /// Adverts for VRID 200 from `mac` (source `address`, `priority`) once a second over `seconds`.
    static func adverts(mac: MACAddress, address: String, priority: UInt8, seconds: ClosedRange<Int>, family: AddressFamily = .inet) -> Frames {
        var builder = PacketBuilder()
        builder.mac = LinkFrameBuilder.bytes(mac)
        builder.source = IPAddress(address)!
        builder.priority = priority
        if family == .inet6 {
            builder.version = 3
            builder.destination = IPAddress("ff02::12")!
            builder.addresses = [vip6]
        }
        return seconds.map { (builder.ethernet, at(Double($0))) }
    }

    /// A failover: the master (priority 150) advertises for 0...3 s and stops; the backup
    /// (priority 100) takes over at 7 s and advertises to 12 s.
    static func failover(family: AddressFamily = .inet) -> Frames {
        let (master, backup) = family == .inet ? ("192.168.3.4", "192.168.3.5") : ("fe80::4", "fe80::5")
        return adverts(mac: masterMAC, address: master, priority: 150, seconds: 0...3, family: family)
            + adverts(mac: backupMAC, address: backup, priority: 100, seconds: 7...12, family: family)
    }

    static func announcements(_ mac: MACAddress, at times: [Double], address: IPAddress = vip) -> Frames {
        let builder = LinkFrameBuilder(sourceMAC: mac)
        return times.map { (address.family == .inet ? builder.announcement(address) : builder.unsolicitedAdvertisement(address), at($0)) }
    }

    func read(_ frames: Frames, _ name: String) throws -> (json: [String: Any], text: String) {
        let sorted = frames.sorted { $0.nanoseconds < $1.nanoseconds }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hxl-\(getpid())-\(name).pcap")
        try Data(CaptureFileWriter.pcap(linkType: 1, sorted)).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let json = try Shell.run([HAExplainBinary.path, "vrrp", "--read", file.path, "--json"], timeout: 60)
        #expect(json.status == 0, "\(json.stderr)")
        let text = try Shell.run([HAExplainBinary.path, "vrrp", "--read", file.path], timeout: 60)
        #expect(text.status == 0, "\(text.stderr)")
        return (try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]), text.stdout)
    }

    func address(_ json: [String: Any], _ address: IPAddress) -> [String: Any]? {
        ((json["link_layer"] as? [String: Any])?["addresses"] as? [[String: Any]])?.first { $0["address"] as? String == address.description }
    }

    func verdicts(_ json: [String: Any], _ address: IPAddress) -> [[String: Any]] {
        self.address(json, address)?["verdicts"] as? [[String: Any]] ?? []
    }

    func codes(_ json: [String: Any], _ address: IPAddress) -> [String] {
        verdicts(json, address).compactMap { $0["code"] as? String }
    }

    @Test("a failover whose new master sends five gratuitous ARPs: garp_after_failover with the count and packets; no duplicate")
    func garpAfterFailover() throws {
        let frames = Self.failover() + Self.announcements(Self.masterMAC, at: [0.01]) + Self.announcements(Self.backupMAC, at: [7.01, 7.02, 7.03, 7.04, 7.05])
        let (json, text) = try read(frames, "garp")
        #expect(codes(json, Self.vip) == ["garp_after_failover"], "\(verdicts(json, Self.vip))")
        let verdict = try #require(verdicts(json, Self.vip).first)
        #expect((verdict["packets"] as? [Int])?.count == 5)
        #expect((verdict["message"] as? String)?.contains("5 time(s)") == true, "\(verdict)")
        let claimants = (address(json, Self.vip)?["claimants"] as? [[String: Any]]) ?? []
        #expect(claimants.map { $0["mac"] as? String } == [Self.masterMAC.description, Self.backupMAC.description])
        #expect(claimants.map { $0["node"] as? String } == ["VRRP sender 192.168.3.4", "VRRP sender 192.168.3.5"])
        #expect(text.contains("link layer  6 ARP/NDP packet(s)") && text.contains("garp_after_failover"), "\(text)")
    }

    @Test("the same failover with the announcements from VRRP's virtual MAC (use_vmac): still the new master's")
    func garpFromVirtualMAC() throws {
        let frames = Self.failover() + Self.announcements(MACAddress("00:00:5e:00:01:c8")!, at: [7.01, 7.02])
        let (json, _) = try read(frames, "vmac")
        #expect(codes(json, Self.vip) == ["garp_after_failover"], "\(verdicts(json, Self.vip))")
        let claimant = (address(json, Self.vip)?["claimants"] as? [[String: Any]])?.first
        #expect(claimant?["virtual_mac"] as? Bool == true && (claimant?["node"] as? String)?.contains("virtual MAC of VRID 200") == true)
    }

    @Test("a failover with no announcement after it (ARP seen before it): no_garp_after_failover naming the old MAC")
    func noGarpAfterFailover() throws {
        // The backup advertises on past the ten seconds an announcement may take: the capture covered them.
        let frames = Self.failover() + Self.adverts(mac: Self.backupMAC, address: "192.168.3.5", priority: 100, seconds: 13...18)
            + Self.announcements(Self.masterMAC, at: [0.01])
        let (json, text) = try read(frames, "nogarp")
        #expect(codes(json, Self.vip) == ["no_garp_after_failover"], "\(verdicts(json, Self.vip))")
        let verdict = try #require(verdicts(json, Self.vip).first)
        #expect((verdict["macs"] as? [String]) == [Self.masterMAC.description, Self.backupMAC.description])
        #expect((verdict["message"] as? String)?.contains("old master's MAC \(Self.masterMAC)") == true, "\(verdict)")
        #expect(text.contains("no_garp_after_failover"))
    }

    @Test("a capture without ARP/NDP prints no link-layer section (output as before)")
    func noLinkLayer() throws {
        let (json, text) = try read(Self.failover(), "plain")
        #expect(json["link_layer"] == nil && !text.contains("link layer"))
    }

    @Test("a rogue host announcing the VIP while the master holds it: duplicate_address and claimed_by_non_master, both MACs named")
    func rogue() throws {
        let frames = Self.adverts(mac: Self.masterMAC, address: "192.168.3.4", priority: 150, seconds: 0...10)
            + Self.announcements(Self.masterMAC, at: [0.01, 0.02]) + Self.announcements(Self.rogueMAC, at: [5.5])
            + [(LinkFrameBuilder(sourceMAC: Self.masterMAC).arpFrame(operation: 2, sender: Self.vip, targetMAC: Self.rogueMAC,
                                                                    target: IPAddress("192.168.3.10")!), Self.at(6))]
        let (json, _) = try read(frames, "rogue")
        #expect(codes(json, Self.vip) == ["duplicate_address", "claimed_by_non_master"], "\(verdicts(json, Self.vip))")
        let duplicate = try #require(verdicts(json, Self.vip).first)
        #expect(Set(duplicate["macs"] as? [String] ?? []) == [Self.masterMAC.description, Self.rogueMAC.description])
        let claimants = (address(json, Self.vip)?["claimants"] as? [[String: Any]]) ?? []
        #expect(claimants.first?["announcements"] as? Int == 2 && claimants.first?["replies"] as? Int == 1, "\(claimants)")
    }

    @Test("an IPv6 VIP: the new master's unsolicited Neighbour Advertisement after failover is garp_after_failover")
    func ipv6Failover() throws {
        let frames = Self.failover(family: .inet6) + Self.announcements(Self.backupMAC, at: [7.01, 7.5], address: Self.vip6)
        let (json, text) = try read(frames, "ipv6")
        #expect(codes(json, Self.vip6) == ["garp_after_failover"], "\(verdicts(json, Self.vip6))")
        #expect(text.contains("unsolicited Neighbour Advertisement"), "\(text)")
    }

    @Test("a rogue announcing after a failover: a duplicate of the new master only (the old master's claim ended with its mastership)")
    func rogueAfterFailover() throws {
        let frames = Self.failover() + Self.announcements(Self.masterMAC, at: [0.01]) + Self.announcements(Self.backupMAC, at: [7.01, 7.02])
            + Self.announcements(Self.rogueMAC, at: [9.5])
        let (json, _) = try read(frames, "rogue-failover")
        #expect(codes(json, Self.vip) == ["garp_after_failover", "duplicate_address", "claimed_by_non_master"], "\(verdicts(json, Self.vip))")
        let duplicate = try #require(verdicts(json, Self.vip).first { $0["code"] as? String == "duplicate_address" })
        #expect(Set(duplicate["macs"] as? [String] ?? []) == [Self.backupMAC.description, Self.rogueMAC.description])
    }
}
