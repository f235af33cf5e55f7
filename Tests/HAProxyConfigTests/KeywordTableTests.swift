import Foundation
import HAModel
import HAProxyConfig
import LabSupport
import Testing

/// haexplain's keyword tables against haproxy 2.6 itself: every keyword haexplain knows in a
/// section, haproxy knows there (whatever it then says of the missing arguments), and every
/// keyword haexplain calls removed, haproxy refuses on that very line.
@Suite("haproxy keyword tables against haproxy -c", .enabled(if: ConformanceTests.haproxyInstalled, "needs Debian's haproxy"))
struct KeywordTableTests {
    /// haproxy -c on `text`: its alerts by line number.
    static func alerts(_ text: String, name: String) throws -> [Int: [String]] {
        let path = "/tmp/hxhp-keywords-\(getpid())-\(name).cfg"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Shell.run(["haproxy", "-c", "-f", path], timeout: 30)
        var byLine: [Int: [String]] = [:]
        for alert in result.stderr.split(separator: "\n") where alert.contains("ALERT") {
            guard let range = alert.range(of: "\(path):") else { continue }
            let number = Int(alert[range.upperBound...].prefix { $0.isNumber }) ?? 0
            byLine[number, default: []].append(String(alert))
        }
        return byLine
    }

    /// Each of `lines` alone under `header` (one haproxy -c each: some keyword errors make
    /// haproxy stop reading), and what haproxy says on that line.
    static func check(header: String, lines: [String], name: String, known: Bool) throws {
        for (index, line) in lines.enumerated() {
            let said = try Self.alerts(header + "\n    " + line + "\n", name: "\(name)-\(index)")[2] ?? []
            if known {
                #expect(!said.contains { $0.contains("unknown keyword") || $0.contains("unknown option") || $0.contains("not supported any") || $0.contains("doesn't exist anymore") },
                        "haproxy does not know '\(line)' in \(header): \(said)")
            } else {
                #expect(!said.isEmpty, "haproxy accepts '\(line)' in \(header), which haexplain refuses")
            }
        }
    }

    @Test("every proxy keyword and option haexplain knows, haproxy knows; every removed one, haproxy refuses on its line")
    func proxies() throws {
        // A named defaults accepts the keywords every proxy kind has, as the listen parser reads them.
        let keywords = HAProxyKeywords.proxy.sorted().filter { !["bind", "server", "default-server", "server-template", "use_backend", "use-server", "dispatch", "acl", "usesrc"].contains($0) }
        try Self.check(header: "listen l", lines: keywords, name: "proxy", known: true)
        try Self.check(header: "listen l", lines: HAProxyKeywords.options.sorted().map { "option \($0)" }, name: "options", known: true)
        try Self.check(header: "listen l", lines: HAProxyKeywords.removedProxy.keys.sorted().map { "\($0) x" }, name: "removed", known: false)
        try Self.check(header: "listen l", lines: HAProxyKeywords.removedOptions.keys.sorted().map { "option \($0)" }, name: "removed-options", known: false)
        try Self.check(header: "listen l", lines: ["bnid :80", "serverr s 127.0.0.1:1", "tiemout client 1s", "option httplgo"], name: "misspelt", known: false)
    }

    @Test("every global keyword haexplain knows, haproxy knows; removed ones are refused on their line")
    func global() throws {
        try Self.check(header: "global", lines: HAProxyKeywords.global.sorted().filter { !["setenv", "presetenv", "unsetenv", "resetenv"].contains($0) }, name: "global", known: true)
        try Self.check(header: "global", lines: HAProxyKeywords.removedGlobal.keys.sorted().map { "\($0) 1" }, name: "global-removed", known: false)
        try Self.check(header: "global", lines: ["maxcon 10", "deamon"], name: "global-misspelt", known: false)
    }

    @Test("the keywords of userlist, peers, mailers, resolvers, cache, http-errors and program sections")
    func otherSections() throws {
        for (section, keywords) in HAProxyKeywords.otherSections.sorted(by: { $0.key < $1.key }) {
            try Self.check(header: "\(section) s", lines: keywords.sorted(), name: section, known: true)
            try Self.check(header: "\(section) s", lines: ["no-such-keyword"], name: section + "-unknown", known: false)
        }
    }

    @Test("every keyword this haproxy registers for global and proxies (haproxy -dKcfg) is in haexplain's tables")
    func registered() throws {
        let path = "/tmp/hxhp-keywords-\(getpid())-dk.cfg"
        try Data("global\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let dump = try Shell.run(["haproxy", "-dKcfg", "-q", "-c", "-f", path], timeout: 30)
        var section = ""
        var registered: [String: Set<String>] = [:]
        for line in (dump.stdout + dump.stderr).split(separator: "\n") {
            if !line.hasPrefix("\t") { section = String(line); continue }
            // "\tkeyword" alone; "\tbind <addr> ...", "\toption x [ FE ]" are sub-keywords.
            let words = line.dropFirst().split(separator: " ")
            if words.count == 1 { registered[section, default: []].insert(String(words[0])) }
        }
        let proxy = try #require(registered["listen"])
        let global = try #require(registered["global"])
        #expect(proxy.count > 20 && global.count > 20)
        let removed = Set(HAProxyKeywords.removedProxy.keys)
        #expect(proxy.subtracting(HAProxyKeywords.proxy).subtracting(removed).isEmpty)
        #expect(global.subtracting(HAProxyKeywords.global).isEmpty)
    }
}

