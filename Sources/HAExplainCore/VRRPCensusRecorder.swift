import HAModel
import VRRP

/// Turns captured frames into the census, one at a time. A master repeats the same advert
/// every interval, byte for byte apart from the IPv4 identification and header checksum,
/// so a frame equal to a recent one reuses that decode with the new packet number and time.
public struct VRRPCensusRecorder {
    public private(set) var census = VRRPCensus()
    public let linkType: LinkType
    private var decoder = VRRPDecoder()
    private var advert = VRRPAdvert.placeholder
    private var packets = 0
    /// Recent frames side by side in one buffer (a fixed stride each), their lengths, IPv4
    /// header offsets and decodes, so a comparison touches only bytes.
    private var recentBytes = [UInt8](repeating: 0, count: VRRPCensusRecorder.recentCapacity * VRRPCensusRecorder.recentStride)
    private var recentLengths: [Int] = []
    private var recentIPv4Start: [Int] = []
    private var recentAdverts: [VRRPAdvert] = []
    private var recentRouters: [Int] = []
    private var nextSlot = 0
    private let interfaceName: (Int) -> String
    private let interface: String?

    static let recentCapacity = 8
    static let recentStride = 512

    /// `interface` names a single-interface capture; `interfaceName` maps a cooked v2 ifindex.
    public init(linkType: LinkType, interface: String? = nil, interfaceName: @escaping (Int) -> String = { "ifindex \($0)" }) {
        self.linkType = linkType
        self.interface = interface
        self.interfaceName = interfaceName
    }

    public mutating func record(frame: UnsafeRawBufferPointer, time: PacketTime) {
        packets += 1
        census.notePacket(time: time)
        let hit: Int? = recentBytes.withUnsafeBytes { store in
            for index in recentLengths.indices where recentLengths[index] == frame.count {
                let stored = UnsafeRawBufferPointer(rebasing: store[(index * Self.recentStride)..<(index * Self.recentStride + frame.count)])
                if Self.same(frame, stored, ipv4Start: recentIPv4Start[index]) { return index }
            }
            return nil
        }
        if let index = hit {
            recentAdverts.withUnsafeMutableBufferPointer { adverts in
                // Through the buffer the advert is lent to the census, not copied.
                adverts[index].packet = packets
                adverts[index].time = time
                census.add(lending: &adverts[index], router: &recentRouters[index])
            }
            return
        }
        do {
            guard try decoder.decode(frame: frame, linkType: linkType, packet: packets, time: time, into: &advert) else { return }
        } catch {
            census.noteMalformed(packet: packets, reason: error.reason)
            return
        }
        if let name = interface ?? advert.interfaceIndex.map(interfaceName) { advert.interface = name }
        var router = -1
        census.add(lending: &advert, router: &router)
        remember(frame, router: router)
    }

    private mutating func remember(_ frame: UnsafeRawBufferPointer, router: Int) {
        guard frame.count > 0, frame.count <= Self.recentStride else { return }
        let slot: Int
        if recentLengths.count < Self.recentCapacity {
            slot = recentLengths.count
            recentLengths.append(frame.count)
            recentIPv4Start.append(ipv4Start(frame))
            recentAdverts.append(advert)
            recentRouters.append(router)
        } else {
            slot = nextSlot
            nextSlot = (nextSlot + 1) % Self.recentCapacity
            recentLengths[slot] = frame.count
            recentIPv4Start[slot] = ipv4Start(frame)
            recentAdverts[slot] = advert
            recentRouters[slot] = router
        }
        recentBytes.withUnsafeMutableBytes { store in
            store.baseAddress!.advanced(by: slot * Self.recentStride).copyMemory(from: frame.baseAddress!, byteCount: frame.count)
        }
    }

    private func ipv4Start(_ frame: UnsafeRawBufferPointer) -> Int {
        func isIPv4(at offset: Int) -> Bool { frame.count > offset + 1 && frame[offset] == 0x08 && frame[offset + 1] == 0 }
        let start: Int
        switch linkType {
        case .ethernet: start = isIPv4(at: 12) ? 14 : -1
        case .linuxCooked: start = isIPv4(at: 14) ? 16 : -1
        case .linuxCooked2: start = isIPv4(at: 0) ? 20 : -1
        case .rawIP, .ipv4: start = frame.first.map { $0 >> 4 == 4 } == true ? 0 : -1
        default: start = -1
        }
        return start >= 0 && frame.count >= start + 20 ? start : -1
    }

    /// Equal bytes, except an IPv4 header's identification (bytes 4-5) and checksum (10-11).
    static func same(_ frame: UnsafeRawBufferPointer, _ stored: UnsafeRawBufferPointer, ipv4Start: Int) -> Bool {
        guard frame.count == stored.count else { return false }
        guard ipv4Start >= 0 else { return equal(frame, stored, 0, frame.count) }
        let id = ipv4Start + 4, checksum = ipv4Start + 10
        // The VRRP part (after the header) differs first between senders and routers.
        return equal(frame, stored, checksum + 2, frame.count) && equal(frame, stored, 0, id)
            && equal(frame, stored, id + 2, checksum)
    }

    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Bool {
        var index = from
        while index + 8 <= to {
            if a.loadUnaligned(fromByteOffset: index, as: UInt64.self) != b.loadUnaligned(fromByteOffset: index, as: UInt64.self) { return false }
            index += 8
        }
        while index < to {
            if a[index] != b[index] { return false }
            index += 1
        }
        return true
    }
}
