import Netlink

// Feeds arbitrary bytes to the rtnetlink dump decoder (links, addresses, neighbours) and the
// sock_diag decoder as if the kernel had sent them:
// libmnl's message walk, our attribute tables and decoders must never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let decoder = RouteDumpDecoder()
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
    let buffer = UnsafeRawBufferPointer(rebasing: copy[0..<size])
    _ = try? decoder.consume(buffer)
    _ = RouteDumpDecoder.containsEnd(buffer)
    var counts: [Int: Int] = [:]
    RouteDumpDecoder.countAddresses(buffer, into: &counts)
    decoder.reserveAddresses(counts)
    _ = decoder.table(netns: nil)
    _ = decoder.neighbourTable(netns: nil)
    // The same bytes as a sock_diag reply.
    _ = try? SocketDiagDecoder(transport: "tcp").consume(buffer)
    return 0
}
