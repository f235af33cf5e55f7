import Foundation
import LabSupport

/// A hosts file with every rule glibc applies, and glibc's own answers for it, obtained by
/// bind-mounting the file over /etc/hosts in a private mount namespace (never the real one).
enum TrickyHosts {
    static let longAliases = (1...3000).map { "alias\($0).long.example" }.joined(separator: " ")

    static let text = [
        "127.0.0.1\tlocalhost",
        "192.168.3.200 prod-db-internal.panda.com db   # the seed",
        "  10.0.0.1   a.example alias1#trailing comment",
        "10.0.0.2 a.example alias2\r",
        "10.0.0.3#x a.example",
        "010.0.0.4 lead.zero",
        "10.0.0.5 A.EXAMPLE",
        "1.2.3 short.v4",
        "::1 localhost ip6-localhost",
        "2001:db8::1 a.example v6only",
        "fe80::1%eth0 zoned",
        "::ffff:10.9.9.9 mapped",
        "10.0.0.6 dot.example.",
        "10.0.0.7 dot.example",
        "300.1.1.1 bad.oct",
        "10.0.0.8",
        "#10.0.0.9 commented",
        "10.0.0.10 crlf\r",
        "10.0.0.11 crlf2 \r",
        "0x0a.0.0.1 hex",
        "10.0.0.12\ttab\tt2\u{0B}t3",
        "10.1.1.1 first dup",
        "10.1.1.1 second",
        "10.1.1.2 dup",
        "::1 lo6",
        "127.0.0.1 lo4",
        "2001:db8::5 six",
        "2001:db8::5 six-again",
        "2001:db8::6 dup",
        "0.0.0.0 blocked.example",
        "0.0.0.0 blocked2.example",
        "10.0.0.13 Mixed.Case.Example",
        "1::2:3:4:5:6:7 sevengroups",
        "10.0.0.14 " + longAliases + " end-of-long-line",
        "10.0.0.15 nul\u{0}hidden",
        "2001:db8::7 only6",
        "2001:DB8::8 upper6",
        "10.0.0.16 dual",
        "2001:db8::16 dual",
        "::ffff:10.0.0.17 dual",
        "10.0.0.18 nonl",
    ].joined(separator: "\n")

    static let names = [
        "a.example", "A.example", "alias1", "alias2", "prod-db-internal.panda.com", "db", "lead.zero",
        "short.v4", "localhost", "ip6-localhost", "zoned", "mapped", "dot.example", "dot.example.",
        "bad.oct", "crlf", "crlf2", "hex", "tab", "t2", "t3", "v6only", "commented", "dup", "first",
        "second", "lo6", "lo4", "six", "six-again", "blocked.example", "mixed.case.example",
        "sevengroups", "alias2999.long.example", "end-of-long-line", "nul", "hidden", "only6",
        "upper6", "dual", "nonl", "not-there.example", "x",
    ]

    static let addresses = [
        "127.0.0.1", "::1", "10.0.0.1", "10.0.0.2", "192.168.3.200", "10.1.1.1", "10.1.1.2",
        "::ffff:10.9.9.9", "10.9.9.9", "2001:db8::5", "2001:db8:0::5", "2001:db8::6", "0.0.0.0",
        "10.0.0.14", "1:0:2:3:4:5:6:7", "2001:db8::8", "10.0.0.17", "::ffff:10.0.0.17", "10.0.0.99",
        "fe80::1",
    ]

    /// Writes the file (and host.conf) to a temporary directory and returns their paths.
    static func write(multi: Bool) throws -> (hosts: String, hostConf: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxh-hosts-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let hosts = dir.appendingPathComponent("hosts"), conf = dir.appendingPathComponent("host.conf.\(multi)")
        try Data(text.utf8).write(to: hosts)
        try Data((multi ? "multi on\n" : "multi off\n").utf8).write(to: conf)
        return (hosts.path, conf.path)
    }

    /// Runs `getent ARGS` with `hosts` over /etc/hosts and `hostConf` over /etc/host.conf,
    /// in a private mount namespace, so the machine's files are never touched.
    static func getent(_ args: [String], hosts: String, hostConf: String) throws -> [[String]] {
        let quoted = args.map { "'\($0)'" }.joined(separator: " ")
        let script = "mount --bind '\(hosts)' /etc/hosts && mount --bind '\(hostConf)' /etc/host.conf && exec getent \(quoted)"
        let result = try Shell.run(["unshare", "-m", "sh", "-c", script], timeout: 30)
        // getent exits 2 for "not found"; anything else but 0 is a broken test setup.
        guard result.status == 0 || result.status == 2 else { throw GetentFailed(args: args, stderr: result.stderr) }
        return result.stdout.split(separator: "\n").map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
    }
}

struct GetentFailed: Error, CustomStringConvertible {
    let args: [String]
    let stderr: String
    var description: String { "getent \(args.joined(separator: " ")) failed: \(stderr)" }
}
