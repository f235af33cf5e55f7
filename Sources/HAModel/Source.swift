/// Where a fact came from. Every claim haexplain prints carries one, so an operator can
/// go and look for themselves.
public struct Source: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case file, netlink, packet, process, resolver, dns, snapshot, assumption
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
