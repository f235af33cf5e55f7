import Foundation
import LabSupport
import Testing

/// `haexplain check` on the seed lab, read the way a monitoring system reads a plugin: the
/// exit code, the status word and text before '|', the performance data after it.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class CheckStoryTests {
    let lab: SeedLab
    init() throws { lab = try SeedLab("c") }

    struct Plugin {
        var exit: Int32
        var status: String
        var text: String
        var perfdata: [String: String]
        var details: [String]

        init(_ result: Shell.Result) {
            exit = result.status
            let lines = result.stdout.split(separator: "\n").map(String.init)
            let first = lines.first ?? ""
            let halves = first.split(separator: "|", maxSplits: 1).map(String.init)
            let words = (halves.first ?? "").split(separator: " ", maxSplits: 3).map(String.init)
            status = words.count > 1 && words[0] == "HAEXPLAIN" ? words[1] : "(no status line: \(result.stdout) \(result.stderr))"
            text = words.count > 3 ? words[3].trimmingCharacters(in: .whitespaces) : ""
            perfdata = Dictionary(((halves.count > 1 ? halves[1] : "").split(separator: " ")).compactMap { item in
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                return parts.count == 2 ? (parts[0], parts[1]) : nil
            }, uniquingKeysWith: { a, _ in a })
            details = Array(lines.dropFirst())
        }
    }

    func check(on node: String, _ arguments: [String], as prefix: [String] = []) throws -> Plugin {
        let result = try lab.run(on: node, prefix + [HAExplainBinary.path, "check"] + arguments)
        return Plugin(result)
    }

    @Test("calm OK, the backup expected CRITICAL, a stale ARP entry WARNING, no capture privilege UNKNOWN, a split brain CRITICAL")
    func seedThroughAStorm() throws {
        let calm = try check(on: "app", ["192.168.3.200"])
        #expect(calm.exit == 0 && calm.status == "OK", "\(calm)")
        #expect(calm.text.hasPrefix("192.168.3.200 owned by prod-haproxy-000 (192.168.3.4, bc:76:4e:05:6c:1c) (VRID 200)"), "\(calm.text)")
        #expect(calm.perfdata["warnings"] == "0;;;0", "\(calm.perfdata)")

        let byName = try check(on: "app", ["prod-db-internal.panda.com", "--expect-owner", "prod-haproxy-000"])
        #expect(byName.exit == 0 && byName.status == "OK", "\(byName)")
        let backup = try check(on: "app", ["192.168.3.200", "--expect-owner", "prod-haproxy-001"])
        #expect(backup.exit == 2 && backup.status == "CRITICAL" && backup.text.hasSuffix("expected prod-haproxy-001"), "\(backup)")

        // The application server still sends the VIP to the backup's MAC.
        #expect(try lab.run(on: "app", ["ip", "neigh", "replace", "192.168.3.200", "lladdr", "bc:76:4e:05:eb:70", "dev", "eth2", "nud", "stale"]).succeeded)
        let stale = try check(on: "app", ["192.168.3.200", "--no-dns"])
        #expect(stale.exit == 1 && stale.status == "WARNING", "\(stale)")
        #expect(stale.details.contains { $0.hasPrefix("warning: ") && $0.contains("bc:76:4e:05:eb:70") }, "\(stale.details)")
        #expect(try check(on: "app", ["192.168.3.200", "--no-dns", "--warnings-are", "ok"]).exit == 0)
        #expect(try lab.run(on: "app", ["ip", "neigh", "del", "192.168.3.200", "dev", "eth2"]).succeeded)

        // Without CAP_NET_RAW nothing can be heard on the wire: the check cannot observe.
        let unprivileged = try check(on: "app", ["192.168.3.200", "--no-dns"],
                                     as: ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"])
        #expect(unprivileged.exit == 3 && unprivileged.status == "UNKNOWN", "\(unprivileged)")
        #expect(unprivileged.details.contains { $0.hasPrefix("limit: could not listen") }, "\(unprivileged.details)")

        // The balancers stop hearing each other: both become master.
        try lab.lab(["isolate"])
        try lab.lab(["wait-vip", "lb1", "192.168.3.200"])
        let split = try check(on: "app", ["192.168.3.200", "--no-dns"])
        #expect(split.exit == 2 && split.status == "CRITICAL" && split.text.hasPrefix("CONFLICT for 192.168.3.200"), "\(split)")
    }
}
