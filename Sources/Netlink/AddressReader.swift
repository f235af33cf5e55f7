#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel
import Namespaces

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
                  try dump(socket, type: UInt16(RTM_GETADDR), header: [UInt8](repeating: 0, count: MemoryLayout<ifaddrmsg>.size), into: decoder,
                           countingAddressesFirst: true)
            else { continue }
            return decoder.table(netns: netns)
        }
        throw HAError(.unavailable, "the kernel's address table kept changing while it was read (\(attempts) attempts); try again")
    }

    /// One complete dump into `decoder`; false when the kernel flagged it interrupted.
    /// `countingAddressesFirst` keeps the whole reply, counts each interface's addresses and
    /// sizes its list once before decoding: grown by doubling, 10,000 addresses were copied
    /// twice more into fresh pages (some 1,300 page faults, a fifth of `addr`'s run time).
    static func dump(_ socket: RouteSocket, type: UInt16, header: [UInt8], into decoder: RouteDumpDecoder,
                     countingAddressesFirst: Bool = false) throws(HAError) -> Bool {
        if countingAddressesFirst {
            var replies: [(bytes: [UInt8], seq: UInt32, port: UInt32)] = []
            try socket.dump(type: type, header: header) { (buffer, seq, port) throws(HAError) -> Bool in
                replies.append((Array(buffer), seq, port))
                return RouteDumpDecoder.containsEnd(buffer)
            }
            var counts: [Int: Int] = [:]
            for reply in replies { reply.bytes.withUnsafeBytes { RouteDumpDecoder.countAddresses($0, into: &counts) } }
            decoder.reserveAddresses(counts)
            var interrupted = false
            for reply in replies {
                var failure: HAError?
                let done = reply.bytes.withUnsafeBytes { buffer -> Bool in
                    do throws(HAError) {
                        return try consume(buffer, seq: reply.seq, port: reply.port, into: decoder, interrupted: &interrupted)
                    } catch {
                        failure = error
                        return true
                    }
                }
                if let failure { throw failure }
                if done { break }
            }
            return !interrupted
        }
        var interrupted = false
        try socket.dump(type: type, header: header) { (buffer, seq, port) throws(HAError) -> Bool in
            try consume(buffer, seq: seq, port: port, into: decoder, interrupted: &interrupted)
        }
        return !interrupted
    }

    /// One reply buffer; true when the dump ended. An interrupted dump is drained, not decoded.
    private static func consume(_ buffer: UnsafeRawBufferPointer, seq: UInt32, port: UInt32, into decoder: RouteDumpDecoder,
                                interrupted: inout Bool) throws(HAError) -> Bool {
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
}
