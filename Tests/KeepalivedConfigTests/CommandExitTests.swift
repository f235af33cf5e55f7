import Foundation
import LabSupport
import Testing

/// `haexplain keepalived`'s documented exit statuses, from the built binary.
@Suite("haexplain keepalived exit statuses")
struct CommandExitTests {
    static let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../.build/debug/haexplain").standardized.path

    static func run(_ arguments: [String]) throws -> Shell.Result {
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the haexplain product first (swift build)")
        return try Shell.run([binary, "keepalived"] + arguments, timeout: 30)
    }

    @Test("missing config 66, directory 66, FIFO 66 without blocking, binary 65, good config 0")
    func statuses() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxk-exit-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        try Data([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]).write(to: URL(fileURLWithPath: dir + "/binary.conf"))
        try "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n".write(toFile: dir + "/good.conf", atomically: true, encoding: .utf8)

        let missing = try Self.run(["--keepalived-config", dir + "/missing.conf"])
        #expect(missing.status == 66)
        #expect(missing.stderr.contains(dir + "/missing.conf: cannot open"))
        #expect(try Self.run(["--keepalived-config", dir]).status == 66)
        let fifo = try Self.run(["--keepalived-config", dir + "/fifo"])
        #expect(fifo.status == 66)
        #expect(fifo.stderr.contains("FIFO"))
        let binary = try Self.run(["--keepalived-config", dir + "/binary.conf"])
        #expect(binary.status == 65)
        #expect(binary.stderr.contains("binary.conf:1:"))
        let good = try Self.run(["--keepalived-config", dir + "/good.conf", "--json"])
        #expect(good.status == 0)
        #expect(good.stdout.contains("\"schema_version\""))
        #expect(try Self.run(["--no-such-option"]).status == 64)
    }
}

extension CommandExitTests {
    @Test("an explicit --netns that does not exist is exit 69, not a silent answer")
    func missingNamespace() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxk-netns-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n".write(toFile: dir + "/k.conf", atomically: true, encoding: .utf8)
        let result = try Self.run(["--keepalived-config", dir + "/k.conf", "--netns", "hxk-no-such-namespace"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("hxk-no-such-namespace"))
    }

    @Test("each --keepalived-config reads its @ID lines with its own --config-id; a count that fits neither way is 64")
    func perPeerConfigID() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxk-cid-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // One template deployed to both balancers, as configuration management does.
        let template = "vrrp_instance VI_1 {\n  interface eth2\n  virtual_router_id 51\n@lb0 priority 100\n@lb1 priority 99\n  virtual_ipaddress {\n    10.1.1.1\n  }\n}\n"
        for node in ["lb0", "lb1"] { try template.write(toFile: "\(dir)/\(node).conf", atomically: true, encoding: .utf8) }
        func priorities(_ ids: [String]) throws -> [Int] {
            let result = try Self.run(["--keepalived-config", dir + "/lb0.conf", "--keepalived-config", dir + "/lb1.conf", "--json"]
                                      + ids.flatMap { ["--config-id", $0] })
            let root = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
            return (root["vrrp_instances"] as? [[String: Any]] ?? []).compactMap { $0["priority"] as? Int }
        }
        #expect(try priorities(["lb0", "lb1"]) == [100, 99])
        #expect(try priorities(["lb0"]) == [100, 100])
        let mismatch = try Self.run(["--keepalived-config", dir + "/lb0.conf", "--config-id", "lb0", "--config-id", "lb1", "--config-id", "x"])
        #expect(mismatch.status == 64)
        #expect(mismatch.stderr.contains("one per file in the same order"))
    }
}
