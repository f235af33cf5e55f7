import Foundation
import LabSupport
import Testing

/// What the operator types, read as glibc reads it, checked against `getent ahosts` on the same
/// text. Each run is in a private mount namespace whose /etc/hosts and /etc/nsswitch.conf are
/// the test's own (`hosts: files`), so no nameserver is asked and the real files are untouched.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class GlibcAddressFormsTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxg-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "hosts: files\n".write(to: directory.appendingPathComponent("nsswitch.conf"), atomically: true, encoding: .utf8)
        try "127.0.0.1 localhost\n10.99.0.1 mapped-target\n10.99.0.7 xn--bcher-kva.example\n"
            .write(to: directory.appendingPathComponent("hosts"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// `argv` inside a private mount namespace with the test's hosts and nsswitch files.
    func inside(_ argv: [String], timeout: TimeInterval = 30) throws -> Shell.Result {
        let dir = directory.path
        let command = argv.map { "'\($0)'" }.joined(separator: " ")
        return try Shell.run(["unshare", "-m", "sh", "-c",
                              "mount --bind '\(dir)/hosts' /etc/hosts && mount --bind '\(dir)/nsswitch.conf' /etc/nsswitch.conf && exec \(command)"],
                             timeout: timeout)
    }

    func getentAddresses(_ text: String) throws -> [String] {
        try inside(["getent", "ahosts", text]).stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 2 && fields[1] == "STREAM" ? String(fields[0]) : nil
        }
    }

    func json(_ arguments: [String]) throws -> [String: Any] {
        let result = try inside([HAExplainBinary.path] + arguments + ["--json"])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    @Test("inet_aton's numeric forms: ip answers the address getent ahosts gives, and says how it read the text",
          arguments: ["127.1", "0x7f000001", "2130706433", "017700000001", "10.0x63.1"])
    func numericForms(_ text: String) throws {
        let expected = try getentAddresses(text)
        #expect(expected.count == 1, "getent ahosts \(text): \(expected)")
        let report = try json(["ip", text, "--no-listen", "--no-dns"])
        let answers = report["answers"] as? [[String: Any]] ?? []
        #expect(answers.map { $0["address"] as? String } == expected.map { $0 })
        let notes = answers.first?["name_notes"] as? [String] ?? []
        #expect(notes.contains("\(text) is the address \(expected.first ?? "?"), as inet_aton reads it (glibc's getaddrinfo, getent and ping take it as an address, not a name)"), "\(notes)")
        let hosts = try json(["hosts", text, "--no-dns"])
        #expect(hosts["query"] as? String == expected.first)
        #expect((hosts["findings"] as? [String])?.first?.contains("as inet_aton reads it") == true)
    }

    @Test("an IPv4-mapped IPv6 address is answered as the IPv4 address, with a note")
    func mapped() throws {
        let report = try json(["ip", "::ffff:10.99.0.1", "--no-listen", "--no-dns"])
        let answer = (report["answers"] as? [[String: Any]])?.first
        #expect(answer?["address"] as? String == "10.99.0.1")
        #expect((answer?["name_notes"] as? [String])?.contains { $0.contains("IPv4-mapped IPv6 form of 10.99.0.1") } == true)
        // The hosts file's name for the IPv4 address, as glibc's getnameinfo finds it for the mapped one.
        let names = answer?["names"] as? [[String: Any]] ?? []
        #expect(names.contains { $0["name"] as? String == "mapped-target" }, "\(names)")
    }

    @Test("a name that resolves to nothing is answered without listening, even with --listen 60")
    func unresolvableDoesNotListen() throws {
        let result = try inside([HAExplainBinary.path, "ip", "no-such-name.invalid", "--no-dns", "--listen", "60", "--json"], timeout: 20)
        #expect(result.status == 4, "\(result.status) \(result.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(report["listened"] == nil)
        #expect((report["limits"] as? [[String: Any]])?.contains { ($0["source"] as? [String: Any])?["kind"] as? String == "resolver" && ($0["message"] as? String)?.contains("does not resolve to any address") == true } == true)
    }

    @Test("an international name is looked up as getent ahosts looks it up (AI_IDN), and the answer says how")
    func internationalName() throws {
        for text in ["bücher.example", "BÜCHER.example"] {
            let expected = try getentAddresses(text)
            #expect(expected == ["10.99.0.7"], "getent ahosts \(text): \(expected)")
            let hosts = try json(["hosts", text, "--no-dns"])
            #expect(hosts["query"] as? String == "xn--bcher-kva.example")
            let glibc = hosts["getaddrinfo"] as? [String: Any]
            #expect(glibc?["addresses"] as? [String] == expected)
            #expect((hosts["findings"] as? [String])?.first?.contains("AI_IDN") == true)
            let report = try json(["ip", text, "--no-listen", "--no-dns"])
            #expect((report["answers"] as? [[String: Any]])?.map { $0["address"] as? String } == expected.map { $0 })
        }
    }
}
