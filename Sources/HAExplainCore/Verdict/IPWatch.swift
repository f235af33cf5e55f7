import HAModel
import KeepalivedConfig
import VRRP

/// `ip --watch`: when the verdict for each address asked changes, from successive `ip`
/// reports judged on one live capture. Pure: `IPExplainer` decides the owner; this only says
/// when its answer first settles and when it changes after. Memory: one verdict per address.
public struct IPWatch {
    public struct Event: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, CaseIterable {
            /// The first verdict, once listening has heard enough to give it (as `ip` would stop).
            case settled
            /// Another node (or nobody) holds the address now.
            case ownerChanged = "owner_changed"
            /// The owner is the same, but its priority or this host's state or priority changed.
            case roleChanged = "role_changed"
            /// More than one node claims the address (split brain).
            case conflict
            /// A conflict is over: one owner again (or nobody).
            case healed
            /// The evidence no longer names an owner.
            case unknown
        }
        public var schemaVersion = SchemaVersion.current
        public var kind: Kind
        public var time: PacketTime
        public var address: IPAddress
        public var verdict: Verdict
        public var thisHost: ThisHost?
        /// The verdict before this change (absent on the first line).
        public var previous: Verdict?
        /// `ip --brief`'s verdict line, and this host's part when that is what changed.
        public var message: String

        enum CodingKeys: String, CodingKey {
            case schemaVersion = "schema_version", kind, time, address, verdict, thisHost = "this_host", previous, message
        }
    }

    /// What a change is judged on: who holds the address and the roles, not the reason's words
    /// (a sentence may name counts that grow with every advert).
    struct Judged: Equatable {
        var owner: Verdict.Owner
        var ownerAddress: IPAddress?
        var ownerMac: String?
        var ownerHost: String?
        var vrid: Int?
        var priority: Int?
        var thisState: VRRPState?
        var thisPriority: Int?

        init(_ answer: IPAnswer) {
            let verdict = answer.verdict
            owner = verdict.owner
            ownerAddress = verdict.ownerAddress
            ownerMac = verdict.ownerMac
            ownerHost = verdict.ownerHost
            vrid = verdict.vrid
            priority = verdict.priority
            thisState = answer.thisHost?.state
            thisPriority = answer.thisHost?.priority
        }

        var holder: [String?] { [owner.rawValue, ownerAddress?.description, ownerMac, ownerHost] }
    }

    private var last: [IPAddress: (judged: Judged, verdict: Verdict)] = [:]

    public init() {}

    /// The changes between the previous report and `report`, judged at `now`. Nothing before
    /// `settled` (the answer `ip` would give is not reached yet); then the first verdict of each
    /// address, and one event per change after.
    public mutating func events(from report: IPReport, now: PacketTime, settled: Bool) -> [Event] {
        guard settled else { return [] }
        var out: [Event] = []
        for answer in report.answers {
            let judged = Judged(answer)
            let before = last[answer.address]
            guard before?.judged != judged else { continue }
            last[answer.address] = (judged, answer.verdict)
            let kind = Self.kind(from: before?.judged, to: judged)
            var message = IPReportText.headline(answer)
            if kind == .roleChanged || kind == .settled, let this = answer.thisHost {
                message += "; this host is \(this.state.rawValue) for VRID \(this.vrid) at priority \(this.priority.map(String.init) ?? "none (FAULT)")"
            }
            out.append(Event(kind: kind, time: now, address: answer.address, verdict: answer.verdict, thisHost: answer.thisHost,
                             previous: before?.verdict, message: message))
        }
        return out
    }

    static func kind(from before: Judged?, to now: Judged) -> Event.Kind {
        guard let before else { return .settled }
        if now.owner == .conflict { return .conflict }
        if now.owner == .unknown { return .unknown }
        if before.owner == .conflict { return .healed }
        return before.holder == now.holder ? .roleChanged : .ownerChanged
    }

    /// One line of `ip --watch` text: the time, what changed, and the verdict line.
    public static func line(_ event: Event) -> String {
        "\(event.time) \(event.kind.rawValue) \(event.message)"
    }
}

/// When `ip --watch`'s first verdict is given: when `ip` itself would stop listening (every
/// VRID that matters heard, no second master still possible), or its bound passed (stretched,
/// as `ip`'s is, while two masters are told apart). Once settled, it stays settled.
public struct IPWatchSettling: Sendable {
    public var plan: ListeningPlan
    /// When listening began (the capture's clock).
    public var since: PacketTime
    private var done = false

    public init(plan: ListeningPlan, since: PacketTime) {
        self.plan = plan
        self.since = since
    }

    /// `ip`'s own plan for the addresses, or the watch's --listen when that ends sooner (a
    /// watch shorter than `ip`'s bound still settles by its end).
    public init(addresses: [IPAddress], keepalived: KeepalivedReport?, listen: Double?, since: PacketTime) {
        let own = ListeningPlan(addresses: addresses, keepalived: keepalived, listen: nil)
        let bounded = listen.map { ListeningPlan(addresses: addresses, keepalived: keepalived, listen: $0) }
        self.init(plan: bounded.map { $0.seconds < own.seconds ? $0 : own } ?? own, since: since)
    }

    public mutating func settled(_ census: VRRPCensus, now: PacketTime) -> Bool {
        guard !done else { return true }
        let progress = plan.progress(census, since: since, now: now)
        let listened = since.seconds(until: now)
        let forming = progress.decidedBy.map { now < $0 } ?? false
        done = progress.answered || (listened >= plan.seconds && !forming) || listened >= (plan.extendingTo ?? plan.seconds)
        return done
    }
}
