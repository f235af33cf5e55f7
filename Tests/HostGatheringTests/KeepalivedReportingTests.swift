import HAExplainCore
import HAModel
import HostGathering
import KeepalivedConfig
import Testing

/// `haexplain keepalived`'s decisions (whose keepalived, where its addresses are read, when
/// keepalived can be asked), decided on a fake host without root.
@Suite("What the keepalived command reports of this host")
struct KeepalivedReportingTests {
    static let container: UInt64 = 4026532999

    static func host(keepalivedIn net: UInt64?) -> FakeHost {
        var host = FakeHost(processes: net.map { [FakeHost.keepalived(pid: 200, net: $0)] } ?? [])
        host.keepalivedFiles["/etc/keepalived/keepalived.conf"] = ThisHostsKeepalivedTests.config(routerID: nil)
        host.keepalivedFiles["/peer.conf"] = ThisHostsKeepalivedTests.config(routerID: "peer")
        return host
    }

    static func noAddresses(_ netns: String?) -> AddressTable {
        AddressTable(netns: netns, source: AddressTable.dumpSource, interfaces: [])
    }

    static func messages(_ report: KeepalivedReport) -> [String] { report.limits.map(\.message) }

    @Test("the running keepalived in another network namespace: its file is read, and the limit says which --netns checks its VIPs")
    func keepalivedInAContainer() throws {
        let host = Self.host(keepalivedIn: Self.container)
        let report = try KeepalivedGathering.report(KeepalivedRequest(), readers: host.readers, addresses: Self.noAddresses)
        let limit = try #require(report.limits.first { $0.source == .process("keepalived", pid: 200) }, "\(Self.messages(report))")
        #expect(limit.message.contains("net:[\(Self.container)]") && limit.message.contains("add --netns /proc/200/ns/net"), "\(limit.message)")
        // Asked in its namespace, or with the files named, nothing is said of another namespace.
        var named = KeepalivedRequest()
        named.netns = "/proc/200/ns/net"
        #expect(try KeepalivedGathering.report(named, readers: host.readers, addresses: Self.noAddresses).limits.allSatisfy { !$0.message.contains("another network namespace") })
        var given = KeepalivedRequest()
        given.configs = ["/etc/keepalived/keepalived.conf"]
        #expect(try KeepalivedGathering.report(given, readers: host.readers, addresses: Self.noAddresses).limits.allSatisfy { !$0.message.contains("another network namespace") })
        // In this namespace, it is simply this host's.
        let ours = try KeepalivedGathering.report(KeepalivedRequest(), readers: Self.host(keepalivedIn: ThisHostsKeepalivedTests.ours).readers, addresses: Self.noAddresses)
        #expect(ours.limits.allSatisfy { !$0.message.contains("another network namespace") }, "\(Self.messages(ours))")
    }

    @Test("addresses that cannot be read narrow the answer here, but fail an explicit --netns")
    func unreadableAddresses() throws {
        let host = Self.host(keepalivedIn: nil)
        let failing: (String?) throws(HAError) -> AddressTable = { netns throws(HAError) in
            throw HAError(.unavailable, "no such namespace \(netns ?? "here")")
        }
        let report = try KeepalivedGathering.report(KeepalivedRequest(), readers: host.readers, addresses: failing)
        #expect(report.limits.contains { $0.source == AddressTable.dumpSource && $0.message.contains("Could not read this host's addresses (no such namespace here)") },
                "\(Self.messages(report))")
        var named = KeepalivedRequest()
        named.netns = "blue"
        #expect(throws: HAError.self) { try KeepalivedGathering.report(named, readers: host.readers, addresses: failing) }
    }

    @Test("--ask-keepalived: with no keepalived running, or with a peer's file too, nothing is signalled and the limit says why")
    func askingCannotHappen() throws {
        var request = KeepalivedRequest()
        request.askKeepalived = true
        let none = try KeepalivedGathering.report(request, readers: Self.host(keepalivedIn: nil).readers, addresses: Self.noAddresses)
        #expect(none.keepalivedSays == nil)
        #expect(Self.messages(none).contains("--ask-keepalived: no keepalived is running here"), "\(Self.messages(none))")
        request.configs = ["/etc/keepalived/keepalived.conf", "/peer.conf"]
        let two = try KeepalivedGathering.report(request, readers: Self.host(keepalivedIn: ThisHostsKeepalivedTests.ours).readers, addresses: Self.noAddresses)
        #expect(two.keepalivedSays == nil)
        #expect(Self.messages(two).contains("--ask-keepalived: only this host's keepalived can be asked (one --keepalived-config at most)"), "\(Self.messages(two))")
    }
}
