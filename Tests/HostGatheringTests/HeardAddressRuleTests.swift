import HAModel
import HostGathering
import Testing

/// `vrrp --probe`'s rule for the VIPs heard, without a capture: each is followed once, as it is
/// first heard, and at most 16 are probed in all, the rest said as a limit.
@Suite struct HeardAddressRuleTests {
    static func addresses(_ range: ClosedRange<Int>) -> Set<IPAddress> {
        Set(range.map { IPAddress("192.0.2.\($0)")! })
    }

    @Test("each address is new once, sorted; nothing is looked at again until a new advert is counted")
    func newOnce() throws {
        var rule = HeardAddressRule(probe: false)
        let firstStep = rule.step(heard: Self.addresses(1...3), adverts: 1, probed: 0)
        let first = try #require(firstStep)
        #expect(first.new == Self.addresses(1...3).sorted() && first.probe.isEmpty && first.leftOut == nil)
        // The same advert count: not looked at, even with more addresses.
        #expect(rule.step(heard: Self.addresses(1...5), adverts: 1, probed: 0) == nil)
        let secondStep = rule.step(heard: Self.addresses(1...5), adverts: 2, probed: 0)
        let second = try #require(secondStep)
        #expect(second.new == Self.addresses(4...5).sorted())
        #expect(rule.step(heard: Self.addresses(1...5), adverts: 3, probed: 0) == nil)
    }

    @Test("with --probe, at most 16 addresses in all; those left out are one limit of the wire per step, counted")
    func atMostSixteen() throws {
        var rule = HeardAddressRule(probe: true)
        let firstStep = rule.step(heard: Self.addresses(1...10), adverts: 1, probed: 0)
        let first = try #require(firstStep)
        #expect(first.probe == first.new && first.leftOut == nil)
        // 10 probed so far: room for 6 of the next 10.
        let secondStep = rule.step(heard: Self.addresses(1...20), adverts: 2, probed: 10)
        let second = try #require(secondStep)
        #expect(second.new == Self.addresses(11...20).sorted())
        #expect(second.probe == Array(second.new.prefix(HeardAddressRule.maximumAddresses - 10)))
        #expect(second.leftOut?.source == .wire("--probe"))
        #expect(second.leftOut?.message.contains("4 virtual address(es) heard were not probed (at most 16)") == true, "\(String(describing: second.leftOut))")
        // Full: new addresses are still followed (listened for), none probed, all said.
        let thirdStep = rule.step(heard: Self.addresses(1...22), adverts: 3, probed: 16)
        let third = try #require(thirdStep)
        #expect(third.new.count == 2 && third.probe.isEmpty)
        #expect(third.leftOut?.message.contains("--probe: 2 virtual address(es)") == true)
    }

    @Test("a probe that sent nothing leaves its room: the count is of addresses probed, not asked")
    func failedProbesLeaveRoom() throws {
        var rule = HeardAddressRule(probe: true)
        _ = rule.step(heard: Self.addresses(1...16), adverts: 1, probed: 0)
        let nextStep = rule.step(heard: Self.addresses(1...17), adverts: 2, probed: 0)
        let next = try #require(nextStep)
        #expect(next.probe == [IPAddress("192.0.2.17")!] && next.leftOut == nil)
    }
}
