import HAModel
import VRRP

/// Turns captured frames into the census, one at a time: each frame is decoded and the
/// advert (VRRP or CARP) handed to the census with the link it came in on.
public struct VRRPCensusRecorder {
    public private(set) var census = VRRPCensus()
    /// ARP and Neighbour Discovery on the same link: who claims which address.
    public private(set) var linkLayer = LinkLayerCensus()
    private let decoder = VRRPDecoder()
    /// Every frame is decoded into this one advert (vrrp --read budget).
    private var advert = VRRPAdvert(packet: 0, time: PacketTime(nanoseconds: 0), sourceAddress: .v4(0), destinationAddress: .v4(0),
                                    vrid: 0, priority: 0)
    private var packets = 0
    private var advertsWatched = 0
    private let interfaceName: (Int) -> String

    /// `interfaceName` names the ifindex a Linux cooked v2 header carries.
    public init(interfaceName: @escaping (Int) -> String = { "ifindex \($0)" }) {
        self.interfaceName = interfaceName
    }

    public mutating func record(frame: UnsafeRawBufferPointer, time: PacketTime, link: CaptureLink) {
        packets += 1
        census.notePacket(time: time)
        do {
            switch try decoder.decode(frame: frame, linkType: link.linkType, packet: packets, time: time, into: &advert) {
            case .vrrp?:
                // The link is the interface the packet was captured on: SLL2 names it per packet.
                // Assigned only when it changes, so the same name is not released and retained
                // again per advert (vrrp --read budget).
                if let index = advert.interfaceIndex {
                    advert.interface = interfaceName(index)
                } else if advert.interface != link.name {
                    advert.interface = link.name
                }
                census.add(lending: &advert)
            case .carp(var carp)?:
                carp.interface = carp.interfaceIndex.map(interfaceName) ?? link.name
                census.add(carp)
            case nil:
                // Only frames that are not VRRP reach the ARP/NDP decoder: the adverts' path stays as it was.
                recordLinkClaim(frame: frame, time: time, link: link)
            }
        } catch {
            census.noteMalformed(packet: packets, reason: error.reason)
        }
    }

    /// Addresses whose ARP/NDP is kept even past the link census's cap (those `ip` is asked about).
    public mutating func watch(_ addresses: [IPAddress]) { linkLayer.watch(addresses) }

    private mutating func recordLinkClaim(frame: UnsafeRawBufferPointer, time: PacketTime, link: CaptureLink) {
        do {
            guard var claim = try LinkClaimDecoder.decode(frame: frame, linkType: link.linkType, packet: packets, time: time) else { return }
            claim.interface = claim.interfaceIndex.map(interfaceName) ?? link.name
            // Past the link census's cap only the VIPs are tracked: tell it which they are
            // (again only when adverts came since).
            if linkLayer.isFull, census.adverts != advertsWatched {
                advertsWatched = census.adverts
                linkLayer.watch(census.virtualAddresses)
                // The senders' own addresses too: who claims them tells one host's MACs apart from another's.
                linkLayer.watch(census.senderAddresses)
            }
            linkLayer.record(claim)
        } catch {
            linkLayer.noteMalformed(packet: packets, reason: error.reason)
        }
    }

    /// The VRRP census with the link-layer census judged against it (`linkLayer` in the
    /// report when the capture held ARP/NDP or `capturesLinkLayer` says it was set up to).
    /// `addresses` are reported beside the VIPs the adverts list (those `ip` is asked about).
    public func report(source: Source, end: PacketTime? = nil, expected: [VRRPCensus.ExpectedRouter] = [],
                       truncated: String? = nil, notes: [String] = [], capturesLinkLayer: Bool = false,
                       addresses: [IPAddress] = []) -> VRRPCensusReport {
        report(source: source, end: end, expected: expected, truncated: truncated, notes: notes, addresses: addresses,
               context: { LinkLayerContext(vrrp: $0, capturesLinkLayer: capturesLinkLayer) }, capturesLinkLayer: capturesLinkLayer)
    }

    /// The same, judging the link layer in the context `context` makes from the VRRP report
    /// (what a live command knows beside the wire: `LinkLayerHosts`). The hosts' side lives
    /// with the verdict, not with the wire.
    public func report(source: Source, end: PacketTime?, expected: [VRRPCensus.ExpectedRouter], truncated: String?,
                       notes: [String], addresses: [IPAddress],
                       context makeContext: (VRRPCensusReport) -> LinkLayerContext,
                       capturesLinkLayer: Bool) -> VRRPCensusReport {
        var report = census.report(source: source, end: end, expected: expected, truncated: truncated, notes: notes)
        guard linkLayer.packets > 0 || linkLayer.malformed > 0 || capturesLinkLayer else { return report }
        var context = makeContext(report)
        context.addresses = addresses + context.addresses.filter { !addresses.contains($0) }
        report.linkLayer = linkLayer.report(context: context, end: end ?? census.lastTime)
        return report
    }
}
