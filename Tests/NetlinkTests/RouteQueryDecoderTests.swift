import Foundation
import HAModel
@testable import Netlink
import Testing

/// The RTM_GETROUTE / RTM_GETRULE decoder on messages laid out as the kernel sends them:
/// a route answer, a refusal, a rule dump, and what a truncated or lying message becomes.
@Suite struct RouteQueryDecoderTests {
    static func decode(_ bytes: [UInt8]) throws -> RouteMessageDecoder.Reply {
        try bytes.withUnsafeBytes { try RouteMessageDecoder.decode($0) }
    }

    /// ip route get 10.9.1.1 answered from table 100 via 10.1.0.9 on ifindex 3.
    static let policyRouted: [UInt8] = {
        var message = NetlinkBytes()
        var body: [UInt8] = [2, 32, 0, 0, 252, 2, 0, 1] + NetlinkBytes.u32(0x1000)   // AF_INET, /32, table (u8) 252, proto kernel, unicast
        body += NetlinkBytes.attribute(15, NetlinkBytes.u32(100))                     // RTA_TABLE
        body += NetlinkBytes.attribute(1, [10, 9, 1, 1])                              // RTA_DST
        body += NetlinkBytes.attribute(4, NetlinkBytes.u32(3))                        // RTA_OIF
        body += NetlinkBytes.attribute(5, [10, 1, 0, 9])                              // RTA_GATEWAY
        body += NetlinkBytes.attribute(7, [10, 1, 0, 1])                              // RTA_PREFSRC
        message.message(type: 24, flags: 0, body: body)
        return message.bytes
    }()

    @Test("a policy-routed answer: gateway, device, source and table 100 from RTA_TABLE, named as iproute2 names them")
    func routeAnswer() throws {
        let reply = try Self.decode(Self.policyRouted)
        let route = try #require(reply.routes.first)
        #expect(route.table == 100 && route.gateway == IPAddress("10.1.0.9") && route.prefsrc == IPAddress("10.1.0.1"))
        let named = route.kernelRoute([3: "d0"])
        #expect(named == KernelRoute(type: "unicast", dst: "10.9.1.1", gateway: IPAddress("10.1.0.9"), dev: "d0", prefsrc: IPAddress("10.1.0.1"),
                                     table: "100", protocol: "kernel", scope: "global", dstLength: 32))
    }

    @Test("the kernel's refusal is an errno, and the request carries RTM_F_LOOKUP_TABLE (and FIB_MATCH for fibmatch) and RTA_DST")
    func refusalAndRequest() throws {
        var message = NetlinkBytes()
        message.message(type: 2, flags: 0, body: NetlinkBytes.u32(UInt32(bitPattern: -113)) + [UInt8](repeating: 0, count: 16))  // -EHOSTUNREACH
        let reply = try Self.decode(message.bytes)
        #expect(reply.kernelError == 113 && reply.done && reply.routes.isEmpty)
        #expect(RouteQuery.refusal(113) == "unreachable" && RouteQuery.refusal(22) == "blackhole" && RouteQuery.refusal(13) == "prohibit")
        let request = RouteMessageDecoder.routeRequest(for: IPAddress("10.9.1.1")!, fibMatch: true)
        #expect(request == [2, 32, 0, 0, 0, 0, 0, 0] + NetlinkBytes.u32(0x3000) + NetlinkBytes.u16(8) + NetlinkBytes.u16(1) + [10, 9, 1, 1])
        #expect(RouteMessageDecoder.routeRequest(for: IPAddress("fe80::1")!, fibMatch: false).count == 12 + 4 + 16)
    }

    @Test("a rule dump: priority, selector, table and whether a packet this host sends to the address is selected")
    func rules() throws {
        var message = NetlinkBytes()
        var rule: [UInt8] = [2, 16, 0, 0, 100, 0, 0, 1] + NetlinkBytes.u32(0)        // to /16, table 100, FR_ACT_TO_TBL
        rule += NetlinkBytes.attribute(6, NetlinkBytes.u32(1000))                     // FRA_PRIORITY
        rule += NetlinkBytes.attribute(1, [10, 9, 0, 0])                              // FRA_DST
        rule += NetlinkBytes.attribute(14, NetlinkBytes.u32(.max))                    // FRA_SUPPRESS_PREFIXLEN unset
        message.message(type: 32, body: rule)
        var marked: [UInt8] = [2, 0, 0, 0, 254, 0, 0, 1] + NetlinkBytes.u32(0)
        marked += NetlinkBytes.attribute(6, NetlinkBytes.u32(900))
        marked += NetlinkBytes.attribute(10, NetlinkBytes.u32(7))                     // FRA_FWMARK 7: mark 0 is not 7
        message.message(type: 32, body: marked)
        message.message(type: 3, body: NetlinkBytes.u32(0))                          // NLMSG_DONE
        let reply = try Self.decode(message.bytes)
        #expect(reply.done && reply.rules.count == 2)
        let judged = reply.rules.map { $0.policyRule(judging: IPAddress("10.9.1.1")!) }
        #expect(judged[0] == PolicyRule(priority: 1000, text: "from all to 10.9.0.0/16 lookup 100", table: "100", action: "lookup", selectsLocalTraffic: true))
        #expect(judged[1].text == "from all fwmark 0x7 lookup main" && !judged[1].selectsLocalTraffic)
        #expect(!reply.rules[0].policyRule(judging: IPAddress("10.8.0.1")!).selectsLocalTraffic)
    }

    @Test("a message longer than the buffer, an attribute cut short and a route body too small are errors, never reads past the end")
    func malformed() throws {
        for cut in [4, 17, 20, 30, Self.policyRouted.count - 1] {
            var bytes = Array(Self.policyRouted.prefix(cut))
            // Lengths that still claim the whole message.
            if cut >= 16 { bytes.replaceSubrange(0..<4, with: NetlinkBytes.u32(UInt32(bytes.count))) }
            _ = try? Self.decode(bytes)
        }
        #expect(throws: HAError.self) { try Self.decode(NetlinkBytes.u32(4096) + NetlinkBytes.u16(24) + [UInt8](repeating: 0, count: 10)) }
        var short = NetlinkBytes()
        short.message(type: 24, body: [2, 32, 0])
        #expect(throws: HAError.self) { try Self.decode(short.bytes) }
        var badAddress = NetlinkBytes()
        badAddress.message(type: 24, body: [2, 32, 0, 0, 254, 2, 0, 1] + NetlinkBytes.u32(0) + NetlinkBytes.attribute(5, [1, 2, 3]))
        #expect(throws: HAError.self) { try Self.decode(badAddress.bytes) }
    }
}
