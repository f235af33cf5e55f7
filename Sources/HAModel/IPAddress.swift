/// An IPv4 or IPv6 address as plain bytes, with the text forms iproute2 prints
/// (dotted quad; RFC 5952 for IPv6). Pure Swift so parsers and fuzzers need no libc.
public enum IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    case v4(UInt32)
    case v6(UInt64, UInt64)

    public var family: AddressFamily { if case .v4 = self { .inet } else { .inet6 } }

    /// Written out and inlinable: the VRRP census compares a sender's address and address list
    /// per advert, and the derived one is a call each (vrrp --read budget).
    @inlinable
    public static func == (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case (.v4(let x), .v4(let y)): return x == y
        case (.v6(let xHigh, let xLow), .v6(let yHigh, let yLow)): return xHigh == yHigh && xLow == yLow
        default: return false
        }
    }

    /// From 4 or 16 network-order bytes; nil for any other length.
    /// Inlinable: the VRRP decoder makes four per advert (vrrp --read budget).
    @inlinable
    public init?(bytes: UnsafeRawBufferPointer) {
        switch bytes.count {
        case 4:
            self = .v4(UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)))
        case 16:
            self = .v6(UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                       UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        default:
            return nil
        }
    }

    public init?(bytes: [UInt8]) {
        guard let value = bytes.withUnsafeBytes({ IPAddress(bytes: $0) }) else { return nil }
        self = value
    }

    /// Parses the strict text forms (as inet_pton does): dotted quad with four decimal parts,
    /// or IPv6 with at most one "::" and an optional trailing dotted quad.
    public init?(_ text: some StringProtocol) {
        // Over contiguous UTF-8: walking a generic StringProtocol's views (and `contains(":")`,
        // which goes through the string-search algorithms) cost thousands of instructions
        // per address, and configs hold thousands.
        var string = String(text)
        let parsed: IPAddress? = string.withUTF8 { utf8 in
            if let v4 = IPAddress.parse4(utf8) { return .v4(v4) }
            return utf8.contains(UInt8(ascii: ":")) ? IPAddress.parse6(utf8) : nil
        }
        guard let parsed else { return nil }
        self = parsed
    }

    static func parse4(_ text: Substring) -> UInt32? {
        var text = text
        return text.withUTF8 { parse4($0) }
    }

    static func parse4(_ text: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var current: UInt32 = 0
        var digits = 0
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | current
                parts += 1
                current = 0
                digits = 0
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                // inet_pton rejects leading zeros ("01"): so do we.
                if digits > 0, current == 0 { return nil }
                current = current * 10 + UInt32(byte - UInt8(ascii: "0"))
                digits += 1
                guard current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | current
    }

    /// IPv6 text over its bytes: walking a Substring's Characters cost ~4,000 instructions an
    /// address (keepalived text and --json budgets). A Character walk never accepted non-ASCII
    /// (a combining mark joins the ':' or digit before it), so neither does this.
    static func parse6(_ text: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        guard text.allSatisfy({ $0 < 0x80 }) else { return nil }
        let colon = UInt8(ascii: ":")
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        var gapAt: Int? = nil
        var at = 0
        if text.count >= 2, text[0] == colon, text[1] == colon {
            gapAt = 0
            at = 2
            if at == text.count { return .v6(0, 0) }
        } else if text.first == colon {
            return nil
        }
        while at < text.count {
            var end = at
            while end < text.count, text[end] != colon { end += 1 }
            let piece = UnsafeBufferPointer(rebasing: text[at..<end])
            if piece.contains(UInt8(ascii: ".")) {
                // A trailing dotted quad fills the last two groups.
                guard end == text.count, let v4 = parse4(piece) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xffff))
                break
            }
            guard (1...4).contains(piece.count), let group = hexGroup(piece) else { return nil }
            groups.append(group)
            guard groups.count <= 8 else { return nil }
            if end == text.count {
                at = end
            } else {
                let afterColon = end + 1
                if afterColon < text.count, text[afterColon] == colon {
                    guard gapAt == nil else { return nil }
                    gapAt = groups.count
                    at = afterColon + 1
                } else {
                    guard afterColon < text.count else { return nil }
                    at = afterColon
                }
            }
        }
        if let gap = gapAt {
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        }
        guard groups.count == 8 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<4 { high = high << 16 | UInt64(groups[i]) }
        for i in 4..<8 { low = low << 16 | UInt64(groups[i]) }
        return .v6(high, low)
    }

    /// One to four hex digits, as `UInt16(_:radix: 16)` reads them; a leading sign (which it
    /// also takes: "+f", "-0") is rare and left to it.
    static func hexGroup(_ piece: UnsafeBufferPointer<UInt8>) -> UInt16? {
        if piece[0] == UInt8(ascii: "+") || piece[0] == UInt8(ascii: "-") {
            return UInt16(String(decoding: piece, as: UTF8.self), radix: 16)
        }
        var value: UInt16 = 0
        for byte in piece {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt16(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt16(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): value = value << 4 | UInt16(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
        }
        return value
    }

    public var description: String {
        switch self {
        case .v4(let v):
            return IPAddress.format4(v)
        case .v6(let high, let low):
            return IPAddress.format6(high, low)
        }
    }

    /// Dotted quad without string interpolation: addresses are printed by the ten thousand.
    static func format4(_ v: UInt32) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<format4(v, into: buffer)]), as: UTF8.self)
        }
    }

    /// Writes the dotted quad into `buffer` (15 bytes at least), returning its length.
    static func format4(_ v: UInt32, into buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        for shift in stride(from: 24, through: 0, by: -8) {
            let octet = Int(v >> UInt32(shift) & 0xff)
            if octet >= 100 { buffer[count] = UInt8(48 + octet / 100); count += 1 }
            if octet >= 10 { buffer[count] = UInt8(48 + octet / 10 % 10); count += 1 }
            buffer[count] = UInt8(48 + octet % 10); count += 1
            if shift > 0 { buffer[count] = UInt8(ascii: "."); count += 1 }
        }
        return count
    }

    /// The address's text (as `description`) handed to `body` as UTF-8; an IPv4 address is
    /// formatted on the stack, with no String made (JSON of 10,000 addresses).
    public func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch self {
        case .v4(let v):
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
                body(UnsafeBufferPointer(rebasing: buffer[0..<IPAddress.format4(v, into: buffer)]))
            }
        case .v6:
            var text = description
            return text.withUTF8(body)
        }
    }

    static func format6(_ high: UInt64, _ low: UInt64) -> String {
        // Groups read from the two words: an array of eight was an allocation per address (addr --json budget).
        func group(_ i: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: (i < 4 ? high : low) >> (48 - 16 * UInt64(i & 3)))
        }
        // As glibc's inet_ntop (which iproute2 prints with): IPv4-mapped and IPv4-compatible
        // addresses get a dotted tail; the latter only when the seventh group is not zero.
        if high == 0, low >> 32 == 0xffff {
            return "::ffff:" + IPAddress.format4(UInt32(truncatingIfNeeded: low))
        }
        if high == 0, low >> 32 == 0, low >> 16 & 0xffff != 0 {
            return "::" + IPAddress.format4(UInt32(truncatingIfNeeded: low))
        }
        // RFC 5952: compress the longest run of two or more zero groups, the first on a tie.
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8, group(i) == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        // Written into a stack buffer, not concatenated: a String append per group cost more
        // than the rest of an address's JSON (addr --json budget). 39 bytes hold the longest.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 39) { buffer in
            let hex: StaticString = "0123456789abcdef"
            var count = 0
            func put(_ byte: UInt8) { buffer[count] = byte; count += 1 }
            var i = 0
            while i < 8 {
                if i == bestStart {
                    if i == 0 { put(UInt8(ascii: ":")) }
                    put(UInt8(ascii: ":"))
                    i += bestLength
                    continue
                }
                var started = false
                for shift in stride(from: 12, through: 0, by: -4) {
                    let digit = Int(group(i) >> UInt16(shift) & 0xf)
                    guard digit != 0 || started || shift == 0 else { continue }
                    put(hex.utf8Start[digit])
                    started = true
                }
                if i < 7 { put(UInt8(ascii: ":")) }
                i += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<count]), as: UTF8.self)
        }
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        switch (a, b) {
        case let (.v4(x), .v4(y)): return x < y
        case let (.v6(xh, xl), .v6(yh, yl)): return (xh, xl) < (yh, yl)
        case (.v4, .v6): return true
        case (.v6, .v4): return false
        }
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not an IP address: \(text)"))
        }
        self = value
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// True when `self` is inside `network`/`prefixLength`.
    public func isInside(_ network: IPAddress, prefixLength: Int) -> Bool {
        switch (self, network) {
        case let (.v4(a), .v4(n)):
            guard prefixLength > 0 else { return true }
            let mask: UInt32 = prefixLength >= 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
            return a & mask == n & mask
        case let (.v6(ah, al), .v6(nh, nl)):
            func masked(_ h: UInt64, _ l: UInt64) -> (UInt64, UInt64) {
                let p = max(0, min(128, prefixLength))
                let hm: UInt64 = p >= 64 ? .max : (p == 0 ? 0 : ~(UInt64.max >> UInt64(p)))
                let lm: UInt64 = p <= 64 ? 0 : (p >= 128 ? .max : ~(UInt64.max >> UInt64(p - 64)))
                return (h & hm, l & lm)
            }
            return masked(ah, al) == masked(nh, nl)
        default:
            return false
        }
    }
}

public enum AddressFamily: String, Codable, Sendable {
    case inet, inet6
}
