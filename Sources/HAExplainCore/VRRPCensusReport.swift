import HAModel
import VRRP

/// The census as `haexplain vrrp` prints it: the same value is encoded as JSON and rendered
/// as text.
public struct VRRPCensusReport: Codable, Sendable {
    public var schemaVersion = SchemaVersion.current
    public var source: Source
    public var capture: Capture
    public var routers: [Router]
    public var problems: [Problem]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", source, capture, routers, problems
    }

    public struct Capture: Codable, Sendable {
        public var packets: Int
        public var adverts: Int
        public var malformed: Int
        public var start: PacketTime?
        public var end: PacketTime?
        public var truncated: Bool
    }

    public struct Problem: Codable, Sendable, Equatable {
        public var packet: Int?
        public var message: String
    }

    public struct Router: Codable, Sendable {
        public var interface: String?
        public var family: AddressFamily
        public var vrid: Int
        public var version: Int?
        public var master: Master?
        public var senders: [Sender] = []
        public var events: [Event] = []
        public var eventsDropped = 0
        public var verdicts: [Verdict] = []

        init(interface: String?, family: AddressFamily, vrid: Int) {
            self.interface = interface
            self.family = family
            self.vrid = vrid
        }

        enum CodingKeys: String, CodingKey {
            case interface, family, vrid, version, master, senders, events, eventsDropped = "events_dropped", verdicts
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(interface, forKey: .interface)
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
        public var firstPacket: Int
        public var lastPacket: Int

        enum CodingKeys: String, CodingKey {
            case address, mac, version, priority, advertInt = "advert_int", authType = "auth_type"
            case authFingerprint = "auth_fingerprint", virtualAddresses = "virtual_addresses", count
            case firstSeen = "first_seen", lastSeen = "last_seen", ttl, badTTL = "bad_ttl"
            case badChecksum = "bad_checksum", firstPacket = "first_packet", lastPacket = "last_packet"
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
        }
        public var code: Code
        public var message: String
        public var source: Source
    }
}

extension RouterState {
    func report(end: PacketTime) -> VRRPCensusReport.Router {
        var router = VRRPCensusReport.Router(interface: key.interface, family: key.family, vrid: Int(key.vrid))
        router.senders = senders.map { sender in
            VRRPCensusReport.Sender(
                address: sender.address, mac: sender.mac, version: Int(sender.version), priority: Int(sender.priority),
                advertInt: Double(sender.interval) / 100, authType: sender.authType.map(VRRPAuthType.name),
                authFingerprint: sender.auth?.fingerprint, virtualAddresses: sender.addresses, count: sender.count,
                firstSeen: sender.first, lastSeen: sender.last, ttl: Int(sender.ttl), badTTL: sender.badTTL,
                badChecksum: sender.badChecksums, firstPacket: sender.firstPacket, lastPacket: sender.lastPacket)
        }
        router.events = events
        router.eventsDropped = eventsDropped
        if let current = master {
            let sender = senders[current]
            if sender.isActive(at: end) {
                router.master = .init(address: sender.address, mac: sender.mac, priority: Int(sender.priority),
                                      source: Source(kind: .packet, detail: "#\(sender.lastPacket)"))
            } else if let lastActive = sender.lastActive {
                router.events.append(.init(kind: .lost, time: lastActive.adding(centiseconds:
                    masterDownInterval(centiseconds: sender.interval, priority: sender.priority)),
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
        "VRID \(key.vrid)" + (key.interface.map { " on \($0)" } ?? "") + (key.family == .inet6 ? " (IPv6)" : "")
    }

    func verdicts(end: PacketTime) -> [VRRPCensusReport.Verdict] {
        typealias Verdict = VRRPCensusReport.Verdict
        var verdicts: [Verdict] = []
        let trusted = senders.filter { $0.count > $0.badChecksums }
        if let split = splitBrain {
            let a = senders[split.first], b = senders[split.second]
            let seconds = split.since.seconds(until: split.until)
            verdicts.append(Verdict(code: .splitBrain, message:
                "\(name(a)) at priority \(a.priority) and \(name(b)) at priority \(b.priority) both advertised \(what) for "
                + "\(format(seconds)) s, longer than the master-down interval: each acts as master, so they do not hear each other's adverts",
                source: packet(split.packet)))
        }
        let addressSets = Set(trusted.map { $0.addresses.sorted() })
        if addressSets.count > 1 {
            let list = trusted.map { "\(name($0)) [\($0.addresses.map(\.description).joined(separator: " "))]" }
            verdicts.append(Verdict(code: .vridCollision, message:
                "\(what) is advertised with different virtual addresses: \(list.joined(separator: "; ")); two clusters share one VRID, or one node's virtual_ipaddress differs",
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
            if let bad = sender.firstBadTTLPacket {
                verdicts.append(Verdict(code: .badTTL, message:
                    "\(sender.badTTL) advert(s) from \(name(sender)) for \(what) arrived with TTL/hop limit \(sender.ttl), not 255: they crossed a router or were forged, and receivers discard them",
                    source: packet(bad)))
            }
            if let bad = sender.firstBadChecksumPacket {
                verdicts.append(Verdict(code: .badChecksum, message:
                    "\(sender.badChecksums) advert(s) from \(name(sender)) for \(what) failed the VRRP checksum: receivers discard them (corruption, or a VRRPv3 checksum computed without the pseudo-header)",
                    source: packet(bad)))
            }
            if sender.type != 1 {
                verdicts.append(Verdict(code: .notAdvert, message:
                    "\(name(sender)) sent VRRP type \(sender.type) for \(what); only type 1 (advertisement) exists",
                    source: packet(sender.lastPacket)))
            }
        }
        if masterChanges > 0 {
            let changes = events.filter { $0.kind == .master && $0.previousAddress != nil }
            let list = changes.suffix(5).map { "\($0.previousAddress!) -> \($0.address) at \($0.time) (packet #\($0.packet))" }
            verdicts.append(Verdict(code: .masterChanged, message:
                "the master of \(what) changed \(masterChanges) time(s): \(list.joined(separator: "; "))"
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
}

func format(_ seconds: Double) -> String {
    let rounded = (seconds * 100).rounded() / 100
    return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
}
