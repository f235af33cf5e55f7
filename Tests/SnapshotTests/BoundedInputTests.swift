import Foundation
import HAExplainCore
import HAModel
import LabSupport
import Testing

/// One rule for every file option: a FIFO or a device is refused at once (never waited on),
/// memory does not grow with a streamed file's length, a snapshot has a size cap.
@Suite struct BoundedInputTests {

    /// Every option that names a file, with the command that takes it.
    static let fileOptions: [[String]] = [
        ["hosts", "x.example", "--no-dns", "--hosts-file"],
        ["ip", "127.0.0.1", "--no-listen", "--hosts-file"],
        ["ip", "127.0.0.1", "--no-listen", "--from"],
        ["ip", "127.0.0.1", "--no-listen", "--keepalived-config"],
        ["ip", "127.0.0.1", "--no-listen", "--haproxy-config"],
        ["keepalived", "--keepalived-config"],
        ["haproxy", "--haproxy-config"],
        ["vrrp", "--read"],
    ]

    @Test("every file option refuses a FIFO with no writer and a character device at once, exit 66",
          arguments: fileOptions)
    func notRegularFiles(_ option: [String]) throws {
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("hxb-fifo-\(getpid())-\(UUID().uuidString.prefix(8))").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        for path in [fifo, "/dev/zero"] {
            // A hang would be killed at 20 s and show as 124.
            let result = try HAExplainBinary.run(option + [path], timeout: 20)
            #expect(result.status == 66, "\(option) \(path): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("not a regular file") || result.stderr.contains("is a FIFO, not a configuration file"),
                    "\(option) \(path): \(result.stderr)")
        }
    }

    /// Peak resident memory of haexplain running `arguments`, in KiB (GNU time's %M).
    static func peakKiB(_ arguments: [String]) throws -> (Int, Shell.Result) {
        let result = try Shell.run(["/usr/bin/time", "-f", "peak-rss %M", HAExplainBinary.path] + arguments, timeout: 300)
        let line = result.stderr.split(separator: "\n").last { $0.hasPrefix("peak-rss ") }
        return (Int(line?.dropFirst("peak-rss ".count) ?? "") ?? .max, result)
    }

    @Test("hosts on a 200 MB hosts file stays within 64 MiB resident, forward and reverse")
    func largeHostsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hxb-hosts-\(getpid())").path
        defer { unlink(path) }
        var chunk = ""
        var line = 0
        while chunk.utf8.count < 1 << 20 {
            chunk += "10.\(line >> 16 & 255).\(line >> 8 & 255).\(line & 255) host\(line).example.com alias\(line)\n"
            line += 1
        }
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        for _ in 0..<200 { handle.write(Data(chunk.utf8)) }
        handle.write(Data("192.168.3.200 prod-db-internal.panda.com\n".utf8))
        try handle.close()
        for query in ["prod-db-internal.panda.com", "192.168.3.200"] {
            let (peak, result) = try Self.peakKiB(["hosts", query, "--no-dns", "--hosts-file", path])
            #expect(result.succeeded, "\(result.stderr)")
            #expect(result.stdout.contains("\(path):\(200 * line + 1)"), "\(result.stdout)")
            #expect(peak <= 64 << 10, "peak RSS \(peak) KiB for \(query)")
        }
    }

    @Test("a snapshot over 64 MiB is refused before it is read, naming the cap")
    func snapshotCap() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hxb-big-\(getpid()).json").path
        defer { unlink(path) }
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        // Sparse: 100 MB that costs no disk; the size alone must refuse it.
        #expect(truncate(path, 100_000_000) == 0)
        let (peak, result) = try Self.peakKiB(["ip", "127.0.0.1", "--from", path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("over the 64 MiB a snapshot may have"), "\(result.stderr)")
        #expect(peak < 64 << 10, "peak RSS \(peak) KiB")
    }

    @Test("deep nesting is refused quickly and a bad field is named by its JSON path")
    func snapshotShape() throws {
        let deep = Array(("{\"schema_version\":2,\"hostname\":" + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "}").utf8)
        let nesting = #expect(throws: HAError.self) { try HostSnapshot.decode(deep, origin: "t.json") }
        #expect(nesting?.message.contains("nest deeper than 100 levels") == true, "\(nesting?.message ?? "")")

        let taken = try HAExplainBinary.run(["snapshot"])
        var root = try #require(try JSONSerialization.jsonObject(with: Data(taken.stdout.utf8)) as? [String: Any])
        var addresses = try #require(root["addresses"] as? [String: Any])
        var interfaces = try #require(addresses["interfaces"] as? [[String: Any]])
        interfaces[0]["mtu"] = "large"
        addresses["interfaces"] = interfaces
        root["addresses"] = addresses
        let bad = Array(try JSONSerialization.data(withJSONObject: root))
        let field = #expect(throws: HAError.self) { try HostSnapshot.decode(bad, origin: "t.json") }
        #expect(field?.message.contains(".addresses.interfaces[0].mtu: expected Int") == true, "\(field?.message ?? "")")
    }
}
