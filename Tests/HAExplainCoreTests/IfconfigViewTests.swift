import HAExplainCore
import HAModel
import Testing

@Suite struct IfconfigViewTests {
    static func seedTable() -> AddressTable {
        let eth2 = NetworkInterface(ifindex: 4, ifname: "eth2", flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], rawFlags: 0x11043, addrInfo: [
            InterfaceAddress(local: IPAddress("192.168.3.5")!, prefixlen: 24, label: "eth2"),
            InterfaceAddress(local: IPAddress("192.168.3.201")!, prefixlen: 32, label: "eth2"),
            InterfaceAddress(local: IPAddress("192.168.3.9")!, prefixlen: 24, rawFlags: 0x81, label: "eth2:vip"),
            InterfaceAddress(local: IPAddress("fe80::be76:4eff:fe05:eb70")!, prefixlen: 64, scope: "link"),
        ])
        return AddressTable(netns: nil, source: .netlink("test"), interfaces: [eth2])
    }

    @Test("the seed's prod-haproxy-001: ifconfig shows .5 on eth2 and hides the VIP .201 behind it")
    func seedVipIsHidden() throws {
        var table = IfconfigViewTests.seedTable()
        IfconfigView.mark(&table)
        let addresses = table.interfaces[0].addrInfo
        #expect(addresses[0].ifconfigVisible == true)
        #expect(addresses[1].ifconfigVisible == false)
        #expect(addresses[1].ifconfigHiddenReason == "ifconfig shows one IPv4 address per label, and label eth2 shows 192.168.3.5")
        #expect(addresses[2].ifconfigVisible == true, "a labelled alias gets an ifconfig entry of its own")
        #expect(addresses[3].ifconfigVisible == nil, "IPv6 is not judged")
        let hidden = IfconfigView.hidden(in: table)
        #expect(hidden.map { $0.address.local.description } == ["192.168.3.201"])
    }

    @Test("the text says which addresses ifconfig hides, on the line and in a closing sentence")
    func textMarksHidden() {
        var table = IfconfigViewTests.seedTable()
        IfconfigView.mark(&table)
        let text = AddressTableText.render(table)
        let vipLine = text.split(separator: "\n").first { $0.contains("192.168.3.201/32") }
        #expect(vipLine?.contains("[hidden from ifconfig:") == true)
        #expect(text.contains("1 IPv4 address hidden from ifconfig (it prints one per label): 192.168.3.201/32 on eth2"))
        #expect(text.contains("4: eth2: <BROADCAST,MULTICAST,UP,LOWER_UP>"))
    }
}
