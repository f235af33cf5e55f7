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

/// `vrrp` live: the VIPs the adverts list are followed as they are heard. Their
/// solicited-node groups are joined (passive), and with --probe each is probed once, at most
/// `maximumAddresses` of them.
public final class HeardAddressFollower {
    public static let maximumAddresses = 16
    let capture: PacketCapture
    let probe: Bool
    private var seen: Set<IPAddress> = []
    public private(set) var probes: [LinkProbe] = []
    public private(set) var limits: [Limit] = []
    private var lastAdverts = -1

    public init(capture: PacketCapture, probe: Bool) {
        self.capture = capture
        self.probe = probe
    }

    public func follow(_ census: VRRPCensus) {
        // Only new adverts can list new addresses.
        guard census.adverts != lastAdverts else { return }
        lastAdverts = census.adverts
        let new = census.virtualAddresses.subtracting(seen).sorted()
        guard !new.isEmpty else { return }
        seen.formUnion(new)
        capture.listenForSolicitations(of: new)
        guard probe else { return }
        let room = Self.maximumAddresses - Set(probes.map(\.address)).count
        if new.count > room {
            limits.append(Limit(source: .wire("--probe"), message: "--probe: \(new.count - max(room, 0)) virtual address(es) heard were not probed (at most \(Self.maximumAddresses))"))
        }
        guard room > 0 else { return }
        probes += Probing.send(Array(new.prefix(room)), on: capture, limits: &limits)
    }
}
