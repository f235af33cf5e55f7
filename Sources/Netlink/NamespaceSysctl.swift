#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// A network sysctl as a namespace sees it: /proc/sys/net shows the values of the namespace
/// of the thread that opens the file, so it is opened inside the namespace.
public enum NamespaceSysctl {
    /// `name` as sysctl writes it ("net.ipv4.ip_nonlocal_bind"); nil when unreadable.
    public static func integer(_ name: String, netns: String?) throws(HAError) -> Int? {
        let path = "/proc/sys/" + name.split(separator: ".").joined(separator: "/")
        let fd = try NetworkNamespace.with(netns) { () throws(HAError) in open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
        guard count > 0 else { return nil }
        return Int(String(decoding: buffer[0..<count], as: UTF8.self).trimmingWhitespace())
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
