import HAExplainCore
import HAModel
import Testing

/// What a live `vrrp` could not do (--probe's addresses and frames left out) is a limit of the
/// census, with its source, not a problem of the packets.
@Suite struct VRRPCensusLimitTests {
    @Test("printed as limit lines, encoded as limits with their source, absent when there is none; a census written without them reads back")
    func limitsWithTheirSource() throws {
        var report = VRRPCensus().report(source: Source(kind: .packet, detail: "live capture on any"), end: nil)
        let without = try JSONOutput.encode(report, pretty: false)
        #expect(!without.contains("\"limits\"") && !VRRPCensusText.render(report).contains("limit"))
        // A document of this schema version written before limits were added still decodes.
        #expect(try JSONReading.decode(VRRPCensusReport.self, from: Array(without.utf8)).limits == nil)

        let limit = Limit(source: .wire("--probe"), message: "--probe: 2 virtual address(es) heard were not probed (at most 16)")
        report.limits = [limit]
        let text = VRRPCensusText.render(report)
        #expect(text.hasSuffix("limit     \(limit.message)\n") && !text.contains("problem"), "\(text)")
        let json = try JSONOutput.encode(report, pretty: false)
        #expect(try JSONReading.decode(VRRPCensusReport.self, from: Array(json.utf8)).limits == [limit], "\(json)")
    }
}
