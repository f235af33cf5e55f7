import HAModel
import VRRP

/// The census as `haexplain vrrp` prints it: the same value is encoded as JSON and rendered
/// as text.
public struct VRRPCensusReport: Codable, Sendable {
    public var schemaVersion = SchemaVersion.current
    public var source: Source
    public var capture: Capture
    public var routers: [Router]
    /// CARP virtual hosts (ucarp, OpenBSD) heard on protocol 112: another protocol, never a VRRP router.
    public var carpHosts: [CARPHost] = []
    public var problems: [Problem]
    /// What a live capture could not do, with its source (--probe's addresses and frames left
    /// out); nil when there is none, and in documents written before it was added.
    public var limits: [Limit]? = nil
    /// Who claimed the virtual addresses on the link (ARP/NDP); nil when the capture held no
    /// ARP or NDP packet and was not set up to see any.
    public var linkLayer: LinkLayerReport? = nil

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", source, capture, routers, carpHosts = "carp_hosts", problems, limits
        case linkLayer = "link_layer"
    }

    public struct Capture: Codable, Sendable {
        public var packets: Int
        public var adverts: Int
        public var carpAdverts = 0
        public var malformed: Int
        public var start: PacketTime?
        public var end: PacketTime?
        public var truncated: Bool
        /// How long a live capture listened and why it stopped (nil for a file).
        public var listening: Listening? = nil
        /// The frames --probe sent while listening (nil when it was not asked); the replies
        /// are among the packets.
        public var probes: [LinkProbe]? = nil

        enum CodingKeys: String, CodingKey {
            case packets, adverts, carpAdverts = "carp_adverts", malformed, start, end, truncated, listening, probes
        }
    }

    /// A live capture's length and the reason it ended.
    public struct Listening: Codable, Sendable, Equatable {
        public enum Reason: String, Codable, Sendable {
            /// Every router that matters was heard, after an advert interval (and a tenth) of listening, with no conflict pending.
            case answered
            /// The --listen bound passed.
            case timeUp = "time_up"
            case interrupted
        }
        public var seconds: Double
        public var limit: Double
        public var reason: Reason
        public var explanation: String
        /// Listening ended while two senders of a router that matters still advertised as
        /// master: when a split brain and a master change would have been told apart
        /// (`WireSufficiency.decidedBy`). Nil when nothing was left undecided.
        public var undecidedUntil: PacketTime?

        public init(seconds: Double, limit: Double, reason: Reason, explanation: String, undecidedUntil: PacketTime? = nil) {
            self.seconds = seconds
            self.limit = limit
            self.reason = reason
            self.explanation = explanation
            self.undecidedUntil = undecidedUntil
        }

        enum CodingKeys: String, CodingKey { case seconds, limit, reason, explanation, undecidedUntil = "undecided_until" }
    }

    public struct Problem: Codable, Sendable, Equatable {
        public var packet: Int?
        public var message: String

        public init(packet: Int?, message: String) {
            self.packet = packet
            self.message = message
        }
    }

    public struct Router: Codable, Sendable {
        /// The capture link (interface) the adverts came in on; nil for a single-link file.
        public var interface: String?
        /// 802.1Q VLAN IDs, outermost first; empty when untagged.
        public var vlans: [Int]
        public var family: AddressFamily
        public var vrid: Int
        public var version: Int?
        public var master: Master?
        public var senders: [Sender] = []
        public var events: [Event] = []
        public var eventsDropped = 0
        public var verdicts: [Verdict] = []
        /// Its split brains, for the link-layer judge (not encoded: the split_brain verdicts say it).
        public var splits: [LinkLayerContext.Split] = []
        /// When each sender advertised as master (for the link-layer judge; not encoded).
        public var acting: [LinkLayerContext.Acting] = []

        init(interface: String?, vlans: [Int] = [], family: AddressFamily, vrid: Int) {
            self.interface = interface
            self.vlans = vlans
            self.family = family
            self.vrid = vrid
        }

        enum CodingKeys: String, CodingKey {
            case interface, vlans, family, vrid, version, master, senders, events, eventsDropped = "events_dropped", verdicts
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(interface, forKey: .interface)
            try container.encode(vlans, forKey: .vlans)
            try container.encode(family, forKey: .family)
            try container.encode(vrid, forKey: .vrid)
            try container.encode(version, forKey: .version)
            try container.encode(master, forKey: .master)
            try container.encode(senders, forKey: .senders)
            try container.encode(events, forKey: .events)
            try container.encode(eventsDropped, forKey: .eventsDropped)
            try container.encode(verdicts, forKey: .verdicts)
        }

        public func has(_ code: Verdict.Code) -> Bool { verdicts.contains { $0.code == code } }
    }

    public struct Master: Codable, Sendable, Equatable {
        public var address: IPAddress
        public var mac: MACAddress?
        public var priority: Int
        public var source: Source
        /// True when RFC receivers discard its adverts (a VRRPv3 checksum without the
        /// pseudo-header): it holds the addresses as master in its own eyes (and in those of
        /// peers computing the checksum its way), never in keepalived's.
        public var inOwnEyesOnly = false

        enum CodingKeys: String, CodingKey {
            case address, mac, priority, source, inOwnEyesOnly = "in_own_eyes_only"
        }
    }

    /// Adverts from one sender that RFC receivers discard, for one reason.
    public struct Discard: Codable, Sendable, Equatable {
        public var reason: VRRPDiscard
        public var count: Int
        public var firstPacket: Int
        public var lastPacket: Int

        enum CodingKeys: String, CodingKey {
            case reason, count, firstPacket = "first_packet", lastPacket = "last_packet"
        }
    }

    public struct Sender: Codable, Sendable {
        public var address: IPAddress
        public var mac: MACAddress?
        public var version: Int
        public var priority: Int
        /// Seconds, from centiseconds on the wire (VRRPv2 whole seconds).
        public var advertInt: Double
        public var authType: String?
        public var authFingerprint: String?
        public var virtualAddresses: [IPAddress]
        public var count: Int
        public var firstSeen: PacketTime
        public var lastSeen: PacketTime
        public var ttl: Int
        public var badTTL: Int
        public var badChecksum: Int
        public var discarded: [Discard] = []
        public var firstPacket: Int
        public var lastPacket: Int

        enum CodingKeys: String, CodingKey {
            case address, mac, version, priority, advertInt = "advert_int", authType = "auth_type"
            case authFingerprint = "auth_fingerprint", virtualAddresses = "virtual_addresses", count
            case firstSeen = "first_seen", lastSeen = "last_seen", ttl, badTTL = "bad_ttl"
            case badChecksum = "bad_checksum", discarded, firstPacket = "first_packet", lastPacket = "last_packet"
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(address, forKey: .address)
            try container.encode(mac, forKey: .mac)
            try container.encode(version, forKey: .version)
            try container.encode(priority, forKey: .priority)
            try container.encode(advertInt, forKey: .advertInt)
            try container.encode(authType, forKey: .authType)
            try container.encode(authFingerprint, forKey: .authFingerprint)
            try container.encode(virtualAddresses, forKey: .virtualAddresses)
            try container.encode(count, forKey: .count)
            try container.encode(firstSeen, forKey: .firstSeen)
            try container.encode(lastSeen, forKey: .lastSeen)
            try container.encode(ttl, forKey: .ttl)
            try container.encode(badTTL, forKey: .badTTL)
            try container.encode(badChecksum, forKey: .badChecksum)
            try container.encode(discarded, forKey: .discarded)
            try container.encode(firstPacket, forKey: .firstPacket)
            try container.encode(lastPacket, forKey: .lastPacket)
        }
    }

    public struct Event: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            /// This sender is (now) the master: the first advert seen, or it took over.
            case master
            /// The master's advertised priority changed (a tracked script or interface).
            case priorityChanged = "priority_changed"
            /// A priority-0 advert: the sender gave up mastership.
            case resigned
            /// The master stopped advertising for longer than its master-down interval.
            case lost
        }
        public var kind: Kind
        public var time: PacketTime
        public var packet: Int
        public var address: IPAddress
        public var mac: MACAddress?
        public var priority: Int
        public var previous: Int?
        public var previousAddress: IPAddress?

        init(kind: Kind, time: PacketTime, packet: Int, address: IPAddress, mac: MACAddress?, priority: Int,
             previous: Int?, previousAddress: IPAddress? = nil) {
            self.kind = kind
            self.time = time
            self.packet = packet
            self.address = address
            self.mac = mac
            self.priority = priority
            self.previous = previous
            self.previousAddress = previousAddress
        }

        enum CodingKeys: String, CodingKey {
            case kind, time, packet, address, mac, priority, previous = "previous_priority"
            case previousAddress = "previous_master"
        }
    }

    public struct Verdict: Codable, Sendable, Equatable {
        public enum Code: String, Codable, Sendable, CaseIterable {
            case splitBrain = "split_brain", vridCollision = "vrid_collision"
            case advertIntMismatch = "advert_int_mismatch", authMismatch = "auth_mismatch"
            case versionMismatch = "version_mismatch", masterResigned = "master_resigned"
            case addressOwner = "address_owner", badTTL = "bad_ttl", badChecksum = "bad_checksum"
            case masterChanged = "master_changed", silent, notAdvert = "not_advert"
            case badIPChecksum = "bad_ip_checksum", badVersion = "bad_version"
            case checksumWithoutPseudoHeader = "checksum_without_pseudo_header"
            case carp, carpAndVRRP = "carp_and_vrrp"
            /// Only this host advertises, and its firewall drops VRRP in or out (vrrp on a node).
            case firewallDropsVRRP = "firewall_drops_vrrp"

            init(_ discard: VRRPDiscard) {
                switch discard {
                case .ipHeaderChecksum: self = .badIPChecksum
                case .ttl: self = .badTTL
                case .version: self = .badVersion
                case .type: self = .notAdvert
                case .checksum: self = .badChecksum
                case .checksumWithoutPseudoHeader: self = .checksumWithoutPseudoHeader
                }
            }
        }
        public var code: Code
        public var message: String
        public var source: Source
        /// The packets that show it (for a split brain: the interleaving adverts).
        public var packets: [Int] = []
    }

    /// A CARP virtual host: its vhid on one LAN, who advertises it and the verdicts.
    public struct CARPHost: Codable, Sendable {
        public var interface: String?
        public var vlans: [Int]
        public var family: AddressFamily
        public var vhid: Int
        public var master: CARPSender?
        public var senders: [CARPSender]
        public var verdicts: [Verdict]
    }

    public struct CARPSender: Codable, Sendable, Equatable {
        public var address: IPAddress
        public var mac: MACAddress?
        public var version: Int
        /// Seconds between adverts: advbase + advskew/256 (lower advertises sooner and wins).
        public var advbase: Int
        public var advskew: Int
        public var demotion: Int
        public var counter: UInt64
        public var count: Int
        public var badChecksum: Int
        public var badTTL: Int
        public var firstSeen: PacketTime
        public var lastSeen: PacketTime
        public var firstPacket: Int
        public var lastPacket: Int

        enum CodingKeys: String, CodingKey {
            case address, mac, version, advbase, advskew, demotion, counter, count, badChecksum = "bad_checksum"
            case badTTL = "bad_ttl", firstSeen = "first_seen", lastSeen = "last_seen", firstPacket = "first_packet"
            case lastPacket = "last_packet"
        }
    }
}

extension RouterState {
    func report(end: PacketTime) -> VRRPCensusReport.Router {
        var router = VRRPCensusReport.Router(interface: key.interface, vlans: key.vlans.map(Int.init), family: key.family, vrid: Int(key.vrid))
        router.acting = senders.flatMap { sender in
            sender.spans.map { LinkLayerContext.Acting(address: sender.address, mac: sender.mac, since: $0.since, until: $0.until,
                                                        addresses: sender.addresses) }
        }
        router.splits = splitBrains.map { split in
            LinkLayerContext.Split(since: split.since, until: split.until,
                                   members: [split.first, split.second].map { (senders[$0].address, senders[$0].mac) })
        }
        router.senders = senders.map { sender in
            VRRPCensusReport.Sender(
                address: sender.address, mac: sender.mac, version: Int(sender.version), priority: Int(sender.priority),
                advertInt: Double(sender.interval) / 100, authType: sender.authType.map(VRRPAuthType.name),
                authFingerprint: sender.auth?.fingerprint, virtualAddresses: sender.addresses, count: sender.count,
                firstSeen: sender.first, lastSeen: sender.last, ttl: Int(sender.ttl), badTTL: sender.badTTL,
                badChecksum: sender.badChecksums,
                discarded: VRRPDiscard.allCases.compactMap { reason in
                    sender.discarded[reason].map { .init(reason: reason, count: $0.count, firstPacket: $0.first, lastPacket: $0.last) }
                },
                firstPacket: sender.firstPacket, lastPacket: sender.lastPacket)
        }
        router.events = events
        router.eventsDropped = eventsDropped
        if let current = master {
            let sender = senders[current]
            if sender.isMaster(at: end) {
                router.master = .init(address: sender.address, mac: sender.mac, priority: Int(sender.priority),
                                      source: Source(kind: .packet, detail: "#\(sender.lastPacket)"),
                                      inOwnEyesOnly: sender.withoutPseudoHeader)
            } else if let last = sender.lastAccepted {
                router.events.append(.init(kind: .lost, time: sender.overdue(after: last),
                    packet: sender.lastPacket, address: sender.address, mac: sender.mac,
                    priority: Int(sender.priority), previous: nil))
            }
        }
        let versions = Set(senders.map(\.version))
        router.version = versions.count == 1 ? versions.first.map(Int.init) : nil
        router.verdicts = verdicts(end: end)
        return router
    }

    private func name(_ sender: SenderState) -> String {
        sender.mac.map { "\(sender.address) (\($0))" } ?? "\(sender.address)"
    }

    private func packet(_ number: Int) -> Source { Source(kind: .packet, detail: "#\(number)") }

    private var what: String {
        "VRID \(key.vrid)" + (key.interface.map { " on \($0)" } ?? "") + vlanText(key.vlans) + (key.family == .inet6 ? " (IPv6)" : "")
    }

    func verdicts(end: PacketTime) -> [VRRPCensusReport.Verdict] {
        typealias Verdict = VRRPCensusReport.Verdict
        var verdicts: [Verdict] = []
        let trusted = senders.filter(\.valid)
        for split in splitBrains {
            let a = senders[split.first], b = senders[split.second]
            let seconds = split.since.seconds(until: split.until)
            let list = split.packets.map { "#\($0)" }.joined(separator: ", ")
            verdicts.append(Verdict(code: .splitBrain, message:
                "\(name(a)) at priority \(a.priority) and \(name(b)) at priority \(b.priority) both advertised \(what), each again after the other's "
                + "advert, for \(format(seconds)) s (packets \(list)): an RFC master that hears a better advert yields at once, sending at most "
                + "the one advert already on its way, so each acts as master without hearing the other",
                source: packet(split.packets.last ?? a.lastPacket), packets: split.packets))
        }
        let addressSets = Set(trusted.map { $0.addresses.sorted() })
        if addressSets.count > 1 {
            let list = trusted.map { "\(name($0)) [\($0.addresses.map(\.description).joined(separator: " "))]" }
            verdicts.append(Verdict(code: .vridCollision, message:
                "\(what) is advertised with different virtual addresses: \(list.joined(separator: "; ")); two clusters share one VRID on this LAN, or one node's virtual_ipaddress differs",
                source: packet(trusted[1].firstPacket)))
        }
        if Set(trusted.map(\.interval)).count > 1 {
            let list = trusted.map { "\(name($0)) \(format(Double($0.interval) / 100)) s" }
            verdicts.append(Verdict(code: .advertIntMismatch, message:
                "senders of \(what) disagree on advert_int: \(list.joined(separator: ", ")); VRRPv2 receivers (keepalived) drop adverts with another interval",
                source: packet(trusted[1].firstPacket)))
        }
        struct Auth: Hashable { var type: UInt8?; var ah: Bool; var fingerprint: String? }
        if Set(trusted.map { Auth(type: $0.authType, ah: $0.authenticationHeader, fingerprint: $0.auth?.fingerprint) }).count > 1 {
            let list = trusted.map { sender in
                "\(name(sender)) \(sender.authType.map(VRRPAuthType.name) ?? "none")" + (sender.auth.map { " \($0.fingerprint)" } ?? "")
            }
            verdicts.append(Verdict(code: .authMismatch, message:
                "senders of \(what) use different authentication: \(list.joined(separator: ", ")); receivers drop adverts that fail authentication",
                source: packet(trusted[1].firstPacket)))
        }
        if Set(trusted.map(\.version)).count > 1 {
            let list = trusted.map { "\(name($0)) VRRPv\($0.version)" }
            verdicts.append(Verdict(code: .versionMismatch, message:
                "senders of \(what) speak different VRRP versions: \(list.joined(separator: ", ")); each ignores the other's adverts",
                source: packet(trusted[1].firstPacket)))
        }
        for sender in senders {
            if let resigned = sender.resignedPacket, let time = sender.resignedTime {
                verdicts.append(Verdict(code: .masterResigned, message:
                    "\(name(sender)) sent a priority-0 advert for \(what) at \(time): it gave up mastership (keepalived stopping or leaving MASTER), so a backup takes over without waiting",
                    source: packet(resigned)))
            }
            if let owner = sender.ownerPacket {
                verdicts.append(Verdict(code: .addressOwner, message:
                    "\(name(sender)) advertises \(what) at priority 255: it owns the virtual addresses and is always master while it runs",
                    source: packet(owner)))
            }
            for reason in VRRPDiscard.allCases {
                guard let entry = sender.discarded[reason] else { continue }
                verdicts.append(Verdict(code: .init(reason), message: "\(entry.count) advert(s) from \(name(sender)) for \(what) "
                    + discardText(reason, sender) + (reason == .checksumWithoutPseudoHeader ? "" : "; they elect nobody here either"),
                    source: packet(entry.first), packets: entry.first == entry.last ? [entry.first] : [entry.first, entry.last]))
            }
        }
        // The census following the better of a split brain's two masters is no master change:
        // both went on as master (the first heard was taken for master until the other spoke).
        let splitting = events.filter { $0.kind == .master && $0.previousAddress != nil && inSplitBrain($0) }.count
        if masterChanges > splitting {
            let changes = events.filter { $0.kind == .master && $0.previousAddress != nil && !inSplitBrain($0) }
            let list = changes.suffix(5).map { "\($0.previousAddress!) -> \($0.address) at \($0.time) (packet #\($0.packet))" }
            verdicts.append(Verdict(code: .masterChanged, message:
                "the master of \(what) changed \(masterChanges - splitting) time(s): \(list.joined(separator: "; "))"
                    + (changes.count > list.count ? " (showing the last \(list.count) of \(changes.count))" : ""),
                source: packet(changes.last?.packet ?? senders[0].lastPacket)))
        }
        if sendersDropped > 0 {
            verdicts.append(Verdict(code: .vridCollision, message:
                "more than \(VRRPCensus.maximumSenders) senders advertise \(what); \(sendersDropped) advert(s) from further senders were not tracked",
                source: packet(senders[0].firstPacket)))
        }
        return verdicts
    }

    /// Whether a master event moved the census between the two members of a split brain while it
    /// lasted (after its first advert: a takeover that began it, as after a pause, was a change).
    private func inSplitBrain(_ event: VRRPCensusReport.Event) -> Bool {
        splitBrains.contains { split in
            let members = [senders[split.first].address, senders[split.second].address]
            return event.time > split.since && event.time <= split.until
                && members.contains(event.address) && event.previousAddress.map(members.contains) == true
        }
    }

    private func discardText(_ reason: VRRPDiscard, _ sender: SenderState) -> String {
        switch reason {
        case .ipHeaderChecksum:
            return "had a bad IPv4 header checksum: the receiving IP stack drops them before VRRP sees them (corruption on the way)"
        case .ttl:
            return "arrived with TTL/hop limit \(sender.ttl), not 255: they crossed a router or were forged, and RFC receivers discard them"
        case .version:
            return "claim VRRP version \(sender.version): only 2 (RFC 3768) and 3 (RFC 5798) exist, so receivers discard them"
        case .type:
            return "have VRRP type \(sender.type): only type 1 (advertisement) exists, so receivers discard them"
        case .checksum:
            return "failed the VRRP checksum: receivers discard them (corruption, or a sender computing it another way)"
        case .checksumWithoutPseudoHeader:
            return "are VRRPv3 over IPv4 with a checksum computed without the IPv4 pseudo-header (RFC 5798 includes it; "
                + "FRR's `no vrrp N checksum-with-ipv4-pseudoheader` and some vendors leave it out): RFC receivers discard them "
                + "(keepalived 2.2.7 logs \"Invalid VRRPv3 checksum\" and has no setting to accept them; 2.2.8 added v3_checksum_as_v2, "
                + "which makes a node send and expect this variant), so when \(sender.address) is master it is master in its own eyes "
                + "(and those of peers computing the checksum its way), holding the addresses while RFC backups do not hear it and take over too"
        }
    }
}

func vlanText(_ vlans: [UInt16]) -> String {
    vlans.isEmpty ? "" : " VLAN " + vlans.map(String.init).joined(separator: ".")
}

extension CARPHostState {
    func report(end: PacketTime) -> VRRPCensusReport.CARPHost {
        let list = senders.map { sender in
            VRRPCensusReport.CARPSender(address: sender.address, mac: sender.mac, version: Int(sender.version), advbase: Int(sender.advbase),
                                        advskew: Int(sender.advskew), demotion: Int(sender.demotion), counter: sender.counter,
                                        count: sender.count, badChecksum: sender.badChecksums, badTTL: sender.badTTL,
                                        firstSeen: sender.first, lastSeen: sender.last, firstPacket: sender.firstPacket,
                                        lastPacket: sender.lastPacket)
        }
        // Only CARP's master advertises; one still within an interval (plus a tenth) of the end is advertising.
        func advertising(_ sender: Sender) -> Bool {
            sender.count > sender.badChecksums + sender.badTTL
                && end <= sender.last.adding(centiseconds: Int(sender.advbase) * 110 + Int(sender.advskew) * 100 / 256)
        }
        let active = senders.indices.filter { advertising(senders[$0]) }
        let what = "CARP vhid \(key.vrid)" + (key.interface.map { " on \($0)" } ?? "") + vlanText(key.vlans)
        var verdicts: [VRRPCensusReport.Verdict] = [
            .init(code: .carp, message: "\(what) is CARP (ucarp, OpenBSD/FreeBSD carp), not VRRP: it shares IP protocol 112 and 224.0.0.18, "
                  + "and its master is the host advertising with the lowest advbase and advskew (after demotion)",
                  source: Source(kind: .packet, detail: "#\(firstPacket)")),
        ]
        if active.count > 1 {
            let names = active.map { "\(senders[$0].address) (advskew \(senders[$0].advskew))" }.joined(separator: " and ")
            verdicts.append(.init(code: .splitBrain, message: "\(names) all advertise \(what) within one interval: only a master advertises, so each acts as master",
                                  source: Source(kind: .packet, detail: "#\(senders[active[1]].lastPacket)"),
                                  packets: active.map { senders[$0].lastPacket }))
        }
        for sender in senders where sender.badChecksums > 0 {
            verdicts.append(.init(code: .badChecksum, message: "\(sender.badChecksums) CARP advert(s) from \(sender.address) for \(what) failed the checksum; CARP peers discard them",
                                  source: Source(kind: .packet, detail: "#\(sender.lastPacket)")))
        }
        let master = active.map { list[$0] }.min { ($0.advbase, $0.advskew, $0.address) < ($1.advbase, $1.advskew, $1.address) }
        return .init(interface: key.interface, vlans: key.vlans.map(Int.init), family: key.family, vhid: Int(key.vrid),
                     master: master, senders: list, verdicts: verdicts)
    }
}

func format(_ seconds: Double) -> String {
    let rounded = (seconds * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
