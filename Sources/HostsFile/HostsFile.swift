import HAModel

/// One line of a hosts file that carries an address, as glibc's nss_files splits it. A line
/// with an address and no name is a valid entry to glibc: it answers a reverse lookup with an
/// empty name (`names` is then empty). `address` is nil when glibc would skip the line (it is kept so the
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
    public let bytes: FileBytes

    public init(path: String, bytes: FileBytes) {
        self.path = path
        self.bytes = bytes
    }

    public init(path: String, contents: [UInt8]) {
        self.init(path: path, bytes: FileBytes(contents))
    }

    /// Every line that lists `name` (ASCII case-insensitive, as strcasecmp compares), in file order.
    public func lines(naming name: String) -> [HostsLine] {
        let query = Array(name.utf8).map(HostsFile.lowercased)
        guard !query.isEmpty else { return [] }
        let buffer = bytes.buffer
        return withExtendedLifetime(bytes) {
            HostsFile.linesNaming(query, in: bytes).compactMap { number, start in
                var fields: [Range<Int>] = []
                if let shifted = HostsFile.shiftedLine(buffer, from: start) {
                    return shifted.withUnsafeBufferPointer { shifted in
                        _ = HostsFile.fields(of: shifted, from: 0, into: &fields)
                        return line(number, fields, shifted)
                    }
                }
                _ = HostsFile.fields(of: buffer, from: start, into: &fields)
                return line(number, fields, buffer)
            }
        }
    }

    /// The hot path: one pass over the bytes, comparing only name fields of the query's
    /// length, building nothing; returns the number and start offset of each line naming it.
    static func linesNaming(_ query: [UInt8], in bytes: FileBytes) -> [(number: Int, start: Int)] {
        let buffer = bytes.buffer
        var found: [(number: Int, start: Int)] = []
        let count = buffer.count
        let length = query.count
        var i = 0
        var lineNumber = 0
        var mark = 0
        query.withUnsafeBufferPointer { query in
            while i < count {
                lineNumber += 1
                mark = bytes.passed(i, since: mark)
                let lineStart = i
                // An indented line that glibc's reader lengthens (see shiftedLine) is read the slow way.
                if isSpace(buffer[i]), buffer[i] != 0x0a, let shifted = shiftedLine(buffer, from: i) {
                    var fields: [Range<Int>] = []
                    shifted.withUnsafeBufferPointer { shifted in
                        _ = HostsFile.fields(of: shifted, from: 0, into: &fields)
                        if fields.dropFirst().contains(where: { equalsFolded(shifted, $0, query) }) { found.append((lineNumber, lineStart)) }
                    }
                    while i < count, buffer[i] != 0x0a { i += 1 }
                    i += 1
                    continue
                }
                var field = 0
                // Walk the fields of this line; stop at newline, '#' or NUL.
                while i < count {
                    var byte = buffer[i]
                    while byte != 0x0a, isSpace(byte) {
                        i += 1
                        guard i < count else { break }
                        byte = buffer[i]
                    }
                    if i >= count || byte == 0x0a || byte == UInt8(ascii: "#") || byte == 0 { break }
                    let start = i
                    while i < count {
                        let b = buffer[i]
                        if isSpace(b) || b == UInt8(ascii: "#") || b == 0 { break }
                        i += 1
                    }
                    if field > 0, i - start == length, equalsFolded(buffer, start..<i, query) {
                        if found.last?.number != lineNumber { found.append((lineNumber, lineStart)) }
                    }
                    field += 1
                }
                // Skip what is left of the line (a comment, a NUL tail) and its newline.
                while i < count, buffer[i] != 0x0a { i += 1 }
                i += 1
            }
        }
        return found
    }

    /// Every line whose address is `address`, or is the same IPv4 address in the forms
    /// glibc maps (IPv4-mapped IPv6, ::1 for 127.0.0.1), in file order.
    public func lines(withAddress address: IPAddress) -> [HostsLine] {
        lines(withAddress: address, limit: .max).lines
    }

    /// The first `limit` such lines, and how many there are in all.
    public func lines(withAddress address: IPAddress, limit: Int) -> (lines: [HostsLine], total: Int) {
        scan(limit: limit) { fields, _, buffer in
            let parsed = IPAddress(String(decoding: UnsafeBufferPointer(rebasing: buffer[fields[0]]), as: UTF8.self))
            guard let parsed else { return false }
            return parsed == address || parsed.hostsIPv4Form == address
        }
    }

    /// Every line with an address field (valid or not), in file order.
    public func allLines() -> [HostsLine] {
        scan(limit: .max) { _, _, _ in true }.lines
    }

    /// Splits each line the way nss_files does and builds a HostsLine for those `wanted` accepts.
    private func scan(limit: Int, _ wanted: ([Range<Int>], Int, UnsafeBufferPointer<UInt8>) -> Bool) -> (lines: [HostsLine], total: Int) {
        var found: [HostsLine] = []
        var total = 0
        var fields: [Range<Int>] = []
        fields.reserveCapacity(16)
        let buffer = bytes.buffer
        withExtendedLifetime(bytes) {
            var position = 0
            var lineNumber = 0
            var mark = 0
            while position < buffer.count {
                lineNumber += 1
                mark = bytes.passed(position, since: mark)
                if let shifted = HostsFile.shiftedLine(buffer, from: position) {
                    position = HostsFile.fields(of: buffer, from: position, into: &fields)
                    shifted.withUnsafeBufferPointer { shifted in
                        _ = HostsFile.fields(of: shifted, from: 0, into: &fields)
                        guard fields.count >= 1, wanted(fields, lineNumber, shifted) else { return }
                        total += 1
                        if found.count < limit, let line = line(lineNumber, fields, shifted) { found.append(line) }
                    }
                    continue
                }
                position = HostsFile.fields(of: buffer, from: position, into: &fields)
                guard fields.count >= 1, wanted(fields, lineNumber, buffer) else { continue }
                total += 1
                if found.count < limit, let line = line(lineNumber, fields, buffer) { found.append(line) }
            }
        }
        return (found, total)
    }

    /// The fields of the line starting at `start` (cut at '#', NUL or newline; separated by
    /// C isspace); returns where the next line starts.
    static func fields(of buffer: UnsafeBufferPointer<UInt8>, from start: Int, into fields: inout [Range<Int>]) -> Int {
        fields.removeAll(keepingCapacity: true)
        var end = start
        while end < buffer.count, buffer[end] != 0x0a { end += 1 }
        var cut = start
        while cut < end, buffer[cut] != UInt8(ascii: "#"), buffer[cut] != 0 { cut += 1 }
        var i = start
        while i < cut {
            while i < cut, isSpace(buffer[i]) { i += 1 }
            guard i < cut else { break }
            let fieldStart = i
            while i < cut, !isSpace(buffer[i]) { i += 1 }
            fields.append(fieldStart..<i)
        }
        return end + 1
    }

    /// glibc's line reader (__nss_readline) drops a line's leading white space by moving the
    /// rest `strlen` bytes to the front without its terminating NUL, so the last bytes stay
    /// twice: where the text ends in a NUL byte or at the end of the file without a newline,
    /// the line it parses is the text after the white space plus the last bytes again, as
    /// many as the white space was ("\t10.0.0.2 nonl" at the end of the file names "nonll").
    /// That line, or nil when the line is read as written.
    static func shiftedLine(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> [UInt8]? {
        var textStart = start
        while textStart < buffer.count, buffer[textStart] != 0x0a, isSpace(buffer[textStart]) { textStart += 1 }
        let indent = textStart - start
        guard indent > 0 else { return nil }
        var end = textStart
        while end < buffer.count, buffer[end] != 0x0a, buffer[end] != 0 { end += 1 }
        // A newline before any NUL ends the text first: the repeated bytes come after it.
        guard end == buffer.count || buffer[end] == 0 else { return nil }
        return Array(buffer[textStart..<end]) + Array(buffer[(end - indent)..<end])
    }

    /// A HostsLine when the line has an address field.
    private func line(_ number: Int, _ fields: [Range<Int>], _ buffer: UnsafeBufferPointer<UInt8>) -> HostsLine? {
        guard fields.count >= 1 else { return nil }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
        let addressText = text(fields[0])
        return HostsLine(file: path, line: number, addressText: addressText, address: IPAddress(addressText),
                         names: fields.dropFirst().map(text))
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
    static func equalsFolded(_ buffer: UnsafeBufferPointer<UInt8>, _ field: Range<Int>, _ query: UnsafeBufferPointer<UInt8>) -> Bool {
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
