#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore
import HAModel
import KeepalivedConfig
import LabSupport
import LocalFiles
import Testing

/// Bad input never crashes or hangs: it becomes an HAError with file:line and a documented
/// exit status, or a problem, and an incomplete reading says so.
@Suite("nasty keepalived configurations")
struct NastyConfigTests {
    static func parse(_ files: [String: String], main: String = "k.conf") throws -> KeepalivedConfiguration {
        try KeepalivedParser.parse(path: main, files: InMemoryConfigFiles(files), configID: "x")
    }

    /// A scratch directory on disk for the cases that need a real filesystem.
    static func scratch() throws -> String {
        var template = Array("/tmp/hxk-nasty-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else { throw HAError(.software, "mkdtemp failed") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test("an include loop is reported once with the chain, not followed forever")
    func includeLoop() throws {
        let config = try Self.parse([
            "k.conf": "include a.conf\n",
            "a.conf": "include b.conf\nvrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n",
            "b.conf": "include a.conf\n",
        ])
        let loop = try #require(config.diagnostics.first { $0.code == .includeLoop })
        #expect(loop.file == "b.conf")
        #expect(loop.line == 1)
        #expect(loop.message.contains("a.conf -> b.conf -> a.conf"))
        #expect(config.vrrpInstances.map(\.name) == ["A"])
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "x", config: config, chosenBecause: "test")])
        #expect(report.limits.contains { $0.message.hasPrefix("INCOMPLETE") })
    }

    @Test("a self-include and a definition that expands into itself end")
    func selfReference() throws {
        let config = try Self.parse(["k.conf": "include k.conf\n$A=$A x\n$A\n$B=${B}${B}\n${B}\n"])
        #expect(config.diagnostics.contains { $0.code == .includeLoop })
        #expect(config.diagnostics.contains { $0.code == .definitionRecursion })
    }

    @Test("an unterminated block is an error at the line that opened it")
    func unterminated() throws {
        let config = try Self.parse(["k.conf": "vrrp_instance U {\n interface eth0\n virtual_router_id 5\n virtual_ipaddress {\n 10.9.9.9\n"])
        let open = config.diagnostics.filter { $0.code == .unterminatedBlock }
        #expect(open.map(\.line) == [1, 4])
        #expect(config.vrrpInstances.first?.virtualIpaddress.count == 1)
    }

    @Test("extra closing braces and stray opening braces are skipped")
    func strayBraces() throws {
        let config = try Self.parse(["k.conf": "}\n{\n}\nvrrp_instance A {\n interface eth0\n virtual_router_id 9\n}\n}\n"])
        #expect(config.vrrpInstances.map(\.virtualRouterID) == [9])
        // The '{' on line 2 opens nothing (keepalived: "Unexpected '{' - ignoring"), so line 3's '}' is extra too.
        #expect(config.diagnostics.filter { $0.code == .extraBrace }.map(\.line) == [1, 3, 8])
    }

    @Test("binary garbage is a data error with the line of the first NUL byte")
    func binary() throws {
        let files = InMemoryConfigFiles(bytes: ["k.conf": Array("vrrp_instance A {\n".utf8) + [0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]])
        let error = try #require(throws: HAError.self) { try KeepalivedParser.parse(path: "k.conf", files: files, configID: "x") }
        #expect(error.kind == .dataError)
        #expect(error.file == "k.conf")
        #expect(error.line == 2)
    }

    @Test("invalid UTF-8 and random punctuation are read as text without a crash")
    func garbageText() throws {
        let bytes: [UInt8] = Array("vrrp_instance \u{00e9} {\n".utf8) + [0xff, 0xfe, 0x80, 0x0a] + Array("\"unterminated '{ } } $ ${ ${X @ @^ ~SEQ( ~SEQ(a,1,0,5)\n".utf8)
        let config = try KeepalivedParser.parse(path: "k.conf", files: InMemoryConfigFiles(bytes: ["k.conf": bytes]), configID: "x")
        // The instance keeps its UTF-8 name; the bytes that are not UTF-8 become U+FFFD in an
        // unknown keyword on their own line; the block left open is named where it opened.
        #expect(config.vrrpInstances.map(\.name) == ["\u{00e9}"])
        #expect(config.diagnostics.contains { $0.code == .unknownKeyword && $0.line == 2 && $0.message.contains("\u{fffd}") }, "\(config.diagnostics)")
        #expect(config.diagnostics.contains { $0.code == .unterminatedBlock && $0.line == 1 }, "\(config.diagnostics)")
    }

    @Test("a missing main file is noInput; a directory and a FIFO are refused without blocking")
    func notFiles() throws {
        let dir = try Self.scratch()
        defer { _ = try? Shell.run(["rm", "-rf", dir]) }
        let missing = try #require(throws: HAError.self) { try KeepalivedParser.parse(path: dir + "/nope.conf", files: LocalConfigFiles(), configID: "x") }
        #expect(missing.kind == .noInput)
        let directory = try #require(throws: HAError.self) { try KeepalivedParser.parse(path: dir, files: LocalConfigFiles(), configID: "x") }
        #expect(directory.kind == .noInput)
        #expect(directory.message.contains("directory"))
        #expect(mkfifo(dir + "/fifo", 0o600) == 0)
        let fifo = try #require(throws: HAError.self) { try KeepalivedParser.parse(path: dir + "/fifo", files: LocalConfigFiles(), configID: "x") }
        #expect(fifo.kind == .noInput)
        #expect(fifo.message.contains("FIFO"))
    }

    @Test("an unreadable include is an error problem at the include line, and the rest is read")
    func unreadableInclude() throws {
        let dir = try Self.scratch()
        defer { _ = try? Shell.run(["rm", "-rf", dir]) }
        #expect(mkfifo(dir + "/pipe.conf", 0o600) == 0)
        #expect(mkdir(dir + "/sub.conf", 0o700) == 0)
        try write(dir + "/k.conf", "include pipe.conf\ninclude sub.conf\nvrrp_instance A {\n interface eth0\n virtual_router_id 3\n}\n")
        let config = try KeepalivedParser.parse(path: dir + "/k.conf", files: LocalConfigFiles(), configID: "x")
        #expect(config.diagnostics.filter { $0.code == .includeUnreadable }.map(\.line) == [1, 2])
        #expect(config.vrrpInstances.map(\.virtualRouterID) == [3])
    }

    @Test("a 100 MB file is refused as a data error before it is read")
    func hugeFile() throws {
        let dir = try Self.scratch()
        defer { _ = try? Shell.run(["rm", "-rf", dir]) }
        let path = dir + "/huge.conf"
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        #expect(ftruncate(fd, 100 * 1024 * 1024) == 0)
        close(fd)
        let error = try #require(throws: HAError.self) { try KeepalivedParser.parse(path: path, files: LocalConfigFiles(), configID: "x") }
        #expect(error.kind == .dataError)
        #expect(error.file == path)
    }

    @Test("out-of-range values are reported and keepalived's defaults kept")
    func badValues() throws {
        let config = try Self.parse(["k.conf": "vrrp_instance X {\n interface eth0\n virtual_router_id 300\n priority 0\n advert_int 0\n state SLAVE\n}\n"])
        let instance = try #require(config.vrrpInstances.first)
        #expect(instance.virtualRouterID == nil)
        #expect(instance.priority == 100)
        #expect(instance.advertInt == 1)
        #expect(instance.state == "SLAVE")
        #expect(instance.initialState == .backup)
        #expect(config.diagnostics.filter { $0.code == .invalidValue }.map(\.line) == [3, 4, 5])
        #expect(config.diagnostics.filter { $0.code == .stateAdjusted }.map(\.line) == [6])
        #expect(config.diagnostics.contains { $0.code == .missingVRID })
    }

    func write(_ path: String, _ text: String) throws {
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        guard fd >= 0 else { throw HAError(.software, "cannot create \(path)") }
        defer { close(fd) }
        _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress!, $0.count - 1) }
    }
}
