import CMNL
import HAModel

/// The attributes of one netlink message (or one nested attribute), indexed by type. The walk
/// checks each header against the message's end as libmnl's `mnl_attr_parse` does (and stops
/// where it would); we check each payload's length before we read it.
struct AttributeTable {
    /// Types up to 63 are kept (all we read), in a bit set plus two small arrays that the
    /// decoder reuses from message to message: ten thousand addresses, no allocation each.
    private var present: UInt64 = 0
    private var starts: [UnsafeRawPointer?]
    private var lengths: [Int]
    private let limit: Int

    init(maxType: Int) {
        limit = min(maxType, 63)
        starts = Array(repeating: nil, count: limit + 1)
        lengths = Array(repeating: 0, count: limit + 1)
    }

    subscript(type: Int32) -> UnsafeRawBufferPointer? {
        guard type >= 0, Int(type) <= limit, present & (1 << UInt64(type)) != 0 else { return nil }
        return UnsafeRawBufferPointer(start: starts[Int(type)], count: lengths[Int(type)])
    }

    /// NLA_ALIGN: attributes and messages start on 4-byte boundaries.
    private static func aligned(_ length: Int) -> Int { (length + 3) & ~3 }

    /// Loads the attributes of `message` after its family header of `headerSize` bytes,
    /// forgetting the previous message's. The message's 4-byte-aligned end must lie in the
    /// buffer received, as the dump walk (`messageBoundaries`) makes sure.
    mutating func load(_ message: UnsafePointer<nlmsghdr>, headerSize: Int) {
        let start = AttributeTable.aligned(MemoryLayout<nlmsghdr>.size) + AttributeTable.aligned(headerSize)
        walk(UnsafeRawPointer(message), from: start, to: AttributeTable.aligned(Int(message.pointee.nlmsg_len)))
    }

    /// The attributes nested inside `payload`, which must itself have come from a table.
    static func parseNested(_ payload: UnsafeRawBufferPointer, maxType: Int) -> AttributeTable {
        var table = AttributeTable(maxType: maxType)
        if let base = payload.baseAddress { table.walk(base, from: 0, to: payload.count) }
        return table
    }

    /// The attributes between `from` and `to` bytes after `base`, with `mnl_attr_parse`'s checks
    /// in its order: a header that fits, a length that covers the header and stays inside, the
    /// next one 4-byte aligned after it; the first attribute that fails ends the walk.
    // Ours, not libmnl's: its call back into Swift per attribute cost 600 instructions a message (addr --json budget).
    private mutating func walk(_ base: UnsafeRawPointer, from: Int, to end: Int) {
        var found: UInt64 = 0
        let limit = limit
        starts.withUnsafeMutableBufferPointer { starts in
            lengths.withUnsafeMutableBufferPointer { lengths in
                var offset = from
                while end - offset >= MemoryLayout<nlattr>.size {
                    let length = Int(base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
                    guard length >= MemoryLayout<nlattr>.size, length <= end - offset else { break }
                    // NLA_TYPE_MASK: the nested and byte-order flags are not part of the type.
                    let type = Int(base.loadUnaligned(fromByteOffset: offset + 2, as: UInt16.self) & 0x3fff)
                    if type <= limit {
                        found |= 1 << UInt64(type)
                        starts[type] = base + offset + MemoryLayout<nlattr>.size
                        lengths[type] = length - MemoryLayout<nlattr>.size
                    }
                    offset += AttributeTable.aligned(length)
                }
            }
        }
        present = found
    }

    func u8(_ type: Int32) throws(AttributeError) -> UInt8? {
        guard let bytes = self[type] else { return nil }
        guard bytes.count >= 1 else { throw AttributeError(type: type, expected: "1 byte", got: bytes.count) }
        return bytes[0]
    }

    func u32(_ type: Int32) throws(AttributeError) -> UInt32? {
        guard let bytes = self[type] else { return nil }
        guard bytes.count >= 4 else { throw AttributeError(type: type, expected: "4 bytes", got: bytes.count) }
        return bytes.loadUnaligned(as: UInt32.self)
    }

    /// A NUL-terminated string; the kernel terminates them, but we never read past the
    /// attribute even when it does not.
    func string(_ type: Int32) -> String? {
        guard let bytes = self[type] else { return nil }
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
    }

    func address(_ type: Int32) throws(AttributeError) -> IPAddress? {
        guard let bytes = self[type] else { return nil }
        guard let address = IPAddress(bytes: bytes) else {
            throw AttributeError(type: type, expected: "4 or 16 bytes", got: bytes.count)
        }
        return address
    }
}

/// An attribute whose payload has the wrong size for its type.
struct AttributeError: Error {
    let type: Int32
    let expected: String
    let got: Int
    /// What was wrong when it is not one attribute (a family header, say).
    var field: String? = nil
}
