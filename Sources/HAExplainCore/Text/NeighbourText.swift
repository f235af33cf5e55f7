import HAModel

/// The VRRP virtual router MACs of RFC 5798 §7.3: 00:00:5e:00:01:VRID for IPv4 and
/// 00:00:5e:00:02:VRID for IPv6. keepalived uses them only with `use_vmac`; otherwise the
/// master answers ARP with its own interface MAC.
public enum VRRPVirtualMAC {
    /// The family and VRID a MAC stands for, or nil when it is no VRRP virtual MAC.
    public static func router(_ mac: String) -> (family: AddressFamily, vrid: Int)? {
        // Most MACs are not virtual: rule them out on the first byte before splitting.
        guard mac.utf8.count == 17, mac.utf8.prefix(7).elementsEqual("00:00:5".utf8) else { return nil }
        let parts = mac.lowercased().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "00", parts[1] == "00", parts[2] == "5e", parts[3] == "00",
              parts[5].utf8.count == 2, let vrid = Int(parts[5], radix: 16) else { return nil }
        switch parts[4] {
        case "01": return (.inet, vrid)
        case "02": return (.inet6, vrid)
        default: return nil
        }
    }

    public static func mac(family: AddressFamily, vrid: Int) -> String {
        let hex = String(vrid & 0xff, radix: 16)
        return "00:00:5e:00:\(family == .inet ? "01" : "02"):\(hex.count == 1 ? "0" + hex : hex)"
    }

    /// Marks every entry whose link-layer address is a VRRP virtual MAC of its own family.
    public static func mark(_ table: inout NeighbourTable) {
        for i in table.neighbours.indices {
            guard let mac = table.neighbours[i].lladdr, let router = router(mac),
                  router.family == table.neighbours[i].dst.family else { continue }
            table.neighbours[i].vrrpVirtualRouter = router.vrid
        }
    }
}

/// The human rendering of `haexplain neigh`: iproute2's line for each entry, and which VRRP
/// virtual router a virtual MAC belongs to.
public enum NeighbourText {
    /// `asked` is the address the user filtered on, so an empty table can say so.
    public static func render(_ table: NeighbourTable, asked: String? = nil) -> String {
        var out = ""
        if let netns = table.netns { out += "network namespace \(netns)\n" }
        for entry in table.neighbours { out += line(entry) + "\n" }
        if table.neighbours.isEmpty, let asked { out += "no neighbour entry for \(asked)\n" }
        return out
    }

    public static func line(_ entry: NeighbourEntry) -> String {
        var words = [entry.dst.description]
        if let dev = entry.dev { words += ["dev", dev] }
        if let lladdr = entry.lladdr { words += ["lladdr", lladdr] }
        words += entry.flagWords
        words.append(entry.state.isEmpty ? "NONE" : entry.state.joined(separator: ","))
        if let vrid = entry.vrrpVirtualRouter {
            words.append("(VRRP virtual MAC of VRID \(vrid), \(entry.dst.family == .inet ? "IPv4" : "IPv6"))")
        }
        return words.joined(separator: " ")
    }
}
