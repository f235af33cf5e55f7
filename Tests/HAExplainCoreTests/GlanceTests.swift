import HAExplainCore
import HAModel
import Testing

/// The answer at a glance: the verdict line leads, `--brief` prints it alone, and colour goes
/// on the state only, on a terminal that wants it.
@Suite struct GlanceTests {
    typealias T = IPExplainerTests
    static let lb000 = T.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"])
    static let lb001 = T.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")

    @Test("each verdict leads with its mark: ✓ owner (VRID, priority), ✗ CONFLICT, ✗ NOBODY, ? UNKNOWN")
    func headlines() throws {
        let calm = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app, Self.lb000, Self.lb001],
                                                  keepalived: nil, wire: T.wire([(T.lb000, 100)])))
        let text = IPReportText.render(calm)
        #expect(text.hasPrefix("✓ 192.168.3.200 → prod-haproxy-000 (192.168.3.4, bc:76:4e:05:6c:1c) (VRID 200, priority 100)\n"), "\(text)")
        #expect(IPReportText.render(calm, brief: true) == "✓ 192.168.3.200 → prod-haproxy-000 (192.168.3.4, bc:76:4e:05:6c:1c) (VRID 200, priority 100)\n")

        let split = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app], keepalived: nil,
                                                   wire: T.wire([(T.lb000, 100), (T.lb001, 99)], seconds: 6)))
        #expect(IPReportText.render(split, brief: true).hasPrefix("✗ CONFLICT 192.168.3.200: split brain"))

        let idle = T.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4")
        let nobody = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app, idle, Self.lb001],
                                                    keepalived: try T.seedKeepalived(), wire: nil))
        #expect(IPReportText.render(nobody, brief: true).hasPrefix("✗ NOBODY holds 192.168.3.200: "))

        var warned = calm
        warned.answers[0].warnings = ["one", "two"]
        #expect(IPReportText.render(warned, brief: true).hasSuffix("(VRID 200, priority 100) (2 warnings)\n"))

        let unknown = IPExplainer.explain(IPEvidence(query: "192.168.3.99", addresses: [IPAddress("192.168.3.99")!], hosts: [T.app],
                                                     keepalived: try T.seedKeepalived(), wire: nil))
        #expect(IPReportText.render(unknown, brief: true).hasPrefix("? UNKNOWN 192.168.3.99: "))
        let nothing = IPReport(query: "nowhere.example", resolution: [], answers: [], limits: [])
        #expect(IPReportText.render(nothing, brief: true) == "? UNKNOWN nowhere.example: no address to explain\n")
    }

    @Test("colour marks the state at the start of a verdict line only, and follows --color, NO_COLOR and TERM")
    func colour() {
        let text = "✓ 192.168.3.200 → lb0\n  why  a name ✓ inside\n✗ CONFLICT 192.168.3.200: split brain\n? UNKNOWN x: y"
        let coloured = Highlight.apply(text)
        #expect(coloured.hasPrefix("\u{1b}[32m✓\u{1b}[0m 192.168.3.200"))
        #expect(coloured.contains("\n  why  a name ✓ inside\n"))
        #expect(coloured.contains("\u{1b}[1;31m✗ CONFLICT\u{1b}[0m 192.168.3.200"))
        #expect(coloured.contains("\u{1b}[33m? UNKNOWN\u{1b}[0m x"))
        #expect(Highlight.apply("no verdict here\n") == "no verdict here\n")

        #expect(Highlight.enabled(.auto, isTerminal: true, environment: [:]))
        #expect(!Highlight.enabled(.auto, isTerminal: false, environment: [:]))
        #expect(!Highlight.enabled(.auto, isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(Highlight.enabled(.auto, isTerminal: true, environment: ["NO_COLOR": ""]), "an empty NO_COLOR does not count")
        #expect(!Highlight.enabled(.auto, isTerminal: true, environment: ["TERM": "dumb"]))
        #expect(Highlight.enabled(.always, isTerminal: false, environment: ["NO_COLOR": "1"]))
        #expect(!Highlight.enabled(.never, isTerminal: true, environment: [:]))
    }
}
