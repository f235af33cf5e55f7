import HAExplainCore
import HAModel
@testable import Netlink
import Testing

extension NetlinkBytes {
    static let newNeighbour: UInt16 = 28  // RTM_NEWNEIGH

    /// A struct ndmsg followed by `attributes`.
    static func neighbour(family: UInt8 = 2, index: Int32 = 4, state: UInt16, flags: UInt8 = 0, attributes: [UInt8]) -> [UInt8] {
        [family, 0] + u16(0) + withUnsafeBytes(of: index) { Array($0) } + u16(state) + [flags, 1] + attributes
    }

    /// NDA_CACHEINFO: confirmed, used, updated (USER_HZ ticks), refcnt.
    static func cacheinfo(confirmed: UInt32, used: UInt32, updated: UInt32, refcnt: UInt32) -> [UInt8] {
        attribute(3, u32(confirmed) + u32(used) + u32(updated) + u32(refcnt))
    }

    static func decodeNeighbours(_ dump: NetlinkBytes) throws(RouteDumpDecoder.DumpError) -> NeighbourTable {
        let decoder = RouteDumpDecoder()
        _ = try dump.decode(into: decoder)
        return decoder.neighbourTable(netns: nil)
    }
}

@Suite struct NeighbourDecoderTests {
    static let hz = RouteDumpDecoder.userHZ

    @Test("decodes the application server's view of the VIP: REACHABLE to the master's MAC, an IPv6 router, a FAILED probe")
    func seedNeighbours() throws {
        var dump = NetlinkBytes()
        dump.message(type: 16, body: NetlinkBytes.link(index: 4, name: "eth2"))
        dump.message(type: NetlinkBytes.newNeighbour, body: NetlinkBytes.neighbour(state: 0x02, attributes:
            NetlinkBytes.attribute(1, [192, 168, 3, 200])                                   // NDA_DST
            + NetlinkBytes.attribute(2, [0xbc, 0x76, 0x4e, 0x05, 0x6c, 0x1c])               // NDA_LLADDR
            + NetlinkBytes.cacheinfo(confirmed: 3 * Self.hz, used: 2 * Self.hz, updated: 3 * Self.hz, refcnt: 1)
            + NetlinkBytes.attribute(4, NetlinkBytes.u32(1))))                              // NDA_PROBES
        dump.message(type: NetlinkBytes.newNeighbour, body: NetlinkBytes.neighbour(family: 10, state: 0x04, flags: 0x80, attributes:
            NetlinkBytes.attribute(1, [0xfe, 0x80] + [UInt8](repeating: 0, count: 13) + [1])
            + NetlinkBytes.attribute(2, [0x00, 0x00, 0x5e, 0x00, 0x02, 0xc8])))
        dump.message(type: NetlinkBytes.newNeighbour, body: NetlinkBytes.neighbour(state: 0x20, attributes:
            NetlinkBytes.attribute(1, [192, 168, 3, 201])))
        dump.message(type: 3, body: NetlinkBytes.u32(0))
        let table = try NetlinkBytes.decodeNeighbours(dump)
        #expect(table.neighbours.count == 3)
        let vip = try #require(table.neighbours.first)
        #expect(vip.dst == IPAddress("192.168.3.200") && vip.dev == "eth2" && vip.ifindex == 4)
        #expect(vip.lladdr == "bc:76:4e:05:6c:1c" && vip.state == ["REACHABLE"] && vip.isUsable)
        #expect(vip.used == 2 && vip.confirmed == 3 && vip.updated == 3 && vip.refcnt == 1 && vip.probes == 1)
        #expect(vip.router == nil)
        let router = table.neighbours[1]
        #expect(router.dst == IPAddress("fe80::1") && router.router == true && router.state == ["STALE"])
        #expect(router.lladdr == "00:00:5e:00:02:c8")
        let failed = table.neighbours[2]
        #expect(failed.lladdr == nil && failed.state == ["FAILED"] && failed.isUnresolved && !failed.isUsable)
    }

    @Test("NUD states print as iproute2 prints them, unknown bits as hex; NONE is no state")
    func stateNames() {
        #expect(NeighbourState.names(0x80) == ["PERMANENT"])
        #expect(NeighbourState.names(0x41) == ["INCOMPLETE", "NOARP"])
        #expect(NeighbourState.names(0) == [])
        #expect(NeighbourState.names(0x300) == ["300"])
    }

    @Test("an entry on an interface the link dump did not list is named if<N>, as iproute2 does")
    func unknownInterface() throws {
        var dump = NetlinkBytes()
        dump.message(type: NetlinkBytes.newNeighbour, body: NetlinkBytes.neighbour(index: 9, state: 0x80, attributes:
            NetlinkBytes.attribute(1, [10, 0, 0, 1]) + NetlinkBytes.attribute(2, [1, 2, 3, 4, 5, 6])))
        let table = try NetlinkBytes.decodeNeighbours(dump)
        #expect(table.neighbours.first?.dev == "if9")
        #expect(table.neighbours.first?.lladdr == "01:02:03:04:05:06")
    }

    @Test("other tables' families (a bridge FDB entry) are skipped, not misread")
    func otherFamilySkipped() throws {
        var dump = NetlinkBytes()
        dump.message(type: NetlinkBytes.newNeighbour, body: NetlinkBytes.neighbour(family: 7, state: 0x80, attributes:
            NetlinkBytes.attribute(2, [1, 2, 3, 4, 5, 6])))
        #expect(try NetlinkBytes.decodeNeighbours(dump).neighbours.isEmpty)
    }

    /// Each of these must be a malformed-message error naming what was wrong.
    static let malformed: [(String, [UInt8], String)] = [
        ("body shorter than struct ndmsg", [2, 0, 0, 0, 4, 0], "struct ndmsg"),
        ("3-byte NDA_DST", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(1, [10, 0, 0])), "4 or 16 bytes"),
        ("IPv6 NDA_DST in an IPv4 message", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(1, [UInt8](repeating: 1, count: 16))), "message's family"),
        ("no NDA_DST", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(2, [1, 2, 3, 4, 5, 6])), "without NDA_DST"),
        ("40-byte NDA_LLADDR", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(1, [10, 0, 0, 1]) + NetlinkBytes.attribute(2, [UInt8](repeating: 0xaa, count: 40))), "at most 32 bytes"),
        ("8-byte NDA_CACHEINFO", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(1, [10, 0, 0, 1]) + NetlinkBytes.attribute(3, [UInt8](repeating: 0, count: 8))), "16 bytes"),
        ("2-byte NDA_PROBES", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(1, [10, 0, 0, 1]) + NetlinkBytes.attribute(4, [1, 0])), "4 bytes"),
        ("2-byte NDA_FLAGS_EXT", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.attribute(1, [10, 0, 0, 1]) + NetlinkBytes.attribute(15, [1, 0])), "4 bytes"),
        // An attribute claiming more bytes than the message has: libmnl stops there, so
        // NDA_DST is never seen.
        ("NDA_DST overrunning the message", NetlinkBytes.neighbour(state: 2, attributes: NetlinkBytes.u16(200) + NetlinkBytes.u16(1) + [10, 0, 0, 1]), "without NDA_DST"),
    ]

    @Test("truncated and odd neighbour messages are errors that say what was wrong, never traps", arguments: 0..<malformed.count)
    func malformedMessages(_ index: Int) throws {
        let (name, body, expected) = NeighbourDecoderTests.malformed[index]
        var dump = NetlinkBytes()
        dump.message(type: NetlinkBytes.newNeighbour, body: body)
        let error = #expect(throws: RouteDumpDecoder.DumpError.self, "\(name)") { try NetlinkBytes.decodeNeighbours(dump) }
        guard case .malformed(let failure)? = error else { Issue.record("\(name): expected malformed, got \(String(describing: error))"); return }
        #expect(failure.message.contains(expected), "\(name): \(failure.message)")
    }

    @Test("every truncation of a valid neighbour dump decodes or fails cleanly")
    func everyTruncation() throws {
        var dump = NetlinkBytes()
        dump.message(type: 16, body: NetlinkBytes.link(index: 4, name: "eth2"))
        dump.message(type: NetlinkBytes.newNeighbour, body: NetlinkBytes.neighbour(state: 0x02, attributes:
            NetlinkBytes.attribute(1, [192, 168, 3, 200]) + NetlinkBytes.attribute(2, [0xbc, 0x76, 0x4e, 0x05, 0x6c, 0x1c])
            + NetlinkBytes.cacheinfo(confirmed: 1, used: 1, updated: 1, refcnt: 0)))
        let full = dump.bytes
        var decoded = 0
        for length in 0..<full.count {
            let cut = NetlinkBytes(bytes: Array(full[0..<length]))
            if let table = try? NetlinkBytes.decodeNeighbours(cut) { decoded += table.neighbours.count }
        }
        // A cut message is never half-decoded: no cut keeps the neighbour.
        #expect(decoded == 0)
    }
}

@Suite struct NeighbourJSONTests {
    @Test("an entry's JSON has iproute2's keys in its order, unset flags left out")
    func keysInOrder() throws {
        var entry = NeighbourEntry(dst: IPAddress("fd77::1")!, ifindex: 3, dev: "eth2", lladdr: "00:00:5e:00:02:c8", rawState: 0x04, rawFlags: 0x80)
        entry.router = true
        entry.used = 5
        entry.probes = 0
        entry.vrrpVirtualRouter = 200
        let json = try JSONOutput.encode([entry], pretty: false)
        #expect(json.contains(#""dst":"fd77::1","dev":"eth2","lladdr":"00:00:5e:00:02:c8","router":true,"used":5,"probes":0,"state":["STALE"]"#))
    }
}
