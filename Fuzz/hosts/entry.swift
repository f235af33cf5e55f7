import HAModel
import HostsFile

// Arbitrary bytes as a hosts file (and as host.conf, nsswitch.conf, resolv.conf): the byte
// scanner, the lookups and the small config parsers must never trap, whatever the input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let file = HostsFile(path: "fuzz", contents: bytes)
    let lines = file.allLines()
    // Ask for names and addresses that are in the input, so matching paths are exercised.
    for line in lines.prefix(4) {
        for name in line.names.prefix(2) {
            _ = HostsLookup.forward(name, in: file, multi: true)
            _ = HostsLookup.forward(name.uppercased(), in: file, multi: false)
        }
        if let address = line.address { _ = HostsLookup.reverse(address, in: file) }
        _ = line.skipReason
    }
    _ = HostsLookup.reverse(.v4(0x7f00_0001), in: file)
    let text = String(decoding: bytes, as: UTF8.self)
    _ = HostConf.parse(text, file: "fuzz")
    _ = NSSwitchHosts.parse(text, file: "fuzz").sources.map { $0.returns(on: "NOTFOUND") }
    _ = ResolvConf.parse(text, file: "fuzz")
    return 0
}
