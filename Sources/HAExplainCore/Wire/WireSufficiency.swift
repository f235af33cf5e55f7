import HAModel
import KeepalivedConfig
import VRRP

/// When listening can stop because the answer cannot change: every virtual router that
/// matters (one that lists a queried address, for the configured VRIDs when any) has been
/// heard, listening has lasted at least its advert interval (and a tenth, for timer jitter:
/// every master advertises once per interval, so a second master would have been heard),
/// and none of them has a conflict still forming (two senders acting as master, not yet long
/// enough to call a split brain, or a preemption under way). A split brain already named is
/// an answer.
public enum WireSufficiency {
    public struct Progress: Equatable, Sendable {
        /// True when more listening cannot change the answer.
        public var answered: Bool
        /// Why listening stops, or what it is still waiting for.
        public var explanation: String
        /// When a conflict still forming (two senders advertising) is told apart at the latest: a
        /// split brain is named by the fifth advert of the pair, two intervals after the second
        /// sender's first (and a tenth, for timer jitter), or, once that has passed with both
        /// still advertising (late timers), by the next advert either owes. Nil when none is forming.
        public var decidedBy: PacketTime? = nil
    }

    /// `since` is when listening began, `now` the time of the question (the capture's clock).
    public static func progress(_ census: VRRPCensus, since: PacketTime, now: PacketTime, vrids: Set<Int>,
                                addresses: [IPAddress]) -> Progress {
        guard !addresses.isEmpty else { return Progress(answered: true, explanation: "no address to explain") }
        // A router counts only when it lists a queried address: the same VRID on another LAN
        // says nothing about ours.
        let relevant = census.routers.filter { router in
            (vrids.isEmpty || vrids.contains(Int(router.key.vrid)))
                && router.senders.contains { sender in sender.addresses.contains { addresses.contains($0) } }
        }
        var missing: [String] = []
        if vrids.isEmpty {
            for address in addresses where !relevant.contains(where: { $0.senders.contains { $0.addresses.contains(address) } }) {
                missing.append("no advert listing \(address) heard yet")
            }
        } else {
            for vrid in vrids.sorted() where !relevant.contains(where: { Int($0.key.vrid) == vrid }) {
                missing.append("no advert for VRID \(vrid) listing \(addresses.map(\.description).joined(separator: ", ")) heard yet")
            }
        }
        var waiting = missing
        var settled: [String] = []
        var latest: PacketTime?
        for router in relevant {
            let name = "VRID \(router.key.vrid)" + (router.key.interface.map { " on \($0)" } ?? "") + vlanText(router.key.vlans)
            if !router.splitBrains.isEmpty {
                settled.append("\(name): split brain named")
                continue
            }
            let acting = router.senders.filter { $0.isActing(at: now) }
            guard let slowest = router.senders.max(by: { $0.interval < $1.interval }) else { continue }
            if !router.interleavings.isEmpty || acting.count > 1 {
                waiting.append("\(name): \(acting.count) senders advertising, a preemption or a split brain in the making")
                if let by = decidedBy(router, now: now) { latest = max(latest ?? by, by) }
                continue
            }
            if acting.isEmpty {
                waiting.append("\(name): its master stopped advertising")
                continue
            }
            if now < since.adding(centiseconds: slowest.interval + slowest.interval / 10) {
                waiting.append("\(name): listened less than an advert interval, so a second master may not have spoken yet")
                continue
            }
            settled.append("\(name): one master, \(acting[0].address), and no other in an advert interval of listening")
        }
        if waiting.isEmpty, !settled.isEmpty {
            return Progress(answered: true, explanation: settled.joined(separator: "; "))
        }
        return Progress(answered: false, explanation: waiting.isEmpty ? "no advert that matters heard yet" : waiting.joined(separator: "; "),
                        decidedBy: latest)
    }

    /// For a census that listens its whole bound (`vrrp`): never answered, but a conflict still
    /// forming on any router is told apart by `decidedBy`. A split brain already named is told.
    public static func forming(_ census: VRRPCensus, now: PacketTime) -> Progress {
        let times = census.routers.filter(\.splitBrains.isEmpty).compactMap { decidedBy($0, now: now) }
        return Progress(answered: false, explanation: times.isEmpty ? "no conflict was forming (this command listens the whole time)" : "\(times.count) virtual router(s) with more than one sender advertising",
                        decidedBy: times.max())
    }

    /// What listening that ended for `reason` left undecided: the time two senders still
    /// advertising as master would have been told apart, by `progress` asked at the end (nil
    /// when it answered, or nothing was forming).
    public static func undecided(_ progress: Progress?, endedBecause reason: VRRPCensusReport.Listening.Reason) -> PacketTime? {
        reason == .answered ? nil : progress?.decidedBy
    }

    /// The limit an answer carries when its listening ended before two masters were told apart:
    /// until then a split brain and a master change look alike, so the master it names may be
    /// one of two.
    public static func limit(_ listening: VRRPCensusReport.Listening) -> Limit? {
        guard let until = listening.undecidedUntil else { return nil }
        let ended = listening.reason == .interrupted ? "was interrupted" : "ended"
        return Limit(source: .liveCapture, message: "listening \(ended) after \(DurationText.tenths(listening.seconds)) s while two senders still advertised as master, "
            + "before a split brain and a master change could be told apart (at \(until)), so the master named may be one of two; listen longer (--listen)")
    }

    /// When a router whose senders still interleave is told apart at the latest (Progress.decidedBy).
    static func decidedBy(_ router: RouterState, now: PacketTime) -> PacketTime? {
        let acting = router.senders.filter { $0.isActing(at: now) }
        guard acting.count > 1 || !router.interleavings.isEmpty, let interval = (acting.isEmpty ? router.senders : acting).map(\.interval).max(),
              let second = acting.compactMap({ $0.spans.last?.since }).sorted().dropFirst().first else { return nil }
        let rule = second.adding(centiseconds: 2 * interval + interval / 10)
        // A loaded host's timers send adverts late, past the rule's time: while two senders
        // still act, the next advert of either (due by its overdue time) decides.
        guard now >= rule, let due = acting.compactMap({ sender in sender.acting.map { sender.overdue(after: $0.time) } }).min() else { return rule }
        return max(rule, due)
    }
}
