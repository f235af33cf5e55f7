import HAModel
import KeepalivedConfig
import VRRP

/// How long `ip` (and `check`) listen for the addresses asked, and for which virtual routers:
/// those of the keepalived instances that list one of them. Chosen before anything is heard.
public struct ListeningPlan: Sendable, Equatable {
    /// Two adverts at advert_int 1 and a split brain there named (about two intervals of interleaving).
    public static let minimumSeconds = 3.5
    /// With no instance configured for the addresses: two adverts at advert_int 3 whatever their phase.
    public static let defaultSeconds = 7.0
    /// How far the default bound stretches while a split brain forms: one at advert_int 10 is named in it.
    public static let longestSeconds = 30.0

    /// The bound: the operator's --listen, else two adverts of the slowest instance that lists an
    /// address (and half a second), at least `minimumSeconds`; `defaultSeconds` when none does.
    public var seconds: Double
    /// How far `seconds` stretches while two masters are told apart: only a bound chosen here,
    /// never the operator's.
    public var extendingTo: Double?
    /// The configured VRIDs that list an address (empty: any VRID that lists one matters).
    public var vrids: Set<Int>
    /// The routers keepalived here would run for them, with the configuration line that says so.
    public var expected: [VRRPCensus.ExpectedRouter]
    public var addresses: [IPAddress]

    public init(addresses: [IPAddress], keepalived: KeepalivedReport?, listen: Double?) {
        let relevant = (keepalived?.vrrpInstances ?? []).filter { instance in
            instance.virtualIpaddress.contains { addresses.contains($0.address) }
        }
        let slowest = relevant.map(\.advertInt).max()
        seconds = listen ?? slowest.map { max(Self.minimumSeconds, 2 * $0 + 0.5) } ?? Self.defaultSeconds
        extendingTo = listen == nil ? Self.longestSeconds : nil
        vrids = Set(relevant.compactMap(\.virtualRouterID))
        expected = relevant.compactMap { instance in
            instance.virtualRouterID.map {
                VRRPCensus.ExpectedRouter(interface: nil, family: instance.family, vrid: UInt8(truncatingIfNeeded: $0),
                                          source: .file(instance.file, line: instance.line))
            }
        }
        self.addresses = addresses
    }

    /// Whether listening can stop yet (`WireSufficiency.progress` for these VRIDs and addresses).
    public func progress(_ census: VRRPCensus, since: PacketTime, now: PacketTime) -> WireSufficiency.Progress {
        WireSufficiency.progress(census, since: since, now: now, vrids: vrids, addresses: addresses)
    }
}

/// How long `vrrp` listens live, chosen before anything is heard: the operator's --listen, else
/// a day with --watch (a signal ends it sooner), else `ListeningPlan.defaultSeconds`, stretched
/// to `ListeningPlan.longestSeconds` while two masters are told apart, as `ip`'s is: else a
/// split brain at a slow advert_int reads as a master change.
public struct VRRPListeningPlan: Sendable, Equatable {
    /// The longest --watch: until a signal, or a day.
    public static let longestWatch = 86_400.0

    public var seconds: Double
    /// Only the default bound stretches: never the operator's, a watch's or a file's.
    public var extendingTo: Double?

    /// `readsFile`: --read, where the bound does not apply and nothing stretches.
    public init(listen: Double?, watch: Bool, readsFile: Bool) {
        seconds = listen ?? (watch ? Self.longestWatch : ListeningPlan.defaultSeconds)
        extendingTo = listen == nil && !watch && !readsFile ? ListeningPlan.longestSeconds : nil
    }
}

/// Where `ip`'s wire comes from: heard here now, as a snapshot's host heard it, or nowhere,
/// with the limit that says why.
public enum WireChoice: Sendable {
    /// Listen on this host now (`ListeningPlan`).
    case listen
    /// The census a snapshot's host heard (`HostsInView.heardOnTheWire`).
    case heard(VRRPCensusReport)
    /// No wire; the limit says why, when there is something to say.
    case none(Limit?)

    /// `examinesThisHost`: this host is gathered (no --from only); `heard`: what the snapshots' hosts heard.
    public static func choose(addresses: [IPAddress], examinesThisHost: Bool, noListen: Bool, heard: VRRPCensusReport?) -> WireChoice {
        if addresses.isEmpty {
            // Nothing to explain: no reason to wait on the wire.
            return .none(examinesThisHost && !noListen ? Limit(source: .liveCapture, message: "adverts were not listened to: there is no address to explain") : nil)
        }
        if !examinesThisHost {
            if let heard { return .heard(heard) }
            return .none(Limit(source: .liveCapture, message: "adverts were not listened to: the answer comes from snapshots (take them with `snapshot --listen 3s` to include the wire)"))
        }
        if noListen {
            return .none(Limit(source: .liveCapture, message: "adverts were not listened to (--no-listen): who is master is judged from addresses and configuration only"))
        }
        return .listen
    }
}
