#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel
import Namespaces

/// Decodes sock_diag dump replies (inet_diag_msg) into listening sockets. Pure: tests and
/// the fuzzer feed it bytes without a socket.
public final class SocketDiagDecoder: NetlinkMessageDecoding {
    public private(set) var sockets: [ListeningSocket] = []
    private let transport: String
    var failure: HAError?
    private var attributes = AttributeTable(maxType: Int(__INET_DIAG_MAX) - 1)
    static let messageSize = MemoryLayout<inet_diag_msg>.size

    public init(transport: String) { self.transport = transport }

    /// Consumes one received buffer; true when the dump is complete.
    public func consume(_ buffer: UnsafeRawBufferPointer, seq: UInt32 = 0, portID: UInt32 = 0) throws(RouteDumpDecoder.DumpError) -> Bool {
        try consumeMessages(buffer, seq: seq, portID: portID)
    }

    func decode(_ message: UnsafePointer<nlmsghdr>) -> Int32 {
        guard Int32(message.pointee.nlmsg_type) == SOCK_DIAG_BY_FAMILY else { return MNL_CB_OK }
        let total = Int(message.pointee.nlmsg_len) - MemoryLayout<nlmsghdr>.size
        // A message too short for inet_diag_msg is skipped, never read past.
        guard total >= SocketDiagDecoder.messageSize, let payload = mnl_nlmsg_get_payload(message) else { return MNL_CB_OK }
        let info = UnsafeRawBufferPointer(start: payload, count: total).loadUnaligned(as: inet_diag_msg.self)
        let address: IPAddress
        var source = info.id.idiag_src
        switch Int32(info.idiag_family) {
        case AF_INET:
            address = withUnsafeBytes(of: &source) { IPAddress(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<4])) }!
        case AF_INET6:
            address = withUnsafeBytes(of: &source) { IPAddress(bytes: $0) }!
        default:
            return MNL_CB_OK
        }
        attributes.load(message, headerSize: SocketDiagDecoder.messageSize)
        var v6only: Bool?
        do throws(AttributeError) {
            v6only = try attributes.u8(Int32(INET_DIAG_SKV6ONLY)).map { $0 != 0 }
        } catch {
            failure = HAError(.unavailable, "malformed sock_diag message from the kernel: attribute \(error.type) has \(error.got) byte(s), expected \(error.expected)")
            return MNL_CB_ERROR
        }
        sockets.append(ListeningSocket(
            transport: transport, address: address, port: Int(UInt16(bigEndian: info.id.idiag_sport)),
            v6only: address.family == .inet6 ? v6only : nil,
            boundInterface: info.id.idiag_if == 0 ? nil : Int(info.id.idiag_if),
            inode: info.idiag_inode, uid: info.idiag_uid))
        return MNL_CB_OK
    }
}

/// Reads the listening TCP sockets and bound UDP sockets of a network namespace, IPv4 and
/// IPv6, over NETLINK_SOCK_DIAG (what `ss -ltn`/`ss -lun` show).
public enum ListeningSocketReader {
    static let tcpListen: UInt32 = 10
    static let udpUnconnected: UInt32 = 7

    public static func read(netns: String? = nil, includeUDP: Bool = true) throws(HAError) -> ListeningSocketTable {
        let socket = try NetworkNamespace.with(netns) { () throws(HAError) in try RouteSocket(protocol: NETLINK_SOCK_DIAG) }
        var sockets: [ListeningSocket] = []
        var requests: [(UInt8, String, UInt32)] = [(UInt8(IPPROTO_TCP), "tcp", tcpListen)]
        if includeUDP { requests.append((UInt8(IPPROTO_UDP), "udp", udpUnconnected)) }
        for (proto, transport, state) in requests {
            for family in [AF_INET, AF_INET6] {
                let decoder = SocketDiagDecoder(transport: transport)
                var request = inet_diag_req_v2()
                request.sdiag_family = UInt8(family)
                request.sdiag_protocol = proto
                request.idiag_states = 1 << state
                let header = withUnsafeBytes(of: &request) { Array($0) }
                try socket.dump(type: UInt16(SOCK_DIAG_BY_FAMILY), header: header) { (buffer, seq, port) throws(HAError) -> Bool in
                    do throws(RouteDumpDecoder.DumpError) {
                        return try decoder.consume(buffer, seq: seq, portID: port)
                    } catch {
                        switch error {
                        case .interrupted: return RouteDumpDecoder.containsEnd(buffer)
                        case .kernel(let code): throw RouteSocket.error(code, doing: "dump the kernel's \(transport) sockets")
                        case .malformed(let failure): throw failure
                        }
                    }
                }
                sockets += decoder.sockets
            }
        }
        return ListeningSocketTable(netns: netns, source: ListeningSocketTable.dumpSource, sockets: sockets)
    }
}
