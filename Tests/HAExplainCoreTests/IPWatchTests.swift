@testable import HAExplainCore
import HAModel
import Testing
import VRRP

/// `ip --watch` as a story: the address's verdict is judged by `IPExplainer` on the census
/// every half second while adverts arrive; the first line comes when it settles, then one per change.
@Suite struct IPWatchTests {
    static let lb0 = IPAddress("192.168.3.4")!, lb1 = IPAddress("192.168.3.5")!
    static let vip = IPAddress("192.168.3.200")!
    static let start: Int64 = 1_764_043_032_000_000_000

    static func time(_ tenths: Int) -> PacketTime { PacketTime(nanoseconds: start + Int64(tenths) * 100_000_000) }

    /// Adverts as (tenths of a second from the start, sender, priority); settled from `settleAt` tenths.
    static func watch(_ adverts: [(Int, IPAddress, UInt8)], until: Int, settleAt: Int = 0) -> [IPWatch.Event] {
        var census = VRRPCensus()
        var watch = IPWatch()
        var events: [IPWatch.Event] = []
        var next = 0
        for tenth in stride(from: 0, through: until, by: 5) {
            while next < adverts.count, adverts[next].0 <= tenth {
                let (at, source, priority) = adverts[next]
                census.notePacket(time: time(at))
                census.add(VRRPAdvert(packet: next + 1, time: time(at), interface: "eth2", sourceAddress: source,
                                      destinationAddress: IPAddress("224.0.0.18")!, ttl: 255, version: 2, vrid: 200,
                                      priority: priority, authType: 0, interval: 100, checksumValid: true,
                                      virtualAddresses: [vip], authData: nil))
                next += 1
            }
            let wire = census.report(source: Source(kind: .packet, detail: "test"), end: time(tenth))
            let report = IPExplainer.explain(IPEvidence(query: vip.description, addresses: [vip], hosts: [], keepalived: nil, wire: wire))
            events += watch.events(from: report, now: time(tenth), settled: tenth >= settleAt)
        }
        return events
    }

    @Test("the master falls silent and the backup takes over late: settled on the first master, unknown in the gap, then the other owns it")
    func failover() throws {
        var adverts: [(Int, IPAddress, UInt8)] = (0..<6).map { ($0 * 10, Self.lb0, 100) }
        adverts += (9..<20).map { ($0 * 10 + 3, Self.lb1, 99) }
        let events = Self.watch(adverts, until: 200, settleAt: 20)
        #expect(events.map(\.kind) == [.settled, .unknown, .ownerChanged])
        #expect(events.dropFirst().first?.previous?.ownerAddress == Self.lb0)
        let first = try #require(events.first), change = try #require(events.last)
        #expect(first.verdict.ownerAddress == Self.lb0)
        #expect(first.previous == nil)
        #expect(first.time == Self.time(20))
        #expect(change.verdict.ownerAddress == Self.lb1)
        #expect(change.previous?.owner == .unknown)
        #expect(change.message.contains("192.168.3.200 → ") && change.message.contains("192.168.3.5"))
        #expect(IPWatch.line(change).hasPrefix("\(change.time) owner_changed ✓ 192.168.3.200"))
    }

    @Test("nothing is said before the verdict settles, and nothing while it stays the same")
    func quietUntilSettled() {
        let adverts: [(Int, IPAddress, UInt8)] = (0..<20).map { ($0 * 10, Self.lb0, 100) }
        #expect(Self.watch(adverts, until: 190, settleAt: 1000).isEmpty)
        #expect(Self.watch(adverts, until: 190, settleAt: 30).map(\.kind) == [.settled])
    }

    static func answer(_ owner: Verdict.Owner, _ address: IPAddress?, priority: Int? = 100, reason: String = "because") -> IPAnswer {
        IPAnswer(address: vip, names: [], nameNotes: [],
                 verdict: Verdict(owner: owner, ownerAddress: address, ownerMac: nil, ownerHost: nil, vrid: 200, priority: priority, reason: reason),
                 thisHost: nil, evidence: [], whatif: [], warnings: [], limits: [])
    }

    @Test("a split brain is named, then healed; an owner's priority change is a role change; the reason's words alone are no change")
    func kinds() {
        var watch = IPWatch()
        let steps: [(IPAnswer, IPWatch.Event.Kind?)] = [
            (Self.answer(.peer, Self.lb0), .settled),
            (Self.answer(.peer, Self.lb0, reason: "heard 12 adverts"), nil),
            (Self.answer(.peer, Self.lb0, priority: 98), .roleChanged),
            (Self.answer(.conflict, nil, priority: nil), .conflict),
            (Self.answer(.peer, Self.lb1), .healed),
            (Self.answer(.unknown, nil, priority: nil), .unknown),
            (Self.answer(.none, nil, priority: nil), .ownerChanged),
        ]
        for (index, (answer, kind)) in steps.enumerated() {
            let report = IPReport(query: Self.vip.description, resolution: nil, answers: [answer], limits: [])
            let events = watch.events(from: report, now: Self.time(index * 10), settled: true)
            #expect(events.map(\.kind) == (kind.map { [$0] } ?? []), "step \(index)")
        }
    }

    @Test("the first verdict settles when ip would stop listening, or at its bound; once settled it stays settled")
    func settling() {
        let plan = ListeningPlan(addresses: [Self.vip], keepalived: nil, listen: nil)
        var settling = IPWatchSettling(plan: plan, since: Self.time(0))
        let census = VRRPCensus()
        let early = settling.settled(census, now: Self.time(10))
        let atBound = settling.settled(census, now: Self.time(Int(plan.seconds * 10) + 1))
        let after = settling.settled(census, now: Self.time(10))
        #expect(!early && atBound && after)
        let short = IPWatchSettling(addresses: [Self.vip], keepalived: nil, listen: 2, since: Self.time(0))
        let long = IPWatchSettling(addresses: [Self.vip], keepalived: nil, listen: 60, since: Self.time(0))
        #expect(short.plan.seconds == 2 && long.plan.seconds == plan.seconds, "a watch settles by its own --listen, never later than ip would")
    }
}
