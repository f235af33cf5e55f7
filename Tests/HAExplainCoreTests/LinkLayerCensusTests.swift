import Foundation
import HAExplainCore
import HAModel
import LabSupport
import Testing
import VRRP

/// The link-layer census as a pure function of decoded claims with times, judged against
/// contexts made by hand: the verdicts `vrrp --read` cannot reach on its own (held addresses,
/// neighbour entries) and `ip`'s conflict.
@Suite struct LinkLayerCensusTests {
    static let vip = IPAddress("192.168.3.200")!
    static let old = MACAddress("bc:76:4e:05:6c:1c")!
    static let new = MACAddress("bc:76:4e:05:eb:70")!
    static let rogue = MACAddress("02:42:c0:a8:03:63")!
    static let t0: Int64 = 1_764_043_032_000_000_000

    static func time(_ seconds: Double) -> PacketTime { PacketTime(nanoseconds: t0 + Int64(seconds * 1e9)) }

    static func claim(_ kind: LinkClaim.Kind, _ address: IPAddress, _ mac: MACAddress, at seconds: Double, packet: Int) -> LinkClaim {
        LinkClaim(kind: kind, address: address, mac: mac, sourceMAC: mac, senderAddress: address, senderMAC: mac, packet: packet, time: time(seconds))
    }

    static func router(masters: [(Double, Int, String, MACAddress)]) -> LinkLayerContext.Router {
        LinkLayerContext.Router(vrid: 200, family: .inet, interface: nil, addresses: [vip],
                                masters: masters.map { .init(time: time($0.0), packet: $0.1, address: IPAddress($0.2), mac: $0.3) })
    }

    @Test("an address answered on the wire that no host in view holds: answered_from_nowhere, a known node's MAC named as proxy ARP")
    func answeredFromNowhere() throws {
        let address = IPAddress("192.168.3.77")!
        var census = LinkLayerCensus()
        census.record(Self.claim(.arpReply, address, Self.new, at: 1, packet: 1))
        census.record(Self.claim(.arpReply, IPAddress("192.168.3.4")!, Self.old, at: 2, packet: 2))
        let context = LinkLayerContext(addresses: [address, IPAddress("192.168.3.4")!], nodes: [Self.new: "eth2 of prod-haproxy-001"],
                                       held: [IPAddress("192.168.3.4")!: ["prod-haproxy-000"]])
        let report = try #require(census.report(context: context))
        #expect(report.addresses.map(\.address) == [address, IPAddress("192.168.3.4")!])
        let verdicts = report.addresses[0].verdicts
        #expect(verdicts.map(\.code) == [.answeredFromNowhere] && verdicts.first?.packets == [1], "\(verdicts)")
        #expect(verdicts.first?.message.contains("eth2 of prod-haproxy-001, which does not hold it: proxy ARP") == true)
        #expect(report.addresses[1].verdicts.isEmpty, "held by prod-haproxy-000: \(report.addresses[1].verdicts)")
        // Without knowing what the hosts hold, nothing is said to come from nowhere.
        let unknown = try #require(census.report(context: LinkLayerContext(addresses: [address])))
        #expect(unknown.addresses[0].verdicts.isEmpty)
    }

    @Test("one host in view: its own MAC answering for an address it does not hold is answered_from_nowhere; a stranger's MAC is not judged, unless more hosts are in view")
    func oneHostJudgesOnlyItsOwnAnswers() throws {
        let proxied = IPAddress("192.168.3.77")!, elsewhere = IPAddress("192.168.3.78")!
        var census = LinkLayerCensus()
        census.record(Self.claim(.arpReply, proxied, Self.new, at: 1, packet: 1))
        census.record(Self.claim(.arpReply, elsewhere, Self.rogue, at: 2, packet: 2))
        let here = IPExplainerTests.host("prod-haproxy-001", mac: Self.new.description, address: "192.168.3.5", isLocal: true)
        let alone = LinkLayerClaims.context(addresses: [proxied, elsewhere], wire: nil, hosts: [here])
        #expect(alone.macsWithKnownAddresses == [Self.new])
        let judged = try #require(census.report(context: alone))
        #expect(judged.addresses.map { $0.verdicts.map(\.code) } == [[.answeredFromNowhere], []], "\(judged.addresses)")
        #expect(judged.addresses[0].verdicts.first?.message.contains("eth2 of prod-haproxy-001, which does not hold it: proxy ARP") == true)
        // With a second host in view, the hosts in view are the link: a MAC none of them has answered from nowhere.
        let other = IPExplainerTests.host("prod-haproxy-000", mac: Self.old.description, address: "192.168.3.4")
        let both = LinkLayerClaims.context(addresses: [proxied, elsewhere], wire: nil, hosts: [here, other])
        #expect(both.macsWithKnownAddresses == nil)
        let fleet = try #require(census.report(context: both))
        #expect(fleet.addresses.map { $0.verdicts.map(\.code) } == [[.answeredFromNowhere], [.answeredFromNowhere]], "\(fleet.addresses)")
    }

    @Test("no announcement after a failover, and this host's neighbour entry still on the old master: both said, with the entry")
    func staleAfterFailover() throws {
        var census = LinkLayerCensus()
        census.record(Self.claim(.arpAnnouncement, Self.vip, Self.old, at: 0.1, packet: 2))
        census.record(Self.claim(.arpReply, Self.vip, Self.new, at: 30, packet: 40))
        let neighbour = LinkLayerContext.Neighbour(address: Self.vip, mac: Self.old, state: "STALE", device: "eth2", source: .netlink("RTM_GETNEIGH"))
        let context = LinkLayerContext(addresses: [Self.vip], routers: [Self.router(masters: [(0, 1, "192.168.3.4", Self.old), (10, 20, "192.168.3.5", Self.new)])],
                                       neighbours: [neighbour])
        let report = try #require(census.report(context: context, end: Self.time(40)))
        let verdicts = try #require(report.addresses.first).verdicts
        #expect(verdicts.map(\.code) == [.noGarpAfterFailover, .staleNeighbour], "\(verdicts)")
        #expect(verdicts[0].message.contains("the neighbour entry 192.168.3.200 lladdr \(Self.old) STALE dev eth2") && verdicts[0].macs == [Self.old, Self.new])
        #expect(verdicts[1].message.contains("last claimed by \(Self.new)") && verdicts[1].packets == [40])
        // The reply from the new master at 30 s is no duplicate: the failover at 10 s ended the old master's claim.
        #expect(!verdicts.contains { $0.code == .duplicateAddress })
    }

    @Test("the capture ends right at a failover: too early to say no announcement came")
    func tooEarly() throws {
        var census = LinkLayerCensus()
        census.record(Self.claim(.arpAnnouncement, Self.vip, Self.old, at: 0.1, packet: 2))
        let context = LinkLayerContext(addresses: [Self.vip], routers: [Self.router(masters: [(0, 1, "192.168.3.4", Self.old), (10, 20, "192.168.3.5", Self.new)])])
        let report = try #require(census.report(context: context, end: Self.time(10.5)))
        #expect(report.addresses.first?.verdicts.isEmpty == true, "\(report.addresses)")
    }

    @Test("an IPv6 VIP's failover in a capture that saw only ARP: its silence says nothing, unless the capture was set up to see NDP")
    func familyUnseen() throws {
        let vip6 = IPAddress("fd00:3::200")!
        var census = LinkLayerCensus()
        census.record(Self.claim(.arpAnnouncement, Self.vip, Self.old, at: 0.1, packet: 2))
        let router = LinkLayerContext.Router(vrid: 200, family: .inet6, interface: nil, addresses: [vip6],
                                             masters: [.init(time: Self.time(0), packet: 1, address: IPAddress("fe80::4"), mac: Self.old),
                                                       .init(time: Self.time(10), packet: 20, address: IPAddress("fe80::5"), mac: Self.new)])
        for capturesLinkLayer in [false, true] {
            let context = LinkLayerContext(addresses: [vip6], routers: [router], capturesLinkLayer: capturesLinkLayer)
            let report = try #require(census.report(context: context, end: Self.time(30)))
            #expect(report.addresses.first { $0.address == vip6 }?.has(.noGarpAfterFailover) == (capturesLinkLayer ? true : nil), "\(capturesLinkLayer)")
        }
    }

    @Test("two MACs more than the duplicate window apart with no failover: the address moved, no duplicate; within it: a duplicate")
    func duplicateWindow() throws {
        for (gap, expected) in [(90.0, false), (20.0, true)] {
            var census = LinkLayerCensus()
            census.record(Self.claim(.arpReply, Self.vip, Self.old, at: 0, packet: 1))
            census.record(Self.claim(.arpReply, Self.vip, Self.rogue, at: gap, packet: 2))
            let report = try #require(census.report(context: LinkLayerContext(addresses: [Self.vip])))
            #expect(report.addresses.first?.has(.duplicateAddress) == expected, "gap \(gap)")
        }
    }

    @Test("questions are no claims; a request from an address is a weaker claim of it; discarded NAs move nothing")
    func questionsAndDiscards() throws {
        var census = LinkLayerCensus()
        let client = IPAddress("192.168.3.10")!
        census.record(LinkClaim(kind: .arpRequest, address: Self.vip, sourceMAC: Self.rogue, senderAddress: client, senderMAC: Self.rogue, packet: 1, time: Self.time(0)))
        census.record(LinkClaim(kind: .arpProbe, address: Self.vip, sourceMAC: Self.rogue, senderAddress: .v4(0), senderMAC: Self.rogue, packet: 2, time: Self.time(1)))
        let vip6 = IPAddress("fd00:3::200")!
        census.record(LinkClaim(kind: .neighbourAdvertisement, address: vip6, mac: Self.rogue, sourceMAC: Self.rogue, senderAddress: vip6,
                                flags: .init(override: true), hopLimit: 64, discardReason: .hopLimit, packet: 3, time: Self.time(2)))
        let report = try #require(census.report(context: LinkLayerContext(addresses: [Self.vip, client, vip6])))
        #expect(report.addresses.map(\.address) == [Self.vip, client, vip6])
        #expect(report.addresses[0].claimants.isEmpty && report.addresses[0].questions == 2)
        #expect(report.addresses[1].claimants.map(\.asked) == [1])
        #expect(report.addresses[2].claimants.isEmpty && report.addresses[2].discarded.map(\.reason) == [.hopLimit])
        #expect(report.otherAddresses == 0 && report.packets == 3)
    }

    @Test("memory is bounded: addresses past the cap are counted as a problem (a watched VIP still tracked), old events dropped and counted")
    func bounded() throws {
        var census = LinkLayerCensus()
        census.watch([Self.vip])
        for index in 0..<5000 {
            census.record(Self.claim(.arpReply, .v4(0x0a00_0000 | UInt32(index)), Self.old, at: Double(index) / 1000, packet: index + 1))
        }
        for index in 0..<3000 {
            census.record(Self.claim(.arpAnnouncement, Self.vip, index % 2 == 0 ? Self.old : Self.new, at: 10 + Double(index), packet: 6000 + index))
        }
        let report = try #require(census.report(context: LinkLayerContext(addresses: [Self.vip])))
        #expect(report.problems.contains { $0.message.contains("more than 4096 addresses") })
        let entry = try #require(report.addresses.first)
        #expect(entry.eventsDropped > 0 && entry.claimants.map { $0.announcements } == [1500, 1500])
        #expect(entry.has(.duplicateAddress))
    }

    @Test("ip: a second claimant on the wire makes the owner a conflict with both MACs named; the claims are evidence")
    func ipConflict() throws {
        var recorder = VRRPCensusRecorder()
        var advert = PacketBuilder()
        advert.priority = 150
        let master = LinkFrameBuilder(sourceMAC: Self.old), intruder = LinkFrameBuilder(sourceMAC: Self.rogue)
        var frames: [([UInt8], Double)] = (0..<6).map { (advert.ethernet, Double($0)) }
        frames += [(master.announcement(Self.vip), 0.05), (intruder.announcement(Self.vip), 3.5),
                   (LinkFrameBuilder(sourceMAC: MACAddress("bc:76:4e:05:aa:10")!).arpFrame(operation: 1, sender: IPAddress("192.168.3.10")!, target: Self.vip), 1)]
        for (frame, seconds) in frames.sorted(by: { $0.1 < $1.1 }) {
            frame.withUnsafeBytes { recorder.record(frame: $0, time: Self.time(seconds), link: CaptureLink(linkType: .ethernet, name: "eth2")) }
        }
        var wire = recorder.report(source: Source(kind: .packet, detail: "test"))
        // The recorder's own report judges against the VIPs, and the addresses it is given first.
        let asked = IPAddress("192.168.3.10")!
        #expect(recorder.report(source: Source(kind: .packet, detail: "test"), addresses: [asked]).linkLayer?.addresses.map(\.address) == [asked, Self.vip])
        #expect(wire.linkLayer?.addresses.map(\.address) == [Self.vip] && wire.linkLayer?.otherAddresses == 1)
        #expect(wire.linkLayer?.addresses.first?.has(.duplicateAddress) == true)
        let hosts = [IPExplainerTests.app,
                     IPExplainerTests.host("prod-haproxy-000", mac: Self.old.description, address: "192.168.3.4", extra: ["192.168.3.200"])]
        wire.linkLayer = recorder.linkLayer.report(context: LinkLayerClaims.context(addresses: [Self.vip], wire: wire, hosts: hosts,
                                                                                   names: [IPAddress("192.168.3.4")!: "prod-haproxy-000"]))
        let answer = try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: hosts, keepalived: nil,
                                                                 wire: wire)).answers.first)
        #expect(answer.verdict.owner == .conflict, "\(answer.verdict)")
        #expect(answer.verdict.reason.contains(Self.old.description) && answer.verdict.reason.contains(Self.rogue.description), "\(answer.verdict.reason)")
        #expect(answer.verdict.reason.contains("eth2 of prod-haproxy-000"), "\(answer.verdict.reason)")
        #expect(answer.evidence.contains { $0.claim.contains("on the wire, \(Self.rogue) claimed 192.168.3.200") })
        #expect(answer.warnings.contains { $0.hasPrefix("claimed_by_non_master:") }, "\(answer.warnings)")
    }

    @Test("ip on the master, which holds 192.168.3.200: only a rogue answers its --probe (its own kernel never answers itself), a duplicate and a conflict naming this host's interface and the rogue; a failover's new master or the virtual MAC claiming is none")
    func holderSeesOnlyTheRogue() throws {
        var recorder = VRRPCensusRecorder()
        var advert = PacketBuilder()
        advert.source = IPAddress("192.168.3.5")!
        advert.mac = [0xbc, 0x76, 0x4e, 0x05, 0xeb, 0x70]
        var frames: [([UInt8], Double)] = (0..<3).map { (advert.ethernet, 0.8 + Double($0)) }
        // This host's probe (sender 0.0.0.0), answered at once by the rogue alone, before the first advert.
        frames += [(LinkFrameBuilder(sourceMAC: Self.new).arpFrame(operation: 1, sender: IPAddress("0.0.0.0")!, target: Self.vip), 0.01),
                   (LinkFrameBuilder(sourceMAC: Self.rogue).arpFrame(operation: 2, sender: Self.vip, targetMAC: Self.new, target: IPAddress("0.0.0.0")!), 0.02)]
        for (frame, seconds) in frames.sorted(by: { $0.1 < $1.1 }) {
            frame.withUnsafeBytes { recorder.record(frame: $0, time: Self.time(seconds), link: CaptureLink(linkType: .ethernet, name: "eth2")) }
        }
        let here = IPExplainerTests.host("prod-haproxy-001", mac: Self.new.description, address: "192.168.3.5", extra: ["192.168.3.200"], isLocal: true)
        var wire = recorder.report(source: Source(kind: .packet, detail: "test"))
        wire.linkLayer = recorder.linkLayer.report(context: LinkLayerClaims.context(addresses: [Self.vip], wire: wire, hosts: [here]))
        let entry = try #require(wire.linkLayer?.addresses.first)
        let duplicate = try #require(entry.verdicts.first { $0.code == .duplicateAddress }, "\(entry.verdicts)")
        #expect(duplicate.macs == [Self.new, Self.rogue] && duplicate.packets == [2], "\(duplicate)")
        #expect(duplicate.message.contains("held on \(Self.new) (eth2 of prod-haproxy-001)"), "\(duplicate.message)")
        let answer = try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [here], keepalived: nil,
                                                                 wire: wire)).answers.first)
        #expect(answer.verdict.owner == .conflict, "\(answer.verdict)")
        #expect(answer.verdict.reason.hasPrefix("192.168.3.200 is held on \(Self.new) (eth2 of prod-haproxy-001) and claimed on the wire by \(Self.rogue)"),
                "\(answer.verdict.reason)")

        // The same host just after a failover to the VRRP sender 192.168.3.4 (whose gratuitous
        // ARPs come from its own MAC and the virtual MAC): no duplicate, the owner is not a conflict.
        var failover = VRRPCensusRecorder()
        var peer = PacketBuilder()
        peer.priority = 150
        var taken: [([UInt8], Double)] = (0..<3).map { (peer.ethernet, 0.5 + Double($0)) }
        taken += [(LinkFrameBuilder(sourceMAC: Self.old).announcement(Self.vip), 0.51),
                  (LinkFrameBuilder(sourceMAC: MACAddress("00:00:5e:00:01:c8")!).announcement(Self.vip), 0.52)]
        for (frame, seconds) in taken.sorted(by: { $0.1 < $1.1 }) {
            frame.withUnsafeBytes { failover.record(frame: $0, time: Self.time(seconds), link: CaptureLink(linkType: .ethernet, name: "eth2")) }
        }
        var moved = failover.report(source: Source(kind: .packet, detail: "test"))
        moved.linkLayer = failover.linkLayer.report(context: LinkLayerClaims.context(addresses: [Self.vip], wire: moved, hosts: [here]))
        #expect(moved.linkLayer?.addresses.first?.has(.duplicateAddress) == false, "\(moved.linkLayer?.addresses.first?.verdicts ?? [])")
    }
}
