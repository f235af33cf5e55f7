import HAExplainCore
import HAProxyConfig
import Testing

/// `haproxy --check` from values: the lint line's form, hostile text kept inert, and when
/// the check passes, with and without --strict.
@Suite("haproxy --check report")
struct HAProxyCheckTests {
    static func report(_ text: String, strict: Bool = false) -> HAProxyCheckReport {
        HAProxyCheckReport(HAProxyParser.check(contents: text), chosenBecause: "test", strict: strict)
    }

    @Test("a removed keyword: one error line with file, line, haproxy's replacement and its code; the check fails")
    func removedKeyword() {
        let report = Self.report("frontend f\n    bind :80\n    block if TRUE\n")
        #expect(!report.passes && !report.starts)
        #expect(HAProxyCheckText.render(report) == "t.cfg:3: error: the 'block' directive is not supported anymore since HAProxy 2.1; use 'http-request deny', which takes the same syntax [removed-keyword]\n")
    }

    @Test("a warning passes, unless --strict; a clean file prints nothing and passes")
    func strictness() {
        let text = "frontend f\n    bind :80\n    timeout client 5s\n    stats enable\n"
        #expect(Self.report(text).passes)
        #expect(Self.report(text).problems.map(\.code) == [.ignoredInTCPMode])
        #expect(!Self.report(text, strict: true).passes)
        let clean = Self.report("frontend f\n    bind :80\n    timeout client 5s\n    mode http\n    stats enable\n", strict: true)
        #expect(Self.report("frontend f\n    bind :80\n").problems.map(\.code) == [.missingTimeouts])
        #expect(clean.passes && HAProxyCheckText.render(clean).isEmpty)
        #expect(!Self.report("backend b\n").passes, "no listener: haproxy would not start")
    }

    @Test("control characters from the configuration are printed escaped, as all untrusted text is (\\x1b, \\a)")
    func inert() {
        #expect(LintLine.format(file: "a\u{1b}.cfg", line: 2, severity: "error", message: "bad \u{1b}[31mred\u{7}", code: "syntax")
                == "a\\x1b.cfg:2: error: bad \\x1b[31mred\\a [syntax]")
        #expect(LintLine.format(file: nil, line: nil, severity: "warning", message: "m", code: "c") == "-: warning: m [c]")
    }
}
