import CMNL
import HAModel

/// The attributes of one netlink message (or one nested attribute), indexed by type. libmnl
/// walks them and checks each header against the message's end; we check each payload's
/// length before we read it.
struct AttributeTable {
    private(set) var payloads: [UnsafeRawBufferPointer?]

    init(maxType: Int) {
        payloads = Array(repeating: nil, count: maxType + 1)
    }

    subscript(type: Int32) -> UnsafeRawBufferPointer? { payloads[Int(type)] }
    subscript(type: UInt32) -> UnsafeRawBufferPointer? { payloads[Int(type)] }

    fileprivate mutating func store(_ attr: UnsafePointer<nlattr>) {
        let type = Int(mnl_attr_get_type(attr))
        guard type < payloads.count else { return }
        let length = Int(mnl_attr_get_payload_len(attr))
        payloads[type] = UnsafeRawBufferPointer(start: mnl_attr_get_payload(attr), count: length)
    }

    /// The attributes of `message` after its family header of `headerSize` bytes.
    static func parse(_ message: UnsafePointer<nlmsghdr>, headerSize: Int, maxType: Int) -> AttributeTable {
        var table = AttributeTable(maxType: maxType)
        withUnsafeMutablePointer(to: &table) { pointer in
            _ = mnl_attr_parse(message, UInt32(headerSize), { attr, data in
                data!.assumingMemoryBound(to: AttributeTable.self).pointee.store(attr!)
                return MNL_CB_OK
            }, pointer)
        }
        return table
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
}
