import HAModel
import KeepalivedConfig

// Arbitrary bytes as keepalived's /tmp/keepalived.json: the decoder and the comparison
// with an inference holding one instance must never trap, whatever the dump holds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let instances = try? KeepalivedJSONDump.decode(bytes) else { return 0 }
    var report = KeepalivedReport()
    var instance = VRRPInstance(name: "VI_1", file: "k.conf", line: 1)
    instance.node = "lb1"
    report.vrrpInstances = [instance]
    let says = KeepalivedSays(source: "fuzz", node: "lb1", instances: instances)
    _ = KeepalivedJSONDump.disagreements(says, report: report)
    return 0
}
