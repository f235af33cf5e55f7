import HAModel
import HAProxyConfig
import Testing

/// Every spelling of "all addresses" haproxy 2.6 accepts on a bind, and which families each
/// takes: an IPv6 wildcard takes IPv4 only on a dual-stack socket (`v4v6`, or neither option
/// with net.ipv6.bindv6only = 0; `v6only` wins over `v4v6`).
@Suite("wildcard binds")
struct WildcardBindTests {
    static let v4 = IPAddress("192.168.3.200")!
    static let v6 = IPAddress("2001:db8::200")!

    /// (bind line, takes IPv4 with bindv6only 0, with bindv6only 1, takes IPv6)
    static let spellings: [(String, Bool, Bool, Bool)] = [
        ("bind 0.0.0.0:5432", true, true, false),
        ("bind *:5432", true, true, false),
        ("bind :5432", true, true, false),
        ("bind 0:5432", true, true, false),
        ("bind ipv4@:5432", true, true, false),
        ("bind ipv4@0.0.0.0:5432", true, true, false),
        ("bind ipv4@*:5432", true, true, false),
        ("bind tcp4@:5432", true, true, false),
        ("bind [::]:5432", true, false, true),
        ("bind :::5432", true, false, true),
        ("bind [0:0:0:0:0:0:0:0]:5432", true, false, true),
        ("bind ::0:5432", true, false, true),
        ("bind ipv6@:5432", true, false, true),
        ("bind ipv6@*:5432", true, false, true),
        ("bind ipv6@:::5432", true, false, true),
        ("bind tcp6@[::]:5432", true, false, true),
        ("bind [::]:5432 v4v6", true, true, true),
        ("bind [::]:5432 v6only", false, false, true),
        ("bind [::]:5432 v6only v4v6", false, false, true),
        ("bind ipv6@:5432 v4v6", true, true, true),
        ("bind :::5432 v6only", false, false, true),
        ("bind 0.0.0.0:5000-6000", true, true, false),
    ]

    @Test("each wildcard spelling takes 5432 on the families haproxy's socket takes", arguments: spellings.indices)
    func spelling(_ index: Int) throws {
        let (line, v4Dual, v4Only, takesV6) = Self.spellings[index]
        let config = try HAProxyParser.parse(bytes: Array("frontend f\n    \(line)\n".utf8), file: "t.cfg")
        let bind = try #require(config.frontends.first?.binds.first)
        let address = try #require(bind.addresses.first)
        #expect(address.wildcard && address.address == nil, "\(line)")
        #expect(address.accepts(Self.v4, port: 5432, dualStack: bind.dualStack(bindv6only: 0)) == v4Dual, "\(line), bindv6only 0")
        #expect(address.accepts(Self.v4, port: 5432, dualStack: bind.dualStack(bindv6only: 1)) == v4Only, "\(line), bindv6only 1")
        #expect(address.accepts(Self.v6, port: 5432, dualStack: bind.dualStack(bindv6only: 0)) == takesV6, "\(line)")
        #expect(!address.accepts(Self.v4, port: 80, dualStack: true), "\(line): another port")
    }

    @Test("a specific address is no wildcard; ::ffff:a.b.c.d takes IPv4 a.b.c.d only on a dual-stack socket")
    func specific() throws {
        let config = try HAProxyParser.parse(bytes: Array("frontend f\n    bind 192.168.3.200:1,[::ffff:192.168.3.200]:2\n".utf8), file: "t.cfg")
        let addresses = try #require(config.frontends.first?.binds.first?.addresses)
        #expect(!addresses[0].wildcard && addresses[0].address == Self.v4)
        #expect(!addresses[0].accepts(IPAddress("192.168.3.201")!, port: 1, dualStack: true))
        #expect(addresses[1].accepts(Self.v4, port: 2, dualStack: true))
        #expect(!addresses[1].accepts(Self.v4, port: 2, dualStack: false))
    }
}
