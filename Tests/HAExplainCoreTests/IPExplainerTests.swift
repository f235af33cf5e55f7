import Foundation
import HAExplainCore
import HAModel
import KeepalivedConfig
import LocalFiles
import LabSupport
import Processes
import Testing
import VRRP

/// The verdict as a pure function: hosts, configurations and adverts made by hand (the seed's
/// two balancers and application server), no root and no network.
@Suite struct IPExplainerTests {
    static let vip = IPAddress("192.168.3.200")!
    static let lb000 = IPAddress("192.168.3.4")!
    static let lb001 = IPAddress("192.168.3.5")!

    static func host(_ name: String, mac: String, address: String, extra: [String] = [], isLocal: Bool = false) -> ExaminedHost {
        var eth2 = NetworkInterface(ifindex: 2, ifname: "eth2", rawFlags: 0x1043)
        eth2.address = mac
        eth2.addrInfo = [InterfaceAddress(local: IPAddress(address)!, prefixlen: 24)]
            + extra.map { InterfaceAddress(local: IPAddress($0)!, prefixlen: 32) }
        let table = AddressTable(netns: nil, source: Source(kind: .netlink, detail: "test"), interfaces: [eth2])
        return ExaminedHost(hostname: name, isLocal: isLocal, addresses: table)
    }

    static func seedKeepalived(_ nodes: [String] = ["prod-haproxy-000", "prod-haproxy-001"], stopped: Set<String> = [],
                               observed: [ObservedTrack] = []) throws -> KeepalivedReport {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let configs = try nodes.map { node in
            NodeConfiguration(name: node, config: try KeepalivedParser.parse(
                path: root.appendingPathComponent("demo/seed/\(node).keepalived.conf").path, files: LocalConfigFiles(), configID: node), chosenBecause: "test")
        }
        return KeepalivedAnalysis.analyze(configs, observed: observed, stopped: stopped)
    }

    /// Adverts every second for `seconds` from each (source, priority).
    static func wire(_ senders: [(IPAddress, UInt8)], vrid: UInt8 = 200, vips: [IPAddress] = [vip], seconds: Int = 4) -> VRRPCensusReport {
        var census = VRRPCensus()
        var packet = 0
        for second in 0..<seconds {
            for (source, priority) in senders {
                packet += 1
                let time = PacketTime(nanoseconds: Int64(1_764_043_032 + second) * 1_000_000_000 + Int64(packet))
                census.notePacket(time: time)
                census.add(VRRPAdvert(packet: packet, time: time, interface: "eth2", sourceAddress: source,
                                      destinationAddress: IPAddress("224.0.0.18")!, ttl: 255, version: 2, vrid: vrid,
                                      priority: priority, authType: 0, interval: 100, checksumValid: true,
                                      virtualAddresses: vips, authData: nil))
            }
        }
        return census.report(source: Source(kind: .packet, detail: "test"), end: nil)
    }

    static let app = host("prod-app-000", mac: "bc:76:4e:05:aa:10", address: "192.168.3.10", isLocal: true)

    @Test("the master's own eth2 goes down: keepalived there is in FAULT, and ip on it says this host FAULT and that who holds 192.168.3.200 cannot be heard from it, not that nobody holds it")
    func ownInterfaceDown() throws {
        var here = Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", isLocal: true)
        here.addresses?.interfaces[0].rawFlags = 0x1002
        let silence = VRRPCensus().report(source: Source(kind: .packet, detail: "test"))
        let keepalived = try Self.seedKeepalived(["prod-haproxy-000"], observed: HostsInView.observedInterfaces([here]))
        let answer = try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [here],
                                                                 keepalived: keepalived, wire: silence)).answers.first)
        #expect(answer.thisHost?.state == .fault && answer.thisHost?.arithmetic.hasPrefix("FAULT (interface eth2 down)") == true, "\(answer.thisHost.map { "\($0)" } ?? "")")
        #expect(answer.verdict.owner == .unknown && answer.verdict.reason.hasPrefix("eth2 of prod-haproxy-000 is down: no advert on its LAN reaches this host"),
                "\(answer.verdict)")
        // Up, running and silent: nobody holds it, as before.
        here.addresses?.interfaces[0].rawFlags = 0x1043
        let up = try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [here],
            keepalived: try Self.seedKeepalived(["prod-haproxy-000"], observed: HostsInView.observedInterfaces([here])), wire: silence)).answers.first)
        #expect(up.verdict.owner == .none && up.thisHost?.state == .backup && up.thisHost?.priority == 100, "\(up.verdict) \(up.thisHost.map { "\($0)" } ?? "")")
    }

    @Test("from the application server: the master's adverts and its addresses name prod-haproxy-000")
    func peerFromApplicationServer() throws {
        let report = IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [Self.vip],
            hosts: [Self.app, Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"]),
                    Self.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")],
            keepalived: try Self.seedKeepalived(), wire: Self.wire([(Self.lb000, 100)])))
        let verdict = try #require(report.answers.first).verdict
        #expect(verdict.owner == .peer && verdict.ownerHost == "prod-haproxy-000")
        #expect(verdict.ownerAddress == Self.lb000 && verdict.ownerMac == "bc:76:4e:05:6c:1c" && verdict.vrid == 200)
        #expect(report.exitStatus == 0)
        #expect(report.listened?.kind == .packet)
    }

    @Test("a problem of vrrp_instance VI_10 is not VI_1's, though VI_1 is in its text: problems are tied to instances by identity")
    func problemsTiedByIdentity() throws {
        let text = """
            vrrp_instance VI_1 {
                interface eth2
                virtual_router_id 1
                priority 100
                virtual_ipaddress {
                    10.0.0.1
                }
            }
            vrrp_instance VI_10 {
                state MASTER
                interface eth2
                virtual_router_id 10
                virtual_ipaddress {
                    10.0.0.10
                }
            }
            """
        let config = try KeepalivedParser.parse(path: "k.conf", files: InMemoryConfigFiles(["k.conf": text]), configID: "lb1")
        let keepalived = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb1", config: config, chosenBecause: "test")])
        // VI_10 says MASTER without a priority: keepalived makes it the address owner, a problem of VI_10 alone.
        let problem = try #require(keepalived.problems.first { $0.code == .priorityAdjusted })
        #expect(problem.instance == "VI_10" && problem.message.contains("VI_1"), "\(problem)")
        let lb1 = Self.host("lb1", mac: "bc:76:4e:05:6c:1c", address: "10.0.0.2", extra: ["10.0.0.1", "10.0.0.10"], isLocal: true)
        func warnings(_ address: String) throws -> [String] {
            let report = IPExplainer.explain(IPEvidence(query: address, addresses: [IPAddress(address)!], hosts: [lb1], keepalived: keepalived, wire: nil))
            return try #require(report.answers.first).warnings
        }
        #expect(try !warnings("10.0.0.1").contains { $0.contains(problem.code.rawValue) })
        #expect(try warnings("10.0.0.10").contains { $0.hasPrefix("\(problem.code.rawValue): \(problem.message)") })
    }

    @Test("a master no snapshot describes is named from the hosts file, with its line as evidence")
    func masterNamedFromHostsFile() throws {
        let name = NameClaim(name: "prod-haproxy-000", address: Self.lb000, source: .file("/etc/hosts", line: 6))
        let answer = try #require(IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [Self.vip], hosts: [Self.app], keepalived: nil,
            wire: Self.wire([(Self.lb000, 100)]), nodeNames: [Self.lb000: name])).answers.first)
        #expect(answer.verdict.owner == .peer && answer.verdict.ownerHost == "prod-haproxy-000")
        #expect(answer.evidence.contains { $0.claim == "192.168.3.4 is prod-haproxy-000" && $0.line == 6 })
        let unnamed = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [Self.app],
                                                     keepalived: nil, wire: Self.wire([(Self.lb000, 100)])))
        #expect(unnamed.answers.first?.verdict.ownerHost == nil)
    }

    @Test("on the master: local, MASTER at 100, and the what-if hands the VIP to prod-haproxy-001 at 98 < 99")
    func localMaster() throws {
        let master = Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"], isLocal: true)
        let answer = try #require(IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [Self.vip],
            hosts: [master, Self.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")],
            keepalived: try Self.seedKeepalived(), wire: nil)).answers.first)
        #expect(answer.verdict.owner == .local && answer.thisHost?.state == .master && answer.thisHost?.priority == 100)
        let chk = answer.whatif.first { $0.node == "prod-haproxy-000" && $0.failing == "track_script chk_haproxy" }
        #expect(chk?.priority == 98 && chk?.newMaster == "prod-haproxy-001")
    }

    @Test("two nodes holding the address, or two senders advertising at once, is a conflict (exit 3)")
    func conflicts() throws {
        let both = IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [Self.vip],
            hosts: [Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"]),
                    Self.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5", extra: ["192.168.3.200"])],
            keepalived: try Self.seedKeepalived(), wire: nil))
        #expect(both.answers.first?.verdict.owner == .conflict)
        #expect(both.exitStatus == IPReport.conflictStatus)

        let split = IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [Self.vip], hosts: [Self.app],
            keepalived: nil, wire: Self.wire([(Self.lb000, 100), (Self.lb001, 99)], seconds: 6)))
        #expect(split.answers.first?.verdict.owner == .conflict)
        #expect(split.answers.first?.verdict.reason.contains("split brain") == true)
    }

    @Test("nobody holds it: none when every configured node is seen, unknown when one is not")
    func noneAndUnknown() throws {
        let lb0 = Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4")
        let lb1 = Self.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")
        let seen = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [Self.app, lb0, lb1],
                                                  keepalived: try Self.seedKeepalived(), wire: nil))
        #expect(seen.answers.first?.verdict.owner == Verdict.Owner.none)
        #expect(seen.exitStatus == 0)

        let oneSeen = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [Self.app, lb0],
                                                     keepalived: try Self.seedKeepalived(), wire: nil))
        #expect(oneSeen.answers.first?.verdict.owner == .unknown)
        #expect(oneSeen.exitStatus == IPReport.unknownStatus)

        // The wire heard nothing for the configured VRID: none even from one node.
        let silent = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [lb0],
                                                    keepalived: try Self.seedKeepalived(["prod-haproxy-000"]),
                                                    wire: Self.wire([(Self.lb001, 100)], vrid: 201, vips: [IPAddress("192.168.3.201")!])))
        #expect(silent.answers.first?.verdict.owner == Verdict.Owner.none)
        #expect(silent.answers.first?.evidence.contains { $0.claim.hasPrefix("no advert for VRID 200 was heard") } == true)
    }

    @Test("the configured VRID heard for other addresses (another LAN) is not the owner, and does not end listening early")
    func sameVRIDElsewhere() throws {
        let elsewhere = Self.wire([(IPAddress("10.9.9.2")!, 150)], vrid: 200, vips: [IPAddress("10.9.9.9")!])
        let answer = try #require(IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [Self.vip],
            hosts: [Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", isLocal: true),
                    Self.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")],
            keepalived: try Self.seedKeepalived(), wire: elsewhere)).answers.first)
        #expect(answer.verdict.owner == Verdict.Owner.none && answer.verdict.ownerAddress == nil)
        #expect(answer.warnings.contains { $0.hasPrefix("VRID 200 heard on eth2 from 10.9.9.2 (10.9.9.9) does not list 192.168.3.200") })

        var census = VRRPCensus()
        for second in 0..<3 {
            let time = PacketTime(seconds: 1_764_043_032 + Int64(second))
            census.notePacket(time: time)
            census.add(VRRPAdvert(packet: second + 1, time: time, interface: "vA", sourceAddress: IPAddress("10.9.9.2")!,
                                  destinationAddress: IPAddress("224.0.0.18")!, ttl: 255, version: 2, vrid: 200, priority: 150,
                                  authType: 0, interval: 100, checksumValid: true, virtualAddresses: [IPAddress("10.9.9.9")!], authData: nil))
        }
        let since = PacketTime(seconds: 1_764_043_032), now = PacketTime(seconds: 1_764_043_034)
        #expect(!WireSufficiency.progress(census, since: since, now: now, vrids: [200], addresses: [Self.vip]).answered)
        #expect(WireSufficiency.progress(census, since: since, now: now, vrids: [200], addresses: [IPAddress("10.9.9.9")!]).answered)
    }

    @Test("a VIP still assigned after keepalived died is a leftover, not a master; a partial /proc concludes nothing")
    func leftoverAddress() throws {
        func answer(_ processes: ProcessFacts) throws -> IPAnswer {
            var master = Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"], isLocal: true)
            master.processes = processes
            return try #require(IPExplainer.explain(IPEvidence(
                query: "192.168.3.200", addresses: [Self.vip], hosts: [master],
                keepalived: try Self.seedKeepalived(["prod-haproxy-000"]), wire: nil)).answers.first)
        }
        let gone = try answer(ProcessFacts())
        #expect(gone.verdict.owner == .local && gone.verdict.reason.contains("keepalived is not running on prod-haproxy-000"))
        #expect(gone.thisHost?.state == .stopped)
        #expect(gone.warnings.contains { $0.contains("ip addr del 192.168.3.200/32 dev eth2") })
        #expect(gone.whatif.isEmpty, "a stopped keepalived takes nothing over")

        // The peer's keepalived is stopped: it is no candidate, so when haproxy dies here nobody
        // takes over (98 is still the highest priority running), and the peer's own checks
        // change nothing.
        let master = Self.host("prod-haproxy-000", mac: "bc:76:4e:05:6c:1c", address: "192.168.3.4", extra: ["192.168.3.200"], isLocal: true)
        var peer = Self.host("prod-haproxy-001", mac: "bc:76:4e:05:eb:70", address: "192.168.3.5")
        peer.processes = ProcessFacts()
        let election = try Self.seedKeepalived(stopped: ["prod-haproxy-001"])
        let withPeer = try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [master, peer],
                                                                   keepalived: election, wire: nil)).answers.first)
        let chk = withPeer.whatif.first { $0.node == "prod-haproxy-000" && $0.failing == "track_script chk_haproxy" }
        #expect(chk?.newMaster == "prod-haproxy-000" && chk?.sentence.contains("prod-haproxy-000 stays master") == true)
        #expect(!withPeer.whatif.contains { $0.node == "prod-haproxy-001" })
        let vrid200 = try #require(election.elections.first { $0.virtualRouterID == 200 })
        #expect(vrid200.candidates.first { $0.node == "prod-haproxy-001" }?.state == .stopped)
        #expect(vrid200.master == "prod-haproxy-000" && vrid200.reason == "the only candidate running and not in FAULT")
        // Both running: the same failure hands the VIP to the peer (100 - 2 = 98 < 99).
        let running = try Self.seedKeepalived().elections.first { $0.virtualRouterID == 200 }
        #expect(running?.whatif.first { $0.node == "prod-haproxy-000" }?.newMaster == "prod-haproxy-001")

        let hidden = try answer(ProcessFacts(partial: true))
        #expect(hidden.thisHost?.state == .master)
        #expect(!hidden.warnings.contains { $0.contains("keepalived is not running") })
    }

    @Test("an address no configuration lists and no advert mentions is unknown, with both reasons")
    func nobodyConfiguredIt() throws {
        let report = IPExplainer.explain(IPEvidence(query: "192.168.3.99", addresses: [IPAddress("192.168.3.99")!], hosts: [Self.app],
                                                    keepalived: try Self.seedKeepalived(), wire: Self.wire([(Self.lb000, 100)])))
        let verdict = try #require(report.answers.first).verdict
        #expect(verdict.owner == .unknown)
        #expect(verdict.reason.contains("no keepalived instance read lists it") && verdict.reason.contains("no VRRP advert mentions it"))
    }
}
