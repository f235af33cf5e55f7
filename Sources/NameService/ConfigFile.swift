import HAModel
import LocalFiles

/// The executable's names for the bounded reader (module LocalFiles), kept so its callers
/// read as before.
public enum ConfigFile {
    /// A snapshot is at most this big: a host with thousands of instances and a large hosts
    /// file makes a few MiB; the cap keeps a wrong file from costing gigabytes to decode.
    public static let maximumSnapshotSize = 64 << 20

    /// `what` names the input in messages: "snapshot", or with its article ("a snapshot").
    public static func read(_ path: String, what: String = "input file", maximumSize: Int = .max) throws(HAError) -> [UInt8] {
        try BoundedFile.read(path, what: what.hasPrefix("a ") ? String(what.dropFirst(2)) : what, maximumSize: maximumSize)
    }

    /// The hosts file mapped into memory (see `BoundedFile.map`).
    public static func map(_ path: String) throws(HAError) -> FileBytes {
        try BoundedFile.map(path, what: "hosts file")
    }

    /// The file's text, or nil when it cannot be read (optional system files degrade the answer).
    public static func text(_ path: String) -> String? {
        BoundedFile.text(path, what: "input file")
    }
}
