import Foundation
import HAModel
import HostsFile
import LabSupport
import Testing

@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct HostsParityTests {
    static let file = HostsFile(path: "/etc/hosts", contents: Array(TrickyHosts.text.utf8))

    @Test("getent hosts NAME returns exactly the lines marked for gethostbyname, in order", arguments: [false, true])
    func gethostbynameParity(multi: Bool) throws {
        let paths = try TrickyHosts.write(multi: multi)
        for name in TrickyHosts.names {
            let glibc = try TrickyHosts.getent(["hosts", name], hosts: paths.hosts, hostConf: paths.hostConf)
                .compactMap { $0.first.flatMap(IPAddress.init) }
            let ours = HostsLookup.forward(name, in: Self.file, multi: multi)
                .filter { $0.returnedByGethostbyname == true }.compactMap(\.line.address)
            #expect(ours == glibc, "getent hosts \(name) with multi \(multi)")
        }
    }

    @Test("getent ahosts NAME returns the addresses of the lines marked returned", arguments: [false, true])
    func getaddrinfoParity(multi: Bool) throws {
        let paths = try TrickyHosts.write(multi: multi)
        for name in TrickyHosts.names {
            let glibc = try TrickyHosts.getent(["ahosts", name], hosts: paths.hosts, hostConf: paths.hostConf)
                .compactMap { $0.first.flatMap(IPAddress.init) }
            let ours = HostsLookup.forward(name, in: Self.file, multi: multi).filter(\.returned).compactMap(\.line.address)
            #expect(Set(ours) == Set(glibc), "getent ahosts \(name) with multi \(multi)")
        }
    }

    @Test("getent hosts ADDRESS names the line marked returned, whatever multi says", arguments: [false, true])
    func reverseParity(multi: Bool) throws {
        let paths = try TrickyHosts.write(multi: multi)
        for text in TrickyHosts.addresses {
            let address = try #require(IPAddress(text))
            let glibc = try TrickyHosts.getent(["hosts", text], hosts: paths.hosts, hostConf: paths.hostConf)
            let ours = HostsLookup.reverse(address, in: Self.file).filter(\.returned)
            #expect(ours.count <= 1)
            #expect(ours.map(\.line.names) == glibc.map { Array($0.dropFirst()) }, "getent hosts \(text) with multi \(multi)")
        }
    }
}
