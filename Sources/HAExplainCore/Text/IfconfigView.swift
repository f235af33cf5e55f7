import HAModel

/// What net-tools `ifconfig -a` would show. It lists one entry per IPv4 label and asks the
/// kernel for that label's address (SIOCGIFADDR), which returns the first address carrying
/// the label; every further address with the same label is invisible to it. This is the
/// seed's whole confusion: a keepalived VIP added as a second address on eth2.
public enum IfconfigView {
    public static func mark(_ table: inout AddressTable) {
        for i in table.interfaces.indices {
            // One reason per label, shared by every address it hides (there may be thousands).
            var reasonByLabel: [String: String] = [:]
            // Most addresses carry the interface's own label: that one is kept at hand.
            var lastHidden: (label: String, reason: String)?
            let ifname = table.interfaces[i].ifname
            for j in table.interfaces[i].addrInfo.indices where table.interfaces[i].addrInfo[j].family == .inet {
                let label = table.interfaces[i].addrInfo[j].label ?? ifname
                if let last = lastHidden, last.label == label {
                    table.interfaces[i].addrInfo[j].ifconfigVisible = false
                    table.interfaces[i].addrInfo[j].ifconfigHiddenReason = last.reason
                } else if let reason = reasonByLabel[label] {
                    lastHidden = (label, reason)
                    table.interfaces[i].addrInfo[j].ifconfigVisible = false
                    table.interfaces[i].addrInfo[j].ifconfigHiddenReason = reason
                } else {
                    let shown = table.interfaces[i].addrInfo[j].local
                    reasonByLabel[label] = "ifconfig shows one IPv4 address per label, and label \(label) shows \(shown)"
                    table.interfaces[i].addrInfo[j].ifconfigVisible = true
                }
            }
        }
    }

    /// The IPv4 addresses ifconfig would not print, with their interfaces.
    public static func hidden(in table: AddressTable) -> [(interface: String, address: InterfaceAddress)] {
        table.interfaces.flatMap { interface in
            interface.addrInfo.filter { $0.ifconfigVisible == false }.map { (interface.ifname, $0) }
        }
    }
}
