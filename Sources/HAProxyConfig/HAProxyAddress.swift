import HAModel

/// Listening and server addresses as haproxy 2.6's str2sa_range reads them: an optional
/// family prefix (`ipv4@`, `ipv6@`, `unix@`, `abns@`, `fd@`, `udp@`, ...), then a path, or an
/// address and `:port` (the last colon before any `]` separates the port).
enum HAProxyAddressParser {
    struct Parsed {
        var family: HAProxyBindAddress.Family
        var transport: String
        var address: IPAddress?
        var wildcard = false
        var host: String?
        var path: String?
        var portText: String = ""
    }

    /// Prefix, family it forces, and transport it forces (nil: the caller's default).
    static let prefixes: [(String, HAProxyBindAddress.Family, String?)] = [
        ("unix@", .unix, nil), ("uxdg@", .unix, "dgram"), ("uxst@", .unix, "stream"), ("abns@", .abns, nil),
        ("ip@", .unspecified, nil), ("ipv4@", .inet, nil), ("ipv6@", .inet6, nil),
        ("tcp4@", .inet, "stream"), ("udp4@", .inet, "dgram"), ("tcp6@", .inet6, "stream"), ("udp6@", .inet6, "dgram"),
        ("tcp@", .unspecified, "stream"), ("udp@", .unspecified, "dgram"),
        ("quic4@", .inet, "quic"), ("quic6@", .inet6, "quic"), ("fd@", .fd, nil), ("sockpair@", .sockpair, nil),
    ]

    static func parse(_ text: String, portMandatory: Bool) throws(AddressError) -> Parsed {
        guard !text.isEmpty else { throw AddressError("'\(text)' resolves to an empty address (environment variable missing?)") }
        var rest = Substring(text)
        var transport = "stream"
        if rest.hasPrefix("stream+") { rest = rest.dropFirst(7) } else if rest.hasPrefix("dgram+") { rest = rest.dropFirst(6); transport = "dgram" }
        var family = HAProxyBindAddress.Family.unspecified
        // Most addresses have no prefix: look for one only when an '@' is there.
        if rest.utf8.contains(UInt8(ascii: "@")), let prefix = prefixes.first(where: { rest.hasPrefix($0.0) }) {
            rest = rest.dropFirst(prefix.0.count)
            family = prefix.1
            if let forced = prefix.2 { transport = forced }
        } else if rest.hasPrefix("/") {
            family = .unix
        }
        switch family {
        case .unix, .abns:
            return Parsed(family: family, transport: transport, path: String(rest))
        case .fd, .sockpair:
            guard !rest.isEmpty, rest.allSatisfy(\.isASCIIDigitCharacter) else {
                throw AddressError("file descriptor '\(rest)' is not a valid integer in '\(text)'")
            }
            return Parsed(family: family, transport: transport, path: String(rest))
        default:
            break
        }
        // The port starts after the last ':' unless a ']' comes after it.
        var host = rest
        var port = Substring("")
        if let separator = rest.lastIndex(where: { $0 == ":" || $0 == "]" }), rest[separator] == ":" {
            host = rest[..<separator]
            port = rest[rest.index(after: separator)...]
        } else if portMandatory {
            throw AddressError("missing port specification in '\(text)'")
        }
        var parsed = Parsed(family: family, transport: transport)
        parsed.portText = String(port)
        if let first = port.first, !first.isASCIIDigitCharacter, first != "+", first != "-" {
            throw AddressError("invalid character '\(first)' in port number '\(port)' in '\(text)'")
        }
        if port.isEmpty, portMandatory { throw AddressError("missing port specification in '\(text)'") }

        var literal = host
        if literal.hasPrefix("[") {
            guard literal.count >= 4, literal.hasSuffix("]") else { throw AddressError("invalid address: '\(host)' in '\(text)'") }
            literal = literal.dropFirst().dropLast()
        }
        if literal == "::" {
            guard family == .unspecified || family == .inet6 else { throw AddressError("invalid address: '\(host)' in '\(text)'") }
            parsed.family = .inet6
            parsed.wildcard = true
        } else if literal.isEmpty || literal == "*" {
            if family == .unspecified { parsed.family = .inet }
            parsed.wildcard = true
        } else if let address = IPAddress(literal), family == .unspecified || (family == .inet) == (address.family == .inet) {
            parsed.family = address.family == .inet ? .inet : .inet6
            // 0.0.0.0 and ::0 in any spelling are INADDR_ANY and in6addr_any, as `*` and `::` are.
            if address == .v4(0) || address == .v6(0, 0) { parsed.wildcard = true } else { parsed.address = address }
        } else if family != .inet6, let legacy = HAProxyAddressParser.inetAton(literal) {
            // Resolving "1.2.3" goes through inet_aton's old forms (1.2.0.3), so haproxy takes it.
            parsed.family = .inet
            if legacy == 0 { parsed.wildcard = true } else { parsed.address = .v4(legacy) }
        } else if HAProxyAddressParser.isHostName(literal) {
            // Resolved by haproxy when it starts; the family stays as the prefix said.
            parsed.host = String(literal)
        } else {
            throw AddressError("invalid address: '\(host)' in '\(text)'")
        }
        return parsed
    }

    /// Ports of a bind: a number or LOW-HIGH, each 1..65535 (atoi semantics: digits first).
    static func bindPorts(_ text: String, whole: String) throws(AddressError) -> (Int, Int)? {
        guard !text.isEmpty else { return nil }
        if text.hasPrefix("+") || text.hasPrefix("-") { throw AddressError("port offset not permitted here in '\(whole)'") }
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let low = atoi(parts[0])
        let high = parts.count > 1 ? atoi(parts[1]) : low
        guard (1...65535).contains(low) else { throw AddressError("invalid port '\(parts[0])'") }
        guard (1...65535).contains(high) else { throw AddressError("invalid port '\(parts.count > 1 ? parts[1] : parts[0])'") }
        guard low <= high else { throw AddressError("invalid port range '\(low)-\(high)'") }
        return (low, high)
    }

    static func atoi(_ text: Substring) -> Int {
        var value = 0
        for character in text {
            guard let digit = character.wholeNumberValue, character.isASCII else { break }
            value = min(value * 10 + digit, 1 << 31)
        }
        return value
    }

    /// The shape haproxy's resolver accepts for a name (labels of letters, digits, '-', '_', '.').
    /// inet_aton(3): one to four parts, each decimal, octal (leading 0) or hex (0x), the last
    /// filling the remaining bytes.
    static func inetAton(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            var digits = Substring(part)
            var radix = 10
            if digits.hasPrefix("0x") || digits.hasPrefix("0X") { radix = 16; digits = digits.dropFirst(2) }
            else if digits.count > 1, digits.hasPrefix("0") { radix = 8; digits = digits.dropFirst() }
            // "0x" alone is 0, as strtoul reads it.
            if digits.isEmpty, radix == 16 { values.append(0); continue }
            guard !digits.isEmpty, digits.count <= 12, let value = UInt64(digits, radix: radix) else { return nil }
            values.append(value)
        }
        let last = values.removeLast()
        guard values.allSatisfy({ $0 <= 255 }), last < (UInt64(1) << (8 * (4 - values.count))) else { return nil }
        var address: UInt64 = 0
        for (index, value) in values.enumerated() { address |= value << (8 * (3 - index)) }
        return UInt32(address | last)
    }

    /// A name whose last label is all digits ("300.1.1.1") is a bad address, not a host name:
    /// no resolver answers for it, so haproxy refuses it when it starts.
    static func isHostName(_ text: Substring) -> Bool {
        guard !text.isEmpty, text.count <= 255,
              text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }) else { return false }
        let last = text.split(separator: ".").last ?? ""
        return !last.allSatisfy(\.isNumber)
    }
}

struct AddressError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isNumber }
}
