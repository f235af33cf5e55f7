import Foundation
import HAProxyConfig
import LabSupport
import Testing

/// `haexplain haproxy --check` as CI runs it: its exit status against `haproxy -c` on the
/// conformance cases and a seeded sample of generated configurations, its line format, and
/// the usage and input statuses.
@Suite("haexplain haproxy --check against haproxy -c", .enabled(if: ConformanceTests.haproxyInstalled, "needs Debian's haproxy"))
struct CheckCommandTests {
    /// The code of a `FILE[:LINE]: SEVERITY: MESSAGE [CODE]` line, nil when it is not one.
    static func lintCode(_ line: String) -> String? {
        guard line.hasSuffix("]"), let open = line.range(of: " [", options: .backwards),
              let severity = line.range(of: ": error: ") ?? line.range(of: ": warning: "),
              severity.lowerBound > line.startIndex, severity.upperBound < open.lowerBound else { return nil }
        return String(line[open.upperBound..<line.index(before: line.endIndex)])
    }

    /// Runs both on `text`: haproxy -c's status, and a sentence when they disagree.
    static func disagreement(_ name: String, _ text: String, environment: [String: String], dir: String) throws -> (Int32, String?) {
        let path = "\(dir)/\(name).cfg"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let haproxy = try Shell.run(["haproxy", "-c", "-f", path], environment: environment, timeout: 20)
        let check = try Shell.run([HAExplainBinary.path, "haproxy", "--check", "--haproxy-config", path], environment: environment, timeout: 20)
        let strict = try Shell.run([HAExplainBinary.path, "haproxy", "--check", "--strict", "--haproxy-config", path], environment: environment, timeout: 20)
        let lines = check.stdout.split(separator: "\n").map(String.init)
        let codes = Set(HAProxyProblem.Code.allCases.map(\.rawValue))
        for line in lines {
            guard let code = lintCode(line), codes.contains(code) else {
                return (haproxy.status, "\(name): not a lint line: \(line)")
            }
        }
        // haproxy -c: 0 starts, 1 refuses, 2 valid but will not start (no listener).
        let expected: Int32 = haproxy.status == 0 ? 0 : 1
        if check.status != expected {
            return (haproxy.status, "\(name): haproxy -c \(haproxy.status), haexplain --check \(check.status)\n\(check.stdout)\(check.stderr)\nhaproxy: \(haproxy.stderr)\n\(text)")
        }
        let strictExpected: Int32 = expected == 0 && lines.isEmpty ? 0 : 1
        if strict.status != strictExpected { return (haproxy.status, "\(name): --strict \(strict.status) with \(lines.count) problems") }
        if expected == 1, !lines.contains(where: { $0.contains(": error: ") }) { return (haproxy.status, "\(name): exit 1 without an error line") }
        // The warnings haexplain words as haproxy does are haproxy's: each one said by both,
        // whenever haproxy got as far as checking the whole configuration.
        let said = haproxy.stderr
        let echoes: [(String, [String])] = [
            ("missing-timeouts", ["missing timeouts for"]), ("no-bind", ["has no 'bind' directive"]),
            ("ignored-in-tcp-mode", ["require HTTP mode", "requires HTTP mode", "needs 'mode http'"]), ("duplicate-setting", ["already specified"]),
        ]
        for (code, phrases) in echoes {
            let ours = lines.contains { $0.hasSuffix("[\(code)]") }
            let theirs = phrases.contains { said.contains($0) }
            if ours, !theirs { return (haproxy.status, "\(name): haexplain warns [\(code)], haproxy does not\n\(check.stdout)\n\(said)") }
            // The other way only where haexplain models every case haproxy warns of (haproxy
            // ignores more than the HTTP answers haexplain tracks in TCP mode, e.g. cookie).
            if theirs, !ours, haproxy.status != 1, code == "missing-timeouts" || code == "no-bind" {
                return (haproxy.status, "\(name): haproxy warns (\(phrases[0])), haexplain has no [\(code)]\n\(check.stdout)\n\(said)\n\(text)")
            }
        }
        return (haproxy.status, nil)
    }

    @Test("exit 0 exactly when haproxy -c exits 0, on the conformance cases and 40 generated configurations (seeds 300..<340); --strict fails on any problem")
    func exitStatuses() throws {
        let dir = "/tmp/hxhp-check-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var outcomes: [Int32: Int] = [:]
        var issues = 0
        var items = ConformanceTests.cases.map { ($0.name, $0.text, ConformanceTests.environment($0)) }
        // HAEXPLAIN_HAPROXY_CHECK_SAMPLE=COUNT:SEED runs another sample.
        let setting = ProcessInfo.processInfo.environment["HAEXPLAIN_HAPROXY_CHECK_SAMPLE"]?.split(separator: ":") ?? []
        let count = setting.first.flatMap { UInt64($0) } ?? 40, first = setting.count > 1 ? UInt64(setting[1]) ?? 300 : 300
        for seed in first..<(first + count) {
            items.append(("seed-\(seed)", GeneratedConfigurations.generate(seed: seed), ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]))
        }
        for (name, text, environment) in items {
            let (status, problem) = try Self.disagreement(name, text, environment: environment, dir: dir)
            if let problem { Issue.record(Comment(rawValue: problem)); issues += 1 }
            outcomes[status, default: 0] += 1
        }
        print("haproxy --check: exit status as haproxy -c's on \(items.count - issues) of \(items.count) (haproxy -c statuses \(outcomes.sorted { $0.key < $1.key }))")
        // The sample holds configurations haproxy accepts, refuses, and will not start.
        #expect(outcomes[0, default: 0] > 10 && outcomes[1, default: 0] > 10 && outcomes[2, default: 0] > 0, "\(outcomes)")
    }

    @Test("an unreadable configuration is 66, bad usage 64, and a refused one prints haproxy's file:line")
    func statuses() throws {
        #expect(try HAExplainBinary.run(["haproxy", "--check", "--haproxy-config", "/nonexistent/haproxy.cfg"]).status == 66)
        #expect(try HAExplainBinary.run(["haproxy", "--strict"]).status == 64)
        #expect(try HAExplainBinary.run(["haproxy", "--check", "192.168.3.200:80"]).status == 64)
        let path = "/tmp/hxhp-check-\(getpid())-reqadd.cfg"
        try Data("frontend f\n    bind 127.0.0.1:80\n    mode http\n    reqadd X-A:\\ b\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try HAExplainBinary.run(["haproxy", "--check", "--haproxy-config", path])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("\(path):4: error: the 'reqadd' directive is not supported anymore since HAProxy 2.1; use 'http-request add-header' [removed-keyword]"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try HAExplainBinary.run(["haproxy", "--check", "--json", "--haproxy-config", path]).stdout.utf8)) as? [String: Any])
        #expect(json["passes"] as? Bool == false && json["starts"] as? Bool == false)
        #expect((json["problems"] as? [[String: Any]])?.first?["code"] as? String == "removed-keyword")
    }
}
