import Foundation
import LabSupport
import Testing

/// `haexplain keepalived --check`: the lint CI pipelines run on rendered configurations.
@Suite("haexplain keepalived --check")
struct CheckModeTests {
    static func write(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxk-check-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        return dir + "/" + name
    }

    static let clean = "vrrp_instance A {\n state BACKUP\n interface lo\n virtual_router_id 1\n priority 100\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n"

    @Test("a clean file passes (0); a keyword left with only a comment is a fatal error at its line (1)")
    func cleanAndFatal() throws {
        let good = try CommandExitTests.run(["--keepalived-config", try Self.write("good.conf", Self.clean), "--check"])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.isEmpty)
        #expect(good.stderr.contains("keepalived would start"))
        let path = try Self.write("fatal.conf", Self.clean.replacingOccurrences(of: " priority 100\n", with: " priority # set by Ansible\n"))
        let fatal = try CommandExitTests.run(["--keepalived-config", path, "--check"])
        #expect(fatal.status == 1)
        #expect(fatal.stdout.split(separator: "\n").contains { $0.hasPrefix("\(path):5: error: *** Configuration line starting `priority` is missing a parameter") && $0.hasSuffix("[missing-parameter]") })
        #expect(fatal.stderr.contains("keepalived would NOT start"))
    }

    @Test("a warning passes without --strict and fails with it; --strict alone is a usage error (64); a missing file 66")
    func strictAndUsage() throws {
        // MASTER with nopreempt: keepalived clears nopreempt (a warning).
        let path = try Self.write("warn.conf", Self.clean.replacingOccurrences(of: "state BACKUP", with: "state MASTER\n nopreempt"))
        let plain = try CommandExitTests.run(["--keepalived-config", path, "--check"])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains(": warning: (A) Warning - nopreempt will not work with initial state MASTER - clearing"))
        #expect(plain.stdout.contains("[nopreempt-cleared]"))
        #expect(try CommandExitTests.run(["--keepalived-config", path, "--check", "--strict"]).status == 1)
        #expect(try CommandExitTests.run(["--keepalived-config", path, "--strict"]).status == 64)
        #expect(try CommandExitTests.run(["--keepalived-config", path + ".missing", "--check"]).status == 66)
    }

    @Test("control characters in a message are escaped: one problem stays one line")
    func inert() throws {
        let path = try Self.write("ctl.conf", Self.clean.replacingOccurrences(of: " priority 100\n", with: " priority 100\n bogus_\u{1b}[31mkeyword\n"))
        let result = try CommandExitTests.run(["--keepalived-config", path, "--check"])
        #expect(!result.stdout.contains("\u{1b}"))
        #expect(result.stdout.contains("\\x1b[31m"))
        #expect(result.stdout.split(separator: "\n").allSatisfy { $0.hasPrefix(path + ":") })
    }
}
