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
            // Differential: the one-pass scanner must agree with the full line parser (for
            // ASCII names, whose decoded text is exactly their bytes).
            if name.utf8.allSatisfy({ $0 < 0x80 }) {
                let folded = asciiFolded(name)
                let expected = lines.filter { $0.names.contains { asciiFolded($0) == folded } }
                if file.lines(naming: name) != expected { fatalError("scanner and parser disagree on '\(name)'") }
            }
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

func asciiFolded(_ text: String) -> [UInt8] {
    text.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }
}
