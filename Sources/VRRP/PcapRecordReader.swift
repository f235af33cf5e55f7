/// The records of a classic pcap file (after its 24-byte header), in this machine's byte
/// order: pure and bounds-checked, one record at a time from whatever bytes the caller has
/// read so far. It vouches only for records that are plainly whole and within the snapshot
/// length; anything else is `.unsure`, and the caller lets libpcap read on from there, so a
/// damaged file is described in libpcap's own words.
public struct PcapRecordReader: Sendable {
    public enum Next: Equatable {
        /// A record: its time and where its captured bytes are in the bytes given.
        case record(time: PacketTime, data: Range<Int>)
        /// The bytes given end inside the record header or the record: read more.
        case needMore
        /// A captured length over the snapshot length: not for us to judge.
        case unsure
    }

    /// The record header's size: seconds, fraction, captured length, original length.
    @inlinable public static var headerSize: Int { 16 }

    public let snapshot: Int
    public let nanoseconds: Bool

    public init(snapshot: Int, nanoseconds: Bool) {
        self.snapshot = snapshot
        self.nanoseconds = nanoseconds
    }

    /// Whether a file whose first four bytes are `magic` has its times in nanoseconds; nil
    /// when it is not a classic pcap file in this machine's byte order.
    public static func nanoseconds(magic: UnsafeRawBufferPointer) -> Bool? {
        guard magic.count >= 4 else { return nil }
        switch magic.loadUnaligned(as: UInt32.self) {
        case 0xa1b2_c3d4: return false
        case 0xa1b2_3c4d: return true
        default: return nil
        }
    }

    /// The record that starts at `bytes`' first byte. Inlinable into the file reader's loop: a
    /// call per record was a tenth of reading the file (vrrp --read budget).
    @inlinable
    public func next(_ bytes: UnsafeRawBufferPointer) -> Next {
        guard bytes.count >= Self.headerSize else { return .needMore }
        // Signed, as libpcap 1.10.3 (Debian 12) reads them: a corrupt time goes before 1970.
        let seconds = bytes.loadUnaligned(fromByteOffset: 0, as: Int32.self)
        let fraction = bytes.loadUnaligned(fromByteOffset: 4, as: Int32.self)
        let length = Int(bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard length <= snapshot else { return .unsure }
        guard bytes.count - Self.headerSize >= length else { return .needMore }
        let time = PacketTime(seconds: Int64(seconds), nanoseconds: nanoseconds ? Int64(fraction) : Int64(fraction) &* 1000)
        return .record(time: time, data: Self.headerSize..<(Self.headerSize + length))
    }
}
