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
        #expect(try Self.enumeration("keepalived", "problem", "code") == ProblemCode.allCases.map(\.rawValue))
        #expect(try Self.enumeration("haproxy", "message", "code") == HAProxyProblem.Code.allCases.map(\.rawValue))
        #expect(try Self.enumeration("haproxy", "problem", "code") == HAProxyProblem.Code.allCases.map(\.rawValue))
        #expect(try Self.enumeration("vrrp", "verdict", "code") == VRRPCensusReport.Verdict.Code.allCases.map(\.rawValue))
        #expect(try Self.enumeration("vrrp", "discard", "reason") == VRRPDiscard.allCases.map(\.rawValue))
        #expect(try Self.enumeration("vrrp", "link_verdict", "code") == LinkLayerReport.Verdict.Code.allCases.map(\.rawValue))
        #expect(try Self.enumeration("vrrp", "link_discard", "reason") == LinkClaimDiscard.allCases.map(\.rawValue))
        #expect(try Self.enumeration("vrrp", "link_kind_count", "kind") == LinkClaim.Kind.allCases.map(\.rawValue))
        let watch = try #require(try Self.schema("vrrp-watch")["properties"] as? [String: Any])
        #expect((watch["kind"] as? [String: Any])?["enum"] as? [String] == VRRPWatch.Event.Kind.allCases.map(\.rawValue))
        let ipWatch = try #require(try Self.schema("ip-watch")["properties"] as? [String: Any])
        #expect((ipWatch["kind"] as? [String: Any])?["enum"] as? [String] == IPWatch.Event.Kind.allCases.map(\.rawValue))
    }

    @Test("a source's kinds, the state this host is in and an election candidate's: the schemas list every case")
    func sourceKindsAndStatesMatch() throws {
        #expect(try Self.enumeration("common", "source", "kind") == Source.Kind.allCases.map(\.rawValue))
        #expect(try Self.enumeration("ip", "this_host", "state") == VRRPState.allCases.map(\.rawValue))
        // A candidate is in the state it starts in, or stopped; FAULT shows as no priority.
        #expect(try Self.enumeration("keepalived", "candidate", "state") == VRRPState.allCases.filter { $0 != .fault }.map(\.rawValue))
    }

    @Test("--probe's frame kinds and interface reasons: the schema lists every case")
    func probeEnumerationsMatch() throws {
        #expect(try Self.enumeration("common", "link_probe", "kind") == LinkProbe.Kind.allCases.map(\.rawValue))
        #expect(try Self.enumeration("common", "link_probe", "reason") == LinkProbe.Reason.allCases.map(\.rawValue))
    }

    @Test("the schemas' schema_version is the one haexplain writes")
    func versionMatches() throws {
        let defs = try #require(try Self.schema("common")["$defs"] as? [String: Any])
        #expect((defs["schema_version"] as? [String: Any])?["const"] as? Int == SchemaVersion.current)
        for kind in ["ip", "check", "keepalived", "hosts", "vrrp", "vrrp-watch", "ip-watch", "haproxy", "snapshot"] {
            let properties = try #require(try Self.schema(kind)["properties"] as? [String: Any])
            #expect((properties["schema_version"] as? [String: Any])?["const"] as? Int == SchemaVersion.current, "\(kind)")
        }
    }
}
