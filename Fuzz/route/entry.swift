import HAModel
import Netlink

// Feeds arbitrary bytes to the RTM_GETROUTE / RTM_GETRULE decoder as if the kernel had sent
// them, then names what it decoded: nothing may trap or read past the buffer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 8)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
    guard let reply = try? RouteMessageDecoder.decode(UnsafeRawBufferPointer(rebasing: copy[0..<size])) else { return 0 }
    for route in reply.routes { _ = route.kernelRoute([1: "lo"]) }
    for rule in reply.rules {
        _ = rule.policyRule(judging: .v4(0x0a090101))
        _ = rule.policyRule(judging: .v6(0xfe80_0000_0000_0000, 1))
    }
    return 0
}
