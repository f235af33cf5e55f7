import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// `haexplain vrrp --read` on captures shaped like real failures, as keepalived and the kernel
/// send them: defaults (five GARPs at once, five more garp_master_delay 5 s later), garp_master_refresh,
/// use_vmac, preemption and flapping, a healed split brain, a rogue, ARP flux, IPv6 DAD and
/// solicited/router advertisements, ARP requests from the VIP, and captures too short to judge.
/// False duplicates are the worst failure: each test says which codes, exactly, and whose MACs.
@Suite struct LinkLayerStormTests {
    typealias Frames = LinkLayerCaptureTests.Frames
    let base = LinkLayerCaptureTests()
    static let a = LinkLayerCaptureTests.masterMAC, b = LinkLayerCaptureTests.backupMAC, rogue = LinkLayerCaptureTests.rogueMAC
    static let vip = LinkLayerCaptureTests.vip, vip6 = LinkLayerCaptureTests.vip6
    static let aAddress = "192.168.3.4", bAddress = "192.168.3.5"
    static let client = IPAddress("192.168.3.10")!, clientMAC = MACAddress("52:54:00:12:34:56")!
    static let vmac = MACAddress("00:00:5e:00:01:c8")!

    static func adverts(_ mac: MACAddress, _ address: String, _ priority: UInt8, _ times: [Double], family: AddressFamily = .inet) -> Frames {
        let one = LinkLayerCaptureTests.adverts(mac: mac, address: address, priority: priority, seconds: 0...0, family: family)[0].frame
        return times.map { (one, LinkLayerCaptureTests.at($0)) }
    }

    static func seconds(_ range: ClosedRange<Int>, offset: Double = 0) -> [Double] { range.map { Double($0) + offset } }

    /// keepalived's burst: `count` GARPs 1 ms apart (garp_master_repeat) from `at`.
    static func burst(_ mac: MACAddress, at: Double, count: Int = 5, address: IPAddress = vip) -> Frames {
        LinkLayerCaptureTests.announcements(mac, at: (0..<count).map { at + Double($0) * 0.001 }, address: address)
    }

    /// A client's ARP request for `address` and `mac`'s reply, at `time`.
    static func answer(_ mac: MACAddress, for address: IPAddress, at time: Double) -> Frames {
        let asking = LinkFrameBuilder(sourceMAC: clientMAC).arpFrame(operation: 1, sender: client, target: address)
        var replying = LinkFrameBuilder(sourceMAC: mac)
        replying.destinationMAC = clientMAC
        return [(asking, LinkLayerCaptureTests.at(time)),
                (replying.arpFrame(operation: 2, sender: address, targetMAC: clientMAC, target: client), LinkLayerCaptureTests.at(time + 0.0002))]
    }

    func judged(_ frames: Frames, _ name: String, _ address: IPAddress = vip) throws -> (codes: [String], verdicts: [[String: Any]]) {
        let (json, _) = try base.read(frames, "storm-" + name)
        return (base.codes(json, address), base.verdicts(json, address))
    }

    func macs(_ verdicts: [[String: Any]], _ code: String) -> Set<String> {
        Set(verdicts.filter { $0["code"] as? String == code }.flatMap { $0["macs"] as? [String] ?? [] })
    }

    @Test("keepalived defaults: five GARPs at the takeover, five more 5 s later, then garp_master_refresh every 10 s: one garp_after_failover, never a duplicate")
    func defaultsAndRefresh() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...3)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(7...45))
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.b, at: 7.01) + Self.burst(Self.b, at: 12.01)
            + [17.01, 27.01, 37.01].flatMap { Self.burst(Self.b, at: $0, count: 1) }
        let (codes, verdicts) = try judged(frames, "defaults")
        #expect(codes == ["garp_after_failover"], "\(verdicts)")
        #expect((verdicts.first?["packets"] as? [Int])?.count == 10, "\(verdicts)")
    }

    @Test("use_vmac: adverts and GARPs from the virtual MAC, each master's real MAC answering for its own address and for the VIP: arp_flux per host, no duplicate, no non-master claim")
    func virtualMAC() throws {
        let frames = Self.adverts(Self.vmac, Self.aAddress, 150, Self.seconds(0...3)) + Self.adverts(Self.vmac, Self.bAddress, 100, Self.seconds(7...30))
            + Self.burst(Self.vmac, at: 0.01) + Self.answer(Self.a, for: IPAddress(Self.aAddress)!, at: 1) + Self.answer(Self.a, for: Self.vip, at: 2)
            + Self.burst(Self.vmac, at: 7.01) + Self.burst(Self.vmac, at: 12.01)
            + Self.answer(Self.b, for: IPAddress(Self.bAddress)!, at: 8) + Self.answer(Self.b, for: Self.vip, at: 9)
        let (codes, verdicts) = try judged(frames, "vmac")
        #expect(codes == ["garp_after_failover", "arp_flux", "arp_flux"], "\(verdicts)")
        #expect(macs(verdicts, "arp_flux") == [Self.a, Self.b, Self.vmac].map(\.description).reduce(into: Set()) { $0.insert($1) }, "\(verdicts)")
    }

    @Test("preemption back to the original master minutes later: two garp_after_failover, each counting its own ten GARPs; no duplicate")
    func preemptionBack() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...3)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(7...99))
            + Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(100...130))
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.b, at: 7.01) + Self.burst(Self.b, at: 12.01)
            + Self.burst(Self.a, at: 100.01) + Self.burst(Self.a, at: 105.01)
        let (codes, verdicts) = try judged(frames, "preempt")
        #expect(codes == ["garp_after_failover", "garp_after_failover"], "\(verdicts)")
        #expect(verdicts.map { ($0["packets"] as? [Int])?.count } == [10, 10], "\(verdicts)")
        #expect(verdicts.map { ($0["macs"] as? [String] ?? []).filter { $0 != Self.vmac.description } } == [[Self.b.description], [Self.a.description]],
                "\(verdicts)")
    }

    @Test("a flapping master (a change every few seconds, a burst at each): one garp_after_failover per change with its own five; no duplicate")
    func flapping() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...2)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(6...8))
            + Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(9...11)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(15...17))
            + Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(18...40))
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.b, at: 6.01) + Self.burst(Self.a, at: 9.01) + Self.burst(Self.b, at: 15.01)
            + Self.burst(Self.a, at: 18.01) + Self.burst(Self.a, at: 23.01)
        let (codes, verdicts) = try judged(frames, "flap")
        #expect(codes == Array(repeating: "garp_after_failover", count: 4), "\(verdicts)")
        #expect(verdicts.map { ($0["packets"] as? [Int])?.count } == [5, 5, 5, 10], "\(verdicts)")
    }

    @Test("a healed split brain: both masters GARP during it, the better one again after: claimed_during_split_brain naming both, no duplicate, no non-master claim")
    func healedSplitBrain() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...60)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(3...20, offset: 0.5))
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.b, at: 3.51) + Self.burst(Self.b, at: 8.51)
            + Self.burst(Self.a, at: 21.01) + [31.01, 41.01, 51.01].flatMap { Self.burst(Self.a, at: $0, count: 1) }
        let (codes, verdicts) = try judged(frames, "split")
        #expect(codes == ["claimed_during_split_brain"], "\(verdicts)")
        #expect(macs(verdicts, "claimed_during_split_brain") == [Self.a.description, Self.b.description], "\(verdicts)")
    }

    @Test("a brief split brain (the backup misses two adverts, takes over for one advert, GARPs, yields): claimed_during_split_brain naming both, no duplicate")
    func briefSplitBrain() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...30)) + Self.adverts(Self.b, Self.bAddress, 100, [10.5])
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.b, at: 10.51) + Self.burst(Self.a, at: 11.01) + Self.burst(Self.a, at: 20.01, count: 1)
        let (codes, verdicts) = try judged(frames, "brief-split")
        #expect(codes == ["claimed_during_split_brain"], "\(verdicts)")
        #expect(macs(verdicts, "claimed_during_split_brain") == [Self.a.description, Self.b.description], "\(verdicts)")
        #expect((verdicts.first?["packets"] as? [Int])?.count == 5, "\(verdicts)")
    }

    @Test("two clusters sharing VRID 200 (one lists 192.168.3.200, the other 192.168.3.201), both masters GARPing their own: no split-brain claim of either address")
    func vridCollision() throws {
        let other = IPAddress("192.168.3.201")!
        var builder = PacketBuilder()
        builder.mac = LinkFrameBuilder.bytes(Self.rogue)
        builder.source = IPAddress("192.168.3.9")!
        builder.priority = 100
        builder.addresses = [other]
        let theirs = Self.seconds(0...20, offset: 0.5).map { (builder.ethernet, LinkLayerCaptureTests.at($0)) }
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...20)) + theirs
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.rogue, at: 0.51, address: other)
        let (json, _) = try base.read(frames, "storm-collision")
        #expect(base.codes(json, Self.vip) == [], "\(base.verdicts(json, Self.vip))")
        #expect(!base.codes(json, other).contains("claimed_during_split_brain") && !base.codes(json, other).contains("duplicate_address"),
                "\(base.verdicts(json, other))")
    }

    @Test("a rogue announcing the VIP while the master keeps advertising and refreshing: duplicate_address and claimed_by_non_master name the rogue")
    func rogue() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...40)) + Self.burst(Self.a, at: 0.01)
            + [10.01, 20.01, 30.01].flatMap { Self.burst(Self.a, at: $0, count: 1) } + Self.burst(Self.rogue, at: 15, count: 2)
        let (codes, verdicts) = try judged(frames, "rogue")
        #expect(codes == ["duplicate_address", "claimed_by_non_master"], "\(verdicts)")
        #expect(macs(verdicts, "duplicate_address") == [Self.a.description, Self.rogue.description], "\(verdicts)")
        #expect(macs(verdicts, "claimed_by_non_master") == [Self.a.description, Self.rogue.description], "\(verdicts)")
    }

    @Test("kill -9 on the master leaves the VIP on it: after the failover its MAC keeps answering beside the new master's: duplicate_address naming both")
    func leftoverAfterKill() throws {
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...3)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(7...30))
            + Self.burst(Self.a, at: 0.01) + Self.burst(Self.b, at: 7.01) + Self.burst(Self.b, at: 12.01)
            + Self.answer(Self.a, for: Self.vip, at: 15) + Self.answer(Self.b, for: Self.vip, at: 15.0004)
        let (codes, verdicts) = try judged(frames, "leftover")
        #expect(codes == ["garp_after_failover", "duplicate_address", "claimed_by_non_master"], "\(verdicts)")
        #expect(macs(verdicts, "duplicate_address") == [Self.a.description, Self.b.description], "\(verdicts)")
    }

    @Test("ARP flux: the master answers for the VIP and for its own address from two NICs: arp_flux naming both, no duplicate, no non-master claim")
    func arpFlux() throws {
        let second = MACAddress("bc:76:4e:05:6c:1d")!
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...20)) + Self.burst(Self.a, at: 0.01)
            + Self.answer(Self.a, for: Self.vip, at: 2) + Self.answer(second, for: Self.vip, at: 2.0005)
            + Self.answer(Self.a, for: IPAddress(Self.aAddress)!, at: 3) + Self.answer(second, for: IPAddress(Self.aAddress)!, at: 3.0005)
        let (codes, verdicts) = try judged(frames, "flux")
        #expect(codes == ["arp_flux"], "\(verdicts)")
        #expect(macs(verdicts, "arp_flux") == [Self.a.description, second.description], "\(verdicts)")
    }

    @Test("IPv6: DAD from :: by the new master, its unsolicited NAs (one with the router flag), a solicited NA to a client: garp_after_failover with the unsolicited ones only")
    func ipv6() throws {
        let link = IPAddress("fe80::10")!
        func nd(_ mac: MACAddress, _ packet: [UInt8], _ time: Double) -> (frame: [UInt8], nanoseconds: Int64) {
            (LinkFrameBuilder(sourceMAC: mac).frame(packet, etherType: 0x86dd), LinkLayerCaptureTests.at(time))
        }
        let solicitedNode = IPAddress("ff02::1:ff00:200")!
        let frames = Self.adverts(Self.a, "fe80::4", 150, Self.seconds(0...3), family: .inet6) + Self.adverts(Self.b, "fe80::5", 100, Self.seconds(7...25), family: .inet6)
            + Self.burst(Self.a, at: 0.01, count: 1, address: Self.vip6)
            + [nd(Self.b, LinkFrameBuilder.ndp(type: 135, source: IPAddress("::")!, destination: solicitedNode, target: Self.vip6), 6.9),
               nd(Self.b, LinkFrameBuilder.ndp(type: 136, source: Self.vip6, destination: IPAddress("ff02::1")!, target: Self.vip6, flags: 0xa0,
                                               options: [(2, Self.b)]), 7.01),
               nd(Self.b, LinkFrameBuilder.ndp(type: 136, source: Self.vip6, destination: IPAddress("ff02::1")!, target: Self.vip6, flags: 0x20,
                                               options: [(2, Self.b)]), 7.02),
               nd(Self.clientMAC, LinkFrameBuilder.ndp(type: 135, source: link, destination: solicitedNode, target: Self.vip6, options: [(1, Self.clientMAC)]), 9),
               nd(Self.b, LinkFrameBuilder.ndp(type: 136, source: Self.vip6, destination: link, target: Self.vip6, flags: 0x60, options: [(2, Self.b)]), 9.001),
               nd(Self.b, LinkFrameBuilder.ndp(type: 136, source: Self.vip6, destination: link, target: Self.vip6, flags: 0x40, options: [(2, Self.b)]), 10)]
        let (codes, verdicts) = try judged(frames, "ipv6", Self.vip6)
        #expect(codes == ["garp_after_failover"], "\(verdicts)")
        #expect((verdicts.first?["packets"] as? [Int])?.count == 2, "\(verdicts)")
    }

    @Test("ARP requests from the VIP (the master asking for a client) count as the master's: no duplicate, no non-master claim, across a failover")
    func requestsFromVIP() throws {
        func ask(_ mac: MACAddress, _ time: Double) -> (frame: [UInt8], nanoseconds: Int64) {
            (LinkFrameBuilder(sourceMAC: mac).arpFrame(operation: 1, sender: Self.vip, target: Self.client), LinkLayerCaptureTests.at(time))
        }
        let frames = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...3)) + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(7...30))
            + Self.burst(Self.a, at: 0.01) + [ask(Self.a, 2)] + Self.burst(Self.b, at: 7.01) + [ask(Self.b, 9), ask(Self.b, 20)]
        let (codes, verdicts) = try judged(frames, "asking")
        #expect(codes == ["garp_after_failover"], "\(verdicts)")
    }

    @Test("no_garp_after_failover only once the capture covered the window after the change")
    func noGarpOnlyWhenCovered() throws {
        let before = Self.adverts(Self.a, Self.aAddress, 150, Self.seconds(0...3)) + Self.burst(Self.a, at: 0.01)
        let short = try judged(before + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(7...12)), "nogarp-short")
        #expect(short.codes == [], "\(short.verdicts)")
        let long = try judged(before + Self.adverts(Self.b, Self.bAddress, 100, Self.seconds(7...20)), "nogarp-long")
        #expect(long.codes == ["no_garp_after_failover"], "\(long.verdicts)")
        #expect(macs(long.verdicts, "no_garp_after_failover") == [Self.a.description, Self.b.description])
    }
}
