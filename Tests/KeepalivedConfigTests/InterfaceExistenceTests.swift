import Foundation
import HAModel
import LabSupport
import Testing

/// Interfaces a configuration names that the host lacks: haexplain flags the same lines
/// keepalived 2.2.7 reports "doesn't exist" for, run in a namespace that has only eth2.
@Suite(.enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs /usr/sbin/keepalived")))
final class InterfaceExistenceTests {
    let lab = NetnsLab(prefix: "hxki")
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxki-\(getpid())-\(UUID().uuidString.prefix(8))")

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(at: directory)
    }

    static let body = """
        vrrp_instance present {
          interface eth2
          virtual_router_id 50
          virtual_ipaddress {
            10.9.9.8/32 dev eth2
          }
          track_interface {
            eth2
          }
        }
        vrrp_instance missing {
          interface eth9
          state MASTER
          virtual_router_id 51
          priority 100
          virtual_ipaddress {
            10.9.9.9/32 dev eth8
            10.9.9.10/32
          }
          track_interface {
            eth7 weight -5
            eth2
          }
        }

        """

    /// The config's problems with code interface-missing: line -> severity.
    func haexplainProblems(_ config: String, in netns: String) throws -> [Int: String] {
        let result = try lab.exec(netns, [HAExplainBinary.path, "keepalived", "--keepalived-config", config, "--json"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        var lines: [Int: String] = [:]
        for problem in root["problems"] as? [[String: Any]] ?? [] where problem["code"] as? String == "interface-missing" {
            lines[problem["line"] as? Int ?? -1] = problem["severity"] as? String
        }
        return lines
    }

    @Test("the lines keepalived -t says \"doesn't exist\" for are the lines flagged; dynamic_interfaces makes them warnings")
    func missingInterfaces() throws {
        let netns = try lab.namespace("ki")
        try lab.ip(netns, "link", "add", "eth2", "type", "veth", "peer", "name", "eth2p")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let plain = directory.appendingPathComponent("plain.conf").path
        try Self.body.write(toFile: plain, atomically: true, encoding: .utf8)

        let checked = try lab.exec(netns, ["keepalived", "-t", "-f", plain, "-l", "-D"])
        let said = checked.stdout + checked.stderr
        #expect(said.contains("Non-existent interface specified in configuration"))
        // "(FILE: Line N) ... doesn't exist"
        let keepalivedLines = Set(said.split(separator: "\n").filter { $0.contains("doesn't exist") }.compactMap { line -> Int? in
            guard let range = line.range(of: "Line ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        })
        #expect(keepalivedLines.count == 3, "\(said)")
        let flagged = try haexplainProblems(plain, in: netns)
        #expect(Set(flagged.keys) == keepalivedLines)
        #expect(flagged.values.allSatisfy { $0 == "error" })

        let dynamic = directory.appendingPathComponent("dynamic.conf").path
        try ("global_defs {\n  dynamic_interfaces\n}\n" + Self.body).write(toFile: dynamic, atomically: true, encoding: .utf8)
        let quiet = try lab.exec(netns, ["keepalived", "-t", "-f", dynamic, "-l", "-D"])
        #expect(!(quiet.stdout + quiet.stderr).contains("Non-existent interface"))
        let warned = try haexplainProblems(dynamic, in: netns)
        #expect(Set(warned.keys) == Set(keepalivedLines.map { $0 + 3 }))
        #expect(warned.values.allSatisfy { $0 == "warning" })
    }
}
