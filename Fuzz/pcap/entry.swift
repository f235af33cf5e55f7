import HAModel
import VRRP

// A classic pcap file as bytes: its header's snapshot length and magic (microseconds or
// nanoseconds), then record after record the way PacketCapture reads them, each decoded as
// Ethernet: the reader must never trap or hand out a range outside the bytes, whatever the
// lengths say.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard size >= 24 else { return 0 }
    let snapshot = Int(bytes.loadUnaligned(fromByteOffset: 16, as: UInt32.self) & 0x7_ffff)
    let reader = PcapRecordReader(snapshot: snapshot, nanoseconds: PcapRecordReader.nanoseconds(magic: bytes) ?? false)
    let decoder = VRRPDecoder()
    var offset = 24, packet = 0
    while true {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        guard case .record(let time, let range) = reader.next(rest) else { break }
        precondition(range.lowerBound >= PcapRecordReader.headerSize && range.upperBound <= rest.count)
        packet += 1
        _ = try? decoder.decodePacket(frame: UnsafeRawBufferPointer(rebasing: rest[range]), linkType: .ethernet, packet: packet, time: time)
        offset += range.upperBound
    }
    return 0
}
