import Capture
import Foundation
import LabSupport
import Testing
import VRRP

/// `haexplain vrrp --read` on files that are short, corrupt, in other formats, or missing,
/// and the exit statuses the man page promises.
@Suite struct CaptureFileTests {
    /// A VRRPv2 advert for VRID 200 as keepalived sent it (from a capture), with Ethernet.
    static let seedFrame: [UInt8] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0xbc, 0x76, 0x4e, 0x05, 0x6c, 0x1c, 0x08, 0x00]
        + [0x45, 0xc0, 0x00, 0x28, 0x00, 0x05, 0x00, 0x00, 0xff, 0x70, 0x16, 0xe2, 0xc0, 0xa8, 0x03, 0x04,
           0xe0, 0x00, 0x00, 0x12, 0x21, 0xc8, 0x62, 0x01, 0x00, 0x01, 0xb7, 0xc4, 0xc0, 0xa8, 0x03, 0xc8,
           0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]

    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) } }

    /// A pcap (microseconds, or nanoseconds with the 0xa1b23c4d magic) with `count` copies of
    /// the seed frame one second apart.
    static func pcap(count: Int, nanoseconds: Bool = false) -> [UInt8] {
        var bytes = le32(nanoseconds ? 0xa1b2_3c4d : 0xa1b2_c3d4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for index in 0..<count {
            bytes += le32(1_764_043_032 + UInt32(index)) + le32(nanoseconds ? 123_456_789 : 123_456)
            bytes += le32(UInt32(seedFrame.count)) + le32(UInt32(seedFrame.count))
            bytes += seedFrame
        }
        return bytes
    }

    func write(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hxv-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        return url
    }

    func haexplain(_ arguments: [String]) throws -> Shell.Result {
        try Shell.run([HAExplainBinary.path, "vrrp"] + arguments, timeout: 30)
    }

    @Test("a complete pcap: three adverts from the seed master, decoded as tshark does")
    func completeFile() throws {
        let file = try write(Self.pcap(count: 3), "complete.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try haexplain(["--read", file.path, "--json"])
        #expect(result.status == 0)
        let census = CensusJSON(root: try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]))
        #expect(census.master(200)?.address == "192.168.3.4" && census.master(200)?.priority == 98)
        #expect(census.sender(200, "192.168.3.4")?["count"] as? Int == 3)
        #expect(census.sender(200, "192.168.3.4")?["first_seen"] as? String == "2025-11-25T03:57:12.123456000Z")
        try expectTsharkParity(file)
    }

    @Test("pcapng with nanosecond timestamps reads like pcap, to the nanosecond")
    func pcapngNanoseconds() throws {
        let file = try write(Self.pcap(count: 2, nanoseconds: true), "ns.pcap")
        let converted = file.deletingPathExtension().appendingPathExtension("pcapng")
        defer { try? FileManager.default.removeItem(at: file); try? FileManager.default.removeItem(at: converted) }
        try Shell.check(["editcap", "-F", "pcapng", file.path, converted.path])
        #expect(try Shell.check(["capinfos", "-t", converted.path]).contains("pcapng"))
        for capture in [file, converted] {
            let adverts = try decodedAdverts(capture)
            #expect(adverts.count == 2)
            #expect(adverts[1]?.time.description == "2025-11-25T03:57:12.123456789Z")
            #expect(adverts[2]?.time.description == "2025-11-25T03:57:13.123456789Z")
            try expectTsharkParity(capture)
        }
    }

    @Test("a file cut inside a packet: the census of the complete packets, a clear message, exit 65")
    func truncatedFile() throws {
        let full = Self.pcap(count: 3)
        let file = try write(Array(full[..<(full.count - 10)]), "cut.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try haexplain(["--read", file.path])
        #expect(result.status == 65)
        #expect(result.stdout.contains("2 VRRP advert(s)"), "\(result.stdout)")
        #expect(result.stderr.contains("ends in the middle of packet #3"), "\(result.stderr)")
    }

    @Test("a record longer than the file's snapshot length is cut to it and reading goes on, as libpcap reads it")
    func recordPastSnapshot() throws {
        // Snapshot length 60: the seed frame (54 bytes) fits; the second record carries 16
        // bytes of trailer (70), which libpcap cuts to 60, the advert still whole in them.
        var bytes: [UInt8] = Self.le32(0xa1b2_c3d4) + [2, 0, 4, 0] + Self.le32(0) + Self.le32(0) + Self.le32(60) + Self.le32(1)
        let frames: [[UInt8]] = [Self.seedFrame, Self.seedFrame + [UInt8](repeating: 0xee, count: 16), Self.seedFrame]
        for (index, frame) in frames.enumerated() {
            let length = Self.le32(UInt32(frame.count))
            bytes += Self.le32(1_764_043_032 + UInt32(index)) + Self.le32(123_456) + length + length + frame
        }
        let file = try write(bytes, "snapshot.pcap")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try haexplain(["--read", file.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let capture = root["capture"] as? [String: Any]
        #expect(capture?["packets"] as? Int == 3, "\(result.stdout)")
        #expect(capture?["adverts"] as? Int == 3)
        #expect(capture?["malformed"] as? Int == 0)
        #expect(capture?["end"] as? String == "2025-11-25T03:57:14.123456000Z")
        let census = CensusJSON(root: root)
        #expect(census.sender(200, "192.168.3.4")?["count"] as? Int == 3)
        #expect(census.sender(200, "192.168.3.4")?["last_packet"] as? Int == 3)
    }

    @Test("not a capture, missing, a directory, bad usage: one sentence each and the documented status")
    func unreadableInputs() throws {
        let garbage = try write(Array("this is not a pcap file at all\n".utf8), "garbage.pcap")
        defer { try? FileManager.default.removeItem(at: garbage) }
        let notPcap = try haexplain(["--read", garbage.path])
        #expect(notPcap.status == 65 && notPcap.stderr.contains("not a readable pcap or pcapng file"), "\(notPcap.stderr)")
        let missing = try haexplain(["--read", "/nonexistent/hxv.pcap"])
        #expect(missing.status == 66 && missing.stderr.contains("/nonexistent/hxv.pcap"), "\(missing.stderr)")
        let directory = try haexplain(["--read", "/tmp"])
        #expect(directory.status == 66, "\(directory.stderr)")
        let mixed = try haexplain(["--read", garbage.path, "--listen", "2"])
        #expect(mixed.status == 64, "\(mixed.stderr)")
        let duration = try haexplain(["--listen", "soon"])
        #expect(duration.status == 64, "\(duration.stderr)")
    }

    @Test("corrupted record headers and bodies never crash the reader")
    func corruptedFiles() throws {
        var generator = SeededGenerator.forTest()
        let base = Self.pcap(count: 4)
        for round in 0..<40 {
            var bytes = base
            for _ in 0..<(1 + round % 6) {
                bytes[Int.random(in: 24..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            let file = try write(bytes, "corrupt-\(round).pcap")
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try haexplain(["--read", file.path, "--json"])
            let context = "round \(round), \(generator.label): status \(result.status): \(result.stderr)"
            #expect([0, 65].contains(result.status), "\(context)")
            // A census either way; a record cut short is a data error that names the file and
            // says how many complete packets the census covers.
            let capture = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])?["capture"] as? [String: Any]
            let packets = try #require(capture?["packets"] as? Int, "\(context)")
            #expect(capture?["truncated"] as? Bool == (result.status == 65), "\(context)")
            if result.status == 65 {
                #expect(result.stderr.contains("\(file.path): the file ends in the middle of packet #\(packets + 1)"), "\(context)")
                #expect(result.stderr.contains("the census covers the \(packets) complete packet(s)"), "\(context)")
            }
        }
    }

    @Test("records read by haexplain's own block reader (a file in this machine's byte order) and by libpcap (the same records byte-swapped) give the same census, messages and status, also with corrupt lengths, times and cut files")
    func ownReaderAgreesWithLibpcap() throws {
        var generator = SeededGenerator.forTest()
        /// One file's records as fields, written in either byte order.
        func file(_ records: [(seconds: UInt32, fraction: UInt32, captured: UInt32, original: UInt32, body: [UInt8])],
                  snapshot: UInt32, nanoseconds: Bool, bigEndian: Bool, cut: Int?) -> [UInt8] {
            func word(_ value: UInt32) -> [UInt8] { bigEndian ? Self.le32(value).reversed() : Self.le32(value) }
            func half(_ value: UInt16) -> [UInt8] { bigEndian ? [UInt8(value >> 8), UInt8(value & 0xff)] : [UInt8(value & 0xff), UInt8(value >> 8)] }
            var bytes = word(nanoseconds ? 0xa1b2_3c4d : 0xa1b2_c3d4) + half(2) + half(4) + word(0) + word(0) + word(snapshot) + word(1)
            for record in records {
                bytes += word(record.seconds) + word(record.fraction) + word(record.captured) + word(record.original) + record.body
            }
            return cut.map { Array(bytes.prefix($0)) } ?? bytes
        }
        for round in 0..<30 {
            let snapshot: UInt32 = [65535, 262_144, 60, 54][round % 4]
            var records = (0..<Int.random(in: 1...8, using: &generator)).map { index in
                (seconds: UInt32(1_764_043_032 + index), fraction: UInt32.random(in: 0..<1_000_000, using: &generator),
                 captured: UInt32(Self.seedFrame.count), original: UInt32(Self.seedFrame.count), body: Self.seedFrame)
            }
            for _ in 0..<(round % 3) {
                let index = Int.random(in: 0..<records.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: records[index].captured = UInt32.random(in: 0...300_000, using: &generator)
                // Below 2^31: libpcap 1.10.3 itself reads a host-order file's times signed and a
                // swapped file's unsigned, so larger corrupt times differ between its own two paths.
                case 1: records[index].seconds = UInt32.random(in: 0...UInt32(Int32.max), using: &generator)
                case 2: records[index].fraction = UInt32.random(in: 0...UInt32(Int32.max), using: &generator)
                default: records[index].body[Int.random(in: 0..<records[index].body.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            let nanoseconds = round % 5 == 0
            let whole = file(records, snapshot: snapshot, nanoseconds: nanoseconds, bigEndian: false, cut: nil).count
            let cut = round % 4 == 1 ? Int.random(in: 24..<whole, using: &generator) : nil
            var results: [(status: Int32, stdout: String, stderr: String)] = []
            for bigEndian in [false, true] {
                let bytes = file(records, snapshot: snapshot, nanoseconds: nanoseconds, bigEndian: bigEndian, cut: cut)
                let url = try write(bytes, "order-\(round)-\(bigEndian ? "swapped" : "host").pcap")
                defer { try? FileManager.default.removeItem(at: url) }
                let result = try haexplain(["--read", url.path, "--json"])
                results.append((status: result.status, stdout: result.stdout.replacingOccurrences(of: url.path, with: "FILE"),
                                stderr: result.stderr.replacingOccurrences(of: url.path, with: "FILE")))
            }
            let context = "round \(round), \(generator.label)"
            #expect(results[0].status == results[1].status, "\(context): \(results[0].stderr) / \(results[1].stderr)")
            #expect(results[0].stdout == results[1].stdout, "\(context): libpcap read \(results[1].stdout)")
            #expect(results[0].stderr == results[1].stderr, "\(context)")
        }
    }

    @Test("without CAP_NET_RAW a live capture says so and exits 77",
          .enabled(if: getuid() == 0, "needs root to drop to nobody"))
    func noPermission() throws {
        let result = try Shell.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                                    HAExplainBinary.path, "vrrp", "--listen", "0.2"], timeout: 30)
        #expect(result.status == 77, "\(result.stderr)")
        #expect(result.stderr.contains("CAP_NET_RAW"))
    }

    @Test("a network namespace that does not exist is unavailable (69)", .enabled(if: getuid() == 0, "needs root"))
    func missingNamespace() throws {
        let result = try haexplain(["--netns", "hxv-no-such-namespace", "--listen", "0.2"])
        #expect(result.status == 69, "\(result.stderr)")
    }
}
