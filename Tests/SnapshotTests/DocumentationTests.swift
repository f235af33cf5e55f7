import Foundation
import LabSupport
import Testing

/// README, --help, the man page and the shell completions describe the same commands and
/// options, so none of them drifts from the declarations.
@Suite struct DocumentationTests {
    static func subcommands() throws -> [String] {
        let help = try HAExplainBinary.run(["--help"]).stdout
        guard let start = help.range(of: "SUBCOMMANDS:") else { return [] }
        // The list ends at the first blank line (a "See ..." hint follows it).
        let list = help[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false)
            .dropFirst().prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        return list.compactMap { line in
            let words = line.split(separator: " ")
            guard line.hasPrefix("  "), !line.hasPrefix("    "), let first = words.first else { return nil }
            return String(first)
        }.filter { $0 != "help" }
    }

    @Test("every subcommand is in the man page, the README and all three completion scripts")
    func commandsEverywhere() throws {
        let commands = try DocumentationTests.subcommands()
        #expect(Set(commands) == ["ip", "addr", "neigh", "keepalived", "hosts", "vrrp", "snapshot", "haproxy", "check"])
        let root = HAExplainBinary.packageRoot
        let man = try String(contentsOf: root.appendingPathComponent("man/haexplain.1"), encoding: .utf8)
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for shell in ["bash", "zsh", "fish"] {
            let script = try HAExplainBinary.run(["--generate-completion-script", shell]).stdout
            for command in commands { #expect(script.contains(command), "\(shell) completion lacks \(command)") }
        }
        for command in commands {
            #expect(man.contains(".Ss \(command)"), "man page lacks a section for \(command)")
            #expect(readme.contains("haexplain \(command)"), "README lacks \(command)")
        }
    }

    @Test("every long option of every command in --help is documented in the man page")
    func optionsInManPage() throws {
        let man = try String(contentsOf: HAExplainBinary.packageRoot.appendingPathComponent("man/haexplain.1"), encoding: .utf8)
        let commands = try DocumentationTests.subcommands()
        #expect(commands.count >= 9)
        for command in commands {
            let help = try HAExplainBinary.run([command, "--help"]).stdout
            let options = Set(help.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "," || $0 == "|" })
                .filter { $0.hasPrefix("--") && $0.count > 2 }
                .map { String($0.prefix { $0 != "=" && $0 != "]" && $0 != ")" && $0 != "." }) })
                .subtracting(["--help", "--version"])
            #expect(!options.isEmpty || command == "help", "\(command) --help lists no option")
            for option in options {
                // mandoc spells a dash inside a name either way.
                let name = option.dropFirst(2)
                #expect(man.contains("Fl \\-" + name) || man.contains("Fl \\-" + name.replacingOccurrences(of: "-", with: "\\-")),
                        "man page lacks \(option) of \(command)")
            }
        }
    }
}

@Suite struct StartupTests {
    @Test("haexplain does not load libpcap (and the libraries it pulls in) until a command captures")
    func libpcapIsLoadedLazily() throws {
        let result = try Shell.run(["ldd", HAExplainBinary.path])
        #expect(result.succeeded)
        #expect(result.stdout.contains("libmnl"), "ldd lists the libraries linked: \(result.stdout)")
        #expect(!result.stdout.contains("libpcap"))
    }
}
