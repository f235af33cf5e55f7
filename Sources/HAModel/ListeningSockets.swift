/// The sockets that accept traffic in a network namespace, as the kernel reports them
/// (sock_diag), with the processes that hold them (from /proc).
public struct ListeningSocketTable: Codable, Sendable, Equatable {
    /// Where a live table comes from, and what is missing when it cannot be read.
    public static let dumpSource = Source.netlink("sock_diag")
    public var netns: String?
    public var source: Source
    public var sockets: [ListeningSocket]

    public init(netns: String?, source: Source, sockets: [ListeningSocket]) {
        self.netns = netns
        self.source = source
        self.sockets = sockets
    }

    /// The sockets a connection to `address`:`port` would reach (specific address first).
    public func accepting(_ address: IPAddress, port: Int, transport: String = "tcp") -> [ListeningSocket] {
        let matching = sockets.filter { $0.transport == transport && $0.port == port && $0.accepts(address) }
        return matching.filter { !$0.isWildcard } + matching.filter(\.isWildcard)
    }
}

public struct ListeningSocket: Codable, Sendable, Equatable {
    /// "tcp" (state LISTEN) or "udp" (bound, unconnected).
    public var transport: String
    public var address: IPAddress
    public var port: Int
    /// IPV6_V6ONLY: an IPv6 wildcard socket without it also takes IPv4.
    public var v6only: Bool?
    /// SO_BINDTODEVICE interface index, when bound to one.
    public var boundInterface: Int?
    public var inode: UInt32
    public var uid: UInt32
    public var owners: [SocketOwner]

    public init(transport: String, address: IPAddress, port: Int, v6only: Bool?, boundInterface: Int?, inode: UInt32, uid: UInt32, owners: [SocketOwner] = []) {
        self.transport = transport
        self.address = address
        self.port = port
        self.v6only = v6only
        self.boundInterface = boundInterface
        self.inode = inode
        self.uid = uid
        self.owners = owners
    }

    enum CodingKeys: String, CodingKey {
        case transport, address, port, v6only, boundInterface = "bound_interface", inode, uid, owners
    }

    public var isWildcard: Bool { address == .v4(0) || address == .v6(0, 0) }

    public func accepts(_ target: IPAddress) -> Bool {
        if address == target { return true }
        if address == .v4(0) { return target.family == .inet }
        if address == .v6(0, 0) { return target.family == .inet6 || v6only != true }
        return false
    }

    /// "192.168.3.200:5432", "[::]:443", as ss prints them.
    public var endpoint: String {
        address.family == .inet6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// A process holding a socket open (found through /proc/PID/fd).
public struct SocketOwner: Codable, Sendable, Equatable, Hashable {
    public var pid: Int32
    public var command: String
    public var fd: Int32

    public init(pid: Int32, command: String, fd: Int32) {
        self.pid = pid
        self.command = command
        self.fd = fd
    }
}
