import Foundation
import HAModel
import LabSupport
import Testing

/// Names that try to drive the operator's terminal or forge a line of the answer, fed to every
/// text renderer through the files, snapshots and kernel objects they really come from.
@Suite final class HostileTextTests {
    /// A newline that starts a forged `owner` line, colour and title escape sequences, a bell,
    /// a carriage return and a right-to-left override.
    static let forged = "evil\n  owner     attacker (6.6.6.6): VRRP master\u{1b}[31mRED\u{1b}[0m\u{1b}]0;pwned\u{7}\r\u{202e}gnp.exe"

    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxt-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Nothing a terminal acts on: no C0 but line feeds, no DEL, no C1, no bidi override.
    static func expectInert(_ output: String, _ what: Comment) {
        let bad = output.unicodeScalars.filter { scalar in
            (scalar.value < 0x20 && scalar != "\n") || (0x7f...0x9f).contains(scalar.value)
                || (0x202a...0x202e).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
        }
        #expect(bad.isEmpty, "\(what): raw \(bad.map { String($0.value, radix: 16) })")
    }

    /// `--json` output is valid UTF-8 JSON; returns it parsed.
    static func parsedJSON(_ result: Shell.Result, _ what: Comment) -> Any? {
        let parsed = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        #expect(parsed != nil, "\(what): not JSON: \(result.stdout.prefix(200)) \(result.stderr)")
        return parsed
    }

    @Test("a snapshot whose hostname holds a newline and escape sequences cannot forge an owner line")
    func snapshotHostname() throws {
        let taken = try HAExplainBinary.run(["snapshot"])
        #expect(taken.succeeded, "\(taken.stderr)")
        var snapshot = try #require(try JSONSerialization.jsonObject(with: Data(taken.stdout.utf8)) as? [String: Any])
        snapshot["hostname"] = Self.forged
        snapshot["limits"] = [["source": ["kind": "file", "file": "x\u{1b}[2J"], "message": "limit\r\u{1b}[2Jcleared"]]
        let path = try write("evil.json", Array(try JSONSerialization.data(withJSONObject: snapshot)))

        let text = try HAExplainBinary.run(["ip", "127.0.0.1", "--from", path])
        Self.expectInert(text.stdout, "ip text")
        let owners = text.stdout.split(separator: "\n").filter { $0.hasPrefix("  owner") }
        #expect(owners.count == 1, "\(text.stdout)")
        #expect(text.stdout.contains(#"evil\n  owner     attacker (6.6.6.6): VRRP master\x1b[31mRED"#))
        #expect(text.stdout.contains(#"\u202egnp.exe"#))

        let json = try HAExplainBinary.run(["ip", "127.0.0.1", "--from", path, "--json"])
        let object = Self.parsedJSON(json, "ip --json") as? [String: Any]
        let answers = object?["answers"] as? [[String: Any]]
        let verdict = answers?.first?["verdict"] as? [String: Any]
        #expect(verdict?["owner_host"] as? String == Self.forged, "the JSON keeps the name exactly")

        // The monitoring plugin's status line stays one line, its details one line each.
        let check = try HAExplainBinary.run(["check", "127.0.0.1", "--from", path])
        Self.expectInert(check.stdout, "check text")
        let checkLines = check.stdout.split(separator: "\n")
        #expect(checkLines.first?.hasPrefix("HAEXPLAIN ") == true && checkLines.dropFirst().allSatisfy { $0.hasPrefix("warning: ") || $0.hasPrefix("limit: ") },
                "\(check.stdout)")

        // Errors are text too: a snapshot path with an escape in it.
        let missing = try HAExplainBinary.run(["ip", "127.0.0.1", "--from", directory.path + "/\u{1b}[31mnone.json"])
        #expect(missing.status == 66)
        Self.expectInert(missing.stderr, "error text")
    }

    @Test("hosts-file names with escapes, bidi overrides and invalid UTF-8 stay inert in text and valid in JSON")
    func hostsFileNames() throws {
        var file = Array("10.99.0.1 ev\u{1b}[31mil \u{202e}gnp.exe \u{9b}2J bad".utf8)
        file += [0xff, 0xfe, 0xc3]
        file += Array(" name\r\n".utf8)
        let path = try write("hosts", file)
        let text = try HAExplainBinary.run(["hosts", "10.99.0.1", "--hosts-file", path, "--no-dns"])
        Self.expectInert(text.stdout, "hosts text")
        #expect(text.stdout.contains(#"ev\x1b[31mil \u202egnp.exe \u009b2J"#), "\(text.stdout)")
        let json = try HAExplainBinary.run(["hosts", "10.99.0.1", "--hosts-file", path, "--no-dns", "--json"])
        _ = Self.parsedJSON(json, "hosts --json")
        #expect(json.stdout.contains("\u{fffd}"), "invalid UTF-8 becomes U+FFFD")
    }

    @Test("keepalived instance and script names with escape sequences stay inert")
    func keepalivedNames() throws {
        // A second instance whose name is not UTF-8 at all.
        let invalid = Array("vrrp_instance bad".utf8) + [0xff, 0xfe, 0xc3] + Array(" {\n interface eth2\n virtual_router_id 52\n priority 50\n virtual_ipaddress {\n 10.99.0.2/32\n }\n}\n".utf8)
        let path = try write("keepalived.conf", invalid + Array("""
            vrrp_script chk\u{1b}[31m {
                script "/usr/bin/killall -0 hap\u{1b}]0;x\u{7}roxy"
                weight -2
            }
            vrrp_instance VI\u{1b}[2J\u{202e} {
                state MASTER
                interface eth2
                virtual_router_id 51
                priority 100
                virtual_ipaddress {
                    10.99.0.1/32
                }
                track_script {
                    chk\u{1b}[31m
                }
            }

            """.utf8))
        let text = try HAExplainBinary.run(["keepalived", "--keepalived-config", path])
        Self.expectInert(text.stdout, "keepalived text")
        Self.expectInert(text.stderr, "keepalived stderr")
        #expect(text.stdout.contains(#"VI\x1b[2J\u202e"#), "\(text.stdout)")
        let json = try HAExplainBinary.run(["keepalived", "--keepalived-config", path, "--json"])
        _ = Self.parsedJSON(json, "keepalived --json")
        #expect(json.stdout.contains("bad\u{fffd}"), "bytes that are not UTF-8 become U+FFFD")
    }

    @Test("haproxy: a name with an escape sequence is refused inertly; a file named with one prints no escape")
    func haproxyNames() throws {
        let refused = try write("bad.cfg", Array("frontend fe\u{1b}[31m\u{202e}\n    bind 10.99.0.1:80\n".utf8))
        let error = try HAExplainBinary.run(["haproxy", "--haproxy-config", refused])
        #expect(error.status == 65)
        Self.expectInert(error.stderr, "haproxy error")
        #expect(error.stderr.contains(#"fe\x1b[31m\u202e"#), "\(error.stderr)")

        let path = try write("ha\u{1b}[31m\u{202e}.cfg", Array("""
            frontend fe
                bind 10.99.0.1:80
                default_backend be
            backend be
                server s1 10.99.0.2:80

            """.utf8))
        let text = try HAExplainBinary.run(["haproxy", "--haproxy-config", path])
        Self.expectInert(text.stdout, "haproxy text")
        #expect(text.stdout.contains(#"ha\x1b[31m\u202e.cfg:1"#), "\(text.stdout)")
        _ = Self.parsedJSON(try HAExplainBinary.run(["haproxy", "--haproxy-config", path, "--json"]), "haproxy --json")
    }

    @Test("a capture file whose name holds a newline and an escape is named inertly")
    func captureFileName() throws {
        // An empty pcap: the global header only (microseconds, Ethernet).
        let header: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]
        let path = try write("cap\nsource    forged\u{1b}[31m.pcap", header)
        let text = try HAExplainBinary.run(["vrrp", "--read", path])
        #expect(text.succeeded, "\(text.stderr)")
        Self.expectInert(text.stdout, "vrrp text")
        #expect(text.stdout.split(separator: "\n").filter { $0.hasPrefix("source") }.count == 1, "\(text.stdout)")
        _ = Self.parsedJSON(try HAExplainBinary.run(["vrrp", "--read", path, "--json"]), "vrrp --json")
    }
}

/// Interface names and address labels are whatever `ip` was given: escape sequences included.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class HostileKernelNamesTests {
    let lab = NetnsLab(prefix: "hxt")
    deinit { lab.teardown() }

    @Test("addr and neigh print an interface named with an escape sequence and a bidi label inertly")
    func interfaceNames() throws {
        let netns = try lab.namespace("names")
        let name = "ev\u{1b}[1m"
        try lab.ip(netns, "link", "add", name, "type", "veth", "peer", "name", "hxtp")
        try lab.ip(netns, "link", "set", name, "up")
        try lab.ip(netns, "addr", "add", "10.9.0.1/24", "dev", name, "label", "\(name):\u{202e}x")
        try lab.ip(netns, "neigh", "add", "10.9.0.2", "lladdr", "02:00:00:00:00:01", "dev", name)
        for command in ["addr", "neigh"] {
            let text = try HAExplainBinary.run([command, "--netns", netns])
            #expect(text.succeeded, "\(text.stderr)")
            HostileTextTests.expectInert(text.stdout, "\(command) text")
            #expect(text.stdout.contains(#"ev\x1b[1m"#), "\(text.stdout)")
            let json = try HAExplainBinary.run([command, "--netns", netns, "--json"])
            _ = HostileTextTests.parsedJSON(json, "\(command) --json")
        }
    }
}
