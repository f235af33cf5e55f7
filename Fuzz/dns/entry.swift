import DNSMessage
import HAModel

// Arbitrary bytes as a DNS reply from a hostile or broken nameserver: the parser (names,
// compression pointers, record lengths) must reject them with an error, never trap or loop.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let message = try? DNSMessage.parse(bytes) else { return 0 }
    // Names that parsed must also be askable (or cleanly refused) as a query.
    for question in message.questions {
        _ = try? DNSMessage.query(id: message.id, name: question.name, type: question.type)
    }
    _ = message.answers.map { "\($0.type) \($0.data)" }
    _ = message.responseCodeName
    return 0
}
