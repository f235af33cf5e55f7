import CMNL
import HAModel

/// The attributes of one netlink message (or one nested attribute), indexed by type. libmnl
/// walks them and checks each header against the message's end; we check each payload's
/// length before we read it.
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

    fileprivate mutating func store(_ attr: UnsafePointer<nlattr>) {
        let type = Int(mnl_attr_get_type(attr))
        guard type <= limit else { return }
        present |= 1 << UInt64(type)
        starts[type] = mnl_attr_get_payload(attr).map { UnsafeRawPointer($0) }
        lengths[type] = Int(mnl_attr_get_payload_len(attr))
    }

    /// Loads the attributes of `message` after its family header of `headerSize` bytes,
    /// forgetting the previous message's.
    mutating func load(_ message: UnsafePointer<nlmsghdr>, headerSize: Int) {
        present = 0
        withUnsafeMutablePointer(to: &self) { pointer in
            _ = mnl_attr_parse(message, UInt32(headerSize), { attr, data in
                data!.assumingMemoryBound(to: AttributeTable.self).pointee.store(attr!)
                return MNL_CB_OK
            }, pointer)
        }
    }

    /// The attributes nested inside `payload`, which must itself have come from a table.
    static func parseNested(_ payload: UnsafeRawBufferPointer, maxType: Int) -> AttributeTable {
        var table = AttributeTable(maxType: maxType)
        guard let base = payload.baseAddress else { return table }
        // libmnl's nested walk wants the enclosing attribute, which sits just before its payload.
        let header = base.advanced(by: -MemoryLayout<nlattr>.size).assumingMemoryBound(to: nlattr.self)
        withUnsafeMutablePointer(to: &table) { pointer in
            _ = mnl_attr_parse_nested(header, { attr, data in
                data!.assumingMemoryBound(to: AttributeTable.self).pointee.store(attr!)
                return MNL_CB_OK
            }, pointer)
        }
        return table
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
