@testable import HAExplainCore
import HAModel
import Testing
import VRRP

/// The application server's neighbour entry for the VIP, read against the balancers'
/// snapshots and the adverts on the wire: who it sends to, and whether that is the master.
@Suite struct NeighbourClaimsTests {
    static let vip = IPAddress("192.168.3.200")!
    static let lb0MAC = "bc:76:4e:05:6c:1c"
    static let lb1MAC = "bc:76:4e:05:eb:70"

    static func balancer(_ name: String, _ own: String, mac: String, holdsVIP: Bool) -> ExaminedHost {
        var eth2 = NetworkInterface(ifindex: 2, ifname: "eth2", rawFlags: 0x11043)
        eth2.address = mac
        eth2.addrInfo = [InterfaceAddress(local: IPAddress(own)!, prefixlen: 24)]
        if holdsVIP { eth2.addrInfo.append(InterfaceAddress(local: vip, prefixlen: 32, rawFlags: 0x81)) }
        return ExaminedHost(hostname: name, isLocal: false,
                        addresses: AddressTable(netns: nil, source: .netlink("test"), interfaces: [eth2]))
    }

    static func app(_ entries: [NeighbourEntry], local: Bool = true) -> ExaminedHost {
        var eth2 = NetworkInterface(ifindex: 2, ifname: "eth2", rawFlags: 0x11043)
        eth2.address = "bc:76:4e:05:aa:10"
        eth2.addrInfo = [InterfaceAddress(local: IPAddress("192.168.3.10")!, prefixlen: 24)]
        return ExaminedHost(hostname: "prod-app-000", isLocal: local,
                        addresses: AddressTable(netns: nil, source: .netlink("test"), interfaces: [eth2]),
                        neighbours: NeighbourTable(netns: nil, source: .netlink("test"), neighbours: entries))
    }

    static func entry(_ mac: String?, state: UInt16) -> NeighbourEntry {
        NeighbourEntry(dst: vip, ifindex: 2, dev: "eth2", lladdr: mac, rawState: state)
    }

    /// The wire: VRID 200 with `master` advertising, the other balancer silent (backup).
    static func wire(master: (String, String, Int)) -> VRRPCensusReport {
        var router = VRRPCensusReport.Router(interface: "eth2", family: .inet, vrid: 200)
        let time = PacketTime(seconds: 1)
        router.master = .init(address: IPAddress(master.0)!, mac: MACAddress(master.1), priority: master.2, source: .init(kind: .packet, detail: "#1"))
        router.senders = [.init(address: IPAddress(master.0)!, mac: MACAddress(master.1), version: 2, priority: master.2, advertInt: 1,
                                authType: nil, authFingerprint: nil, virtualAddresses: [vip], count: 2, firstSeen: time, lastSeen: time,
                                ttl: 255, badTTL: 0, badChecksum: 0, firstPacket: 1, lastPacket: 2)]
        return VRRPCensusReport(source: .init(kind: .packet, detail: "test"),
                                capture: .init(packets: 2, adverts: 2, malformed: 0, start: nil, end: nil, truncated: false),
                                routers: [router], problems: [])
    }

    static func answer(app: ExaminedHost, lb0HoldsVIP: Bool = true, wire: VRRPCensusReport? = nil) -> IPAnswer {
        let hosts = [app, balancer("prod-haproxy-000", "192.168.3.4", mac: lb0MAC, holdsVIP: lb0HoldsVIP),
                     balancer("prod-haproxy-001", "192.168.3.5", mac: lb1MAC, holdsVIP: !lb0HoldsVIP)]
        let report = IPExplainer.explain(IPEvidence(query: vip.description, addresses: [vip], hosts: hosts, keepalived: nil, wire: wire))
        return report.answers[0]
    }

    @Test("the app sends the VIP to the master's MAC: evidence names the node and its VRRP role, no warning")
    func pointsAtMaster() throws {
        let answer = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry(NeighbourClaimsTests.lb0MAC, state: NeighbourState.reachable)]),
                                                 wire: NeighbourClaimsTests.wire(master: ("192.168.3.4", NeighbourClaimsTests.lb0MAC, 100)))
        let claim = try #require(answer.evidence.first { $0.claim.hasPrefix("this host sends") })
        #expect(claim.claim == "this host sends 192.168.3.200 to bc:76:4e:05:6c:1c = prod-haproxy-000 (VRRP master of VRID 200); neighbour entry on eth2, REACHABLE")
        #expect(claim.source == "netlink" && claim.host == "prod-app-000")
        #expect(!answer.warnings.contains { $0.contains("stale") })
        let match = try #require(answer.neighbours?.first)
        #expect(match.node == "prod-haproxy-000" && match.identifiedBy == "interface" && match.vrid == 200 && match.pointsAtOwner == true)
        #expect(match.nodeAddress == IPAddress("192.168.3.4"))
    }

    @Test("after a failover the app still sends to the old master: a stale-ARP warning naming both nodes")
    func staleAfterFailover() throws {
        let answer = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry(NeighbourClaimsTests.lb0MAC, state: NeighbourState.stale)]),
                                                 lb0HoldsVIP: false, wire: NeighbourClaimsTests.wire(master: ("192.168.3.5", NeighbourClaimsTests.lb1MAC, 99)))
        #expect(answer.verdict.ownerHost == "prod-haproxy-001")
        let warning = try #require(answer.warnings.first { $0.contains("stale ARP entry") })
        #expect(warning.hasPrefix("this host sends 192.168.3.200 to bc:76:4e:05:6c:1c (prod-haproxy-000), but the owner now is prod-haproxy-001 (192.168.3.5, bc:76:4e:05:eb:70)"))
        #expect(warning.contains("gratuitous ARP never arrived"))
        #expect(answer.neighbours?.first?.pointsAtOwner == false)
        // The evidence says who the MAC is even though it is no longer master.
        #expect(answer.evidence.contains { $0.claim.contains("to bc:76:4e:05:6c:1c = prod-haproxy-000;") })
    }

    @Test("a MAC known only from the adverts it sends is named by the sender's address")
    func identifiedByAdverts() throws {
        // Only the app's snapshot: no balancer snapshot, the wire alone knows the MAC.
        let app = NeighbourClaimsTests.app([NeighbourClaimsTests.entry(NeighbourClaimsTests.lb0MAC, state: NeighbourState.reachable)])
        let report = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [NeighbourClaimsTests.vip], hosts: [app], keepalived: nil,
                                                    wire: NeighbourClaimsTests.wire(master: ("192.168.3.4", NeighbourClaimsTests.lb0MAC, 100))))
        let answer = report.answers[0]
        #expect(answer.evidence.contains { $0.claim.hasPrefix("this host sends 192.168.3.200 to bc:76:4e:05:6c:1c = 192.168.3.4 (VRRP master of VRID 200)") })
        #expect(answer.neighbours?.first?.identifiedBy == "vrrp_sender")
        #expect(answer.neighbours?.first?.pointsAtOwner == true)
    }

    @Test("the old master, silent now, is recognised by the MAC the app has for its own address")
    func identifiedByOwnTable() throws {
        let own = NeighbourEntry(dst: IPAddress("192.168.3.4")!, ifindex: 2, dev: "eth2", lladdr: NeighbourClaimsTests.lb0MAC, rawState: NeighbourState.stale)
        let app = NeighbourClaimsTests.app([NeighbourClaimsTests.entry(NeighbourClaimsTests.lb0MAC, state: NeighbourState.stale), own])
        let report = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [NeighbourClaimsTests.vip], hosts: [app], keepalived: nil,
                                                    wire: NeighbourClaimsTests.wire(master: ("192.168.3.5", NeighbourClaimsTests.lb1MAC, 99))))
        let answer = report.answers[0]
        #expect(answer.evidence.contains { $0.claim.hasPrefix("this host sends 192.168.3.200 to bc:76:4e:05:6c:1c = 192.168.3.4 (its own neighbour entry has the same MAC)") })
        #expect(answer.warnings.contains { $0.hasPrefix("this host sends 192.168.3.200 to bc:76:4e:05:6c:1c (192.168.3.4), but the owner now is 192.168.3.5, bc:76:4e:05:eb:70: a stale ARP entry") })
        #expect(answer.neighbours?.first?.identifiedBy == "neighbour_entry")
    }

    @Test("the VRRP virtual MAC of the VIP's VRID (use_vmac) follows the master: no warning")
    func virtualMAC() throws {
        let answer = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry("00:00:5e:00:01:c8", state: NeighbourState.reachable)]),
                                                 wire: NeighbourClaimsTests.wire(master: ("192.168.3.4", NeighbourClaimsTests.lb0MAC, 100)))
        #expect(answer.evidence.contains { $0.claim.contains("= the VRRP virtual MAC of VRID 200") })
        #expect(answer.neighbours?.first?.pointsAtOwner == true)
        #expect(!answer.warnings.contains { $0.contains("stale") })
        #expect(VRRPVirtualMAC.router("00:00:5E:00:02:0A")! == (.inet6, 10))
        #expect(VRRPVirtualMAC.router("00:00:5e:00:03:0a") == nil)
        #expect(VRRPVirtualMAC.mac(family: .inet, vrid: 7) == "00:00:5e:00:01:07")
    }

    @Test("FAILED and INCOMPLETE entries are said plainly; FAILED while a node holds the address is an old failure")
    func unresolved() throws {
        let failed = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry(nil, state: NeighbourState.failed)]))
        // prod-haproxy-000 holds it now: the FAILED entry is from before, and the next packet asks again.
        #expect(failed.warnings.contains { $0.hasPrefix("this host's neighbour entry for 192.168.3.200 is FAILED: its ARP requests went unanswered at some point") })
        #expect(!failed.warnings.contains { $0.contains("goes nowhere") })
        #expect(failed.evidence.contains { $0.claim == "this host has no MAC for 192.168.3.200 (neighbour entry on eth2, FAILED)" })
        let incomplete = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry(nil, state: NeighbourState.incomplete)]))
        #expect(incomplete.warnings.contains { $0.contains("is INCOMPLETE") })
    }

    @Test("a static entry to a MAC nobody known has, while the owner is known: warned, and told it will not fix itself")
    func unknownStaticMAC() throws {
        let answer = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry("02:00:00:00:00:99", state: NeighbourState.permanent)]))
        #expect(answer.evidence.contains { $0.claim.contains("which no interface, advert or VRRP virtual MAC known here identifies") })
        #expect(answer.warnings.contains { $0.contains("(a MAC no node known here has), but the owner now is prod-haproxy-000") && $0.contains("static") })
    }

    @Test("from a snapshot the host is named, and a host without an entry on the VIP's subnet says so only when live")
    func snapshotAndNoEntry() throws {
        let fromSnapshot = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([NeighbourClaimsTests.entry(NeighbourClaimsTests.lb0MAC, state: NeighbourState.stale)], local: false))
        // No keepalived configuration and no wire: the node holds the address, no VRID is known.
        #expect(fromSnapshot.evidence.contains { $0.claim == "prod-app-000 sends 192.168.3.200 to bc:76:4e:05:6c:1c = prod-haproxy-000 (holds the address); neighbour entry on eth2, STALE" })
        let none = NeighbourClaimsTests.answer(app: NeighbourClaimsTests.app([]))
        #expect(none.evidence.contains { $0.claim.hasPrefix("this host has no neighbour entry for 192.168.3.200") })
        #expect(none.neighbours == nil)
    }

    @Test("a snapshot without a neighbours field (an older haexplain) still decodes")
    func olderSnapshot() throws {
        let json = #"{"schema_version":2,"hostname":"h","taken_at":"t","haexplain_version":"0","limits":[]}"#
        let snapshot = try HostSnapshot.decode(Array(json.utf8), origin: "test")
        #expect(snapshot.neighbours == nil)
        let table = NeighbourTable(netns: nil, source: .netlink("RTM_GETNEIGH dump"), neighbours: [NeighbourClaimsTests.entry(NeighbourClaimsTests.lb0MAC, state: NeighbourState.reachable)])
        var withTable = snapshot
        withTable.neighbours = table
        let encoded = try JSONOutput.encode(withTable)
        #expect(try HostSnapshot.decode(Array(encoded.utf8), origin: "test").neighbours == table)
    }
}
