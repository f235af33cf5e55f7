import HAModel
import VRRP

/// The link-layer census for people: one block per address that matters, every MAC that
/// claimed it, then the verdicts. It prints the report's facts and computes none.
public enum LinkLayerText {
    public static func render(_ report: LinkLayerReport) -> String {
        var out = "\nlink layer  \(report.packets) ARP/NDP packet(s), \(report.malformed) malformed"
        if report.otherAddresses > 0 { out += ", \(report.otherAddresses) other address(es) not shown" }
        out += "\n"
        if report.addresses.isEmpty {
            out += "  no ARP/NDP packet about the addresses that matter\n"
        }
        for address in report.addresses {
            out += "  \(address.address)"
            if !address.counts.isEmpty {
                out += "  " + address.counts.map { "\($0.count) \($0.kind.rawValue)" }.joined(separator: ", ")
            }
            out += "\n"
            if address.claimants.isEmpty { out += "    claimed   by nobody on the wire\n" }
            for claimant in address.claimants {
                out += "    claimed   by \(claimant.mac)"
                out += claimant.node.map { " (\($0))" } ?? ""
                var how: [String] = []
                if claimant.announcements > 0 { how.append("\(claimant.announcements) announcement(s)") }
                if claimant.replies > 0 { how.append("\(claimant.replies) repl(ies)") }
                if claimant.asked > 0 { how.append("asked from it \(claimant.asked) time(s)") }
                out += ": " + how.joined(separator: ", ")
                out += ", packets #\(claimant.firstPacket)..#\(claimant.lastPacket), \(claimant.firstSeen) .. \(claimant.lastSeen)"
                if !claimant.frameSources.isEmpty {
                    out += ", sent from \(claimant.frameSources.map(\.description).joined(separator: " "))"
                }
                out += "\n"
            }
            for discard in address.discarded {
                out += "    discarded \(discard.count) \(discard.reason.rawValue), packets #\(discard.firstPacket)..#\(discard.lastPacket)\n"
            }
            for verdict in address.verdicts {
                out += "    \(verdict.code.rawValue) \(verdict.message) [\(verdict.source)]\n"
            }
        }
        for problem in report.problems {
            out += "  problem   \(problem.packet.map { "packet #\($0): " } ?? "")\(problem.message)\n"
        }
        return out
    }
}
