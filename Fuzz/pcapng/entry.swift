import HAModel
import VRRP

// A pcapng file as bytes, read block by block the way PacketCapture reads one (block length
// first, then the block), each packet decoded on its interface's link type: the reader and
// the decoder must never trap, whatever the blocks say.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var reader = PcapngReader()
    let decoder = VRRPDecoder()
    var offset = 0
    while offset < size {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        guard let length = try? reader.blockLength(rest), length <= rest.count else { break }
        guard let block = try? reader.read(block: UnsafeRawBufferPointer(rebasing: rest[0..<length])) else { break }
        if case .packet(let interface, let time, let range) = block {
            let linkType = LinkType(dlt: Int32(truncatingIfNeeded: reader.interfaces[interface].linkType)) ?? .unsupported
            _ = try? decoder.decodePacket(frame: UnsafeRawBufferPointer(rebasing: rest[range]), linkType: linkType, packet: 1,
                                      time: time ?? PacketTime(nanoseconds: 0))
            _ = reader.interfaces[interface].label
        }
        offset += length
    }
    return 0
}
