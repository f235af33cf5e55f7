import HAExplainCore
import HAModel
import Testing
import LabSupport
import VRRP

/// The census from adverts made by hand: a timeline in seconds, as keepalived would send.
@Suite struct VRRPCensusTests {
    static let lb000 = IPAddress("192.168.3.4")!
    static let lb001 = IPAddress("192.168.3.5")!
    static let start: Int64 = 1_764_043_032

    struct Timeline {
        var census = VRRPCensus()
        var packet = 0

        @discardableResult
        mutating func advert(at seconds: Double, from source: IPAddress, vrid: UInt8 = 200, priority: UInt8 = 100,
                             vips: [String] = ["192.168.3.200"], interval: Int = 100, version: UInt8 = 2,
                             authType: UInt8 = 0, password: String? = nil, ttl: UInt8 = 255, checksumValid: Bool = true,
                             change: (inout VRRPAdvert) -> Void = { _ in }) -> Int {
            packet += 1
            let time = PacketTime(nanoseconds: VRRPCensusTests.start * 1_000_000_000 + Int64(seconds * 1e9))
            census.notePacket(time: time)
            var advert = VRRPAdvert(packet: packet, time: time, interface: "eth2", sourceAddress: source,
                                    destinationAddress: IPAddress("224.0.0.18")!, ttl: ttl, version: version, vrid: vrid,
                                    priority: priority, authType: version == 2 ? authType : nil, interval: interval,
                                    checksumValid: checksumValid, virtualAddresses: vips.map { IPAddress($0)! },
                                    authData: password.flatMap { VRRPAuthData(password: $0) })
            change(&advert)
            census.add(advert)
            return packet
        }

        /// Adverts from `source` once per `every` seconds over [from, to).
        mutating func adverts(from start: Double, to end: Double, every: Double = 1, source: IPAddress, priority: UInt8 = 100,
                              vrid: UInt8 = 200, vips: [String] = ["192.168.3.200"], change: (inout VRRPAdvert) -> Void = { _ in }) {
            var time = start
            while time < end - 1e-9 {
                advert(at: time, from: source, vrid: vrid, priority: priority, vips: vips, interval: Int((every * 100).rounded()), change: change)
                time += every
            }
        }

        /// Adverts from several sources merged in time order (as a capture interleaves them).
        mutating func merged(_ streams: [(start: Double, end: Double, source: IPAddress, priority: UInt8)], every: Double = 1) {
            var events: [(Double, IPAddress, UInt8)] = []
            for stream in streams {
                var time = stream.start
                while time < stream.end - 1e-9 { events.append((time, stream.source, stream.priority)); time += every }
            }
            for (time, source, priority) in events.sorted(by: { $0.0 < $1.0 }) {
                advert(at: time, from: source, priority: priority, interval: Int((every * 100).rounded()))
            }
        }

        func report(end: Double? = nil) -> VRRPCensusReport {
            census.report(source: Source(kind: .packet, detail: "test"),
                          end: end.map { PacketTime(nanoseconds: VRRPCensusTests.start * 1_000_000_000 + Int64($0 * 1e9)) })
        }
    }

    @Test("the seed at rest: each node masters one VRID, no verdicts")
    func seedAtRest() throws {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 6, source: Self.lb000, vrid: 200)
        timeline.adverts(from: 0.3, to: 6, source: Self.lb001, vrid: 201, vips: ["192.168.3.201"])
        let report = timeline.report()
        #expect(report.routers.map(\.vrid) == [200, 201])
        let vrid200 = report.routers[0]
        #expect(vrid200.master?.address == Self.lb000 && vrid200.master?.priority == 100)
        #expect(vrid200.senders.count == 1 && vrid200.senders[0].count == 6 && vrid200.senders[0].advertInt == 1)
        #expect(vrid200.verdicts.isEmpty)
        #expect(report.routers[1].master?.address == Self.lb001)
        #expect(report.capture.adverts == 12)
    }

    @Test("preemption by a higher priority is a master change, not a split brain")
    func preemption() {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 5, source: Self.lb001, priority: 99)
        timeline.adverts(from: 4.5, to: 12, source: Self.lb000, priority: 100)
        let router = timeline.report().routers[0]
        #expect(router.master?.address == Self.lb000)
        #expect(router.has(.masterChanged) && !router.has(.splitBrain))
        #expect(router.events.map(\.kind) == [.master, .master])
        #expect(router.events[1].previousAddress == Self.lb001)
    }

    @Test("two senders advertising longer than the master-down interval is a split brain")
    func splitBrain() {
        var timeline = Timeline()
        timeline.merged([(0, 8, Self.lb000, 100), (0.5, 8, Self.lb001, 99)])
        let router = timeline.report().routers[0]
        #expect(router.has(.splitBrain))
        #expect(router.master?.address == Self.lb000, "the higher priority would win")
        #expect(!router.has(.vridCollision))
        // One alternation (A B A) is a preemption under way as well: not yet.
        var brief = Timeline()
        brief.merged([(0, 1.1, Self.lb000, 100), (0.5, 1.1, Self.lb001, 99)])
        #expect(!brief.report().routers[0].has(.splitBrain))
    }

    @Test("a priority-0 advert is a resignation; the backup's adverts make it master")
    func resignation() throws {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 3, source: Self.lb000)
        timeline.advert(at: 3.1, from: Self.lb000, priority: 0)
        timeline.adverts(from: 3.8, to: 6, source: Self.lb001, priority: 99)
        let router = timeline.report().routers[0]
        #expect(router.events.map(\.kind) == [.master, .resigned, .master])
        #expect(router.has(.masterResigned) && router.has(.masterChanged))
        #expect(router.master?.address == Self.lb001 && router.master?.priority == 99)
        #expect(router.senders.first { $0.address == Self.lb000 }?.priority == 0)
    }

    @Test("a master silent for longer than its master-down interval is reported lost, with no master")
    func lostMaster() {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 3, source: Self.lb000)
        let router = timeline.report(end: 10).routers[0]
        #expect(router.master == nil)
        #expect(router.events.last?.kind == .lost)
        #expect(timeline.report(end: 4).routers[0].master?.address == Self.lb000)
    }

    @Test("different addresses, intervals, authentication or versions under one VRID are named")
    func mismatches() throws {
        var timeline = Timeline()
        timeline.advert(at: 0, from: Self.lb000, vips: ["192.168.3.151"])
        timeline.advert(at: 0.1, from: Self.lb001, vips: ["192.168.3.251"])
        timeline.advert(at: 0, from: Self.lb000, vrid: 52, interval: 100)
        timeline.advert(at: 0.1, from: Self.lb001, vrid: 52, interval: 200)
        timeline.advert(at: 0, from: Self.lb000, vrid: 53, authType: 1, password: "alpha1")
        timeline.advert(at: 0.1, from: Self.lb001, vrid: 53, authType: 1, password: "bravo2")
        timeline.advert(at: 0, from: Self.lb000, vrid: 54, version: 2)
        timeline.advert(at: 0.1, from: Self.lb001, vrid: 54, version: 3)
        let report = timeline.report()
        let codes = Dictionary(uniqueKeysWithValues: report.routers.map { ($0.vrid, Set($0.verdicts.map(\.code))) })
        #expect(codes[200]?.contains(.vridCollision) == true)
        #expect(codes[52]?.contains(.advertIntMismatch) == true && codes[52]?.contains(.vridCollision) == false)
        #expect(codes[53]?.contains(.authMismatch) == true)
        #expect(codes[54]?.contains(.versionMismatch) == true)
        let text = VRRPCensusText.render(report) + (try JSONOutput.encode(report))
        #expect(!text.contains("alpha1") && !text.contains("bravo2"))
        #expect(text.contains(Secret("alpha1").fingerprint))
    }

    @Test("TTL other than 255, bad checksums and priority 255 are reported; discarded adverts elect nobody")
    func packetLevelVerdicts() {
        var timeline = Timeline()
        timeline.advert(at: 0, from: Self.lb000, priority: 255, ttl: 64)
        timeline.advert(at: 0.5, from: Self.lb001, priority: 254, checksumValid: false)
        var router = timeline.report().routers[0]
        #expect(router.has(.badTTL) && router.has(.badChecksum))
        // Issue 12: a TTL-64 advert used to elect its sender; RFC receivers discard it.
        #expect(router.master == nil)
        #expect(router.senders.first { $0.address == Self.lb001 }?.badChecksum == 1)
        #expect(router.verdicts.first { $0.code == .badTTL }?.packets == [1])
        timeline.advert(at: 1, from: Self.lb000, priority: 255)
        router = timeline.report().routers[0]
        #expect(router.master?.address == Self.lb000 && router.has(.addressOwner))
    }

    @Test("every RFC discard is a verdict with its packets and never a vote: IP header checksum, TTL, version, type, checksum")
    func discardsNeverVote() throws {
        let changes: [(VRRPCensusReport.Verdict.Code, (inout VRRPAdvert) -> Void)] = [
            (.badIPChecksum, { $0.ipHeaderChecksumValid = false }),
            (.badTTL, { $0.ttl = 1 }),
            (.badVersion, { $0.version = 4 }),
            (.notAdvert, { $0.type = 2 }),
            (.badChecksum, { $0.checksumValid = false }),
        ]
        for (code, change) in changes {
            var timeline = Timeline()
            // The rogue sender at a higher priority than the real master, with a VIP of its own.
            timeline.adverts(from: 0, to: 4, source: Self.lb000, priority: 100)
            timeline.adverts(from: 0.5, to: 4.5, source: Self.lb001, priority: 200, vips: ["192.168.3.99"], change: change)
            let router = timeline.report().routers[0]
            #expect(router.master?.address == Self.lb000, "\(code)")
            #expect(!router.has(.splitBrain) && !router.has(.masterChanged) && !router.has(.vridCollision), "\(code)")
            let verdict = try #require(router.verdicts.first { $0.code == code }, "\(code): \(router.verdicts.map(\.code))")
            #expect(verdict.packets == [5, 8], "\(code)")
            #expect(router.senders.first { $0.address == Self.lb001 }?.discarded.map(\.count) == [4], "\(code)")
        }
    }

    @Test("VRRPv3 whose checksum leaves out the pseudo-header: discarded by RFC receivers, a master in its own eyes")
    func checksumWithoutPseudoHeader() throws {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 4, source: Self.lb001, priority: 100) { $0.version = 3; $0.checksumValid = false; $0.checksumWithoutPseudoHeader = true }
        var router = timeline.report().routers[0]
        let master = try #require(router.master)
        #expect(master.address == Self.lb001 && master.inOwnEyesOnly)
        let verdict = try #require(router.verdicts.first { $0.code == .checksumWithoutPseudoHeader })
        #expect(verdict.message.contains("keepalived 2.2.7") && verdict.message.contains("own eyes"))
        // Beside an RFC master on the same VRID: each holds the addresses, their adverts interleave.
        var both = Timeline()
        for second in 0..<4 {
            both.advert(at: Double(second), from: Self.lb001) { $0.version = 3; $0.checksumValid = false; $0.checksumWithoutPseudoHeader = true }
            both.advert(at: Double(second) + 0.5, from: Self.lb000, priority: 90) { $0.version = 3 }
        }
        router = both.report().routers[0]
        #expect(router.master?.address == Self.lb001 && router.master?.inOwnEyesOnly == true)
        #expect(router.has(.splitBrain))
        // A segment where every router computes it so (Cisco's VRRPv3, as in public captures):
        // they elect among themselves, so failover and preemption are master changes.
        var cisco = Timeline()
        let legacy: (inout VRRPAdvert) -> Void = { $0.version = 3; $0.checksumValid = false; $0.checksumWithoutPseudoHeader = true }
        cisco.adverts(from: 0, to: 3, source: Self.lb000, priority: 105, change: legacy)
        cisco.advert(at: 3.1, from: Self.lb000, priority: 0, change: legacy)
        cisco.adverts(from: 3.5, to: 6, source: Self.lb001, priority: 100, change: legacy)
        cisco.adverts(from: 6.2, to: 9, source: Self.lb000, priority: 105, change: legacy)
        router = cisco.report().routers[0]
        #expect(router.events.filter { $0.kind == .master }.map(\.address) == [Self.lb000, Self.lb001, Self.lb000])
        #expect(router.master?.address == Self.lb000 && router.master?.inOwnEyesOnly == true && !router.has(.splitBrain))
    }

    @Test("handovers in turn: several senders one after another, never interleaving, are master changes, never split brain")
    func handoversInTurn() {
        let c = IPAddress("192.168.3.6")!, d = IPAddress("192.168.3.7")!
        var timeline = Timeline()
        // Each starts within an interval of the previous one's last advert (a resignation then
        // an immediate takeover), or seconds later (a failover): the old model saw overlaps.
        timeline.adverts(from: 0, to: 5, source: Self.lb000, priority: 100)
        timeline.adverts(from: 4.3, to: 9, source: Self.lb001, priority: 90)
        timeline.adverts(from: 9.2, to: 14, source: c, priority: 80)
        timeline.adverts(from: 17.9, to: 22, source: d, priority: 70)
        let router = timeline.report().routers[0]
        #expect(!router.has(.splitBrain), "\(router.verdicts.map(\.message))")
        #expect(router.has(.masterChanged))
        #expect(router.events.filter { $0.kind == .master }.map(\.address) == [Self.lb000, Self.lb001, c, d])
        #expect(router.master?.address == d)
    }

    @Test("interleaved masters for about 3 s, equal or unequal priority: split brain named within about two intervals, with the packets")
    func interleavedMasters() throws {
        for priorities: (UInt8, UInt8) in [(100, 100), (100, 99), (150, 50)] {
            var timeline = Timeline()
            timeline.merged([(0, 3.1, Self.lb000, priorities.0), (0.5, 3.6, Self.lb001, priorities.1)])
            let router = timeline.report().routers[0]
            let verdict = try #require(router.verdicts.first { $0.code == .splitBrain }, "\(priorities)")
            #expect(verdict.packets.count >= 3, "\(priorities): \(verdict.packets)")
            // Named within about two intervals of the second master's first advert (0.5 s).
            var early = Timeline()
            early.merged([(0, 3.0, Self.lb000, priorities.0), (0.5, 2.6, Self.lb001, priorities.1)])
            #expect(early.report().routers[0].has(.splitBrain), "\(priorities): not named by 2.5 s")
            #expect(!router.has(.vridCollision))
        }
    }

    @Test("preemption: the lower master yields within an interval (one advert racing the better one's), a master change")
    func preemptionWithRace() {
        var timeline = Timeline()
        // lb001's timer fired 2 ms after lb000's first advert arrived, before it was read.
        timeline.adverts(from: 0, to: 3, source: Self.lb001, priority: 99)
        timeline.advert(at: 2.998, from: Self.lb000, priority: 100)
        timeline.advert(at: 3.0, from: Self.lb001, priority: 99)
        timeline.adverts(from: 3.998, to: 8, source: Self.lb000, priority: 100)
        let router = timeline.report().routers[0]
        #expect(!router.has(.splitBrain))
        #expect(router.master?.address == Self.lb000 && router.has(.masterChanged))
    }

    @Test("failover: the master stops, the backup starts after its master-down interval")
    func failover() {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 4, source: Self.lb000, priority: 100)
        timeline.adverts(from: 6.6, to: 10, source: Self.lb001, priority: 99)
        let router = timeline.report().routers[0]
        #expect(!router.has(.splitBrain))
        #expect(router.events.map(\.kind) == [.master, .lost, .master])
        #expect(router.master?.address == Self.lb001 && router.has(.masterChanged))
    }

    @Test("a fresh 3-second partition: the backup's adverts interleave with the master's for 3 s, a split brain, not a master change")
    func freshPartition() {
        var timeline = Timeline()
        timeline.merged([(0, 10, Self.lb000, 100), (5.3, 8.4, Self.lb001, 99)])
        let router = timeline.report().routers[0]
        #expect(router.has(.splitBrain))
        #expect(!router.has(.masterChanged), "the higher priority stayed master throughout")
        #expect(router.master?.address == Self.lb000)
    }

    @Test("a split brain is named at the worse master's second advert after the better one's first, in phase or not")
    func namedEarly() {
        var timeline = Timeline()
        timeline.merged([(0, 1.1, Self.lb000, 100), (0.7, 1.8, Self.lb001, 99)])
        #expect(timeline.report().routers[0].has(.splitBrain), "A0 B0.7 A1 B1.7")
        // In phase (each advert 10 ms after the other's) just the same.
        var close = Timeline()
        close.merged([(0, 1.1, Self.lb000, 100), (0.01, 1.02, Self.lb001, 99)])
        #expect(close.report().routers[0].has(.splitBrain), "A0 B0.01 A1 B1.01")
    }

    @Test("the overlap clock never carries from one pair of senders to the next")
    func overlapDoesNotCarry() {
        var timeline = Timeline()
        // lb000 steady; four nodes restart one after another in state MASTER, each sending one
        // advert before it hears lb000 and yields: 4 s of some other sender beside lb000.
        timeline.merged([(0, 12, Self.lb000, 100), (2.5, 2.6, Self.lb001, 99), (3.5, 3.6, IPAddress("192.168.3.6")!, 98),
                         (4.5, 4.6, IPAddress("192.168.3.7")!, 97), (5.5, 5.6, IPAddress("192.168.3.8")!, 96)])
        let router = timeline.report().routers[0]
        #expect(!router.has(.splitBrain), "\(router.verdicts.map(\.message))")
    }

    @Test("the same VRID on two VLANs or two interfaces is two routers, never a VRID collision")
    func vridPerLink() throws {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 3, source: Self.lb000, vips: ["192.168.3.200"]) { $0.vlans = [100] }
        timeline.adverts(from: 0.2, to: 3, source: IPAddress("10.0.0.4")!, vips: ["10.0.0.200"]) { $0.vlans = [200] }
        timeline.adverts(from: 0.4, to: 3, source: IPAddress("10.1.0.4")!, vips: ["10.1.0.200"]) { $0.interface = "eth3" }
        timeline.adverts(from: 0.6, to: 3, source: IPAddress("10.2.0.4")!, vips: ["10.2.0.200"]) { $0.vlans = [10, 200] }
        let report = timeline.report()
        #expect(report.routers.count == 4)
        #expect(report.routers.allSatisfy { !$0.has(.vridCollision) && !$0.has(.splitBrain) && $0.master != nil })
        #expect(Set(report.routers.map { "\($0.interface ?? "-")/\($0.vlans)" }) == ["eth2/[100]", "eth2/[200]", "eth3/[]", "eth2/[10, 200]"])
        let text = VRRPCensusText.render(report)
        #expect(text.contains("on eth2  VLAN 100") && text.contains("VLAN 10.200"), "\(text)")
        let json = try JSONOutput.encode(report)
        #expect(json.contains("\"vlans\""))
        // On one link and VLAN, different addresses under one VRID still collide.
        timeline.adverts(from: 3, to: 5, source: IPAddress("192.168.3.9")!, vips: ["192.168.3.99"]) { $0.vlans = [100] }
        #expect(timeline.report().routers.first { $0.vlans == [100] }?.has(.vridCollision) == true)
    }

    @Test("CARP virtual hosts are reported apart from VRRP routers, and a LAN carrying both says so")
    func carpBesideVRRP() throws {
        var census = VRRPCensus()
        for second in 0..<4 {
            let time = PacketTime(seconds: Self.start + Int64(second))
            census.notePacket(time: time)
            census.add(CARPAdvert(packet: 2 * second + 1, time: time, interface: "eth2", interfaceIndex: nil, vlans: [], sourceMAC: nil,
                                  sourceAddress: IPAddress("192.168.3.7")!, destinationAddress: IPAddress("224.0.0.18")!, ttl: 255,
                                  version: 2, type: 1, vhid: 200, advskew: 10, authLength: 7, demotion: 0, advbase: 1, checksum: 0,
                                  checksumValid: true, counter: UInt64(second)))
            census.add(VRRPAdvert(packet: 2 * second + 2, time: time, interface: "eth2", sourceAddress: Self.lb000,
                                  destinationAddress: IPAddress("224.0.0.18")!, vrid: 200, priority: 100,
                                  virtualAddresses: [IPAddress("192.168.3.200")!]))
        }
        let report = census.report(source: Source(kind: .packet, detail: "test"))
        #expect(report.routers.count == 1 && report.routers[0].verdicts.isEmpty, "\(report.routers.map(\.verdicts))")
        let host = try #require(report.carpHosts.first)
        #expect(host.vhid == 200 && host.master?.address == IPAddress("192.168.3.7")! && host.master?.advskew == 10)
        #expect(host.verdicts.map(\.code) == [.carp, .carpAndVRRP])
        #expect(report.capture.carpAdverts == 4 && report.capture.adverts == 4 && report.capture.malformed == 0)
        #expect(VRRPCensusText.render(report).contains("CARP vhid 200"))
    }

    @Test("a configured VRID with no adverts is silent (the hook for keepalived configs)")
    func silentHook() {
        var timeline = Timeline()
        timeline.adverts(from: 0, to: 2, source: Self.lb000)
        let report = timeline.census.report(source: Source(kind: .packet), expected: [
            .init(interface: "eth2", family: .inet, vrid: 200, source: .file("/etc/keepalived/keepalived.conf", line: 14)),
            .init(interface: "eth2", family: .inet, vrid: 201, source: .file("/etc/keepalived/keepalived.conf", line: 26)),
        ])
        #expect(report.routers.map(\.vrid) == [200, 201])
        #expect(report.routers[1].verdicts.map(\.code) == [.silent])
        #expect(report.routers[1].verdicts[0].source.description == "/etc/keepalived/keepalived.conf:26")
    }

    @Test("200,000 flapping adverts keep events and senders bounded")
    func boundedMemory() {
        var timeline = Timeline()
        for second in 0..<200_000 {
            // Two nodes taking turns every 4 s: a master change each time.
            let source = second / 4 % 2 == 0 ? Self.lb000 : Self.lb001
            timeline.advert(at: Double(second), from: source, priority: second / 4 % 2 == 0 ? 100 : 99)
        }
        let router = timeline.report().routers[0]
        #expect(router.events.count <= 1000)
        #expect(router.eventsDropped > 0)
        #expect(router.senders.count == 2)
    }
}


/// When `haexplain ip` may stop listening: only once the answer cannot change.
@Suite struct ListeningRuleTests {
    static let vip = IPAddress("192.168.3.200")!

    /// Listening began at 0 s (the timeline's start).
    func progress(_ timeline: VRRPCensusTests.Timeline, at seconds: Double, vrids: Set<Int> = [200],
                  addresses: [IPAddress] = [vip]) -> WireSufficiency.Progress {
        WireSufficiency.progress(timeline.census, since: PacketTime(seconds: VRRPCensusTests.start),
                                 now: PacketTime(nanoseconds: VRRPCensusTests.start * 1_000_000_000 + Int64(seconds * 1e9)),
                                 vrids: vrids, addresses: addresses)
    }

    @Test("one master: not before an advert interval of listening (a second master would have spoken), then at once")
    func calm() {
        var timeline = VRRPCensusTests.Timeline()
        timeline.adverts(from: 0.3, to: 2, source: VRRPCensusTests.lb000)
        #expect(!progress(timeline, at: 0.3).answered)
        #expect(!progress(timeline, at: 1.05).answered, "a second master advertising every second may not have spoken yet")
        let done = progress(timeline, at: 1.15)
        #expect(done.answered && done.explanation.contains("one master, 192.168.3.4"), "\(done.explanation)")
        // Heard only for another address (the same VRID on another LAN): keep listening.
        #expect(!progress(timeline, at: 2.1, addresses: [IPAddress("10.0.0.1")!]).answered)
        // A router first heard late is settled as soon as it is heard.
        var late = VRRPCensusTests.Timeline()
        #expect(!progress(late, at: 3.0).answered)
        late.advert(at: 3.2, from: VRRPCensusTests.lb001)
        #expect(progress(late, at: 3.2).answered)
    }

    @Test("two senders interleaving: never stop until the split brain is named; then stop")
    func splitBrainForming() {
        var timeline = VRRPCensusTests.Timeline()
        // The better master's second advert could be a new master's after the old one's late advert: not yet.
        timeline.merged([(0, 1.1, VRRPCensusTests.lb001, 99), (0.5, 1.6, VRRPCensusTests.lb000, 100)])
        let forming = progress(timeline, at: 1.7)
        #expect(!forming.answered && forming.explanation.contains("split brain in the making"), "\(forming.explanation)")
        timeline.advert(at: 2, from: VRRPCensusTests.lb001, priority: 99)
        let named = progress(timeline, at: 2.0)
        #expect(named.answered && named.explanation.contains("split brain named"), "\(named.explanation)")
    }

    @Test("a conflict still forming when the bound passes is told apart by two intervals after the second sender's first advert (advert_int 3); one master has no such time")
    func decidedBy() {
        var timeline = VRRPCensusTests.Timeline()
        for second in stride(from: 0.0, to: 4, by: 3) {
            timeline.advert(at: second, from: VRRPCensusTests.lb001, priority: 99, interval: 300)
            timeline.advert(at: second + 1, from: VRRPCensusTests.lb000, priority: 100, interval: 300)
        }
        // B0 A1 B3 A4: A's second advert could be a new master's, so not yet; B's next (at 6) decides.
        let forming = progress(timeline, at: 5)
        let expected = PacketTime(nanoseconds: (VRRPCensusTests.start + 1) * 1_000_000_000).adding(centiseconds: 630)
        #expect(!forming.answered && forming.decidedBy == expected, "\(forming)")
        #expect(WireSufficiency.forming(timeline.census, now: PacketTime(nanoseconds: (VRRPCensusTests.start + 5) * 1_000_000_000)).decidedBy == expected)
        var calm = VRRPCensusTests.Timeline()
        calm.adverts(from: 0, to: 7, every: 3, source: VRRPCensusTests.lb000)
        #expect(progress(calm, at: 7).decidedBy == nil)
        #expect(WireSufficiency.forming(calm.census, now: PacketTime(nanoseconds: (VRRPCensusTests.start + 7) * 1_000_000_000)).decidedBy == nil)
    }

    @Test("a split brain on a loaded host whose adverts come late (the third a quarter second past its interval): the time two intervals after the second sender's first passes undecided, so listening waits for the next advert either owes, which names it")
    func lateAdvertsOfALoadedHost() {
        // lb001 (100) deaf to lb000 (101), which answers each of its adverts 30 ms later (keepalived's
        // master resetting its timer on a lower advert): B A B A, then B late.
        var timeline = VRRPCensusTests.Timeline()
        for (time, source, priority) in [(0.0, VRRPCensusTests.lb001, 100), (0.03, VRRPCensusTests.lb000, 101),
                                         (1.0, VRRPCensusTests.lb001, 100), (1.03, VRRPCensusTests.lb000, 101)] as [(Double, IPAddress, UInt8)] {
            timeline.advert(at: time, from: source, priority: priority)
        }
        let forming = progress(timeline, at: 2.2)
        let owed = PacketTime(nanoseconds: VRRPCensusTests.start * 1_000_000_000 + 1_000_000_000).adding(centiseconds: 100 + (256 - 100) * 100 / 256 + 10)
        #expect(!forming.answered && forming.decidedBy == owed, "\(forming)")
        timeline.advert(at: 2.25, from: VRRPCensusTests.lb001, priority: 100)
        #expect(progress(timeline, at: 2.25).explanation.contains("split brain named"))
        // The old master of a preemption stops instead: once its advert is overdue there is nothing
        // to wait for past the bound, and the new master's next advert settles it.
        var preemption = VRRPCensusTests.Timeline()
        for (time, source, priority) in [(0.0, VRRPCensusTests.lb001, 100), (0.03, VRRPCensusTests.lb000, 101),
                                         (1.0, VRRPCensusTests.lb001, 100), (1.03, VRRPCensusTests.lb000, 101), (2.03, VRRPCensusTests.lb000, 101)] as [(Double, IPAddress, UInt8)] {
            preemption.advert(at: time, from: source, priority: priority)
        }
        #expect(progress(preemption, at: 2.75).decidedBy == nil)
        preemption.advert(at: 3.03, from: VRRPCensusTests.lb000, priority: 101)
        #expect(progress(preemption, at: 3.03).answered)
    }

    @Test("a preemption under way is waited out; no address to explain needs no listening")
    func preemptionAndNothingToExplain() {
        var timeline = VRRPCensusTests.Timeline()
        timeline.adverts(from: 0, to: 3, source: VRRPCensusTests.lb001, priority: 99)
        timeline.advert(at: 2.6, from: VRRPCensusTests.lb000, priority: 100)
        #expect(!progress(timeline, at: 2.7).answered, "both advertised within an interval")
        timeline.adverts(from: 3.6, to: 5, source: VRRPCensusTests.lb000, priority: 100)
        #expect(progress(timeline, at: 4.7).answered)
        #expect(progress(VRRPCensusTests.Timeline(), at: 0, addresses: []).answered)
    }
}

/// Split brain or master change, advert by advert (advert_int 1): when the census first names a
/// split brain, and that no master change is ever named one. In a master change the old master
/// sends at most one advert after the new master's first; in a split brain both go on.
/// When listening ends before two masters are told apart (an explicit --listen shorter than a
/// split brain takes to name), what the answer carries: the time they would have been told
/// apart, and the limit said of it. Pure: a timeline, the bound, how listening ended.
@Suite struct ListeningCutShortTests {
    typealias T = VRRPCensusTests

    static func time(_ seconds: Double) -> PacketTime {
        PacketTime(nanoseconds: T.start * 1_000_000_000 + Int64(seconds * 1e9))
    }

    /// The split brain at advert_int 3 (lb001 from 0 s, lb000 from 1 s), heard until `end`.
    static func slowSplitBrain(until end: Double) -> T.Timeline {
        var timeline = T.Timeline()
        for second in stride(from: 0.0, to: end, by: 3) {
            timeline.advert(at: second, from: T.lb001, priority: 99, interval: 300)
            if second + 1 < end { timeline.advert(at: second + 1, from: T.lb000, priority: 100, interval: 300) }
        }
        return timeline
    }

    /// How `ip` (its progress over the VRIDs that matter) and `vrrp` (every router) leave a
    /// listening that ended at `end` for `reason`.
    static func ended(_ timeline: T.Timeline, at end: Double, _ reason: VRRPCensusReport.Listening.Reason) -> (ip: PacketTime?, vrrp: PacketTime?) {
        let ip = WireSufficiency.progress(timeline.census, since: time(0), now: time(end), vrids: [200], addresses: [ListeningRuleTests.vip])
        let vrrp = WireSufficiency.forming(timeline.census, now: time(end))
        return (WireSufficiency.undecided(ip, endedBecause: reason), WireSufficiency.undecided(vrrp, endedBecause: reason))
    }

    @Test("--listen 5 at advert_int 3 with two masters (B0 A1 B3 A4): undecided until two intervals after A's first advert; the limit names it and says listen longer")
    func explicitListenEndsFirst() throws {
        let timeline = Self.slowSplitBrain(until: 5)
        let expected = Self.time(1).adding(centiseconds: 630)
        let undecided = Self.ended(timeline, at: 5, .timeUp)
        #expect(undecided.ip == expected && undecided.vrrp == expected, "\(undecided)")
        let listening = VRRPCensusReport.Listening(seconds: 5.04, limit: 5, reason: .timeUp, explanation: "the bound passed while waiting",
                                                   undecidedUntil: undecided.ip)
        let limit = try #require(WireSufficiency.limit(listening))
        #expect(limit.source == .liveCapture && limit.host == nil)
        #expect(limit.message.hasPrefix("listening ended after 5.0 s while two senders still advertised as master, before a split brain and a master change could be told apart (at \(expected))"), "\(limit.message)")
        #expect(limit.message.hasSuffix("listen longer (--listen)"))
        // Ctrl-C at the same moment leaves the same question open.
        let interrupted = Self.ended(timeline, at: 5, .interrupted)
        #expect(interrupted.ip == expected)
        #expect(WireSufficiency.limit(.init(seconds: 5, limit: 7, reason: .interrupted, explanation: "", undecidedUntil: interrupted.ip))?.message.hasPrefix("listening was interrupted after 5.0 s") == true)
    }

    @Test("listening long enough names the split brain: nothing left undecided, no limit; an answered listening never has one")
    func longEnoughNamesIt() {
        let timeline = Self.slowSplitBrain(until: 8)
        let undecided = Self.ended(timeline, at: 8, .timeUp)
        #expect(undecided.ip == nil && undecided.vrrp == nil, "\(undecided)")
        #expect(WireSufficiency.limit(.init(seconds: 8, limit: 30, reason: .answered, explanation: "split brain named")) == nil)
        // Even were a conflict still forming, an answered listening (the rule said stop) has none.
        #expect(Self.ended(Self.slowSplitBrain(until: 5), at: 5, .answered) == (nil, nil))
    }

    @Test("one master, or a master change already over (the old one silent past its master-down interval): a short listen leaves nothing undecided")
    func nothingForming() {
        var calm = T.Timeline()
        calm.adverts(from: 0, to: 2, every: 3, source: T.lb000)
        #expect(Self.ended(calm, at: 2, .timeUp) == (nil, nil))
        var failover = T.Timeline()
        failover.adverts(from: 0, to: 3, source: T.lb000, priority: 100)
        failover.adverts(from: 3.5, to: 8, source: T.lb001, priority: 99)
        #expect(Self.ended(failover, at: 8, .timeUp) == (nil, nil))
    }

    @Test("a second pair forming on another VRID is vrrp's question, not ip's about VRID 200")
    func otherRouterIsVRRPsOnly() {
        var timeline = T.Timeline()
        timeline.adverts(from: 0, to: 5, every: 3, source: T.lb000, vrid: 200)
        for second in stride(from: 0.0, to: 5, by: 3) {
            timeline.advert(at: second, from: T.lb001, vrid: 201, priority: 99, vips: ["192.168.3.201"], interval: 300)
            timeline.advert(at: second + 1, from: T.lb000, vrid: 201, priority: 100, vips: ["192.168.3.201"], interval: 300)
        }
        let undecided = Self.ended(timeline, at: 5, .timeUp)
        #expect(undecided.ip == nil && undecided.vrrp == Self.time(1).adding(centiseconds: 630), "\(undecided)")
    }
}

@Suite struct SplitBrainOrMasterChangeTests {
    typealias Advert = (time: Double, source: IPAddress, priority: UInt8)
    static let a = VRRPCensusTests.lb000, b = VRRPCensusTests.lb001

    static func every(_ source: IPAddress, _ priority: UInt8, from start: Double, to end: Double) -> [Advert] {
        stride(from: start, to: end - 1e-9, by: 1).map { ($0, source, priority) }
    }

    /// The time of the advert at which the split brain is first named (adverts fed in time order).
    static func namedAt(_ adverts: [Advert]) -> Double? {
        named(adverts).at
    }

    static func named(_ adverts: [Advert]) -> (at: Double?, router: VRRPCensusReport.Router) {
        var timeline = VRRPCensusTests.Timeline()
        var at: Double?
        for advert in adverts.sorted(by: { $0.time < $1.time }) {
            timeline.advert(at: advert.time, from: advert.source, priority: advert.priority)
            if at == nil, timeline.report().routers[0].has(.splitBrain) { at = advert.time }
        }
        return (at, timeline.report().routers[0])
    }

    @Test("two masters in phase: named at the worse one's second advert after the better one's first (the fourth advert), or at its third when it spoke first")
    func inPhase() {
        #expect(Self.namedAt(Self.every(Self.a, 100, from: 0, to: 6) + Self.every(Self.b, 99, from: 0.002, to: 6)) == 1.002)
        // B A B A: A's second advert could be a new master's, B's the old one's late advert; B's third cannot.
        #expect(Self.namedAt(Self.every(Self.b, 99, from: 0, to: 6) + Self.every(Self.a, 100, from: 0.002, to: 6)) == 2)
        // Equal priorities: the higher address (192.168.3.5) is the better.
        #expect(Self.namedAt(Self.every(Self.b, 100, from: 0, to: 6) + Self.every(Self.a, 100, from: 0.002, to: 6)) == 1.002)
    }

    @Test("two masters at any phase: named by the fourth advert when the better spoke first, by the fifth otherwise", arguments: [0.05, 0.3, 0.5, 0.613, 0.9, 0.998])
    func anyPhase(phase: Double) {
        let better = Self.every(Self.a, 100, from: 0, to: 6), worse = Self.every(Self.b, 99, from: phase, to: 6)
        #expect(Self.namedAt(better + worse) == 1 + phase)
        let late = Self.every(Self.a, 100, from: phase, to: 6), early = Self.every(Self.b, 99, from: 0, to: 6)
        #expect(Self.namedAt(late + early) == 2)
        // Never before the third advert of a pair: two adverts of each, interleaved, at the least.
        #expect(Self.namedAt(Array((better + worse).sorted { $0.time < $1.time }.prefix(3))) == nil)
    }

    @Test("handover, preemption and failover, each with the old master's one advert after the new master's first (racing or late): never a split brain",
          arguments: [0.003, 0.3, 0.9])
    func masterChanges(overlap: Double) throws {
        // The old master's adverts fall at `overlap` after the new master's first, at `change`.
        func old(_ source: IPAddress, change: Double, priority: (Double) -> UInt8) -> [Advert] {
            Self.every(source, 0, from: change + overlap - 6, to: change + overlap + 0.01).map { ($0.time, source, priority($0.time)) }
        }
        let timelines: [(String, [Advert], IPAddress)] = [
            // lb001 (99) masters; lb000 (100) comes up and preempts at 2.6.
            ("preemption", old(Self.b, change: 2.6) { _ in 99 } + Self.every(Self.a, 100, from: 2.6, to: 8), Self.a),
            // haproxy dies on lb000 at 2.5: it advertises 98; lb001 (99) takes over at 5.61.
            ("failover", old(Self.a, change: 5.61) { $0 < 2.5 ? 100 : 98 } + Self.every(Self.b, 99, from: 5.61, to: 11), Self.b),
            // The master's priority drops below the backup's, which preempts at 3.2.
            ("preemption by a priority drop", old(Self.a, change: 3.2) { $0 < 2 ? 100 : 90 } + Self.every(Self.b, 99, from: 3.2, to: 9), Self.b),
            // keepalived stops on lb000 (priority 0); lb001 takes over at once: no overlap.
            ("handover", Self.every(Self.a, 100, from: 0, to: 3.5) + [(3.55, Self.a, 0)] + Self.every(Self.b, 99, from: 3.6, to: 9), Self.b),
        ]
        for (name, adverts, master) in timelines {
            let (at, router) = Self.named(adverts)
            #expect(at == nil, "\(name), overlap \(overlap) s: named at \(at ?? 0)")
            #expect(router.master?.address == master && router.has(.masterChanged), "\(name): \(router.verdicts.map(\.message))")
        }
    }

    @Test("a split brain heard from its worse master first is no master change: the census takes the first heard for master until the better speaks, while both go on")
    func splitBrainIsNoMasterChange() {
        let (at, router) = Self.named(Self.every(Self.b, 99, from: 0, to: 6) + Self.every(Self.a, 100, from: 0.5, to: 6))
        #expect(at == 2 && router.master?.address == Self.a)
        #expect(!router.has(.masterChanged), "\(router.verdicts.map(\.message))")
        // A real takeover before a split brain stays one (the paused master's peer took over, then both went on).
        let paused = Self.every(Self.a, 100, from: 0, to: 3.5) + Self.every(Self.b, 99, from: 6.61, to: 12) + Self.every(Self.a, 100, from: 7.3, to: 12)
        let (pausedAt, pausedRouter) = Self.named(paused)
        #expect(pausedAt != nil)
        let changed = pausedRouter.verdicts.first { $0.code == .masterChanged }?.message ?? ""
        #expect(changed.contains("changed 1 time(s): 192.168.3.4 -> 192.168.3.5"), "\(changed)")
    }

    @Test("a master paused past its master-down interval comes back: its first advert starts afresh, a preemption back, no split brain; if both go on, a split brain")
    func pausedMaster() {
        // lb000 (100) paused after 3 s; lb001 (99) takes over at 6.61; lb000 resumes at 7.3, its
        // timer's advert first, then (reading lb001's lower adverts) at once another; lb001 yields.
        let back = Self.every(Self.a, 100, from: 0, to: 3.5) + [(7.3, Self.a, 100), (7.301, Self.a, 100)] + Self.every(Self.a, 100, from: 8.3, to: 12)
            + [(6.61, Self.b, 99)]
        #expect(Self.namedAt(back) == nil)
        // lb001 does not hear it (a partition that began with the pause): both go on.
        let partitioned = back + Self.every(Self.b, 99, from: 7.61, to: 12)
        #expect(Self.namedAt(partitioned) == 8.61)
    }
}
