#if canImport(Glibc)
import Glibc
#endif
import HAModel
import LocalFiles
import Namespaces

/// A network sysctl as a namespace sees it: /proc/sys/net shows the values of the namespace
/// of the thread that opens the file, so it is opened inside the namespace.
public enum NamespaceSysctl {
    /// `name` as sysctl writes it ("net.ipv4.ip_nonlocal_bind"); nil when unreadable.
    public static func integer(_ name: String, netns: String?) throws(HAError) -> Int? {
        let path = "/proc/sys/" + name.split(separator: ".").joined(separator: "/")
        // Read inside the namespace: the file shows the values of the namespace that opens it.
        let bytes = try NetworkNamespace.with(netns) { () throws(HAError) in
            try? BoundedFile.read(path, what: "sysctl", maximumSize: 64, oversize: .truncate)
        }
        guard let bytes, !bytes.isEmpty else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self).trimmingWhitespace())
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
