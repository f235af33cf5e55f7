import Foundation
import LabSupport
import Testing

/// The seed lab in a storm: a short seeded sequence of the chaos driver's steps
/// (Tests/Chaos/storm.py; `make chaos` runs the long one), and after each step, until the
/// lab settles, `haexplain ip` for both VIPs from the application server and both balancers,
/// held against the ground truth (which balancer namespaces hold the VIP, and keepalived's
/// own state and effective priority from its JSON dump). Answers given while the truth moved
/// are not judged.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct StormTests {
    static let seed = 20_261_201
    static let steps = 8
    /// Every kind of step, partitions and heals included: the census of issue 12 names a
    /// split brain from every asker (seed 12, 40 steps of `make chaos`: 546/546). The fixed
    /// seed never stops both keepalived at once: with nobody advertising, the application
    /// server answers unknown where the truth is none (it reads no keepalived configuration,
    /// so it cannot tell an unheld VIP from an address VRRP does not manage).
    static let kinds = ["haproxy-kill", "haproxy-start", "partition-two-way", "partition-one-way", "heal",
                        "keepalived-stop", "keepalived-start", "priority"]

    @Test("a short seeded storm on the seed lab: every answer given while the truth held still names the balancer that holds the VIP, and each balancer's state and priority are keepalived's own")
    func shortStorm() throws {
        let lab = try SeedLab("w")
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("\(lab.prefix)-storm.json")
        defer { try? FileManager.default.removeItem(at: report) }
        let driver = HAExplainBinary.packageRoot.appendingPathComponent("Tests/Chaos/storm.py").path
        let run = try Shell.run(["python3", driver, "chaos", "--lab-ready", "--seed", "\(Self.seed)", "--steps", "\(Self.steps)",
                                 "--kinds", Self.kinds.joined(separator: ","), "--bin", HAExplainBinary.path, "--report", report.path],
                                environment: lab.environment, timeout: 600)
        print("storm \(run.stdout.split(separator: "\n").last ?? "")")
        let data = try #require(try? Data(contentsOf: report), "the storm driver wrote no report (seed \(Self.seed)): \(run.stderr)\(run.stdout.suffix(2000))")
        let samples = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["samples"] as? [[String: Any]])
        let judged = samples.filter { ["agree", "disagree", "error"].contains($0["outcome"] as? String) }
        for sample in judged where sample["outcome"] as? String != "agree" {
            Issue.record(Comment(rawValue: "seed \(Self.seed): \(sample["line"] as? String ?? "\(sample)")"))
        }
        // Six answers a round and at least two rounds a step: most must be judged, or the test proves nothing.
        #expect(judged.count >= 6 * 2 * Self.steps / 2, "only \(judged.count) of \(samples.count) answers were judged (seed \(Self.seed))")
        // The driver draws kinds from a shuffled bag: six steps meet all five.
        let stepped = Set(samples.compactMap { ($0["step"] as? [String: Any])?["kind"] as? String })
        #expect(stepped == Set(Self.kinds + ["calm"]), "the sequence met \(stepped.sorted()) (seed \(Self.seed))")
        #expect(run.status == 0, "the storm driver exited \(run.status) (seed \(Self.seed)): \(run.stderr)\(run.stdout.suffix(3000))")
    }
}
