import HAModel
import KeepalivedConfig
import Testing

/// keepalived 2.2.7's reading rules, each as observed with `keepalived -t` / `--dump-conf`
/// (the conformance suite re-checks them against the real binary).
@Suite("keepalived.conf reading rules")
struct ReaderRulesTests {
    static func parse(_ files: [String: String], main: String = "keepalived.conf", id: String = "lb1") throws -> KeepalivedConfiguration {
        try KeepalivedParser.parse(path: main, files: InMemoryConfigFiles(files), configID: id)
    }

    @Test("# and ! start a comment anywhere outside quotes, even inside a word")
    func comments() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_script chk { ! a comment
              script "/bin/echo a#b !c"   # trailing
            }
            vrrp_instance A#x {
              interface eth0
              virtual_router_id 10 ! bang comment
              virtual_ipaddress {
                10.1.1.2#comment
              }
            }
            """])
        // The comment swallows A's "{": keepalived says so and reads the block anyway.
        #expect(config.vrrpInstances.map(\.name) == ["A"])
        #expect(config.diagnostics.contains { $0.code == .missingBrace && $0.line == 4 })
        #expect(config.vrrpInstances.first?.virtualRouterID == 10)
        #expect(config.vrrpInstances.first?.virtualIpaddress.map(\.address.description) == ["10.1.1.2"])
        #expect(config.vrrpScripts.first?.script == "/bin/echo a#b !c")
    }

    @Test("braces open blocks on the same or the next line, and split a line into statements")
    func braces() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_instance Q
            {
              interface eth0
              virtual_router_id 10 priority 50
              priority 120 } vrrp_instance R { interface eth0
              virtual_router_id 11
              virtual_ipaddress { 10.0.0.1 }
            }
            """])
        #expect(config.vrrpInstances.map(\.name) == ["Q", "R"])
        // Extra words after a value are ignored, as keepalived does.
        #expect(config.vrrpInstances.map(\.priority) == [120, 100])
        #expect(config.vrrpInstances[1].virtualIpaddress.map(\.address.description) == ["10.0.0.1"])
        #expect(config.vrrpInstances[1].line == 5)
    }

    @Test("a trailing backslash does not continue an ordinary line")
    func backslashOutsideDefinitions() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_instance A {
              interface eth0
              virtual_router_id 10
              virtual_ipaddress {
                10.1.1.1/32 \\
                   dev eth1
              }
            }
            """])
        let vips = try #require(config.vrrpInstances.first?.virtualIpaddress)
        // keepalived keeps 10.1.1.1 on the instance's interface and rejects "dev" as an address.
        #expect(vips.map(\.address.description) == ["10.1.1.1"])
        #expect(vips.map(\.dev) == ["eth0"])
        #expect(config.diagnostics.contains { $0.code == .invalidAddress && $0.line == 6 })
    }

    @Test("$NAME definitions expand, multi-line ones too, and @ID / @^ID select lines by config id")
    func definitionsAndConditionals() throws {
        let text = """
            $PRI=150
            $IFACE=eth2
            $VS= \\
            vrrp_instance V${N} { \\
              interface $IFACE \\
              virtual_router_id ${N} \\
              priority 9${N} \\
            }
            vrrp_instance A {
              interface $IFACE
              virtual_router_id 10
              priority $PRI
              @lb1 advert_int 3
              @^lb1 advert_int 4
            }
            $N=1
            $VS
            $N=2
            $VS
            """
        let lb1 = try Self.parse(["keepalived.conf": text], id: "lb1")
        #expect(lb1.vrrpInstances.map(\.name) == ["A", "V1", "V2"])
        #expect(lb1.vrrpInstances.map(\.priority) == [150, 91, 92])
        #expect(lb1.vrrpInstances.map(\.interface) == ["eth2", "eth2", "eth2"])
        #expect(lb1.vrrpInstances.first?.advertInt == 3)
        #expect(lb1.vrrpInstances.last?.line == 19)
        let other = try Self.parse(["keepalived.conf": text], id: "lb2")
        #expect(other.vrrpInstances.first?.advertInt == 4)
    }

    /// keepalived 2.2.7 (-t exits 2): an undefined `${PRIO}` stays as written and its braces
    /// split the line (`priority $`, an ignored '{', unknown keyword PRIO, a '}' that closes the
    /// instance), so the instance's `track_file {` lands at the top level without its name.
    /// Found by the adversarial differential, seed 9999 case 18.
    @Test("an undefined ${NAME} is left as written and its braces split the line; a nameless top-level track_file stops keepalived")
    func undefinedBracedDefinition() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 18
                priority ${PRIO}
                track_file {
                    tf weight 2
                }
                virtual_ipaddress {
                    10.253.1.18
                }
            }
            """])
        #expect(config.vrrpInstances.first?.virtualIpaddress.isEmpty == true)
        #expect(config.diagnostics.filter { $0.code == .unknownKeyword }.map(\.line).contains(4))
        #expect(config.diagnostics.filter { $0.code == .missingParameter }.map(\.line) == [5])
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")])
        #expect(!report.keepalivedWouldStart)
    }

    /// keepalived 2.2.7 logs "Error setting global script uid/gid" for each script_user naming
    /// no user and still starts (-t exits 5, not 2; the conformance suite runs it): what stopped
    /// it at seed 9999 case 87 was the nameless track_file an undefined `${PRIO}` left behind.
    @Test("script_user lines naming missing users do not stop keepalived; the early-closed instance's track_file does")
    func missingScriptUsersAreNotFatal() throws {
        func starts(_ tail: String) throws -> Bool {
            let config = try Self.parse(["keepalived.conf": """
                global_defs {
                    enable_script_security
                    script_user ghost
                    @lb1 script_user probe
                }
                vrrp_instance VI_1 {
                    interface eth0
                    virtual_router_id 87
                    priority \(tail)
                    virtual_ipaddress {
                        10.253.1.87
                    }
                }
                """])
            return KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")]).keepalivedWouldStart
        }
        #expect(try starts("150"))
        #expect(try !starts("${PRIO}\n    track_file {\n        tf weight 2\n    }"))
    }

    @Test("~SEQ repeats a line with its variable counting")
    func sequence() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_instance A {
              interface eth0
              virtual_router_id 10
              virtual_ipaddress {
                ~SEQ(N, 1, 3) 10.0.${N}.1
              }
            }
            """])
        #expect(config.vrrpInstances.first?.virtualIpaddress.map(\.address.description) == ["10.0.1.1", "10.0.2.1", "10.0.3.1"])
    }

    @Test("includes are relative to the including file, glob, and carry their own file:line")
    func includes() throws {
        let config = try Self.parse([
            "/etc/keepalived/keepalived.conf": "include conf.d/*.conf\ninclude missing.conf\n",
            "/etc/keepalived/conf.d/a.conf": "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\ninclude ../extra/b.conf\n",
            "/etc/keepalived/extra/b.conf": "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n}\n",
            "/etc/keepalived/conf.d/c.conf": "vrrp_instance C { interface eth0\n virtual_router_id 3\n}\n",
            "/b.conf": "vrrp_instance WRONG {\n}\n",
        ], main: "/etc/keepalived/keepalived.conf")
        #expect(config.vrrpInstances.map(\.name) == ["A", "B", "C"])
        #expect(config.vrrpInstances.map(\.file) == ["/etc/keepalived/conf.d/a.conf", "/etc/keepalived/extra/b.conf", "/etc/keepalived/conf.d/c.conf"])
        #expect(config.vrrpInstances[1].line == 1)
        let missing = try #require(config.diagnostics.first { $0.code == .includeMissing })
        #expect(missing.file == "/etc/keepalived/keepalived.conf")
        #expect(missing.line == 2)
    }

    /// keepalived 2.2.7 (parser.c include_t, seen in the adversarial differential at seed 7777):
    /// `includew` makes a pattern that matches nothing a configuration error it does not start
    /// with, `includem` a missing name, `includer` and `include` neither.
    @Test("includew/includem/includea that match nothing stop keepalived; include and includer only skip",
          arguments: [("include conf.d/none*.conf", false), ("includer conf.d/none*.conf", false), ("includem conf.d/none*.conf", false),
                      ("includew conf.d/none*.conf", true), ("includea conf.d/none*.conf", true), ("includem none.conf", true),
                      ("includer none.conf", false), ("includeb conf.d/{x,y}.conf", true), ("includew conf.d/*.conf", false)])
    func strictIncludes(_ line: String, _ stops: Bool) throws {
        let config = try Self.parse([
            "/k/keepalived.conf": "\(line)\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n",
            "/k/conf.d/a.conf": "! nothing\n",
        ], main: "/k/keepalived.conf")
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")])
        #expect(report.keepalivedWouldStart == !stops, "\(config.diagnostics.map(\.message))")
    }

    /// keepalived 2.2.7 (checked with -t and its dump): "Unexpected '{' - ignoring", then
    /// `priority 1` applies to A and the '}' closes A, leaving A without its VRID.
    @Test("an unknown keyword's '{' opens no block: what follows belongs to the enclosing block and its '}' closes that block")
    func unknownKeywords() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_instance A {
              interface eth0
              bogus_kw 1
              bogus_block {
                priority 1
              }
              virtual_router_id 10
            }
            """])
        #expect(config.vrrpInstances.first?.priority == 1)
        #expect(config.vrrpInstances.first?.virtualRouterID == nil)
        #expect(config.diagnostics.filter { $0.code == .unknownKeyword }.map(\.line) == [3, 4, 7])
        #expect(config.diagnostics.filter { $0.code == .unexpectedBrace }.map(\.line) == [4])
        #expect(config.diagnostics.contains { $0.code == .missingVRID })
    }

    @Test("track entries: instance weight overrides the script's; an unknown option drops the entry")
    func trackEntries() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_script chk { script /bin/true
              weight 10 reverse
            }
            vrrp_instance A {
              interface eth0
              virtual_router_id 10
              track_script {
                chk weight -30
                chk chk2
              }
              track_interface {
                eth1 weight -20
                eth2
              }
            }
            """])
        let instance = try #require(config.vrrpInstances.first)
        #expect(instance.trackScript.map(\.weight) == [-30])
        #expect(instance.trackInterface.map(\.weight) == [-20, nil])
        #expect(config.vrrpScripts.first?.reverse == true)
        #expect(config.diagnostics.contains { $0.code == .invalidValue && $0.line == 9 })
    }

    /// keepalived 2.2.7's alloc_track_script / alloc_track_if / vrrp_alloc_track_file, checked
    /// against its dump: only `weight N [reverse|noreverse]` may follow a name.
    @Test("track entries as keepalived 2.2.7 reads them: 'NAME reverse' is dropped, a bad weight keeps the entry, duplicates and +/-254")
    func trackEntryRules() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_script chk { script /bin/true
              weight 10 reverse
            }
            vrrp_script other { script /bin/true
            }
            vrrp_instance A {
              interface eth0
              virtual_router_id 10
              track_script {
                chk reverse
                other weight
                chk weight 400 noreverse
                chk weight -30
              }
              track_interface {
                eth1 weight 254 noreverse
                eth2 weight -5 reverse extra
              }
              track_file {
                f1 weight 5 sideways
              }
            }
            """])
        let instance = try #require(config.vrrpInstances.first)
        #expect(instance.trackScript.map(\.name) == ["chk"])
        #expect(instance.trackScript.first?.weight == nil && instance.trackScript.first?.reverse == false)
        #expect(instance.trackInterface.map(\.weight) == [253, -5])
        #expect(instance.trackInterface.map(\.reverse) == [nil, true])
        #expect(instance.trackFile.isEmpty)
        let terms = PriorityCalculator.terms(of: instance, in: config).filter { $0.kind == .trackScript }
        #expect(terms.map { "\($0.name) \($0.weight) \($0.reverse)" } == ["chk 10 false"])
    }

    /// keepalived 2.2.7 (vrrp_data.c alloc_vrrp_vip, checked with its dump): "address family
    /// must match VRRP instance - ignoring".
    @Test("an IPv4 unicast_peer fixes the instance's family: its IPv6 VIP is ignored, as keepalived ignores it")
    func familyFixedByFirstAddress() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_instance A {
              interface eth0
              virtual_router_id 10
              unicast_peer {
                10.253.1.41
              }
              virtual_ipaddress {
                2001:db8::108
              }
            }
            vrrp_instance B {
              interface eth0
              virtual_router_id 11
              virtual_ipaddress {
                fe80::5/64
                10.253.1.9
              }
            }
            """])
        #expect(config.vrrpInstances.map { $0.virtualIpaddress.map(\.address.description) } == [[], ["fe80::5"]])
        #expect(config.vrrpInstances.map(\.family) == [.inet, .inet6])
        #expect(config.diagnostics.filter { $0.code == .invalidAddress }.map(\.line) == [8, 16])
    }

    @Test("effective priority: positive weight while OK, negative while failing, reverse, weight 0 faults, clamp")
    func arithmetic() throws {
        let config = try Self.parse(["keepalived.conf": """
            vrrp_script up { script /bin/true
              weight 20
            }
            vrrp_script down { script /bin/true
              weight -50
            }
            vrrp_script rev { script /bin/true
              weight 10 reverse
            }
            vrrp_script zero { script /bin/true
            }
            vrrp_instance A {
              interface eth0
              virtual_router_id 10
              priority 250
              track_script {
                up
                down
                rev
                zero
              }
            }
            """])
        let instance = try #require(config.vrrpInstances.first)
        let terms = PriorityCalculator.terms(of: instance, in: config)
        let ok = PriorityCalculator.compute(instance, terms: terms)
        #expect(ok.arithmetic == "250 + 20 - 10 = 260, clamped to 254")
        #expect(ok.value == 254)
        let downFails = PriorityCalculator.compute(instance, terms: terms, failing: ["track_script down"])
        #expect(downFails.value == 210)
        let revFails = PriorityCalculator.compute(instance, terms: terms, failing: ["track_script rev"])
        #expect(revFails.value == 254)
        let zeroFails = PriorityCalculator.compute(instance, terms: terms, failing: ["track_script zero"])
        #expect(zeroFails.fault)
        #expect(zeroFails.value == nil)
    }

    @Test("keepalived's -f and -i are found in its argument vector however they are spelled")
    func commandLine() {
        #expect(KeepalivedCommandLine(arguments: ["keepalived", "-f", "/a.conf"]) == KeepalivedCommandLine(useFile: "/a.conf"))
        #expect(KeepalivedCommandLine(arguments: ["keepalived", "-nlf/b.conf", "-i", "lb2"]) == KeepalivedCommandLine(useFile: "/b.conf", configID: "lb2"))
        #expect(KeepalivedCommandLine(arguments: ["keepalived", "--use-file=/c.conf", "--config-id=x"]) == KeepalivedCommandLine(useFile: "/c.conf", configID: "x"))
        #expect(KeepalivedCommandLine(arguments: ["keepalived", "--dont-fork", "--use-file", "/d.conf"]).useFile == "/d.conf")
        #expect(KeepalivedCommandLine(arguments: ["keepalived", "-D"]) == KeepalivedCommandLine())
        #expect(KeepalivedCommandLine.defaultConfigID(nodeName: "prod-haproxy-000.panda.com") == "prod-haproxy-000")
    }
}
