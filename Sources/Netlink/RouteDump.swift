#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel

/// A link as decoded from one RTM_NEWLINK message, before indexes are turned into names.
struct DecodedLink {
    var interface: NetworkInterface
    var linkIndex: UInt32?
    var masterIndex: UInt32?
    /// The ARPHRD_* type, which decides how a neighbour's link-layer address is printed.
    var rawType: UInt16 = 0
}

/// A neighbour as decoded from one RTM_NEWNEIGH message; its link-layer address stays bytes
/// until the link dump says how the interface prints them.
struct DecodedNeighbour {
    var entry: NeighbourEntry
    var lladdr: [UInt8]?
}

/// Decodes the messages of rtnetlink dumps (links, addresses and neighbours). Pure: it reads buffers
/// handed to it, so tests and the fuzzer feed it bytes without a socket.
public final class RouteDumpDecoder: NetlinkMessageDecoding {
    // Only the single-threaded walk touches these; dynamic exclusivity checks on every
    // message showed in the profile of a 10,000-address dump (addr --json budget).
    @exclusivity(unchecked) var links: [DecodedLink] = []
    /// Where each ifindex sits in `links`: addresses go straight onto their interface, with
    /// no second array of them to copy (10,000 addresses are megabytes).
    @exclusivity(unchecked) private var position: [Int: Int] = [:]
    /// The last lookup in `position`: a dump lists an interface's addresses together.
    @exclusivity(unchecked) private var lastPosition: (ifindex: Int, at: Int)?
    var neighbours: [DecodedNeighbour] = []
    var failure: HAError?
    private var linkAttributes = AttributeTable(maxType: Int(__IFLA_MAX) - 1)
    @exclusivity(unchecked) private var addressAttributes = AttributeTable(maxType: Int(__IFA_MAX) - 1)
    var neighbourAttributes = AttributeTable(maxType: Int(__NDA_MAX) - 1)

    public init() {}

    /// Consumes one received buffer. Returns true when the dump is complete (NLMSG_DONE).
    /// `seq`/`portID` of 0 skip libmnl's sequence and port checks (for tests and fuzzing).
    /// Throws `interrupted` when the kernel flagged the dump inconsistent (NLM_F_DUMP_INTR).
    public func consume(_ buffer: UnsafeRawBufferPointer, seq: UInt32 = 0, portID: UInt32 = 0) throws(DumpError) -> Bool {
        try consumeMessages(buffer, seq: seq, portID: portID)
    }

    /// libmnl's message walk over the prefix of `buffer` whose lengths check out, calling
    /// `visit` for each message; true when the dump is complete (NLMSG_DONE). Shared by every
    /// netlink dump decoder (rtnetlink, sock_diag).
    static func walk(_ buffer: UnsafeRawBufferPointer, seq: UInt32, portID: UInt32,
                     visit: @escaping (UnsafePointer<nlmsghdr>) -> Int32) throws(DumpError) -> Bool {
        let (valid, _, badLength) = RouteDumpDecoder.messageBoundaries(buffer)
        if let badLength {
            throw .malformed(HAError(.unavailable, "malformed netlink reply: a message at byte \(valid) claims \(badLength) bytes, but \(buffer.count - valid) remain"))
        }
        guard let base = buffer.baseAddress, valid > 0 else { return false }
        let visitor = MessageVisitor(visit)
        let result = withExtendedLifetime(visitor) {
            mnl_cb_run(base, valid, seq, portID, { message, data in
                Unmanaged<MessageVisitor>.fromOpaque(data!).takeUnretainedValue().visit(message!)
            }, Unmanaged.passUnretained(visitor).toOpaque())
        }
        if result == MNL_CB_ERROR {
            let code = errno
            // Not a retry: the kernel interrupted the dump itself (NLM_F_DUMP_INTR), so the caller starts it over.
            if code == EINTR { throw .interrupted }
            throw .kernel(code)
        }
        return result == MNL_CB_STOP
    }

    final class MessageVisitor {
        let visit: (UnsafePointer<nlmsghdr>) -> Int32
        init(_ visit: @escaping (UnsafePointer<nlmsghdr>) -> Int32) { self.visit = visit }
    }

    public enum DumpError: Error {
        /// The kernel changed the table during the dump; start again.
        case interrupted
        /// The kernel answered with an error (errno value).
        case kernel(Int32)
        /// A message we could not decode.
        case malformed(HAError)
    }

    func decode(_ message: UnsafePointer<nlmsghdr>) -> Int32 {
        do throws(AttributeError) {
            switch Int32(message.pointee.nlmsg_type) {
            case Int32(RTM_NEWLINK):
                if let link = try decodeLink(message) {
                    position[link.interface.ifindex] = links.count
                    lastPosition = nil
                    links.append(link)
                }
            case Int32(RTM_NEWADDR):
                try decodeAddress(message)
            case Int32(RTM_NEWNEIGH):
                if let neighbour = try decodeNeighbour(message) { neighbours.append(neighbour) }
            default:
                break
            }
            return MNL_CB_OK
        } catch {
            failure = HAError(.unavailable, "malformed netlink message from the kernel: \(error.field ?? "attribute \(error.type)") has \(error.got) byte(s), expected \(error.expected)")
            return MNL_CB_ERROR
        }
    }

    /// Adds the RTM_NEWADDR messages of `buffer` to `counts`, by interface index, reading only
    /// headers whose lengths check out (as `messageBoundaries` walks them).
    public static func countAddresses(_ buffer: UnsafeRawBufferPointer, into counts: inout [Int: Int]) {
        let headerSize = MemoryLayout<nlmsghdr>.size
        let valid = messageBoundaries(buffer).valid
        var offset = 0
        // Runs of one interface's addresses are counted locally, then added once.
        var run: (index: Int, count: Int)?
        while offset < valid {
            let length = Int(buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let type = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self)
            // ifaddrmsg: family, prefixlen, flags, scope (one byte each), then the u32 index.
            if Int32(type) == RTM_NEWADDR, length >= headerSize + ifaddrSize {
                let index = Int(buffer.loadUnaligned(fromByteOffset: offset + headerSize + 4, as: UInt32.self))
                if let current = run, current.index == index {
                    run = (index, current.count + 1)
                } else {
                    if let current = run { counts[current.index, default: 0] += current.count }
                    run = (index, 1)
                }
            }
            offset += (length + 3) & ~3
        }
        if let current = run { counts[current.index, default: 0] += current.count }
    }

    /// Sizes each known interface's address list for `counts` more addresses.
    public func reserveAddresses(_ counts: [Int: Int]) {
        for (ifindex, count) in counts {
            guard let at = position[ifindex] else { continue }
            links[at].interface.addrInfo.reserveCapacity(links[at].interface.addrInfo.count + count)
        }
    }

    /// Whether `buffer` holds the message that ends a dump (NLMSG_DONE or an error), found
    /// without decoding anything: used to drain a dump we are going to discard.
    public static func containsEnd(_ buffer: UnsafeRawBufferPointer) -> Bool {
        messageBoundaries(buffer).types.contains { Int32($0) == NLMSG_DONE || Int32($0) == NLMSG_ERROR }
    }

    /// Walks the message headers with every length checked against the bytes received.
    /// libmnl trusts the kernel: its length check casts nlmsg_len to int, so a length above
    /// 2^31 passes and the walk leaves the buffer. Only the prefix this walk accepts is
    /// handed to libmnl.
    static func messageBoundaries(_ buffer: UnsafeRawBufferPointer) -> (valid: Int, types: [UInt16], badLength: UInt32?) {
        let headerSize = MemoryLayout<nlmsghdr>.size
        var offset = 0
        var types: [UInt16] = []
        while buffer.count - offset >= headerSize {
            let length = buffer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
            // libmnl reads up to the 4-byte-aligned end of a message, so that end must fit too.
            guard length >= UInt32(headerSize), (Int(length) + 3) & ~3 <= buffer.count - offset else {
                return (offset, types, length)
            }
            types.append(buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt16.self))
            offset += (Int(length) + 3) & ~3
        }
        return (offset, types, nil)
    }

    static let ifinfoSize = MemoryLayout<ifinfomsg>.size
    static let ifaddrSize = MemoryLayout<ifaddrmsg>.size

    func payload(_ message: UnsafePointer<nlmsghdr>) -> UnsafeRawBufferPointer {
        let headerLength = MemoryLayout<nlmsghdr>.size
        let total = Int(message.pointee.nlmsg_len)
        return UnsafeRawBufferPointer(start: mnl_nlmsg_get_payload(message), count: max(0, total - headerLength))
    }

    private func decodeLink(_ message: UnsafePointer<nlmsghdr>) throws(AttributeError) -> DecodedLink? {
        let body = payload(message)
        // A message too short for its fixed header is skipped, never read past.
        guard body.count >= RouteDumpDecoder.ifinfoSize else { return nil }
        let info = body.loadUnaligned(as: ifinfomsg.self)
        linkAttributes.load(message, headerSize: RouteDumpDecoder.ifinfoSize)
        let attrs = linkAttributes
        var interface = NetworkInterface(
            ifindex: Int(info.ifi_index),
            ifname: attrs.string(Int32(IFLA_IFNAME)) ?? "if\(info.ifi_index)",
            rawFlags: info.ifi_flags,
            linkType: LinkNames.linkType(info.ifi_type))
        interface.mtu = try attrs.u32(Int32(IFLA_MTU)).map(Int.init)
        interface.qdisc = attrs.string(Int32(IFLA_QDISC))
        interface.operstate = try attrs.u8(Int32(IFLA_OPERSTATE)).map(LinkNames.operstate)
        interface.group = try attrs.u32(Int32(IFLA_GROUP)).map { $0 == 0 ? "default" : String($0) }
        interface.txqlen = try attrs.u32(Int32(IFLA_TXQLEN)).map(Int.init)
        if let raw = attrs[Int32(IFLA_ADDRESS)] {
            interface.address = LinkNames.hardwareAddress(raw, linkType: info.ifi_type)
        }
        if let raw = attrs[Int32(IFLA_BROADCAST)] {
            interface.broadcast = LinkNames.hardwareAddress(raw, linkType: info.ifi_type)
        }
        if let raw = attrs[Int32(IFLA_PERM_ADDRESS)] {
            interface.permaddr = LinkNames.hardwareAddress(raw, linkType: info.ifi_type)
        }
        interface.ifalias = attrs.string(Int32(IFLA_IFALIAS))
        if let nsid = try attrs.u32(Int32(IFLA_LINK_NETNSID)) {
            interface.linkNetnsid = Int(Int32(bitPattern: nsid))
        }
        if let linkinfo = attrs[Int32(IFLA_LINKINFO)] {
            let nested = AttributeTable.parseNested(linkinfo, maxType: Int(__IFLA_INFO_MAX) - 1)
            let kind = nested.string(Int32(IFLA_INFO_KIND))
            let slaveKind = nested.string(Int32(IFLA_INFO_SLAVE_KIND))
            if kind != nil || slaveKind != nil {
                interface.linkinfo = .init(infoKind: kind, infoSlaveKind: slaveKind)
            }
        }
        return DecodedLink(interface: interface,
                           linkIndex: try attrs.u32(Int32(IFLA_LINK)),
                           masterIndex: try attrs.u32(Int32(IFLA_MASTER)),
                           rawType: info.ifi_type)
    }

    /// Decodes an RTM_NEWADDR and appends it to its interface (moved there, not copied).
    private func decodeAddress(_ message: UnsafePointer<nlmsghdr>) throws(AttributeError) {
        let body = payload(message)
        guard body.count >= RouteDumpDecoder.ifaddrSize else { return }
        let info = body.loadUnaligned(as: ifaddrmsg.self)
        guard info.ifa_family == UInt8(AF_INET) || info.ifa_family == UInt8(AF_INET6) else { return }
        addressAttributes.load(message, headerSize: RouteDumpDecoder.ifaddrSize)
        let attrs = addressAttributes
        let peer = try attrs.address(Int32(IFA_ADDRESS))
        let localAttribute = try attrs.address(Int32(IFA_LOCAL))
        // As iproute2: IFA_LOCAL is the address; IFA_ADDRESS is the peer when it differs.
        guard let local = localAttribute ?? peer else { return }
        guard local.family == (info.ifa_family == UInt8(AF_INET) ? .inet : .inet6) else {
            throw AttributeError(type: Int32(IFA_ADDRESS), expected: "an address of the message's family", got: 0)
        }
        let flags = try attrs.u32(Int32(IFA_FLAGS)) ?? UInt32(info.ifa_flags)
        var address = InterfaceAddress(local: local, prefixlen: Int(info.ifa_prefixlen),
                                       scope: LinkNames.scope(info.ifa_scope), rawFlags: flags,
                                       label: attrs.string(Int32(IFA_LABEL)))
        if localAttribute != nil, let peer, peer != local { address.address = peer }
        address.broadcast = try attrs.address(Int32(IFA_BROADCAST))
        address.anycast = try attrs.address(Int32(IFA_ANYCAST))
        if let cache = attrs[Int32(IFA_CACHEINFO)] {
            guard cache.count >= MemoryLayout<ifa_cacheinfo>.size else {
                throw AttributeError(type: Int32(IFA_CACHEINFO), expected: "\(MemoryLayout<ifa_cacheinfo>.size) bytes", got: cache.count)
            }
            let info = cache.loadUnaligned(as: ifa_cacheinfo.self)
            address.validLifeTime = info.ifa_valid
            address.preferredLifeTime = info.ifa_prefered
        }
        AddressFlagNames.apply(flags, family: address.family, to: &address)
        // An address of a link the dump did not list (it came and went between the two
        // dumps) is left out, as the table is of links; it was still checked above.
        guard let at = linkPosition(Int(info.ifa_index)) else { return }
        // Moved, not copied and released: a tenth of an address's decoding (addr --json budget).
        links[at].interface.addrInfo.append(consume address)
    }

    private func linkPosition(_ ifindex: Int) -> Int? {
        if let last = lastPosition, last.ifindex == ifindex { return last.at }
        guard let at = position[ifindex] else { return nil }
        lastPosition = (ifindex, at)
        return at
    }

    /// The interfaces with their addresses attached and indexes resolved to names, in the
    /// kernel's order.
    public func table(netns: String?) -> AddressTable {
        let byIndex = position
        var interfaces = links.map(\.interface)
        for (position, link) in links.enumerated() {
            if let lower = link.linkIndex {
                if link.interface.linkNetnsid != nil {
                    interfaces[position].linkIndex = Int(lower)
                } else if lower != 0 {
                    interfaces[position].link = byIndex[Int(lower)].map { links[$0].interface.ifname } ?? "if\(lower)"
                }
            }
            if let master = link.masterIndex {
                interfaces[position].master = byIndex[Int(master)].map { links[$0].interface.ifname } ?? "if\(master)"
            }
            // iproute2 prints M-DOWN when the lower device here is not up (or not known);
            // a peer in another namespace (link_netnsid) it does not judge.
            let lowerDown: Bool = {
                guard let lower = link.linkIndex, lower != 0, link.interface.linkNetnsid == nil else { return false }
                guard let at = byIndex[Int(lower)] else { return true }
                return links[at].interface.rawFlags & LinkFlags.up == 0
            }()
            interfaces[position].flags = LinkFlags.names(link.interface.rawFlags, lowerDown: lowerDown)
        }
        return AddressTable(netns: netns, source: AddressTable.dumpSource, interfaces: interfaces)
    }
}

/// A decoder fed by libmnl's walk: one call per message, a failure kept for after the walk.
protocol NetlinkMessageDecoding: AnyObject {
    var failure: HAError? { get }
    func decode(_ message: UnsafePointer<nlmsghdr>) -> Int32
}

extension NetlinkMessageDecoding {
    /// One received buffer; true when the dump is complete. A decoding failure outranks the
    /// walk's own error, which it caused.
    func consumeMessages(_ buffer: UnsafeRawBufferPointer, seq: UInt32, portID: UInt32) throws(RouteDumpDecoder.DumpError) -> Bool {
        let done: Bool
        do throws(RouteDumpDecoder.DumpError) {
            done = try RouteDumpDecoder.walk(buffer, seq: seq, portID: portID) { self.decode($0) }
        } catch {
            if let failure { throw .malformed(failure) }
            throw error
        }
        if let failure { throw .malformed(failure) }
        return done
    }
}
