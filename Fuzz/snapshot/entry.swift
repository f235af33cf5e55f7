import HAExplainCore
import HAModel

// Any bytes as a snapshot (--from, --host): decoding either refuses them with an HAError or
// gives a snapshot that encodes to JSON which decodes again to the same JSON. Never a trap,
// whatever the nesting, the numbers or the text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let snapshot = try? HostSnapshot.decode(bytes, origin: "fuzz") else { return 0 }
    guard let json = try? JSONOutput.encode(snapshot) else { fatalError("a decoded snapshot does not encode") }
    guard let again = try? HostSnapshot.decode(Array(json.utf8), origin: "fuzz again") else {
        fatalError("a snapshot's own JSON does not decode")
    }
    guard (try? JSONOutput.encode(again)) == json else { fatalError("a snapshot changes on a round trip") }
    _ = TerminalText.escaped(snapshot.hostname)
    return 0
}
