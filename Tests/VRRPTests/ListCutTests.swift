import HAExplainCore
import HAModel
import Testing

/// A list cut short says so, with how many there were.
@Suite struct ListCutTests {
    @Test("six master changes: the verdict lists the last five and says it shows the last 5 of 6")
    func masterChanges() throws {
        var timeline = VRRPCensusTests.Timeline()
        // Masters take turns, each after the other fell silent for longer than the master-down interval.
        for turn in 0..<7 {
            let start = Double(turn) * 10
            timeline.adverts(from: start, to: start + 5, source: turn % 2 == 0 ? VRRPCensusTests.lb000 : VRRPCensusTests.lb001)
        }
        let router = try #require(timeline.report().routers.first)
        let verdict = try #require(router.verdicts.first { $0.code == .masterChanged })
        #expect(verdict.message.hasSuffix("(showing the last 5 of 6)"), "\(verdict.message)")
        #expect(verdict.message.components(separatedBy: " -> ").count == 6, "five changes listed")
    }

    @Test("the census text says how many events it shows when earlier ones were not kept")
    func eventsCut() throws {
        var timeline = VRRPCensusTests.Timeline()
        // Masters take 600 turns, far past the number of events kept.
        for turn in 0..<600 {
            timeline.advert(at: Double(turn) * 5, from: turn % 2 == 0 ? VRRPCensusTests.lb000 : VRRPCensusTests.lb001)
        }
        let report = timeline.report()
        let router = try #require(report.routers.first)
        #expect(router.eventsDropped > 0)
        let text = VRRPCensusText.render(report)
        #expect(text.contains("events    showing the last \(router.events.count) of \(router.events.count + router.eventsDropped)\n"), "\(text.prefix(400))")
    }
}
