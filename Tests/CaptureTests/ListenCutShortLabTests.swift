import Foundation
import LabSupport
import Testing

/// `check --listen` shorter than a split brain takes to name, with real keepalived 2.2.7: two
/// masters of VRID 200 at advert_int 3 on a bridge whose node ports cannot reach each other,
/// asked from the application server as a monitoring system asks.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct ListenCutShortLabTests {
    static let vip = "192.168.3.200"
    static let better = "192.168.3.4", worse = "192.168.3.5"

    /// How long after the better master's adverts the worse one's come, in [0, 3) s, from what
    /// tcpdump hears on the application server (two adverts of each); nil when it heard less.
    static func phaseGap(_ lab: VRRPLab) throws -> Double? {
        let heard = try lab.lab.exec(lab.observer, ["timeout", "15", "tcpdump", "-i", "eth2", "-nn", "-tt", "-l", "-c", "4", "ip proto 112"],
                                     timeout: 30)
        var last: [String: Double] = [:]
        for line in heard.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count > 3, words[1] == "IP", let time = Double(words[0]) else { continue }
            last[String(words[2])] = time
        }
        guard let b = last[better], let w = last[worse] else { return nil }
        let gap = (w - b).truncatingRemainder(dividingBy: 3)
        return gap < 0 ? gap + 3 : gap
    }

    /// The lab with both masters advertising, the worse one's adverts at least a second after
    /// the better one's: then any listen of 3 s plus less than that gap hears both (each speaks
    /// every 3 s) and cannot yet name the split brain (that takes the worse one's second advert
    /// after the better one's first: 3 s plus the gap). keepalived on lb001 is restarted until
    /// its phase falls so, as an operator's restart would shift it.
    static func splitBrain() throws -> (lab: VRRPLab, listen: Double) {
        let lab = try VRRPLab(nodes: StormLabTests.pair, isolated: true, prefix: "hxlisten")
        try lab.startKeepalived("lb000", config: StormLabTests.slowMaster(100))
        var lb001 = try lab.startKeepalived("lb001", config: StormLabTests.slowMaster(99))
        for _ in 0..<6 {
            try #require(poll(timeout: 30) { lab.holds("lb000", vip) && lab.holds("lb001", vip) }, "\(lab.log("lb000"))\n\(lab.log("lb001"))")
            if let gap = try phaseGap(lab), gap >= 1 { return (lab, 3 + gap / 2) }
            lab.lab.stop(lb001)
            try #require(poll(timeout: 10) { !lab.holds("lb001", vip) }, "lb001 stopped but still holds \(vip)")
            lb001 = try lab.startKeepalived("lb001", config: StormLabTests.slowMaster(99))
        }
        throw PhaseNotFound()
    }

    struct PhaseNotFound: Error, CustomStringConvertible {
        var description: String { "the masters' adverts never fell a second apart in six restarts of lb001's keepalived" }
    }

    /// `haexplain ARGUMENTS` from the application server: exit status, stdout, stderr.
    static func run(_ lab: VRRPLab, _ arguments: [String]) throws -> Shell.Result {
        let names = arguments.first == "vrrp" ? [] : ["--no-dns"]
        return try lab.lab.exec(lab.observer, [HAExplainBinary.path] + arguments + names, timeout: 90)
    }

    @Test("split brain at advert_int 3, check --listen shorter than naming it: WARNING, exit 1, the status line and --json say listening ended before the two masters were told apart; ip --listen says it as a limit with its source, vrrp --listen as a problem; check with its default listening names the split brain, CRITICAL, exit 2")
    func checkListenEndsFirst() throws {
        let (lab, listen) = try Self.splitBrain()
        let short = ["--listen", "\(Int((listen * 1000).rounded()))ms"]

        let text = try Self.run(lab, ["check", Self.vip] + short)
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(text.status == 1, "\(text.stdout)\(text.stderr)")
        let status = try #require(lines.first)
        #expect(status.hasPrefix("HAEXPLAIN WARNING - "), "\(status)")
        #expect(status.contains("two masters still advertised when listening ended after"), "\(status)")
        #expect(status.contains("not yet told apart as a split brain or a master change"), "\(status)")
        #expect(lines.contains { $0.hasPrefix("limit: listening ended after") && $0.contains("before a split brain and a master change could be told apart") },
                "\(text.stdout)")

        let json = try Self.run(lab, ["check", Self.vip, "--json"] + short)
        let check = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
        #expect(json.status == 1 && check["status"] as? String == "warning" && check["exit_status"] as? Int == 1, "\(check)")
        let answer = try #require(check["answer"] as? [String: Any])
        let undecided = (answer["listening"] as? [String: Any])?["undecided_until"] as? String
        #expect(undecided?.hasSuffix("Z") == true, "\(answer["listening"] ?? "no listening")")
        #expect(Self.cutShortLimit(answer) != nil, "\(answer["limits"] ?? [])")

        let ip = try Self.run(lab, ["ip", Self.vip, "--json"] + short)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(ip.stdout.utf8)) as? [String: Any], "\(ip.stderr)")
        // The owner stays named (the better master, as heard), exit 0; the limit says it may be one of two.
        let verdict = (report["answers"] as? [[String: Any]])?.first?["verdict"] as? [String: Any]
        #expect(ip.status == 0 && verdict?["owner"] as? String != "conflict", "\(verdict ?? [:])")
        let limit = try #require(Self.cutShortLimit(report), "\(report["limits"] ?? [])")
        #expect(limit.source == ["kind": "wire", "detail": "live capture"], "\(limit.source)")

        // vrrp's census with the same --listen: the time they would have been told apart, and a problem saying so.
        let census = try Self.run(lab, ["vrrp", "--json"] + short)
        let vrrp = try #require(try JSONSerialization.jsonObject(with: Data(census.stdout.utf8)) as? [String: Any], "\(census.stderr)")
        let capture = vrrp["capture"] as? [String: Any]
        #expect((capture?["listening"] as? [String: Any])?["undecided_until"] is String, "\(capture ?? [:])")
        #expect(CensusJSON(root: vrrp).verdicts(200).contains("split_brain") == false, "\(vrrp)")
        #expect((vrrp["problems"] as? [[String: Any]] ?? []).contains { ($0["message"] as? String)?.contains("before a split brain and a master change could be told apart") == true },
                "\(vrrp["problems"] ?? [])")

        // Listening as long as it takes (past the 7 s default, at most 30 s): the split brain is named.
        let named = try Self.run(lab, ["check", Self.vip])
        let namedLine = named.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(named.status == 2 && namedLine.hasPrefix("HAEXPLAIN CRITICAL - CONFLICT for \(Self.vip): split brain: "), "\(named.stdout)\(named.stderr)")
        #expect(!namedLine.contains("two masters still advertised"), "\(namedLine)")
    }

    /// The limit that listening ended before two masters were told apart, among `report`'s limits.
    static func cutShortLimit(_ report: [String: Any]) -> (source: [String: String], message: String)? {
        for limit in report["limits"] as? [[String: Any]] ?? [] {
            guard let message = limit["message"] as? String, message.contains("before a split brain and a master change could be told apart"),
                  let source = limit["source"] as? [String: String] else { continue }
            return (source, message)
        }
        return nil
    }
}
