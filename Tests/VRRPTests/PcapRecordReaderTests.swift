import Testing
import HAModel
@testable import VRRP

/// The classic pcap record reader vouches only for records plainly whole and within the
/// snapshot length; the rest is libpcap's to read and describe.
@Suite("Classic pcap records")
struct PcapRecordReaderTests {
    /// A record header in this machine's byte order, and `captured` bytes after it.
    func record(seconds: Int32, fraction: Int32, captured: Int, original: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        withUnsafeBytes(of: seconds) { bytes += $0 }
        withUnsafeBytes(of: fraction) { bytes += $0 }
        withUnsafeBytes(of: UInt32(captured)) { bytes += $0 }
        withUnsafeBytes(of: UInt32(original ?? captured)) { bytes += $0 }
        return bytes + (0..<captured).map { UInt8(truncatingIfNeeded: $0) }
    }

    @Test("a whole record is handed on with its time in nanoseconds, microseconds scaled")
    func wholeRecord() {
        let bytes = record(seconds: 1_700_000_000, fraction: 250_000, captured: 60) + record(seconds: 1, fraction: 2, captured: 1)
        let micro = PcapRecordReader(snapshot: 262_144, nanoseconds: false)
        let next = bytes.withUnsafeBytes { micro.next($0) }
        #expect(next == .record(time: PacketTime(seconds: 1_700_000_000, nanoseconds: 250_000_000), data: 16..<76))
        let nano = PcapRecordReader(snapshot: 262_144, nanoseconds: true)
        #expect(bytes.withUnsafeBytes { nano.next($0) } == .record(time: PacketTime(seconds: 1_700_000_000, nanoseconds: 250_000), data: 16..<76))
    }

    @Test("a record cut short, or only part of its header, asks for more bytes")
    func cutShort() {
        let bytes = record(seconds: 5, fraction: 0, captured: 100)
        let reader = PcapRecordReader(snapshot: 65_535, nanoseconds: false)
        for cut in [0, 1, 15, 16, 17, 115] {
            #expect(bytes.withUnsafeBytes { reader.next(UnsafeRawBufferPointer(rebasing: $0[0..<cut])) } == .needMore, "cut at \(cut)")
        }
        #expect(bytes.withUnsafeBytes { reader.next($0) } != .needMore)
    }

    @Test("a captured length over the snapshot length is left to libpcap, even when the bytes are there")
    func overSnapshot() {
        let bytes = record(seconds: 5, fraction: 0, captured: 65)
        #expect(bytes.withUnsafeBytes { PcapRecordReader(snapshot: 64, nanoseconds: false).next($0) } == .unsure)
        #expect(bytes.withUnsafeBytes { PcapRecordReader(snapshot: 65, nanoseconds: false).next($0) } == .record(time: PacketTime(seconds: 5, nanoseconds: 0), data: 16..<81))
        let huge = record(seconds: 5, fraction: 0, captured: 0).enumerated().map { $0.offset >= 8 && $0.offset < 12 ? 0xff : $0.element }
        #expect(huge.withUnsafeBytes { PcapRecordReader(snapshot: 262_144, nanoseconds: false).next($0) } == .unsure)
    }

    @Test("times before 1970 are read signed, as libpcap 1.10.3 reads them")
    func signedTimes() {
        let bytes = record(seconds: -2, fraction: -1, captured: 0)
        let next = bytes.withUnsafeBytes { PcapRecordReader(snapshot: 100, nanoseconds: true).next($0) }
        #expect(next == .record(time: PacketTime(seconds: -2, nanoseconds: -1), data: 16..<16))
    }

    @Test("only a classic pcap magic in this machine's byte order is read here; swapped files and pcapng are libpcap's or the pcapng reader's")
    func magic() {
        func nanoseconds(_ value: UInt32) -> Bool? { withUnsafeBytes(of: value) { PcapRecordReader.nanoseconds(magic: $0) } }
        #expect(nanoseconds(0xa1b2_c3d4) == false)
        #expect(nanoseconds(0xa1b2_3c4d) == true)
        #expect(nanoseconds(0xd4c3_b2a1) == nil)
        #expect(nanoseconds(0x4d3c_b2a1) == nil)
        #expect(nanoseconds(0x0a0d_0d0a) == nil)
        #expect([UInt8](repeating: 0xa1, count: 3).withUnsafeBytes { PcapRecordReader.nanoseconds(magic: $0) } == nil)
    }
}
