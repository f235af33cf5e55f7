import HAModel
import HAProxyConfig
import JSONEncoding
import Testing

/// The haproxy.cfg reader's rules, each checked on a small configuration in memory.
@Suite("haproxy.cfg reader")
struct ReaderTests {
    static func parse(_ text: String, environment: [String: String] = [:], version: String? = "2.6.12",
                      features: [String]? = ["+OPENSSL", "-QUIC"]) throws -> HAProxyConfiguration {
        try HAProxyParser.parse(bytes: Array(text.utf8), file: "/etc/haproxy/haproxy.cfg",
                                build: HAProxyBuild(environment: environment, version: version, features: features))
    }

    static func error(_ text: String, environment: [String: String] = [:]) -> HAError? {
        do {
            _ = try parse(text, environment: environment)
            return nil
        } catch let error as HAError {
            return error
        } catch {
            return HAError(.software, "\(error)")
        }
    }

    @Test("passwords in stats auth and userlists never reach JSON (snapshots travel over ssh and into files)")
    func noSecretsInJSON() throws {
        let config = try Self.parse("""
            userlist admins
                user bob insecure-password hunter2-clear
            listen stats
                bind 127.0.0.1:8404
                mode http
                stats enable
                stats auth admin:s3cret-stats

            """)
        #expect(config.sections.contains { section in section.lines.contains { $0.words.contains("admin:s3cret-stats") } },
                "the reader keeps the line for the checks it makes")
        let json = try OrderedJSONEncoder().encode(config)
        #expect(!json.contains("s3cret-stats") && !json.contains("hunter2-clear"))
        #expect(json.contains("127.0.0.1"))
    }

    @Test("the seed's frontend on *:3306 leads to db-cluster with its three servers, each with its line")
    func seedStory() throws {
        let text = """
            global
                maxconn 256
            defaults
                mode tcp
            frontend prod-db-internal
                bind *:3306
                default_backend db-cluster
            backend db-cluster
                server db-000 192.168.3.21:3306
                server db-001 192.168.3.22:3306 check
                server db-002 192.168.3.23:3306

            """
        let config = try Self.parse(text)
        let frontend = try #require(config.frontends.first)
        #expect(frontend.name == "prod-db-internal")
        #expect(frontend.line == 5)
        #expect(frontend.mode == "tcp")
        let bind = try #require(frontend.binds.first)
        #expect(bind.line == 6)
        #expect(bind.addresses.map(\.wildcard) == [true])
        #expect(bind.addresses.first?.family == .inet)
        #expect(bind.addresses.first?.portLow == 3306)
        #expect(frontend.defaultBackend?.backend == "db-cluster")
        #expect(frontend.defaultBackend?.line == 7)
        let backend = try #require(config.backend(named: "db-cluster"))
        #expect(backend.servers.map(\.name) == ["db-000", "db-001", "db-002"])
        #expect(backend.servers.map(\.line) == [9, 10, 11])
        #expect(backend.servers[1].address == IPAddress("192.168.3.22"))
        #expect(backend.servers[1].port == "3306")
        #expect(backend.servers[1].options == ["check"])
        #expect(config.sections.map(\.line) == [1, 3, 5, 8])
    }

    @Test("bind lists, ranges, prefixes, IPv6 forms and options")
    func binds() throws {
        let text = """
            frontend f
                bind 192.168.3.200:5432,10.0.0.1:80-82 transparent
                bind ipv4@:8080 transparent
                bind :::443 v4v6 ssl crt /etc/haproxy/site.pem
                bind [2001:db8::1]:80
                bind ipv6@2001:db8::2:81
                bind unix@/run/haproxy/admin.sock mode 600 level admin
                bind 127.0.0.1:9000 name transparent
                bind tcp6@[::1]:53
                bind "192.168.3.200:1000" namespace other

            """
        let binds = try Self.parse(text).frontends[0].binds
        #expect(binds.count == 9)
        #expect(binds[0].addresses.map(\.text) == ["192.168.3.200:5432", "10.0.0.1:80-82"])
        #expect(binds[0].addresses[1].portLow == 80 && binds[0].addresses[1].portHigh == 82)
        #expect(binds[0].transparent && !binds[0].freebind)
        #expect(binds[1].addresses[0].family == .inet && binds[1].addresses[0].wildcard && binds[1].transparent)
        #expect(binds[2].addresses[0].family == .inet6 && binds[2].addresses[0].wildcard)
        #expect(binds[2].options == ["v4v6", "ssl", "crt", "/etc/haproxy/site.pem"])
        #expect(binds[3].addresses[0].address == IPAddress("2001:db8::1"))
        #expect(binds[4].addresses[0].address == IPAddress("2001:db8::2") && binds[4].addresses[0].portLow == 81)
        #expect(binds[5].addresses[0].family == .unix && binds[5].addresses[0].path == "/run/haproxy/admin.sock")
        // "transparent" here is the value of `name`, not the option.
        #expect(!binds[6].transparent)
        #expect(binds[7].addresses[0].family == .inet6 && binds[7].addresses[0].transport == "stream")
        #expect(binds[8].namespace == "other")
        // inet_aton's old forms resolve, so haproxy binds them: 1.2.3 is 1.2.0.3.
        let legacy = try Self.parse("frontend f\n    bind 1.2.3:80,0x7f.1:81,010.0.0.1:82\n").frontends[0].binds[0].addresses.map(\.address)
        #expect(legacy == [IPAddress("1.2.0.3"), IPAddress("127.0.0.1"), IPAddress("8.0.0.1")])
        #expect(binds[0].addresses[0].accepts(IPAddress("192.168.3.200")!, port: 5432, dualStack: true))
        #expect(!binds[0].addresses[0].accepts(IPAddress("192.168.3.200")!, port: 5433, dualStack: true))
        #expect(binds[2].addresses[0].accepts(IPAddress("192.168.3.200")!, port: 443, dualStack: binds[2].dualStack(bindv6only: 1)))
    }

    @Test("bad bind addresses are refused with the line, as haproxy refuses them")
    func badBinds() {
        let cases = ["bind 10.0.0.1", "bind 10.0.0.1:0", "bind 10.0.0.1:70000", "bind 10.0.0.1:90-80", "bind 10.0.0.1:x8",
                     "bind 10.0.0.1:+1", "bind a,,b:80", "bind udp@127.0.0.1:53", "bind quic4@:443", "bind :80 freebind", "bind :80 crt", "bind", "bind ipv4@:::80"]
        for line in cases {
            let error = Self.error("frontend f\n    \(line)\n")
            #expect(error?.line == 2, "\(line)")
            #expect(error?.kind == .dataError, "\(line)")
        }
    }

    @Test("quotes, escapes, comments and environment expansion follow parse_line")
    func quoting() throws {
        let text = ##"""
            frontend f
                bind "${VIP}:5432" # the VIP
                bind "$VIP:5433"
                bind '${VIP}:5434'
                bind "${MISSING-127.0.0.9}:5435"
                bind "${LIST[*]}"
                bind ${VIP}:5436
                description a\ b\#c "d e" 'f g' \x41 \q
                default_backend b
            backend b

            """##
        let config = try Self.parse(text, environment: ["VIP": "192.168.3.200", "LIST": "1.1.1.1:1  v4v6"])
        let binds = config.frontends[0].binds
        #expect(binds[0].addresses[0].address == IPAddress("192.168.3.200"))
        #expect(binds[1].addresses[0].portLow == 5433)
        // Single quotes keep "${VIP}" literally; the address parser then expands it (env_expand).
        #expect(binds[2].addresses[0].address == IPAddress("192.168.3.200"))
        #expect(binds[3].addresses[0].address == IPAddress("127.0.0.9"))
        // ${LIST[*]} splits into words: the second becomes an option word.
        #expect(binds[4].addresses[0].text == "1.1.1.1:1" && binds[4].options == ["v4v6"])
        #expect(binds[5].addresses[0].address == IPAddress("192.168.3.200"))
        let description = config.frontends[0].lines.first { $0.words.first == "description" }
        #expect(description?.words == ["description", "a b#c", "d e", "f g", "A", "\\q"])
    }

    @Test("quoting errors carry the line: unmatched quote, bad \\x, bad variable name, unmatched brace")
    func quotingErrors() {
        for line in [#"bind "1.2.3.4:80"#, "bind '1.2.3.4:80", #"bind \x4"#, #"bind "$1"#, #"bind "${VIP""#, #"bind "${VIP[x]}""#] {
            let error = Self.error("frontend f\n    \(line)\n")
            #expect(error?.line == 2, "\(line)")
        }
    }

    @Test(".if/.elif/.else/.endif with defined, feature, version_atleast, streq, nesting and skipped blocks")
    func conditions() throws {
        let text = """
            .if defined(ON)
            frontend on
                bind :1
            .elif feature(OPENSSL)
            frontend openssl
                bind :2
            .else
            frontend neither
                bind :3
            .endif
            .if !version_atleast(2.7) && (streq(a,a) || 0)
            frontend old
                bind :4
            .if 0x10
            frontend nested
                bind :5
            .endif
            .endif
            .if feature(QUIC)
            .if this would be a parse error but is never read
            .endif
            .endif
            .diag "diag message"
            .notice note
            .warning 'look out'

            """
        let config = try Self.parse(text)
        #expect(config.frontends.compactMap(\.name) == ["openssl", "old", "nested"])
        // The directives' messages; the frontends here set no timeouts, which haproxy warns about too.
        let directives = config.messages.filter { $0.code != .missingTimeouts }
        #expect(directives.map(\.level) == ["diag", "notice", "warning"])
        #expect(directives.map(\.line) == [23, 24, 25])
        #expect(config.messages.filter { $0.code == .missingTimeouts }.count == 3)
        #expect(try Self.parse(text, environment: ["ON": ""]).frontends.first?.name == "on")
        let unknown = try Self.parse(text, version: nil, features: nil)
        #expect(unknown.frontends.compactMap(\.name) == ["neither", "old", "nested"])
        #expect(unknown.messages.filter { $0.level == "note" }.count == 3)
    }

    @Test("conditional errors: lone .endif, .elif after .else, unterminated .if, bad expression, .alert")
    func conditionErrors() {
        #expect(Self.error(".endif\n")?.line == 1)
        #expect(Self.error(".if 1\n.else\n.elif 1\n.endif\n")?.line == 3)
        #expect(Self.error("global\n.if 1\n    maxconn 1\n")?.line == 3)
        #expect(Self.error(".if defined(A\n.endif\n")?.line == 1)
        #expect(Self.error(".if nonsense(A)\n.endif\n")?.line == 1)
        #expect(Self.error(".if 1 1\n.endif\n")?.line == 1)
        #expect(Self.error(".if defined(A,B)\n.endif\n")?.line == 1)
        #expect(Self.error(".if 1\n.alert \"stop here\"\n.endif\n")?.message.contains("stop here") == true)
        #expect(Self.error(".warning two words\n")?.line == 1)
        #expect(Self.error(".bogus\n")?.line == 1)
        #expect(Self.error(".else extra\n")?.line == 1)
    }

    @Test("nasty input is an error with file and line, never a crash")
    func nasty() {
        #expect(Self.error("global\n  maxconn 1\0\n")?.line == 2)
        #expect(Self.error("global\n  maxconn 1")?.line == 2)
        #expect(Self.error("\u{7f}ELF\u{2}\u{1}\n")?.line == 1)
        let huge = "global\n    description " + String(decoding: [UInt8](repeating: 0x78, count: 3_000_000), as: UTF8.self) + "\n"
        #expect(Self.error(huge) == nil)
        let many = "global\n    " + Array(repeating: "w", count: 70).joined(separator: " ") + "\n"
        #expect(Self.error(many)?.line == 2)
        #expect(Self.error(Array(repeating: ".if 1\n", count: 120).joined())?.message.contains("nested") == true)
        #expect(Self.error("maxconn 1\n")?.message.contains("out of section") == true)
        #expect(Self.error("frontend\n")?.line == 1)
        #expect(Self.error("frontend a/b\n")?.line == 1)
        #expect(Self.error("listen l 10.0.0.1:80\n    bind :80\n")?.line == 2)
        #expect(Self.error("frontend f\n    default_backend nowhere\n")?.line == 2)
        #expect(Self.error("frontend f\nfrontend f\n")?.line == 2)
        #expect(Self.error("backend b\n    server s\n")?.line == 2)
        #expect(Self.error("backend b\n    server s 10.0.0.1:80-81\n")?.line == 2)
        #expect(Self.error("defaults\n    bind :80\n")?.line == 2)
        #expect(Self.error("defaults\n    mode udp\n")?.line == 2)
        #expect(Self.error("global\n    no maxconn\n")?.line == 2)
    }

    @Test("defaults pass mode and default_backend on; `from` picks a named defaults; global setenv applies below")
    func defaults() throws {
        let text = """
            global
                setenv PORT 8443
            defaults web
                mode http
                default_backend app
            defaults
                mode tcp
            frontend a
                bind "127.0.0.1:${PORT}"
            frontend b from web
                bind :80
            backend app
                # haproxy -c refuses an http frontend whose default backend is tcp (the last defaults' mode).
                mode http
                server s1 10.0.0.1
                server s2 [2001:db8::5]:+1

            """
        let config = try Self.parse(text)
        #expect(config.frontends.map { $0.mode ?? "-" } == ["tcp", "http"])
        #expect(config.frontends[0].defaultBackend == nil)
        #expect(config.frontends[1].defaultBackend?.backend == "app")
        #expect(config.frontends[0].binds[0].addresses[0].portLow == 8443)
        #expect(config.backends[0].servers[0].port == nil)
        #expect(config.backends[0].servers[1].address == IPAddress("2001:db8::5"))
        #expect(config.backends[0].servers[1].port == "+1")
    }

    @Test("-f DIRECTORY reads only *.cfg regular files not starting with '.', bytewise sorted")
    func directories() throws {
        let files = InMemoryHAProxyFiles([
            "/etc/haproxy/conf.d/20-b.cfg": "backend b\n",
            "/etc/haproxy/conf.d/10-a.cfg": "frontend a\n    bind :80\n    default_backend b\n",
            "/etc/haproxy/conf.d/B.cfg": "backend B\n",
            "/etc/haproxy/conf.d/.hidden.cfg": "garbage\n",
            "/etc/haproxy/conf.d/notes.txt": "garbage\n",
            "/etc/haproxy/conf.d/x.cfg.cfg": "garbage\n",
            "/etc/haproxy/conf.d/x.cfg.bak": "garbage\n",
            "/etc/haproxy/conf.d/sub/inner.cfg": "garbage\n",
            "/etc/haproxy/main.cfg": "global\n",
        ])
        let config = try HAProxyParser.parse(paths: ["/etc/haproxy/main.cfg", "/etc/haproxy/conf.d"], files: files)
        #expect(config.files == ["/etc/haproxy/main.cfg", "/etc/haproxy/conf.d/10-a.cfg", "/etc/haproxy/conf.d/20-b.cfg", "/etc/haproxy/conf.d/B.cfg"])
        #expect(config.frontends[0].file == "/etc/haproxy/conf.d/10-a.cfg")
        // Every file starts outside any section.
        let split = InMemoryHAProxyFiles(["/a.cfg": "global\n", "/b.cfg": "    maxconn 5\n"])
        #expect(throws: HAError.self) { try HAProxyParser.parse(paths: ["/a.cfg", "/b.cfg"], files: split) }
        do {
            _ = try HAProxyParser.parse(paths: ["/missing.cfg"], files: split)
            Issue.record("a missing file must be an error")
        } catch {
            #expect(error.kind == .noInput)
            #expect(error.file == "/missing.cfg")
        }
    }

    @Test("version_atleast/version_before compare as haproxy's split_version does, tags and unparsable arguments included")
    func versions() throws {
        func check(_ condition: String, version: String = "2.6.12") throws -> Bool {
            let config = try Self.parse(".if \(condition)\nfrontend yes\n.endif\n", version: version)
            return !config.frontends.isEmpty
        }
        #expect(try check("version_atleast(2.6)"))
        #expect(try check("version_atleast(2.6.12)"))
        #expect(try !check("version_atleast(2.6.13)"))
        #expect(try check("version_before(2.10)"))
        #expect(try check("version_atleast(2.6.12-dev3)"))
        #expect(try check("version_before(2.6.12)", version: "2.6.12-dev3"))
        #expect(try check("version_atleast(2.6-rc1)", version: "2.6.0"))
        // haproxy takes an argument it cannot parse as "at least": compare_current_version gives -3.
        #expect(try check("version_atleast(two)"))
        #expect(try !check("version_before(two)"))
    }
}
