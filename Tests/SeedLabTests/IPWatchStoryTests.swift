import Foundation
import LabSupport
import Testing

/// `ip 192.168.3.200 --watch --json` on the application server while keepalived stops on the
/// master: the verdict settles on lb0, the owner change to lb1 is a line while the watch still
/// runs, and SIGINT ends it with the full `ip` report and `ip`'s exit status.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class IPWatchStoryTests {
    let lab: SeedLab
    init() throws { lab = try SeedLab("ipw") }

    static func owns(_ event: [String: Any], _ address: String) -> Bool {
        (event["verdict"] as? [String: Any])?["owner_address"] as? String == address
    }

    @Test("keepalived stops on the master: settled on lb0, owner_changed to lb1 while watching; SIGINT prints the full report, exit 0")
    func ownerChangesAsItHappens() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.prefix)-ipwatch.jsonl").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let watch = try Daemon(["env", "LAB_PREFIX=\(lab.prefix)", "LAB_STATE=\(lab.state)", "bash", SeedLab.script, "run", "app",
                                HAExplainBinary.path, "ip", "192.168.3.200", "--watch", "--json"], output: output)
        defer { watch.stop() }
        #expect(WatchStoryTests.waitFor(output) { $0.contains { $0["kind"] as? String == "settled" && Self.owns($0, "192.168.3.4") } },
                "no settled line naming lb0 (192.168.3.4)")

        try lab.lab(["keepalived-stop", "lb0"])
        defer { _ = try? lab.lab(["keepalived-start", "lb0"]) }
        #expect(WatchStoryTests.waitFor(output, seconds: 40) { $0.contains { $0["kind"] as? String == "owner_changed" && Self.owns($0, "192.168.3.5") } },
                "no owner_changed line naming lb1 (192.168.3.5)")
        #expect(watch.isRunning, "the owner change must be written while the watch runs, not at its end")

        let haexplain = WatchStoryTests.watching(below: watch.pid)
        #expect(haexplain.count == 1)
        haexplain.forEach { kill($0, SIGINT) }
        #expect(poll(timeout: 10) { !watch.isRunning }, "SIGINT ends the watch")
        #expect(watch.exitStatus == 0, "the final verdict is answered (lb1 owns it): ip's exit status 0")

        let lines = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
        let final = try #require(lines.last)
        try SchemaCheck.validate(kind: "ip", document: final)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(final.utf8)) as? [String: Any])
        let answer = try #require((report["answers"] as? [[String: Any]])?.first)
        #expect(Self.owns(answer, "192.168.3.5"), "the final report names lb1: \(final.prefix(300))")
        #expect(final.contains("interrupted by SIGINT"))
        for line in lines.dropLast() {
            try SchemaCheck.validate(kind: "ip-watch", document: line)
        }
        let kinds = WatchStoryTests.lines(output).dropLast().compactMap { $0["kind"] as? String }
        #expect(kinds.first == "settled" && kinds.filter { $0 == "settled" }.count == 1, "\(kinds)")
    }
}
