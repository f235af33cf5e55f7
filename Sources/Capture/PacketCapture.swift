#if canImport(Glibc)
import Glibc
#endif
import CPcap
import HAModel
import LocalFiles
import Namespaces
import Synchronization
import SystemPackage
import VRRP

/// Packets from the wire or a pcap/pcapng file, through libpcap. Read-only: nothing is sent
/// (but by `probe`, which `--probe` asks for); the multicast memberships it adds belong to its
/// socket and vanish with it.
public final class PacketCapture {
    /// What the capture reads, for the report's `source`.
    public let description: String
    /// The link type of a libpcap capture; a pcapng file has one per interface.
    public let linkType: LinkType
    /// A single interface's name when capturing on one, else nil (all interfaces or a file).
    public let interface: String?
    private let handle: OpaquePointer?
    private let pcap: LibPcap?
    private let isFile: Bool
    /// A pcapng file, read block by block by our own reader.
    private let pcapng: PcapngFile?
    /// What kind of file this is, for the report's source.
    public var fileKind: String {
        pcapng != nil ? "pcapng capture file" : "capture file, link type \(linkType)"
    }
    /// Packets on pcapng interfaces whose link type is not decoded, said once the file is read.
    public private(set) var notes: [String] = []
    private var interfaceNames: [Int: String]
    /// The interfaces whose multicast groups a live capture asked for.
    private var joinedInterfaces: [Int] = []
    /// The network namespace of a live capture, where a probe is sent from.
    private(set) var netns: String?
    /// The stdio buffer of a capture file's FILE (which libpcap owns and closes): freed after it.
    private let fileBuffer: UnsafeMutablePointer<CChar>?
    /// A plain pcap file's records, read in bulk until one needs libpcap's judgement.
    private var records: PcapRecords?

    /// The kernel-side filter: VRRP over IPv4 and IPv6, also inside IPsec AH and behind an
    /// IPv6 hop-by-hop header (the decoder drops whatever is not VRRP after all); and the link
    /// layer's claims to addresses: every ARP packet and ICMPv6 neighbour solicitations (135)
    /// and advertisements (136), which RFC 4861 sends with no extension header before them.
    public static let filter = "ip proto 112 or ip6 proto 112 or ip proto 51 or ip6 proto 51 or ip6 proto 0"
        + " or arp or (icmp6 and (icmp6[icmp6type] == icmp6-neighborsolicit or icmp6[icmp6type] == icmp6-neighboradvert))"

    private init(pcap: LibPcap, handle: OpaquePointer, description: String, interface: String?, isFile: Bool,
                 interfaceNames: [Int: String], fileBuffer: UnsafeMutablePointer<CChar>? = nil) throws(HAError) {
        self.pcap = pcap
        self.fileBuffer = fileBuffer
        self.handle = handle
        self.pcapng = nil
        self.description = description
        self.interface = interface
        self.isFile = isFile
        self.interfaceNames = interfaceNames
        let dlt = pcap.datalink(handle)
        guard let linkType = LinkType(dlt: dlt) else {
            let name = pcap.datalinkValToName(dlt).map { String(cString: $0) } ?? "\(dlt)"
            pcap.close(handle)
            fileBuffer?.deallocate()
            throw HAError(isFile ? .dataError : .unavailable,
                          "link type \(name) is not one haexplain decodes (Ethernet, Linux cooked v1/v2, raw IP)")
        }
        self.linkType = linkType
    }

    private init(pcapng: PcapngFile, description: String) {
        self.pcap = nil
        self.handle = nil
        self.fileBuffer = nil
        self.pcapng = pcapng
        self.description = description
        self.interface = nil
        self.isFile = true
        self.interfaceNames = [:]
        self.linkType = .ethernet
    }

    deinit {
        if let pcap, let handle { pcap.close(handle) }
        fileBuffer?.deallocate()
    }

    /// Opens a pcap file (through libpcap) or a pcapng file (our own block reader, which
    /// keeps each packet's interface and link type) with nanosecond timestamps.
    public static func open(file path: String) throws(HAError) -> PacketCapture {
        // Like every input file: a FIFO or a device is refused, never waited on.
        let fd = try BoundedFile.openRegular(path, what: "capture file").fd
        guard let file = fdopen(fd.rawValue, "rb") else {
            let code = Errno(rawValue: errno)
            try? fd.close()
            throw HAError(.noInput, "cannot read the capture file: \(code)", file: path)
        }
        var magic: [UInt8] = [0, 0, 0, 0]
        if fread(&magic, 1, 4, file) == 4, magic.withUnsafeBytes(PcapngReader.isPcapng) {
            rewind(file)
            return PacketCapture(pcapng: PcapngFile(file: file, path: path), description: path)
        }
        rewind(file)
        let pcap = try LibPcap.get()
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        // A 1 MiB stdio buffer instead of one block: a 70 MB file in 70 reads, not 17,000
        // (glibc ignores the size unless it is also given the buffer).
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: 1 << 20)
        setvbuf(file, buffer, _IOFBF, 1 << 20)
        guard let handle = pcap.fopenOfflineWithTstampPrecision(file, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer) else {
            fclose(file)
            buffer.deallocate()
            let message = Self.text(errorBuffer)
            let unreadable = message.contains("Permission denied") || message.contains("No such file")
            throw HAError(unreadable ? .noInput : .dataError,
                          "not a readable pcap or pcapng file (\(message)); write one with `tcpdump -w FILE vrrp`", file: path)
        }
        let capture = try PacketCapture(pcap: pcap, handle: handle, description: path, interface: nil, isFile: true, interfaceNames: [:],
                                        fileBuffer: buffer)
        // libpcap has read and checked the file header; a file in this machine's byte order
        // and today's format (2.4, lengths not swapped) has its records read by us.
        if pcap.majorVersion(handle) == 2, pcap.minorVersion(handle) == 4,
           let nanoseconds = magic.withUnsafeBytes(PcapRecordReader.nanoseconds(magic:)), let snapshot = Int(exactly: pcap.snapshot(handle)), snapshot > 0, snapshot <= PcapRecords.largestSnapshot {
            capture.records = PcapRecords(file: file, snapshot: snapshot, nanoseconds: nanoseconds)
        }
        return capture
    }

    /// Opens a live capture on `interface` (all interfaces when nil) inside network namespace
    /// `netns`, with the VRRP filter compiled by libpcap and attached in the kernel.
    public static func open(interface: String?, netns: String?) throws(HAError) -> PacketCapture {
        let pcap = try LibPcap.get()
        return try NetworkNamespace.with(netns) { () throws(HAError) -> PacketCapture in
            let device = interface ?? "any"
            var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
            guard let handle = pcap.create(device, &errorBuffer) else {
                throw HAError(.unavailable, "cannot capture on \(device): \(Self.text(errorBuffer))")
            }
            _ = pcap.setSnaplen(handle, 65535)
            _ = pcap.setPromisc(handle, 0)
            _ = pcap.setTimeout(handle, 100)
            _ = pcap.setImmediateMode(handle, 1)
            _ = pcap.setTstampPrecision(handle, Int32(PCAP_TSTAMP_PRECISION_NANO))
            let status = pcap.activate(handle)
            if status < 0 {
                let detail = pcap.message(handle)
                pcap.close(handle)
                let place = netns.map { " in network namespace \($0)" } ?? ""
                switch status {
                case PCAP_ERROR_PERM_DENIED:
                    throw HAError(.noPermission, "capturing packets needs CAP_NET_RAW: run as root or grant it (setcap cap_net_raw+ep); \(detail)")
                case PCAP_ERROR_NO_SUCH_DEVICE:
                    throw HAError(.usage, "no interface named '\(device)'\(place)")
                case PCAP_ERROR_IFACE_NOT_UP:
                    throw HAError(.unavailable, "interface \(device)\(place) is down")
                default:
                    throw HAError(.unavailable, "cannot capture on \(device)\(place): \(detail)")
                }
            }
            if interface == nil {
                // Linux cooked v2 carries the ifindex, so adverts keep their interface.
                _ = pcap.setDatalink(handle, 276)
            }
            var program = bpf_program()
            guard pcap.compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
                let detail = pcap.message(handle)
                pcap.close(handle)
                throw HAError(.software, "libpcap rejected the capture filter: \(detail)")
            }
            defer { pcap.freecode(&program) }
            guard pcap.setfilter(handle, &program) == 0 else {
                let detail = pcap.message(handle)
                pcap.close(handle)
                throw HAError(.unavailable, "cannot attach the capture filter: \(detail)")
            }
            // libpcap's blocking read keeps polling while nothing arrives (its timeout ends a
            // wait only once a packet came), so a silent wire would never reach our deadline:
            // read non-blocking and wait in our own poll instead.
            guard pcap.setnonblock(handle, 1, &errorBuffer) == 0 else {
                pcap.close(handle)
                throw HAError(.unavailable, "cannot read \(device) without blocking: \(Self.text(errorBuffer))")
            }
            let names = Self.interfaceNames()
            let joined = interface.flatMap { name in names.first { $0.value == name }.map { [$0.key] } } ?? Array(names.keys)
            join(groups: vrrpGroups, fd: pcap.fileno(handle), interfaces: joined)
            let label = (interface ?? "all interfaces") + (netns.map { " in network namespace \($0)" } ?? "")
            let capture = try PacketCapture(pcap: pcap, handle: handle, description: label, interface: interface, isFile: false,
                                            interfaceNames: names)
            capture.joinedInterfaces = joined
            capture.netns = netns
            return capture
        }
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The name of the interface with this ifindex in the captured namespace.
    public func interfaceName(index: Int) -> String {
        interfaceNames[index] ?? "ifindex \(index)"
    }

    static func interfaceNames() -> [Int: String] {
        var names: [Int: String] = [:]
        guard let list = if_nameindex() else { return names }
        defer { if_freenameindex(list) }
        var entry = list
        while entry.pointee.if_index != 0, let name = entry.pointee.if_name {
            names[Int(entry.pointee.if_index)] = String(cString: name)
            entry += 1
        }
        return names
    }

    /// The MAC addresses of VRRP's multicast groups, 224.0.0.18 and ff02::12.
    static let vrrpGroups: [[UInt8]] = [[0x01, 0x00, 0x5e, 0x00, 0x00, 0x12], [0x33, 0x33, 0x00, 0x00, 0x00, 0x12]]

    /// Neighbour solicitations for an IPv6 address go to its solicited-node group
    /// (ff02::1:ffXX:XXXX, RFC 4291), which only the address's holder joins: asks the
    /// capture's interfaces for those groups' MAC addresses, so solicitations for `addresses`
    /// reach this capture on a NIC that filters multicast. IPv4 addresses are skipped (ARP
    /// requests are broadcast). A file or a finished capture ignores this.
    public func listenForSolicitations(of addresses: [IPAddress]) {
        guard let pcap, let handle, !isFile else { return }
        let groups = addresses.compactMap(\.solicitedNodeMAC)
        guard !groups.isEmpty else { return }
        Self.join(groups: groups, fd: pcap.fileno(handle), interfaces: joinedInterfaces)
    }

    /// NICs filter multicast in hardware; asking for the groups' MAC addresses on this socket
    /// (not the interface) makes sure they reach us without promiscuous mode. The memberships
    /// belong to the socket and end with it.
    static func join(groups: [[UInt8]], fd: Int32, interfaces: [Int]) {
        guard fd >= 0 else { return }
        for index in interfaces {
            for group in groups {
                var request = packet_mreq()
                request.mr_ifindex = Int32(index)
                request.mr_type = UInt16(PACKET_MR_MULTICAST)
                request.mr_alen = 6
                withUnsafeMutableBytes(of: &request.mr_address) { address in
                    for (offset, byte) in group.enumerated() { address[offset] = byte }
                }
                _ = setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &request, socklen_t(MemoryLayout<packet_mreq>.size))
            }
        }
    }

    public enum Ending: Equatable, Sendable {
        case endOfFile
        /// The file ended in the middle of a packet record (a capture cut short).
        case truncated(String)
        case timeUp
        case interrupted
        /// The caller's `until` said the capture already answered its question.
        case enough
    }

    final class Context {
        let body: (UnsafeRawBufferPointer, PacketTime) -> Void
        init(_ body: @escaping (UnsafeRawBufferPointer, PacketTime) -> Void) { self.body = body }
    }

    /// Reads packets, calling `body` with each frame, its time and its link, until the file
    /// ends, the `seconds` of a live capture pass, or Ctrl-C. `tick` gets the seconds left,
    /// about ten times a second, for a countdown.
    public func run(seconds: Double, tick: (Double) -> Void = { _ in }, until: () -> Bool = { false },
                    _ body: (UnsafeRawBufferPointer, PacketTime, CaptureLink) -> Void) throws(HAError) -> Ending {
        if let pcapng {
            let ending = try pcapng.read(body)
            notes = pcapng.notes
            return ending
        }
        guard let pcap, let handle else { return .endOfFile }
        let link = CaptureLink(linkType: linkType, name: interface)
        if let records {
            self.records = nil
            guard records.read({ frame, time in body(frame, time, link) }) == .handedOver else { return .endOfFile }
            // libpcap reads on from the record we could not vouch for, and says what is wrong with it.
        }
        return try withoutActuallyEscaping({ frame, time in body(frame, time, link) }) { (body) throws(HAError) -> Ending in
            let context = Context(body)
            let pointer = Unmanaged.passUnretained(context).toOpaque().assumingMemoryBound(to: UInt8.self)
            let handler: pcap_handler = { user, header, bytes in
                guard let user, let header, let bytes else { return }
                let time = PacketTime(seconds: Int64(header.pointee.ts.tv_sec), nanoseconds: Int64(header.pointee.ts.tv_usec))
                Unmanaged<Context>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue()
                    .body(UnsafeRawBufferPointer(start: bytes, count: Int(header.pointee.caplen)), time)
            }
            defer { withExtendedLifetime(context) {} }
            if isFile {
                let status = pcap.loop(handle, -1, handler, pointer)
                if status == PCAP_ERROR {
                    return .truncated(pcap.message(handle))
                }
                return .endOfFile
            }
            Interrupt.install()
            defer { Interrupt.remove() }
            let deadline = Monotonic.now + seconds
            while true {
                let left = deadline - Monotonic.now
                if left <= 0 { return .timeUp }
                if Interrupt.requested.load(ordering: .relaxed) { return .interrupted }
                if until() { return .enough }
                tick(left)
                var ready = pollfd(fd: pcap.getSelectableFD(handle), events: Int16(POLLIN), revents: 0)
                let waited = poll(&ready, 1, Int32(min(left, 0.1) * 1000) + 1)
                if waited < 0 && errno != EINTR {
                    throw HAError(.unavailable, "waiting for packets on \(description) failed: \(Errno(rawValue: errno))")
                }
                guard waited > 0 else { continue }
                let status = pcap.dispatch(handle, -1, handler, pointer)
                if status == PCAP_ERROR {
                    throw HAError(.unavailable, "capture on \(description) failed: \(pcap.message(handle))")
                }
            }
        }
    }
}

/// SIGINT (Ctrl-C), SIGTERM (`timeout`, systemd) and SIGHUP (a dropped SSH session) end a
/// live capture early and the census is still printed; the handler then restores the default
/// actions, so a second signal ends haexplain at once. A signal the parent set to be ignored
/// (nohup, a background job) stays ignored.
enum Interrupt {
    static let requested = Atomic<Bool>(false)
    static let signal = Atomic<Int32>(0)
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    static func install() {
        requested.store(false, ordering: .relaxed)
        signal.store(0, ordering: .relaxed)
        // A parent may have left them blocked (process spawners do); they must get through.
        var set = sigset_t()
        sigemptyset(&set)
        for number in handled { sigaddset(&set, number) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for number in handled where !ignored(number) {
            Glibc.signal(number) { number in
                Interrupt.signal.store(number, ordering: .relaxed)
                Interrupt.requested.store(true, ordering: .relaxed)
                Interrupt.remove()
            }
        }
    }

    /// Also called from the handler: no allocation, only sigaction and signal.
    static func remove() {
        if !ignored(SIGINT) { Glibc.signal(SIGINT, SIG_DFL) }
        if !ignored(SIGTERM) { Glibc.signal(SIGTERM, SIG_DFL) }
        if !ignored(SIGHUP) { Glibc.signal(SIGHUP, SIG_DFL) }
    }

    /// Whether `number` is set to SIG_IGN (glibc's value 1); sigaction is async-signal-safe.
    static func ignored(_ number: Int32) -> Bool {
        var current = sigaction()
        sigaction(number, nil, &current)
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == 1
    }
}

extension PacketCapture {
    /// The signal that ended the last live capture early ("SIGTERM"), or nil.
    public static var interruptingSignal: String? {
        switch Interrupt.signal.load(ordering: .relaxed) {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: nil
        }
    }
}

enum Monotonic {
    static var now: Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}

/// A pcapng file read block by block into a buffer that grows only to the largest block.
final class PcapngFile {
    let file: UnsafeMutablePointer<FILE>
    let path: String
    var notes: [String] = []

    init(file: UnsafeMutablePointer<FILE>, path: String) {
        self.file = file
        self.path = path
    }

    deinit { fclose(file) }

    func read(_ body: (UnsafeRawBufferPointer, PacketTime, CaptureLink) -> Void) throws(HAError) -> PacketCapture.Ending {
        var reader = PcapngReader()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var start = 0, end = 0
        var links: [CaptureLink] = []
        var undecodable: [Int: Int] = [:]
        var packets = 0
        var lastTime = PacketTime(nanoseconds: 0)
        defer {
            for (interface, count) in undecodable.sorted(by: { $0.key < $1.key }) {
                let described = reader.interfaces[interface]
                notes.append("\(count) packet(s) on \(described.label) (link type \(described.linkType)) were not decoded: haexplain decodes Ethernet, Linux cooked v1/v2, raw IP and BSD loopback")
            }
        }
        while true {
            let outcome: Result<Int?, PcapngReader.FormatError> = buffer.withUnsafeBytes { bytes in
                Result { () throws(PcapngReader.FormatError) -> Int? in
                    try reader.blockLength(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                }
            }
            let needed: Int?
            switch outcome {
            case .success(let length): needed = length
            case .failure(let error):
                return .truncated("not a readable pcapng file after packet #\(packets): \(error)")
            }
            if let length = needed, end - start >= length {
                let block = buffer.withUnsafeBytes { bytes in
                    Result { () throws(PcapngReader.FormatError) -> PcapngReader.Block in
                        try reader.read(block: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)]))
                    }
                }
                switch block {
                case .failure(let error):
                    return .truncated("not a readable pcapng file after packet #\(packets): \(error)")
                case .success(.interface(let index)):
                    let described = reader.interfaces[index]
                    links.append(CaptureLink(linkType: LinkType(dlt: Int32(truncatingIfNeeded: described.linkType)) ?? .unsupported,
                                             name: described.label))
                case .success(.packet(let interface, let stamped, let data)):
                    packets += 1
                    // A simple packet block has no time: it came after the packet before it.
                    let time = stamped ?? lastTime
                    lastTime = time
                    // Every packet is handed on, so packet numbers stay tshark's.
                    if links[interface].linkType == .unsupported { undecodable[interface, default: 0] += 1 }
                    buffer.withUnsafeBytes { bytes in
                        body(UnsafeRawBufferPointer(rebasing: bytes[(start + data.lowerBound)..<(start + data.upperBound)]), time, links[interface])
                    }
                default:
                    break
                }
                start += length
                continue
            }
            // Need more bytes: keep the partial block at the front, grow for a big block.
            if start > 0 {
                buffer.withUnsafeMutableBytes { bytes in
                    bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
                }
                end -= start
                start = 0
            }
            if let length = needed, length > buffer.count { buffer += [UInt8](repeating: 0, count: length - buffer.count) }
            let count = buffer.withUnsafeMutableBytes { bytes in fread(bytes.baseAddress! + end, 1, bytes.count - end, file) }
            if count == 0 {
                if ferror(file) != 0 {
                    throw HAError(.noInput, "reading the capture failed: \(Errno(rawValue: errno))", file: path)
                }
                return end == 0 ? .endOfFile : .truncated("the last block is cut short (\(end) byte(s) of \(needed.map(String.init) ?? "a block"))")
            }
            end += count
        }
    }
}

/// The records of a pcap file whose header libpcap read and checked, read here in 1 MiB
/// blocks from where libpcap's FILE stands: libpcap's two reads per packet cost as much as decoding the advert in it
/// (vrrp --read budget). Each record is handed on as libpcap hands it (microseconds scaled
/// to nanoseconds). The first record that is not plainly whole and within the snapshot
/// length (a file cut short, a corrupt length, a read error) is left for libpcap: the file
/// is put back at that record, so what follows and its error messages are libpcap's own.
final class PcapRecords {
    enum Ending: Equatable { case endOfFile, handedOver }

    /// libpcap's largest snapshot length for the link types decoded: a record always fits the buffer.
    static let largestSnapshot = 262_144

    let file: UnsafeMutablePointer<FILE>
    let reader: PcapRecordReader

    init(file: UnsafeMutablePointer<FILE>, snapshot: Int, nanoseconds: Bool) {
        self.file = file
        self.reader = PcapRecordReader(snapshot: snapshot, nanoseconds: nanoseconds)
    }

    func read(_ body: (UnsafeRawBufferPointer, PacketTime) -> Void) -> Ending {
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
        defer { buffer.deallocate() }
        // Where the bytes in the buffer start in the file, and which of them are read.
        var position = Int(ftello(file))
        var start = 0, end = 0
        while true {
            records: while true {
                switch reader.next(UnsafeRawBufferPointer(start: buffer + start, count: end - start)) {
                case .record(let time, let data):
                    body(UnsafeRawBufferPointer(start: buffer + start + data.lowerBound, count: data.count), time)
                    start += data.upperBound
                case .needMore: break records
                case .unsure: return handOver(at: position + start)
                }
            }
            // Keep the partial record at the front (a whole record fits: see `largestSnapshot`).
            buffer.copyMemory(from: buffer + start, byteCount: end - start)
            position += start
            end -= start
            start = 0
            // Straight from the descriptor at our own offset: through the FILE, every block
            // was copied twice (vrrp --read budget). Handing over seeks the FILE to the record.
            let count = pread(fileno(file), buffer + end, capacity - end, off_t(position + end))
            if count < 0, errno == EINTR { continue }
            if count <= 0 {
                return end == 0 && count == 0 ? .endOfFile : handOver(at: position)
            }
            end += count
        }
    }

    private func handOver(at offset: Int) -> Ending {
        fseeko(file, off_t(offset), SEEK_SET)
        return .handedOver
    }
}
