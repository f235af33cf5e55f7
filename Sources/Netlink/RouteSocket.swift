#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel
import SystemPackage

/// A netlink socket (libmnl; rtnetlink unless another protocol such as NETLINK_SOCK_DIAG is
/// asked for) that sends dump requests and hands back each reply buffer.
/// Nothing above this type sees a raw pointer or errno.
final class RouteSocket {
    private let socket: OpaquePointer
    let portID: UInt32
    private var sequence: UInt32
    /// Large enough for the kernel's biggest dump chunk, so one recv takes one chunk.
    static let bufferSize = 65536

    init(protocol netlinkProtocol: Int32 = NETLINK_ROUTE) throws(HAError) {
        guard let socket = mnl_socket_open(netlinkProtocol) else {
            throw RouteSocket.error(errno, doing: "open a netlink socket (protocol \(netlinkProtocol))")
        }
        guard mnl_socket_bind(socket, 0, pid_t(MNL_SOCKET_AUTOPID)) >= 0 else {
            let code = errno
            mnl_socket_close(socket)
            throw RouteSocket.error(code, doing: "bind the rtnetlink socket")
        }
        // Every wait is bounded: a kernel that stops answering a dump must not hang us.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(mnl_socket_get_fd(socket), SOL_SOCKET, SO_RCVTIMEO, &timeout,
                       socklen_t(MemoryLayout<timeval>.size))
        self.socket = socket
        self.portID = mnl_socket_get_portid(socket)
        self.sequence = UInt32(truncatingIfNeeded: time(nil))
    }

    deinit { mnl_socket_close(socket) }

    static func error(_ code: Int32, doing what: String) -> HAError {
        let reason = Errno(rawValue: code).description
        switch code {
        case EPERM, EACCES:
            return HAError(.noPermission, "cannot \(what): \(reason)")
        case EAGAIN:
            return HAError(.unavailable, "cannot \(what): the kernel did not answer within 5 seconds")
        default:
            return HAError(.unavailable, "cannot \(what): \(reason)")
        }
    }

    /// Sends one dump request for `type` (RTM_GETLINK, RTM_GETADDR, ...) with `header` as its
    /// family-specific body, then passes each received buffer to `consume` until it reports
    /// the dump complete. Returns the sequence number used.
    func dump(type: UInt16, header: [UInt8], consume: (UnsafeRawBufferPointer, UInt32, UInt32) throws(HAError) -> Bool) throws(HAError) {
        try request(type: type, flags: UInt16(NLM_F_REQUEST | NLM_F_DUMP), body: header, consume: consume)
    }

    /// Sends one request (a dump, or a single question such as RTM_GETROUTE) whose body is
    /// the family header and any attributes, and passes each reply buffer to `consume` until
    /// it reports the answer complete.
    func request(type: UInt16, flags: UInt16, body header: [UInt8], consume: (UnsafeRawBufferPointer, UInt32, UInt32) throws(HAError) -> Bool) throws(HAError) {
        sequence &+= 1
        let seq = sequence
        var request = [UInt8](repeating: 0, count: 1024)
        let sent: Int = request.withUnsafeMutableBytes { raw in
            let nlh = mnl_nlmsg_put_header(raw.baseAddress)!
            nlh.pointee.nlmsg_type = type
            nlh.pointee.nlmsg_flags = flags
            nlh.pointee.nlmsg_seq = seq
            let body = mnl_nlmsg_put_extra_header(nlh, header.count)!
            header.withUnsafeBytes { body.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            return mnl_socket_sendto(socket, nlh, Int(nlh.pointee.nlmsg_len))
        }
        guard sent >= 0 else { throw RouteSocket.error(errno, doing: "send a netlink request") }

        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: RouteSocket.bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let received = mnl_socket_recvfrom(socket, buffer.baseAddress, buffer.count)
            if received < 0 {
                // By hand: libmnl's recvfrom (which checks the sender and truncation) has no swift-system wrapper.
                if errno == EINTR { continue }
                throw RouteSocket.error(errno, doing: "read the netlink dump")
            }
            let done = try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<received]), seq, portID)
            if done { return }
        }
    }
}
