import Foundation
import HAExplainCore
import HAModel
import KeepalivedConfig
import LocalFiles
import Testing
import VRRP

/// One rule for every host an answer is drawn from, whether gathered here or read from a
/// snapshot: its node named after it, its limits said, its hosts file used for names.
@Suite struct HostsInViewTests {
    static func config(_ node: String) throws -> KeepalivedConfiguration {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try KeepalivedParser.parse(path: root.appendingPathComponent("demo/seed/\(node).keepalived.conf").path, files: LocalConfigFiles(), configID: node)
    }

    static func snapshot(_ host: String, config: KeepalivedConfiguration?, limits: [Limit] = [], hosts: String? = nil) -> HostSnapshot {
        HostSnapshot(hostname: host, takenAt: "2026-12-01T12:00:00Z", haexplainVersion: "test", netns: nil, addresses: nil,
                     keepalived: config.map { KeepalivedSnapshot(configuration: $0, chosenBecause: "the running keepalived (pid 7) was started with -f x") },
                     nameService: hosts.map { NameServiceFiles(hostsPath: "/etc/hosts", hosts: $0, nsswitch: nil, hostConf: nil) },
                     limits: limits)
    }

    @Test("this host's keepalived node and a snapshot's are each named after their host; a peer's file read here keeps its own name")
    func nodes() throws {
        let peer = NodeConfiguration(name: "lb1-file", config: try Self.config("prod-haproxy-001"), chosenBecause: "given with --keepalived-config (a peer)")
        let view = HostsInView(thisHost: Self.snapshot("lb0", config: try Self.config("prod-haproxy-000")), otherConfigurations: [peer],
                               snapshots: [Self.snapshot("lb1", config: try Self.config("prod-haproxy-001")), Self.snapshot("app", config: nil)])
        #expect(view.nodes.map(\.name) == ["lb0", "lb1-file", "lb1"])
        #expect(view.nodes.map(\.chosenBecause) == [
            "the running keepalived (pid 7) was started with -f x", "given with --keepalived-config (a peer)",
            "from the snapshot of lb1: the running keepalived (pid 7) was started with -f x"])
        #expect(view.hosts.map(\.isLocal) == [true, false, false])
        let report = try #require(view.keepalived(scriptOwners: [:]))
        #expect(Set(report.vrrpInstances.compactMap(\.node)) == ["lb0", "lb1-file", "lb1"])
    }

    @Test("only snapshots: no host is this host, and no node is named as if it were")
    func onlySnapshots() throws {
        let view = HostsInView(thisHost: nil, snapshots: [Self.snapshot("lb0", config: try Self.config("prod-haproxy-000"))])
        #expect(view.hosts.map(\.isLocal) == [false])
        #expect(view.nodes.map(\.name) == ["lb0"])
        #expect(HostsInView(thisHost: nil, snapshots: []).keepalived(scriptOwners: [:]) == nil)
    }

    @Test("this host's limits are said as they are; another host's carry its name")
    func limits() {
        let view = HostsInView(thisHost: Self.snapshot("app", config: nil, limits: [Limit(source: .netlink("nftables"), message: "the firewall was not read")]),
                               snapshots: [Self.snapshot("lb1", config: nil, limits: [Limit(source: .file("/etc/hosts"), message: "/etc/hosts could not be read")])])
        #expect(view.limits == [Limit(source: .netlink("nftables"), message: "the firewall was not read"),
                                Limit(source: .file("/etc/hosts"), host: "lb1", message: "/etc/hosts could not be read")])
        #expect(view.limits.map(\.text) == ["the firewall was not read", "lb1: /etc/hosts could not be read"])
    }

    @Test("a master heard on the wire is named from the hosts files in view: this host's under its path, a snapshot's under host:path")
    func hostsFiles() {
        let view = HostsInView(thisHost: Self.snapshot("app", config: nil, hosts: "192.168.3.4 prod-haproxy-000\n"),
                               snapshots: [Self.snapshot("lb1", config: nil, hosts: "192.168.3.5 prod-haproxy-001\n")])
        #expect(view.hostsFiles.map(\.path) == ["/etc/hosts", "lb1:/etc/hosts"])
        let wire = IPExplainerTests.wire([(IPAddress("192.168.3.5")!, 100)])
        let names = NodeNames.lookup(masters: wire, in: view)
        #expect(names[IPAddress("192.168.3.5")!]?.name == "prod-haproxy-001")
        #expect(names[IPAddress("192.168.3.5")!]?.source.file == "lb1:/etc/hosts")
    }

    @Test("a VRRPv3 master heard by its IPv6 link-local address is named by its MAC, from which a listed IPv4 address also advertises; a MAC no listed sender shares names nobody")
    func linkLocalMasterByMAC() throws {
        let view = HostsInView(thisHost: Self.snapshot("app", config: nil, hosts: "192.168.3.4 prod-haproxy-000\n"), snapshots: [])
        let mac = MACAddress("bc:76:4e:05:6c:1c")!, other = MACAddress("bc:76:4e:05:eb:70")!
        let linkLocal = IPAddress("fe80::be76:4eff:fe05:6c1c")!, stranger = IPAddress("fe80::be76:4eff:fe05:eb70")!
        var census = VRRPCensus()
        for second in 0..<3 {
            let time = PacketTime(seconds: 1_764_043_032 + Int64(second))
            census.add(VRRPAdvert(packet: 3 * second + 1, time: time, interface: "eth2", sourceMAC: mac, sourceAddress: IPAddress("192.168.3.4")!,
                                  destinationAddress: IPAddress("224.0.0.18")!, vrid: 200, priority: 100, virtualAddresses: [IPAddress("192.168.3.200")!]))
            census.add(VRRPAdvert(packet: 3 * second + 2, time: time, interface: "eth2", sourceMAC: mac, sourceAddress: linkLocal,
                                  destinationAddress: IPAddress("ff02::12")!, version: 3, vrid: 60, priority: 100, authType: nil,
                                  virtualAddresses: [IPAddress("fd00:3::200")!]))
            census.add(VRRPAdvert(packet: 3 * second + 3, time: time, interface: "eth2", sourceMAC: other, sourceAddress: stranger,
                                  destinationAddress: IPAddress("ff02::12")!, version: 3, vrid: 61, priority: 100, authType: nil,
                                  virtualAddresses: [IPAddress("fd00:3::201")!]))
        }
        let names = NodeNames.lookup(masters: census.report(source: Source(kind: .packet, detail: "test")), in: view)
        let named = try #require(names[linkLocal])
        #expect(named.name == "prod-haproxy-000" && named.source.description == "/etc/hosts:1", "\(named)")
        #expect(named.note?.contains("192.168.3.4") == true, "\(named)")
        #expect(names[stranger] == nil)
    }
}
