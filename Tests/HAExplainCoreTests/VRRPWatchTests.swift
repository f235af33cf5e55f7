import HAExplainCore
import HAModel
import Testing
import VRRP

/// `vrrp --watch` as a story: the census is looked at every half second while adverts arrive,
/// and each change comes out once, when it happens.
@Suite struct VRRPWatchTests {
    static let lb0 = IPAddress("192.168.3.4")!, lb1 = IPAddress("192.168.3.5")!
    static let start: Int64 = 1_764_043_032_000_000_000

    /// Adverts as (tenths of a second from the start, sender, priority); the census is looked
    /// at every half second until `until` tenths, and the events collected.
    static func watch(_ adverts: [(Int, IPAddress, UInt8)], until: Int) -> [VRRPWatch.Event] {
        var census = VRRPCensus()
        var watch = VRRPWatch()
        var events: [VRRPWatch.Event] = []
        var next = 0
        for tenth in stride(from: 0, through: until, by: 5) {
            while next < adverts.count, adverts[next].0 <= tenth {
                let (at, source, priority) = adverts[next]
                let time = PacketTime(nanoseconds: start + Int64(at) * 100_000_000)
                census.notePacket(time: time)
                census.add(VRRPAdvert(packet: next + 1, time: time, interface: "eth2", sourceAddress: source,
                                      destinationAddress: IPAddress("224.0.0.18")!, ttl: 255, version: 2, vrid: 200,
                                      priority: priority, authType: 0, interval: 100, checksumValid: true,
                                      virtualAddresses: [IPAddress("192.168.3.200")!], authData: nil))
                next += 1
            }
            let now = PacketTime(nanoseconds: start + Int64(tenth) * 100_000_000)
            events += watch.events(from: census.report(source: Source(kind: .packet, detail: "test"), end: now), now: now)
        }
        return events
    }

    @Test("haproxy dies on the master: its priority drops, the backup preempts, the old master falls silent; each said once")
    func failover() {
        var adverts: [(Int, IPAddress, UInt8)] = (0..<5).map { ($0 * 10, Self.lb0, 100) }
        adverts += (5..<7).map { ($0 * 10, Self.lb0, 98) }
        adverts += (7..<15).map { ($0 * 10 + 3, Self.lb1, 99) }
        let events = Self.watch(adverts, until: 150)
        let kinds = events.map(\.kind)
        #expect(kinds.filter { $0 == .master }.count == 2, "\(kinds)")
        #expect(events.first { $0.kind == .priorityChanged }?.priority == 98)
        let takeover = events.last { $0.kind == .master }
        #expect(takeover?.address == Self.lb1 && takeover?.message.contains("was 192.168.3.4") == true, "\(events.map(\.message))")
        #expect(events.filter { $0.kind == .senderAppeared }.map(\.address) == [Self.lb0, Self.lb1])
        #expect(events.filter { $0.kind == .senderSilent }.map(\.address) == [Self.lb0])
        #expect(!kinds.contains(.splitBrainBegan))
        #expect(events.map(\.time) == events.map(\.time).sorted())
        #expect(VRRPWatch.line(takeover!).contains("master VRID 200 on eth2: 192.168.3.5 is master at priority 99"))
    }

    @Test("two masters interleave: the split brain begins once, and ends when one falls silent")
    func splitBrain() {
        var adverts: [(Int, IPAddress, UInt8)] = []
        for second in 0..<8 { adverts.append((second * 10, Self.lb0, 100)); adverts.append((second * 10 + 5, Self.lb1, 99)) }
        for second in 8..<12 { adverts.append((second * 10, Self.lb0, 100)) }
        let events = Self.watch(adverts, until: 130)
        #expect(events.filter { $0.kind == .splitBrainBegan }.count == 1, "\(events.map(\.kind))")
        let began = events.firstIndex { $0.kind == .splitBrainBegan }
        let ended = events.firstIndex { $0.kind == .splitBrainEnded }
        #expect(began != nil && ended != nil && began! < ended!, "\(events.map(\.kind))")
        #expect(events[ended!].message.contains("only 192.168.3.4 advertises"))
        #expect(events.filter { $0.kind == .senderSilent }.map(\.address) == [Self.lb1])
    }
}

@Suite struct VRRPWatchScreenTests {
    @Test("the terminal screen: a row per router with its master and verdicts, the latest events below, hostile names escaped")
    func screen() {
        var census = VRRPCensus()
        for second in 0..<6 {
            for (index, source) in [IPAddress("192.168.3.4")!, IPAddress("192.168.3.5")!].enumerated() {
                let time = PacketTime(nanoseconds: VRRPWatchTests.start + Int64(second) * 1_000_000_000 + Int64(index) * 500_000_000)
                census.notePacket(time: time)
                census.add(VRRPAdvert(packet: second * 2 + index + 1, time: time, interface: "eth2\u{1b}[31m", sourceAddress: source,
                                      destinationAddress: IPAddress("224.0.0.18")!, ttl: 255, version: 2, vrid: 200,
                                      priority: UInt8(100 - index), authType: 0, interval: 100, checksumValid: true,
                                      virtualAddresses: [IPAddress("192.168.3.200")!], authData: nil))
            }
        }
        let now = PacketTime(nanoseconds: VRRPWatchTests.start + 6_000_000_000)
        let report = census.report(source: Source(kind: .packet, detail: "test"), end: now)
        var watch = VRRPWatch()
        let events = watch.events(from: report, now: now)
        let text = VRRPWatchScreen.render(report, recent: events, now: now, limit: 3)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("VRID") && $0.contains("MASTER") && $0.contains("VERDICTS") })
        let row = lines.first { $0.hasPrefix("200 ") }
        #expect(row?.contains("192.168.3.4") == true && row?.contains("split_brain") == true, "\(text)")
        #expect(!text.contains("\u{1b}") && text.contains("eth2\\x1b[31m"), "\(text)")
        #expect(text.contains("latest events (showing 3 of \(events.count)):"))
    }
}
