import Foundation
import HAModel
import LabSupport
@testable import Netlink
import Namespaces
import Testing

/// Builds rtnetlink messages byte by byte, as the kernel lays them out.
struct NetlinkBytes {
    var bytes: [UInt8] = []

    static func u16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }
    static func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v) { Array($0) } }

    static func attribute(_ type: UInt16, _ payload: [UInt8]) -> [UInt8] {
        var out = u16(UInt16(4 + payload.count)) + u16(type) + payload
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    mutating func message(type: UInt16, flags: UInt16 = 2, body: [UInt8], lengthOverride: UInt32? = nil) {
        let length = UInt32(16 + body.count)
        bytes += NetlinkBytes.u32(lengthOverride ?? length) + NetlinkBytes.u16(type) + NetlinkBytes.u16(flags)
            + NetlinkBytes.u32(1) + NetlinkBytes.u32(0) + body
        while bytes.count % 4 != 0 { bytes.append(0) }
    }

    static func link(index: Int32, name: String, flags: UInt32 = 0x11043, mtu: UInt32 = 1500) -> [UInt8] {
        var body: [UInt8] = [0, 0] + u16(1) + withUnsafeBytes(of: index) { Array($0) } + u32(flags) + u32(0)
        body += attribute(3, Array(name.utf8) + [0])                   // IFLA_IFNAME
        body += attribute(4, u32(mtu))                                  // IFLA_MTU
        body += attribute(1, [0xbc, 0x76, 0x4e, 0x05, 0x6c, 0x1c])      // IFLA_ADDRESS
        body += attribute(16, [6])                                      // IFLA_OPERSTATE UP
        return body
    }

    static func address(index: UInt32, _ address: [UInt8], prefix: UInt8, flags: UInt8 = 0x80, label: String?) -> [UInt8] {
        var body: [UInt8] = [2, prefix, flags, 0] + u32(index)
        body += attribute(1, address)                                   // IFA_ADDRESS
        body += attribute(2, address)                                   // IFA_LOCAL
        if let label { body += attribute(3, Array(label.utf8) + [0]) }  // IFA_LABEL
        body += attribute(6, u32(.max) + u32(.max) + u32(0) + u32(0))   // IFA_CACHEINFO
        return body
    }

    func decode(into decoder: RouteDumpDecoder) throws(RouteDumpDecoder.DumpError) -> Bool {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 8)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        return try decoder.consume(UnsafeRawBufferPointer(rebasing: copy[0..<bytes.count]))
    }
}

@Suite struct RouteDumpDecoderTests {
    @Test("decodes the seed's eth2 from kernel-shaped bytes: link, primary and /32 VIP, then DONE")
    func seedInterface() throws {
        var dump = NetlinkBytes()
        dump.message(type: 16, body: NetlinkBytes.link(index: 4, name: "eth2"))             // RTM_NEWLINK
        dump.message(type: 20, body: NetlinkBytes.address(index: 4, [192, 168, 3, 4], prefix: 24, label: "eth2"))
        dump.message(type: 20, body: NetlinkBytes.address(index: 4, [192, 168, 3, 200], prefix: 32, label: "eth2"))
        dump.message(type: 3, body: NetlinkBytes.u32(0))                                     // NLMSG_DONE
        let decoder = RouteDumpDecoder()
        #expect(try dump.decode(into: decoder) == true)
        let table = decoder.table(netns: nil)
        let eth2 = try #require(table.interfaces.first)
        #expect(eth2.ifname == "eth2" && eth2.ifindex == 4 && eth2.mtu == 1500 && eth2.operstate == "UP")
        #expect(eth2.address == "bc:76:4e:05:6c:1c")
        #expect(eth2.flags == ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"])
        #expect(eth2.addrInfo.map(\.local.description) == ["192.168.3.4", "192.168.3.200"])
        #expect(eth2.addrInfo[1].prefixlen == 32 && eth2.addrInfo[1].label == "eth2")
        #expect(eth2.addrInfo[1].validLifeTime == .max)
    }

    @Test("addresses are counted per interface from the headers alone, and a lying length stops the count")
    func countsAddresses() throws {
        var links = NetlinkBytes()
        links.message(type: 16, body: NetlinkBytes.link(index: 4, name: "eth2"))
        var dump = NetlinkBytes()
        for octet in 1...5 { dump.message(type: 20, body: NetlinkBytes.address(index: 4, [10, 0, 0, UInt8(octet)], prefix: 32, label: nil)) }
        dump.message(type: 20, body: NetlinkBytes.address(index: 7, [10, 0, 1, 1], prefix: 32, label: nil))
        dump.message(type: 20, body: NetlinkBytes.u16(0))  // too short for ifaddrmsg: not counted
        var counts: [Int: Int] = [:]
        dump.bytes.withUnsafeBytes { RouteDumpDecoder.countAddresses($0, into: &counts) }
        #expect(counts == [4: 5, 7: 1])
        // Reserving first changes nothing in what is decoded.
        let plain = RouteDumpDecoder(), counted = RouteDumpDecoder()
        _ = try links.decode(into: plain)
        _ = try dump.decode(into: plain)
        _ = try links.decode(into: counted)
        counted.reserveAddresses(counts)
        _ = try dump.decode(into: counted)
        #expect(counted.table(netns: nil).interfaces.first?.addrInfo.count == 5)
        #expect(counted.table(netns: nil).interfaces.first?.addrInfo == plain.table(netns: nil).interfaces.first?.addrInfo)

        var lying = NetlinkBytes()
        lying.message(type: 20, body: NetlinkBytes.address(index: 4, [10, 0, 0, 1], prefix: 32, label: nil))
        lying.message(type: 20, body: NetlinkBytes.address(index: 4, [10, 0, 0, 2], prefix: 32, label: nil), lengthOverride: 0xffff_fff0)
        var partial: [Int: Int] = [:]
        lying.bytes.withUnsafeBytes { RouteDumpDecoder.countAddresses($0, into: &partial) }
        #expect(partial == [4: 1])
    }

    @Test("a dump the kernel flags NLM_F_DUMP_INTR is reported as interrupted, to be read again")
    func interruptedDump() throws {
        var dump = NetlinkBytes()
        dump.message(type: 16, flags: 2 | 0x10, body: NetlinkBytes.link(index: 1, name: "lo"))
        dump.message(type: 3, flags: 2 | 0x10, body: NetlinkBytes.u32(0))
        #expect(throws: RouteDumpDecoder.DumpError.self) { try dump.decode(into: RouteDumpDecoder()) }
        #expect(dump.bytes.withUnsafeBytes { RouteDumpDecoder.containsEnd($0) })
    }

    @Test("a message claiming more bytes than were received is an error, never a read past the end")
    func lyingLength() throws {
        for claimed: UInt32 in [0xfcfc_fcfc, 0x8000_0000, 4096, 15] {
            var dump = NetlinkBytes()
            dump.message(type: 16, body: NetlinkBytes.link(index: 1, name: "lo"), lengthOverride: claimed)
            #expect(throws: RouteDumpDecoder.DumpError.self) { try dump.decode(into: RouteDumpDecoder()) }
        }
    }

    @Test("an attribute of the wrong size (a 3-byte IPv4 address) is a clear malformed-message error")
    func wrongAttributeSize() throws {
        var body: [UInt8] = [2, 24, 0x80, 0] + NetlinkBytes.u32(4)
        body += NetlinkBytes.attribute(2, [192, 168, 3])
        var dump = NetlinkBytes()
        dump.message(type: 20, body: body)
        let error = #expect(throws: RouteDumpDecoder.DumpError.self) { try dump.decode(into: RouteDumpDecoder()) }
        guard case .malformed(let failure)? = error else { Issue.record("expected malformed, got \(String(describing: error))"); return }
        #expect(failure.message.contains("expected 4 or 16 bytes"))
    }

    @Test("a message shorter than its family header is skipped, and a kernel error becomes errno")
    func shortMessageAndError() throws {
        var dump = NetlinkBytes()
        dump.message(type: 16, body: [0, 0, 1])
        dump.message(type: 2, body: NetlinkBytes.u32(UInt32(bitPattern: -1)) + [UInt8](repeating: 0, count: 16))  // NLMSG_ERROR -EPERM
        let decoder = RouteDumpDecoder()
        let error = #expect(throws: RouteDumpDecoder.DumpError.self) { try dump.decode(into: decoder) }
        guard case .kernel(let code)? = error else { Issue.record("expected a kernel error"); return }
        #expect(code == EPERM)
        #expect(decoder.table(netns: nil).interfaces.isEmpty)
    }
}

@Suite struct NamespaceErrorTests {
    @Test("a network namespace name with a slash is a usage error that says what to give")
    func badName() throws {
        let error = #expect(throws: HAError.self) { try NetworkNamespace.path(for: "a/b") }
        #expect(error?.kind == .usage)
        #expect(try NetworkNamespace.path(for: "lb0") == "/run/netns/lb0")
    }

    @Test("haexplain exits 69 naming the namespace when it does not exist, and 64 on bad usage")
    func exitStatuses() throws {
        let missing = try HAExplainBinary.run(["addr", "--netns", "hx-no-such-namespace-\(getpid())"])
        #expect(missing.status == 69)
        #expect(missing.stderr.contains("no network namespace 'hx-no-such-namespace-"))
        #expect(missing.stdout.isEmpty)
        let unknownOption = try HAExplainBinary.run(["addr", "--no-such-option"])
        #expect(unknownOption.status == 64)
        let noInterface = try HAExplainBinary.run(["addr", "hx-no-such-if"])
        #expect(noInterface.status == 64)
        #expect(noInterface.stderr.contains("no interface named 'hx-no-such-if'"))
    }

    @Test("AddressReader reads the namespace the test runs in, loopback included")
    func readsOwnNamespace() throws {
        let table = try AddressReader.read()
        #expect(table.interfaces.contains { $0.ifname == "lo" && $0.linkType == "loopback" })
    }
}
