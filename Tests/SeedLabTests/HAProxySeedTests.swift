import Foundation
import LabSupport
import Testing

/// haproxy in the seed story: on the master the VIP is served by the seed's frontend and a
/// real haproxy listens; on the backup, a configuration that binds the VIP itself is the
/// trap, and a real haproxy started there with it fails exactly as haexplain says.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct HAProxySeedTests {
    static func claims(_ answer: Answer) -> [String] { answer.evidence.compactMap { $0["claim"] as? String } }

    @Test("lb0 serves 192.168.3.200:3306 through prod-db-internal to db-cluster; lb1 with a VIP bind is the backup trap, confirmed by haproxy")
    func masterServesBackupIsTrapped() throws {
        let lab = try SeedLab("hp")

        let master = Answer(try lab.ip(on: "lb0", ["192.168.3.200", "--no-listen"]).report)
        let served = try #require(master.evidence.first { ($0["claim"] as? String)?.hasPrefix("192.168.3.200:3306 is served by frontend prod-db-internal") == true })
        #expect((served["claim"] as? String)?.contains("→ backend db-cluster (servers db-000 192.168.3.21:3306, db-001 192.168.3.22:3306, db-002 192.168.3.23:3306)") == true)
        #expect(served["file"] as? String == "/etc/haproxy/haproxy.cfg")
        #expect(served["line"] as? Int == 13)
        #expect(Self.claims(master).contains { $0.hasPrefix("listening on prod-haproxy-000: tcp 0.0.0.0:3306 (haproxy pid ") })
        #expect(!master.warnings.contains { $0.contains("no listener") || $0.contains("cannot start") })

        // Without --haproxy-config: the node's running haproxy's -f, and its bind really listens.
        let shown = try lab.haexplain(on: "lb0", ["haproxy", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect((report["chosen_because"] as? String)?.hasPrefix("the running haproxy (pid ") == true)
        #expect((report["chosen_because"] as? String)?.hasSuffix("was started with -f /etc/haproxy/haproxy.cfg") == true)
        let binds = ((report["frontends"] as? [[String: Any]])?.first?["binds"] as? [[String: Any]]) ?? []
        #expect(binds.map { $0["status"] as? String } == ["listening"])

        // Offline: lb0's snapshot carries its haproxy, and explains the same from anywhere.
        let snapshot = try lab.haexplain(on: "lb0", ["snapshot"])
        #expect(snapshot.succeeded)
        let file = "\(lab.state)/lb0.json"
        try snapshot.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let offline = try HAExplainBinary.run(["ip", "192.168.3.200", "--from", file, "--json"])
        let fromSnapshot = Answer(try #require(try JSONSerialization.jsonObject(with: Data(offline.stdout.utf8)) as? [String: Any]))
        #expect(Self.claims(fromSnapshot).contains { $0.hasPrefix("192.168.3.200:3306 is served by frontend prod-db-internal") && $0.hasSuffix("on prod-haproxy-000") })
        #expect(Self.claims(fromSnapshot).contains { $0.hasPrefix("listening on prod-haproxy-000: tcp 0.0.0.0:3306 (haproxy pid ") })

        // The seed binds *:3306, so the backup is not trapped; it would serve once it holds the VIP.
        let backup = Answer(try lab.ip(on: "lb1", ["192.168.3.200", "--no-listen"]).report)
        #expect(Self.claims(backup).contains { $0.hasPrefix("192.168.3.200:3306 would be served, once prod-haproxy-001 holds it, by frontend prod-db-internal") })
        #expect(!backup.warnings.contains { $0.contains("cannot start or reload") })

        let seed = try String(contentsOf: HAExplainBinary.packageRoot.appendingPathComponent("demo/seed/haproxy.cfg"), encoding: .utf8)
        let trap = "\(lab.state)/haproxy-vip.cfg"
        let transparent = "\(lab.state)/haproxy-transparent.cfg"
        try seed.replacingOccurrences(of: "bind *:3306", with: "bind 192.168.3.200:3306").write(toFile: trap, atomically: true, encoding: .utf8)
        try seed.replacingOccurrences(of: "bind *:3306", with: "bind 192.168.3.200:3306 transparent").write(toFile: transparent, atomically: true, encoding: .utf8)

        let trapped = Answer(try lab.ip(on: "lb1", ["192.168.3.200", "--no-listen", "--haproxy-config", trap]).report)
        let warning = try #require(trapped.warnings.first { $0.hasPrefix("haproxy cannot start or reload here while this node is BACKUP") })
        #expect(warning.contains("(\(trap):13)") && warning.contains("net.ipv4.ip_nonlocal_bind = 0"))
        // The oracle: haproxy itself cannot bind there, and names the same line.
        let real = try lab.run(on: "lb1", ["timeout", "5", "haproxy", "-db", "-f", trap])
        #expect(real.status != 0 && real.status != 124)
        #expect((real.stdout + real.stderr).contains("[\(trap):13]") && (real.stdout + real.stderr).contains("cannot bind socket"))

        let free = Answer(try lab.ip(on: "lb1", ["192.168.3.200", "--no-listen", "--haproxy-config", transparent]).report)
        #expect(!free.warnings.contains { $0.contains("cannot start or reload") })
        // With `transparent` haproxy starts and keeps running until `timeout` stops it.
        #expect(try lab.run(on: "lb1", ["timeout", "2", "haproxy", "-db", "-f", transparent]).status == 124)

        // On the master, a bind nothing listens on: traffic to the VIP would be refused.
        let unserved = "\(lab.state)/haproxy-5432.cfg"
        try seed.replacingOccurrences(of: "bind *:3306", with: "bind 192.168.3.200:5432").write(toFile: unserved, atomically: true, encoding: .utf8)
        let noListener = Answer(try lab.ip(on: "lb0", ["192.168.3.200", "--no-listen", "--haproxy-config", unserved]).report)
        #expect(noListener.warnings.contains { $0.hasPrefix("no listener:") && $0.contains("192.168.3.200:5432") && $0.contains("traffic to the VIP would be refused") })
    }
}
