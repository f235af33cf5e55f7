#if canImport(Glibc)
import Glibc
#endif
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
    /// A token per decode, naming its content for the census's repeat shortcut; never reused.
    private var recentTokens: [Int] = []
    private var nextToken = 0
    private var nextSlot = 0
    private var lastHit = 0
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
        let count = recentLengths.count
        let hit: Int? = recentBytes.withUnsafeBytes { store in
            func matches(_ index: Int) -> Bool {
                guard recentLengths[index] == frame.count else { return false }
                let start = index * Self.recentStride
                return Self.same(frame, UnsafeRawBufferPointer(rebasing: store[start..<(start + frame.count)]),
                                 ipv4Start: recentIPv4Start[index])
            }
            // Masters take turns in a fixed order, so the entry after the last hit, then the
            // last hit itself, are the likely ones.
            guard count > 0 else { return nil }
            let next = (lastHit + 1) % count
            if matches(next) { return next }
            if lastHit < count, lastHit != next, matches(lastHit) { return lastHit }
            for index in 0..<count where index != next && index != lastHit && matches(index) { return index }
            return nil
        }
        if let index = hit {
            lastHit = index
            recentAdverts.withUnsafeMutableBufferPointer { adverts in
                // Through the buffer the advert is lent to the census, not copied.
                adverts[index].packet = packets
                adverts[index].time = time
                census.add(lending: &adverts[index], router: &recentRouters[index], repeating: recentTokens[index])
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
        let token = nextToken
        nextToken += 1
        census.add(lending: &advert, router: &router, repeating: token)
        remember(frame, router: router, token: token)
    }

    private mutating func remember(_ frame: UnsafeRawBufferPointer, router: Int, token: Int) {
        guard frame.count > 0, frame.count <= Self.recentStride else { return }
        let slot: Int
        if recentLengths.count < Self.recentCapacity {
            slot = recentLengths.count
            recentLengths.append(frame.count)
            recentIPv4Start.append(ipv4Start(frame))
            recentAdverts.append(advert)
            recentRouters.append(router)
            recentTokens.append(token)
        } else {
            slot = nextSlot
            nextSlot = (nextSlot + 1) % Self.recentCapacity
            recentLengths[slot] = frame.count
            recentIPv4Start[slot] = ipv4Start(frame)
            recentAdverts[slot] = advert
            recentRouters[slot] = router
            recentTokens[slot] = token
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

    /// Equal bytes, except an IPv4 header's identification (bytes 4-5) and checksum (10-11):
    /// the three ranges around them compared by libc's vectorised memcmp.
    static func same(_ frame: UnsafeRawBufferPointer, _ stored: UnsafeRawBufferPointer, ipv4Start: Int) -> Bool {
        let count = frame.count
        guard count == stored.count else { return false }
        guard count > 0, let a = frame.baseAddress, let b = stored.baseAddress else { return true }
        guard ipv4Start >= 0, ipv4Start + 12 <= count else { return memcmp(a, b, count) == 0 }
        let id = ipv4Start + 4, checksum = ipv4Start + 10
        return memcmp(a, b, id) == 0
            && memcmp(a + id + 2, b + id + 2, checksum - id - 2) == 0
            && memcmp(a + checksum + 2, b + checksum + 2, count - checksum - 2) == 0
    }
}
