import HAModel

/// A hosts-file line that answers a query, with what glibc does with it.
public struct HostsMatch: Sendable, Hashable {
    public var line: HostsLine
    /// Forward: getaddrinfo(AF_UNSPEC) returns it (`getent ahosts`, most programs).
    /// Reverse: gethostbyaddr/getnameinfo returns its names (`getent hosts ADDRESS`).
    public var returned: Bool
    /// Forward only: gethostbyname2, IPv6 first then IPv4, returns it (`getent hosts NAME`).
    public var returnedByGethostbyname: Bool?
    /// The address as glibc returns it for this query, when it differs from the text.
    public var note: String?
}

/// glibc's nss_files rules for choosing among matching lines: with host.conf `multi off`
/// (glibc's default) the first line of the wanted family wins, with `multi on` all of them;
/// gethostbyaddr always stops at the first line.
public enum HostsLookup {
    public static func forward(_ name: String, in file: HostsFile, multi: Bool) -> [HostsMatch] {
        let lines = file.lines(naming: name)
        let valid = lines.indices.filter { lines[$0].address != nil }
        // getaddrinfo(AF_UNSPEC) asks nss_files for every family at once.
        let unspec = Set(multi ? valid : Array(valid.prefix(1)))
        // gethostbyname2(AF_INET6), and only when it finds nothing, AF_INET (which also
        // accepts IPv4-mapped IPv6 and ::1 lines, but those are IPv6 lines and won the first pass).
        let six = valid.filter { lines[$0].address?.family == .inet6 }
        let four = valid.filter { lines[$0].addressForIPv4Query != nil }
        let chosen = six.isEmpty ? four : six
        let byName = Set(multi ? chosen : Array(chosen.prefix(1)))
        return lines.indices.map { index in
            HostsMatch(line: lines[index], returned: unspec.contains(index),
                       returnedByGethostbyname: byName.contains(index), note: lines[index].skipReason)
        }
    }

    public static func reverse(_ address: IPAddress, in file: HostsFile) -> [HostsMatch] {
        reverse(address, in: file, limit: .max).matches
    }

    /// The first `limit` lines for `address` (the one glibc returns comes first) and how
    /// many lines list it in all.
    public static func reverse(_ address: IPAddress, in file: HostsFile, limit: Int) -> (matches: [HostsMatch], total: Int) {
        // An IPv4 query reads every line as IPv4 (mapped forms and ::1 included); an IPv6
        // query only lines with exactly that IPv6 address. The first such line answers.
        let (lines, total) = file.lines(withAddress: address, limit: limit)
        // glibc's gethostbyaddr refuses the unspecified IPv6 address before asking any
        // service (getent hosts :: answers nothing, exit 2): the lines are listed, none returned.
        if address == .v6(0, 0) {
            return (lines.map { HostsMatch(line: $0, returned: false, returnedByGethostbyname: nil,
                                           note: "glibc answers no reverse lookup of ::, whatever the files say") }, total)
        }
        let matches = lines.indices.map { index in
            HostsMatch(line: lines[index], returned: index == 0, returnedByGethostbyname: nil,
                       note: index > 0 ? "same address as line \(lines[0].line), which glibc returns instead"
                           : lines[0].names.isEmpty ? "this line names nothing, yet glibc takes it: the address's name is empty" : nil)
        }
        return (matches, total)
    }
}
