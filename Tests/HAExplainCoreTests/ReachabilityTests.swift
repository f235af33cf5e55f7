import Foundation
import HAExplainCore
import HAModel
import KeepalivedConfig
import LabSupport
import LocalFiles
import Testing

/// Why an address is reachable and what blocks it, as pure functions: the address's class,
/// the firewall rulesets captured from real `nft -j list ruleset` (and `nft -a list ruleset`)
/// in test namespaces, and the blockers judged from them.
@Suite struct ReachabilityTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/nftables")

    static func ruleset(_ name: String, text: String? = nil) throws -> FirewallFacts {
        let json = try Array(Data(contentsOf: fixtures.appendingPathComponent("\(name).json")))
        let words = try text.map { try String(contentsOf: fixtures.appendingPathComponent("\($0).txt"), encoding: .utf8) } ?? ""
        return try FirewallRuleset.parse(json: json, text: words, source: Source(kind: .netlink, detail: "test"))
    }

    @Test("each special-purpose block gets its class, and the edges of the blocks are right",
          arguments: [
            ("192.168.3.200", AddressClass.Kind.private), ("10.0.0.1", .private), ("172.16.0.1", .private),
            ("172.31.255.255", .private), ("172.32.0.1", .public), ("100.64.0.1", .shared), ("100.128.0.1", .public),
            ("127.0.0.1", .loopback), ("169.254.1.1", .linkLocal), ("192.0.2.7", .documentation),
            ("198.51.100.1", .documentation), ("203.0.113.9", .documentation), ("198.18.0.1", .benchmarking),
            ("198.20.0.1", .public), ("224.0.0.18", .multicast), ("239.1.1.1", .multicast), ("240.0.0.1", .reserved),
            ("255.255.255.255", .broadcast), ("0.0.0.0", .unspecified), ("8.8.8.8", .public),
            ("fd12:3456::1", .uniqueLocal), ("fe80::1", .linkLocal), ("::1", .loopback), ("::", .unspecified),
            ("ff02::12", .multicast), ("2001:db8::1", .documentation), ("2a00:1450::1", .public),
            ("::ffff:192.168.3.200", .ipv4Mapped), ("4000::1", .reserved),
          ])
    func addressClasses(_ text: String, _ kind: AddressClass.Kind) throws {
        let found = AddressClass.of(try #require(IPAddress(text)))
        #expect(found.kind == kind, "\(text): \(found.kind) (\(found.block)), expected \(kind)")
        #expect(found.routableOnInternet == (kind == .public))
    }

    @Test("the seed's customer: a private VIP named in /etc/hosts says the internet cannot route it, and where the name came from")
    func privateAddressNameNote() throws {
        let claim = NameClaim(name: "prod-db-internal.panda.com", address: IPExplainerTests.vip, source: .file("/etc/hosts", line: 3))
        let report = IPExplainer.explain(IPEvidence(query: "prod-db-internal.panda.com", addresses: [IPExplainerTests.vip],
                                                    resolution: [claim], hosts: [IPExplainerTests.app], keepalived: nil, wire: nil))
        let kind = try #require(report.answers.first?.addressClass)
        #expect(kind.kind == .private && kind.rfc == "RFC 1918" && kind.block == "192.168.0.0/16")
        let note = try #require(kind.nameNote)
        #expect(note.hasPrefix(AddressClass.elsewhereSentence))
        #expect(note.contains("prod-db-internal.panda.com -> 192.168.3.200 (/etc/hosts:3)"))
        let text = IPReportText.render(report)
        #expect(text.contains("class      private (RFC 1918, 192.168.0.0/16)"))
        #expect(text.contains("resolves it elsewhere (their own hosts file or DNS)"))
        // A public address gets no such note: someone may really reach it from outside.
        let open = AddressClass.of(IPAddress("8.8.8.8")!, names: [NameClaim(name: "x", address: IPAddress("8.8.8.8")!, source: .file("/etc/hosts", line: 1))])
        #expect(open.nameNote == nil)
    }

    @Test("the ruleset JSON and text from nft give every rule its chain, hook, handle, words and conditions")
    func parsesRealRuleset() throws {
        let facts = try Self.ruleset("nft-partition-and-vip-drops", text: "nft-partition-and-vip-drops")
        let input = try #require(facts.chains.first { $0.name == "input" })
        #expect(input.family == "inet" && input.table == "filter" && input.hook == "input" && input.policy == "accept")
        #expect(input.rules.map(\.handle) == [3, 4, 5, 6, 7, 9, 10, 12, 13, 14])
        #expect(input.rules.first?.text == "ip protocol vrrp drop")
        #expect(input.rules.first?.conditions == [FirewallCondition(field: "ip protocol", op: "==", values: ["vrrp"])])
        let peers = try #require(input.rules.first { $0.handle == 9 })
        #expect(peers.conditions.first?.values == ["10.0.0.9", "192.168.3.5"])
        #expect(input.rules.last?.conditions.last?.values == ["192.168.3.0/24"])
        #expect(input.rules.first { $0.handle == 10 }?.verdict == "reject")
        #expect(facts.chains.first { $0.name == "output" }?.rules.first?.text == "ip protocol vrrp drop")
    }

    static func node(_ name: String, firewall: FirewallFacts?, extra: [String] = []) -> ExaminedHost {
        var view = IPExplainerTests.host(name, mac: "bc:76:4e:05:6c:1c", address: name == "prod-haproxy-000" ? "192.168.3.4" : "192.168.3.5",
                                         extra: extra)
        view.firewall = firewall
        return view
    }

    @Test("a two-way split brain names the nftables drop of protocol 112 as its reason, with table, chain and handle")
    func splitBrainReasonIsTheFirewall() throws {
        let partition = try Self.ruleset("nft-partition-and-vip-drops", text: "nft-partition-and-vip-drops")
        let report = IPExplainer.explain(IPEvidence(
            query: "192.168.3.200", addresses: [IPExplainerTests.vip],
            hosts: [Self.node("prod-haproxy-000", firewall: partition, extra: ["192.168.3.200"]), Self.node("prod-haproxy-001", firewall: nil, extra: ["192.168.3.200"])],
            keepalived: try IPExplainerTests.seedKeepalived(),
            wire: IPExplainerTests.wire([(IPExplainerTests.lb000, 100), (IPExplainerTests.lb001, 99)], seconds: 6)))
        let answer = try #require(report.answers.first)
        #expect(answer.verdict.owner == .conflict)
        #expect(answer.verdict.reason.contains("likely cause: the firewall drops VRRP: ip protocol vrrp drop (table inet filter, chain input, handle 3 on prod-haproxy-000)"))
        let blockers = try #require(answer.blockers)
        #expect(blockers.contains { $0.kind == .vrrp && $0.direction == "input" && $0.handle == 3 && $0.host == "prod-haproxy-000" })
        #expect(blockers.contains { $0.kind == .vrrp && $0.direction == "output" && $0.chain == "output" && $0.handle == 15 })
        // The peer's firewall was not read: nothing is said about it.
        #expect(!blockers.contains { $0.host == "prod-haproxy-001" })
        // Traffic to the VIP: the first rule that surely matches a client's TCP packet.
        #expect(blockers.contains { $0.kind == .service && $0.handle == 14 })
    }

    @Test("the application server's own output drop of the VIP is named as what keeps its clients away")
    func applicationServerOutputDrop() throws {
        let json = """
            {"nftables": [{"chain": {"family": "inet", "table": "f", "name": "out", "handle": 1, "type": "filter", "hook": "output", "prio": 0, "policy": "accept"}},
             {"rule": {"family": "inet", "table": "f", "chain": "out", "handle": 5, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": {"prefix": {"addr": "192.168.3.192", "len": 26}}}}, {"reject": null}]}}]}
            """
        var app = IPExplainerTests.app
        app.firewall = try FirewallRuleset.parse(json: Array(json.utf8), text: "", source: Source(kind: .netlink))
        let answer = try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [IPExplainerTests.vip], hosts: [app],
                                                                  keepalived: nil, wire: nil)).answers.first)
        let blocker = try #require(answer.blockers?.first)
        #expect(blocker.kind == .service && blocker.direction == "output" && blocker.handle == 5 && blocker.host == "prod-app-000")
        #expect(blocker.sentence.contains("rejects traffic prod-app-000 sends to 192.168.3.200"))
        // 192.168.3.100 is outside 192.168.3.192/26: nothing blocks it.
        let other = IPExplainer.explain(IPEvidence(query: "192.168.3.100", addresses: [IPAddress("192.168.3.100")!], hosts: [app], keepalived: nil, wire: nil))
        #expect(other.answers.first?.blockers == nil)
    }

    @Test("an accept of VRRP before the drop is no blocker; a drop policy with no accept is")
    func orderAndPolicy() throws {
        func facts(_ rules: String, policy: String = "accept") throws -> FirewallFacts {
            let json = """
                {"nftables": [{"table": {"family": "ip", "name": "t", "handle": 1}},
                 {"chain": {"family": "ip", "table": "t", "name": "in", "handle": 1, "type": "filter", "hook": "input", "prio": 0, "policy": "\(policy)"}},
                 \(rules)]}
                """
            return try FirewallRuleset.parse(json: Array(json.utf8), text: "", source: Source(kind: .netlink))
        }
        let vrrp = #"{"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "protocol"}}, "right": "vrrp"}}"#
        let accept = try facts(#"{"rule": {"family": "ip", "table": "t", "chain": "in", "handle": 2, "expr": [\#(vrrp), {"accept": null}]}}, {"rule": {"family": "ip", "table": "t", "chain": "in", "handle": 3, "expr": [{"drop": null}]}}"#)
        let dropped = try facts(#"{"rule": {"family": "ip", "table": "t", "chain": "in", "handle": 2, "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 22}}, {"accept": null}]}}"#, policy: "drop")
        let interfaceOnly = try facts(#"{"rule": {"family": "ip", "table": "t", "chain": "in", "handle": 2, "expr": [{"match": {"op": "==", "left": {"meta": {"key": "iifname"}}, "right": "eth9"}}, {"drop": null}]}}"#)
        // An iptables-nft match libnftables cannot translate (shown as "xt") may or may not hold.
        let xt = try facts(#"{"rule": {"family": "ip", "table": "t", "chain": "in", "handle": 2, "expr": [{"xt": {"type": "match", "name": "multiport"}}, {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}"#)
        #expect(xt.chains[0].rules[0].conditions.map(\.field) == ["xt"])
        func blockers(_ firewall: FirewallFacts) throws -> [Blocker] {
            try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [IPExplainerTests.vip],
                hosts: [Self.node("prod-haproxy-000", firewall: firewall, extra: ["192.168.3.200"])],
                keepalived: try IPExplainerTests.seedKeepalived(["prod-haproxy-000"]), wire: nil)).answers.first).blockers ?? []
        }
        #expect(try blockers(accept).filter { $0.kind == .vrrp }.isEmpty)
        #expect(try blockers(xt).isEmpty)
        let policy = try blockers(dropped)
        #expect(policy.contains { $0.kind == .vrrp && $0.handle == nil && $0.rule == "policy drop" })
        // The seed's VIP is on eth2: a drop on another interface is not its blocker.
        #expect(try blockers(interfaceOnly).filter { $0.kind == .vrrp }.isEmpty)
    }

    @Test("keepalived's vrrp_strict drop of the VIP (captured from keepalived 2.2.7) is named with the instance to add accept to")
    func keepalivedStrict() throws {
        let strict = try Self.ruleset("nft-keepalived-vrrp-strict")
        let set = try #require(strict.chains.first { $0.name == "in" }?.rules.first?.conditions.first)
        #expect(set.set == "vips" && set.values == ["10.1.0.200"])
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("strict-\(getpid()).conf")
        try """
            global_defs {
              vrrp_strict
            }
            vrrp_instance VI_1 {
              state MASTER
              interface eth2
              virtual_router_id 51
              priority 100
              virtual_ipaddress {
                10.1.0.200/32
              }
            }
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let config = try KeepalivedParser.parse(path: file.path, files: LocalConfigFiles(), configID: "lb")
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb", config: config, chosenBecause: "test")])
        var host = IPExplainerTests.host("lb", mac: "bc:76:4e:05:6c:1c", address: "10.1.0.1", extra: ["10.1.0.200"], isLocal: true)
        host.firewall = strict
        let answer = try #require(IPExplainer.explain(IPEvidence(query: "10.1.0.200", addresses: [IPAddress("10.1.0.200")!],
                                                                  hosts: [host], keepalived: report, wire: nil)).answers.first)
        let blocker = try #require(answer.blockers?.first { $0.kind == .keepalivedStrict })
        #expect(blocker.table == "keepalived" && blocker.chain == "in" && blocker.handle == 4 && blocker.instance == "VI_1")
        #expect(blocker.sentence.hasPrefix("10.1.0.200 is held here, but keepalived's vrrp_strict drops all traffic to it"))
        #expect(blocker.sentence.hasSuffix("add `accept` and `version 3` to vrrp_instance VI_1 (vrrp_strict resets accept for VRRPv2), or remove vrrp_strict from global_defs"))
        #expect(answer.warnings.contains(blocker.sentence))
        // Another address is not in keepalived's set: not blocked.
        let other = IPExplainer.explain(IPEvidence(query: "10.1.0.1", addresses: [IPAddress("10.1.0.1")!], hosts: [host], keepalived: report, wire: nil))
        #expect(other.answers.first?.blockers == nil)
    }

    @Test("arp_ignore=2 on the interface of a /32 VIP: this host ignores ARP for it; the VIP on lo with arp_ignore 0 answers everywhere")
    func arpSysctls() throws {
        var master = Self.node("prod-haproxy-000", firewall: nil, extra: ["192.168.3.200"])
        master.arp = [ARPSettings(interface: "eth2", arpIgnore: 2, arpAnnounce: 0, rpFilter: 0, allArpIgnore: 0, allArpAnnounce: 0, allRpFilter: 0)]
        let keepalived = try IPExplainerTests.seedKeepalived()
        func warnings(_ host: ExaminedHost) throws -> [String] {
            try #require(IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [IPExplainerTests.vip], hosts: [host],
                                                        keepalived: keepalived, wire: nil)).answers.first).warnings
        }
        #expect(try warnings(master).contains { $0.hasPrefix("prod-haproxy-000 ignores ARP requests for 192.168.3.200 on eth2: arp_ignore=2") })
        master.arp![0].arpIgnore = 1
        #expect(try !warnings(master).contains { $0.contains("ARP") })
        // The kernel takes the larger of all and the interface's value.
        master.arp![0].allArpIgnore = 8
        #expect(try warnings(master).contains { $0.contains("never answers ARP on eth2") })

        var loopback = NetworkInterface(ifindex: 1, ifname: "lo", rawFlags: 0x49)
        loopback.addrInfo = [InterfaceAddress(local: IPExplainerTests.vip, prefixlen: 32)]
        var backup = Self.node("prod-haproxy-001", firewall: nil)
        backup.addresses?.interfaces.append(loopback)
        backup.arp = [ARPSettings(interface: "lo", arpIgnore: 0, arpAnnounce: 0, rpFilter: 0, allArpIgnore: 0, allArpAnnounce: 0, allRpFilter: 0)]
        #expect(try warnings(backup).contains { $0.hasPrefix("prod-haproxy-001 answers ARP for 192.168.3.200 on every interface") })
        // With eth2's sysctls known too: arp_announce 0 there lets its ARP requests carry the VIP.
        backup.arp!.append(ARPSettings(interface: "eth2", arpIgnore: 0, arpAnnounce: 0, rpFilter: 0, allArpIgnore: 0, allArpAnnounce: 0, allRpFilter: 0))
        #expect(try warnings(backup).contains { $0.hasPrefix("prod-haproxy-001 may announce 192.168.3.200 from its own MAC on eth2 (arp_announce=0") })
        backup.arp![1].arpAnnounce = 2
        #expect(try !warnings(backup).contains { $0.contains("may announce") })
    }
}

@Suite struct SilentPeerTests {
    @Test("vrrp on a node that hears only itself names the rule dropping VRRP as why; a peer heard, or no such rule, says nothing")
    func noPeerHeard() throws {
        let firewall = try ReachabilityTests.ruleset("nft-partition-and-vip-drops", text: "nft-partition-and-vip-drops")
        let own: Set<IPAddress> = [IPExplainerTests.lb000]
        let alone = Blockers.explainSilentPeers(IPExplainerTests.wire([(IPExplainerTests.lb000, 100)]), own: own, firewall: firewall,
                                                host: "prod-haproxy-000")
        let verdict = try #require(alone.routers.first?.verdicts.first { $0.code == .firewallDropsVRRP })
        #expect(verdict.message.hasPrefix("no peer heard for VRID 200: only this host advertises, and `ip protocol vrrp drop` (table inet filter, chain input, handle 3) drops VRRP arriving at prod-haproxy-000"), "\(verdict.message)")
        #expect(verdict.message.contains("sent by prod-haproxy-000"), "the output chain's drop is named too")

        // A peer heard in turn (a failover) is no split brain: nothing to explain.
        var handover = IPExplainerTests.wire([(IPExplainerTests.lb001, 99)])
        handover.routers[0].senders += IPExplainerTests.wire([(IPExplainerTests.lb000, 100)]).routers[0].senders
        #expect(!Blockers.explainSilentPeers(handover, own: own, firewall: firewall, host: "prod-haproxy-000")
            .routers.contains { $0.has(.firewallDropsVRRP) })
        // The capture sees a dropped peer's adverts, so a partition shows as a split brain: the rule explains it.
        let split = IPExplainerTests.wire([(IPExplainerTests.lb000, 100), (IPExplainerTests.lb001, 99)], seconds: 6)
        let named = Blockers.explainSilentPeers(split, own: own, firewall: firewall, host: "prod-haproxy-000")
        #expect(named.routers.first?.verdicts.first { $0.code == .firewallDropsVRRP }?.message.hasPrefix("split brain on VRID 200, and `ip protocol vrrp drop`") == true)
        let open = try FirewallRuleset.parse(json: Array(#"{"nftables": [{"metainfo": {"json_schema_version": 1}}]}"#.utf8), text: "",
                                             source: Source(kind: .netlink))
        #expect(!Blockers.explainSilentPeers(IPExplainerTests.wire([(IPExplainerTests.lb000, 100)]), own: own, firewall: open, host: "h")
            .routers.contains { $0.has(.firewallDropsVRRP) })
    }
}

@Suite struct FirewallLibraryLoadingTests {
    @Test("haexplain does not link libnftables: it is bound only when ip or snapshot reads the ruleset")
    func libnftablesIsLoadedLazily() throws {
        let result = try Shell.run(["ldd", HAExplainBinary.path])
        #expect(result.succeeded && result.stdout.contains("libmnl"), "\(result.stdout)")
        #expect(!result.stdout.contains("libnftables"))
    }
}
