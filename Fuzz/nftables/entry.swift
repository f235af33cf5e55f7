import HAExplainCore
import HAModel

// Feeds arbitrary bytes to the ruleset reader twice: as libnftables' JSON and as the text of
// `nft -a list ruleset`. Malformed input is an error value, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    _ = try? FirewallRuleset.parse(json: bytes, text: text, source: Source(kind: .netlink))
    return 0
}
