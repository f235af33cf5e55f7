import HAModel
import VRRP

// A stream of frames (each: length byte, time step byte, bytes) through the recorder, then
// the report with and without an end time and configured VRIDs, as JSON and text: the
// census, its verdicts and both renderers must never trap, whatever the adverts say.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 1 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let link = CaptureLink(linkType: LinkType.all[Int(bytes[0]) % LinkType.all.count], name: bytes[0] & 0x80 != 0 ? "eth2" : nil)
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
    let expected = [VRRPCensus.ExpectedRouter(interface: nil, family: .inet, vrid: bytes[size - 1], source: .file("keepalived.conf", line: 1))]
    for end in [nil, PacketTime(nanoseconds: time &+ 5_000_000_000)] {
        let report = recorder.census.report(source: Source(kind: .packet, detail: "fuzz"), end: end, expected: expected)
        _ = try? JSONOutput.encode(report)
        _ = VRRPCensusText.render(report)
    }
    return 0
}
