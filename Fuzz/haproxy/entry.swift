import HAModel
import HAProxyConfig
import JSONEncoding

// Feeds arbitrary bytes to the haproxy.cfg reader as a main file plus two files of a -f
// directory (the input split at its first two 0x01 bytes), with a small environment: the
// line splitter, expansions, conditions, address parsers, keyword checks, services and the
// JSON encoding of the result must never trap or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parts = bytes.split(separator: 0x01, maxSplits: 2, omittingEmptySubsequences: false).map(Array.init)
    var files: [String: [UInt8]] = ["/etc/haproxy/haproxy.cfg": parts[0]]
    if parts.count > 1 { files["/etc/haproxy/conf.d/10-a.cfg"] = parts[1] }
    if parts.count > 2 { files["/etc/haproxy/conf.d/20-b.cfg"] = parts[2] }
    let build = HAProxyBuild(environment: ["VIP": "192.168.3.200", "LIST": "1.1.1.1:1 2.2.2.2:2", "EMPTY": ""],
                             version: "2.6.12", features: ["+OPENSSL", "-QUIC"])
    let paths = parts.count > 1 ? ["/etc/haproxy/haproxy.cfg", "/etc/haproxy/conf.d"] : ["/etc/haproxy/haproxy.cfg"]
    // check keeps a refusal as a value: the configuration read so far and the problems.
    guard let checked = try? HAProxyParser.check(paths: paths, files: InMemoryHAProxyFiles(bytes: files), build: build) else { return 0 }
    _ = checked.problems
    let config = checked.configuration
    let target = IPAddress.v4(0xc0a8_03c8)
    for frontend in config.listeners {
        for bind in frontend.binds {
            for address in bind.addresses { _ = address.accepts(target, port: 5432, dualStack: bind.dualStack(bindv6only: nil)) }
        }
        _ = frontend.services.map(\.sentence)
    }
    _ = try? OrderedJSONEncoder().encode(config)
    return 0
}
