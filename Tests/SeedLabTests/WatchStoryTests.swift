import Foundation
import LabSupport
import Testing

/// `vrrp --watch --json` on the application server while haproxy dies on the master: the
/// master change is written the moment it happens, each line is a JSON document, and a
/// SIGTERM ends the watch with the final census.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class WatchStoryTests {
    let lab: SeedLab
    init() throws { lab = try SeedLab("w") }

    /// The processes below `pid`, read from /proc (the watch runs under lab.sh and nsenter).
    static func descendants(of pid: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = pid_t(fields[1]) { children[parent, default: []].append(child) }
        }
        var found: [pid_t] = [], queue = [pid]
        while let next = queue.popLast() {
            for child in children[next] ?? [] { found.append(child); queue.append(child) }
        }
        return found
    }

    /// The haexplain --watch process below `pid` (it runs under lab.sh and nsenter), to signal by PID.
    static func watching(below pid: pid_t) -> [pid_t] {
        descendants(of: pid).filter {
            ((try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8)) ?? "").contains("--watch")
                && ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\($0)/exe")) ?? "").hasSuffix("/haexplain")
        }
    }

    static func lines(_ path: String) -> [[String: Any]] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static func waitFor(_ path: String, seconds: Double = 25, _ found: ([[String: Any]]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if found(lines(path)) { return true }
            usleep(100_000)
        }
        return false
    }

    static func isMaster(_ event: [String: Any], _ address: String) -> Bool {
        event["kind"] as? String == "master" && event["address"] as? String == address && event["vrid"] as? Int == 200
    }

    @Test("the failover's master change is a JSON line while the watch still runs; SIGTERM prints the final census")
    func failoverAsItHappens() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.prefix)-watch.jsonl").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let watch = try Daemon(["env", "LAB_PREFIX=\(lab.prefix)", "LAB_STATE=\(lab.state)", "bash", SeedLab.script, "run", "app",
                                HAExplainBinary.path, "vrrp", "--watch", "--json"], output: output)
        defer { watch.stop() }
        #expect(Self.waitFor(output) { $0.contains { Self.isMaster($0, "192.168.3.4") } }, "no master line for 192.168.3.4")

        try lab.lab(["haproxy-stop", "lb0"])
        defer { _ = try? lab.lab(["haproxy-start", "lb0"]) }
        #expect(Self.waitFor(output) { $0.contains { Self.isMaster($0, "192.168.3.5") } }, "no master line for 192.168.3.5")
        #expect(watch.isRunning, "the master change must be written while the watch runs, not at its end")

        let haexplain = Self.watching(below: watch.pid)
        #expect(haexplain.count == 1)
        haexplain.forEach { kill($0, SIGTERM) }
        let deadline = Date().addingTimeInterval(10)
        while watch.isRunning, Date() < deadline { usleep(50_000) }
        #expect(!watch.isRunning, "SIGTERM ends the watch")

        let text = try String(contentsOfFile: output, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        let final = try #require(lines.last)
        #expect(final.contains("\"routers\"") && final.contains("interrupted by SIGTERM"), "\(final.prefix(300))")
        try SchemaCheck.validate(kind: "vrrp", document: final)
        for line in lines.dropLast() {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not a JSON document: \(line)")
            try SchemaCheck.validate(kind: "vrrp-watch", document: line)
        }
        let priority = Self.lines(output).first { $0["kind"] as? String == "priority_changed" && $0["address"] as? String == "192.168.3.4" }
        #expect(priority?["priority"] as? Int == 98, "haproxy's death lowers 100 by 2 before the takeover")
    }
}
