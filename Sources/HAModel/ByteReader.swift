/// A cursor over bytes that checks every read against the end, the way tcpdump's GET_ macros
/// do: running out of bytes is an ordinary, reportable outcome, never a trap.
/// The caller keeps the underlying memory alive while the reader is in use.
/// The per-field readers (u8, u16be, skip, take) are always inlined: a VRRP advert reads a
/// dozen fields, and a call each cost a fifth of its decoding (vrrp --read budget).
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    /// Settable so inlined readers can advance it; moving it never reads out of bounds.
    public var offset: Int

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    @inlinable
    public var remaining: Int { bytes.count - offset }

    public struct Truncated: Error, Equatable, Sendable, CustomStringConvertible {
        public let offset: Int
        public let needed: Int
        @usableFromInline init(offset: Int, needed: Int) {
            self.offset = offset
            self.needed = needed
        }
        public var description: String { "truncated at byte \(offset): \(needed) more byte(s) needed" }
    }

    @inlinable @inline(__always)
    func check(_ count: Int) throws(Truncated) {
        guard count >= 0, count <= bytes.count - offset else {
            throw Truncated(offset: offset, needed: count - max(0, bytes.count - offset))
        }
    }

    @inlinable @inline(__always)
    public mutating func u8() throws(Truncated) -> UInt8 {
        try check(1)
        defer { offset += 1 }
        return bytes[offset]
    }

    @inlinable @inline(__always)
    public mutating func u16be() throws(Truncated) -> UInt16 {
        try check(2)
        defer { offset += 2 }
        return UInt16(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inlinable
    public mutating func u32be() throws(Truncated) -> UInt32 {
        try check(4)
        defer { offset += 4 }
        return UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Host byte order, as netlink carries its integers.
    @inlinable
    public mutating func u16host() throws(Truncated) -> UInt16 {
        try check(2)
        defer { offset += 2 }
        return bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
    }

    @inlinable
    public mutating func u32host() throws(Truncated) -> UInt32 {
        try check(4)
        defer { offset += 4 }
        return bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    }

    @inlinable @inline(__always)
    public mutating func skip(_ count: Int) throws(Truncated) {
        try check(count)
        offset += count
    }

    /// The next `count` bytes, as a view into the same memory.
    @inlinable @inline(__always)
    public mutating func take(_ count: Int) throws(Truncated) -> UnsafeRawBufferPointer {
        try check(count)
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
    }
}
