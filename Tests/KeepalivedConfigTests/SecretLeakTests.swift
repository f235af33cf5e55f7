import Foundation
import HAExplainCore
import HAModel
import KeepalivedConfig
import LabSupport
import Testing

/// auth_pass is never printed, in any output mode: only its fingerprint.
@Suite("auth_pass never appears in output")
struct SecretLeakTests {
    static let password = "Zq9Sec7!"
    static let longPassword = "Wx8LongerThanEight"

    static func config(_ pass: String, peer: String) -> String {
        """
        global_defs {
          router_id \(peer)
        }
        vrrp_instance VI_1 {
          interface eth0
          virtual_router_id 51
          priority \(peer == "a" ? 150 : 100)
          authentication {
            auth_type PASS
            auth_pass "\(pass)"
          }
          virtual_ipaddress {
            10.0.0.100/24
          }
        }
        """
    }

    static func report() throws -> KeepalivedReport {
        let files = InMemoryConfigFiles(["a.conf": config(password, peer: "a"), "b.conf": config(longPassword, peer: "b")])
        let nodes = try ["a", "b"].map { name in
            NodeConfiguration(name: name, config: try KeepalivedParser.parse(path: "\(name).conf", files: files, configID: name), chosenBecause: "test")
        }
        return KeepalivedAnalysis.analyze(nodes)
    }

    static func leaks(_ text: String) -> [String] {
        [password, longPassword, String(longPassword.prefix(8))].filter { text.contains($0) }
    }

    @Test("text, JSON and compact JSON carry the fingerprint and not the password")
    func renderers() throws {
        let report = try Self.report()
        let outputs = [KeepalivedText.render(report), try JSONOutput.encode(report), try JSONOutput.encode(report, pretty: false)]
        for output in outputs {
            #expect(Self.leaks(output).isEmpty)
            #expect(output.contains(Secret(Self.password).fingerprint))
        }
        // The passwords differ, so the problem is reported, by fingerprint.
        let mismatch = try #require(report.problems.first { $0.code == .authMismatch })
        #expect(Self.leaks(mismatch.message).isEmpty)
    }

    @Test("the haexplain binary's text and --json output and its stderr never contain the password")
    func binary() throws {
        let binary = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/haexplain").standardized.path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "build the haexplain product first (swift build)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hxk-secret-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.config(Self.password, peer: "a").write(toFile: dir + "/a.conf", atomically: true, encoding: .utf8)
        try Self.config(Self.longPassword, peer: "b").write(toFile: dir + "/b.conf", atomically: true, encoding: .utf8)
        for extra in [[], ["--json"]] {
            let result = try Shell.run([binary, "keepalived", "--keepalived-config", dir + "/a.conf", "--keepalived-config", dir + "/b.conf"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(Self.leaks(result.stdout + result.stderr).isEmpty)
            #expect(result.stdout.contains("sha256:"))
        }
    }
}

extension SecretLeakTests {
    /// The peer's configuration as it arrives in its snapshot (--from, --host): encoded there,
    /// decoded here.
    static func throughSnapshot(_ config: KeepalivedConfiguration) throws -> KeepalivedConfiguration {
        try JSONReading.decode(KeepalivedConfiguration.self, from: Array(try JSONOutput.encode(config, pretty: false).utf8))
    }

    @Test("a peer's auth_pass read back from its snapshot matches the same password here: no false auth mismatch")
    func snapshotRoundTrip() throws {
        let files = InMemoryConfigFiles(["a.conf": Self.config(Self.password, peer: "a"), "b.conf": Self.config(Self.password, peer: "b"),
                                         "c.conf": Self.config("other", peer: "c")])
        let local = try KeepalivedParser.parse(path: "a.conf", files: files, configID: "a")
        let peer = try Self.throughSnapshot(try KeepalivedParser.parse(path: "b.conf", files: files, configID: "b"))
        #expect(peer.vrrpInstances.first?.authentication?.authPass == local.vrrpInstances.first?.authentication?.authPass)
        // Read back twice (a snapshot of a merged answer): still the same fingerprint, never re-hashed.
        let twice = try Self.throughSnapshot(peer)
        #expect(twice.vrrpInstances.first?.authentication?.authPass?.fingerprint == Secret(Self.password).fingerprint)
        let same = KeepalivedAnalysis.analyze([NodeConfiguration(name: "a", config: local, chosenBecause: "test"),
                                               NodeConfiguration(name: "b", config: twice, chosenBecause: "snapshot")])
        #expect(!same.problems.contains { $0.code == .authMismatch })
        let other = try Self.throughSnapshot(try KeepalivedParser.parse(path: "c.conf", files: files, configID: "c"))
        let differ = KeepalivedAnalysis.analyze([NodeConfiguration(name: "a", config: local, chosenBecause: "test"),
                                                 NodeConfiguration(name: "c", config: other, chosenBecause: "snapshot")])
        #expect(differ.problems.contains { $0.code == .authMismatch })
    }
}
