import Foundation
import HAExplainCore
import HAModel
import HostGathering
import KeepalivedConfig
import Testing

/// `ip`'s path from snapshots to an answer, decided without root: which hosts are in view,
/// when the wire is listened to, how a name becomes addresses.
@Suite("How ip answers from the hosts in view")
final class IPAnsweringTests {
    /// Each test's own files (Swift Testing makes an instance per test), removed after it.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxgather-ip-\(getpid())-\(UUID().uuidString)")

    deinit { try? FileManager.default.removeItem(at: directory) }

    func write(_ name: String, _ text: String) throws -> String {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// A balancer's snapshot: its keepalived.conf (the seed's) and a hosts file naming the VIP.
    func snapshot(_ host: String, node: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("demo/seed/\(node).keepalived.conf").path
        let files = InMemoryConfigFiles(bytes: [path: Array(try Data(contentsOf: URL(fileURLWithPath: path)))])
        let config = try KeepalivedParser.parse(path: path, files: files, configID: node)
        let snapshot = HostSnapshot(hostname: host, takenAt: "2026-12-01T12:00:00Z", haexplainVersion: "test", netns: nil, addresses: nil,
                                    keepalived: KeepalivedSnapshot(configuration: config, chosenBecause: "test"),
                                    nameService: NameServiceFiles(hostsPath: "/etc/hosts", hosts: "192.168.3.200 db.panda.test\n", nsswitch: nil, hostConf: nil))
        return try write("\(host).json", try JSONOutput.encode(snapshot, pretty: false))
    }

    static func request(_ query: String, from snapshots: [String]) -> IPRequest {
        var request = IPRequest(query: query, thisHost: GatherRequest(netns: nil))
        request.snapshots = snapshots
        return request
    }

    @Test("from snapshots alone this host is not examined and the wire is not listened to: the limit says how to include it")
    func snapshotsOnly() throws {
        let paths = [try snapshot("lb0", node: "prod-haproxy-000"), try snapshot("lb1", node: "prod-haproxy-001")]
        var listened = false
        let report = try IPAnswering.explain(Self.request("192.168.3.200", from: paths), version: "test") { _, _, _, _ throws(HAError) in
            listened = true
            return nil
        }
        #expect(!listened)
        #expect(report.answers.map(\.address) == [try #require(IPAddress("192.168.3.200"))])
        #expect(report.listened == nil)
        #expect(report.limits.contains { $0.source == .liveCapture && $0.message.contains("the answer comes from snapshots") }, "\(report.limits.map(\.message))")
        // Not heard, yet not check's "unobserved": nothing here was to listen. Had this host been
        // asked to, the same report would be.
        let fromSnapshots = Self.request("192.168.3.200", from: paths)
        #expect(!fromSnapshots.listensToTheWire)
        #expect(!MonitoringCheck.evaluate(report, listeningAsked: fromSnapshots.listensToTheWire).line.contains("the wire was not observed"))
        var here = Self.request("192.168.3.200", from: [])
        #expect(here.listensToTheWire)
        #expect(MonitoringCheck.evaluate(report, listeningAsked: here.listensToTheWire).line.contains("the wire was not observed"))
        here.noListen = true
        #expect(!here.listensToTheWire)
    }

    @Test("a name is resolved in each snapshot's own hosts file; a name nobody resolves is a limit and no answer, without listening")
    func namesFromSnapshots() throws {
        let paths = [try snapshot("lb0", node: "prod-haproxy-000")]
        let named = try IPAnswering.explain(Self.request("db.panda.test", from: paths), version: "test") { _, _, _, _ throws(HAError) in nil }
        #expect(named.answers.map(\.address.description) == ["192.168.3.200"])
        let claim = try #require(named.answers.first?.names.first)
        #expect(claim.name == "db.panda.test" && claim.returned && claim.source.description.contains("lb0"), "\(claim)")
        let unknown = try IPAnswering.explain(Self.request("nowhere.panda.test", from: paths), version: "test") { _, _, _, _ throws(HAError) in
            Issue.record("listened for a name that resolves to nothing")
            return nil
        }
        #expect(unknown.answers.isEmpty)
        #expect(unknown.limits.contains { $0.message.hasPrefix("nowhere.panda.test does not resolve to any address here") }, "\(unknown.limits.map(\.message))")
    }

    @Test("--ask-keepalived from snapshots says that keepalived's word is what each snapshot carries")
    func askingFromSnapshots() throws {
        var request = Self.request("192.168.3.200", from: [try snapshot("lb0", node: "prod-haproxy-000")])
        request.thisHost.askKeepalived = true
        let report = try IPAnswering.explain(request, version: "test") { _, _, _, _ throws(HAError) in nil }
        #expect(report.limits.contains { $0.message.hasPrefix("--ask-keepalived: explaining from snapshots") }, "\(report.limits.map(\.message))")
    }
}
