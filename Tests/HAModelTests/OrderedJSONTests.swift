import Foundation
@testable import HAModel
import LabSupport
import Testing

@Suite struct OrderedJSONTests {
    static func fullAddress(v6: Bool = false) -> InterfaceAddress {
        var address = InterfaceAddress(local: IPAddress(v6 ? "2001:db8::1" : "10.9.9.1")!, prefixlen: 32, scope: "global", rawFlags: 0xfff, label: "tun0:\"x\"\\\t")
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
        // Every optional field set, so every key the direct writer spells is compared.
        var interface = NetworkInterface(ifindex: 4, ifname: "eth2", flags: ["UP"], rawFlags: 1,
                                         addrInfo: [OrderedJSONTests.fullAddress(), OrderedJSONTests.fullAddress(v6: true)])
        interface.link = "eth2p"
        interface.linkIndex = 7
        interface.mtu = 1500
        interface.qdisc = "noqueue"
        interface.master = "br0"
        interface.operstate = "UP"
        interface.group = "default"
        interface.txqlen = 1000
        interface.address = "02:00:00:00:00:01"
        interface.broadcast = "ff:ff:ff:ff:ff:ff"
        interface.linkNetnsid = 0
        interface.permaddr = "02:00:00:00:00:02"
        interface.ifalias = "uplink \"a\""
        interface.linkinfo = .init(infoKind: "veth", infoSlaveKind: "bridge")
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

    @Test("the direct writer for neighbours says exactly what their Codable encoding says")
    func neighboursDirectEqualsCodable() throws {
        var entry = NeighbourEntry(dst: IPAddress("192.168.3.200")!, ifindex: 3, dev: "eth2", lladdr: "00:00:5e:00:01:c8", rawState: 0x02, rawFlags: 0x80)
        for key in [\NeighbourEntry.router, \.proxy, \.externLearn, \.offload, \.managed] { entry[keyPath: key] = true }
        for key in [\NeighbourEntry.refcnt, \.used, \.confirmed, \.updated, \.probes] { entry[keyPath: key] = 4_000_000_000 }
        entry.vrrpVirtualRouter = 200
        let table = NeighbourTable(netns: "app", source: .netlink("dump"), neighbours: [entry, entry])
        for pretty in [true, false] {
            let ours = try OrderedJSONEncoder(pretty: pretty).encode(table)
            let a = try JSONSerialization.jsonObject(with: Data(ours.utf8)) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(table)) as? NSDictionary
            #expect(a != nil && a == b)
            #expect(try JSONDecoder().decode(NeighbourTable.self, from: Data(ours.utf8)) == table)
        }
    }

    @Test("random strings (quotes, backslashes, control bytes, UTF-8 at every offset) and numbers survive a round trip")
    func randomRoundTrip() throws {
        var generator = SeededGenerator.forTest()
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "🙂", "/"]
        for _ in 0..<2_000 {
            let length = Int.random(in: 0...40, using: &generator)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            let numbers = (0..<4).map { _ in UInt64.random(in: 0...UInt64.max, using: &generator) >> UInt64.random(in: 0...63, using: &generator) }
            let signed = (0..<4).map { _ in Int.random(in: Int.min...Int.max, using: &generator) >> Int.random(in: 0...63, using: &generator) }
            let seed = generator.label
            for pretty in [true, false] {
                let json = try OrderedJSONEncoder(pretty: pretty).encodeBytes([text])
                #expect(try JSONDecoder().decode([String].self, from: Data(json)) == [text], "\(seed)")
                #expect(try JSONDecoder().decode([UInt64].self, from: Data(OrderedJSONEncoder(pretty: pretty).encodeBytes(numbers))) == numbers, "\(seed)")
                #expect(try JSONDecoder().decode([Int].self, from: Data(OrderedJSONEncoder(pretty: pretty).encodeBytes(signed))) == signed, "\(seed)")
            }
        }
        #expect(try OrderedJSONEncoder(pretty: false).encode([UInt64.max, 0, 9, 10, 99, 100]) == "[18446744073709551615,0,9,10,99,100]")
    }

    @Test("every DirectJSONObject adopter is found by the tree encoder and written directly")
    func everyAdopterIsDirect() throws {
        // TreeEncoder.node lists the adopters by concrete type (a protocol cast costs a scan
        // of every conformance record); one left out would quietly fall back to Codable.
        let address = OrderedJSONTests.fullAddress()
        let interface = NetworkInterface(ifindex: 1, ifname: "lo", addrInfo: [address])
        let entry = NeighbourEntry(dst: IPAddress("192.168.3.200")!, ifindex: 3, rawState: 0x02)
        let table = NeighbourTable(netns: nil, source: .netlink("dump"), neighbours: [entry])
        let values: [any DirectJSONObject] = [address, interface, entry, table]
        for value in values {
            guard case .direct = try TreeEncoder.node(value) else {
                Issue.record("\(type(of: value)) is not written directly")
                continue
            }
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
