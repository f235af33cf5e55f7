#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel

/// Reads every link and address of a network namespace from the kernel.
public enum AddressReader {
    /// How often a dump the kernel flags as interrupted (NLM_F_DUMP_INTR: addresses changed
    /// while we read) is started again before we give up.
    static let attempts = 5

    public static func read(netns: String? = nil) throws(HAError) -> AddressTable {
        let socket = try NetworkNamespace.with(netns) { () throws(HAError) in try RouteSocket() }
        for _ in 0..<attempts {
            let decoder = RouteDumpDecoder()
            guard try dump(socket, type: UInt16(RTM_GETLINK), header: [UInt8](repeating: 0, count: MemoryLayout<ifinfomsg>.size), into: decoder),
                  try dump(socket, type: UInt16(RTM_GETADDR), header: [UInt8](repeating: 0, count: MemoryLayout<ifaddrmsg>.size), into: decoder)
            else { continue }
            return decoder.table(netns: netns)
        }
        throw HAError(.unavailable, "the kernel's address table kept changing while it was read (\(attempts) attempts); try again")
    }

    /// One complete dump into `decoder`; false when the kernel flagged it interrupted.
    static func dump(_ socket: RouteSocket, type: UInt16, header: [UInt8], into decoder: RouteDumpDecoder) throws(HAError) -> Bool {
        var interrupted = false
        try socket.dump(type: type, header: header) { (buffer, seq, port) throws(HAError) -> Bool in
            if interrupted { return RouteDumpDecoder.containsEnd(buffer) }
            do throws(RouteDumpDecoder.DumpError) {
                return try decoder.consume(buffer, seq: seq, portID: port)
            } catch {
                switch error {
                case .interrupted:
                    // Drain the rest of this dump, then start over.
                    interrupted = true
                    return RouteDumpDecoder.containsEnd(buffer)
                case .kernel(let code):
                    throw RouteSocket.error(code, doing: "dump the kernel's tables")
                case .malformed(let failure):
                    throw failure
                }
            }
        }
        return !interrupted
    }
}
