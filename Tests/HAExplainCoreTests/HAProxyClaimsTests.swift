import HAExplainCore
import HAModel
import HAProxyConfig
import Testing

/// haproxy's part of the verdict, from values only: what serves the VIP on the master, the
/// refused traffic when nothing listens, and the backup trap.
@Suite("haproxy evidence in the ip verdict")
struct HAProxyClaimsTests {
    static let vip = IPAddress("192.168.3.200")!

    static func config(_ bind: String) throws -> HAProxyConfiguration {
        let text = """
            frontend pg
                bind \(bind)
                default_backend pg-nodes
            backend pg-nodes
                server pg-a 192.168.3.21:5432 check
                server pg-b 192.168.3.22:5432

            """
        return try HAProxyParser.parse(bytes: Array(text.utf8), file: "/etc/haproxy/haproxy.cfg")
    }

    static func host(_ name: String, holdsVIP: Bool, bind: String = "192.168.3.200:5432", listening: [ListeningSocket]? = [],
                     nonlocal: Int? = 0) throws -> ExaminedHost {
        var addresses = [InterfaceAddress(local: IPAddress(name == "lb0" ? "192.168.3.4" : "192.168.3.5")!, prefixlen: 24, label: "eth2")]
        if holdsVIP { addresses.append(InterfaceAddress(local: vip, prefixlen: 32, label: "eth2")) }
        let table = AddressTable(netns: nil, source: .netlink("test"), interfaces: [NetworkInterface(ifindex: 2, ifname: "eth2", addrInfo: addresses)])
        var view = ExaminedHost(hostname: name, isLocal: true, addresses: table)
        view.haproxy = HAProxySnapshot(configuration: try config(bind), chosenBecause: "test",
                                       listeners: listening.map { ListeningSocketTable(netns: nil, source: .netlink("sock_diag"), sockets: $0) },
                                       nonlocalBind: NonlocalBind(ipv4: nonlocal, ipv6: nonlocal, netns: nil))
        return view
    }

    static let haproxySocket = ListeningSocket(transport: "tcp", address: vip, port: 5432, v6only: nil, boundInterface: nil, inode: 7, uid: 0,
                                               owners: [SocketOwner(pid: 42, command: "haproxy", fd: 5)])

    @Test("on the master: 192.168.3.200:5432 is served by frontend pg → backend pg-nodes, and haproxy pid 42 listens")
    func servedOnMaster() throws {
        let found = HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb0", holdsVIP: true, listening: [Self.haproxySocket])])
        let claims = found.evidence.map(\.claim)
        #expect(claims.contains { $0.hasPrefix("192.168.3.200:5432 is served by frontend pg (/etc/haproxy/haproxy.cfg:1) → backend pg-nodes (servers pg-a 192.168.3.21:5432, pg-b 192.168.3.22:5432)") })
        #expect(found.evidence.first?.line == 2)
        #expect(claims.contains { $0.contains("haproxy pid 42") })
        #expect(found.warnings.isEmpty)
    }

    @Test("on the master with nothing listening: traffic to the VIP would be refused")
    func refusedWithoutListener() throws {
        let found = HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb0", holdsVIP: true, listening: [])])
        #expect(found.warnings.count == 1)
        #expect(found.warnings.first?.hasPrefix("no listener:") == true)
        #expect(found.warnings.first?.contains("traffic to the VIP would be refused") == true)
        let noFrontend = HAProxyClaims.explain(IPAddress("192.168.3.201")!, hosts: [try Self.host("lb0", holdsVIP: true, listening: [])])
        #expect(noFrontend.warnings.isEmpty, "192.168.3.201 is not held here")
    }

    @Test("the backup trap: a bind on the VIP, not assigned here, nonlocal_bind 0, no transparent")
    func backupTrap() throws {
        let trapped = HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb1", holdsVIP: false)])
        #expect(trapped.warnings.count == 1)
        #expect(trapped.warnings.first?.hasPrefix("haproxy cannot start or reload here while this node is BACKUP") == true)
        #expect(trapped.warnings.first?.contains("(/etc/haproxy/haproxy.cfg:2)") == true)
        #expect(trapped.warnings.first?.contains("net.ipv4.ip_nonlocal_bind = 0") == true)
        #expect(trapped.evidence.first?.claim.contains("would be served, once lb1 holds it") == true)

        #expect(HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb1", holdsVIP: false, nonlocal: 1)]).warnings.isEmpty)
        #expect(HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb1", holdsVIP: false, bind: "192.168.3.200:5432 transparent")]).warnings.isEmpty)
        #expect(HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb1", holdsVIP: false, bind: "*:5432")]).warnings.isEmpty)
        let unknown = HAProxyClaims.explain(Self.vip, hosts: [try Self.host("lb1", holdsVIP: false, nonlocal: nil)])
        #expect(unknown.warnings.isEmpty)
        #expect(unknown.limits.first?.message.contains("could not be read") == true)
    }

    @Test("the ip answer carries the haproxy claims through IPExplainer, and a snapshot keeps them")
    func throughTheExplainer() throws {
        let lb1 = try Self.host("lb1", holdsVIP: false)
        let report = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [lb1], keepalived: nil, wire: nil))
        #expect(report.answers[0].warnings.contains { $0.hasPrefix("haproxy cannot start or reload here while this node is BACKUP") })
        let snapshot = HostSnapshot(hostname: "lb1", takenAt: "now", haexplainVersion: "test", netns: nil, addresses: lb1.addresses, haproxy: lb1.haproxy)
        let decoded = try HostSnapshot.decode(Array(try JSONOutput.encode(snapshot).utf8), origin: "test")
        // Everything but the raw lines, which never leave the host (they may hold passwords).
        var expected = lb1.haproxy?.configuration
        for index in expected?.sections.indices ?? 0..<0 { expected?.sections[index].lines = [] }
        #expect(decoded.haproxy?.configuration == expected)
        #expect(decoded.haproxy?.configuration?.sections.first?.binds.isEmpty == false)
        // The verdict from the snapshot is the same.
        var view = ExaminedHost(hostname: "lb1", isLocal: false, addresses: decoded.addresses)
        view.haproxy = decoded.haproxy
        let again = IPExplainer.explain(IPEvidence(query: "192.168.3.200", addresses: [Self.vip], hosts: [view], keepalived: nil, wire: nil))
        #expect(again.answers[0].warnings == report.answers[0].warnings)
        #expect(decoded.haproxy?.nonlocalBind?.ipv4 == 0)
    }

    @Test("haexplain haproxy ADDRESS:PORT forms, and the report marks binds that do not listen")
    func report() throws {
        #expect(HAProxyExplainer.parseQuery("192.168.3.200:5432")?.port == 5432)
        #expect(HAProxyExplainer.parseQuery("[2001:db8::1]:443")?.address == IPAddress("2001:db8::1"))
        #expect(HAProxyExplainer.parseQuery("2001:db8::1")?.port == nil)
        #expect(HAProxyExplainer.parseQuery("192.168.3.200:99999") == nil)
        #expect(HAProxyExplainer.parseQuery("db.example:80") == nil)
        let lb1 = try Self.host("lb1", holdsVIP: false)
        let report = HAProxyExplainer.report(lb1.haproxy!, addresses: lb1.addresses, query: (Self.vip, 5432), queryText: "192.168.3.200:5432", netns: nil)
        #expect(report.routes?.count == 1)
        #expect(report.frontends[0].binds[0].status == "not listening")
        #expect(report.warnings.contains { $0.hasPrefix("haproxy cannot start or reload here while 192.168.3.200 is not assigned") })
        #expect(HAProxyText.render(report).contains("served by frontend pg (/etc/haproxy/haproxy.cfg:1) → backend pg-nodes"))
    }

    @Test("an IPv6 wildcard serves IPv4 unless v6only; a bind over every port finds the one socket listening")
    func wildcards() throws {
        #expect(HAProxyRoutes.routes(to: Self.vip, config: try Self.config(":::5432"), listeners: nil).count == 1)
        #expect(HAProxyRoutes.routes(to: Self.vip, config: try Self.config(":::5432 v6only"), listeners: nil).isEmpty)
        let table = ListeningSocketTable(netns: nil, source: .netlink("sock_diag"), sockets: [Self.haproxySocket])
        let routes = HAProxyRoutes.routes(to: Self.vip, config: try Self.config("*:1-65535"), listeners: table)
        #expect(routes.first?.ports == "1-65535")
        #expect(routes.first?.listening == [Self.haproxySocket])
        // `namespace other`: its socket is in another network namespace, so it is not judged here.
        var elsewhere = try Self.host("lb0", holdsVIP: true, bind: "192.168.3.200:5432 namespace other", listening: [])
        #expect(HAProxyClaims.explain(Self.vip, hosts: [elsewhere]).warnings.isEmpty)
        elsewhere.haproxy?.listeners = table
        let report = HAProxyExplainer.report(elsewhere.haproxy!, addresses: elsewhere.addresses, query: nil, queryText: nil, netns: nil)
        #expect(report.frontends[0].binds[0].status == "not checked")
    }

    @Test("a stats listener on the VIP is said as the stats page it serves, not as refusing connections; a stats socket on it as haproxy's CLI")
    func statsListener() throws {
        let text = """
            global
                stats socket 192.168.3.200:9999 level admin
            listen stats
                bind 192.168.3.200:8404
                mode http
                stats enable
                stats uri /haproxy-stats
            frontend bare
                bind 192.168.3.200:8405
            frontend bare-http
                mode http
                bind 192.168.3.200:8406

            """
        let config = try HAProxyParser.parse(bytes: Array(text.utf8), file: "/etc/haproxy/haproxy.cfg")
        let routes = HAProxyRoutes.routes(to: Self.vip, config: config, listeners: nil)
        let sentences = Dictionary(uniqueKeysWithValues: routes.map { ($0.ports, HAProxyRoutes.sentence($0)) })
        #expect(sentences["8404"] == "listen stats (/etc/haproxy/haproxy.cfg:3) answers itself: stats page at /haproxy-stats [/etc/haproxy/haproxy.cfg:6]; otherwise → no backend (other requests get 503 Service Unavailable: no default_backend or use_backend)")
        #expect(sentences["9999"] == "global (/etc/haproxy/haproxy.cfg:1) answers itself: haproxy's CLI (stats socket 192.168.3.200:9999, level admin) [/etc/haproxy/haproxy.cfg:2]")
        #expect(sentences["8405"]?.hasSuffix("→ no backend (connections are closed: no default_backend or use_backend)") == true)
        #expect(sentences["8406"]?.hasSuffix("→ no backend (other requests get 503 Service Unavailable: no default_backend or use_backend)") == true)
        #expect(!sentences.values.contains { $0.contains("refused") })
    }
}

