import Foundation
import HAExplainCore
import HAModel
import HAProxyConfig
import KeepalivedConfig
import LabSupport
import Testing
import VRRP

/// The closed sets in schemas/ list every code the encoder can write, and the schemas'
/// schema_version is the one haexplain writes: a new code or version shows up here by name,
/// not as a document failing validation somewhere else. (A schema may list a few more: codes
/// of branches still in flight, named in its $comment, so their merge stays green.)
@Suite struct SchemaEnumTests {
    static func schema(_ name: String) throws -> [String: Any] {
        let url = HAExplainBinary.packageRoot.appendingPathComponent("schemas/\(name).schema.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    /// The `enum` of property `property` of definition `definition`.
    static func enumeration(_ name: String, _ definition: String, _ property: String) throws -> [String] {
        let defs = try #require(try schema(name)["$defs"] as? [String: Any])
        let object = try #require(defs[definition] as? [String: Any])
        let properties = try #require(object["properties"] as? [String: Any])
        return try #require((properties[property] as? [String: Any])?["enum"] as? [String])
    }

    @Test("keepalived problem codes, haproxy problem codes, VRRP verdict codes and discard reasons: the schemas list every case")
    func codesMatch() throws {
        func unlisted(_ written: [String], _ name: String, _ definition: String, _ property: String) throws -> [String] {
            let listed = Set(try Self.enumeration(name, definition, property))
            return written.filter { !listed.contains($0) }
        }
        #expect(try unlisted(ProblemCode.allCases.map(\.rawValue), "keepalived", "problem", "code") == [])
        #expect(try unlisted(HAProxyProblem.Code.allCases.map(\.rawValue), "haproxy", "message", "code") == [])
        #expect(try unlisted(HAProxyProblem.Code.allCases.map(\.rawValue), "haproxy", "problem", "code") == [])
        #expect(try unlisted(VRRPCensusReport.Verdict.Code.allCases.map(\.rawValue), "vrrp", "verdict", "code") == [])
        #expect(try unlisted(VRRPDiscard.allCases.map(\.rawValue), "vrrp", "discard", "reason") == [])
        // And nothing listed that no branch writes: the only extras are the in-flight ones.
        #expect(Set(try Self.enumeration("vrrp", "verdict", "code")) == Set(VRRPCensusReport.Verdict.Code.allCases.map(\.rawValue)))
        // Branch kad renames weight-ignored-in-sync-group to weight-ignored.
        #expect(Set(try Self.enumeration("keepalived", "problem", "code")).subtracting(ProblemCode.allCases.map(\.rawValue))
                .isSubset(of: ["weight-ignored", "weight-ignored-in-sync-group"]))
        #expect(Set(try Self.enumeration("haproxy", "message", "code")).subtracting(HAProxyProblem.Code.allCases.map(\.rawValue))
                .isSubset(of: ["duplicate-id", "missing-stick-table", "backend-loop", "defaults-rules-inheritance", "duplicate-setting",
                               "no-bind", "missing-timeouts"]))
    }

    @Test("the schemas' schema_version is the one haexplain writes")
    func versionMatches() throws {
        let defs = try #require(try Self.schema("common")["$defs"] as? [String: Any])
        #expect((defs["schema_version"] as? [String: Any])?["const"] as? Int == SchemaVersion.current)
        for kind in ["ip", "check", "keepalived", "hosts", "vrrp", "haproxy", "snapshot"] {
            let properties = try #require(try Self.schema(kind)["properties"] as? [String: Any])
            #expect((properties["schema_version"] as? [String: Any])?["const"] as? Int == SchemaVersion.current, "\(kind)")
        }
    }
}
