import HAModel
import HostsFile
import VRRP

/// Names from a snapshot's own hosts file, so a name is resolved as that host would.
public enum SnapshotNames {
    public static func claims(_ query: String, in snapshot: HostSnapshot) -> [NameClaim] {
        guard let files = snapshot.nameService, let text = files.hosts else { return [] }
        let hostsFile = HostsFile(path: "\(snapshot.hostname):\(files.hostsPath)", contents: Array(text.utf8))
        let hostConf = HostConf.parse(files.hostConf ?? "", file: "\(snapshot.hostname):/etc/host.conf")
        let resolution = NameResolutionExplainer.explain(
            query: query, reverseOf: IPAddress(query), hosts: hostsFile, hostConf: hostConf,
            nsswitch: .glibcDefault(file: "\(snapshot.hostname):/etc/nsswitch.conf"),
            glibc: GlibcFact(function: "getaddrinfo", error: "not asked: explaining from a snapshot"),
            dns: DNSFact(skipped: "explaining from a snapshot"), glibcHostsFile: hostsFile.path)
        return NameClaims.claims(of: resolution)
    }
}

/// Names for the masters heard on the wire that no host in view describes, from the hosts
/// files in view (files only: a dead nameserver must not slow the answer).
public enum NodeNames {
    public static func lookup(masters wire: VRRPCensusReport?, in view: HostsInView) -> [IPAddress: NameClaim] {
        let hosts = view.hosts
        let masters = Set((wire?.routers ?? []).compactMap(\.master?.address)).filter { address in
            !hosts.contains { $0.addresses?.assignments(of: address).isEmpty == false }
        }
        guard !masters.isEmpty else { return [:] }
        let files = view.hostsFiles
        func named(_ address: IPAddress) -> NameClaim? {
            for file in files {
                guard let line = HostsLookup.reverse(address, in: file, limit: 1).matches.first?.line,
                      let name = line.names.first else { continue }
                return NameClaim(name: name, address: address, source: line.source)
            }
            return nil
        }
        var names: [IPAddress: NameClaim] = [:]
        for address in masters { names[address] = named(address) }
        // A master known by an address no hosts file lists (an IPv6 link-local one, VRRPv3) is
        // the node whose other adverts, from the same MAC, come from a listed address.
        let senders = (wire?.routers ?? []).flatMap(\.senders)
        for master in (wire?.routers ?? []).compactMap(\.master) where masters.contains(master.address) && names[master.address] == nil {
            guard let mac = master.mac else { continue }
            for sender in senders where sender.mac == mac && sender.address != master.address {
                guard let claim = named(sender.address) else { continue }
                names[master.address] = NameClaim(name: claim.name, address: master.address, source: claim.source,
                                                  note: "by its MAC \(mac), which also sends the adverts of \(sender.address)")
                break
            }
        }
        return names
    }
}
