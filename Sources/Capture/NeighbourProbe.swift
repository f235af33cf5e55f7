#if canImport(Glibc)
import Glibc
#endif
import CPcap
import HAModel
import Namespaces
import Netlink
import SystemPackage
import VRRP

/// `--probe`, the one thing haexplain sends on the wire: per address, one ARP request in the
/// form of duplicate address detection (RFC 5227, as `arping -D`: sender IP 0.0.0.0, so no
/// neighbour table learns anything from it) or one IPv6 neighbour solicitation from :: to the
/// address's solicited-node group (RFC 4862 DAD). Every host holding the address answers it:
/// an ARP reply unicast to this interface's MAC, a neighbour advertisement to all nodes;
/// the capture, opened before, hears them. Proxy ARP and proxy NDP do not answer DAD probes
/// (the kernel answers them only for its own addresses); ordinary traffic shows those.
public enum NeighbourProbe {
    /// At most this many frames per run, however many addresses and interfaces.
    public static let maximumFrames = 64

    public struct Outcome: Sendable, Equatable {
        public var sent: [LinkProbe] = []
        /// Addresses or frames left out, in a sentence each.
        public var notes: [String] = []
    }

    /// An interface a probe can go out of: up, Ethernet, ARP on, not enslaved to a bridge or bond
    /// (its master is asked instead), with a MAC.
    public struct Port: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var mac: MACAddress
        public var holds: [IPAddress]

        public init(index: Int, name: String, mac: MACAddress, holds: [IPAddress]) {
            self.index = index
            self.name = name
            self.mac = mac
            self.holds = holds
        }

        static func from(_ interface: NetworkInterface) -> Port? {
            let noARP: UInt32 = 0x80
            guard interface.isUp, interface.linkType == "ether", interface.rawFlags & noARP == 0, interface.master == nil,
                  let mac = interface.address.flatMap(MACAddress.init) else { return nil }
            return Port(index: interface.ifindex, name: interface.ifname, mac: mac, holds: interface.addrInfo.compactMap(\.local))
        }
    }

    /// Where each address is probed, in order, bounded: the ports holding it; else the port
    /// the kernel routes it through (`routedPort`); else every port. Pure, so it is tested
    /// without a network.
    public static func plan(_ addresses: [IPAddress], ports: [Port], routedPort: (IPAddress) -> Int?) -> [(IPAddress, Port, LinkProbe.Reason)] {
        var plan: [(IPAddress, Port, LinkProbe.Reason)] = []
        for address in addresses {
            let holding = ports.filter { $0.holds.contains(address) }
            if !holding.isEmpty {
                plan += holding.map { (address, $0, .holds) }
            } else if let index = routedPort(address), let port = ports.first(where: { $0.index == index }) {
                plan.append((address, port, .route))
            } else {
                plan += ports.map { (address, $0, .everyInterface) }
            }
        }
        return plan
    }

    /// Sends the probes from network namespace `netns` through one AF_PACKET socket opened in
    /// it; only out of `interface` when the capture hears that one alone (replies elsewhere
    /// would go unheard).
    public static func send(_ addresses: [IPAddress], netns: String?, interface: String? = nil) throws(HAError) -> Outcome {
        var outcome = Outcome()
        let unique = addresses.reduce(into: [IPAddress]()) { if !$0.contains($1) { $0.append($1) } }
        let table = try AddressReader.read(netns: netns)
        let ports = table.interfaces.compactMap(Port.from).filter { port in interface.map { $0 == port.name } ?? true }
        let routes = try RouteSocketHandle(netns: netns)
        var plan = plan(unique, ports: ports) { address in
            guard let (route, _) = try? RouteQuery.get(address, fibMatch: false, socket: routes), let route,
                  route.type == 1 /* RTN_UNICAST */ else { return nil }
            return route.outputInterface.map(Int.init)
        }
        for address in unique where !plan.contains(where: { $0.0 == address }) {
            outcome.notes.append("\(address) was not probed: no interface \(interface.map { "\($0) " } ?? "")here is up, Ethernet and answers ARP")
        }
        if plan.count > maximumFrames {
            outcome.notes.append("only the first \(maximumFrames) of \(plan.count) probes were sent")
            plan = Array(plan.prefix(maximumFrames))
        }
        guard !plan.isEmpty else { return outcome }
        let fd = try NetworkNamespace.with(netns) { () throws(HAError) -> Int32 in
            // Protocol 0: the socket only sends, it receives nothing.
            let fd = socket(AF_PACKET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                let code = errno
                if code == EPERM || code == EACCES {
                    throw HAError(.noPermission, "--probe sends ARP and neighbour solicitations and needs CAP_NET_RAW: run as root or grant it (setcap cap_net_raw+ep)")
                }
                throw HAError(.unavailable, "cannot open a packet socket to probe: \(Errno(rawValue: code))")
            }
            return fd
        }
        defer { close(fd) }
        for (address, port, why) in plan {
            let (frame, destination, protocolNumber) = ProbeFrame.build(address, sender: port.mac)
            var link = sockaddr_ll()
            link.sll_family = UInt16(AF_PACKET)
            link.sll_protocol = protocolNumber.bigEndian
            link.sll_ifindex = Int32(port.index)
            link.sll_halen = 6
            withUnsafeMutableBytes(of: &link.sll_addr) { bytes in
                for (offset, byte) in destination.enumerated() { bytes[offset] = byte }
            }
            let result = frame.withUnsafeBytes { bytes in
                withUnsafePointer(to: &link) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_ll>.size))
                    }
                }
            }
            let error = result < 0 ? Errno(rawValue: errno).description : nil
            outcome.sent.append(LinkProbe(address: address, interface: port.name, mac: port.mac.description, reason: why, error: error))
        }
        return outcome
    }
}

/// The bytes of a probe, above the Ethernet header (the packet socket writes that).
public enum ProbeFrame {
    static let ethernetARP: UInt16 = 0x0806
    static let ethernetIPv6: UInt16 = 0x86dd

    /// The payload, the destination MAC and the EtherType of the probe for `address`.
    public static func build(_ address: IPAddress, sender: MACAddress) -> (frame: [UInt8], destination: [UInt8], etherType: UInt16) {
        switch address {
        case .v4(let target):
            return (arpRequest(target: target, sender: sender), [UInt8](repeating: 0xff, count: 6), ethernetARP)
        case .v6:
            return (neighbourSolicitation(target: address), address.solicitedNodeMAC ?? [], ethernetIPv6)
        }
    }

    /// An ARP request for `target` with sender IP 0.0.0.0 and target MAC zero (RFC 5227's probe).
    static func arpRequest(target: UInt32, sender: MACAddress) -> [UInt8] {
        [0, 1, 0x08, 0x00, 6, 4, 0, 1] + bytes(sender) + [0, 0, 0, 0] + [UInt8](repeating: 0, count: 6) + bytes(target)
    }

    /// An IPv6 packet from :: to the target's solicited-node group with an ICMPv6 neighbour
    /// solicitation (hop limit 255, no source link-layer option: RFC 4861 forbids it from ::).
    static func neighbourSolicitation(target: IPAddress) -> [UInt8] {
        guard case .v6(let high, let low) = target, let group = target.solicitedNode, case .v6(let groupHigh, let groupLow) = group else { return [] }
        let targetBytes = bytes(high) + bytes(low)
        let source = [UInt8](repeating: 0, count: 16)
        let destination = bytes(groupHigh) + bytes(groupLow)
        var icmp: [UInt8] = [135, 0, 0, 0, 0, 0, 0, 0] + targetBytes
        let checksum = internetChecksum(source + destination + bytes(UInt32(icmp.count)) + [0, 0, 0, 58] + icmp)
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xff)
        let header: [UInt8] = [0x60, 0, 0, 0] + bytes(UInt16(icmp.count)) + [58, 255]
        return header + source + destination + icmp
    }

    static func internetChecksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var index = 0
        while index + 1 < data.count {
            sum += UInt32(data[index]) << 8 | UInt32(data[index + 1])
            index += 2
        }
        if index < data.count { sum += UInt32(data[index]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    static func bytes(_ mac: MACAddress) -> [UInt8] { (0..<6).map { UInt8(truncatingIfNeeded: mac.value >> UInt64(40 - 8 * $0)) } }
    static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
}

extension IPAddress {
    /// ff02::1:ffXX:XXXX, the group neighbour solicitations for this IPv6 address go to.
    var solicitedNode: IPAddress? {
        guard case .v6(_, let low) = self else { return nil }
        return .v6(0xff02_0000_0000_0000, 0x0000_0001_ff00_0000 | low & 0xff_ffff)
    }

    /// 33:33:ff:XX:XX:XX, the solicited-node group's MAC address (RFC 2464).
    var solicitedNodeMAC: [UInt8]? {
        guard case .v6(_, let low) = self else { return nil }
        return [0x33, 0x33, 0xff, UInt8(truncatingIfNeeded: low >> 16), UInt8(truncatingIfNeeded: low >> 8), UInt8(truncatingIfNeeded: low)]
    }
}

extension PacketCapture {
    /// Probes `addresses` from this live capture's network namespace (see `NeighbourProbe`);
    /// call it after opening, so the replies are captured.
    public func probe(_ addresses: [IPAddress]) throws(HAError) -> NeighbourProbe.Outcome {
        try NeighbourProbe.send(addresses, netns: netns, interface: interface)
    }
}
