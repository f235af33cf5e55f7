import HAModel
import VRRP

let decoder = VRRPDecoder()

// The first byte picks the link type; the rest is the frame as libpcap would hand it over.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let link = LinkType.all[Int(data[0]) % LinkType.all.count]
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size - 1, 1), alignment: 1)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    let frame = UnsafeRawBufferPointer(rebasing: copy[0..<(size - 1)])
    switch try? decoder.decodePacket(frame: frame, linkType: link, packet: 1, time: PacketTime(nanoseconds: 0)) {
    case .vrrp(let advert)?:
        _ = advert.virtualAddresses.map(\.description)
        _ = advert.authData?.fingerprint
        _ = advert.sourceMAC?.description
        _ = advert.discardReason
    case .carp(let carp)?:
        _ = carp.sourceMAC?.description
    case nil:
        break
    }
    return 0
}
