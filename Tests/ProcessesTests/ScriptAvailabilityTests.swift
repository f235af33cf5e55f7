import HAModel
import KeepalivedConfig
import Processes
import Testing

/// Which vrrp_scripts keepalived 2.2.7 drops, judged from an in-memory host (users, files
/// with owners and modes, PATH); ConformanceTests checks the same rules against the real one.
@Suite("track scripts keepalived drops")
struct ScriptAvailabilityTests {
    static let root = FileStatus(kind: .directory, uid: 0, gid: 0, mode: 0o755)
    static let tool = FileStatus(kind: .regular, uid: 0, gid: 0, mode: 0o755)

    static func host(passwd: String = "root:x:0:0::/root:/bin/sh\n", files: [String: FileStatus]) -> ScriptHost {
        var all = ["/": root, "/usr": root, "/usr/bin": root, "/etc": root]
        all.merge(files) { $1 }
        return ScriptHost(passwd: passwd, group: "root:x:0:\nstaff:x:50:\n",
                          lstat: { all[$0] }, stat: { all[$0] }, realPath: { all[$0] != nil ? $0 : nil },
                          searchPath: ["/usr/bin"])
    }

    static func config(_ globals: String, script: String = "/usr/bin/check", user: String = "") throws -> KeepalivedConfiguration {
        let text = """
            global_defs {
            \(globals)
            }
            vrrp_script chk {
                script "\(script)"
                weight -20
            \(user)
            }
            vrrp_instance VI_1 {
                state MASTER
                interface eth0
                virtual_router_id 1
                priority 100
                virtual_ipaddress {
                    10.0.0.1
                }
                track_script {
                    chk
                }
            }
            vrrp_instance VI_10 {
                interface eth0
                virtual_router_id 10
                priority 90
                virtual_ipaddress {
                    10.0.0.10
                }
            }
            """
        return try KeepalivedParser.parse(path: "k.conf", files: InMemoryConfigFiles(["k.conf": text]), configID: "x")
    }

    static func judged(_ config: KeepalivedConfiguration, _ host: ScriptHost) -> (KeepalivedConfiguration, KeepalivedReport) {
        var config = config
        ScriptAvailability.apply(to: &config, host: host, node: "lb1")
        return (config, KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")]))
    }

    @Test("enable_script_security, no script_user and no keepalived_script: dropped, no weight, no what-if")
    func noScriptUser() throws {
        let (config, report) = Self.judged(try Self.config("enable_script_security"), Self.host(files: ["/usr/bin/check": Self.tool]))
        let script = try #require(config.vrrpScripts.first)
        #expect(!script.active)
        #expect(script.inactiveReason?.contains("Unable to set default user for vrrp script chk - removing") == true)
        let instance = try #require(report.vrrpInstances.first { $0.name == "VI_1" })
        #expect(instance.effectivePriority?.value == 100)
        #expect(instance.effectivePriority?.terms.contains { $0.kind == .trackScript } == false)
        #expect(instance.whatif?.contains { $0.failing.contains("chk") } == false)
        let problems = report.problems.filter { $0.code == .scriptDropped }
        #expect(problems.map(\.instance) == ["VI_1"])
        #expect(problems.map(\.line) == [4])
        #expect(problems.first?.severity == .error)
    }

    @Test("script_user in global_defs is kept and used: a user that exists runs the script, one that does not drops it")
    func globalScriptUser() throws {
        let passwd = "root:x:0:0::/root:/bin/sh\nprobe:x:500:500::/:/bin/false\n"
        let config = try Self.config("enable_script_security\nscript_user probe")
        #expect(config.globalDefs.scriptUser == "probe")
        #expect(config.vrrpScripts.first?.runAs == ScriptRunAs(source: .scriptUser, user: "probe", securityEnabled: true))
        let (kept, _) = Self.judged(config, Self.host(passwd: passwd, files: ["/usr/bin/check": Self.tool]))
        #expect(kept.vrrpScripts.first?.active == true)
        let (dropped, _) = Self.judged(try Self.config("script_user nobody_here"), Self.host(files: ["/usr/bin/check": Self.tool]))
        #expect(dropped.vrrpScripts.first?.inactiveReason?.hasPrefix("Script user 'nobody_here' does not exist") == true)
    }

    @Test("a script_user that does not exist fails keepalived's default user for good: a later script_user root does not save the script")
    func failedScriptUserSticks() throws {
        // Found by the adversarial differential (seed 404, case 118): keepalived logs "Error
        // setting global script uid/gid" for the second line too and removes the script.
        let config = try Self.config("script_user ghost\nscript_user root")
        #expect(config.globalDefs.scriptUser == "root")
        let (dropped, _) = Self.judged(config, Self.host(files: ["/usr/bin/check": Self.tool]))
        #expect(dropped.vrrpScripts.first?.active == false)
        #expect(dropped.vrrpScripts.first?.inactiveReason?.hasPrefix("Script user 'ghost' does not exist; Error setting global script uid/gid") == true)
        let (kept, _) = Self.judged(try Self.config("script_user root\nscript_user root"), Self.host(files: ["/usr/bin/check": Self.tool]))
        #expect(kept.vrrpScripts.first?.active == true)
    }

    @Test("a per-script user that does not exist drops the script; keepalived_script is the default user when it exists")
    func scriptUsers() throws {
        let (own, _) = Self.judged(try Self.config("", user: "user ghost"), Self.host(files: ["/usr/bin/check": Self.tool]))
        #expect(own.vrrpScripts.first?.inactiveReason?.contains("Unable to set uid/gid for script /usr/bin/check") == true)
        let passwd = "root:x:0:0::/root:/bin/sh\nkeepalived_script:x:600:600::/:/bin/false\n"
        // Not root: keepalived does not check the path, only that the user may execute it.
        let loose = FileStatus(kind: .regular, uid: 600, gid: 600, mode: 0o700)
        let (kept, _) = Self.judged(try Self.config("enable_script_security"), Self.host(passwd: passwd, files: ["/usr/bin/check": loose]))
        #expect(kept.vrrpScripts.first?.active == true)
        let closed = FileStatus(kind: .regular, uid: 0, gid: 0, mode: 0o700)
        let (refused, _) = Self.judged(try Self.config("enable_script_security"), Self.host(passwd: passwd, files: ["/usr/bin/check": closed]))
        #expect(refused.vrrpScripts.first?.inactiveReason == "WARNING - script '/usr/bin/check' is not executable for uid:gid 600:600 - disabling.")
    }

    @Test("a missing file, a file not executable, a bare name not in PATH: dropped")
    func missingFiles() throws {
        let (missing, _) = Self.judged(try Self.config(""), Self.host(files: [:]))
        #expect(missing.vrrpScripts.first?.inactiveReason == "Script /usr/bin/check cannot be accessed - No such file or directory; Disabling track script chk since not found/accessible")
        let plain = FileStatus(kind: .regular, uid: 0, gid: 0, mode: 0o644)
        let (notExecutable, _) = Self.judged(try Self.config(""), Self.host(files: ["/usr/bin/check": plain]))
        #expect(notExecutable.vrrpScripts.first?.active == false)
        let (bare, _) = Self.judged(try Self.config("", script: "nosuchtool -x"), Self.host(files: [:]))
        #expect(bare.vrrpScripts.first?.inactiveReason?.hasPrefix("Cannot find script nosuchtool in path - disabling") == true)
        let (found, _) = Self.judged(try Self.config("", script: "check -x"), Self.host(files: ["/usr/bin/check": Self.tool]))
        #expect(found.vrrpScripts.first?.active == true)
    }

    @Test("a script under a directory others may write: dropped with enable_script_security, kept (insecure) without")
    func insecurePath() throws {
        let files = ["/opt": Self.root, "/opt/drop": FileStatus(kind: .directory, uid: 0, gid: 0, mode: 0o777), "/opt/drop/check": Self.tool]
        let (secure, report) = Self.judged(try Self.config("enable_script_security\nscript_user root", script: "/opt/drop/check"), Self.host(files: files))
        #expect(secure.vrrpScripts.first?.inactiveReason == "Unsafe permissions found for script '/opt/drop/check' - disabling.; Disabling track script chk due to insecure")
        #expect(report.problems.contains { $0.code == .scriptDropped && $0.message.contains("owned by root and not writable") })
        let (open, _) = Self.judged(try Self.config("", script: "/opt/drop/check"), Self.host(files: files))
        #expect(open.vrrpScripts.first?.active == true)
        // The sticky bit (as on /tmp) makes a world-writable directory acceptable; a file owned by another user is not.
        let sticky = ["/opt": Self.root, "/opt/drop": FileStatus(kind: .directory, uid: 0, gid: 0, mode: 0o1777), "/opt/drop/check": Self.tool]
        #expect(Self.judged(try Self.config("enable_script_security\nscript_user root", script: "/opt/drop/check"), Self.host(files: sticky)).0.vrrpScripts.first?.active == true)
        let foreign = ["/opt": Self.root, "/opt/check": FileStatus(kind: .regular, uid: 1000, gid: 0, mode: 0o755)]
        #expect(Self.judged(try Self.config("enable_script_security\nscript_user root", script: "/opt/check"), Self.host(files: foreign)).0.vrrpScripts.first?.active == false)
    }

    @Test("each dropped script's problem gives the fix for why keepalived drops it, whatever words its path holds")
    func remedyByCause() throws {
        func remedy(_ globals: String, script: String, files: [String: FileStatus]) throws -> String? {
            let (_, report) = Self.judged(try Self.config(globals, script: script), Self.host(files: files))
            let problems = report.problems.filter { $0.code == .scriptDropped }
            #expect(problems.count == 1, "\(script): \(problems.map(\.message))")
            return problems.first.flatMap { $0.message.components(separatedBy: "changes nothing; ").last }
        }
        let plain = FileStatus(kind: .regular, uid: 0, gid: 0, mode: 0o644)
        #expect(try remedy("enable_script_security", script: "/usr/bin/check", files: ["/usr/bin/check": Self.tool])
                == "create the user keepalived_script, or set script_user (global_defs) or user (vrrp_script) to one that exists")
        #expect(try remedy("", script: "/usr/bin/check", files: ["/usr/bin/check": plain]) == "chmod +x the script (for the user it runs as)")
        let open = ["/opt": Self.root, "/opt/drop": FileStatus(kind: .directory, uid: 0, gid: 0, mode: 0o777), "/opt/drop/check": Self.tool]
        #expect(try remedy("enable_script_security\nscript_user root", script: "/opt/drop/check", files: open)
                == "make the script and every directory above it owned by root and not writable by group or others")
        // A missing script whose path holds the words of another cause is still missing.
        #expect(try remedy("", script: "/opt/uid/gid/check", files: [:]) == "install the script at that path or correct the path")
    }

    @Test("a configuration judged once keeps its verdict: a snapshot read back is not judged again")
    func judgedOnce() throws {
        let (config, _) = Self.judged(try Self.config("enable_script_security"), Self.host(files: ["/usr/bin/check": Self.tool]))
        let passwd = "root:x:0:0::/root:/bin/sh\nkeepalived_script:x:600:600::/:/bin/false\n"
        let (again, _) = Self.judged(config, Self.host(passwd: passwd, files: ["/usr/bin/check": Self.tool]))
        #expect(again.vrrpScripts.first?.active == false)
        #expect(again.diagnostics.filter { $0.code == .scriptDropped }.count == 1)
    }
}
