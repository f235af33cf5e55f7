import HAModel
import VRRP

/// Who advertises which virtual router on the wire, built one decoded packet at a time: a
/// pure function of the packets. Memory is bounded by the number of routers and senders
/// (both capped), never by the number of packets.
///
/// The time model is RFC 3768/5798's state machine: only a master advertises, and a master
/// that hears a better advert becomes backup at once. So a sender is active from its first
/// to its last advert heard; one stopping and another starting (failover, handover) or a
/// master yielding to a better one (preemption) are master changes, in which the old master
/// sends at most the one advert already on its way; two senders each advertising again after
/// the other both act as master (split brain).
public struct VRRPCensus {
    /// A virtual router is unique per LAN: the capture link, its VLAN tags, family and VRID.
    public struct RouterKey: Hashable, Sendable {
        public var interface: String?
        public var vlans: [UInt16]
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
    public private(set) var carpAdverts = 0
    public private(set) var malformed = 0
    public private(set) var firstTime: PacketTime?
    public private(set) var lastTime: PacketTime?
    private(set) var problems: [VRRPCensusReport.Problem] = []
    /// The first router slot by family and VRID (IPv6 from 256), those on other LANs chained
    /// through `RouterState.nextOnOtherLAN`: an advert finds its router by number, hashing no
    /// key and retaining no list (vrrp --read budget).
    private var firstRouter = [Int](repeating: -1, count: 512)
    private(set) var routers: [RouterState] = []
    private var carpIndex: [RouterKey: Int] = [:]
    private(set) var carpHosts: [CARPHostState] = []
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

    public mutating func add(_ advert: VRRPAdvert) {
        var advert = advert
        add(lending: &advert)
    }

    /// The same, the advert lent rather than passed: the recorder's one advert is read where it
    /// lies instead of copied into the call (vrrp --read budget). It is not changed.
    mutating func add(lending advert: inout VRRPAdvert) {
        adverts += 1
        let number = Int(advert.vrid) + (advert.family == .inet ? 0 : 256)
        var slot = firstRouter[number]
        while slot >= 0 {
            if routers[slot].key.interface == advert.interface && routers[slot].key.vlans == advert.vlans {
                routers[slot].add(lending: &advert)
                return
            }
            slot = routers[slot].nextOnOtherLAN
        }
        guard routers.count < Self.maximumRouters else { routersDropped += 1; return }
        var router = RouterState(key: RouterKey(interface: advert.interface, vlans: advert.vlans, family: advert.family, vrid: advert.vrid))
        router.nextOnOtherLAN = firstRouter[number]
        firstRouter[number] = routers.count
        routers.append(router)
        routers[routers.count - 1].add(lending: &advert)
    }

    public mutating func add(_ carp: CARPAdvert) {
        carpAdverts += 1
        let key = RouterKey(interface: carp.interface, vlans: carp.vlans, family: carp.family, vrid: carp.vhid)
        guard let slot = Self.slot(for: key, index: &carpIndex, count: carpHosts.count, dropped: &routersDropped) else { return }
        if slot == carpHosts.count { carpHosts.append(CARPHostState(key: key)) }
        carpHosts[slot].add(carp)
    }

    /// The position of `key`, or `count` for a new one (nil once the cap is reached).
    private static func slot(for key: RouterKey, index: inout [RouterKey: Int], count: Int, dropped: inout Int) -> Int? {
        if let found = index[key] { return found }
        guard count < maximumRouters else { dropped += 1; return nil }
        index[key] = count
        return count
    }

    /// The census at `end` (the end of the capture; the last packet's time by default).
    /// `expected` lists configured VRIDs; those with no adverts get a `silent` verdict.
    /// `notes` are the capture's own problems (packets on links it could not decode).
    public func report(source: Source, end: PacketTime? = nil, expected: [ExpectedRouter] = [],
                       truncated: String? = nil, notes: [String] = []) -> VRRPCensusReport {
        let end = end ?? lastTime ?? PacketTime(nanoseconds: 0)
        var reports = routers.map { $0.report(end: end) }
        for wanted in expected where !routers.contains(where: {
            $0.key.vrid == wanted.vrid && $0.key.family == wanted.family
                && (wanted.interface == nil || $0.key.interface == nil || $0.key.interface == wanted.interface)
        }) {
            var silent = VRRPCensusReport.Router(interface: wanted.interface, vlans: [], family: wanted.family, vrid: Int(wanted.vrid))
            silent.verdicts.append(.init(code: .silent, message:
                "VRID \(wanted.vrid) is configured (\(wanted.source)) but no advert for it was seen: no node is master, or adverts do not reach this host",
                source: wanted.source))
            reports.append(silent)
        }
        var carp = carpHosts.map { $0.report(end: end) }
        // CARP and VRRP on one LAN: each protocol's routers ignore the other's adverts.
        for index in carp.indices {
            let host = carpHosts[index].key
            let vrrp = routers.filter { $0.key.interface == host.interface && $0.key.vlans == host.vlans && $0.key.family == host.family }
            guard !vrrp.isEmpty else { continue }
            let ids = vrrp.map { "VRID \($0.key.vrid)" }.joined(separator: ", ")
            var message = "this LAN carries both CARP (vhid \(host.vrid)) and VRRP (\(ids)) on IP protocol 112 to the same group: "
                + "keepalived discards the CARP adverts (they fail VRRP's length and checksum checks) and CARP ignores VRRP's, so neither elects across the two"
            if vrrp.contains(where: { $0.key.vrid == host.vrid }) {
                message += "; vhid \(host.vrid) equals a VRID here, so both claim the virtual MAC 00:00:5e:00:01:\(String(format2: host.vrid)) if either uses virtual MACs"
            }
            carp[index].verdicts.append(.init(code: .carpAndVRRP, message: message, source: Source(kind: .packet, detail: "#\(carpHosts[index].firstPacket)")))
        }
        reports.sort { Self.order($0.interface, $0.vlans, $0.family, $0.vrid) < Self.order($1.interface, $1.vlans, $1.family, $1.vrid) }
        carp.sort { Self.order($0.interface, $0.vlans, $0.family, $0.vhid) < Self.order($1.interface, $1.vlans, $1.family, $1.vhid) }
        var problems = self.problems
        if malformed > problems.count {
            problems.append(.init(packet: nil, message: "\(malformed - problems.count) more malformed VRRP packet(s) not listed"))
        }
        if routersDropped > 0 {
            problems.append(.init(packet: nil, message: "\(routersDropped) advert(s) for more than \(Self.maximumRouters) virtual routers were counted but not tracked"))
        }
        problems += notes.map { .init(packet: nil, message: $0) }
        if let truncated { problems.append(.init(packet: nil, message: truncated)) }
        return VRRPCensusReport(
            source: source,
            capture: .init(packets: packets, adverts: adverts, carpAdverts: carpAdverts, malformed: malformed, start: firstTime,
                           end: lastTime, truncated: truncated != nil),
            routers: reports, carpHosts: carp, problems: problems)
    }

    static func order(_ interface: String?, _ vlans: [Int], _ family: AddressFamily, _ id: Int) -> String {
        let vlan = vlans.map { String(repeating: "0", count: 4 - String($0).count) + String($0) }.joined(separator: ".")
        let number = String(repeating: "0", count: 3 - String(id).count) + String(id)
        return "\(interface ?? "")\u{0}\(vlan)\u{0}\(family == .inet ? 0 : 1)\(number)"
    }
}

extension String {
    /// Two lower-case hex digits.
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self.init([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }
}

/// RFC 3768/5798: a backup declares the master dead after three intervals plus a skew that
/// is shorter for higher priorities.
func masterDownInterval(centiseconds interval: Int, priority: UInt8) -> Int {
    3 * interval + skewTime(centiseconds: interval, priority: priority)
}

/// RFC 5798's Skew_Time (RFC 3768's for whole seconds): (256 - priority) / 256 of an interval.
func skewTime(centiseconds interval: Int, priority: UInt8) -> Int {
    (256 - Int(priority)) * interval / 256
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
    var auth: VRRPAuthData?
    var addresses: [IPAddress]
    var count = 0
    var first: PacketTime
    var last: PacketTime
    var firstPacket: Int
    var lastPacket: Int
    var ttl: UInt8
    /// Adverts an RFC receiver discards, by reason: how many, the first and last packet.
    var discarded: [VRRPDiscard: (count: Int, first: Int, last: Int)] = [:]
    /// True once an advert passed every RFC check (its fields are then believed over others).
    var valid = false
    /// Its latest counted advert's VRRPv3 checksum left out the pseudo-header.
    var withoutPseudoHeader = false
    /// The last two adverts in which it acted as master (priority above 0, not discarded,
    /// or VRRPv3 whose only fault is a checksum without the pseudo-header).
    var acting: (time: PacketTime, packet: Int)?
    var previousActing: (time: PacketTime, packet: Int)?
    /// The last advert the election counted.
    var lastAccepted: PacketTime?
    var resignedPacket: Int?
    var resignedTime: PacketTime?
    var ownerPacket: Int?
    /// When it advertised as master: runs of adverts none overdue after the one before (the
    /// latest 64). The run still going is kept apart from the list, so an advert extending it
    /// writes two words, not an element of a shared list (vrrp --read budget).
    var spans: [(since: PacketTime, until: PacketTime)] { closedSpans + (openSpan.map { [$0] } ?? []) }
    private var closedSpans: [(since: PacketTime, until: PacketTime)] = []
    private var openSpan: (since: PacketTime, until: PacketTime)?

    init(_ advert: VRRPAdvert) {
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

    var badTTL: Int { discarded[.ttl]?.count ?? 0 }
    var badChecksums: Int { (discarded[.checksum]?.count ?? 0) + (discarded[.checksumWithoutPseudoHeader]?.count ?? 0) }

    /// Counts an advert and takes its fields when it votes (valid, or a VRRPv3 checksum
    /// without the pseudo-header); an advert that votes with a priority above 0 also makes
    /// it act as master. Returns the priority before the advert when it voted, nil when it
    /// did not. One call per advert: each access to a sender in the router's list checks
    /// the list's uniqueness (vrrp --read budget).
    /// The advert is lent (inout, never changed), so it is not copied into the call (vrrp --read budget).
    @inline(__always)  // one caller, once per advert (vrrp --read budget)
    mutating func record(lending advert: inout VRRPAdvert, discard: VRRPDiscard?) -> UInt8? {
        count += 1
        if advert.time < first { first = advert.time; firstPacket = advert.packet }
        if advert.time >= last { last = advert.time; lastPacket = advert.packet }
        ttl = advert.ttl
        if let discard {
            var entry = discarded[discard] ?? (0, advert.packet, advert.packet)
            entry.count += 1
            entry.last = advert.packet
            discarded[discard] = entry
        }
        // A corrupted packet's fields are not believed over a valid one's.
        guard discard == nil || discard == .checksumWithoutPseudoHeader else { return nil }
        if discard == nil { valid = true }
        withoutPseudoHeader = discard == .checksumWithoutPseudoHeader
        version = advert.version
        type = advert.type
        interval = advert.interval
        authType = advert.authType
        authenticationHeader = advert.authenticationHeader
        auth = advert.authData
        // Shared only when it changed, so the recorder goes on rewriting its own list (vrrp --read budget).
        if !Self.same(addresses, advert.virtualAddresses) { addresses = advert.virtualAddresses }
        if advert.priority == 255, ownerPacket == nil { ownerPacket = advert.packet }
        let oldPriority = priority
        guard advert.priority != 0 else { return oldPriority }
        priority = advert.priority
        previousActing = acting
        acting = (advert.time, advert.packet)
        lastAccepted = advert.time
        extendSpan(advert.time)
        return oldPriority
    }

    /// Element by element, inlined: the generic comparison of two lists was a call and a
    /// tenth of a sender's update (vrrp --read budget).
    @inline(__always)
    static func same(_ a: [IPAddress], _ b: [IPAddress]) -> Bool {
        guard a.count == b.count else { return false }
        for index in a.indices where a[index] != b[index] { return false }
        return true
    }

    /// When its next advert is overdue: one interval plus skew after the last, and a tenth
    /// of an interval for capture jitter. Past it, the sender has stopped.
    func overdue(after time: PacketTime) -> PacketTime {
        time.adding(centiseconds: interval + skewTime(centiseconds: interval, priority: priority) + interval / 10)
    }

    @inline(__always)  // one caller, once per advert (vrrp --read budget)
    mutating func extendSpan(_ time: PacketTime) {
        if let open = openSpan, time <= overdue(after: open.until) {
            if time > open.until { openSpan = (open.since, time) }
            return
        }
        if let open = openSpan {
            if closedSpans.count >= 63 { closedSpans.removeFirst() }
            closedSpans.append(open)
        }
        openSpan = (time, time)
    }

    func isActing(at time: PacketTime) -> Bool {
        guard let acting else { return false }
        return time <= overdue(after: acting.time)
    }

    /// Whether backups would still take it for master at `time` (the master-down interval).
    func isMaster(at time: PacketTime) -> Bool {
        guard let lastAccepted else { return false }
        return time <= lastAccepted.adding(centiseconds: masterDownInterval(centiseconds: interval, priority: priority))
    }

    /// VRRP's election: higher priority wins, then the higher primary address.
    func beats(_ other: SenderState) -> Bool {
        (priority, address) > (other.priority, other.address)
    }
}

/// Two senders' adverts alternating: the evidence of a split brain in the making.
struct Interleaving {
    var since: PacketTime
    var until: PacketTime
    var packets: [Int]
    /// Each time one sender spoke before and after the other.
    var alternations = 0
}

struct SplitBrain {
    var first: Int
    var second: Int
    var since: PacketTime
    var until: PacketTime
    var packets: [Int]
}

struct RouterState {
    let key: VRRPCensus.RouterKey
    /// The router with the same family and VRID on another LAN seen before this one, or -1.
    var nextOnOtherLAN = -1
    var senders: [SenderState] = []
    var sendersDropped = 0
    var master: Int?
    var previousMaster: Int?
    var events: [VRRPCensusReport.Event] = []
    var eventsDropped = 0
    /// Current interleaving per pair of senders (lower slot first): never carried to another pair.
    var interleavings: [Int: Interleaving] = [:]
    var splitBrains: [SplitBrain] = []
    var masterChanges = 0

    init(key: VRRPCensus.RouterKey) { self.key = key }

    /// The advert is lent (inout, never changed), so it is not copied into the call; the
    /// election reads only when, which packet and which priority (`Heard`), the sender's
    /// address and MAC being its slot's (vrrp --read budget).
    mutating func add(lending advert: inout VRRPAdvert) {
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
        // RFC discards never vote. A VRRPv3 checksum without the pseudo-header is a sender's
        // deliberate choice: RFC receivers (keepalived) discard it, peers computing it the same
        // way (Cisco, FRR switched) elect with it, so it votes, and its master is marked.
        guard let oldPriority = senders[slot].record(lending: &advert, discard: advert.discardReason) else { return }
        let heard = Heard(time: advert.time, packet: advert.packet, priority: advert.priority)
        if heard.priority == 0 {
            resign(slot, heard)
            return
        }
        elect(slot, heard, oldPriority: oldPriority)
        interleave(slot, heard)
    }

    /// What the election reads of a sender's advert.
    struct Heard {
        var time: PacketTime
        var packet: Int
        var priority: UInt8
    }

    private mutating func resign(_ slot: Int, _ advert: Heard) {
        senders[slot].priority = 0
        senders[slot].acting = nil
        senders[slot].previousActing = nil
        senders[slot].lastAccepted = nil
        senders[slot].resignedPacket = senders[slot].resignedPacket ?? advert.packet
        senders[slot].resignedTime = senders[slot].resignedTime ?? advert.time
        record(.init(kind: .resigned, time: advert.time, packet: advert.packet, address: senders[slot].address,
                     mac: senders[slot].mac, priority: 0, previous: nil))
        if master == slot {
            previousMaster = slot
            master = nil
        }
        endInterleavings(of: slot)
    }

    /// The election as backups run it: a better sender preempts at once; another takes over
    /// only once the master's next advert is overdue (it stopped).
    @inline(__always)  // one caller, once per advert (vrrp --read budget)
    private mutating func elect(_ slot: Int, _ advert: Heard, oldPriority: UInt8) {
        let time = advert.time
        if let current = master, current != slot, let last = senders[current].lastAccepted,
           time > senders[current].overdue(after: last) {
            record(.init(kind: .lost, time: senders[current].overdue(after: last), packet: senders[current].lastPacket,
                         address: senders[current].address, mac: senders[current].mac,
                         priority: Int(senders[current].priority), previous: nil))
            previousMaster = current
            master = nil
        }
        if let current = master {
            if current == slot {
                if oldPriority != advert.priority {
                    record(.init(kind: .priorityChanged, time: time, packet: advert.packet, address: senders[slot].address,
                                 mac: senders[slot].mac, priority: Int(advert.priority), previous: Int(oldPriority)))
                }
            } else if senders[slot].beats(senders[current]) {
                becomeMaster(slot, advert, previous: current)
            }
        } else {
            becomeMaster(slot, advert, previous: previousMaster)
        }
    }

    /// Split brain: two senders each advertising again after the other, which no master change
    /// explains. In a master change the old master yields to a better advert, sending at most one
    /// advert after the new master's first (one already on its way, or sent before it read the
    /// better one). So at A B A B (the second alternation) B has advertised twice since A's first
    /// advert: a split brain when B is the worse (it would have yielded to A), while a better B
    /// may be the new master and A the old one with its one late advert, which a third
    /// alternation (A again) rules out. Phase plays no part. A sender back from silence starts
    /// afresh; one that stops ends its pairs' interleaving.
    private mutating func interleave(_ slot: Int, _ advert: Heard) {
        let time = advert.time
        guard senders.count > 1 else { return }
        guard let mine = senders[slot].previousActing, time <= senders[slot].overdue(after: mine.time) else {
            endInterleavings(of: slot)
            return
        }
        for other in senders.indices where other != slot {
            let pair = min(slot, other) * VRRPCensus.maximumSenders + max(slot, other)
            guard let theirs = senders[other].acting, senders[other].isActing(at: time) else {
                if !interleavings.isEmpty { interleavings[pair] = nil }
                continue
            }
            guard mine.time < theirs.time, theirs.time < time else { continue }
            var run = interleavings[pair] ?? Interleaving(since: mine.time, until: time, packets: [])
            run.until = time
            run.alternations += 1
            for packet in [mine.packet, theirs.packet, advert.packet] where run.packets.count < 8 && !run.packets.contains(packet) {
                run.packets.append(packet)
            }
            interleavings[pair] = run
            guard run.alternations >= 3 || (run.alternations == 2 && senders[other].beats(senders[slot])) else { continue }
            let a = min(slot, other), b = max(slot, other)
            if let known = splitBrains.lastIndex(where: { $0.first == a && $0.second == b && $0.since == run.since }) {
                splitBrains[known].until = time
            } else if splitBrains.count < 16 {
                splitBrains.append(SplitBrain(first: a, second: b, since: run.since, until: time, packets: run.packets))
            }
        }
    }

    /// Ends every interleaving `slot` takes part in (it resigned, or fell silent and came back).
    private mutating func endInterleavings(of slot: Int) {
        guard !interleavings.isEmpty else { return }
        for pair in interleavings.keys where pair / VRRPCensus.maximumSenders == slot || pair % VRRPCensus.maximumSenders == slot {
            interleavings[pair] = nil
        }
    }

    private mutating func becomeMaster(_ slot: Int, _ advert: Heard, previous: Int?) {
        if previous != nil { masterChanges += 1 }
        master = slot
        record(.init(kind: .master, time: advert.time, packet: advert.packet, address: senders[slot].address,
                     mac: senders[slot].mac, priority: Int(advert.priority),
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

/// One CARP virtual host (vhid) on one LAN: who advertises it, with which skew and base.
struct CARPHostState {
    struct Sender {
        var address: IPAddress
        var mac: MACAddress?
        var version: UInt8
        var advbase: UInt8
        var advskew: UInt8
        var demotion: UInt8
        var counter: UInt64
        var count = 0
        var badChecksums = 0
        var badTTL = 0
        var first: PacketTime
        var last: PacketTime
        var firstPacket: Int
        var lastPacket: Int
    }

    let key: VRRPCensus.RouterKey
    var senders: [Sender] = []
    var firstPacket = 0

    init(key: VRRPCensus.RouterKey) { self.key = key }

    mutating func add(_ carp: CARPAdvert) {
        if senders.isEmpty { firstPacket = carp.packet }
        var slot = senders.firstIndex { $0.address == carp.sourceAddress && $0.mac == carp.sourceMAC } ?? -1
        if slot < 0 {
            guard senders.count < VRRPCensus.maximumSenders else { return }
            senders.append(Sender(address: carp.sourceAddress, mac: carp.sourceMAC, version: carp.version, advbase: carp.advbase,
                                  advskew: carp.advskew, demotion: carp.demotion, counter: carp.counter, first: carp.time,
                                  last: carp.time, firstPacket: carp.packet, lastPacket: carp.packet))
            slot = senders.count - 1
        }
        senders[slot].count += 1
        if carp.time >= senders[slot].last { senders[slot].last = carp.time; senders[slot].lastPacket = carp.packet }
        if !carp.checksumValid { senders[slot].badChecksums += 1; return }
        if carp.ttl != 255 { senders[slot].badTTL += 1; return }
        senders[slot].version = carp.version
        senders[slot].advbase = carp.advbase
        senders[slot].advskew = carp.advskew
        senders[slot].demotion = carp.demotion
        senders[slot].counter = carp.counter
    }
}
