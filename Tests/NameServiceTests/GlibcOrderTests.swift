import Foundation
import LabSupport
import Testing

/// The getaddrinfo answer `haexplain hosts` reports is glibc's, in glibc's order: checked
/// against `getent ahosts` with the same files bind-mounted in a private mount namespace.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct GlibcOrderTests {
    static let hosts = """
        127.0.0.1 localhost
        ::1 localhost
        10.0.0.16 dual
        2001:db8::16 dual
        ::ffff:10.0.0.17 dual
        192.168.3.200 prod-db-internal.panda.com
        10.0.0.20 twice
        10.0.0.20 twice again
        """

    @Test("getaddrinfo addresses match getent ahosts, order and repeats included", arguments: ["on", "off"])
    func order(multi: String) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxh-order-\(getpid())-\(multi)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = [("hosts", Self.hosts + "\n"), ("host.conf", "multi \(multi)\n"), ("nsswitch.conf", "hosts: files\n")]
        for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent(name)) }
        let mounts = files.map { "mount --bind '\(dir.appendingPathComponent($0.0).path)' /etc/\($0.0)" }.joined(separator: " && ")
        for name in ["localhost", "dual", "prod-db-internal.panda.com", "twice", "nowhere.example"] {
            let getent = try Shell.run(["unshare", "-m", "sh", "-c", "\(mounts) && exec getent ahosts \(name)"], timeout: 30)
            let expected = getent.stdout.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count >= 2 && fields[1] == "STREAM" ? String(fields[0]) : nil
            }
            let ours = try Shell.run(["unshare", "-m", "sh", "-c", "\(mounts) && exec '\(DNSLab.binary)' hosts \(name) --no-dns --json"],
                                     timeout: 30)
            let report = try JSONSerialization.jsonObject(with: Data(ours.stdout.utf8)) as? [String: Any]
            let glibc = report?["getaddrinfo"] as? [String: Any]
            #expect((glibc?["addresses"] as? [String] ?? []) == expected, "\(name), multi \(multi)")
            #expect((glibc?["error"] != nil) == expected.isEmpty, "\(name), multi \(multi)")
        }
    }
}
