import Capture
import HAExplainCore
import HAModel

/// `--probe` on an open live capture: the frames sent, and what was left out as limits.
public enum Probing {
    public static func send(_ addresses: [IPAddress], on capture: PacketCapture, limits: inout [Limit]) -> [LinkProbe] {
        let source = Source.wire("--probe")
        do throws(HAError) {
            let outcome = try capture.probe(addresses)
            limits += outcome.notes.map { Limit(source: source, message: "--probe: \($0)") }
            return outcome.sent
        } catch {
            limits.append(Limit(source: source, message: "--probe sent nothing: \(error.message)"))
            return []
        }
    }
}

/// Which of the VIPs the adverts list are new as they are heard, and which of those --probe
/// sends for: at most `maximumAddresses` addresses in all, the ones left out said as a limit.
/// Pure: `HeardAddressFollower` acts on it with the live capture.
public struct HeardAddressRule: Sendable {
    public static let maximumAddresses = 16
    public let probe: Bool
    private var seen: Set<IPAddress> = []
    private var lastAdverts = -1

    public struct Step: Sendable, Equatable {
        /// Heard for the first time, in order: their solicited-node groups are joined.
        public var new: [IPAddress]
        /// The ones to probe now (none without --probe).
        public var probe: [IPAddress]
        /// Those new ones left out of probing, said.
        public var leftOut: Limit?
    }

    public init(probe: Bool) { self.probe = probe }

    /// `adverts`: the census's advert count (only new adverts can list new addresses);
    /// `probed`: how many addresses were probed so far. Nil when nothing new was heard.
    public mutating func step(heard: Set<IPAddress>, adverts: Int, probed: Int) -> Step? {
        guard adverts != lastAdverts else { return nil }
        lastAdverts = adverts
        let new = heard.subtracting(seen).sorted()
        guard !new.isEmpty else { return nil }
        seen.formUnion(new)
        guard probe else { return Step(new: new, probe: [], leftOut: nil) }
        let room = max(Self.maximumAddresses - probed, 0)
        let leftOut = new.count > room
            ? Limit(source: .wire("--probe"), message: "--probe: \(new.count - room) virtual address(es) heard were not probed (at most \(Self.maximumAddresses))")
            : nil
        return Step(new: new, probe: Array(new.prefix(room)), leftOut: leftOut)
    }
}

/// `vrrp` live: the VIPs the adverts list are followed as they are heard (`HeardAddressRule`).
/// Their solicited-node groups are joined (passive), and with --probe each is probed once.
public final class HeardAddressFollower {
    let capture: PacketCapture
    private var rule: HeardAddressRule
    public private(set) var probes: [LinkProbe] = []
    public private(set) var limits: [Limit] = []

    public init(capture: PacketCapture, probe: Bool) {
        self.capture = capture
        rule = HeardAddressRule(probe: probe)
    }

    public func follow(_ census: VRRPCensus) {
        guard let step = rule.step(heard: census.virtualAddresses, adverts: census.adverts, probed: Set(probes.map(\.address)).count) else { return }
        capture.listenForSolicitations(of: step.new)
        if let leftOut = step.leftOut { limits.append(leftOut) }
        guard !step.probe.isEmpty else { return }
        probes += Probing.send(step.probe, on: capture, limits: &limits)
    }
}
