import HAModel

/// The human rendering of `haexplain addr`: iproute2's layout, plus a visible mark on every
/// address ifconfig hides, and a closing line that says so in words.
public enum AddressTableText {
    public static func render(_ table: AddressTable) -> String {
        var out = ""
        if let netns = table.netns { out += "network namespace \(netns)\n" }
        for interface in table.interfaces {
            out += header(interface)
            for address in interface.addrInfo { out += line(address, on: interface) }
        }
        let hidden = IfconfigView.hidden(in: table)
        if !hidden.isEmpty {
            // Name a few; with thousands of VIPs the list itself would hide the point.
            let shown = hidden.prefix(5).map { "\($0.address.local)/\($0.address.prefixlen) on \($0.interface)" }
            let more = hidden.count > shown.count ? " and \(hidden.count - shown.count) more" : ""
            out += "\n\(hidden.count) IPv4 address\(hidden.count == 1 ? "" : "es") hidden from ifconfig (it prints one per label): \(shown.joined(separator: ", "))\(more)\n"
        }
        return out
    }

    static func header(_ interface: NetworkInterface) -> String {
        var name = TerminalText.escaped(interface.ifname)
        if let link = interface.link { name += "@\(link)" } else if let index = interface.linkIndex { name += "@if\(index)" }
        var text = "\(interface.ifindex): \(name): <\(interface.flags.joined(separator: ","))>"
        if let mtu = interface.mtu { text += " mtu \(mtu)" }
        if let master = interface.master { text += " master \(master)" }
        if let state = interface.operstate { text += " state \(state)" }
        if let kind = interface.linkinfo?.infoKind { text += " kind \(kind)" }
        text += "\n    link/\(interface.linkType)"
        if let address = interface.address { text += " \(address)" }
        if let broadcast = interface.broadcast {
            text += interface.rawFlags & 0x10 != 0 ? " peer \(broadcast)" : " brd \(broadcast)"
        }
        return text + "\n"
    }

    static func line(_ address: InterfaceAddress, on interface: NetworkInterface) -> String {
        var text = "    \(address.family.rawValue) \(address.local)"
        if let peer = address.address { text += " peer \(peer)" }
        text += "/\(address.prefixlen)"
        if let broadcast = address.broadcast { text += " brd \(broadcast)" }
        text += " scope \(address.scope)"
        for word in address.flagWords { text += " \(word)" }
        if let label = address.label { text += " \(TerminalText.escaped(label))" }
        if address.ifconfigVisible == false {
            text += "   [hidden from ifconfig: \(address.ifconfigHiddenReason ?? "")]"
        }
        text += "\n"
        if let valid = address.validLifeTime, let preferred = address.preferredLifeTime,
           valid != .max || preferred != .max {
            text += "       valid_lft \(lifetime(valid)) preferred_lft \(lifetime(preferred))\n"
        }
        return text
    }

    static func lifetime(_ seconds: UInt32) -> String {
        seconds == .max ? "forever" : "\(seconds)sec"
    }
}
