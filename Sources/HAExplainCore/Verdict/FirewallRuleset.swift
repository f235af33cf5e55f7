import HAModel

/// A host's nftables ruleset, reduced to what judging blockers needs: chains with their hook,
/// priority and policy, rules as conditions and a verdict, each with table, chain, handle and
/// nft's own text. It travels in snapshots, so peers' blockers are judged from afar.
public struct FirewallFacts: Codable, Sendable, Equatable {
    public var source: Source
    public var chains: [FirewallChain]
    /// Legacy iptables (x_tables) tables present, which libnftables cannot list.
    public var legacyTables: [String]

    public init(source: Source, chains: [FirewallChain], legacyTables: [String] = []) {
        self.source = source
        self.chains = chains
        self.legacyTables = legacyTables
    }

    enum CodingKeys: String, CodingKey { case source, chains, legacyTables = "legacy_tables" }
}

public struct FirewallChain: Codable, Sendable, Equatable {
    public var family: String
    public var table: String
    public var name: String
    /// input, output, prerouting, ...; nil for a chain reached only by jump or goto.
    public var hook: String?
    public var priority: Int?
    public var policy: String?
    public var rules: [FirewallRule]
}

public struct FirewallRule: Codable, Sendable, Equatable {
    public var handle: Int
    /// The rule as `nft -a list ruleset` prints it.
    public var text: String?
    public var conditions: [FirewallCondition]
    /// accept, drop, reject, jump, goto, return, or none (counters, logs: the next rule decides).
    public var verdict: String
    /// The chain a jump or goto leads to.
    public var target: String?
}

/// One `match` of a rule: a field (as nft names it: "ip protocol", "tcp dport", "ct state"),
/// an operator and the values it is compared with (addresses, prefixes, ranges, names).
public struct FirewallCondition: Codable, Sendable, Equatable {
    public var field: String
    public var op: String
    public var values: [String]
    /// The named set the values came from (`@vips`).
    public var set: String?

    public init(field: String, op: String, values: [String], set: String? = nil) {
        self.field = field
        self.op = op
        self.values = values
        self.set = set
    }
}

public enum FirewallRuleset {
    /// Reads `nft -j list ruleset` (JSON, libnftables' schema 1) and `nft -a list ruleset`
    /// (text with handles, for each rule's words). Pure; errors say what was expected.
    public static func parse(json: [UInt8], text: String, source: Source, legacyTables: [String] = []) throws(HAError) -> FirewallFacts {
        let root: JSONValue
        do throws(JSONValue.SyntaxError) {
            root = try JSONValue.parse(json)
        } catch {
            throw HAError(.dataError, "the nftables ruleset is not JSON: \(error)")
        }
        guard let items = root["nftables"]?.array else {
            throw HAError(.dataError, "the nftables ruleset has no \"nftables\" array (libnftables' JSON schema 1 expected)")
        }
        let words = ruleTexts(text)
        var sets: [String: [String]] = [:]
        var chains: [FirewallChain] = []
        var index: [String: Int] = [:]
        for item in items {
            if let set = item["set"], let family = set["family"]?.string, let table = set["table"]?.string, let name = set["name"]?.string {
                sets["\(family) \(table) \(name)"] = (set["elem"]?.array ?? []).compactMap(value)
            } else if let chain = item["chain"], let family = chain["family"]?.string, let table = chain["table"]?.string,
                      let name = chain["name"]?.string {
                index["\(family) \(table) \(name)"] = chains.count
                chains.append(FirewallChain(family: family, table: table, name: name, hook: chain["hook"]?.string,
                                            priority: chain["prio"]?.int, policy: chain["policy"]?.string, rules: []))
            }
        }
        for item in items {
            guard let rule = item["rule"], let family = rule["family"]?.string, let table = rule["table"]?.string,
                  let chain = rule["chain"]?.string, let at = index["\(family) \(table) \(chain)"] else { continue }
            let handle = rule["handle"]?.int ?? 0
            var parsed = FirewallRule(handle: handle, text: words["\(family) \(table) \(chain) \(handle)"], conditions: [], verdict: "none")
            for statement in rule["expr"]?.array ?? [] {
                guard case .object(let object) = statement, object.count == 1, let (kind, body) = object.first else { continue }
                switch kind {
                case "match":
                    let op = body["op"]?.string ?? "=="
                    let field = fieldName(body["left"])
                    var condition = FirewallCondition(field: field, op: op, values: [])
                    if let reference = body["right"]?.string, reference.hasPrefix("@") {
                        condition.set = String(reference.dropFirst())
                        condition.values = sets["\(family) \(table) \(reference.dropFirst())"] ?? []
                    } else if let right = body["right"] {
                        condition.values = values(right)
                    }
                    parsed.conditions.append(condition)
                case "accept", "drop", "reject", "return", "continue":
                    parsed.verdict = kind
                case "jump", "goto":
                    parsed.verdict = kind
                    parsed.target = body["target"]?.string
                case "queue":
                    parsed.verdict = "queue"
                case "counter", "log", "mangle", "notrack", "snat", "dnat", "masquerade", "redirect", "set", "comment":
                    // Statements that count, log or rewrite decide nothing.
                    break
                default:
                    // A rate limit, a quota, an iptables-nft match libnftables shows as "xt", ...:
                    // a condition this reading cannot judge, so the rule is never taken as certain.
                    parsed.conditions.append(FirewallCondition(field: kind, op: "?", values: []))
                }
            }
            chains[at].rules.append(parsed)
        }
        return FirewallFacts(source: source, chains: chains, legacyTables: legacyTables)
    }

    /// "ip daddr", "meta l4proto", "ct state", ... from a match's left side.
    static func fieldName(_ left: JSONValue?) -> String {
        guard let left else { return "?" }
        if let payload = left["payload"] {
            return "\(payload["protocol"]?.string ?? "?") \(payload["field"]?.string ?? "?")"
        }
        if let meta = left["meta"] { return "meta \(meta["key"]?.string ?? "?")" }
        if let ct = left["ct"] { return "ct \(ct["key"]?.string ?? "?")" }
        if case .object(let object) = left, let key = object.map(\.0).sorted().first { return key }
        return "?"
    }

    static func values(_ right: JSONValue) -> [String] {
        if let set = right["set"]?.array { return set.compactMap(value) }
        if let list = right.array { return list.compactMap(value) }
        return value(right).map { [$0] } ?? []
    }

    /// One element: a scalar, a prefix ("a/len"), a range ("a-b"), or a set element wrapper.
    static func value(_ item: JSONValue) -> String? {
        if let text = item.text { return text }
        if let prefix = item["prefix"], let address = prefix["addr"]?.text, let length = prefix["len"]?.int { return "\(address)/\(length)" }
        if let range = item["range"]?.array, range.count == 2, let low = range[0].text, let high = range[1].text { return "\(low)-\(high)" }
        if let element = item["elem"], let inner = element["val"] { return value(inner) }
        return nil
    }

    /// Each rule's words from `nft -a list ruleset`, keyed by "family table chain handle".
    static func ruleTexts(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var table = "", chain = ""
        for raw in text.split(separator: "\n") {
            let line = raw.drop { $0 == " " || $0 == "\t" }
            let words = line.split(separator: " ")
            if words.first == "table", words.count >= 3 {
                table = "\(words[1]) \(words[2])"
                chain = ""
            } else if words.first == "chain", words.count >= 2, line.hasSuffix("{") || line.contains("{ #") {
                chain = String(words[1])
            } else if let first = words.first, ["set", "map", "flowtable", "counter", "quota", "limit", "ct"].contains(first), line.contains("{") {
                chain = ""
            } else if !chain.isEmpty, let marker = line.firstRange(of: " # handle ") {
                let handle = line[marker.upperBound...].prefix { $0.isNumber }
                result["\(table) \(chain) \(handle)"] = String(line[..<marker.lowerBound])
            }
        }
        return result
    }
}
