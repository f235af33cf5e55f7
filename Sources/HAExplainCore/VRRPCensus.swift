import HAModel
import VRRP

/// Who advertises which virtual router on the wire, built one advert at a time. Memory is
/// bounded by the number of routers and senders (both capped), never by the number of
/// packets, so a live capture and a million-advert file cost the same to hold.
public struct VRRPCensus {
    public struct RouterKey: Hashable, Sendable {
        public var interface: String?
        public var family: AddressFamily
        public var vrid: UInt8
    }

    /// A VRID the configuration says should be advertised (hook for `silent` verdicts).
    public struct ExpectedRouter: Sendable, Equatable {
        public var interface: String?
        public var family: AddressFamily
        public var vrid: UInt8
        public var source: Source
        public init(interface: String?, family: AddressFamily, vrid: UInt8, source: Source) {
            self.interface = interface
            self.family = family
            self.vrid = vrid
            self.source = source
        }
    }

    static let maximumRouters = 4096
    static let maximumSenders = 64
    static let maximumEvents = 500

    public private(set) var packets = 0
    public private(set) var adverts = 0
    public private(set) var malformed = 0
    public private(set) var firstTime: PacketTime?
    public private(set) var lastTime: PacketTime?
    private(set) var problems: [VRRPCensusReport.Problem] = []
    private var index: [RouterKey: Int] = [:]
    private var routers: [RouterState] = []
    /// The routers' keys apart from their state, so looking one up copies no state.
    private var routerKeys: [RouterKey] = []
    private var routersDropped = 0

    public init() {}

    /// Counts a packet that was read, VRRP or not, so the report can say what was seen.
    public mutating func notePacket(time: PacketTime) {
        packets += 1
        if firstTime == nil { firstTime = time }
        if lastTime.map({ time > $0 }) ?? true { lastTime = time }
    }

    public mutating func noteMalformed(packet: Int, reason: String) {
        malformed += 1
        if problems.count < 20 { problems.append(.init(packet: packet, message: reason)) }
    }

    public mutating func add(_ advert: borrowing VRRPAdvert) {
        var copy = copy advert
        add(lending: &copy)
    }

    /// The same without copying the advert (inout is passed by address): the per-packet path.
    public mutating func add(lending advert: inout VRRPAdvert) {
        var router = -1
        add(lending: &advert, router: &router)
    }

    /// `router` is where an earlier, identical advert went (-1 when unknown); it is set to
    /// where this one went, so a repeated advert skips the lookup.
    public mutating func add(lending advert: inout VRRPAdvert, router: inout Int) {
        add(lending: &advert, router: &router, repeating: -1)
    }

    /// `repeating` names the content of `advert` (a token the caller gives to byte-identical
    /// adverts, never reused for other content; -1 for none). An advert identical to the
    /// last one its router took, from a master no rival contests, changes only counts and
    /// times, and takes that short path: the steady state of every VRID.
    public mutating func add(lending advert: inout VRRPAdvert, router: inout Int, repeating token: Int) {
        adverts += 1
        if router >= 0, router < routers.count,
           routers[router].repeatOfLast(token: token, time: advert.time, packet: advert.packet) {
            return
        }
        if router < 0 || router >= routers.count {
            guard let slot = routerSlot(for: advert) else { return }
            router = slot
        }
        routers[router].add(advert, token: token)
    }

    private mutating func routerSlot(for advert: borrowing VRRPAdvert) -> Int? {
        let key = RouterKey(interface: advert.interface, family: advert.family, vrid: advert.vrid)
        if routerKeys.count <= 16, let found = routerKeys.firstIndex(of: key) {
            // A handful of routers is the common case: comparing beats hashing.
            return found
        }
        if routerKeys.count > 16, let found = index[key] { return found }
        guard routers.count < Self.maximumRouters else { routersDropped += 1; return nil }
        routers.append(RouterState(key: key))
        routerKeys.append(key)
        index[key] = routers.count - 1
        return routers.count - 1
    }

    /// The census at `end` (the end of the capture; the last packet's time by default).
    /// `expected` lists configured VRIDs; those with no adverts get a `silent` verdict.
    public func report(source: Source, end: PacketTime? = nil, expected: [ExpectedRouter] = [],
                       truncated: String? = nil) -> VRRPCensusReport {
        let end = end ?? lastTime ?? PacketTime(nanoseconds: 0)
        var reports = routers.map { $0.report(end: end) }
        for wanted in expected where !routers.contains(where: {
            $0.key.vrid == wanted.vrid && $0.key.family == wanted.family
                && (wanted.interface == nil || $0.key.interface == nil || $0.key.interface == wanted.interface)
        }) {
            var silent = VRRPCensusReport.Router(interface: wanted.interface, family: wanted.family, vrid: Int(wanted.vrid))
            silent.verdicts.append(.init(code: .silent, message:
                "VRID \(wanted.vrid) is configured (\(wanted.source)) but no advert for it was seen: no node is master, or adverts do not reach this host",
                source: wanted.source))
            reports.append(silent)
        }
        reports.sort { ($0.interface ?? "", $0.family == .inet ? 0 : 1, $0.vrid) < ($1.interface ?? "", $1.family == .inet ? 0 : 1, $1.vrid) }
        var problems = self.problems
        if malformed > problems.count {
            problems.append(.init(packet: nil, message: "\(malformed - problems.count) more malformed VRRP packet(s) not listed"))
        }
        if routersDropped > 0 {
            problems.append(.init(packet: nil, message: "\(routersDropped) advert(s) for more than \(Self.maximumRouters) virtual routers were counted but not tracked"))
        }
        if let truncated { problems.append(.init(packet: nil, message: truncated)) }
        return VRRPCensusReport(
            source: source,
            capture: .init(packets: packets, adverts: adverts, malformed: malformed, start: firstTime, end: lastTime,
                           truncated: truncated != nil),
            routers: reports, problems: problems)
    }
}

/// RFC 3768/5798: a backup declares the master dead after three intervals plus a skew that
/// is shorter for higher priorities.
func masterDownInterval(centiseconds interval: Int, priority: UInt8) -> Int {
    3 * interval + (256 - Int(priority)) * interval / 256
}

struct SenderState {
    var address: IPAddress
    var mac: MACAddress?
    var version: UInt8
    var type: UInt8
    var priority: UInt8
    var interval: Int
    var authType: UInt8?
    var authenticationHeader: Bool
    var auth: Secret?
    var addresses: [IPAddress]
    var count = 0
    var first: PacketTime
    var last: PacketTime
    var firstPacket: Int
    var lastPacket: Int
    var ttl: UInt8
    var badTTL = 0
    var firstBadTTLPacket: Int?
    var badChecksums = 0
    var firstBadChecksumPacket: Int?
    /// Time of the last advert with priority above 0, while it counts as advertising.
    var activeSince: PacketTime?
    var lastActive: PacketTime?
    var resignedPacket: Int?
    var resignedTime: PacketTime?
    var ownerPacket: Int?

    init(_ advert: borrowing VRRPAdvert) {
        address = advert.sourceAddress
        mac = advert.sourceMAC
        version = advert.version
        type = advert.type
        priority = advert.priority
        interval = advert.interval
        authType = advert.authType
        authenticationHeader = advert.authenticationHeader
        auth = advert.authData
        addresses = advert.virtualAddresses
        first = advert.time
        last = advert.time
        firstPacket = advert.packet
        lastPacket = advert.packet
        ttl = advert.ttl
    }

    /// Counts an advert; false when its checksum failed, so its fields are not believed.
    mutating func record(_ advert: borrowing VRRPAdvert) -> Bool {
        count += 1
        if advert.time < first { first = advert.time; firstPacket = advert.packet }
        if advert.time >= last { last = advert.time; lastPacket = advert.packet }
        ttl = advert.ttl
        if advert.ttl != 255 {
            badTTL += 1
            if firstBadTTLPacket == nil { firstBadTTLPacket = advert.packet }
        }
        guard advert.checksumValid else {
            badChecksums += 1
            if firstBadChecksumPacket == nil { firstBadChecksumPacket = advert.packet }
            return false
        }
        if version != advert.version { version = advert.version }
        if type != advert.type { type = advert.type }
        if interval != advert.interval { interval = advert.interval }
        if authType != advert.authType { authType = advert.authType }
        if authenticationHeader != advert.authenticationHeader { authenticationHeader = advert.authenticationHeader }
        if auth != advert.authData { auth = advert.authData }
        if addresses != advert.virtualAddresses { addresses = advert.virtualAddresses }
        if advert.priority == 255, ownerPacket == nil { ownerPacket = advert.packet }
        return true
    }

    /// What `record` and `advertise` change for an advert equal to the last one this
    /// (master) sender sent: its count, first and last, and when it was last active.
    mutating func repeated(time: PacketTime, packet: Int) {
        count += 1
        if time < first { first = time; firstPacket = packet }
        if time >= last { last = time; lastPacket = packet }
        lastActive = time
    }

    func isActive(at time: PacketTime) -> Bool {
        guard let lastActive else { return false }
        return time <= lastActive.adding(centiseconds: masterDownInterval(centiseconds: interval, priority: priority))
    }

    /// VRRP's election: higher priority wins, then the higher primary address.
    func beats(_ other: SenderState) -> Bool {
        (priority, address) > (other.priority, other.address)
    }
}

struct RouterState {
    let key: RouterKeyAlias
    typealias RouterKeyAlias = VRRPCensus.RouterKey
    var senders: [SenderState] = []
    var sendersDropped = 0
    var master: Int?
    var previousMaster: Int?
    var events: [VRRPCensusReport.Event] = []
    var eventsDropped = 0
    var concurrentSince: PacketTime?
    var splitBrain: (first: Int, second: Int, since: PacketTime, until: PacketTime, packet: Int)?
    var masterChanges = 0

    init(key: VRRPCensus.RouterKey) { self.key = key }

    /// The content token and sender of the last advert added, while it left that sender
    /// master (-1 otherwise): what `repeatOfLast` may shortcut.
    private var lastToken = -1
    private var lastSlot = -1

    /// An advert with the content of the last one added: when that left its sender master,
    /// it had a valid checksum and TTL 255, and no other sender is active now, the full path
    /// would change only the sender's count, times and activity, and forget any overlap.
    mutating func repeatOfLast(token: Int, time: PacketTime, packet: Int) -> Bool {
        guard token >= 0, token == lastToken, let current = master, current == lastSlot else { return false }
        for i in senders.indices where i != current && senders[i].isActive(at: time) { return false }
        senders[current].repeated(time: time, packet: packet)
        concurrentSince = nil
        return true
    }

    mutating func add(_ advert: borrowing VRRPAdvert, token: Int = -1) {
        lastToken = -1
        var slot = -1
        for i in senders.indices where senders[i].address == advert.sourceAddress && senders[i].mac == advert.sourceMAC {
            slot = i
            break
        }
        if slot < 0 {
            guard senders.count < VRRPCensus.maximumSenders else { sendersDropped += 1; return }
            senders.append(SenderState(advert))
            slot = senders.count - 1
        }
        // Updated in place: copying a sender out and back costs more than decoding.
        guard senders[slot].record(advert) else { return }
        if advert.priority == 0 {
            resign(slot, advert)
        } else {
            advertise(slot, advert)
            if master == slot, advert.ttl == 255 {
                lastToken = token
                lastSlot = slot
            }
        }
    }

    private mutating func resign(_ slot: Int, _ advert: borrowing VRRPAdvert) {
        senders[slot].priority = 0
        senders[slot].lastActive = nil
        senders[slot].resignedPacket = senders[slot].resignedPacket ?? advert.packet
        senders[slot].resignedTime = senders[slot].resignedTime ?? advert.time
        record(.init(kind: .resigned, time: advert.time, packet: advert.packet, address: advert.sourceAddress,
                     mac: advert.sourceMAC, priority: 0, previous: nil))
        if master == slot {
            previousMaster = slot
            master = nil
        }
        concurrentSince = nil
    }

    private mutating func advertise(_ slot: Int, _ advert: borrowing VRRPAdvert) {
        let time = advert.time
        let oldPriority = senders[slot].priority
        // A master that went quiet for longer than its master-down interval is gone.
        if let current = master, current != slot, !senders[current].isActive(at: time) {
            let down = senders[current].lastActive.map {
                $0.adding(centiseconds: masterDownInterval(centiseconds: senders[current].interval, priority: senders[current].priority))
            } ?? time
            record(.init(kind: .lost, time: down, packet: senders[current].lastPacket, address: senders[current].address,
                         mac: senders[current].mac, priority: Int(senders[current].priority), previous: nil))
            previousMaster = current
            master = nil
        }
        senders[slot].priority = advert.priority
        senders[slot].lastActive = time
        if senders[slot].activeSince == nil { senders[slot].activeSince = time }
        if let current = master {
            if current == slot {
                if oldPriority != advert.priority {
                    record(.init(kind: .priorityChanged, time: time, packet: advert.packet, address: advert.sourceAddress,
                                 mac: advert.sourceMAC, priority: Int(advert.priority), previous: Int(oldPriority)))
                }
            } else if senders[slot].beats(senders[current]) {
                becomeMaster(slot, advert, previous: current)
            }
        } else {
            becomeMaster(slot, advert, previous: previousMaster)
        }
        // Split brain: another sender keeps advertising while this one does.
        var other: Int? = nil
        for i in senders.indices where i != slot && senders[i].isActive(at: time) {
            other = i
            break
        }
        if let other {
            let since = concurrentSince ?? time
            concurrentSince = since
            let limit = max(masterDownInterval(centiseconds: senders[slot].interval, priority: senders[slot].priority),
                            masterDownInterval(centiseconds: senders[other].interval, priority: senders[other].priority))
            if time > since.adding(centiseconds: limit) {
                if let existing = splitBrain, existing.since == since {
                    splitBrain?.until = time
                } else if splitBrain == nil {
                    splitBrain = (min(other, slot), max(other, slot), since, time, advert.packet)
                } else {
                    splitBrain?.until = time
                }
            }
        } else {
            concurrentSince = nil
        }
    }

    private mutating func becomeMaster(_ slot: Int, _ advert: borrowing VRRPAdvert, previous: Int?) {
        if previous != nil { masterChanges += 1 }
        master = slot
        record(.init(kind: .master, time: advert.time, packet: advert.packet, address: advert.sourceAddress,
                     mac: advert.sourceMAC, priority: Int(advert.priority),
                     previous: nil, previousAddress: previous.map { senders[$0].address }))
    }

    private mutating func record(_ event: VRRPCensusReport.Event) {
        // Keep the latest events: drop the oldest half at once so appending stays O(1).
        if events.count >= 2 * VRRPCensus.maximumEvents {
            events.removeFirst(VRRPCensus.maximumEvents)
            eventsDropped += VRRPCensus.maximumEvents
        }
        events.append(event)
    }
}
