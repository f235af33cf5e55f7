import Foundation
import HAModel
import HAProxyConfig
import LabSupport
import LocalFiles
import Testing

/// Seeded configurations for the differential run in ConformanceTests: mostly valid, some
/// with a removed keyword, an unknown one, a duplicate name or a missing backend.
enum GeneratedConfigurations {
    static let globalGood = ["maxconn 200", "nbthread 1", "log stdout format raw local0", "stats timeout 30s", "tune.bufsize 16384",
                             "hard-stop-after 10s", "spread-checks 5", "no log", "set-dumpable", "setenv HX 1"]
    static let globalBad = ["nbproc 2", "tune.chksize 32", "maxcon 10", "deamon", "tune.bufsiz 1", "stats sockett /x"]
    static let proxyGood = ["option dontlognull", "retries 3", "option redispatch", "maxconn 50", "option tcplog", "no option http-use-proxy-header",
                            "balance roundrobin", "timeout queue 5s", "log global", "option tcpka", "description a proxy", "fullconn 10",
                            "balance source", "hash-type consistent", "default-server inter 2s fall 3 rise 2", "option httpchk GET /health",
                            "http-check expect status 200", "stick-table type ip size 1k expire 1m", "stick on src", "tcp-request content accept",
                            "tcp-request inspect-delay 2s", "acl local src 127.0.0.1", "tcp-request connection reject if !{ src 127.0.0.0/8 }",
                            "timeout tunnel 1h", "timeout http-request 5s", "option log-health-checks", "server-template w 2 127.0.0.1:9000",
                            "capture request header Host len 32", "errorfile 503 /etc/haproxy/errors/503.http", "monitor-uri /alive",
                            "option forwardfor", "option http-server-close", "cookie SRV insert indirect nocache", "disabled", "enabled"]
    static let httpGood = ["option httplog", "http-request deny if { path /x }", "http-request return status 200 if { path /ok }",
                           "http-response set-header X-A b", "option forwardfor", "compression algo gzip", "stats uri /st"]
    static let proxyBad = ["redispatch", "clitimeout 5s", "contimeout 5s", "srvtimeout 5s", "grace 1s", "option forceclose", "option http-tunnel",
                           "option http_proxy", "tiemout client 1s", "option httplgo", "reqadd X-A:\\ b", "reqrep ^(.*) \\1", "block if TRUE",
                           "rspadd X-A:\\ b", "rspideny ^x", "reqidel ^x", "monitor-net 10.0.0.0/8", "appsession a len 1 timeout 1h",
                           "bnid :80", "usebackend x", "srvexp a b", "reqtarpit ^x", "redisp", "cliexp a b", "mode health"]
    static let names = ["app", "db", "web", "api", "static", "auth", "mail", "ldap"]
    static let serverNames = ["a", "b", "c", "d", "e", "f", "g", "h"]

    /// One configuration from `seed`.
    static func generate(seed: UInt64) -> String {
        var random = SeededRandom(seed: seed)
        var out = ""
        var port = 20000 + random.below(1000) * 10
        func bad(_ percent: Int) -> Bool { random.chance(percent) }
        if random.chance(60) {
            out += "global\n"
            for _ in 0..<random.below(4) { out += "    \(random.pick(globalGood))\n" }
            if bad(8) { out += "    \(random.pick(globalBad))\n" }
            for _ in 0..<random.below(2) { out += "    \(random.pick(globalGood))\n" }
        }
        let http = random.chance(50)
        out += "defaults\(random.chance(20) ? " base" : "")\n    mode \(http ? "http" : "tcp")\n"
        // Now and then a timeout is left out, which haproxy warns about.
        for timeout in ["client", "server", "connect"] where random.chance(93) { out += "    timeout \(timeout) 5s\n" }
        if bad(6) { out += "    \(random.pick(proxyBad))\n" }
        // Rules in defaults: refused unless the defaults section has a name.
        if random.chance(10) { out += "    \(random.pick(["http-request deny if { path /d }", "acl local src 127.0.0.1", "tcp-request inspect-delay 1s", "http-response del-header X-B"]))\n" }
        // Sections first, so that references usually name a backend the file defines.
        var sections: [(String, String)] = []
        for _ in 0..<(1 + random.below(4)) { sections.append((random.pick(["frontend", "backend", "listen", "backend"]), random.pick(names))) }
        let backends = sections.filter { $0.0 != "frontend" }.map(\.1)
        for (kind, name) in sections {
            out += "\(kind) \(name)\n"
            var lines: [String] = []
            if kind != "backend" {
                for _ in 0..<(1 + random.below(2)) {
                    port += 1
                    lines.append("bind " + random.pick(["127.0.0.1:\(port)", ":\(port)", "[::]:\(port)", "0.0.0.0:\(port)", "*:\(port)", "ipv4@127.0.0.1:\(port)"]))
                }
            }
            for _ in 0..<random.below(4) { lines.append(random.pick(proxyGood)) }
            if http { for _ in 0..<random.below(3) { lines.append(random.pick(httpGood)) } }
            if kind != "frontend" {
                for _ in 0..<random.below(4) {
                    let server = random.pick(serverNames)
                    lines.append("server \(server) 127.0.0.1:\(8000 + random.below(50))\(random.chance(20) ? " id \(1 + random.below(40))" : "")\(random.chance(30) ? " check" : "")")
                }
            }
            if kind == "frontend" || (kind == "listen" && random.chance(30)) {
                let target = !backends.isEmpty && random.chance(90) ? random.pick(backends) : random.pick(names + ["missing"])
                lines.append(random.chance(70) ? "default_backend \(target)" : "use_backend \(target) if TRUE")
            }
            if bad(7) { lines.insert(random.pick(proxyBad), at: random.below(lines.count + 1)) }
            if random.chance(50) { lines.shuffle(using: &random) }
            for line in lines { out += "    \(line)\n" }
        }
        if random.chance(25) {
            let section = random.pick([("peers", "peers p\n    bind 127.0.0.1:\(port + 1)\n"), ("cache", "cache c\n    total-max-size 4\n"),
                                       ("userlist", "userlist u\n    user admin insecure-password x\n"), ("resolvers", "resolvers r\n    nameserver ns 127.0.0.1:53\n")])
            out += section.1
            if random.chance(40) { out += section.1 }
            if bad(10) { out += "    no-such-keyword\n" }
        }
        return out
    }

    struct Outcome {
        var agreed: Bool
        var detail: String
        /// haexplain's problem code for a refusal.
        var code: HAProxyProblem.Code?
    }

    /// Both readers on one configuration.
    static func compare(seed: UInt64, dir: String) throws -> Outcome {
        try compare(text: generate(seed: seed), name: "seed-\(seed)", dir: dir, environment: [:])
    }

    /// Both readers on `text`, haproxy started with `environment` (and PATH) and haexplain told
    /// the same environment.
    static func compare(text: String, name: String, dir: String, environment: [String: String]) throws -> Outcome {
        let path = "\(dir)/\(name).cfg"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let haproxy = try Shell.run(["haproxy", "-c", "-f", path], environment: environment.merging(["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]) { $1 }, timeout: 20)
        let valid = haproxy.succeeded || (haproxy.status == 2 && (haproxy.stdout + haproxy.stderr).contains("has no error"))
        var build = ConformanceTests.haproxyBuild
        build.environment = environment
        let checked = try HAProxyParser.check(paths: [path], files: LocalHAProxyFiles(), build: build)
        let ours = checked.refusal?.error
        let alerts = haproxy.stderr.split(separator: "\n").filter { $0.contains("ALERT") && $0.contains("\(path):") }
        var agreed = valid == (ours == nil)
        // haproxy names no line for what it finds after reading (a missing backend, a loop).
        let lineless: Set<HAProxyProblem.Code> = [.missingBackend, .backendLoop, .missingStickTable, .checkWithoutPort]
        if agreed, let line = ours?.line, let code = checked.refusal?.code, !lineless.contains(code) {
            agreed = alerts.contains { $0.contains("\(path):\(line)]") || $0.contains("\(path):\(line))") }
        }
        return Outcome(agreed: agreed, detail: "\(name): haproxy -c \(haproxy.status) \(alerts.joined(separator: " | ")); haexplain: \(ours?.description ?? "accepted")\n\(text)", code: checked.refusal?.code)
    }
}
