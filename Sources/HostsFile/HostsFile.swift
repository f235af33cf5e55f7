import HAModel

/// One line of a hosts file that carries an address and at least one name, as glibc's
/// nss_files splits it. `address` is nil when glibc would skip the line (it is kept so the
/// operator can see why a name they wrote is not found).
public struct HostsLine: Sendable, Hashable {
    public var file: String
    public var line: Int
    public var addressText: String
    public var address: IPAddress?
    public var names: [String]

    public var source: Source { .file(file, line: line) }

    /// The address as glibc hands it to an IPv4 query (see `IPAddress.hostsIPv4Form`).
    public var addressForIPv4Query: IPAddress? { address?.hostsIPv4Form }

    /// Why glibc ignores this line, or nil when it does not.
    public var skipReason: String? {
        guard address == nil else { return nil }
        if addressText.contains("%") {
            return "glibc skips this line: '\(addressText)' has a zone index, which the hosts file does not accept"
        }
        return "glibc skips this line: '\(addressText)' is not an IPv4 or IPv6 address in the strict form inet_pton accepts"
    }
}

/// A hosts file held as its bytes. Lookups scan the bytes directly and build values only for
/// the lines that match, so a 500,000-line block list costs one pass and no per-line strings.
public struct HostsFile: Sendable {
    public let path: String
    public let contents: [UInt8]

    public init(path: String, contents: [UInt8]) {
        self.path = path
        self.contents = contents
    }

    /// Every line that lists `name` (ASCII case-insensitive, as strcasecmp compares), in file order.
    public func lines(naming name: String) -> [HostsLine] {
        let query = Array(name.utf8).map(HostsFile.lowercased)
        guard !query.isEmpty else { return [] }
        return scan { fields, lineNumber, buffer in
            for field in fields.dropFirst() where HostsFile.equalsFolded(buffer, field, query) {
                return true
            }
            return false
        }
    }

    /// Every line whose address is `address`, or is the same IPv4 address in the forms
    /// glibc maps (IPv4-mapped IPv6, ::1 for 127.0.0.1), in file order.
    public func lines(withAddress address: IPAddress) -> [HostsLine] {
        scan { fields, _, buffer in
            guard let text = fields.first else { return false }
            let parsed = IPAddress(String(decoding: UnsafeBufferPointer(rebasing: buffer[text]), as: UTF8.self))
            guard let parsed else { return false }
            return parsed == address || parsed.hostsIPv4Form == address
        }
    }

    /// Every line with an address field and at least one name (valid or not), in file order.
    public func allLines() -> [HostsLine] {
        scan { _, _, _ in true }
    }

    /// Splits each line the way nss_files does (cut at '#', NUL or newline; fields separated
    /// by C isspace) and builds a HostsLine for those `wanted` accepts.
    private func scan(_ wanted: ([Range<Int>], Int, UnsafeBufferPointer<UInt8>) -> Bool) -> [HostsLine] {
        var found: [HostsLine] = []
        var fields: [Range<Int>] = []
        fields.reserveCapacity(16)
        contents.withUnsafeBufferPointer { buffer in
            let count = buffer.count
            var position = 0
            var lineNumber = 0
            while position < count {
                lineNumber += 1
                var end = position
                while end < count, buffer[end] != 0x0a { end += 1 }
                let next = end + 1
                var cut = position
                while cut < end, buffer[cut] != UInt8(ascii: "#"), buffer[cut] != 0 { cut += 1 }
                fields.removeAll(keepingCapacity: true)
                var i = position
                while i < cut {
                    while i < cut, HostsFile.isSpace(buffer[i]) { i += 1 }
                    guard i < cut else { break }
                    let start = i
                    while i < cut, !HostsFile.isSpace(buffer[i]) { i += 1 }
                    fields.append(start..<i)
                }
                position = next
                guard fields.count >= 2, wanted(fields, lineNumber, buffer) else { continue }
                func text(_ range: Range<Int>) -> String {
                    String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
                }
                let addressText = text(fields[0])
                found.append(HostsLine(file: path, line: lineNumber, addressText: addressText,
                                       address: IPAddress(addressText), names: fields.dropFirst().map(text)))
            }
        }
        return found
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (byte >= 0x09 && byte <= 0x0d)
    }

    @inline(__always)
    static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5a ? byte | 0x20 : byte
    }

    @inline(__always)
    static func equalsFolded(_ buffer: UnsafeBufferPointer<UInt8>, _ field: Range<Int>, _ query: [UInt8]) -> Bool {
        guard field.count == query.count else { return false }
        var j = 0
        for i in field {
            if lowercased(buffer[i]) != query[j] { return false }
            j += 1
        }
        return true
    }
}

extension IPAddress {
    /// This address as nss_files reads it for an IPv4 query: IPv4 as is, IPv4-mapped IPv6
    /// as its IPv4 part, ::1 as 127.0.0.1 (files-hosts.c maps both); nil otherwise.
    public var hostsIPv4Form: IPAddress? {
        switch self {
        case .v4: return self
        case .v6(0, let low) where low >> 32 == 0xffff: return .v4(UInt32(truncatingIfNeeded: low))
        case .v6(0, 1): return .v4(0x7f00_0001)
        default: return nil
        }
    }
}
