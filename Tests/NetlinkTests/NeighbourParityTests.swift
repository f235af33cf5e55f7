import Foundation
import LabSupport
import Testing

/// `haexplain neigh` against iproute2 on three namespaces joined by a bridge, with entries
/// in every NUD state: learned by pinging (REACHABLE, IPv4 and IPv6) and set by hand.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
final class NeighbourParityTests {
    let lab = NetnsLab(prefix: "hxnb")
    let host: String

    init() throws {
        let bridge = try lab.namespace("sw")
        try lab.ip(bridge, "link", "add", "br0", "type", "bridge")
        try lab.ip(bridge, "link", "set", "br0", "up")
        var nodes: [String] = []
        for (number, role) in ["a", "b", "c"].enumerated() {
            let node = try lab.namespace(role)
            try lab.ip(bridge, "link", "add", "p\(role)", "type", "veth", "peer", "name", "eth0", "netns", node)
            try lab.ip(bridge, "link", "set", "p\(role)", "master", "br0", "up")
            try lab.ip(node, "addr", "add", "10.77.0.\(number + 1)/24", "dev", "eth0")
            try lab.ip(node, "addr", "add", "fd77::\(number + 1)/64", "dev", "eth0", "nodad")
            try lab.ip(node, "link", "set", "eth0", "up")
            nodes.append(node)
        }
        host = nodes[0]
        // Learned: REACHABLE over IPv4 and IPv6 (the kernel also adds NOARP multicast entries).
        for peer in ["10.77.0.2", "10.77.0.3", "fd77::2"] {
            let ping = try lab.exec(host, ["ping", "-c", "1", "-W", "2", peer])
            #expect(ping.succeeded, "ping \(peer): \(ping.stdout)\(ping.stderr)")
        }
        // Set by hand: the states a resolution passes through and the static kinds.
        try lab.ip(host, "neigh", "replace", "10.77.0.3", "lladdr", "02:00:00:00:00:03", "dev", "eth0", "nud", "stale")
        try lab.ip(host, "neigh", "add", "10.77.0.200", "lladdr", "00:00:5e:00:01:c8", "dev", "eth0", "nud", "permanent")
        try lab.ip(host, "neigh", "add", "10.77.0.201", "lladdr", "02:00:00:00:02:01", "dev", "eth0", "nud", "noarp")
        try lab.ip(host, "neigh", "add", "10.77.0.97", "dev", "eth0", "nud", "incomplete")
        try lab.ip(host, "neigh", "add", "10.77.0.98", "dev", "eth0", "nud", "failed")
        try lab.ip(host, "neigh", "add", "10.77.0.99", "dev", "eth0", "nud", "none")
        try lab.ip(host, "neigh", "add", "fd77::200", "lladdr", "00:00:5e:00:02:c8", "dev", "eth0", "nud", "permanent")
        try lab.ip(host, "neigh", "add", "fd77::fe", "lladdr", "02:00:00:00:00:fe", "dev", "eth0", "nud", "stale", "router")
        try lab.ip(host, "neigh", "add", "10.77.0.150", "lladdr", "02:00:00:00:01:50", "dev", "eth0", "nud", "reachable", "extern_learn")
    }

    deinit { lab.teardown() }

    static let ownKeys: Set<String> = ["ifindex", "raw_state", "raw_flags", "vrrp_virtual_router"]
    static let ageKeys: Set<String> = ["used", "confirmed", "updated"]

    func iproute2() throws -> [[String: Any]] {
        let text = try Shell.check(["ip", "-n", host, "-j", "-s", "neigh", "show", "nud", "all"])
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    /// Entries keyed by dst and dev, their values as comparable text; iproute2's `null`
    /// flags are haexplain's `true`, its absent state haexplain's `[]`; ages are left out.
    static func keyed(_ entries: [[String: Any]]) -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for entry in entries {
            let key = "\(entry["dst"] ?? "?") dev \(entry["dev"] ?? "?")"
            var values: [String: String] = [:]
            for (name, value) in entry where !ownKeys.contains(name) && !ageKeys.contains(name) {
                if value is NSNull || NeighbourParityTests.isTrue(value) {
                    values[name] = "set"
                } else if let list = value as? [Any] {
                    values[name] = list.map { "\($0)" }.joined(separator: ",")
                } else {
                    values[name] = "\(value)"
                }
            }
            if values["state"] == "" { values["state"] = nil }
            result[key] = values
        }
        return result
    }

    /// JSON `true`, told apart from the number 1 (both arrive as NSNumber).
    static func isTrue(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c" && number.boolValue
    }

    @Test("neigh --json equals `ip -j -s neigh show nud all`: every entry and every field, IPv4 and IPv6")
    func parityWithIproute2() throws {
        // Entries age by themselves; compare a reading bracketed by two equal iproute2 readings.
        var compared = false
        for _ in 0..<3 {
            let before = try iproute2()
            let ours = try HAExplainBinary.json(["neigh", "--netns", host])
            let after = try iproute2()
            guard NeighbourParityTests.keyed(before) == NeighbourParityTests.keyed(after) else { continue }
            compared = true
            #expect(ours["schema_version"] as? Int == 4)
            let mine = try #require(ours["neighbours"] as? [[String: Any]])
            let theirs = NeighbourParityTests.keyed(after)
            #expect(NeighbourParityTests.keyed(mine) == theirs)
            #expect(mine.map { "\($0["dst"]!)" } == after.map { "\($0["dst"]!)" }, "the kernel's order, IPv4 then IPv6")
            // Ages are whole seconds read a moment apart.
            for (a, b) in zip(mine, after) {
                for key in NeighbourParityTests.ageKeys {
                    let x = a[key] as? Int ?? -100, y = b[key] as? Int ?? -100
                    #expect(abs(x - y) <= 2, "\(a["dst"]!).\(key): ours \(x) ip \(y)")
                }
            }
            // Every state the lab made is there, so the comparison covered them.
            let states = Set(theirs.values.compactMap { $0["state"] })
            #expect(states.isSuperset(of: ["REACHABLE", "STALE", "PERMANENT", "NOARP", "INCOMPLETE", "FAILED"]), "\(states)")
            #expect(theirs.keys.contains("fd77::2 dev eth0") && theirs["fd77::fe dev eth0"]?["router"] == "set")
            #expect(theirs["10.77.0.99 dev eth0"] != nil && theirs["10.77.0.99 dev eth0"]?["state"] == nil)
            break
        }
        #expect(compared, "iproute2 never read the same table twice in a row")
    }

    @Test("neigh ADDRESS prints iproute2's line and names the VRRP virtual router of a virtual MAC")
    func oneAddressText() throws {
        for (address, vrid, family) in [("10.77.0.200", 200, "IPv4"), ("fd77::200", 200, "IPv6")] {
            let ours = try HAExplainBinary.run(["neigh", address, "--netns", host])
            #expect(ours.succeeded, "\(ours.stderr)")
            let theirs = try Shell.check(["ip", "-n", host, "neigh", "show", address]).trimmingCharacters(in: .whitespacesAndNewlines)
            let line = try #require(ours.stdout.split(separator: "\n").last.map(String.init))
            #expect(line == "\(theirs) (VRRP virtual MAC of VRID \(vrid), \(family))")
        }
        let stale = try HAExplainBinary.run(["neigh", "10.77.0.3", "--netns", host])
        #expect(stale.stdout.hasSuffix("10.77.0.3 dev eth0 lladdr 02:00:00:00:00:03 STALE\n"))
        let none = try HAExplainBinary.run(["neigh", "10.77.0.123", "--netns", host, "--json"])
        #expect(none.succeeded && none.stdout.contains("\"neighbours\":[]"))
        let bad = try HAExplainBinary.run(["neigh", "not-an-address"])
        #expect(bad.status == 64)
        let missing = try HAExplainBinary.run(["neigh", "--netns", "hxnb-no-such-namespace-\(getpid())"])
        #expect(missing.status == 69 && missing.stderr.contains("no network namespace"))
    }
}
