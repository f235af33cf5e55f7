/// Where a fact came from. Every claim haexplain prints carries one, so an operator can
/// go and look for themselves.
public struct Source: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case file, netlink, packet, process, resolver, dns, snapshot, assumption
        /// Listening or probing on the link (detail: the capture), as opposed to one packet heard.
        case wire
        /// Another host reached over ssh (detail: the host).
        case ssh
    }

    public var kind: Kind
    public var file: String?
    public var line: Int?
    public var detail: String?

    public init(kind: Kind, file: String? = nil, line: Int? = nil, detail: String? = nil) {
        self.kind = kind
        self.file = file
        self.line = line
        self.detail = detail
    }

    public static func file(_ path: String, line: Int? = nil) -> Source {
        Source(kind: .file, file: path, line: line)
    }

    public static func netlink(_ what: String) -> Source {
        Source(kind: .netlink, detail: what)
    }

    public static func process(_ what: String, pid: Int32? = nil) -> Source {
        Source(kind: .process, file: pid.map { "/proc/\($0)" }, detail: what)
    }

    public static func wire(_ what: String) -> Source {
        Source(kind: .wire, detail: what)
    }

    /// Listening to the wire here: what is missing when adverts were not heard.
    public static let liveCapture = Source.wire("live capture")

    public static func ssh(_ host: String) -> Source {
        Source(kind: .ssh, detail: host)
    }

    public static func assumption(_ what: String) -> Source {
        Source(kind: .assumption, detail: what)
    }

    public var description: String {
        switch kind {
        // Paths and details come from files, packets and snapshots: escaped where shown.
        case .file:
            let path = TerminalText.escaped(file ?? "?")
            return line.map { "\(path):\($0)" } ?? path
        default:
            return detail.map { "\(kind.rawValue) \(TerminalText.escaped($0))" } ?? kind.rawValue
        }
    }
}
