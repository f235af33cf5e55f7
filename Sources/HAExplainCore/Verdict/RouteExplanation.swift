import HAModel

/// What the kernel's route answers mean for the address, in the operator's words: on-link
/// or via a gateway, from which source, which table and which policy rule chose it.
public enum RouteExplanation {
    /// The rule that chose the table: the first, by priority, that selects a packet this host
    /// sends to the address and looks up the table the kernel reports (or refuses, when the
    /// kernel refused); a rule whose suppress_prefixlength rejects the entry found did not choose.
    public static func choosingRule(_ rules: [PolicyRule], fibEntry: KernelRoute?, refused: String?) -> PolicyRule? {
        for rule in rules.sorted(by: { $0.priority < $1.priority }) where rule.selectsLocalTraffic && rule.unjudged.isEmpty {
            if let fibEntry, rule.table == fibEntry.table {
                if let suppress = rule.suppressPrefixLength, fibEntry.dstLength <= suppress { continue }
                return rule
            }
            if fibEntry == nil, let refused, rule.action == refused { return rule }
        }
        return nil
    }

    public static func path(_ address: IPAddress, route: KernelRoute?, fibEntry: KernelRoute?, refused: String?, error: String?,
                            rules: [PolicyRule], source: Source) -> RoutePath {
        let rule = choosingRule(rules, fibEntry: fibEntry, refused: refused)
        // The three rules every kernel starts with choose nothing worth saying.
        let defaults: Set<String> = ["from all lookup local", "from all lookup main", "from all lookup default"]
        let ruleText = rule.flatMap { defaults.contains($0.text) ? nil : "chosen by rule \($0.priority) (\($0.text))" }
        var summary: String
        if let route {
            let table = "table \(route.table)" + (fibEntry.map { ", entry \($0.dst)" } ?? "")
            let from = route.prefsrc.map { ", source \($0)" } ?? ""
            switch route.type {
            case "local":
                summary = "local: \(address) is this host's own address, delivered to itself (\(table))"
            case "broadcast":
                summary = "broadcast on \(route.dev ?? "?")\(from) (\(table))"
            case "multicast":
                summary = "multicast out of \(route.dev ?? "?")\(from)"
            default:
                if let gateway = route.gateway {
                    summary = "via gateway \(gateway) on \(route.dev ?? "?")\(from) (\(table))"
                } else {
                    summary = "on-link on \(route.dev ?? "?"): directly on that network\(from) (\(table))"
                }
            }
        } else {
            switch refused {
            case "blackhole": summary = "the kernel drops packets to \(address) silently: a blackhole route"
            case "unreachable": summary = "the kernel refuses packets to \(address): an unreachable route (senders here get 'No route to host')"
            case "prohibit": summary = "the kernel refuses packets to \(address): a prohibit route (senders here get 'Permission denied')"
            case "none": summary = "no route to \(address) here (senders here get 'Network is unreachable')"
            default: summary = "the kernel did not answer the route lookup: \(error ?? "unknown error")"
            }
            if let fibEntry { summary += " (table \(fibEntry.table), entry \(fibEntry.dst))" }
        }
        if let ruleText { summary += "; " + ruleText }
        return RoutePath(address: address, route: route, fibEntry: fibEntry, refused: refused, error: error, rule: rule,
                         summary: summary, source: source)
    }
}
