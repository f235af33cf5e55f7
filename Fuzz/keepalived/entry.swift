import HAModel
import KeepalivedConfig

// Feeds arbitrary bytes to the keepalived.conf reader as a main file that may include two
// more files (the input split at its first two 0x01 bytes), then analyses it against itself
// as a peer: the tokenizer, keyword handlers, priority arithmetic and renderers' inputs must
// never trap, hang or recurse without bound.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parts = bytes.split(separator: 0x01, maxSplits: 2, omittingEmptySubsequences: false).map(Array.init)
    var files: [String: [UInt8]] = ["/etc/keepalived/keepalived.conf": parts[0]]
    if parts.count > 1 { files["/etc/keepalived/conf.d/a.conf"] = parts[1] }
    if parts.count > 2 { files["/etc/keepalived/b.conf"] = parts[2] }
    let store = InMemoryConfigFiles(bytes: files)
    guard let config = try? KeepalivedParser.parse(path: "/etc/keepalived/keepalived.conf", files: store, configID: "lb1", maximumGeneratedLines: 2_000) else { return 0 }
    let nodes = [NodeConfiguration(name: "a", config: config, chosenBecause: "fuzz"),
                 NodeConfiguration(name: "b", config: config, chosenBecause: "fuzz")]
    _ = KeepalivedAnalysis.analyze(nodes)
    return 0
}
