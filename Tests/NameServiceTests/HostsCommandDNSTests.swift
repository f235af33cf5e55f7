import Foundation
import LabSupport
import Testing

/// `haexplain hosts` against a real dnsmasq: the seed's story and its variations. One lab
/// for the suite keeps the runtime modest; each test asks different names.
@Suite(.serialized, .enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class HostsCommandDNSTests {
    let lab: DNSLab

    init() throws { lab = try DNSLab() }

    static func strings(_ value: Any?) -> [String] { value as? [String] ?? [] }
    static func dict(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    @Test("the seed: prod-db-internal.panda.com only in /etc/hosts:3, DNS says NXDOMAIN, files answer")
    func seed() throws {
        let report = try lab.explain(["prod-db-internal.panda.com"])
        let matches = report["matches"] as? [[String: Any]] ?? []
        #expect(matches.count == 1)
        #expect(matches.first?["line"] as? Int == 3 && matches.first?["returned"] as? Bool == true)
        #expect(Self.dict(report["dns"])["status"] as? String == "NXDOMAIN")
        #expect(Self.dict(report["dns"])["server"] as? String == "127.0.0.1")
        #expect(Self.strings(report["findings"]).first?.hasPrefix("not in DNS") == true)
        #expect(report["answered_by"] as? String == "files")
        #expect(Self.strings(Self.dict(report["getaddrinfo"])["addresses"]) == (try lab.getentAhosts("prod-db-internal.panda.com")))
    }

    @Test("a name only in DNS: no hosts line, DNS and getaddrinfo agree")
    func onlyInDNS() throws {
        let report = try lab.explain(["only-dns.example"])
        #expect((report["matches"] as? [Any])?.isEmpty == true)
        let answers = Self.dict(report["dns"])["answers"] as? [[String: Any]] ?? []
        #expect(answers.compactMap { $0["data"] as? String } == ["10.20.30.40"])
        #expect(Self.strings(Self.dict(report["getaddrinfo"])["addresses"]) == (try lab.getentAhosts("only-dns.example")))
        #expect(report["answered_by"] as? String == "dns")
        #expect(Self.strings(report["findings"]).contains { $0.hasPrefix("only in DNS") })
    }

    @Test("in both and disagreeing: the hosts file overrides DNS because files comes first")
    func disagree() throws {
        let report = try lab.explain(["disagree.panda.com"])
        let findings = Self.strings(report["findings"])
        #expect(findings.contains { $0.hasPrefix("DNS and hosts disagree") && $0.contains("192.168.3.201") && $0.contains("10.9.9.9") })
        #expect(findings.contains { $0.hasPrefix("hosts file overrides DNS") })
        #expect(Self.strings(Self.dict(report["getaddrinfo"])["addresses"]) == ["192.168.3.201"])
        #expect(try lab.getentAhosts("disagree.panda.com") == ["192.168.3.201"])
    }

    @Test("NXDOMAIN everywhere: getaddrinfo fails and the answer says nobody knows the name")
    func nxdomain() throws {
        let report = try lab.explain(["nowhere.panda.com"])
        #expect(Self.dict(report["dns"])["status"] as? String == "NXDOMAIN")
        #expect(Self.dict(report["getaddrinfo"])["error"] != nil)
        #expect(try lab.getentAhosts("nowhere.panda.com").isEmpty)
        #expect(Self.strings(report["findings"]).first?.hasPrefix("neither") == true)
    }

    @Test("a nameserver that never answers: bounded wait, the limit stated, files still answer")
    func silentServer() throws {
        let report = try lab.explain(["prod-db-internal.panda.com", "--dns-timeout", "1"], resolv: "resolv.silent")
        let dns = Self.dict(report["dns"])
        #expect(dns["status"] as? String == "timeout")
        #expect(dns["server"] as? String == "127.0.0.2")
        #expect((dns["limit"] as? String)?.contains("no answer from 127.0.0.2 within 1 s") == true)
        #expect(Self.strings(report["findings"]).contains { $0.hasPrefix("limit: no answer from 127.0.0.2") })
        #expect(Self.strings(Self.dict(report["getaddrinfo"])["addresses"]) == ["192.168.3.200"])
    }

    @Test("glibc told to wait minutes for a silent server is cut off at haexplain's 5 s deadline")
    func glibcDeadline() throws {
        let report = try lab.explain(["only-dns.example", "--dns-timeout", "0.5"], resolv: "resolv.patient")
        let glibc = Self.dict(report["getaddrinfo"])
        #expect((glibc["error"] as? String)?.hasPrefix("no answer within 5 s") == true)
        #expect(Self.strings(report["findings"]).contains { $0.hasPrefix("getaddrinfo failed: no answer within 5 s") })
        #expect(Self.dict(report["dns"])["status"] as? String == "timeout")
    }

    @Test("reverse: the PTR record and the hosts line for an address, side by side")
    func reverse() throws {
        let report = try lab.explain(["10.20.30.40"])
        let answers = Self.dict(report["dns"])["answers"] as? [[String: Any]] ?? []
        #expect(answers.compactMap { $0["data"] as? String } == ["only-dns.example"])
        #expect(Self.strings(Self.dict(report["getaddrinfo"])["names"]) == ["only-dns.example"])
        let seed = try lab.explain(["192.168.3.200", "--no-dns"])
        #expect(Self.strings(Self.dict(seed["getaddrinfo"])["names"]) == ["prod-db-internal.panda.com"])
        #expect(Self.dict(seed["dns"])["skipped"] as? String == "--no-dns")
    }

    @Test("--netns asks glibc and DNS from inside the namespace, run from outside it")
    func fromOutsideWithNetns() throws {
        let report = try lab.explain(["only-dns.example", "--netns", lab.netns], inside: false)
        let answers = Self.dict(report["dns"])["answers"] as? [[String: Any]] ?? []
        #expect(answers.compactMap { $0["data"] as? String } == ["10.20.30.40"])
        #expect(Self.strings(Self.dict(report["getaddrinfo"])["addresses"]) == ["10.20.30.40"])
    }

    @Test("text output puts hosts line, glibc and DNS in one glance")
    func text() throws {
        let result = try lab.run([DNSLab.binary, "hosts", "prod-db-internal.panda.com"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("192.168.3.200") && result.stdout.contains("(/etc/hosts:3)  returned"))
        #expect(result.stdout.contains("127.0.0.1 (/etc/resolv.conf:1): NXDOMAIN"))
        #expect(result.stdout.contains("not in DNS"))
    }
}
