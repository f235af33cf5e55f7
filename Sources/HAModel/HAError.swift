/// An error an operator can act on: what went wrong, where (file and line when it came from
/// a file), and the exit status scripts can branch on.
public struct HAError: Error, Sendable, Equatable, CustomStringConvertible {
    public var kind: ExitStatus
    public var message: String
    public var file: String?
    public var line: Int?

    public init(_ kind: ExitStatus, _ message: String, file: String? = nil, line: Int? = nil) {
        self.kind = kind
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String {
        switch (file, line) {
        case let (file?, line?): return "\(file):\(line): \(message)"
        case let (file?, nil): return "\(file): \(message)"
        default: return message
        }
    }
}

/// Exit statuses, documented in haexplain(1). The error values follow sysexits(3), which is
/// also what swift-argument-parser uses for bad usage (64).
public enum ExitStatus: Int32, Sendable, Codable {
    case success = 0
    /// Bad command line: unknown option, malformed address, conflicting flags.
    case usage = 64
    /// Input that was read but is malformed: a config with a syntax error, a bad snapshot.
    case dataError = 65
    /// Input that could not be read at all: missing file, directory, unreadable.
    case noInput = 66
    /// A system facility is not there: no such network namespace, netlink refused.
    case unavailable = 69
    /// A bug in haexplain itself.
    case software = 70
    /// Not permitted: e.g. entering a network namespace without CAP_SYS_ADMIN.
    case noPermission = 77
}
