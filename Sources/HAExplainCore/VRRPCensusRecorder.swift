import HAModel
import VRRP

/// Turns captured frames into the census, one at a time: each frame is decoded and the
/// advert (VRRP or CARP) handed to the census with the link it came in on.
public struct VRRPCensusRecorder {
    public private(set) var census = VRRPCensus()
    private let decoder = VRRPDecoder()
    /// Every frame is decoded into this one advert (vrrp --read budget).
    private var advert = VRRPAdvert(packet: 0, time: PacketTime(nanoseconds: 0), sourceAddress: .v4(0), destinationAddress: .v4(0),
                                    vrid: 0, priority: 0)
    private var packets = 0
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
                advert.interface = advert.interfaceIndex.map(interfaceName) ?? link.name
                census.add(advert)
            case .carp(var carp)?:
                carp.interface = carp.interfaceIndex.map(interfaceName) ?? link.name
                census.add(carp)
            case nil:
                break
            }
        } catch {
            census.noteMalformed(packet: packets, reason: error.reason)
        }
    }
}
