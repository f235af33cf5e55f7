import Foundation
import LabSupport
import Testing

/// The JSON Schemas in schemas/: valid 2020-12 schemas, strict enough that a broken document
/// fails (so the check every test runs through Shell.run can fail), and satisfied by every
/// kind of document the seed lab makes haexplain write.
@Suite struct JSONSchemaTests {
    static let schemas = HAExplainBinary.packageRoot.appendingPathComponent("schemas")

    /// A VRRP census document from a capture written byte by byte: no privilege, no network.
    static func censusDocument() throws -> String {
        let frames = (0..<3).map { (frame: PacketBuilder().ethernet, nanoseconds: Int64(1_764_043_032 + $0) * 1_000_000_000) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("hxschema-\(getpid()).pcap")
        try Data(CaptureFileWriter.pcap(linkType: 1, frames)).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try HAExplainBinary.run(["vrrp", "--read", file.path, "--json"])
        guard result.succeeded, !result.stdout.isEmpty else { throw Shell.Failure(command: ["haexplain", "vrrp", "--read", file.path, "--json"], result: result) }
        return result.stdout
    }

    static func edited(_ document: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])
        edit(&object)
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    /// The validator's report for `document`, or nil when it validates.
    static func violation(_ kind: String, _ document: String) throws -> String? {
        do {
            try SchemaCheck.validate(kind: kind, document: document)
            return nil
        } catch let violation as SchemaCheck.Violation {
            return violation.report
        }
    }

    /// The schema_version the schemas describe.
    static func schemaVersion() throws -> Int {
        let common = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemas.appendingPathComponent("common.schema.json"))) as? [String: Any])
        return try #require(((common["$defs"] as? [String: Any])?["schema_version"] as? [String: Any])?["const"] as? Int)
    }

    @Test("every schema is a valid JSON Schema draft 2020-12, one per document kind, all of one schema_version")
    func schemasAreValid() throws {
        let result = try Shell.run([SchemaCheck.python, SchemaCheck.validator, "--check-schemas"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.schemas.path).filter { $0.hasSuffix(".schema.json") }
        #expect(Set(files) == Set((SchemaCheck.kinds.sorted() + SchemaCheck.lineKinds.sorted() + ["common"]).map { "\($0).schema.json" }))
        // The $id base names the schema_version the documents carry (SchemaEnumTests ties that to haexplain's).
        let version = try Self.schemaVersion()
        for file in files {
            let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.schemas.appendingPathComponent(file))) as? [String: Any])
            #expect(schema["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema", "\(file)")
            #expect(schema["$id"] as? String == "https://haexplain.invalid/schemas/\(version)/\(file)", "\(file)")
        }
    }

    @Test("a census from a crafted capture validates; broken copies fail with the JSON path of what is wrong")
    func brokenDocumentsFail() throws {
        let document = try Self.censusDocument()
        #expect(try Self.violation("vrrp", document) == nil)

        // A value outside a closed set.
        let badFamily = try Self.edited(document) { object in
            var routers = object["routers"] as! [[String: Any]]
            routers[0]["family"] = "ipx"
            object["routers"] = routers
        }
        #expect(try Self.violation("vrrp", badFamily)?.contains("$.routers[0].family: 'ipx' is not one of ['inet', 'inet6']") == true)

        // A field the schema does not describe, in a closed object.
        let extraField = try Self.edited(document) { object in
            var source = object["source"] as! [String: Any]
            source["confidence"] = 1
            object["source"] = source
        }
        #expect(try Self.violation("vrrp", extraField)?.contains("$.source: Additional properties are not allowed ('confidence' was unexpected)") == true)

        // A required field missing, an integer that is not one, another schema_version.
        let missing = try Self.edited(document) { $0["capture"] = ($0["capture"] as! [String: Any]).filter { $0.key != "packets" } }
        #expect(try Self.violation("vrrp", missing)?.contains("$.capture: 'packets' is a required property") == true)
        let fractional = try Self.edited(document) { object in
            var routers = object["routers"] as! [[String: Any]]
            routers[0]["vrid"] = 200.5
            object["routers"] = routers
        }
        #expect(try Self.violation("vrrp", fractional)?.contains("$.routers[0].vrid: 200.5 is not of type 'integer'") == true)
        let otherVersion = try Self.edited(document) { $0["schema_version"] = 1 }
        #expect(try Self.violation("vrrp", otherVersion)?.contains("$.schema_version: the document has 1, vrrp.schema.json describes \(try Self.schemaVersion())") == true)

        // A live capture's limits (none in a file's census): each with its source.
        let limit: [String: Any] = ["source": ["kind": "wire", "detail": "--probe"], "message": "--probe: 2 virtual address(es) heard were not probed (at most 16)"]
        #expect(try Self.violation("vrrp", try Self.edited(document) { $0["limits"] = [limit] }) == nil)
        let sourceless = try Self.edited(document) { $0["limits"] = [limit.filter { $0.key != "source" }] }
        #expect(try Self.violation("vrrp", sourceless)?.contains("$.limits[0]: 'source' is a required property") == true)

        // The right document checked as another kind fails too.
        #expect(try Self.violation("addr", document) != nil)
    }

    @Test("which runs of haexplain write a JSON document, and of which kind")
    func documentKinds() {
        #expect(SchemaCheck.documentKind(["ip", "192.168.3.200", "--json"]) == "ip")
        #expect(SchemaCheck.documentKind(["snapshot", "--listen", "2.5s"]) == "snapshot")
        #expect(SchemaCheck.documentKind(["ip", "192.168.3.200"]) == nil)
        #expect(SchemaCheck.documentKind(["vrrp", "--watch", "--json"]) == nil)
        #expect(SchemaCheck.documentKind(["snapshot", "--help"]) == nil)
        #expect(SchemaCheck.documentKind(["--version"]) == nil)
    }
}

/// One document of every kind, from the seed lab, validated explicitly (as well as by the
/// check in Shell.run).
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct JSONSchemaSeedLabTests {
    @Test("ip, check, addr, neigh, keepalived, hosts, vrrp, haproxy and snapshot documents of the seed lab validate against their schemas")
    func everyKindValidates() throws {
        let lab = try SeedLab("js")
        let runs: [(node: String, arguments: [String])] = [
            ("lb0", ["ip", "192.168.3.200", "--json"]),
            ("app", ["ip", "prod-db-internal.panda.com", "--json"]),
            ("lb1", ["check", "192.168.3.200", "--json"]),
            ("lb0", ["addr", "--json"]),
            ("app", ["neigh", "--json"]),
            ("lb0", ["keepalived", "--json"]),
            ("app", ["hosts", "prod-db-both.panda.com", "--json"]),
            ("app", ["vrrp", "--listen", "2.5", "--json"]),
            ("lb0", ["haproxy", "192.168.3.200:3306", "--json"]),
            ("lb0", ["snapshot", "--listen", "2.5s"]),
        ]
        var kinds: Set<String> = []
        for run in runs {
            let result = try lab.haexplain(on: run.node, run.arguments)
            let kind = try #require(SchemaCheck.documentKind(run.arguments))
            #expect(!result.stdout.isEmpty, "\(run.arguments) wrote nothing: \(result.stderr)")
            #expect(try JSONSchemaTests.violation(kind, result.stdout) == nil, "\(run.node): haexplain \(run.arguments.joined(separator: " "))")
            kinds.insert(kind)
        }
        #expect(kinds == SchemaCheck.kinds)

        // An answer explained from all three snapshots (each validated as it is taken).
        try lab.withSnapshots(listening: ["app"]) { files in
            let offline = try HAExplainBinary.run(["ip", "192.168.3.200", "--json"] + files.flatMap { ["--from", $0] })
            #expect(try JSONSchemaTests.violation("ip", offline.stdout) == nil)
        }
    }
}
