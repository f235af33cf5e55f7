import Foundation
import LabSupport
import Testing

/// `haexplain keepalived --ask-keepalived` against a real keepalived 2.2.7 in a throwaway
/// network, pid and mount namespace: keepalived's own dump beside haexplain's inference.
@Suite("haexplain keepalived --ask-keepalived", .serialized,
       .enabled(if: Privilege.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived"),
                Comment(rawValue: Privilege.namespaceSkipReason + "; needs /usr/sbin/keepalived")))
struct AskKeepalivedTests {
    @Test("keepalived agrees where haexplain judged the script (false: 100 - 20), and the script it could not judge is named as a disagreement")
    func asksTheRunningKeepalived() throws {
        let dir = "/var/tmp/hxk-ask-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        chmod(dir, 0o755)
        try "#!/bin/sh\nexit 1\n".write(toFile: dir + "/custom-check", atomically: false, encoding: .utf8)
        chmod(dir + "/custom-check", 0o755)
        try """
            global_defs {
                router_id lbask
                enable_script_security
                script_user root
            }
            vrrp_script chk_false {
                script "/bin/false"
                interval 1
                weight -20
            }
            vrrp_script chk_custom {
                script "\(dir)/custom-check"
                interval 1
                weight -30
            }
            vrrp_instance VI_1 {
                state BACKUP
                interface eth0
                virtual_router_id 61
                priority 100
                authentication {
                    auth_type PASS
                    auth_pass Sekr1t99
                }
                virtual_ipaddress {
                    10.253.1.61
                }
                track_script {
                    chk_false
                }
            }
            vrrp_instance VI_2 {
                state BACKUP
                interface eth0
                virtual_router_id 62
                priority 90
                virtual_ipaddress {
                    10.253.1.62
                }
                track_script {
                    chk_custom
                }
            }
            """.write(toFile: dir + "/keepalived.conf", atomically: true, encoding: .utf8)
        let script = """
            ip link set lo up; ip link add eth0 type veth peer name hxkp1; ip link set eth0 up; ip link set hxkp1 up
            ip addr add 10.253.1.1/24 dev eth0
            mount -t tmpfs tmpfs /tmp; mount -t tmpfs tmpfs /run
            keepalived -n -l -D -f "$DIR/keepalived.conf" >/tmp/k.log 2>&1 &
            pid=$!
            sleep 3
            "$HAEXPLAIN" keepalived --json >/tmp/plain.json 2>/dev/null
            if [ -e /tmp/keepalived.json ]; then echo "DUMP-WITHOUT-FLAG"; fi
            echo "=====ASK"
            "$HAEXPLAIN" keepalived --ask-keepalived --json
            echo "=====TEXT"
            "$HAEXPLAIN" keepalived --ask-keepalived
            echo "=====SNAP"
            "$HAEXPLAIN" snapshot --ask-keepalived
            echo "=====IP"
            "$HAEXPLAIN" ip 10.253.1.62 --ask-keepalived --no-listen --no-dns --json
            kill -TERM $pid; j=0; while [ $j -lt 50 ] && kill -0 $pid 2>/dev/null; do sleep 0.1; j=$((j+1)); done; kill -KILL $pid 2>/dev/null
            """
        let result = try Shell.run(["env", "DIR=" + dir, "HAEXPLAIN=" + HAExplainBinary.path, "unshare", "--net", "--pid", "--mount", "--fork",
                                    "--kill-child", "--mount-proc", "sh", "-c", script], timeout: 60)
        #expect(!result.stdout.contains("DUMP-WITHOUT-FLAG"), "keepalived was signalled without --ask-keepalived")
        let parts = result.stdout.components(separatedBy: "=====TEXT\n")
        let json = try #require(parts.first?.components(separatedBy: "=====ASK\n").last)
        let afterText = parts.count > 1 ? parts[1].components(separatedBy: "=====IP\n") : []
        let rest = afterText.first?.components(separatedBy: "=====SNAP\n") ?? []
        let text = rest.first ?? ""
        #expect(!result.stdout.contains("Sekr1t99"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
        let says = try #require(report["keepalived_says"] as? [String: Any], "\(report["limits"] ?? "")")
        let instances = try #require(says["instances"] as? [[String: Any]])
        let first = try #require(instances.first { $0["name"] as? String == "VI_1" })
        let second = try #require(instances.first { $0["name"] as? String == "VI_2" })
        #expect(first["effective_priority"] as? Int == 80)
        #expect(second["effective_priority"] as? Int == 60)
        let disagreements = says["disagreements"] as? [String] ?? []
        #expect(disagreements.count == 1, "\(disagreements)")
        #expect(disagreements.first?.hasPrefix("vrrp_instance VI_2: effective priority 60 in keepalived, 90 in haexplain's inference") == true, "\(disagreements)")
        #expect(text.contains("keepalived itself says"))
        // The snapshot keeps keepalived's word, for --from and --host.
        let snapshot = try #require(try JSONSerialization.jsonObject(with: Data((rest.last ?? "").utf8)) as? [String: Any])
        let kept = ((snapshot["keepalived"] as? [String: Any])?["keepalived_says"] as? [String: Any])?["instances"] as? [[String: Any]]
        #expect(kept?.first { $0["name"] as? String == "VI_2" }?["effective_priority"] as? Int == 60)
        #expect(text.contains("DISAGREES: vrrp_instance VI_2"))
        // ip --ask-keepalived carries the same word and the same disagreement beside its answer.
        let ip = try #require(try JSONSerialization.jsonObject(with: Data((afterText.last ?? "").utf8)) as? [String: Any], "\(afterText.last ?? "")")
        let ipSays = try #require(ip["keepalived_says"] as? [String: Any], "\(ip["limits"] ?? "")")
        #expect((ipSays["instances"] as? [[String: Any]])?.first { $0["name"] as? String == "VI_2" }?["effective_priority"] as? Int == 60)
        #expect((ipSays["disagreements"] as? [String])?.first?.hasPrefix("vrrp_instance VI_2: effective priority 60 in keepalived") == true)
    }
}
