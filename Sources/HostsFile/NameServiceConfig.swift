import HAModel

/// host.conf as glibc's res_hconf reads it; only `multi` changes how the hosts file answers.
public struct HostConf: Sendable, Hashable {
    public var file: String
    /// glibc's default is off; the last `multi` line wins.
    public var multi: Bool
    /// The line that set `multi`, nil when it is glibc's default.
    public var line: Int?

    public init(file: String, multi: Bool = false, line: Int? = nil) {
        self.file = file
        self.multi = multi
        self.line = line
    }

    public static func parse(_ text: String, file: String) -> HostConf {
        var conf = HostConf(file: file)
        for (number, words) in ConfigLines.words(text) {
            guard words.count >= 2, words[0].lowercased() == "multi" else { continue }
            switch words[1].lowercased() {
            case "on": conf.multi = true; conf.line = number
            case "off": conf.multi = false; conf.line = number
            default: continue
            }
        }
        return conf
    }
}

/// The `hosts:` line of nsswitch.conf: the sources glibc asks, in order, with their actions.
public struct NSSwitchHosts: Sendable, Hashable, Codable {
    public struct Entry: Sendable, Hashable, Codable {
        public var service: String
        /// Criteria after this service, as written: "[NOTFOUND=return]" becomes ["NOTFOUND=return"].
        public var actions: [String]

        public init(service: String, actions: [String] = []) {
            self.service = service
            self.actions = actions
        }

        /// True when the service stops the lookup once it reports `status` ("NOTFOUND", ...).
        public func returns(on status: String) -> Bool {
            for action in actions {
                let parts = action.split(separator: "=", maxSplits: 1).map { $0.uppercased() }
                guard parts.count == 2 else { continue }
                let negated = parts[0].hasPrefix("!")
                let matches = (negated ? String(parts[0].dropFirst()) : parts[0]) == status.uppercased()
                if matches != negated { return parts[1] == "RETURN" }
            }
            // glibc's default: stop on SUCCESS, go on otherwise.
            return status.uppercased() == "SUCCESS"
        }
    }

    public var file: String
    /// nil when nsswitch.conf has no hosts line (glibc then uses "dns [!UNAVAIL=return] files").
    public var line: Int?
    public var sources: [Entry]

    public init(file: String, line: Int?, sources: [Entry]) {
        self.file = file
        self.line = line
        self.sources = sources
    }

    /// What glibc uses when nsswitch.conf has no hosts line or cannot be read.
    public static func glibcDefault(file: String) -> NSSwitchHosts {
        NSSwitchHosts(file: file, line: nil,
                      sources: [Entry(service: "dns", actions: ["!UNAVAIL=return"]), Entry(service: "files")])
    }

    public static func parse(_ text: String, file: String) -> NSSwitchHosts {
        var found: NSSwitchHosts? = nil
        for (number, raw) in ConfigLines.lines(text) {
            guard let colon = raw.firstIndex(of: ":") else { continue }
            let database = raw[..<colon].trimmingSpaces()
            guard database == "hosts" else { continue }
            var sources: [Entry] = []
            var rest = raw[raw.index(after: colon)...]
            while let first = rest.firstIndex(where: { !ConfigLines.isSpace($0) }) {
                rest = rest[first...]
                if rest.first == "[" {
                    let close = rest.firstIndex(of: "]") ?? rest.endIndex
                    let criteria = rest[rest.index(after: rest.startIndex)..<close]
                        .split(whereSeparator: ConfigLines.isSpace).map(String.init)
                    if !sources.isEmpty { sources[sources.count - 1].actions += criteria }
                    rest = close < rest.endIndex ? rest[rest.index(after: close)...] : rest[rest.endIndex...]
                } else {
                    let end = rest.firstIndex(where: { ConfigLines.isSpace($0) || $0 == "[" }) ?? rest.endIndex
                    sources.append(Entry(service: String(rest[..<end])))
                    rest = rest[end...]
                }
            }
            // glibc keeps the first hosts line it sees.
            if found == nil { found = NSSwitchHosts(file: file, line: number, sources: sources) }
        }
        return found ?? .glibcDefault(file: file)
    }
}

/// The nameservers of resolv.conf (and its timeout), each with the line it came from.
public struct ResolvConf: Sendable, Hashable {
    public struct Nameserver: Sendable, Hashable {
        public var address: IPAddress
        public var line: Int
    }

    public var file: String
    public var nameservers: [Nameserver]
    /// `options timeout:N`, glibc's default 5 seconds.
    public var timeoutSeconds: Int

    public static func parse(_ text: String, file: String) -> ResolvConf {
        var conf = ResolvConf(file: file, nameservers: [], timeoutSeconds: 5)
        for (number, words) in ConfigLines.words(text, comments: "#;") {
            switch words.first {
            case "nameserver":
                // glibc uses the first three; a zone index ("fe80::1%eth0") is dropped here.
                guard words.count >= 2, conf.nameservers.count < 3,
                      let address = IPAddress(words[1].split(separator: "%").first ?? "") else { continue }
                conf.nameservers.append(Nameserver(address: address, line: number))
            case "options":
                for option in words.dropFirst() where option.hasPrefix("timeout:") {
                    if let value = Int(option.dropFirst("timeout:".count)) { conf.timeoutSeconds = min(max(value, 0), 30) }
                }
            default:
                continue
            }
        }
        return conf
    }
}

/// Line splitting shared by the small configuration files glibc reads.
enum ConfigLines {
    static func isSpace(_ c: Character) -> Bool { c == " " || c == "\t" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" }

    /// Lines with their 1-based numbers, comments removed.
    static func lines(_ text: String, comments: String = "#") -> [(Int, Substring)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { index, raw in
            (index + 1, raw.prefix { !comments.contains($0) })
        }
    }

    /// Non-empty lines with their 1-based numbers, split into words, comments removed.
    static func words(_ text: String, comments: String = "#") -> [(Int, [String])] {
        lines(text, comments: comments).compactMap { number, content in
            let words = content.split(whereSeparator: isSpace).map(String.init)
            return words.isEmpty ? nil : (number, words)
        }
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop(while: ConfigLines.isSpace).reversed().drop(while: ConfigLines.isSpace).reversed())
    }
}
