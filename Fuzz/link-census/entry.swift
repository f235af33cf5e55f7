import HAModel
import VRRP

// A stream of frames (each: length byte, time step byte, bytes) through the recorder (VRRP
// adverts and ARP/NDP alike), then the report judged against the VRRP census and against a
// context whose held addresses and neighbour entries come from the last bytes: the census,
// its verdicts and both renderers must never trap, whatever the packets say.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let link = CaptureLink(linkType: LinkType.all[Int(bytes[0]) % 3], name: bytes[0] & 0x80 != 0 ? "eth2" : nil)
    var recorder = VRRPCensusRecorder()
    var offset = 1
    var time: Int64 = 1_764_043_032_000_000_000
    while offset + 2 <= size {
        let length = Int(bytes[offset])
        time &+= Int64(bytes[offset + 1]) &* 50_000_000
        offset += 2
        let end = min(size, offset + length)
        recorder.record(frame: UnsafeRawBufferPointer(rebasing: bytes[offset..<end]), time: PacketTime(nanoseconds: time), link: link)
        offset = end
    }
    let tail = bytes[size - 1]
    for end in [nil, PacketTime(nanoseconds: time &+ 5_000_000_000)] {
        let report = recorder.report(source: Source(kind: .packet, detail: "fuzz"), end: end, capturesLinkLayer: tail & 1 != 0)
        _ = try? JSONOutput.encode(report)
        _ = VRRPCensusText.render(report)
        // The same claims judged as `ip` would: some addresses held, a neighbour entry or two.
        var context = LinkLayerContext(vrrp: report, capturesLinkLayer: true)
        let asked: [IPAddress] = [.v4(0xc0a8_0300 | UInt32(tail)), .v4(0xc0a8_03c8), .v6(0xfd00_0003_0000_0000, 0x200)]
        context.addresses += asked
        context.held = tail & 2 != 0 ? [asked[0]: ["node"]] : [:]
        context.neighbours = asked.map { .init(address: $0, mac: MACAddress(value: UInt64(tail) << 8), state: "REACHABLE", device: "eth0", source: .netlink("neighbours")) }
        context.nodes[MACAddress(value: UInt64(tail))] = "node"
        if let linkLayer = recorder.linkLayer.report(context: context, end: end) {
            _ = LinkLayerText.render(linkLayer)
            _ = try? JSONOutput.encode(linkLayer)
        }
    }
    return 0
}
