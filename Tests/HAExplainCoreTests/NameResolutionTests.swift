import DNSMessage
import HAExplainCore
import HAModel
import HostsFile
import Testing

@Suite struct NameResolutionTests {
    static let hosts = HostsFile(path: "/etc/hosts", contents: Array(
        "127.0.0.1 localhost\n::1 localhost\n192.168.3.200 prod-db-internal.panda.com\n".utf8))
    static let nsswitch = NSSwitchHosts.parse("hosts: files dns\n", file: "/etc/nsswitch.conf")
    static let server = IPAddress("127.0.0.1")!

    static func dns(_ rcode: UInt8, _ addresses: [String]) throws -> DNSFact {
        var bytes = try DNSMessage.query(id: 1, name: "prod-db-internal.panda.com", type: .a)
        bytes[2] = 0x81; bytes[3] = 0x80 | rcode; bytes[7] = UInt8(addresses.count)
        for address in addresses {
            bytes += [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + IPAddress(address)!.v4Bytes
        }
        return DNSFact(server: server, source: .file("/etc/resolv.conf", line: 1),
                       questions: ["prod-db-internal.panda.com A"], replies: [try DNSMessage.parse(bytes)])
    }

    static func explain(_ dns: DNSFact, glibc: [String] = ["192.168.3.200"]) -> NameResolution {
        NameResolutionExplainer.explain(
            query: "prod-db-internal.panda.com", reverseOf: nil, hosts: hosts, hostConf: HostConf(file: "/etc/host.conf"),
            nsswitch: nsswitch, glibc: GlibcFact(function: "getaddrinfo", addresses: glibc.compactMap(IPAddress.init)), dns: dns)
    }

    @Test("the seed: the name is only in /etc/hosts:3, DNS says NXDOMAIN, files answered")
    func seed() throws {
        let report = Self.explain(try Self.dns(3, []))
        #expect(report.findings.first?.text == "not in DNS (127.0.0.1 says NXDOMAIN): only the hosts file (/etc/hosts:3) knows prod-db-internal.panda.com")
        #expect(report.answeredBy == "files")
        #expect(report.matches.map(\.line) == [3] && report.matches[0].returned)
    }

    @Test("DNS and hosts disagree, and files before dns means the hosts file overrides DNS")
    func disagree() throws {
        let report = Self.explain(try Self.dns(0, ["10.9.9.9"]))
        #expect(report.findings.contains { $0.sentence.hasPrefix("DNS and hosts disagree") && $0.weight == .warning })
        #expect(report.findings.map(\.text).contains("hosts file overrides DNS: files comes before dns in /etc/nsswitch.conf:1"))
    }

    @Test("a silent nameserver is a stated limit, not a silence")
    func timeout() {
        let dns = DNSFact(server: Self.server, source: .file("/etc/resolv.conf", line: 1), questions: [],
                          status: "timeout", limit: "no answer from 127.0.0.1 within 2 s, so DNS could not be compared")
        let report = Self.explain(dns)
        #expect(report.findings.map(\.text).contains("limit: no answer from 127.0.0.1 within 2 s, so DNS could not be compared"))
        #expect(NameClaims.findings(of: report).limits == [Limit(source: Source(kind: .dns, detail: "127.0.0.1"),
                                                                 message: "no answer from 127.0.0.1 within 2 s, so DNS could not be compared")])
        let text = NameResolutionText.render(report)
        #expect(text.contains("127.0.0.1 (/etc/resolv.conf:1): timeout, no answer"))
    }

    @Test("a block list repeating an address lists the returned line and 20 others, and counts the rest")
    func evidenceIsCapped() {
        let text = (1...500).map { "0.0.0.0 ad\($0).example" }.joined(separator: "\n")
        let report = NameResolutionExplainer.explain(
            query: "0.0.0.0", reverseOf: IPAddress("0.0.0.0"), hosts: HostsFile(path: "block", contents: Array(text.utf8)),
            hostConf: HostConf(file: "h"), nsswitch: Self.nsswitch, glibc: GlibcFact(function: "getnameinfo", names: ["ad1.example"]),
            dns: DNSFact(skipped: "--no-dns"))
        #expect(report.matches.count == 21 && report.matches[0].returned && report.matchesOmitted == 479)
        #expect(report.findings.map(\.text).contains("479 more lines of block match 0.0.0.0 (not listed; glibc does not return them)"))
    }

    @Test("an unreadable /etc/hosts is a stated limit of the answer")
    func unreadableHostsFile() {
        let report = NameResolutionExplainer.explain(
            query: "db", reverseOf: nil, hosts: HostsFile(path: "/etc/hosts", contents: []), hostConf: HostConf(file: "h"),
            nsswitch: Self.nsswitch, glibc: GlibcFact(function: "getaddrinfo", error: "Name or service not known"),
            dns: DNSFact(skipped: "--no-dns"), hostsFileProblem: "/etc/hosts: cannot read: no such file")
        #expect(report.findings.first?.text == "limit: /etc/hosts: cannot read: no such file; read as empty")
        #expect(report.findings.first?.weight == .limit(.file("/etc/hosts")))
    }

    @Test("JSON carries the issue's field names in order")
    func json() throws {
        let json = try JSONOutput.encode(Self.explain(try Self.dns(3, [])), pretty: false)
        for key in ["\"schema_version\":\(SchemaVersion.current)", "\"query\":", "\"matches\":[{\"file\":\"/etc/hosts\",\"line\":3,\"address\":\"192.168.3.200\",\"names\":[\"prod-db-internal.panda.com\"],\"returned\":true",
                    "\"nsswitch\":{\"file\":\"/etc/nsswitch.conf\",\"line\":1,\"sources\":[", "\"getaddrinfo\":{\"function\":\"getaddrinfo\",\"addresses\":[\"192.168.3.200\"]",
                    "\"dns\":{\"server\":\"127.0.0.1\"", "\"status\":\"NXDOMAIN\""] {
            #expect(json.contains(key), "\(key)")
        }
    }
}

extension IPAddress {
    var v4Bytes: [UInt8] {
        guard case .v4(let v) = self else { return [] }
        return [UInt8(v >> 24), UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
    }
}

/// Which addresses `ip` answers for, and the limit when there is none: pure, from claims made by hand.
@Suite struct AskedAddressesTests {
    static let vip = IPAddress("192.168.3.200")!, other = IPAddress("192.168.3.201")!

    @Test("an address asked is answered for itself; a name, for every address a snapshot's host returns for it, each once; lines glibc does not return are not answered")
    func addresses() {
        #expect(NameClaims.addresses(asked: "192.168.3.200", address: Self.vip, resolution: nil, claims: []).addresses == [Self.vip])
        let claims = [
            NameClaim(name: "db", address: Self.vip, source: .file("lb0:/etc/hosts", line: 3)),
            NameClaim(name: "db", address: Self.vip, source: .file("lb1:/etc/hosts", line: 3)),
            NameClaim(name: "db", address: Self.other, source: .file("lb1:/etc/hosts", line: 4), returned: false),
        ]
        let found = NameClaims.addresses(asked: "db", address: nil, resolution: nil, claims: claims)
        #expect(found.addresses == [Self.vip] && found.limit == nil)
    }

    @Test("a name nothing resolves is a limit from the resolver naming the query and what was looked at")
    func unresolved() throws {
        let none = NameClaims.addresses(asked: "nowhere.panda.com", address: nil, resolution: nil, claims: [])
        let limit = try #require(none.limit)
        #expect(none.addresses.isEmpty && limit.source == Source(kind: .resolver, detail: "nowhere.panda.com"))
        #expect(limit.message == "nowhere.panda.com does not resolve to any address here (no name-service files in the snapshots)")
    }
}
