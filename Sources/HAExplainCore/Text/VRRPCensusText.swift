import HAModel
import VRRP

/// The census for people: one block per virtual router, master first, then every sender,
/// the timeline and the verdicts. It prints the report's facts and computes none.
public enum VRRPCensusText {
    public static func render(_ report: VRRPCensusReport) -> String {
        var out = "source    \(report.source)\n"
        let capture = report.capture
        out += "packets   \(capture.packets) read, \(capture.adverts) VRRP advert(s), \(capture.malformed) malformed"
        if capture.carpAdverts > 0 { out += ", \(capture.carpAdverts) CARP advert(s)" }
        if let start = capture.start, let end = capture.end {
            out += ", \(start) .. \(end)"
        }
        out += "\n"
        if let listening = capture.listening {
            out += "listened  \(format(listening.seconds)) s of at most \(format(listening.limit)) s: \(listening.explanation)\n"
        }
        for probe in capture.probes ?? [] { out += "probed    \(TerminalText.escaped(probe.sentence))\n" }
        if report.routers.isEmpty {
            out += "no VRRP adverts seen\n"
        }
        for router in report.routers {
            out += "\nVRID \(router.vrid)  \(router.family == .inet ? "IPv4" : "IPv6")"
            out += router.interface.map { "  on \($0)" } ?? ""
            out += router.vlans.isEmpty ? "" : "  VLAN \(router.vlans.map(String.init).joined(separator: "."))"
            out += router.version.map { "  VRRPv\($0)" } ?? ""
            out += "\n"
            if let master = router.master {
                out += "  master    \(master.address)\(master.mac.map { " (\($0))" } ?? "") priority \(master.priority)"
                out += master.inOwnEyesOnly ? " (in its own eyes: its VRRPv3 checksum leaves out the pseudo-header, so RFC receivers such as keepalived discard its adverts)" : ""
                out += "  [packet \(master.source.detail ?? "")]\n"
            } else {
                out += "  master    none advertising at the end of the capture\n"
            }
            for sender in router.senders {
                out += "  sender    \(sender.address)\(sender.mac.map { " (\($0))" } ?? "")  v\(sender.version) priority \(sender.priority)"
                out += " advert_int \(format(sender.advertInt)) s auth \(sender.authType ?? "none")"
                out += sender.authFingerprint.map { " \($0)" } ?? ""
                out += " ttl \(sender.ttl)\n"
                out += "            \(sender.count) advert(s), packets #\(sender.firstPacket)..#\(sender.lastPacket), \(sender.firstSeen) .. \(sender.lastSeen)\n"
                out += "            virtual addresses: \(sender.virtualAddresses.isEmpty ? "none" : sender.virtualAddresses.map(\.description).joined(separator: " "))\n"
                for discard in sender.discarded {
                    out += "            discarded: \(discard.count) \(discard.reason.rawValue), packets #\(discard.firstPacket)..#\(discard.lastPacket)\n"
                }
            }
            if router.eventsDropped > 0 {
                out += "  events    showing the last \(router.events.count) of \(router.events.count + router.eventsDropped)\n"
            }
            for event in router.events {
                out += "  event     \(event.time)  #\(event.packet)  "
                switch event.kind {
                case .master:
                    out += "\(event.address) master at priority \(event.priority)"
                    out += event.previousAddress.map { " (was \($0))" } ?? ""
                case .priorityChanged:
                    out += "\(event.address) priority \(event.previous.map(String.init) ?? "?") -> \(event.priority)"
                case .resigned:
                    out += "\(event.address) resigned (priority 0)"
                case .lost:
                    out += "\(event.address) stopped advertising (its next advert overdue)"
                }
                out += "\n"
            }
            out += verdictLines(router.verdicts)
        }
        for host in report.carpHosts {
            out += "\nCARP vhid \(host.vhid)  \(host.family == .inet ? "IPv4" : "IPv6")"
            out += host.interface.map { "  on \($0)" } ?? ""
            out += host.vlans.isEmpty ? "" : "  VLAN \(host.vlans.map(String.init).joined(separator: "."))"
            out += "\n"
            if let master = host.master {
                out += "  master    \(master.address)\(master.mac.map { " (\($0))" } ?? "") advbase \(master.advbase) advskew \(master.advskew)  [packet #\(master.lastPacket)]\n"
            } else {
                out += "  master    none advertising at the end of the capture\n"
            }
            for sender in host.senders {
                out += "  sender    \(sender.address)\(sender.mac.map { " (\($0))" } ?? "")  CARPv\(sender.version) advbase \(sender.advbase) s advskew \(sender.advskew) demotion \(sender.demotion)\n"
                out += "            \(sender.count) advert(s), packets #\(sender.firstPacket)..#\(sender.lastPacket), \(sender.firstSeen) .. \(sender.lastSeen)\n"
            }
            out += verdictLines(host.verdicts)
        }
        if let linkLayer = report.linkLayer { out += LinkLayerText.render(linkLayer) }
        for problem in report.problems {
            out += "problem   \(problem.packet.map { "packet #\($0): " } ?? "")\(problem.message)\n"
        }
        for limit in report.limits ?? [] { out += "limit     \(TerminalText.escaped(limit.text))\n" }
        return out
    }
}

func verdictLines(_ verdicts: [VRRPCensusReport.Verdict]) -> String {
    verdicts.map { "  \($0.code.rawValue.padding(to: 9))\($0.message) [\($0.source)]\n" }.joined()
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
