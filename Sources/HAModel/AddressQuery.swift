/// What a query typed by the operator stands for, read the way glibc's getaddrinfo reads it
/// before any name service is asked: the strict forms, inet_aton's numeric forms (`127.1`,
/// `0x7f000001`, `2130706433`, `017700000001`: getent and ping take them as addresses), and an
/// IPv4-mapped IPv6 address answered as the IPv4 address it maps.
public struct AddressQuery: Sendable, Equatable {
    /// The address to explain.
    public var address: IPAddress
    /// How the text became this address, when it is not the address's own form.
    public var note: String?

    public init?(_ text: String) {
        if let strict = IPAddress(text) {
            if case .v6(0, let low) = strict, low >> 32 == 0xffff {
                let mapped = IPAddress.v4(UInt32(truncatingIfNeeded: low))
                address = mapped
                note = "\(text) is the IPv4-mapped IPv6 form of \(mapped): answered as the IPv4 address, which is what the kernel, keepalived and the wire carry"
            } else {
                address = strict
                note = nil
            }
        } else if let value = AddressQuery.inetAton(text) {
            address = .v4(value)
            note = "\(text) is the address \(address), as inet_aton reads it (glibc's getaddrinfo, getent and ping take it as an address, not a name)"
        } else {
            return nil
        }
    }

    /// glibc's inet_aton as getaddrinfo uses it (__inet_aton_exact, nothing after the
    /// number): one to four parts separated by dots, each a C number (0x hex, leading-zero
    /// octal, else decimal) that fits the bytes it stands for: in `a.b.c` the last part fills
    /// 16 bits, in `a.b` 24, a single number all 32.
    public static func inetAton(_ text: String) -> UInt32? {
        var parts: [UInt32] = []
        var last: UInt64 = 0
        var utf8 = text.utf8[...]
        while true {
            // Each part starts with a digit (no sign, no space, not empty).
            guard let first = utf8.first, first >= 0x30, first <= 0x39 else { return nil }
            var base: UInt64 = 10
            if first == 0x30 {
                let next = utf8.dropFirst().first
                if next == UInt8(ascii: "x") || next == UInt8(ascii: "X") {
                    // strtoul reads "0x" without hex digits as 0 followed by an 'x': a trailing character.
                    guard let digit = utf8.dropFirst(2).first, hexValue(digit) != nil else { return nil }
                    base = 16
                    utf8 = utf8.dropFirst(2)
                } else {
                    base = 8
                }
            }
            var value: UInt64 = 0
            while let byte = utf8.first, let digit = base == 16 ? hexValue(byte) : decimalValue(byte) {
                guard digit < base else { return nil }
                value = value * base + digit
                guard value <= 0xffff_ffff else { return nil }
                utf8 = utf8.dropFirst()
            }
            if utf8.first == UInt8(ascii: ".") {
                guard parts.count < 3, value <= 0xff else { return nil }
                parts.append(UInt32(value))
                utf8 = utf8.dropFirst()
                continue
            }
            guard utf8.isEmpty else { return nil }
            last = value
            break
        }
        let limit: UInt64 = [0xffff_ffff, 0xff_ffff, 0xffff, 0xff][parts.count]
        guard last <= limit else { return nil }
        var result = UInt32(last)
        for (index, part) in parts.enumerated() { result |= part << (24 - 8 * UInt32(index)) }
        return result
    }

    private static func decimalValue(_ byte: UInt8) -> UInt64? {
        byte >= 0x30 && byte <= 0x39 ? UInt64(byte - 0x30) : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt64? {
        switch byte {
        case 0x30...0x39: UInt64(byte - 0x30)
        case 0x41...0x46: UInt64(byte - 0x41 + 10)
        case 0x61...0x66: UInt64(byte - 0x61 + 10)
        default: nil
        }
    }
}
