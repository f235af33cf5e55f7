import Foundation
import HAModel
import HAProxyConfig
import LabSupport
import LocalFiles
import Testing

/// Seeded configurations that attack the reader where operators' files get messy: `bind`
/// lines with several addresses, port ranges, family prefixes (`ipv6@`, `abns@`, `unix@`,
/// `fd@`) and environment variables with defaults; `.if` blocks on the environment, version
/// and features (nested, unterminated, stray); quoted and escaped words with `#` inside;
/// named `defaults` and `from`; `disabled` proxies. Each is checked by `haproxy -c` with the
/// same environment haexplain is given. `make test` runs a few;
/// HAEXPLAIN_HAPROXY_ADVERSARIAL=COUNT[:SEED] runs more.
@Suite("differential: adversarial configurations against haproxy -c")
struct HAProxyAdversarialDifferentialTests {
    static var run: (count: Int, seed: UInt64) {
        let setting = ProcessInfo.processInfo.environment["HAEXPLAIN_HAPROXY_ADVERSARIAL"]?.split(separator: ":") ?? []
        return (setting.first.flatMap { Int($0) } ?? 30, setting.count > 1 ? UInt64(setting[1]) ?? 1 : 1)
    }

    /// What haproxy and haexplain are both started with.
    static let environment = ["HX_SET": "1", "HX_ADDR": "127.0.0.1", "HX_PORT": "24480", "HX_EMPTY": "", "HX_PAIR": "127.0.0.1:24481 127.0.0.1:24482",
                              "HX_NAME": "app", "HX_V6": "::1"]

    @Test("haexplain accepts and refuses what haproxy -c does on adversarial configurations",
          .enabled(if: ConformanceTests.haproxyInstalled, "needs Debian's haproxy"))
    func differential() throws {
        let dir = "/tmp/hxhp-adversarial-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (count, first) = Self.run
        var agreed = 0, refused = 0
        for seed in first..<(first + UInt64(count)) {
            let text = AdversarialHAProxy.generate(seed: seed)
            let outcome = try GeneratedConfigurations.compare(text: text, name: "adv-\(seed)", dir: dir, environment: Self.environment)
            if outcome.agreed { agreed += 1 } else { Issue.record(Comment(rawValue: outcome.detail)) }
            if outcome.code != nil { refused += 1 }
        }
        print("haproxy adversarial differential: \(agreed)/\(count) agree (seeds \(first)..<\(first + UInt64(count)); haexplain refused \(refused))")
        #expect(count < 20 || (refused > count / 20 && refused < count * 19 / 20), "\(refused) of \(count) refused")
    }
}

enum AdversarialHAProxy {
    static func generate(seed: UInt64) -> String {
        var random = SeededGenerator(seed: seed &* 0x2545_f491_4f6c_dd1d)
        var port = 30000 + random.below(2000) * 10
        var out = ""
        func nextPort() -> Int { port += 1; return port }
        if random.chance(60) {
            out += "global\n"
            if random.chance(30) { out += "    setenv HX_LOCAL 127.0.0.1\n" }
            if random.chance(20) { out += "    presetenv HX_ADDR 127.0.0.9\n" }
            if random.chance(30) { out += "    log stdout format raw local0\n" }
        }
        var defaultsNames: [String] = []
        for _ in 0..<(1 + random.below(2)) {
            let name = random.chance(50) ? random.pick(["base", "tcpdef", "web-defaults", "base"]) : ""
            if !name.isEmpty { defaultsNames.append(name) }
            out += "defaults\(name.isEmpty ? "" : " " + name)\(random.chance(5) ? " from \(random.pick(["base", "missing"]))" : "")\n"
            out += "    mode \(random.pick(["tcp", "http", "tcp"]))\n"
            for timeout in ["client", "server", "connect"] { out += "    timeout \(timeout) \(random.pick(["5s", "5000", "1m", "\"5s\""]))\n" }
            if random.chance(10) { out += "    \(random.pick(["disabled", "option dontlognull # a comment", "log global", "retries 3"]))\n" }
        }
        let backends = ["app", "db", "web"]
        var sections: [(String, String)] = []
        for _ in 0..<(1 + random.below(4)) { sections.append((random.pick(["frontend", "listen", "backend", "frontend"]), random.pick(backends + ["fe1", "fe2"]))) }
        var blocksOpen = 0
        for (kind, name) in sections {
            var header = "\(kind) \(random.chance(5) ? "\"\(name)\"" : name)"
            if !defaultsNames.isEmpty, random.chance(25) { header += " from \(random.chance(85) ? random.pick(defaultsNames) : "nosuch")" }
            if random.chance(5) { header += " # section" }
            out += header + "\n"
            var lines: [String] = []
            if kind != "backend" {
                for _ in 0..<(1 + random.below(2)) { lines.append("bind " + bind(&random, nextPort)) }
                if random.chance(15) { lines.append("disabled") }
                if random.chance(5) { lines.append("enabled") }
            }
            if random.chance(25) { lines.append(quoted(&random)) }
            if kind != "frontend" {
                for index in 0..<random.below(3) {
                    let port = random.chance(85) ? ":\(8000 + random.below(50))" : random.pick(["", ":+1", ":0"])
                    lines.append("server s\(index) \(random.pick(["127.0.0.1", "${HX_ADDR}", "\"${HX_ADDR}\"", "[::1]", "localhost"]))\(port)\(random.chance(30) ? " check" : "")\(random.chance(5) ? " port 9" : "")")
                }
            }
            if kind == "frontend" || (kind == "listen" && random.chance(20)) {
                let target = random.chance(85) ? random.pick(backends) : random.pick(["\"${HX_NAME}\"", "${HX_NAME}", "missing"])
                lines.append("default_backend \(target)")
            }
            // Conditional blocks around some lines.
            if random.chance(40), !lines.isEmpty {
                let at = random.below(lines.count)
                let condition = random.pick(["defined(HX_SET)", "defined(HX_UNSET)", "streq(\"$HX_SET\",1)", "strneq($HX_ADDR,127.0.0.1)",
                                             "version_atleast(2.4)", "version_before(2.0)", "feature(OPENSSL)", "!feature(QUIC)", "1", "0",
                                             "defined(HX_SET) && !defined(HX_UNSET)", "0 || 1", "(1)", "streq(a)", "nosuch(1)", "defined(HX_EMPTY)",
                                             "openssl_version_atleast(1.1.1)", "openssl_version_before(3.0.0)", "ssllib_name_startswith(OpenSSL)",
                                             "defined(HX_SET) && streq(\"${HX_NAME}\",app)", "!(0)", "!!1", "strneq(\"$HX_EMPTY\",\"\")",
                                             "1 && (0 || defined(HX_ADDR))", "streq( $HX_SET , 1 )", "1 1", "version_atleast(2.6.12)",
                                             "version_atleast(2.6-dev1)", "defined()", "(1", "1)", "defined(HX_SET) &&", "streq(\"a b\",'a b')"])
                var block = [".if \(condition)", lines[at]]
                // Nested blocks and .elif chains: only the first true branch counts.
                if random.chance(20) { block = [".if \(random.pick(["1", "0", "defined(HX_SET)"]))"] + block + [".endif"] }
                if random.chance(15) {
                    for branch in 0..<(1 + random.below(3)) {
                        block += [".elif \(random.pick(["0", "1", "defined(HX_UNSET)", "streq($HX_SET,1)"]))", "bind 127.0.0.1:\(nextPort())\(branch == 0 ? "" : " name e\(branch)")"]
                    }
                }
                if random.chance(30) { block += [random.chance(50) ? ".else" : ".elif \(random.pick(["1", "0", "defined(HX_SET)"]))", "bind 127.0.0.1:\(nextPort())"] }
                if random.chance(95) { block.append(".endif") } else { blocksOpen += 1 }
                lines.replaceSubrange(at...at, with: block)
            }
            if random.chance(3) { lines.append(random.pick([".endif", ".else", ".elif 1", ".notakeyword", ".diag \"hello\"", ".notice \"n\"", ".warning \"w\""])) }
            for line in lines { out += (random.chance(10) ? "\t" : "    ") + line + "\n" }
        }
        if random.chance(10) { out += "backend \(random.pick(backends))\n    server z 127.0.0.1:9\n" }
        for backend in backends where random.chance(70) && !sections.contains(where: { $0.1 == backend && $0.0 != "frontend" }) {
            out += "backend \(backend)\n"
        }
        _ = blocksOpen
        return out
    }

    /// One bind argument list: one or several addresses, each in one of haproxy's spellings.
    static func bind(_ random: inout SeededGenerator, _ nextPort: () -> Int) -> String {
        func one() -> String {
            let p = nextPort()
            switch random.below(34) {
            case 0: return "127.0.0.1:\(p)"
            case 1: return ":\(p)"
            case 2: return "[::1]:\(p)"
            case 3: return "ipv6@:::\(p)"
            case 4: return "ipv6@[::1]:\(p)"
            case 5: return "ipv4@0.0.0.0:\(p)"
            case 6: return "abns@hx-\(p)"
            case 7: return "unix@/tmp/hx-\(p).sock"
            case 8: return "/tmp/hx-\(p).sock"
            case 9: return "127.0.0.1:\(p)-\(p + 3)"
            case 10: return "127.0.0.1:\(p + 3)-\(p)"
            case 11: return "${HX_ADDR}:\(p)"
            case 12: return "\"${HX_ADDR}:${HX_PORT}\""
            case 13: return "${HX_UNSET-127.0.0.1}:\(p)"
            case 14: return "\"${HX_EMPTY}:\(p)\""
            case 15: return "127.0.0.1"
            case 16: return "127.0.0.1:0"
            case 17: return "127.0.0.1:65536"
            // fd@N is left out: whether it is refused depends on the descriptors haproxy inherits.
            case 18: return "ipv4@127.0.0.1:\(p)"
            case 19: return "udp@127.0.0.1:\(p)"
            case 20: return "\"${HX_PAIR[*]}\""
            case 21: return "tcp4@127.0.0.1:\(p)"
            case 22: return "tcp6@[::1]:\(p)"
            case 23: return "\"$HX_ADDR:\(p)\""
            case 24: return "'${HX_ADDR}:\(p)'"
            case 25: return "127.0.0.1:\(p)-\(p + 1),[::1]:\(p + 5)"
            case 26: return "ipv4@127.0.0.1:\(p)-\(p + 2)"
            case 27: return "[::ffff:127.0.0.1]:\(p)"
            case 28: return "[127.0.0.1]:\(p)"
            case 29: return "localhost:\(p)"
            case 30: return "\(p)"
            case 31: return "127.0.0.1:+\(p)"
            case 32: return "${HX_ADDR}:$HX_PORT"
            default: return "*:\(p)"
            }
        }
        var text = one()
        if random.chance(20) { text += "," + one() }
        if random.chance(5) { text += " " + one() }
        if random.chance(15) { text += " " + random.pick(["name b1", "v4v6", "v6only", "transparent", "accept-proxy", "process 1", "mode 600", "nosuchopt", "interface lo", "tfo"]) }
        return text
    }

    /// A line whose quoting or escapes haproxy reads in its own way.
    static func quoted(_ random: inout SeededGenerator) -> String {
        random.pick([
            "description \"a proxy # not a comment\"", "description 'single quoted $HX_SET'", "description a\\ b\\#c", "description \"unterminated",
            "description 'unterminated", "description \"${HX_NAME} and $HX_SET\"", "description \\x41\\x4", "description ok # comment \"",
            "description \"\"", "description \"a\"\"b\"", "description 'it''s'", "description \"tab\\there\"",
            "description \"a\\\"b\"", "description a\"b c\"d", "description \"${HX_UNSET}\"", "description $HX_UNSET x", "description 'a'\"b\"",
            "description \"${HX_UNSET-fallback}\"", "description ${HX_NAME}-${HX_SET}", "description \\", "description \"#\" # real comment",
        ])
    }
}
