import Foundation
import LabSupport

/// The seed's two balancers and an application server, built by demo/lab.sh (the same lab
/// `make demo` shows) under a prefix of this test's own, and torn down when it ends.
final class SeedLab: @unchecked Sendable {
    let prefix: String
    let state: String
    static let script = HAExplainBinary.packageRoot.appendingPathComponent("demo/lab.sh").path
    nonisolated(unsafe) private static var counter = 0
    private static let lock = NSLock()

    /// `family` starts the namespaces' names (a task's own, so its labs are told from others').
    init(_ role: String, family: String = "hxl") throws {
        let number: Int = SeedLab.lock.withLock { SeedLab.counter += 1; return SeedLab.counter }
        prefix = "\(family)\(getpid() % 100000)\(number)\(role)"
        state = "/var/tmp/\(prefix)-lab"
        try lab(["up"])
    }

    deinit { _ = try? lab(["down"]) }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LAB_PREFIX"] = prefix
        environment["LAB_STATE"] = state
        return environment
    }

    @discardableResult
    func lab(_ arguments: [String], timeout: TimeInterval = 60) throws -> Shell.Result {
        let result = try Shell.run(["bash", SeedLab.script] + arguments, environment: environment, timeout: timeout)
        guard result.succeeded else { throw Shell.Failure(command: ["lab.sh"] + arguments, result: result) }
        return result
    }

    /// Runs haexplain on `node` (lb0, lb1, app) inside its namespaces.
    func haexplain(on node: String, _ arguments: [String]) throws -> Shell.Result {
        try Shell.run(["bash", SeedLab.script, "run", node, HAExplainBinary.path] + arguments, environment: environment, timeout: 60)
    }

    /// `haexplain ip ... --json` on `node`: the exit status and the parsed report.
    func ip(on node: String, _ arguments: [String]) throws -> (status: Int32, report: [String: Any]) {
        let result = try haexplain(on: node, ["ip"] + arguments + ["--json"])
        guard let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Shell.Failure(command: ["haexplain", "ip"] + arguments, result: result)
        }
        return (result.status, report)
    }

    /// `haexplain snapshot` on each node, written to files in a fresh directory that `body`
    /// gets the paths of; the directory is removed afterwards.
    /// `listening` nodes take theirs with `snapshot --listen 2.5s`, so they carry the wire.
    func withSnapshots<T>(_ nodes: [String] = ["lb0", "lb1", "app"], listening: Set<String> = [], listenFor: String = "2.5s",
                          _ body: ([String]) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-snapshots-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [String] = []
        for node in nodes {
            let snapshot = try haexplain(on: node, ["snapshot"] + (listening.contains(node) ? ["--listen", listenFor] : []))
            guard snapshot.succeeded else { throw Shell.Failure(command: ["haexplain", "snapshot", "on", node], result: snapshot) }
            let file = directory.appendingPathComponent("\(node).json").path
            try snapshot.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        return try body(files)
    }

    func run(on node: String, _ argv: [String]) throws -> Shell.Result {
        try Shell.run(["bash", SeedLab.script, "run", node] + argv, environment: environment, timeout: 60)
    }
}

/// Reading the JSON of one answer.
struct Answer {
    let json: [String: Any]

    init(_ report: [String: Any], _ index: Int = 0) {
        json = (report["answers"] as? [[String: Any]])?[safe: index] ?? [:]
    }

    var verdict: [String: Any] { json["verdict"] as? [String: Any] ?? [:] }
    var owner: String? { verdict["owner"] as? String }
    var ownerAddress: String? { verdict["owner_address"] as? String }
    var ownerMac: String? { verdict["owner_mac"] as? String }
    var ownerHost: String? { verdict["owner_host"] as? String }
    var vrid: Int? { verdict["vrid"] as? Int }
    var thisHost: [String: Any]? { json["this_host"] as? [String: Any] }
    var whatif: [[String: Any]] { json["whatif"] as? [[String: Any]] ?? [] }
    var warnings: [String] { json["warnings"] as? [String] ?? [] }
    var notes: [String] { json["notes"] as? [String] ?? [] }
    var nameNotes: [String] { json["name_notes"] as? [String] ?? [] }
    var names: [[String: Any]] { json["names"] as? [[String: Any]] ?? [] }
    var evidence: [[String: Any]] { json["evidence"] as? [[String: Any]] ?? [] }
    var address: String? { json["address"] as? String }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
