import HAModel
import HostsFile
import Testing

@Suite struct HostsFileTests {
    @Test("the seed: prod-db-internal.panda.com is /etc/hosts:3 and glibc returns it")
    func seedLine() {
        let file = HostsFile(path: "/etc/hosts", contents: Array(
            "127.0.0.1 localhost\n::1 localhost ip6-localhost\n192.168.3.200 prod-db-internal.panda.com\n".utf8))
        let matches = HostsLookup.forward("prod-db-internal.panda.com", in: file, multi: false)
        #expect(matches.count == 1)
        #expect(matches.first?.line.source.description == "/etc/hosts:3")
        #expect(matches.first?.line.address == IPAddress("192.168.3.200"))
        #expect(matches.first?.returned == true)
        #expect(HostsLookup.reverse(IPAddress("192.168.3.200")!, in: file).first?.line.names == ["prod-db-internal.panda.com"])
    }

    @Test("a line glibc skips is still shown for its name, with the reason")
    func skippedLineExplained() {
        let file = HostsFile(path: "h", contents: Array("fe80::1%eth0 zoned\n010.0.0.4 lead.zero\n".utf8))
        let zoned = HostsLookup.forward("zoned", in: file, multi: true)
        #expect(zoned.count == 1 && zoned[0].returned == false)
        #expect(zoned[0].note?.contains("zone index") == true)
        #expect(HostsLookup.forward("lead.zero", in: file, multi: true).first?.note?.contains("inet_pton") == true)
    }

    @Test("a 100,000-line block list is scanned and the last line found")
    func blockList() {
        var text = ""
        for i in 0..<100_000 { text += "0.0.0.0 ad\(i).tracker.example\n" }
        text += "192.168.3.200 prod-db-internal.panda.com"
        let file = HostsFile(path: "block", contents: Array(text.utf8))
        let matches = HostsLookup.forward("prod-db-internal.panda.com", in: file, multi: false)
        #expect(matches.map(\.line.line) == [100_001])
        #expect(HostsLookup.forward("ad99999.tracker.example", in: file, multi: false).map(\.line.line) == [100_000])
        #expect(HostsLookup.reverse(IPAddress("0.0.0.0")!, in: file).count == 100_000)
    }

    @Test("host.conf: glibc's default is multi off; the last multi line wins, any case")
    func hostConf() {
        #expect(HostConf.parse("", file: "h").multi == false)
        let conf = HostConf.parse("multi off\n# multi off\nMulti  On # yes\n", file: "/etc/host.conf")
        #expect(conf.multi == true && conf.line == 3)
        #expect(HostConf.parse("multi on\nmulti maybe\n", file: "h").multi == true)
    }

    @Test("nsswitch.conf: hosts sources with their actions and line")
    func nsswitch() {
        let text = "# comment\npasswd: files\nhosts:   files [NOTFOUND=return] mdns4_minimal dns myhostname # x\nhosts: dns\n"
        let hosts = NSSwitchHosts.parse(text, file: "/etc/nsswitch.conf")
        #expect(hosts.line == 3)
        #expect(hosts.sources.map(\.service) == ["files", "mdns4_minimal", "dns", "myhostname"])
        #expect(hosts.sources[0].actions == ["NOTFOUND=return"])
        #expect(hosts.sources[0].returns(on: "NOTFOUND") && !hosts.sources[2].returns(on: "NOTFOUND"))
        #expect(NSSwitchHosts.parse("passwd: files\n", file: "n").sources.map(\.service) == ["dns", "files"])
    }

    @Test("resolv.conf: nameservers with lines, at most three, timeout option")
    func resolvConf() {
        let text = "search example\nnameserver 127.0.0.53\n; nameserver 9.9.9.9\nnameserver bogus\nnameserver fe80::1%eth0\noptions timeout:2 attempts:1\nnameserver 10.0.0.1\nnameserver 10.0.0.2\n"
        let conf = ResolvConf.parse(text, file: "/etc/resolv.conf")
        #expect(conf.nameservers.map(\.address.description) == ["127.0.0.53", "fe80::1", "10.0.0.1"])
        #expect(conf.nameservers.map(\.line) == [2, 5, 7])
        #expect(conf.timeoutSeconds == 2)
    }
}
