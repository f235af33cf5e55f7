/// One frame `--probe` sent: an ARP request or a neighbour solicitation for an address, in
/// the form of duplicate address detection (sender 0.0.0.0 or ::), out of one interface.
public struct LinkProbe: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case arpRequest = "arp_request", neighbourSolicitation = "neighbour_solicitation"
    }

    /// Why this interface: it holds the address, the kernel routes the address through it,
    /// or neither and every up Ethernet interface was asked.
    public enum Reason: String, Codable, Sendable, CaseIterable {
        case holds, route, everyInterface = "every_interface"
    }

    public var address: IPAddress
    public var kind: Kind
    public var interface: String
    /// The interface's MAC: the probe's sender hardware address and frame source.
    public var mac: String
    public var reason: Reason
    /// Why the send failed (nothing went out); nil when it was sent.
    public var error: String?

    public init(address: IPAddress, interface: String, mac: String, reason: Reason, error: String? = nil) {
        self.address = address
        self.kind = address.family == .inet ? .arpRequest : .neighbourSolicitation
        self.interface = interface
        self.mac = mac
        self.reason = reason
        self.error = error
    }

    /// "ARP request for 192.168.3.200 on eth2 from 02:00:00:00:00:10 (the route)".
    public var sentence: String {
        let what = kind == .arpRequest ? "ARP request" : "neighbour solicitation"
        let why = switch reason {
        case .holds: "it holds the address"
        case .route: "the kernel routes the address there"
        case .everyInterface: "no route: every up Ethernet interface"
        }
        return "\(what) for \(address) on \(interface) from \(mac) (\(why))" + (error.map { ", not sent: \($0)" } ?? "")
    }
}
