import Foundation
import HAModel
import Testing

@Suite struct OrderedJSONTests {
    static func fullAddress() -> InterfaceAddress {
        var address = InterfaceAddress(local: IPAddress("10.9.9.1")!, prefixlen: 32, scope: "global", rawFlags: 0xfff, label: "tun0:\"x\"\\\t")
        address.address = IPAddress("10.9.9.2")
        address.broadcast = IPAddress("10.9.9.255")
        address.anycast = IPAddress("10.9.9.3")
        for key in [\InterfaceAddress.dynamic, \.secondary, \.temporary, \.nodad, \.optimistic, \.dadfailed, \.home,
                    \.deprecated, \.tentative, \.mngtmpaddr, \.noprefixroute, \.autojoin, \.stablePrivacy] {
            address[keyPath: key] = true
        }
        address.validLifeTime = .max
        address.preferredLifeTime = 0
        address.ifconfigVisible = false
        address.ifconfigHiddenReason = "reason with ünïcode and \u{1}"
        return address
    }

    @Test("the direct writer for addresses says exactly what their Codable encoding says")
    func directEqualsCodable() throws {
        var interface = NetworkInterface(ifindex: 4, ifname: "eth2", flags: ["UP"], rawFlags: 1, addrInfo: [OrderedJSONTests.fullAddress()])
        interface.master = "br0"
        let table = AddressTable(netns: "lb0", source: .netlink("dump"), interfaces: [interface])
        for pretty in [true, false] {
            let ours = try OrderedJSONEncoder(pretty: pretty).encode(table)
            let foundation = try JSONEncoder().encode(table)
            let a = try JSONSerialization.jsonObject(with: Data(ours.utf8)) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: foundation) as? NSDictionary
            #expect(a != nil && a == b)
            // And it decodes back to the same model.
            #expect(try JSONDecoder().decode(AddressTable.self, from: Data(ours.utf8)) == table)
        }
    }

    @Test("keys come out in CodingKeys order, so output is stable run to run")
    func keyOrder() throws {
        let json = try OrderedJSONEncoder(pretty: false).encode(OrderedJSONTests.fullAddress())
        let keys = ["family", "local", "address", "prefixlen", "broadcast", "anycast", "scope", "dynamic", "secondary"]
        let positions = keys.map { json.range(of: "\"\($0)\":")?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil })
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
    }

    @Test("non-finite doubles are an encoding error, not invalid JSON")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try OrderedJSONEncoder().encode([Double.nan]) }
    }
}
