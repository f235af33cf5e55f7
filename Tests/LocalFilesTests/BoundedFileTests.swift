import Foundation
import HAModel
import LabSupport
import LocalFiles
import Namespaces
import Testing

@Suite("The bounded file reader and the directory lister")
struct BoundedFileTests {
    let dir: String

    init() throws {
        dir = "/tmp/hx-edges-files-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = dir + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a file is read whole, whatever its size against the first buffer (seeded sizes and bytes)")
    func wholeFiles() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for seed in UInt64(1)...12 {
            var random = SeededRandom(seed: seed)
            let size = random.pick([0, 1, 4095, 4096, 4097, 8193]) + random.below(3) * random.below(70_000)
            let bytes = (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let path = try write("f\(seed)", bytes)
            #expect(try BoundedFile.read(path, what: "test file") == bytes, "seed \(seed), size \(size)")
            let mapped = try BoundedFile.map(path, what: "test file")
            // The mapping lives as long as its FileBytes: copy while it is held.
            #expect(withExtendedLifetime(mapped) { Array(mapped.buffer) } == bytes, "seed \(seed), size \(size)")
        }
    }

    @Test("a FIFO with no writer and a character device are refused at once as input that cannot be read (66)")
    func specialFiles() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        let fifo = try #require(throws: HAError.self) { try BoundedFile.read(dir + "/fifo", what: "hosts file") }
        #expect(fifo.kind == .noInput && fifo.file == dir + "/fifo")
        #expect(fifo.message == "is a FIFO, not a regular file; haexplain reads a hosts file only from a regular file, which cannot make it wait forever")
        let device = try #require(throws: HAError.self) { try BoundedFile.map("/dev/zero", what: "hosts file") }
        #expect(device.kind == .noInput && device.message.hasPrefix("is a character device, not a regular file"))
        let directory = try #require(throws: HAError.self) { try BoundedFile.read(dir, what: "snapshot") }
        #expect(directory.kind == .noInput && directory.message.hasPrefix("is a directory, not a regular file"))
    }

    @Test("a missing file is 66 with its path and 'no such file'")
    func missing() throws {
        let error = try #require(throws: HAError.self) { try BoundedFile.read(dir + "/nope", what: "keepalived configuration") }
        #expect(error.kind == .noInput)
        #expect(error.description == "\(dir)/nope: cannot open the keepalived configuration: no such file")
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test("a file over the cap is refused as a data error (65) naming the cap, before it is read")
    func overCap() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sparse"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 3 << 20) == 0)
        let error = try #require(throws: HAError.self) { try BoundedFile.read(path, what: "snapshot", maximumSize: 2 << 20) }
        #expect(error.kind == .dataError && error.file == path)
        #expect(error.message == "is 3145728 bytes, over the 2 MiB a snapshot may have: refused as not a snapshot")
        #expect(try BoundedFile.read(path, what: "snapshot", maximumSize: 3 << 20).count == 3 << 20)
    }

    @Test("a /proc file, which stat says is empty, is read to its end or cut at the cap when asked")
    func procFiles() throws {
        let whole = try BoundedFile.read("/proc/self/maps", what: "process file")
        #expect(whole.count > 0)
        let cut = try BoundedFile.read("/proc/self/maps", what: "process file", maximumSize: 100, oversize: .truncate)
        #expect(cut.count == 100 && Array(whole.prefix(100)) == cut)
        let refused = try #require(throws: HAError.self) { try BoundedFile.read("/proc/self/maps", what: "process file", maximumSize: 100) }
        #expect(refused.kind == .dataError)
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test("a directory lists its names bytewise sorted without . and ..; a missing one is 66 with its path")
    func listing() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["b.cfg", "B.cfg", "a b", ".hidden", "é"] { _ = try write(name, []) }
        #expect(try DirectoryListing.names(in: dir, what: "haproxy configuration directory") == [".hidden", "B.cfg", "a b", "b.cfg", "é"])
        let missing = try #require(throws: HAError.self) { try DirectoryListing.names(in: dir + "/none", what: "haproxy configuration directory") }
        #expect(missing.description == "\(dir)/none: cannot open the haproxy configuration directory: no such file")
        #expect(DirectoryListing.names(in: dir + "/b.cfg") == nil)
    }

    @Test("a namespace file's identity: this thread's and this process's net namespace are one, its mount namespace another")
    func namespaceIdentity() throws {
        let net = try #require(NamespaceIdentity(of: "/proc/self/ns/net"))
        #expect(NamespaceIdentity(of: "/proc/thread-self/ns/net") == net)
        #expect(NamespaceIdentity(of: "/proc/self/ns/mnt") != net)
        #expect(NamespaceIdentity(of: dir + "/no-such-namespace") == nil)
        try? FileManager.default.removeItem(atPath: dir)
    }
}
