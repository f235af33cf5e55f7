import Foundation
import HAModel
import LabSupport
import Testing

/// The command line's habits: one JSON rule, only options a command uses, paths that
/// complete as files.
@Suite struct CommandLineHabitsTests {
    static var seedConfig: String { HAExplainBinary.packageRoot.appendingPathComponent("demo/seed/prod-haproxy-000.keepalived.conf").path }
    static var seedHAProxy: String { HAExplainBinary.packageRoot.appendingPathComponent("demo/seed/haproxy.cfg").path }

    /// A pcap file of no packets (its header alone, Ethernet): `vrrp --read` makes an empty census of it.
    static func emptyCapture() throws -> String {
        let header: [UInt32] = [0xa1b2_c3d4, 0x0004_0002, 0, 0, 65535, 1]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hxhabits-\(getpid()).pcap").path
        try Data(header.flatMap { word in withUnsafeBytes(of: word.littleEndian) { Array($0) } }).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("on a pipe every command's JSON is one compact line, the whole document (ip -j's rule)")
    func compactOnAPipe() throws {
        let capture = try Self.emptyCapture()
        defer { try? FileManager.default.removeItem(atPath: capture) }
        let commands: [[String]] = [
            ["addr", "--json"], ["neigh", "--json"], ["hosts", "localhost", "--no-dns", "--json"],
            ["keepalived", "--keepalived-config", Self.seedConfig, "--json"],
            ["keepalived", "--keepalived-config", Self.seedConfig, "--check", "--json"],
            ["ip", "127.0.0.1", "--no-listen", "--no-dns", "--json"], ["check", "127.0.0.1", "--no-listen", "--no-dns", "--json"],
            ["snapshot"],
            ["haproxy", "--haproxy-config", Self.seedHAProxy, "--json"], ["haproxy", "--check", "--haproxy-config", Self.seedHAProxy, "--json"],
            ["vrrp", "--read", capture, "--json"],
        ]
        for command in commands {
            let result = try HAExplainBinary.run(command)
            #expect(result.stdout.hasSuffix("}\n") && result.stdout.filter { $0 == "\n" }.count == 1,
                    "\(command.joined(separator: " ")): \(result.stdout.prefix(200))")
            #expect((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) != nil, "\(command.joined(separator: " "))")
        }
    }

    @Test("on a terminal the same document is indented")
    func indentedOnATerminal() throws {
        // script(1) gives the command a terminal for its standard output.
        let result = try Shell.run(["script", "-qc", "\(HAExplainBinary.path) keepalived --keepalived-config \(Self.seedConfig) --json", "/dev/null"])
        #expect(result.stdout.hasPrefix("{\r\n  \"schema_version\": \(SchemaVersion.current)"), "\(result.stdout.prefix(80))")
    }

    @Test("check takes no option that only shapes ip's text, snapshot takes no --json: each is refused as unknown")
    func noIgnoredOptions() throws {
        for command in [["check", "127.0.0.1", "--brief"], ["check", "127.0.0.1", "--color", "always"], ["snapshot", "--json"]] {
            let result = try HAExplainBinary.run(command)
            #expect(result.status == 64 && result.stderr.contains("Unknown option"), "\(command): \(result.stderr)")
        }
    }

    @Test("--config-id comes once for all files or once per --keepalived-config: anything else is refused before anything is read")
    func configIDPairs() throws {
        for command in ["ip", "keepalived"] {
            let result = try HAExplainBinary.run([command] + (command == "ip" ? ["127.0.0.1", "--no-listen"] : [])
                + ["--keepalived-config", Self.seedConfig, "--config-id", "a", "--config-id", "b"])
            #expect(result.status == 64 && result.stderr.contains("2 --config-id for 1 --keepalived-config"), "\(command): \(result.stderr)")
        }
    }

    @Test("every option that takes a path completes file names (fish completion)")
    func pathsComplete() throws {
        let fish = try HAExplainBinary.run(["--generate-completion-script", "fish"]).stdout.split(separator: "\n")
        var checked = 0
        for command in try DocumentationTests.subcommands() {
            let help = try HAExplainBinary.run([command, "--help"]).stdout
            // "--keepalived-config <path>", "--read <file>", "--from <snapshot.json>"
            let pathOptions = help.split(separator: "\n").compactMap { line -> String? in
                let words = line.split(separator: " ")
                guard let option = words.first, option.hasPrefix("--"), words.count > 1,
                      ["<path>", "<file>", "<snapshot.json>"].contains(String(words[1])) else { return nil }
                return String(option.dropFirst(2))
            }
            for option in pathOptions {
                let line = fish.first { $0.contains("\"haexplain \(command)\"") && $0.contains("-l '\(option)'") }
                // -rF: any file; -rfa '(... for p in ...)': files of the named extensions, and directories.
                #expect(line.map { $0.hasSuffix("-rF") || ($0.contains("-rfa '(") && $0.contains("for p in")) } == true, "\(command) --\(option): \(line ?? "no completion")")
                checked += 1
            }
        }
        #expect(checked >= 10)
    }
}
