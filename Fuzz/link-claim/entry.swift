import HAModel
import VRRP

// The first byte picks the link type; the rest is the frame as libpcap would hand it over.
// Whatever the bytes, the decoder returns a claim, nil or an error, and a claim's fields print.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let link = LinkType.all[Int(data[0]) % LinkType.all.count]
    // An exact-size copy, so AddressSanitizer sees any read past the frame.
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size - 1, 1), alignment: 1)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(start: data + 1, count: size - 1))
    let frame = UnsafeRawBufferPointer(rebasing: copy[0..<(size - 1)])
    if let claim = try? LinkClaimDecoder.decode(frame: frame, linkType: link, packet: 1, time: PacketTime(nanoseconds: 0)) {
        _ = claim.address.description
        _ = claim.mac?.description
        _ = claim.senderAddress.description
        _ = (claim.isClaim, claim.isAnnouncement, claim.kind.rawValue, claim.discardReason?.rawValue)
    }
    return 0
}
