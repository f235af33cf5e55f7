#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel
import Namespaces

/// Reads a network namespace's neighbour table (ARP and NDP) from the kernel. Read-only: it
/// asks for a dump, it never adds, refreshes or probes an entry.
public enum NeighbourReader {
    public static func read(netns: String? = nil) throws(HAError) -> NeighbourTable {
        let socket = try NetworkNamespace.with(netns) { () throws(HAError) in try RouteSocket() }
        for _ in 0..<AddressReader.attempts {
            let decoder = RouteDumpDecoder()
            // Links first: they name each entry's interface and say how its address prints.
            // AF_UNSPEC asks every neighbour table: ARP, then NDP.
            guard try AddressReader.dump(socket, type: UInt16(RTM_GETLINK), header: [UInt8](repeating: 0, count: MemoryLayout<ifinfomsg>.size), into: decoder),
                  try AddressReader.dump(socket, type: UInt16(RTM_GETNEIGH), header: [UInt8](repeating: 0, count: MemoryLayout<ndmsg>.size), into: decoder)
            else { continue }
            return decoder.neighbourTable(netns: netns)
        }
        throw HAError(.unavailable, "the kernel's neighbour table kept changing while it was read (\(AddressReader.attempts) attempts); try again")
    }
}

extension RouteDumpDecoder {
    static let ndmsgSize = MemoryLayout<ndmsg>.size
    /// MAX_ADDR_LEN: no link-layer address the kernel keeps is longer.
    static let maxLinkAddressLength = 32
    /// The kernel reports cache ages in USER_HZ ticks; iproute2 divides by the same value.
    static let userHZ = UInt32(max(1, sysconf(Int32(_SC_CLK_TCK))))

    func decodeNeighbour(_ message: UnsafePointer<nlmsghdr>) throws(AttributeError) -> DecodedNeighbour? {
        let body = payload(message)
        guard body.count >= RouteDumpDecoder.ndmsgSize else {
            throw AttributeError(type: -1, expected: "\(RouteDumpDecoder.ndmsgSize) (struct ndmsg)", got: body.count, field: "an RTM_NEWNEIGH message body")
        }
        let info = body.loadUnaligned(as: ndmsg.self)
        let family: AddressFamily
        switch Int32(info.ndm_family) {
        case AF_INET: family = .inet
        case AF_INET6: family = .inet6
        default: return nil  // other tables (bridge FDB, ...) are not asked for
        }
        neighbourAttributes.load(message, headerSize: RouteDumpDecoder.ndmsgSize)
        let attrs = neighbourAttributes
        guard let dst = try attrs.address(Int32(NDA_DST)) else {
            throw AttributeError(type: Int32(NDA_DST), expected: "an NDA_DST address", got: 0, field: "an RTM_NEWNEIGH message without NDA_DST")
        }
        guard dst.family == family else {
            throw AttributeError(type: Int32(NDA_DST), expected: "an address of the message's family (\(family == .inet ? 4 : 16) bytes)", got: family == .inet ? 16 : 4)
        }
        var entry = NeighbourEntry(dst: dst, ifindex: Int(info.ndm_ifindex), rawState: info.ndm_state, rawFlags: info.ndm_flags)
        var lladdr: [UInt8]?
        if let raw = attrs[Int32(NDA_LLADDR)] {
            guard raw.count <= RouteDumpDecoder.maxLinkAddressLength else {
                throw AttributeError(type: Int32(NDA_LLADDR), expected: "at most \(RouteDumpDecoder.maxLinkAddressLength) bytes", got: raw.count)
            }
            lladdr = Array(raw)
        }
        let flags = info.ndm_flags
        if flags & NeighbourFlag.router != 0 { entry.router = true }
        if flags & NeighbourFlag.proxy != 0 { entry.proxy = true }
        if flags & NeighbourFlag.externLearned != 0 { entry.externLearn = true }
        if flags & NeighbourFlag.offloaded != 0 { entry.offload = true }
        if let extended = try attrs.u32(Int32(NDA_FLAGS_EXT)), extended & NeighbourFlag.extManaged != 0 { entry.managed = true }
        if let cache = attrs[Int32(NDA_CACHEINFO)] {
            guard cache.count >= MemoryLayout<nda_cacheinfo>.size else {
                throw AttributeError(type: Int32(NDA_CACHEINFO), expected: "\(MemoryLayout<nda_cacheinfo>.size) bytes", got: cache.count)
            }
            let ages = cache.loadUnaligned(as: nda_cacheinfo.self)
            // As iproute2: the reference count only when it is not zero.
            if ages.ndm_refcnt != 0 { entry.refcnt = ages.ndm_refcnt }
            entry.used = ages.ndm_used / RouteDumpDecoder.userHZ
            entry.confirmed = ages.ndm_confirmed / RouteDumpDecoder.userHZ
            entry.updated = ages.ndm_updated / RouteDumpDecoder.userHZ
        }
        entry.probes = try attrs.u32(Int32(NDA_PROBES))
        return DecodedNeighbour(entry: entry, lladdr: lladdr)
    }

    /// The neighbour entries with interface names and link-layer addresses as iproute2
    /// prints them, in the kernel's order.
    public func neighbourTable(netns: String?) -> NeighbourTable {
        var byIndex: [Int: DecodedLink] = [:]
        for link in links { byIndex[link.interface.ifindex] = link }
        let entries = neighbours.map { decoded in
            var entry = decoded.entry
            let link = byIndex[entry.ifindex]
            if entry.ifindex != 0 { entry.dev = link?.interface.ifname ?? "if\(entry.ifindex)" }
            if let bytes = decoded.lladdr {
                entry.lladdr = bytes.withUnsafeBytes { LinkNames.hardwareAddress($0, linkType: link?.rawType ?? 1) }
            }
            return entry
        }
        return NeighbourTable(netns: netns, source: NeighbourTable.dumpSource, neighbours: entries)
    }
}
