import HAModel

/// A DNS message (RFC 1035) as far as a resolver check needs it: the header, the question,
/// and answer records with A, AAAA, PTR and CNAME data decoded. Parsing goes through
/// ByteReader, so a short or hostile reply is an error value, never a trap.
public struct DNSMessage: Sendable, Hashable {
    public struct RecordType: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: UInt16
        public init(rawValue: UInt16) { self.rawValue = rawValue }

        public static let a = RecordType(rawValue: 1)
        public static let cname = RecordType(rawValue: 5)
        public static let ptr = RecordType(rawValue: 12)
        public static let aaaa = RecordType(rawValue: 28)

        public var description: String {
            switch self {
            case .a: "A"
            case .cname: "CNAME"
            case .ptr: "PTR"
            case .aaaa: "AAAA"
            default: "TYPE\(rawValue)"
            }
        }
    }

    public enum RecordData: Sendable, Hashable {
        case address(IPAddress)
        case name(String)
        case other(count: Int)
    }

    public struct Record: Sendable, Hashable {
        public var name: String
        public var type: RecordType
        public var ttl: UInt32
        public var data: RecordData
    }

    public struct Question: Sendable, Hashable {
        public var name: String
        public var type: RecordType
    }

    public var id: UInt16
    public var isResponse: Bool
    public var truncated: Bool
    /// RCODE: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED.
    public var responseCode: UInt8
    public var questions: [Question]
    public var answers: [Record]

    public var responseCodeName: String {
        switch responseCode {
        case 0: "NOERROR"
        case 1: "FORMERR"
        case 2: "SERVFAIL"
        case 3: "NXDOMAIN"
        case 4: "NOTIMP"
        case 5: "REFUSED"
        default: "RCODE\(responseCode)"
        }
    }

    public struct Malformed: Error, Sendable, Hashable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "malformed DNS message at byte \(offset): \(reason)" }
    }

    /// A recursive query (RD set) for one name and type, class IN.
    public static func query(id: UInt16, name: String, type: RecordType) throws(Malformed) -> [UInt8] {
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        bytes += try encodeName(name)
        bytes += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xff), 0, 1]
        return bytes
    }

    /// The name a PTR query asks for: in-addr.arpa for IPv4, nibbles under ip6.arpa for IPv6.
    public static func reverseName(_ address: IPAddress) -> String {
        switch address {
        case .v4(let v):
            return "\(v & 0xff).\(v >> 8 & 0xff).\(v >> 16 & 0xff).\(v >> 24).in-addr.arpa"
        case .v6(let high, let low):
            var nibbles: [String] = []
            for word in [low, high] {
                for shift in stride(from: 0, to: 64, by: 4) {
                    nibbles.append(String((word >> UInt64(shift)) & 0xf, radix: 16))
                }
            }
            return nibbles.joined(separator: ".") + ".ip6.arpa"
        }
    }

    static func encodeName(_ name: String) throws(Malformed) -> [UInt8] {
        var bytes: [UInt8] = []
        let trimmed = name.hasSuffix(".") ? String(name.dropLast()) : name
        if !trimmed.isEmpty {
            for label in trimmed.split(separator: ".", omittingEmptySubsequences: false) {
                let utf8 = Array(label.utf8)
                guard (1...63).contains(utf8.count) else {
                    throw Malformed(offset: bytes.count, reason: "label '\(label)' must be 1 to 63 bytes")
                }
                bytes.append(UInt8(utf8.count))
                bytes += utf8
            }
        }
        bytes.append(0)
        guard bytes.count <= 255 else { throw Malformed(offset: 0, reason: "name longer than 255 bytes") }
        return bytes
    }

    public static func parse(_ bytes: [UInt8]) throws(Malformed) -> DNSMessage {
        let result: Result<DNSMessage, Malformed> = bytes.withUnsafeBytes { raw in
            Result { () throws(Malformed) in try parse(raw) }
        }
        return try result.get()
    }

    public static func parse(_ raw: UnsafeRawBufferPointer) throws(Malformed) -> DNSMessage {
        var reader = ByteReader(raw)
        do {
            let id = try reader.u16be()
            let flags = try reader.u16be()
            let questionCount = try reader.u16be()
            let answerCount = try reader.u16be()
            _ = try reader.u16be()
            _ = try reader.u16be()
            var message = DNSMessage(id: id, isResponse: flags & 0x8000 != 0, truncated: flags & 0x0200 != 0,
                                     responseCode: UInt8(flags & 0x000f), questions: [], answers: [])
            for _ in 0..<questionCount {
                let name = try readName(&reader)
                let type = RecordType(rawValue: try reader.u16be())
                _ = try reader.u16be()
                message.questions.append(Question(name: name, type: type))
            }
            for _ in 0..<answerCount {
                let name = try readName(&reader)
                let type = RecordType(rawValue: try reader.u16be())
                let recordClass = try reader.u16be()
                let ttl = try reader.u32be()
                let length = Int(try reader.u16be())
                let start = reader.offset
                guard length <= reader.remaining else {
                    throw Malformed(offset: start, reason: "record data of \(length) bytes runs past the end")
                }
                var data = RecordData.other(count: length)
                switch (type, recordClass) {
                case (.a, 1) where length == 4, (.aaaa, 1) where length == 16:
                    data = IPAddress(bytes: UnsafeRawBufferPointer(rebasing: raw[start..<start + length]))
                        .map(RecordData.address) ?? data
                case (.ptr, 1), (.cname, 1):
                    var inner = ByteReader(raw, offset: start)
                    data = .name(try readName(&inner))
                    guard inner.offset <= start + length else {
                        throw Malformed(offset: start, reason: "name runs past its record's data length")
                    }
                default:
                    break
                }
                try reader.skip(length)
                message.answers.append(Record(name: name, type: type, ttl: ttl, data: data))
            }
            return message
        } catch let error as ByteReader.Truncated {
            throw Malformed(offset: error.offset, reason: "truncated, \(error.needed) more byte(s) needed")
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(offset: reader.offset, reason: "\(error)")
        }
    }

    /// Reads a possibly compressed name. Pointers must point backwards, so a loop is impossible.
    static func readName(_ reader: inout ByteReader) throws -> String {
        var labels: [String] = []
        var total = 0
        var cursor = reader
        var jumped = false
        var lowestJump = Int.max
        while true {
            let length = try cursor.u8()
            if length & 0xc0 == 0xc0 {
                let target = Int(length & 0x3f) << 8 | Int(try cursor.u8())
                guard target < min(cursor.offset - 2, lowestJump) else {
                    throw Malformed(offset: cursor.offset - 2, reason: "compression pointer does not point backwards")
                }
                if !jumped { reader = cursor; jumped = true }
                lowestJump = target
                cursor = ByteReader(cursor.bytes, offset: target)
                continue
            }
            guard length & 0xc0 == 0 else {
                throw Malformed(offset: cursor.offset - 1, reason: "reserved label type \(length >> 6)")
            }
            if length == 0 { break }
            total += Int(length) + 1
            guard total <= 255 else { throw Malformed(offset: cursor.offset - 1, reason: "name longer than 255 bytes") }
            let start = cursor.offset
            try cursor.skip(Int(length))
            labels.append(labelText(UnsafeRawBufferPointer(rebasing: cursor.bytes[start..<start + Int(length)])))
        }
        if !jumped { reader = cursor }
        return labels.isEmpty ? "." : labels.joined(separator: ".")
    }

    /// Printable ASCII as is; dots, backslashes and other bytes as \DDD, as dig prints them.
    static func labelText(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = ""
        for byte in bytes {
            if byte > 0x20, byte < 0x7f, byte != UInt8(ascii: "."), byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = String(byte)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }
}
