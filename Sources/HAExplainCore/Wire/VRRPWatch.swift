import HAModel
import VRRP

/// `vrrp --watch`: what changed on the wire since the last look, as events, from successive
/// census reports of one live capture. Pure: the census decides who is master and what is a
/// split brain; this only says when its answer changes. Memory is bounded by the routers and
/// senders the census keeps.
public struct VRRPWatch {
    public struct Event: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable, CaseIterable {
            /// A sender became master (the first heard, a takeover or a preemption).
            case master
            case priorityChanged = "priority_changed"
            /// A priority-0 advert: the master gave up.
            case resigned
            /// The master fell silent for longer than its master-down interval.
            case lost
            /// A sender was heard for the first time.
            case senderAppeared = "sender_appeared"
            /// A sender heard before is silent for longer than its master-down interval.
            case senderSilent = "sender_silent"
            case splitBrainBegan = "split_brain_began"
            /// No two senders advertise at once any more.
            case splitBrainEnded = "split_brain_ended"
            /// Another verdict the census reached (VRID collision, interval or auth mismatch, discards, ...).
            case verdict
        }
        public var schemaVersion = SchemaVersion.current
        public var kind: Kind
        public var time: PacketTime
        public var interface: String?
        public var vlans: [Int]
        public var family: AddressFamily
        public var vrid: Int
        public var address: IPAddress?
        public var priority: Int?
        public var packet: Int?
        public var message: String

        enum CodingKeys: String, CodingKey {
            case schemaVersion = "schema_version", kind, time, interface, vlans, family, vrid, address, priority, packet, message
        }
    }

    struct RouterID: Hashable {
        var interface: String?
        var vlans: [Int]
        var family: AddressFamily
        var vrid: Int
    }

    struct EventKey: Hashable {
        var kind: VRRPCensusReport.Event.Kind
        var packet: Int
        var address: IPAddress
        var time: PacketTime
    }

    private var emitted: [RouterID: Set<EventKey>] = [:]
    private var senders: [RouterID: Set<IPAddress>] = [:]
    private var silent: [RouterID: Set<IPAddress>] = [:]
    private var verdicts: [RouterID: Set<VerdictKey>] = [:]
    private var splitting: Set<RouterID> = []

    struct VerdictKey: Hashable {
        var code: VRRPCensusReport.Verdict.Code
        var source: String
    }

    public init() {}

    /// The events between the previous report and `report`, taken at `now`, oldest first.
    public mutating func events(from report: VRRPCensusReport, now: PacketTime) -> [Event] {
        var out: [Event] = []
        for router in report.routers {
            let id = RouterID(interface: router.interface, vlans: router.vlans, family: router.family, vrid: router.vrid)
            func event(_ kind: Event.Kind, _ time: PacketTime, address: IPAddress? = nil, priority: Int? = nil,
                       packet: Int? = nil, _ message: String) -> Event {
                Event(kind: kind, time: time, interface: router.interface, vlans: router.vlans, family: router.family,
                      vrid: router.vrid, address: address, priority: priority, packet: packet,
                      message: "\(Self.name(id)): \(message)")
            }
            var known = senders[id] ?? []
            for sender in router.senders where !known.contains(sender.address) {
                known.insert(sender.address)
                out.append(event(.senderAppeared, sender.firstSeen, address: sender.address, priority: sender.priority,
                                 packet: sender.firstPacket, "\(sender.address) advertises at priority \(sender.priority)"))
            }
            senders[id] = known

            // The census's own events, each once (the report's list is bounded, and so is this set).
            let previous = emitted[id] ?? []
            var current: Set<EventKey> = []
            for census in router.events {
                let key = EventKey(kind: census.kind, packet: census.packet, address: census.address, time: census.time)
                current.insert(key)
                guard !previous.contains(key) else { continue }
                out.append(Self.translate(census, event))
            }
            emitted[id] = current

            var quiet = silent[id] ?? []
            for sender in router.senders {
                let down = sender.lastSeen.adding(centiseconds: Self.masterDown(sender))
                if now > down, sender.priority > 0, !quiet.contains(sender.address) {
                    quiet.insert(sender.address)
                    out.append(event(.senderSilent, down, address: sender.address, priority: sender.priority, packet: sender.lastPacket,
                                     "\(sender.address) has not advertised since \(sender.lastSeen)"))
                } else if now <= down {
                    quiet.remove(sender.address)
                }
            }
            silent[id] = quiet

            // Each verdict once: the census names a new split brain by its first packets, so a
            // second episode is a new event; it ends when at most one sender still advertises.
            var seen = verdicts[id] ?? []
            for verdict in router.verdicts where verdict.code != .masterChanged {
                let key = VerdictKey(code: verdict.code, source: verdict.source.description)
                guard !seen.contains(key) else { continue }
                seen.insert(key)
                if verdict.code == .splitBrain { splitting.insert(id) }
                out.append(event(verdict.code == .splitBrain ? .splitBrainBegan : .verdict, now, "\(verdict.code.rawValue): \(verdict.message)"))
            }
            verdicts[id] = seen
            let advertising = router.senders.filter { $0.priority > 0 && now <= $0.lastSeen.adding(centiseconds: Self.masterDown($0)) }
            if splitting.contains(id), advertising.count < 2 {
                splitting.remove(id)
                out.append(event(.splitBrainEnded, now, "split brain over: \(advertising.first.map { "only \($0.address) advertises" } ?? "nobody advertises")"))
            }
        }
        return out.sorted { $0.time < $1.time }
    }

    static func translate(_ census: VRRPCensusReport.Event,
                          _ event: (Event.Kind, PacketTime, IPAddress?, Int?, Int?, String) -> Event) -> Event {
        switch census.kind {
        case .master:
            let was = census.previousAddress.map { ", was \($0)" } ?? ""
            return event(.master, census.time, census.address, census.priority, census.packet,
                         "\(census.address) is master at priority \(census.priority)\(was)")
        case .priorityChanged:
            return event(.priorityChanged, census.time, census.address, census.priority, census.packet,
                         "master \(census.address) now advertises priority \(census.priority)\(census.previous.map { ", was \($0)" } ?? "")")
        case .resigned:
            return event(.resigned, census.time, census.address, 0, census.packet, "\(census.address) resigned (priority 0)")
        case .lost:
            return event(.lost, census.time, census.address, census.priority, census.packet,
                         "master \(census.address) fell silent: backups take over after the master-down interval")
        }
    }

    /// RFC 3768/5798's master-down interval, in centiseconds, for a sender's interval and priority.
    static func masterDown(_ sender: VRRPCensusReport.Sender) -> Int {
        let interval = Int((sender.advertInt * 100).rounded())
        return 3 * interval + (256 - sender.priority) * interval / 256
    }

    static func name(_ id: RouterID) -> String {
        var text = "VRID \(id.vrid)"
        if id.family == .inet6 { text += " (IPv6)" }
        if let interface = id.interface { text += " on \(interface)" }
        if !id.vlans.isEmpty { text += " VLAN \(id.vlans.map(String.init).joined(separator: "."))" }
        return text
    }

    /// One line of `vrrp --watch` text.
    public static func line(_ event: Event) -> String {
        "\(event.time) \(event.kind.rawValue) \(event.message)" + (event.packet.map { " [packet #\($0)]" } ?? "")
    }
}

/// `vrrp --watch` on a terminal: a screen redrawn in place, as mtr does, with one row per
/// virtual router (its LAN, master, priority, senders heard, verdicts) and the latest events
/// below. Pure: the caller clears the screen and writes it.
public enum VRRPWatchScreen {
    public static func render(_ report: VRRPCensusReport, recent: [VRRPWatch.Event], now: PacketTime, limit: Int = 10) -> String {
        var out = "haexplain vrrp --watch  \(now)  \(report.capture.adverts) adverts  (Ctrl-C ends and prints the census)\n\n"
        let header = ["VRID", "LAN", "MASTER", "PRIO", "SENDERS", "VERDICTS"]
        var rows: [[String]] = []
        for router in report.routers {
            let lan = (router.interface ?? "-") + (router.vlans.isEmpty ? "" : " VLAN " + router.vlans.map(String.init).joined(separator: "."))
            let master = router.master.map { $0.address.description + ($0.inOwnEyesOnly ? " (own eyes)" : "") } ?? "none"
            let verdicts = router.verdicts.map(\.code.rawValue).filter { $0 != "master_changed" }
            rows.append([String(router.vrid) + (router.family == .inet6 ? " v6" : ""), lan, master,
                         router.master.map { String($0.priority) } ?? "-", String(router.senders.count),
                         verdicts.isEmpty ? "-" : verdicts.joined(separator: ",")])
        }
        for host in report.carpHosts {
            rows.append(["\(host.vhid) carp", host.interface ?? "-", host.master.map { $0.address.description } ?? "none", "-", String(host.senders.count), "carp"])
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for row in [header] + rows {
            out += row.indices.map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
                .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        if rows.isEmpty { out += "(no advert heard yet)\n" }
        if !recent.isEmpty {
            out += "\nlatest events (showing \(min(limit, recent.count)) of \(recent.count)):\n"
            for event in recent.suffix(limit) { out += "  " + VRRPWatch.line(event) + "\n" }
        }
        return TerminalText.escaped(out, keepingNewlines: true)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
