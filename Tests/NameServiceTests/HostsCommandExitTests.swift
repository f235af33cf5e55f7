import Foundation
import LabSupport
import Testing

/// Documented exit statuses of `haexplain hosts` (haexplain(1), EXIT STATUS). The binary runs
/// in a private mount namespace with `hosts: files` in nsswitch.conf, so the glibc call it makes
/// never reaches the machine's nameserver.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct HostsCommandExitTests {
    static let nsswitch: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hxh-nsswitch-\(getpid())").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("hosts: files\n".utf8))
        return path
    }()

    static func run(_ args: [String]) throws -> Shell.Result {
        let command = ([DNSLab.binary, "hosts"] + args).map { "'\($0)'" }.joined(separator: " ")
        return try Shell.run(["unshare", "-m", "sh", "-c", "mount --bind '\(nsswitch)' /etc/nsswitch.conf && exec \(command)"],
                             timeout: 30)
    }

    @Test("an explicit hosts file that does not exist is 66 with its path in the message")
    func missingHostsFile() throws {
        let result = try Self.run(["x.example", "--no-dns", "--hosts-file", "/nonexistent/hosts"])
        #expect(result.status == 66)
        #expect(result.stderr.contains("/nonexistent/hosts: cannot open the hosts file: no such file"))
    }

    @Test("a FIFO given as the hosts file is refused at once, not waited on")
    func fifo() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hxh-fifo-\(getpid())").path
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        let result = try Self.run(["x.example", "--no-dns", "--hosts-file", path])
        #expect(result.status == 66 && result.stderr.contains("not a regular file"))
    }

    @Test("bad usage is 64: no query, a timeout out of range, a query with spaces")
    func usage() throws {
        #expect(try Self.run([]).status == 64)
        #expect(try Self.run(["x.example", "--dns-timeout", "0"]).status == 64)
        #expect(try Self.run(["two words"]).status == 64)
    }

    @Test("a network namespace that does not exist is 69, said in a sentence")
    func missingNamespace() throws {
        let result = try Self.run(["x.example", "--no-dns", "--netns", "hxh-no-such-namespace"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("no network namespace 'hxh-no-such-namespace'"))
    }

    @Test("a readable hosts file and --no-dns answer with 0 and the line")
    func success() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hxh-hosts-ok-\(getpid())").path
        try Data("# seed\n\n192.168.3.200 prod-db-internal.panda.com\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        let result = try Self.run(["PROD-DB-INTERNAL.panda.com", "--no-dns", "--hosts-file", path, "--json"])
        #expect(result.status == 0)
        // A pipe gets the compact document (one JSON rule for every command).
        #expect(result.stdout.contains("\"line\":3"), "\(result.stdout)")
    }
}
