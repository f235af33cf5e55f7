import Foundation
import HAModel
import HAProxyConfig
import LabSupport
import LocalFiles
import Testing

/// The reader against the real haproxy (Debian's 2.6): `haproxy -c` must accept exactly the
/// configurations haexplain accepts, and a haproxy started on each one in a network namespace
/// must listen where haexplain says and report the frontends, backends and servers it names.
@Suite("haproxy.cfg reader against haproxy itself", .serialized)
struct ConformanceTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var text: String
        var environment: [String: String] = [:]
        var description: String { name }
    }

    /// A valid configuration with an `.alert` that is read only when `condition` holds.
    static func alertIf(_ name: String, _ condition: String) -> Case {
        Case(name: name, text: "frontend f\n    bind 127.0.0.1:1\n.if \(condition)\n.alert \"taken\"\n.endif\n")
    }

    static let timeouts = "defaults\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n"

    static let cases: [Case] = [
        Case(name: "seed", text: (try? String(contentsOf: HAExplainBinary.packageRoot.appendingPathComponent("demo/seed/haproxy.cfg"), encoding: .utf8)) ?? ""),
        Case(name: "vip-and-wildcards", text: timeouts + """
            frontend pg
                bind 192.168.3.200:5432,[2001:db8::1]:5432
                bind :::8443 v4v6
                bind ipv6@:::9000 v6only
                bind *:7000-7002
                bind ipv4@127.0.0.1:7100 transparent
                default_backend pg-nodes
            backend pg-nodes
                mode tcp
                server pg-a 192.168.3.21:5432 check
                server pg-b [2001:db8::21]:5432
            listen stats
                bind 127.0.0.1:8404
                mode http
                server local 127.0.0.1:8405

            """),
        Case(name: "environment", text: timeouts + """
            frontend env
                bind "${VIP}:5433"
                bind "${MISSING-127.0.0.3}:5434"
                bind ${VIP}:5435
                bind "${PAIR[*]}"
                use_backend "${BE}" if { dst_port 5433 }
                default_backend fallback
            backend app
                server a "${VIP}:1"
            backend fallback

            """, environment: ["VIP": "192.168.3.200", "BE": "app", "PAIR": "127.0.0.4:5436 v4v6"]),
        Case(name: "conditions", text: timeouts + """
            .if defined(ON) && version_atleast(2.4)
            frontend on
                bind 127.0.0.1:6001
            .elif feature(QUIC) || streq(a,b)
            frontend quic
                bind 127.0.0.1:6002
            .else
            frontend other
                bind 127.0.0.1:6003
            .if !feature(OPENSSL)
            .alert "never read"
            .endif
            .endif
            .if version_before(2.5)
            frontend old
                bind 127.0.0.1:6004
            .endif
            .notice "conditions read"

            """, environment: ["ON": "1"]),
        Case(name: "quoting", text: timeouts + #"""
            frontend 'q-1'   # a comment
                bind "127.0.0.1:60"\x30"1"
                bind 127.0.0.1:6011#comment
                description a\ b "c d" 'e\ f' \q
                default_backend "b"
            backend b
                server "s-1" 127.0.0.1:1

            """#),
        Case(name: "named-defaults", text: """
            defaults base
                mode http
                timeout client 5s
                timeout server 5s
                timeout connect 5s
            defaults
                mode tcp
                timeout client 5s
                timeout server 5s
                timeout connect 5s
            frontend a from base
                bind 127.0.0.1:6020
                default_backend same
            backend same from base
            frontend same
                bind 127.0.0.1:6021
                use_backend same

            """),
        Case(name: "legacy-ipv4", text: timeouts + "frontend f\n    bind 127.1:6060,0x7f.1.2:6061\n"),
        Case(name: "port-atoi", text: timeouts + "frontend f\n    bind 127.0.0.1:6030x\n"),
        Case(name: "setenv", text: "global\n    setenv LISTEN 127.0.0.1:6040\n" + timeouts + "frontend f\n    bind \"$LISTEN\"\n"),
        // haproxy's split_version decides; each .alert is read only when its condition holds.
        alertIf("version-unparsable", "version_atleast(two)"),
        alertIf("version-before-unparsable", "version_before(two)"),
        alertIf("version-dev", "version_before(2.6.12-dev3)"),
        alertIf("version-commit", "version_before(2.6.12-1)"),
        alertIf("version-newer", "version_atleast(2.6.13)"),
        alertIf("defined-bare", "defined"),
        alertIf("ssllib", "ssllib_name_startswith(Open)"),
        alertIf("openssl-older", "openssl_version_atleast(1.0)"),
        // Valid, but haproxy will not start without a listener (haproxy -c exits 2).
        Case(name: "backends-only", text: timeouts + "backend b\n    server s 127.0.0.1:1\n"),
        // What both must refuse.
        Case(name: "missing-lf", text: "global\n    maxconn 10"),
        Case(name: "nul", text: "global\n    maxconn 10\0\n"),
        Case(name: "unterminated-quote", text: "frontend f\n    bind \"127.0.0.1:80\n"),
        Case(name: "unterminated-if", text: ".if 1\nglobal\n"),
        Case(name: "lone-endif", text: "global\n.endif\n"),
        Case(name: "alert", text: ".alert \"stop\"\n"),
        Case(name: "bad-condition", text: ".if defined(A\n.endif\n"),
        Case(name: "warning-two-words", text: ".warning two words\n"),
        Case(name: "out-of-section", text: "maxconn 10\n"),
        Case(name: "missing-backend", text: timeouts + "frontend f\n    bind 127.0.0.1:80\n    default_backend nowhere\n"),
        // Found by the adversarial differential (seeds 1331 and 1530): cfgparse-listen.c refuses
        // a `from` naming two defaults sections, cfgparse.c an http proxy using a tcp backend.
        Case(name: "from-ambiguous-defaults", text: timeouts.replacingOccurrences(of: "defaults", with: "defaults base") + "defaults base\n    mode tcp\nbackend b from base\n"),
        Case(name: "http-frontend-tcp-backend", text: timeouts + "frontend f\n    mode http\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n    mode tcp\n"),
        Case(name: "description-empty", text: timeouts + "backend b\n    description \"\"\n"),
        Case(name: "check-without-port", text: timeouts + "backend b\n    server s 10.0.0.1 check\n"),
        Case(name: "check-port-from-default-server", text: timeouts + "backend b\n    default-server port 80\n    server s 10.0.0.1 check\n    server u /tmp/x.sock check\n"),
        Case(name: "check-from-default-server", text: timeouts + "backend b\n    default-server check\n    server s [::1]\n"),
        Case(name: "http-frontend-tcp-backend-use", text: timeouts + "frontend f\n    mode http\n    bind 127.0.0.1:80\n    use_backend b if TRUE\nbackend b\n    mode tcp\n"),
        Case(name: "duplicate-frontend", text: timeouts + "frontend f\n    bind :80\nlisten f\n    bind :81\n"),
        Case(name: "bind-in-defaults", text: "defaults\n    bind :80\n"),
        Case(name: "bind-no-port", text: "frontend f\n    bind 127.0.0.1\n"),
        Case(name: "bind-range-backwards", text: "frontend f\n    bind :90-80\n"),
        Case(name: "bind-freebind", text: "frontend f\n    bind 127.0.0.1:80 freebind\n"),
        Case(name: "bind-unknown-keyword", text: "frontend f\n    bind 127.0.0.1:80 ssl crt\n"),
        Case(name: "bind-ssl-no-crt", text: "frontend f\n    bind 127.0.0.1:80 ssl\n"),
        Case(name: "bind-udp", text: "frontend f\n    bind udp@127.0.0.1:53\n"),
        Case(name: "bind-bad-address", text: "frontend f\n    bind 300.1.1.1:80\n"),
        Case(name: "ipv4-wildcard-v6", text: "frontend f\n    bind ipv4@:::80\n"),
        Case(name: "server-bad-name", text: "backend b\n    server \"s 1\" 127.0.0.1:1\n"),
        Case(name: "server-bad-address", text: "backend b\n    server s 10.0.0.300:1\n"),
        Case(name: "server-range", text: "backend b\n    server s 127.0.0.1:80-81\n"),
        Case(name: "mode-health", text: "defaults\n    mode health\n"),
        Case(name: "no-maxconn", text: "global\n    no maxconn\n"),
        // haproxy only alerts on the header itself; the keyword line under it is the error.
        Case(name: "listen-old-syntax", text: "listen l 127.0.0.1:80\n"),
        Case(name: "listen-old-syntax-body", text: "frontend a\n    bind 127.0.0.1:81\nlisten l 127.0.0.1:80\n    bind 127.0.0.1:82\n"),
        Case(name: "bad-name", text: "frontend a/b\n"),
        Case(name: "bad-hex", text: "global\n    description \\x4\n"),
        Case(name: "bad-variable", text: "global\n    description \"$1\"\n"),
        Case(name: "binary", text: "\u{7f}ELF\u{2}\u{1}\u{1}\n"),
        Case(name: "removed-reqadd", text: timeouts + "frontend f\n    bind 127.0.0.1:80\n    mode http\n    reqadd X-A:\\ b\n"),
        Case(name: "removed-block", text: timeouts + "frontend f\n    bind 127.0.0.1:80\n    block if TRUE\n"),
        Case(name: "removed-redispatch", text: timeouts + "backend b\n    redispatch\n"),
        Case(name: "removed-option-forceclose", text: timeouts + "backend b\n    option forceclose\n"),
        Case(name: "removed-nbproc", text: "global\n    nbproc 2\n"),
        Case(name: "unknown-proxy-keyword", text: timeouts + "frontend f\n    bnid 127.0.0.1:80\n"),
        Case(name: "unknown-global-keyword", text: "global\n    deamon\n"),
        Case(name: "unknown-option", text: timeouts + "backend b\n    option httplgo\n"),
        Case(name: "duplicate-server", text: timeouts + "backend b\n    server s 127.0.0.1:1\n    server s 127.0.0.1:2\n"),
        Case(name: "duplicate-server-with-ids", text: timeouts + "frontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n    server s 127.0.0.1:1 id 1\n    server s 127.0.0.1:2 id 2\n"),
        Case(name: "duplicate-peers", text: "peers p\npeers p\n"),
        Case(name: "listen-after-backend", text: timeouts + "backend b\nlisten b\n    bind 127.0.0.1:80\n"),
        Case(name: "listen-loop", text: timeouts + "listen l\n    bind 127.0.0.1:80\n    default_backend l\n"),
        Case(name: "rules-in-anonymous-defaults", text: timeouts + "    http-request deny\nfrontend f\n    bind 127.0.0.1:80\n"),
        Case(name: "rules-in-named-defaults", text: "defaults d\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n    http-request deny\n    acl a src 127.0.0.1\nfrontend f\n    bind 127.0.0.1:80\n"),
        Case(name: "listen-from-rules-defaults", text: "defaults d\n    mode http\n    http-request deny\nlisten l\n    bind 127.0.0.1:80\n"),
        Case(name: "frontend-and-backend-from-rules-defaults", text: "defaults d\n    mode http\n    http-request deny\nfrontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n"),
        Case(name: "backend-from-tcp-connection-defaults", text: "defaults d\n    tcp-request connection accept\nbackend b\n"),
        Case(name: "frontends-from-rules-defaults", text: "defaults d\n    mode http\n    http-request deny\nfrontend f\n    bind 127.0.0.1:80\nfrontend g\n    bind 127.0.0.1:81\n"),
        Case(name: "duplicate-server-id", text: timeouts + "backend b\n    server a 127.0.0.1:1 id 3\n    server b 127.0.0.1:2 id 3\n"),
        Case(name: "server-in-frontend", text: timeouts + "frontend f\n    bind 127.0.0.1:80\n    server s 127.0.0.1:1\n"),
        Case(name: "tcp-connection-in-backend", text: timeouts + "backend b\n    tcp-request connection reject\n"),
        Case(name: "stick-without-table", text: timeouts + "backend b\n    stick on src\n    server s 127.0.0.1:1\n"),
        Case(name: "stick-with-table", text: timeouts + "frontend f\n    bind 127.0.0.1:80\n    default_backend b\nbackend b\n    stick-table type ip size 1k\n    stick on src\n    server s 127.0.0.1:1\n"),
        Case(name: "stick-table-twice", text: timeouts + "backend b\n    stick-table type ip size 1k\nfrontend b\n    bind 127.0.0.1:80\n    default_backend b\n    stick-table type ip size 1k\n"),
        Case(name: "stats-socket-cli", text: timeouts + "global\n    stats socket ipv4@127.0.0.1:9999 level admin\n"),
        Case(name: "too-many-words", text: "global\n    description " + Array(repeating: "w", count: 64).joined(separator: " ") + "\n"),
    ]

    static let haproxyBuild: HAProxyBuild = {
        var build = HAProxyBuild()
        if let output = try? Shell.run(["haproxy", "-vv"], timeout: 10) { build.read(versionOutput: output.stdout) }
        return build
    }()

    static let haproxyInstalled = FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy")

    /// A directory of this test's own (removed by the caller's defer).
    static func directory(_ name: String) throws -> String {
        let dir = "/tmp/hxhp-conformance-\(getpid())-\(name)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ item: Case, in dir: String) throws -> String {
        let path = "\(dir)/\(item.name).cfg"
        try Data(item.text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func environment(_ item: Case) -> [String: String] {
        item.environment.merging(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]) { a, _ in a }
    }

    @Test("haproxy -c and haexplain accept and refuse the same configurations, refusals at the same line",
          .enabled(if: haproxyInstalled, "needs Debian's haproxy"), arguments: cases)
    func acceptance(_ item: Case) throws {
        let dir = try Self.directory("accept-" + item.name)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(item, in: dir)
        let haproxy = try Shell.run(["haproxy", "-c", "-f", path], environment: Self.environment(item), timeout: 20)
        // Exit 2 is "no error but will not start (no listener)": the configuration is valid.
        let valid = haproxy.succeeded || (haproxy.status == 2 && (haproxy.stdout + haproxy.stderr).contains("has no error"))
        var build = Self.haproxyBuild
        build.environment = Self.environment(item)
        var ours: HAError?
        do {
            _ = try HAProxyParser.parse(paths: [path], files: LocalHAProxyFiles(), build: build)
        } catch {
            ours = error
        }
        #expect(valid == (ours == nil), "haproxy -c: \(haproxy.status) \(haproxy.stderr); haexplain: \(ours?.description ?? "accepted")")
        if let ours, !valid, let line = ours.line {
            // haproxy names the line in one of its alerts ("[file:N]"), unless the error is global.
            let alerts = haproxy.stderr.split(separator: "\n").filter { $0.contains("ALERT") && $0.contains("\(item.name).cfg:") }
            if !alerts.isEmpty {
                // "[file:N]" for a line being parsed, "(file:N)" for a proxy checked after reading.
                #expect(alerts.contains { $0.contains("\(item.name).cfg:\(line)]") || $0.contains("\(item.name).cfg:\(line))") }, "haexplain: \(ours); haproxy: \(alerts)")
            }
        }
    }

    /// "addr:port" the way `ss` prints local addresses, with IPv6 wildcards as "[::]".
    static func expectedSockets(_ config: HAProxyConfiguration) -> Set<String> {
        var sockets = Set<String>()
        for frontend in config.frontends {
            for bind in frontend.binds {
                for address in bind.addresses {
                    guard let low = address.portLow, let high = address.portHigh else { continue }
                    let host: String
                    switch (address.family, address.address) {
                    case (.inet, let ip?): host = ip.description
                    case (.inet, nil): host = "0.0.0.0"
                    case (.inet6, let ip?): host = "[\(ip)]"
                    case (.inet6, nil): host = "[::]"
                    default: continue
                    }
                    for port in low...high { sockets.insert("\(host):\(port)") }
                }
            }
        }
        return sockets
    }

    @Test("a real haproxy listens exactly where haexplain's binds say, and names the same proxies and servers",
          .enabled(if: Privilege.canUseNamespaces && haproxyInstalled, Comment(rawValue: Privilege.namespaceSkipReason)),
          arguments: cases.filter { ["seed", "vip-and-wildcards", "environment", "conditions", "quoting", "named-defaults", "setenv", "legacy-ipv4"].contains($0.name) })
    func listening(_ item: Case) throws {
        let dir = try Self.directory("listen-" + item.name)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = try Self.write(item, in: dir)
        var build = Self.haproxyBuild
        build.environment = Self.environment(item)
        let config = try HAProxyParser.parse(paths: [path], files: LocalHAProxyFiles(), build: build)

        let lab = NetnsLab(prefix: "hxhp-cf")
        defer { lab.teardown() }
        let ns = try lab.namespace(String(item.name.prefix(8)))
        let local = Set(config.frontends.flatMap { $0.binds.flatMap(\.addresses) }.compactMap(\.address))
        for ip in local.sorted() where !ip.description.hasPrefix("127.") {
            if ip.family == .inet {
                try lab.ip(ns, "addr", "add", "\(ip)/32", "dev", "lo")
            } else {
                try lab.ip(ns, "addr", "add", "\(ip)/128", "dev", "lo", "nodad")
            }
        }
        let socket = "\(dir)/\(item.name).stats"
        try Data("global\n    stats socket \(socket)\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/\(item.name)-stats.cfg"))
        let environment = Self.environment(item).map { "\($0.key)=\($0.value)" }.sorted()
        try lab.spawn(ns, ["env"] + environment + ["haproxy", "-db", "-f", path, "-f", "\(dir)/\(item.name)-stats.cfg"], ownPIDNamespace: false,
                      output: URL(fileURLWithPath: "\(dir)/\(item.name).log"))
        var stat = ""
        // Up to 30 s: the other labs running in parallel can slow haproxy's start a lot.
        for _ in 0..<600 {
            let answer = try Shell.run(["nc", "-U", "-N", socket], stdin: "show stat\n", timeout: 5)
            if answer.succeeded, answer.stdout.contains("pxname") { stat = answer.stdout; break }
            usleep(50_000)
        }
        try #require(!stat.isEmpty, "haproxy did not come up: \((try? String(contentsOfFile: "\(dir)/\(item.name).log", encoding: .utf8)) ?? "")")

        let ss = try lab.exec(ns, ["ss", "-H", "-ltn"])
        let listening = Set(ss.stdout.split(separator: "\n").compactMap { line -> String? in
            let columns = line.split(separator: " ", omittingEmptySubsequences: true)
            guard columns.count >= 4 else { return nil }
            let local = String(columns[3])
            return local.hasPrefix("*:") ? "[::]" + local.dropFirst() : local
        })
        #expect(listening == Self.expectedSockets(config))

        var frontends = Set<String>(), backends = Set<String>(), servers = Set<String>()
        for row in stat.split(separator: "\n") where !row.hasPrefix("#") {
            let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 2 else { continue }
            switch fields[1] {
            case "FRONTEND": frontends.insert(fields[0])
            case "BACKEND": backends.insert(fields[0])
            default: servers.insert("\(fields[0])/\(fields[1])")
            }
        }
        #expect(frontends == Set(config.frontends.compactMap(\.name)))
        #expect(backends == Set(config.backends.compactMap(\.name)))
        #expect(servers == Set(config.backends.flatMap { backend in backend.servers.map { "\(backend.name ?? "")/\($0.name)" } }))
    }

    @Test("-f with a directory: haproxy and haexplain read the same files in the same order",
          .enabled(if: haproxyInstalled, "needs Debian's haproxy"))
    func directoryOrder() throws {
        let root = try Self.directory("order")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/conf.d"
        try FileManager.default.createDirectory(atPath: dir + "/sub.cfg", withIntermediateDirectories: true)
        // Each file refers to a backend the next defines only if read in bytewise order; a
        // file haproxy skips would break the configuration.
        let files = [
            "10-first.cfg": Self.timeouts + "frontend a\n    bind 127.0.0.1:6050\n",
            "B-upper.cfg": "backend upper\n",
            "a-lower.cfg": "frontend b\n    bind 127.0.0.1:6051\n    default_backend upper\n",
            ".hidden.cfg": "garbage\n",
            "x.cfg.cfg": "garbage\n",
            "notes.txt": "garbage\n",
            "sub.cfg/inner.cfg": "garbage\n",
        ]
        for (name, text) in files { try Data(text.utf8).write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
        let haproxy = try Shell.run(["haproxy", "-c", "-f", dir], timeout: 20)
        #expect(haproxy.succeeded, "\(haproxy.stderr)")
        let config = try HAProxyParser.parse(paths: [dir], files: LocalHAProxyFiles(), build: Self.haproxyBuild)
        #expect(config.files.map { String($0.split(separator: "/").last!) } == ["10-first.cfg", "B-upper.cfg", "a-lower.cfg"])
        // Lexical order matters: "a-lower" before "B-upper" would leave `upper` undefined for haproxy too.
        try Data("frontend c\n    bind 127.0.0.1:6052\n    default_backend late\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/0-early.cfg"))
        try Data("backend late\n".utf8).write(to: URL(fileURLWithPath: "\(dir)/z-late.cfg"))
        let both = try Shell.run(["haproxy", "-c", "-f", dir], timeout: 20)
        #expect(both.succeeded == ((try? HAProxyParser.parse(paths: [dir], files: LocalHAProxyFiles(), build: Self.haproxyBuild)) != nil))
    }

    @Test("every configuration Debian ships (its default and the package's examples) that haproxy -c accepts, haexplain accepts",
          .enabled(if: haproxyInstalled, "needs Debian's haproxy"))
    func shippedConfigurations() throws {
        let examples = "/usr/share/doc/haproxy/examples"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: examples)) ?? []
        let paths = ["/etc/haproxy/haproxy.cfg"] + names.filter { $0.hasSuffix(".cfg") }.sorted().map { "\(examples)/\($0)" }
        var accepted = 0
        for path in paths where FileManager.default.fileExists(atPath: path) {
            // Refusals outside what haexplain models (missing certificate files, modules not
            // built in) are haproxy's alone; everything haproxy accepts must be read.
            guard try Shell.run(["haproxy", "-c", "-f", path], timeout: 20).succeeded else { continue }
            accepted += 1
            #expect(throws: Never.self, "\(path)") { _ = try HAProxyParser.parse(paths: [path], files: LocalHAProxyFiles(), build: Self.haproxyBuild) }
        }
        #expect(accepted >= 1)
    }

    /// Seeded generated configurations (GeneratedConfigurations): a fixed sample runs in `make
    /// test`; HAEXPLAIN_HAPROXY_DIFFERENTIAL=COUNT[:SEED] runs a larger one.
    /// COUNT[:SEED] from HAEXPLAIN_HAPROXY_DIFFERENTIAL, else the fixed sample.
    static var differentialRun: (count: Int, seed: UInt64) {
        let setting = ProcessInfo.processInfo.environment["HAEXPLAIN_HAPROXY_DIFFERENTIAL"]?.split(separator: ":") ?? []
        return (setting.first.flatMap { Int($0) } ?? 80, setting.count > 1 ? UInt64(setting[1]) ?? 1 : 1)
    }

    @Test("generated configurations: haexplain accepts and refuses what haproxy -c does, at a line haproxy names",
          .enabled(if: haproxyInstalled, "needs Debian's haproxy"))
    func differential() throws {
        let dir = "/tmp/hxhp-differential-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (count, first) = Self.differentialRun
        var agreed = 0, refused = 0
        var codes: [String: Int] = [:]
        for seed in first..<(first + UInt64(count)) {
            let outcome = try GeneratedConfigurations.compare(seed: seed, dir: dir)
            if outcome.agreed { agreed += 1 } else { Issue.record(Comment(rawValue: outcome.detail)) }
            if let code = outcome.code { refused += 1; codes[code.rawValue, default: 0] += 1 }
        }
        let reasons = codes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("haproxy differential: \(agreed)/\(count) agree (seeds \(first)..<\(first + UInt64(count)); haexplain refused \(refused): \(reasons))")
        // The sample must exercise both outcomes, or it proves nothing.
        #expect(refused > count / 10 && refused < count * 9 / 10, "\(refused) of \(count) refused")
    }
}
