import HAExplainCore
import HAModel
import Testing
import VRRP

/// `haexplain check` as a monitoring system reads it: the status word, the text, the
/// performance data after '|', and the exit code, for the seed's verdicts made by hand.
@Suite struct MonitoringCheckTests {
    typealias T = IPExplainerTests
    static let lb000 = T.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"])
    static let lb001 = T.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")

    /// The parts of a plugin's first line, split the way Nagios and Icinga split it.
    struct PluginLine {
        var service: String, status: String, text: String
        var perfdata: [String: (value: Double, unit: String)] = [:]

        init?(_ line: String) {
            guard !line.contains("\n") else { return nil }
            let halves = line.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false)
            var head = halves[0]
            while head.last == " " { head = head.dropLast() }
            let words = head.split(separator: " ", maxSplits: 3)
            guard words.count == 4, words[2] == "-" else { return nil }
            service = String(words[0]); status = String(words[1]); text = String(words[3])
            for item in halves.count > 1 ? halves[1].split(separator: " ") : [] {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let first = parts[1].split(separator: ";", omittingEmptySubsequences: false).first
                else { return nil }
                let number = first.prefix { "0123456789.-".contains($0) }
                guard let value = Double(number) else { return nil }
                perfdata[String(parts[0])] = (value, String(first.dropFirst(number.count)))
            }
        }
    }

    /// From the application server: the wire and the balancers' addresses, no configuration
    /// (whose lint would add warnings of its own).
    static func calm() throws -> IPReport {
        IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app, lb000, lb001],
                                       keepalived: nil, wire: T.wire([(T.lb000, 100)])))
    }

    @Test("calm: OK naming the master, perfdata a monitoring system can graph, exit 0")
    func calmIsOK() throws {
        var report = try Self.calm()
        report.listening = .init(seconds: 1.23, limit: 7, reason: .answered, explanation: "test")
        let result = MonitoringCheck.evaluate(report)
        let line = try #require(PluginLine(result.line))
        #expect(line.service == "HAEXPLAIN" && line.status == "OK" && result.status.rawValue == 0)
        #expect(line.text.hasPrefix("192.168.3.200 owned by prod-haproxy-000 (VRID 200, priority 100)"), "\(line.text)")
        #expect(line.perfdata["listened"]?.value == 1.2 && line.perfdata["listened"]?.unit == "s")
        #expect(line.perfdata["answers"]?.value == 1 && line.perfdata["warnings"]?.value == 0)
    }

    @Test("the expected owner met by name, address or MAC is OK; the backup named is CRITICAL")
    func expectOwner() throws {
        for expected in ["prod-haproxy-000", "192.168.3.4", "BC:76:4E:05:6C:1C"] {
            #expect(MonitoringCheck.evaluate(try Self.calm(), policy: .init(expectOwner: expected)).status == .ok, "\(expected)")
        }
        let result = MonitoringCheck.evaluate(try Self.calm(), policy: .init(expectOwner: "prod-haproxy-001"))
        #expect(result.status == .critical && result.status.rawValue == 2)
        #expect(try #require(PluginLine(result.line)).text.hasSuffix(", expected prod-haproxy-001"))
    }

    @Test("a split brain is CRITICAL, nobody holding the VIP is CRITICAL, an unknown owner is UNKNOWN")
    func storms() throws {
        let split = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app], keepalived: nil,
                                                   wire: T.wire([(T.lb000, 100), (T.lb001, 99)], seconds: 6)))
        let conflict = MonitoringCheck.evaluate(split)
        #expect(conflict.status == .critical && PluginLine(conflict.line)?.text.hasPrefix("CONFLICT for 192.168.3.200") == true)

        let idle0 = T.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4")
        let nobody = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app, idle0, Self.lb001],
                                                    keepalived: try T.seedKeepalived(), wire: nil))
        #expect(MonitoringCheck.evaluate(nobody).status == .critical)

        let unknown = IPExplainer.explain(IPEvidence(query: "192.168.3.99", addresses: [IPAddress("192.168.3.99")!], hosts: [T.app],
                                                     keepalived: try T.seedKeepalived(), wire: nil))
        let result = MonitoringCheck.evaluate(unknown)
        #expect(result.status == .unknown && result.status.rawValue == 3)
        // A critical answer outweighs an unknown one, as the plugins' worst-state rule says.
        var both = unknown
        both.answers += split.answers
        #expect(MonitoringCheck.evaluate(both).status == .critical)
    }

    @Test("warnings make WARNING unless the policy says they are OK; the first is on the status line, all below it")
    func warnings() throws {
        var report = try Self.calm()
        report.answers[0].warnings = ["the ARP entry for 192.168.3.200 on prod-app-000 still points at bc:76:4e:05:eb:70", "second"]
        let result = MonitoringCheck.evaluate(report)
        #expect(result.status == .warning && result.status.rawValue == 1)
        #expect(PluginLine(result.line)?.text.contains("(2 warnings: the ARP entry") == true)
        #expect(result.details.filter { $0.hasPrefix("warning: ") }.count == 2)
        #expect(PluginLine(result.line)?.perfdata["warnings"]?.value == 2)
        #expect(MonitoringCheck.evaluate(report, policy: .init(warningsAre: .ok)).status == .ok)
    }

    @Test("no capture privilege or nothing resolved is UNKNOWN: the check could not observe")
    func unobserved() throws {
        var unheard = try Self.calm()
        unheard.listened = nil
        #expect(MonitoringCheck.evaluate(unheard, listeningAsked: true).status == .unknown)
        #expect(MonitoringCheck.evaluate(unheard, listeningAsked: true).line.contains("the wire was not observed"))
        #expect(MonitoringCheck.evaluate(unheard, policy: .init(unobservedIs: .critical), listeningAsked: true).status == .critical)
        // Listening not asked (--no-listen, snapshots), or a capture heard: observed as asked.
        #expect(MonitoringCheck.evaluate(unheard).status == .ok)
        #expect(MonitoringCheck.evaluate(try Self.calm(), listeningAsked: true).status == .ok)
        let nothing = IPReport(query: "prod-db-internal.panda.com", resolution: [], answers: [], limits: [Limit(source: Source(kind: .resolver), message: "does not resolve")])
        let result = MonitoringCheck.evaluate(nothing)
        #expect(result.status == .unknown && result.details == ["limit: does not resolve"])
    }

    @Test("listening that ended before two masters were told apart: the answer keeps its owner with a limit saying so, and the check is WARNING (even with --warnings-are ok), never OK")
    func undecidedListeningIsWarning() throws {
        // The census as heard so far: lb000 alone in it is enough for the rule under test.
        var wire = T.wire([(T.lb000, 100)])
        let until = PacketTime(seconds: 1_764_043_040)
        wire.capture.listening = .init(seconds: 2.04, limit: 2, reason: .timeUp, explanation: "the bound passed while waiting", undecidedUntil: until)
        let report = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app, Self.lb000, Self.lb001],
                                                    keepalived: nil, wire: wire))
        let listening = try #require(wire.capture.listening)
        let limit = try #require(WireSufficiency.limit(listening))
        #expect(report.limits == [limit] && report.listening?.undecidedUntil == until)
        for policy in [MonitoringCheck.Policy(), .init(warningsAre: .ok)] {
            let result = MonitoringCheck.evaluate(report, policy: policy)
            let line = try #require(PluginLine(result.line))
            #expect(line.status == "WARNING" && result.status.rawValue == 1, "\(result.line)")
            #expect(line.text.contains("two masters still advertised when listening ended after 2.0 s, not yet told apart"), "\(line.text)")
            #expect(result.details.contains("limit: \(limit.message)") && line.perfdata["limits"]?.value == 1)
        }
        // The same wire with nothing left undecided: no such limit, and no such words.
        wire.capture.listening?.undecidedUntil = nil
        let settled = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [T.vip], hosts: [T.app, Self.lb000, Self.lb001],
                                                     keepalived: nil, wire: wire))
        #expect(settled.limits.isEmpty && !MonitoringCheck.evaluate(settled).line.contains("two masters still advertised"))
    }

    @Test("hostile text from a verdict cannot add a line or forge performance data")
    func oneLine() throws {
        var report = try Self.calm()
        report.answers[0].verdict.ownerHost = "evil\nHAEXPLAIN OK - fine | forged=1"
        let result = MonitoringCheck.evaluate(report)
        let line = try #require(PluginLine(result.line))
        #expect(line.perfdata["forged"] == nil && !result.line.contains("\n"))
    }
}
