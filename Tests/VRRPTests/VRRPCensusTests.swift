import HAExplainCore
import HAModel
import Testing
import VRRP

/// The census from adverts made by hand: a timeline in seconds, as keepalived would send.
@Suite struct VRRPCensusTests {
    static let lb000 = IPAddress("192.168.3.4")!
    static let lb001 = IPAddress("192.168.3.5")!
    static let start: Int64 = 1_764_043_032

    struct Timeline {
        var census = VRRPCensus()
        var packet = 0

        mutating func advert(at seconds: Double, from source: IPAddress, vrid: UInt8 = 200, priority: UInt8 = 100,
                             vips: [String] = ["192.168.3.200"], interval: Int = 100, version: UInt8 = 2,
                             authType: UInt8 = 0, password: String? = nil, ttl: UInt8 = 255, checksumValid: Bool = true) {
            packet += 1
            let time = PacketTime(nanoseconds: VRRPCensusTests.start * 1_000_000_000 + Int64(seconds * 1e9))
            census.notePacket(time: time)
            census.add(VRRPAdvert(packet: packet, time: time, interface: "eth2", sourceAddress: source,
                                  destinationAddress: IPAddress("224.0.0.18")!, ttl: ttl, version: version, vrid: vrid,
                                  priority: priority, authType: version == 2 ? authType : nil, interval: interval,
                                  checksumValid: checksumValid, virtualAddresses: vips.map { IPAddress($0)! },
                                  authData: password.map(Secret.init)))
        }

        /// Adverts from `source` once per `every` seconds over [from, to).
        mutating func adverts(from start: Double, to end: Double, every: Double = 1, source: IPAddress, priority: UInt8 = 100,
                              vrid: UInt8 = 200, vips: [String] = ["192.168.3.200"]) {
            var time = start
            while time < end {
                advert(at: time, from: source, vrid: vrid, priority: priority, vips: vips, interval: Int(every * 100))
                time += every
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
        timeline.adverts(from: 0, to: 8, source: Self.lb000, priority: 100)
        timeline.adverts(from: 0.5, to: 8, source: Self.lb001, priority: 99)
        let router = timeline.report().routers[0]
        #expect(router.has(.splitBrain))
        #expect(router.master?.address == Self.lb000, "the higher priority would win")
        #expect(!router.has(.vridCollision))
        // Shorter than 3 x 1 s + skew: not yet.
        var brief = Timeline()
        brief.adverts(from: 0, to: 3, source: Self.lb000, priority: 100)
        brief.adverts(from: 0.5, to: 3, source: Self.lb001, priority: 99)
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

    @Test("TTL other than 255, bad checksums and priority 255 are reported; corrupted adverts do not elect")
    func packetLevelVerdicts() {
        var timeline = Timeline()
        timeline.advert(at: 0, from: Self.lb000, priority: 255, ttl: 64)
        timeline.advert(at: 0.5, from: Self.lb001, priority: 254, checksumValid: false)
        let router = timeline.report().routers[0]
        #expect(router.has(.badTTL) && router.has(.addressOwner) && router.has(.badChecksum))
        #expect(router.master?.address == Self.lb000)
        #expect(router.senders.first { $0.address == Self.lb001 }?.badChecksum == 1)
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
