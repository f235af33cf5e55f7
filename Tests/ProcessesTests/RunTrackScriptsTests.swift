import Foundation
import LabSupport
import Testing

/// `haexplain keepalived` in a pid and mount namespace of its own with no keepalived running:
/// scripts it cannot judge are assumed OK and said so, and run only with --run-track-scripts.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class RunTrackScriptsTests {
    let directory = "/tmp/hxpr-run-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "#!/bin/sh\nexit 3\n".write(toFile: directory + "/check.sh", atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/check.sh")
        try """
            vrrp_script chk_custom {
                script "\(directory)/check.sh"
                weight -10
            }
            vrrp_script chk_flag {
                script "test -e \(directory)/flag"
                weight 5
            }
            vrrp_script chk_unit {
                script "systemctl is-active --quiet haproxy"
                weight -20
            }
            vrrp_instance VI_1 {
                interface lo
                virtual_router_id 51
                priority 100
                virtual_ipaddress {
                    10.99.0.1/32
                }
                track_script {
                    chk_custom
                    chk_flag
                    chk_unit
                }
            }
            """.write(toFile: directory + "/keepalived.conf", atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func keepalived(_ extra: [String]) throws -> [String: Any] {
        let result = try Shell.run(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", HAExplainBinary.path, "keepalived",
                                    "--keepalived-config", directory + "/keepalived.conf", "--json"] + extra, timeout: 60)
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
    }

    func states(_ report: [String: Any]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (report["track_state"] as? [[String: Any]] ?? []).compactMap { track in
            (track["name"] as? String).map { ($0, track["state"] as? String ?? "") }
        })
    }

    func priority(_ report: [String: Any]) -> [String: Any] {
        ((report["vrrp_instances"] as? [[String: Any]])?.first?["effective_priority"] as? [String: Any]) ?? [:]
    }

    @Test("without the flag: test -e judged, the script and systemctl assumed OK and named as assumed")
    func judgedAndAssumed() throws {
        let report = try keepalived([])
        #expect(states(report) == ["chk_custom": "not_evaluated", "chk_flag": "failing", "chk_unit": "not_evaluated"])
        #expect(priority(report)["value"] as? Int == 100)
        let assumption = priority(report)["assumption"] as? String ?? ""
        #expect(assumption.contains("assumed OK (not observed): track_script chk_custom"))
        #expect(assumption.contains("not evaluable without systemd"))
        #expect((report["limits"] as? [[String: Any]] ?? []).contains { ($0["message"] as? String)?.contains("--run-track-scripts runs them") == true })
    }

    @Test("ip: the evidence names each tracked script's state and the priority uses it; --run-track-scripts there too")
    func ipEvidence() throws {
        func ip(_ extra: [String]) throws -> [String: Any] {
            let result = try Shell.run(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", HAExplainBinary.path, "ip", "10.99.0.1",
                                        "--keepalived-config", directory + "/keepalived.conf", "--no-listen", "--no-dns", "--json"] + extra, timeout: 60)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
            return (report["answers"] as? [[String: Any]])?.first ?? [:]
        }
        let judged = try ip([])
        let claims = (judged["evidence"] as? [[String: Any]] ?? []).compactMap { $0["claim"] as? String }
        #expect(claims.contains { $0.contains("track_script chk_flag \"test -e \(directory)/flag\" is failing") })
        #expect(claims.contains { $0.contains("track_script chk_custom") && $0.contains("not evaluated, assumed OK") })
        #expect(claims.contains { $0.contains("no keepalived process is visible in /proc") })
        #expect((judged["this_host"] as? [String: Any])?["priority"] as? Int == 100)
        let ran = try ip(["--run-track-scripts"])
        let ranClaims = (ran["evidence"] as? [[String: Any]] ?? []).compactMap { $0["claim"] as? String }
        #expect(ranClaims.contains { $0.contains("track_script chk_custom") && $0.contains("is failing") && $0.contains("exit status 3") })
        #expect(((ran["this_host"] as? [String: Any])?["priority"] as? Int ?? 100) <= 90)
    }

    @Test("--run-track-scripts runs what cannot be judged: exit 3 is failing, 100 - 10 = 90; the flag file makes chk_flag add 5")
    func runThem() throws {
        try "x".write(toFile: directory + "/flag", atomically: true, encoding: .utf8)
        let report = try keepalived(["--run-track-scripts"])
        let found = states(report)
        #expect(found["chk_custom"] == "failing" && found["chk_flag"] == "ok")
        // systemctl has no systemd to ask in this namespace: it fails when run.
        #expect(found["chk_unit"] != "ok")
        let expected = found["chk_unit"] == "failing" ? "100 - 10 + 5 - 20 = 75" : "100 - 10 + 5 = 95"
        #expect(priority(report)["arithmetic"] as? String == expected)
    }

    @Test("inside a running keepalived's namespaces (nsenter): a failing script and one past its timeout, which is killed")
    func runInKeepalivedNamespaces() throws {
        try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: directory + "/keepalived")
        try """
            vrrp_script chk_exit {
                script "/bin/sh -c 'exit 3'"
                weight -10
            }
            vrrp_script chk_slow {
                script "/bin/sleep 20"
                timeout 1
                weight -20
            }
            vrrp_instance VI_1 {
                interface lo
                virtual_router_id 51
                priority 100
                track_script {
                    chk_exit
                    chk_slow
                }
            }
            """.write(toFile: directory + "/slow.conf", atomically: true, encoding: .utf8)
        // A stand-in keepalived (a copy of sleep) in a pid namespace of its own, and haexplain
        // beside it; afterwards, whether a sleep 20 is still running there.
        let inner = """
            \(directory)/keepalived 1000 & k=$!
            for i in $(seq 1 100); do grep -qx keepalived /proc/$k/comm 2>/dev/null && break; sleep 0.05; done
            \(HAExplainBinary.path) keepalived --keepalived-config \(directory)/slow.conf --run-track-scripts --json > \(directory)/out.json
            sleep 1.5; if pgrep -f '^/bin/sleep 20$' >/dev/null; then echo LEFT; else echo GONE; fi
            """
        let result = try Shell.run(["unshare", "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", inner], timeout: 60)
        #expect(result.stdout.contains("GONE"), "\(result.stdout) \(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/out.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let tracks = report["track_state"] as? [[String: Any]] ?? []
        let exit = tracks.first { $0["name"] as? String == "chk_exit" }
        let slow = tracks.first { $0["name"] as? String == "chk_slow" }
        #expect(exit?["state"] as? String == "failing")
        #expect((exit?["reason"] as? String)?.contains("in keepalived") == true && (exit?["reason"] as? String)?.contains("exit status 3") == true)
        #expect(slow?["state"] as? String == "failing" && (slow?["reason"] as? String)?.contains("timed out after 1 s") == true)
        #expect(priority(report)["arithmetic"] as? String == "100 - 10 - 20 = 70")
    }
}
