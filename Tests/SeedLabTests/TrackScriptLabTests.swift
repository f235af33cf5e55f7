import Foundation
import LabSupport
import Testing

/// chk_haproxy (`killall -0 haproxy`) judged by haexplain from /proc, against what the real
/// keepalived says about the same script and priority (its SIGUSR1 data dump), while haproxy
/// runs, after it is stopped and once it is back; and the changed-after-start warning.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class TrackScriptLabTests {
    let lab: SeedLab

    init() throws { lab = try SeedLab("t") }

    /// keepalived's own view (keepalived -> /tmp/keepalived.data on SIGUSR1, in lb0's mount
    /// namespace): chk_haproxy's status and the effective priority of the VRID 200 instance.
    func keepalivedSays() throws -> (status: String?, priority: Int?) {
        let dump = try lab.run(on: "lb0", ["sh", "-c", """
            rm -f /tmp/keepalived.data; kill -USR1 "$(cat /run/lab/keepalived.pid)"
            for i in $(seq 1 50); do grep -q 'VRRP Script' /tmp/keepalived.data 2>/dev/null && break; sleep 0.1; done
            sleep 0.2; cat /tmp/keepalived.data
            """])
        var status: String?
        var priority: Int?
        var inInstance200 = false
        var inScript = false
        for line in dump.stdout.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("VRRP Instance = ") { inInstance200 = line == "VRRP Instance = 192.168.3.200"; inScript = false }
            if line.hasPrefix("VRRP Script = ") { inScript = line == "VRRP Script = chk_haproxy"; inInstance200 = false }
            if inInstance200, line.hasPrefix("Effective priority = ") { priority = Int(line.dropFirst("Effective priority = ".count)) }
            if inScript, line.hasPrefix("Status = ") { status = String(line.dropFirst("Status = ".count)) }
        }
        return (status, priority)
    }

    /// Waits (at most 15 s) until keepalived reports chk_haproxy as `status`.
    func waitForKeepalived(_ status: String) throws -> Int? {
        for _ in 0..<30 {
            let said = try keepalivedSays()
            if said.status == status { return said.priority }
            usleep(500_000)
        }
        return nil
    }

    /// haexplain keepalived --json on lb0: chk_haproxy's observed state and VRID 200's priority.
    func haexplainSays() throws -> (state: String?, priority: Int?, arithmetic: String?, problems: [String]) {
        let result = try lab.haexplain(on: "lb0", ["keepalived", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let track = (report["track_state"] as? [[String: Any]])?.first { $0["name"] as? String == "chk_haproxy" }
        let instance = (report["vrrp_instances"] as? [[String: Any]])?.first { $0["virtual_router_id"] as? Int == 200 }
        let effective = instance?["effective_priority"] as? [String: Any]
        let problems = (report["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        return (track?["state"] as? String, effective?["value"] as? Int, effective?["arithmetic"] as? String, problems)
    }

    @Test("killall -0 haproxy: OK and 100 while haproxy runs, failing and 98 once it stops, OK and 100 again, as keepalived itself says")
    func trackScriptFollowsHaproxy() throws {
        let running = try haexplainSays()
        #expect(running.state == "ok" && running.priority == 100)
        #expect(try waitForKeepalived("GOOD") == running.priority)

        try lab.lab(["haproxy-stop", "lb0"])
        let keepalivedStopped = try waitForKeepalived("BAD")
        let stopped = try haexplainSays()
        #expect(stopped.state == "failing" && stopped.priority == 98 && stopped.arithmetic == "100 - 2 = 98")
        #expect(keepalivedStopped == stopped.priority)
        let ip = try lab.ip(on: "lb0", ["192.168.3.200", "--no-listen"])
        let answer = Answer(ip.report)
        #expect(answer.thisHost?["priority"] as? Int == 98)
        #expect(answer.evidence.contains { ($0["claim"] as? String)?.contains("is failing on prod-haproxy-000: killall fails: no process named haproxy") == true })

        // A snapshot taken now carries the failing state: explaining from it gives 98 too.
        let snapshot = try lab.haexplain(on: "lb0", ["snapshot"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.prefix)-lb0.json").path
        try snapshot.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromSnapshot = try HAExplainBinary.json(["ip", "192.168.3.200", "--from", file])
        let claims = Answer(fromSnapshot).evidence.compactMap { $0["claim"] as? String }
        #expect(claims.contains { $0.contains("priority 100 - 2 = 98") })
        #expect(claims.contains { $0.contains("track_script chk_haproxy \"killall -0 haproxy\" is failing on prod-haproxy-000") })

        try lab.lab(["haproxy-start", "lb0"])
        let keepalivedBack = try waitForKeepalived("GOOD")
        let back = try haexplainSays()
        #expect(back.state == "ok" && back.priority == 100)
        #expect(keepalivedBack == back.priority)
    }

    @Test("a keepalived.conf modified after keepalived started is a warning in keepalived and ip")
    func configChangedAfterStart() throws {
        #expect(!(try haexplainSays().problems.contains("config-changed-after-start")))
        // Two minutes after now, so necessarily after keepalived started.
        _ = try lab.run(on: "lb0", ["sh", "-c", "touch -d \"@$(( $(date +%s) + 120 ))\" /etc/keepalived/keepalived.conf"])
        #expect(try haexplainSays().problems.contains("config-changed-after-start"))
        let answer = Answer(try lab.ip(on: "lb0", ["192.168.3.200", "--no-listen"]).report)
        #expect(answer.warnings.contains { $0.contains("the running keepalived may not be running this file") })
    }
}
