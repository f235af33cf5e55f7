import HAModel

/// The names iproute2 prints for link types, states and scopes.
enum LinkNames {
    static let operstates = ["UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP"]

    static func operstate(_ value: UInt8) -> String {
        Int(value) < operstates.count ? operstates[Int(value)] : "0x" + String(value, radix: 16)
    }

    static func scope(_ value: UInt8) -> String {
        switch value {
        case 0: "global"
        case 200: "site"
        case 253: "link"
        case 254: "host"
        case 255: "nowhere"
        default: String(value)
        }
    }

    // ARPHRD_* values from linux/if_arp.h with iproute2's names for them.
    static let linkTypes: [UInt16: String] = [
        0: "netrom", 1: "ether", 2: "eether", 3: "ax25", 4: "pronet", 5: "chaos", 6: "ieee802",
        7: "arcnet", 8: "atalk", 15: "dlci", 19: "atm", 23: "metricom", 24: "ieee1394",
        27: "eui64", 32: "infiniband", 256: "slip", 257: "cslip", 258: "slip6", 259: "cslip6",
        260: "rsrvd", 264: "adapt", 270: "rose", 271: "x25", 272: "hwx25", 280: "can", 512: "ppp",
        513: "cisco", 516: "lapb", 517: "ddcmp", 518: "rawhdlc", 519: "rawip", 768: "ipip",
        769: "tunnel6", 770: "frad", 771: "skip", 772: "loopback", 773: "localtlk", 774: "fddi",
        775: "bif", 776: "sit", 777: "ip/ddp", 778: "gre", 779: "pimreg", 780: "hippi",
        781: "ash", 782: "econet", 783: "irda", 784: "fcpp", 785: "fcal", 786: "fcpl",
        787: "fcfb0", 800: "tr", 801: "tr+", 802: "ieee802.11/prism", 803: "ieee802.11/radiotap",
        804: "ieee802.15.4", 805: "ieee802.15.4/monitor", 820: "phonet", 821: "phonet_pipe",
        822: "caif", 823: "gre6", 824: "netlink", 825: "6lowpan", 826: "vsockmon",
        0xfffe: "none", 0xffff: "void",
    ]

    static func linkType(_ value: UInt16) -> String {
        linkTypes[value] ?? "[\(value)]"
    }

    /// Hardware addresses print as hex pairs; tunnels carry IP addresses there instead.
    static func hardwareAddress(_ bytes: UnsafeRawBufferPointer, linkType: UInt16) -> String {
        if ipTunnels.contains(linkType), let address = IPAddress(bytes: bytes) {
            return address.description
        }
        // Built as bytes: called once per neighbour entry, tens of thousands of times.
        return String(unsafeUninitializedCapacity: max(0, bytes.count * 3 - 1)) { text in
            var at = 0
            for (i, byte) in bytes.enumerated() {
                if i > 0 { text[at] = UInt8(ascii: ":"); at += 1 }
                text[at] = hexDigits[Int(byte >> 4)]
                text[at + 1] = hexDigits[Int(byte & 0xf)]
                at += 2
            }
            return at
        }
    }

    static let ipTunnels: Set<UInt16> = [768, 776, 778, 769, 823]
    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// IFF_* bits and iproute2's rendering of them.
public enum LinkFlags {
    public static let up: UInt32 = 0x1
    public static let running: UInt32 = 0x40
    public static let lowerUp: UInt32 = 0x10000

    static let ordered: [(UInt32, String)] = [
        (0x8, "LOOPBACK"), (0x2, "BROADCAST"), (0x10, "POINTOPOINT"), (0x1000, "MULTICAST"),
        (0x80, "NOARP"), (0x200, "ALLMULTI"), (0x100, "PROMISC"), (0x20, "NOTRAILERS"),
        (0x4, "DEBUG"), (0x8000, "DYNAMIC"), (0x4000, "AUTOMEDIA"), (0x2000, "PORTSEL"),
        (0x400, "MASTER"), (0x800, "SLAVE"), (0x1, "UP"), (0x10000, "LOWER_UP"),
        (0x20000, "DORMANT"), (0x40000, "ECHO"),
    ]

    public static func names(_ raw: UInt32, lowerDown: Bool) -> [String] {
        var flags = raw
        var names: [String] = []
        if flags & up != 0, flags & running == 0 { names.append("NO-CARRIER") }
        flags &= ~running
        for (bit, name) in ordered where flags & bit != 0 {
            names.append(name)
            flags &= ~bit
        }
        if flags != 0 { names.append(String(flags, radix: 16)) }
        if lowerDown { names.append("M-DOWN") }
        return names
    }
}

/// Sets the per-flag keys of an address the way iproute2 prints them.
enum AddressFlagNames {
    static func apply(_ raw: UInt32, family: AddressFamily, to address: inout InterfaceAddress) {
        if raw & AddressFlag.permanent == 0 { address.dynamic = true }
        if raw & AddressFlag.secondary != 0 {
            // IPv6 calls its secondary addresses temporary (privacy extensions).
            if family == .inet6 { address.temporary = true } else { address.secondary = true }
        }
        if raw & AddressFlag.nodad != 0 { address.nodad = true }
        if raw & AddressFlag.optimistic != 0 { address.optimistic = true }
        if raw & AddressFlag.dadfailed != 0 { address.dadfailed = true }
        if raw & AddressFlag.homeaddress != 0 { address.home = true }
        if raw & AddressFlag.deprecated != 0 { address.deprecated = true }
        if raw & AddressFlag.tentative != 0 { address.tentative = true }
        if raw & AddressFlag.managetempaddr != 0 { address.mngtmpaddr = true }
        if raw & AddressFlag.noprefixroute != 0 { address.noprefixroute = true }
        if raw & AddressFlag.mcautojoin != 0 { address.autojoin = true }
        if raw & AddressFlag.stablePrivacy != 0 { address.stablePrivacy = true }
    }
}
