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

@Suite struct VRRPCensusRecorderTests {
    /// SplitMix64: a seeded generator, so a failing sequence can be replayed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9e37_79b9_7f4a_7c15
            var z = state
            z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
            z = (z ^ (z >> 27)) &* 0x94d1_049b_133a_11eb
            return z ^ (z >> 31)
        }
    }

    /// The census from the recorder (reused decodes, the repeat shortcut) and from decoding
    /// every frame afresh, as JSON.
    static func bothCensuses(_ frames: [([UInt8], PacketTime)]) throws -> (fast: String, full: String) {
        var recorder = VRRPCensusRecorder(linkType: .ethernet)
        var decoder = VRRPDecoder()
        var reference = VRRPCensus()
        for (index, (frame, time)) in frames.enumerated() {
            frame.withUnsafeBytes { recorder.record(frame: $0, time: time) }
            reference.notePacket(time: time)
            do {
                if let advert = try frame.withUnsafeBytes({ buffer throws(VRRPDecodeError) in
                    try decoder.decode(frame: buffer, linkType: .ethernet, packet: index + 1, time: time)
                }) {
                    reference.add(advert)
                }
            } catch {
                reference.noteMalformed(packet: index + 1, reason: (error as? VRRPDecodeError)?.reason ?? "\(error)")
            }
        }
        let source = Source(kind: .packet, detail: "test")
        return (try JSONOutput.encode(recorder.census.report(source: source)), try JSONOutput.encode(reference.report(source: source)))
    }

    @Test("random wire histories (failover, resignation, rivals, gaps, clocks going back): the shortcut changes nothing",
          arguments: [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomHistoriesMatchFullDecode(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        // Two nodes contesting VRID 200 at three priorities (0 = resigning), one at 98 with a
        // bad checksum or TTL now and then, and a lone master of VRID 201.
        var pool: [PacketBuilder] = []
        for (source, last) in [("192.168.3.4", UInt8(0x1c)), ("192.168.3.5", UInt8(0x70))] {
            for priority: UInt8 in [100, 98, 0] {
                var builder = PacketBuilder()
                builder.source = IPAddress(source)!
                builder.mac[5] = last
                builder.priority = priority
                pool.append(builder)
            }
        }
        var broken = pool[1]
        broken.corruptChecksum = true
        pool.append(broken)
        broken = pool[4]
        broken.ttl = 64
        pool.append(broken)
        var other = PacketBuilder()
        other.vrid = 201
        other.source = IPAddress("192.168.3.6")!
        pool.append(other)
        var frames: [([UInt8], PacketTime)] = []
        var seconds: Int64 = 1_764_043_032
        var current = 0
        for index in 0..<400 {
            // Mostly the same sender again (the steady state), sometimes another.
            if Int.random(in: 0..<10, using: &random) < 3 { current = Int.random(in: 0..<pool.count, using: &random) }
            var builder = pool[current]
            builder.ipID = UInt16(truncatingIfNeeded: index)
            switch Int.random(in: 0..<20, using: &random) {
            case 0: seconds += 10    // longer than any master-down interval
            case 1: seconds -= 1     // a merged capture going back in time
            case 2: break            // same second
            default: seconds += 1
            }
            frames.append((builder.ethernet, PacketTime(seconds: seconds)))
        }
        let (fast, full) = try Self.bothCensuses(frames)
        #expect(fast == full, "seed \(seed)")
    }

    @Test("reusing the decode of a repeated frame gives the same census as decoding every frame")
    func repeatedFramesMatchFullDecode() throws {
        var frames: [[UInt8]] = []
        for index in 0..<60 {
            var builder = PacketBuilder()
            builder.ipID = UInt16(index)  // keepalived numbers its packets; nothing else changes
            switch index % 3 {
            case 0: builder.vrid = 200
            case 1: builder.vrid = 201; builder.source = IPAddress("192.168.3.5")!; builder.mac[5] = 0x70
            default: builder.vrid = 53; builder.authType = 1; builder.password = Array("alpha1".utf8)
            }
            if index >= 30, index % 3 == 0 { builder.priority = 98 }
            if index == 45 { builder.corruptChecksum = true }
            if index == 50 { builder.ttl = 64 }
            frames.append(index % 7 == 6 ? Array(builder.ethernet.prefix(30)) : builder.ethernet)
        }
        let timed = frames.enumerated().map { ($1, PacketTime(seconds: 1_764_043_032 + Int64($0))) }
        let (fast, full) = try Self.bothCensuses(timed)
        #expect(fast == full)
        #expect(fast.contains("bad_checksum") && fast.contains("bad_ttl") && fast.contains("priority_changed"))
    }
}
