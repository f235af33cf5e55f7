import HAModel

/// A pcapng block reader (the format tcpdump, dumpcap and editcap write): pure and bounds-
/// checked, one block at a time from whatever bytes the caller has read so far. It keeps
/// what libpcap's reader drops: each packet's interface (so several interfaces, link types
/// and sections are read, each packet with its own link) and each interface's name.
public struct PcapngReader {
    public struct Interface: Equatable, Sendable {
        /// The LINKTYPE_ value (the same numbers as libpcap's DLT_ for the types we decode).
        public var linkType: Int
        public var name: String?
        /// 1-based section and 0-based interface number within it, as tshark counts them.
        public var section: Int
        public var number: Int
        /// Timestamp units per second: 10^n or 2^n (if_tsresol, default 10^6), and if_tsoffset seconds.
        public var resolutionPowerOfTwo = false
        public var resolutionExponent = 6
        public var offsetSeconds: Int64 = 0

        public init(linkType: Int, name: String?, section: Int, number: Int) {
            self.linkType = linkType
            self.name = name
            self.section = section
            self.number = number
        }

        /// The capture link's name: if_name, else its number (and section when there are several).
        public var label: String {
            if let name, !name.isEmpty { return name }
            return section > 1 ? "interface \(number) of section \(section)" : "interface \(number)"
        }
    }

    public enum Block: Equatable {
        /// A packet captured on `interface` (an index into `interfaces`); `data` is a range of
        /// the bytes given; `time` is nil for a simple packet block, which has none.
        case packet(interface: Int, time: PacketTime?, data: Range<Int>)
        case section
        case interface(Int)
        /// A block type that carries nothing for us (statistics, name resolution, custom ...).
        case skipped
    }

    public struct FormatError: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "pcapng block at byte \(offset): \(reason)" }
        public init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }
    }

    public private(set) var interfaces: [Interface] = []
    private var sectionInterfaces: [Int] = []
    private var bigEndian = false
    private var sections = 0
    /// Bytes consumed before the current buffer (for error offsets).
    public private(set) var consumed = 0

    /// The largest block accepted: a packet block holds at most one 256 KiB frame plus options.
    public static let maximumBlock = 16 << 20

    public init() {}

    /// True when `bytes` start like a pcapng file (a section header block).
    public static func isPcapng(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 4 && bytes[0] == 0x0a && bytes[1] == 0x0d && bytes[2] == 0x0d && bytes[3] == 0x0a
    }

    /// The block length at the start of `bytes`, or nil when fewer than 12 bytes (enough for
    /// a section header's byte-order magic) are there yet.
    public func blockLength(_ bytes: UnsafeRawBufferPointer) throws(FormatError) -> Int? {
        guard bytes.count >= 12 else { return nil }
        var big = bigEndian
        if Self.isPcapng(bytes) {
            let magic = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
            if magic == 0x1a2b_3c4d { big = false } else if magic == 0x4d3c_2b1a { big = true } else {
                throw FormatError(offset: consumed, reason: "section header with byte-order magic 0x\(String(magic, radix: 16)), not 0x1a2b3c4d")
            }
        } else if sections == 0 {
            throw FormatError(offset: consumed, reason: "the file does not start with a section header block")
        }
        let length = Int(Self.u32(bytes, 4, big))
        guard length >= 12, length % 4 == 0, length <= Self.maximumBlock else {
            throw FormatError(offset: consumed, reason: "block length \(length) (must be a multiple of 4 from 12 to \(Self.maximumBlock))")
        }
        return length
    }

    /// Reads the one complete block at the start of `bytes` (its length from `blockLength`).
    public mutating func read(block bytes: UnsafeRawBufferPointer) throws(FormatError) -> Block {
        let start = consumed
        consumed += bytes.count
        do {
            return try parse(bytes)
        } catch let error as ByteReader.Truncated {
            throw FormatError(offset: start, reason: "block body truncated (\(error))")
        } catch let error as FormatError {
            throw FormatError(offset: start, reason: error.reason)
        } catch {
            throw FormatError(offset: start, reason: "\(error)")
        }
    }

    private mutating func parse(_ bytes: UnsafeRawBufferPointer) throws -> Block {
        if Self.isPcapng(bytes) {
            bigEndian = bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self) == 0x4d3c_2b1a
            sections += 1
            sectionInterfaces = []
            return .section
        }
        let type = Self.u32(bytes, 0, bigEndian)
        let length = bytes.count
        guard Int(Self.u32(bytes, length - 4, bigEndian)) == length else {
            throw FormatError(offset: 0, reason: "trailing block length differs from the leading one")
        }
        var body = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[8..<(length - 4)]))
        switch type {
        case 1:
            let linkType = Int(try u16(&body))
            try body.skip(6)
            var interface = Interface(linkType: linkType, name: nil, section: sections, number: sectionInterfaces.count)
            try readOptions(&body) { code, value in
                switch code {
                case 2: interface.name = String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
                case 9 where value.count >= 1:
                    interface.resolutionPowerOfTwo = value[0] & 0x80 != 0
                    interface.resolutionExponent = Int(value[0] & 0x7f)
                case 14 where value.count >= 8:
                    let raw = value.loadUnaligned(as: UInt64.self)
                    interface.offsetSeconds = Int64(bitPattern: bigEndian ? UInt64(bigEndian: raw) : UInt64(littleEndian: raw))
                default: break
                }
            }
            interfaces.append(interface)
            sectionInterfaces.append(interfaces.count - 1)
            return .interface(interfaces.count - 1)
        case 6, 2:
            let id: Int
            if type == 6 {
                id = Int(try u32(&body))
            } else {
                id = Int(try u16(&body))
                try body.skip(2)
            }
            let high = UInt64(try u32(&body)), low = UInt64(try u32(&body))
            let captured = Int(try u32(&body))
            try body.skip(4)
            guard id < sectionInterfaces.count else {
                throw FormatError(offset: 0, reason: "packet on interface \(id), but the section describes \(sectionInterfaces.count)")
            }
            let start = 8 + body.offset
            try body.skip(captured)
            let interface = sectionInterfaces[id]
            return .packet(interface: interface, time: time(high << 32 | low, interfaces[interface]), data: start..<(start + captured))
        case 3:
            guard let first = sectionInterfaces.first else {
                throw FormatError(offset: 0, reason: "simple packet block before any interface description")
            }
            let original = Int(try u32(&body))
            let captured = min(original, body.remaining)
            let start = 8 + body.offset
            return .packet(interface: first, time: nil, data: start..<(start + captured))
        default:
            return .skipped
        }
    }

    private func readOptions(_ body: inout ByteReader, _ handle: (UInt16, UnsafeRawBufferPointer) throws -> Void) throws {
        while body.remaining >= 4 {
            let code = try u16(&body)
            let length = Int(try u16(&body))
            if code == 0 { return }
            let value = try body.take(length)
            try body.skip((4 - length % 4) % 4)
            try handle(code, value)
        }
    }

    /// Nanoseconds since the epoch from a timestamp in the interface's units.
    public func time(_ units: UInt64, _ interface: Interface) -> PacketTime {
        let exponent = interface.resolutionExponent
        var nanoseconds: Int64
        if interface.resolutionPowerOfTwo {
            let shift = min(exponent, 63)
            let seconds = units >> UInt64(shift)
            let fraction = units & ((1 << UInt64(shift)) &- 1)
            let fractionNanoseconds = Double(fraction) * 1e9 / Double(UInt64(1) << UInt64(shift))
            nanoseconds = Int64(truncatingIfNeeded: seconds) &* 1_000_000_000 &+ Int64(fractionNanoseconds)
        } else if exponent <= 9 {
            var scale: Int64 = 1
            for _ in exponent..<9 { scale &*= 10 }
            nanoseconds = Int64(truncatingIfNeeded: units) &* scale
        } else {
            var divisor: UInt64 = 1
            for _ in 9..<min(exponent, 28) { divisor &*= 10 }
            nanoseconds = Int64(truncatingIfNeeded: units / max(divisor, 1))
        }
        return PacketTime(nanoseconds: nanoseconds &+ interface.offsetSeconds &* 1_000_000_000)
    }

    static func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ big: Bool) -> UInt32 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return big ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    private func u32(_ reader: inout ByteReader) throws(ByteReader.Truncated) -> UInt32 {
        let raw = try reader.u32host()
        return bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    private func u16(_ reader: inout ByteReader) throws(ByteReader.Truncated) -> UInt16 {
        let raw = try reader.u16host()
        return bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
    }
}
