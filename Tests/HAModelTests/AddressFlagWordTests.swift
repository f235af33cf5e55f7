import HAModel
import JSONEncoding
import Testing

@Suite struct AddressFlagWordTests {
    @Test("the words addr prints for an address's flags are its JSON keys, in ip's order, and only those set")
    func wordsAreKeys() throws {
        var address = InterfaceAddress(local: IPAddress("fd00::1")!, prefixlen: 64)
        #expect(address.flagWords.isEmpty)
        for field in [\InterfaceAddress.dynamic, \.secondary, \.temporary, \.nodad, \.optimistic, \.dadfailed, \.home,
                      \.deprecated, \.tentative, \.mngtmpaddr, \.noprefixroute, \.autojoin, \.stablePrivacy] {
            address[keyPath: field] = true
        }
        #expect(address.flagWords == ["secondary", "temporary", "dynamic", "nodad", "optimistic", "dadfailed",
                                      "deprecated", "tentative", "mngtmpaddr", "noprefixroute"])
        let json = try OrderedJSONEncoder(pretty: false).encode(address)
        for word in address.flagWords { #expect(json.contains("\"\(word)\":true")) }
        address.nodad = false
        address.tentative = nil
        #expect(!address.flagWords.contains("nodad") && !address.flagWords.contains("tentative"))
    }
}

@Suite struct NeighbourFlagWordTests {
    @Test("the words neigh prints for an entry's flags are its JSON keys, in ip neigh's order, and only those set")
    func wordsAreKeys() throws {
        var entry = NeighbourEntry(dst: IPAddress("192.168.3.200")!, ifindex: 2, rawState: 0x02)
        #expect(entry.flagWords.isEmpty)
        for field in [\NeighbourEntry.managed, \.offload, \.externLearn, \.proxy, \.router] { entry[keyPath: field] = true }
        #expect(entry.flagWords == ["router", "proxy", "extern_learn", "offload", "managed"])
        let json = try OrderedJSONEncoder(pretty: false).encode(entry)
        for word in entry.flagWords { #expect(json.contains("\"\(word)\":true"), "\(json)") }
        entry.proxy = false
        entry.managed = nil
        #expect(entry.flagWords == ["router", "extern_learn", "offload"])
    }
}
