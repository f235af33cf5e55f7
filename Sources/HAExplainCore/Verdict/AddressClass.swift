import HAModel

/// What kind of address this is by the IANA special-purpose registries, and what that means
/// for who can reach it: the seed's customer "pinged the name and got a public address",
/// which a private VIP can never be.
public struct AddressClass: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case `private`, shared, uniqueLocal = "unique_local", linkLocal = "link_local", loopback, documentation
        case multicast, benchmarking, unspecified, broadcast, reserved, ipv4Mapped = "ipv4_mapped", translation
        case `public`
    }

    public var kind: Kind
    /// The registry block it falls in, e.g. 192.168.0.0/16.
    public var block: String
    /// The document that sets the block aside, e.g. "RFC 1918".
    public var rfc: String
    /// Whether routers on the internet carry packets to it.
    public var routableOnInternet: Bool
    public var meaning: String
    /// For an address the internet does not route that a name points at: where this host's
    /// answer for the name came from, beside the sentence that anyone else's came from elsewhere.
    public var nameNote: String? = nil

    enum CodingKeys: String, CodingKey {
        case kind, block, rfc, routableOnInternet = "routable_on_internet", meaning, nameNote = "name_note"
    }

    /// The sentence `ip` prints when a name is known for a private kind of address: anyone who
    /// got a public address for the name asked someone else.
    public static let elsewhereSentence = "not routable on the internet: whoever reaches a public address by this name resolves it elsewhere (their own hosts file or DNS)"

    public static func of(_ address: IPAddress) -> AddressClass {
        for entry in table where address.isInside(entry.network, prefixLength: entry.prefix) {
            return AddressClass(kind: entry.kind, block: "\(entry.network)/\(entry.prefix)", rfc: entry.rfc,
                                routableOnInternet: entry.routable, meaning: entry.meaning)
        }
        let global = address.family == .inet || address.isInside(IPAddress("2000::")!, prefixLength: 3)
        return global
            ? AddressClass(kind: .public, block: address.family == .inet ? "0.0.0.0/0" : "2000::/3", rfc: address.family == .inet ? "RFC 791" : "RFC 4291",
                           routableOnInternet: true, meaning: "a public address: routable on the internet, reachable from anywhere a firewall lets through")
            : AddressClass(kind: .reserved, block: "::/0", rfc: "RFC 4291", routableOnInternet: false,
                           meaning: "IPv6 space outside global unicast (2000::/3) that IANA has not assigned")
    }

    struct Entry {
        var network: IPAddress
        var prefix: Int
        var kind: Kind
        var rfc: String
        var routable: Bool
        var meaning: String

        init(_ network: String, _ prefix: Int, _ kind: Kind, _ rfc: String, routable: Bool = false, _ meaning: String) {
            self.network = IPAddress(network)!
            self.prefix = prefix
            self.kind = kind
            self.rfc = rfc
            self.routable = routable
            self.meaning = meaning
        }
    }

    /// Most specific blocks first: the first match wins.
    static let table: [Entry] = [
        Entry("0.0.0.0", 32, .unspecified, "RFC 1122", "the unspecified address: no host has it"),
        Entry("0.0.0.0", 8, .reserved, "RFC 791", "\"this network\": not a destination"),
        Entry("10.0.0.0", 8, .private, "RFC 1918", "a private address: " + AddressClass.privateMeaning),
        Entry("100.64.0.0", 10, .shared, "RFC 6598", "shared address space for carrier-grade NAT: reachable inside the provider's network only"),
        Entry("127.0.0.0", 8, .loopback, "RFC 1122", "loopback: every host answers it itself, it never leaves the host"),
        Entry("169.254.0.0", 16, .linkLocal, "RFC 3927", "link-local: valid on one link only, never routed"),
        Entry("172.16.0.0", 12, .private, "RFC 1918", "a private address: " + AddressClass.privateMeaning),
        Entry("192.0.0.0", 24, .reserved, "RFC 6890", "IETF protocol assignments: not routed on the internet"),
        Entry("192.0.2.0", 24, .documentation, "RFC 5737", "documentation (TEST-NET-1): for examples, never in use"),
        Entry("192.88.99.0", 24, .reserved, "RFC 7526", "the deprecated 6to4 relay anycast block"),
        Entry("192.168.0.0", 16, .private, "RFC 1918", "a private address: " + AddressClass.privateMeaning),
        Entry("198.18.0.0", 15, .benchmarking, "RFC 2544", "benchmarking: for test networks between devices, never routed"),
        Entry("198.51.100.0", 24, .documentation, "RFC 5737", "documentation (TEST-NET-2): for examples, never in use"),
        Entry("203.0.113.0", 24, .documentation, "RFC 5737", "documentation (TEST-NET-3): for examples, never in use"),
        Entry("224.0.0.0", 24, .multicast, "RFC 5771", "link-local multicast (local network control, e.g. VRRP's 224.0.0.18): never forwarded by routers"),
        Entry("224.0.0.0", 4, .multicast, "RFC 5771", "multicast: a group, not a host; no single owner"),
        Entry("255.255.255.255", 32, .broadcast, "RFC 919", "the limited broadcast address: every host on the link"),
        Entry("240.0.0.0", 4, .reserved, "RFC 1112", "reserved for future use: hosts and routers drop it"),
        Entry("::", 128, .unspecified, "RFC 4291", "the unspecified address: no host has it"),
        Entry("::1", 128, .loopback, "RFC 4291", "loopback: every host answers it itself, it never leaves the host"),
        Entry("::ffff:0.0.0.0", 96, .ipv4Mapped, "RFC 4291", "an IPv4-mapped IPv6 address: the IPv4 address inside is what is reached"),
        Entry("64:ff9b::", 96, .translation, "RFC 6052", routable: true, "the NAT64 well-known prefix: reached through a translator to the IPv4 address inside"),
        Entry("100::", 64, .reserved, "RFC 6666", "discard-only: routers drop it"),
        Entry("2001:2::", 48, .benchmarking, "RFC 5180", "benchmarking: for test networks between devices, never routed"),
        Entry("2001:db8::", 32, .documentation, "RFC 3849", "documentation: for examples, never in use"),
        Entry("3fff::", 20, .documentation, "RFC 9637", "documentation: for examples, never in use"),
        Entry("fc00::", 7, .uniqueLocal, "RFC 4193", "a unique local address (ULA): " + AddressClass.privateMeaning),
        Entry("fe80::", 10, .linkLocal, "RFC 4291", "link-local: valid on one link only, never routed"),
        Entry("ff02::", 16, .multicast, "RFC 4291", "link-local multicast (e.g. VRRP's ff02::12): never forwarded by routers"),
        Entry("ff00::", 8, .multicast, "RFC 4291", "multicast: a group, not a host; no single owner"),
    ]

    static let privateMeaning = "reachable only inside networks that route it (this site, its VPNs), never from the internet"

    /// The class of `address` with the name note for the names that point at it here.
    public static func of(_ address: IPAddress, names: [NameClaim]) -> AddressClass {
        var result = of(address)
        let returned = names.filter(\.returned)
        if result.isPrivateKind, !returned.isEmpty {
            let provenance = returned.map { "\($0.name) -> \($0.address) (\($0.source))" }.joined(separator: "; ")
            result.nameNote = "\(elsewhereSentence); here: \(provenance)"
        }
        return result
    }

    /// Whether the address is one the internet never routes, so a public answer for its name
    /// came from another resolver.
    public var isPrivateKind: Bool { !routableOnInternet && kind != .multicast && kind != .broadcast }
}
