import HAModel
import VRRP

/// What a live command knows beside the wire, for judging the link-layer census when the
/// listening ends: the addresses asked and the hosts in view (this one, and the snapshots').
public struct LinkLayerHosts: Sendable {
    public var asked: [IPAddress]
    public var hosts: [ExaminedHost]
    /// Also judge every virtual address the adverts list (a snapshot keeps them all; `ip`
    /// reports only what it was asked).
    public var alsoHeard: Bool

    public init(asked: [IPAddress], hosts: [ExaminedHost], alsoHeard: Bool = false) {
        self.asked = asked
        self.hosts = hosts
        self.alsoHeard = alsoHeard
    }

    /// The context for the census `vrrp` heard (see `LinkLayerClaims.context`).
    func context(_ vrrp: VRRPCensusReport, capturesLinkLayer: Bool) -> LinkLayerContext {
        var addresses = asked
        if alsoHeard {
            for address in LinkLayerContext(vrrp: vrrp).addresses where !addresses.contains(address) { addresses.append(address) }
        }
        return LinkLayerClaims.context(addresses: addresses, wire: vrrp, hosts: hosts, capturesLinkLayer: capturesLinkLayer)
    }
}

extension VRRPCensusRecorder {
    /// The census report with the link layer judged as a live command judges it: against
    /// `hosts` (the addresses asked, the hosts in view), or the wire alone when nil.
    public func report(source: Source, end: PacketTime? = nil, expected: [VRRPCensus.ExpectedRouter] = [],
                       truncated: String? = nil, notes: [String] = [], capturesLinkLayer: Bool = false,
                       addresses: [IPAddress] = [], hosts: LinkLayerHosts?) -> VRRPCensusReport {
        guard let hosts else {
            return report(source: source, end: end, expected: expected, truncated: truncated, notes: notes,
                          capturesLinkLayer: capturesLinkLayer, addresses: addresses)
        }
        return report(source: source, end: end, expected: expected, truncated: truncated, notes: notes, addresses: addresses,
                      context: { hosts.context($0, capturesLinkLayer: capturesLinkLayer) }, capturesLinkLayer: capturesLinkLayer)
    }
}
