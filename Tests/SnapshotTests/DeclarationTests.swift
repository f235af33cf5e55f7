import Foundation
import LabSupport
import Testing

/// The command line's declarations as ArgumentParser holds them (`--experimental-dump-help`),
/// held against the man page and the duration rule, so neither can drift from the code.
@Suite struct DeclarationTests {
    struct Option: CustomStringConvertible {
        var command: String
        var name: String
        var valueName: String?
        var parsing: String
        var description: String { "\(command) --\(name)" }
    }

    /// Every visible long option and flag of every subcommand, and each command's positional
    /// arguments' value names.
    static func declarations() throws -> (options: [Option], positionals: [String: [String]]) {
        let dump = try HAExplainBinary.run(["--experimental-dump-help"])
        let root = try #require(try JSONSerialization.jsonObject(with: Data(dump.stdout.utf8)) as? [String: Any], "\(dump.stderr)")
        let subcommands = try #require((root["command"] as? [String: Any])?["subcommands"] as? [[String: Any]])
        var options: [Option] = []
        var positionals: [String: [String]] = [:]
        for subcommand in subcommands {
            guard let command = subcommand["commandName"] as? String, command != "help" else { continue }
            for argument in subcommand["arguments"] as? [[String: Any]] ?? [] where argument["shouldDisplay"] as? Bool != false {
                let kind = argument["kind"] as? String
                if kind == "positional" {
                    if argument["isOptional"] as? Bool != true { positionals[command, default: []].append(argument["valueName"] as? String ?? "") }
                    continue
                }
                let names = (argument["names"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "long" }.compactMap { $0["name"] as? String }
                for name in names where !["help", "version"].contains(name) {
                    options.append(Option(command: command, name: name, valueName: argument["valueName"] as? String,
                                          parsing: argument["parsingStrategy"] as? String ?? ""))
                }
            }
        }
        return (options, positionals)
    }

    /// The man page's lines from the line `start` matches to the next line `end` matches.
    static func part(_ man: [Substring], from start: (Substring) -> Bool, to end: (Substring) -> Bool) -> [Substring] {
        guard let first = man.firstIndex(where: start) else { return [] }
        let rest = man[(first + 1)...]
        return Array(man[first..<(rest.firstIndex(where: end) ?? man.endIndex)])
    }

    /// mandoc writes a dash inside a name either way.
    static func mentions(_ lines: [Substring], _ option: String) -> Bool {
        let spellings = ["Fl \\-" + option, "Fl \\-" + option.replacingOccurrences(of: "-", with: "\\-")]
        return lines.contains { line in spellings.contains { line.contains($0) } }
    }

    @Test("every option of every command is in that command's SYNOPSIS and in its section of the man page (or the options common to all)")
    func everyOptionInTheManPage() throws {
        let man = try String(contentsOf: HAExplainBinary.packageRoot.appendingPathComponent("man/haexplain.1"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let (options, _) = try Self.declarations()
        let commands = Set(options.map(\.command))
        #expect(commands == ["ip", "addr", "neigh", "keepalived", "hosts", "vrrp", "snapshot", "haproxy", "check"])
        let synopsis = Self.part(man, from: { $0 == ".Sh SYNOPSIS" }, to: { $0.hasPrefix(".Sh ") })
        // One synopsis block per `.Nm`; a command may have several (haproxy and haproxy --check).
        var synopses: [String: [Substring]] = [:]
        var current: String?
        for line in synopsis {
            if line == ".Nm" { current = nil } else if line.hasPrefix(".Cm "), current == nil {
                current = String(line.dropFirst(4))
            } else if let current { synopses[current, default: []].append(line) }
        }
        let common = Self.part(man, from: { $0 == ".Ss Options common to the commands" }, to: { $0.hasPrefix(".S") })
        #expect(Self.mentions(common, "json") && Self.mentions(common, "netns"))
        let ipOptions = Set(options.filter { $0.command == "ip" }.map(\.name))
        for option in options {
            // check takes ip's question whole; its synopsis says so, and ip documents those options.
            let inherited = option.command == "check" && ipOptions.contains(option.name)
            let documentedBy = inherited ? "ip" : option.command
            if inherited {
                #expect(synopses["check"]?.contains { $0.contains("ip-options") } == true)
            }
            #expect(Self.mentions(synopses[documentedBy] ?? [], option.name), "the SYNOPSIS of \(documentedBy) lacks \(option)")
            let section = Self.part(man, from: { $0 == ".Ss \(documentedBy)" || $0.hasPrefix(".Ss \(documentedBy) ") },
                                    to: { $0.hasPrefix(".Ss ") || $0.hasPrefix(".Sh ") })
            #expect(!section.isEmpty, "no section for \(documentedBy)")
            #expect(Self.mentions(section, option.name) || Self.mentions(common, option.name),
                    "the section of \(documentedBy) does not describe \(option), nor do the options common to the commands")
        }
    }

    @Test("every duration option is a duration: declared as one, and a negative or too long one is refused as usage naming the option and its range")
    func everyDurationIsADuration() throws {
        let (options, positionals) = try Self.declarations()
        let durations = options.filter { option in
            option.valueName == "duration" || ["listen", "timeout", "interval", "wait", "deadline", "delay"].contains { option.name.contains($0) }
        }
        // ip, check, vrrp and snapshot listen; hosts waits for nameservers.
        #expect(Set(durations.map(\.description)).isSuperset(of: ["ip --listen", "check --listen", "vrrp --listen", "snapshot --listen", "hosts --dns-timeout"]))
        for option in durations where option.name != "no-listen" {
            #expect(option.valueName == "duration", "\(option) is not declared as a duration")
            // Unconditional parsing: "-5" reaches the duration's own check instead of reading as an option.
            #expect(option.parsing == "unconditional", "\(option) parses \(option.parsing)")
            let arguments = (positionals[option.command] ?? []).map { _ in "127.0.0.1" }
            for bad in ["-5", "25h", "soon"] {
                let result = try HAExplainBinary.run([option.command] + arguments + ["--\(option.name)", bad])
                #expect(result.status == 64 && result.stderr.contains("--\(option.name)")
                        && (result.stderr.contains("takes a duration") || result.stderr.contains("out of range")),
                        "\(option) \(bad): status \(result.status), \(result.stderr)")
            }
        }
    }
}
