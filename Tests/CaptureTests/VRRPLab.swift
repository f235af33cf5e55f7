import Foundation
import LabSupport

/// A LAN of keepalived nodes and one observer (an application server) on a bridge, each in
/// its own network namespace; keepalived runs in a pid and mount namespace of its own with
/// its pid files in the lab's temporary directory, so nothing of the host is touched.
final class VRRPLab: @unchecked Sendable {
    struct Node {
        var role: String
        var address: String
        var mac: String
        var namespace = ""
    }

    let lab: NetnsLab
    let directory: URL
    let bridgeNamespace: String
    let observer: String
    private(set) var nodes: [String: Node] = [:]

    /// `isolated`: the nodes' bridge ports cannot reach each other (the observer still hears
    /// all). `hub`: the bridge floods unicast too, so the observer sees unicast adverts.
    /// `prefix`: the namespaces' (a suite of its own keeps others' stale-namespace sweep off its labs).
    init(nodes: [Node], isolated: Bool = false, hub: Bool = false, prefix: String = "hxv") throws {
        lab = NetnsLab(prefix: prefix)
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxv-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        bridgeNamespace = try lab.namespace("sw")
        try lab.ip(bridgeNamespace, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        if hub { try lab.ip(bridgeNamespace, "link", "set", "br0", "type", "bridge", "ageing_time", "0") }
        try lab.ip(bridgeNamespace, "link", "set", "br0", "up")
        var all = nodes
        all.append(Node(role: "obs", address: "192.168.3.10", mac: "02:00:00:00:00:10"))
        var observerName = ""
        for (index, var node) in all.enumerated() {
            node.namespace = try lab.namespace(node.role)
            // Link-local IPv6 addresses usable at once, for VRRPv3 over IPv6.
            try lab.exec(node.namespace, ["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0", "net.ipv6.conf.all.accept_dad=0"])
            try lab.ip(bridgeNamespace, "link", "add", "p\(index)", "type", "veth", "peer", "name", "eth2", "netns", node.namespace)
            try lab.ip(bridgeNamespace, "link", "set", "p\(index)", "master", "br0", "up")
            if isolated, node.role != "obs" {
                try Shell.check(["ip", "netns", "exec", bridgeNamespace, "bridge", "link", "set", "dev", "p\(index)", "isolated", "on"])
            }
            try lab.ip(node.namespace, "link", "set", "eth2", "address", node.mac)
            try lab.ip(node.namespace, "addr", "add", "\(node.address)/24", "dev", "eth2")
            try lab.ip(node.namespace, "link", "set", "eth2", "up")
            if node.role == "obs" { observerName = node.namespace } else { self.nodes[node.role] = node }
        }
        observer = observerName
    }

    /// A second LAN on a bridge of its own: `nodes` on it alone (their interface named eth3), and
    /// the namespaces in `joining` (role, or "obs" for the observer) given an eth3 there with its address.
    func addSecondLAN(_ nodes: [Node], joining: [(role: String, address: String)]) throws {
        try lab.ip(bridgeNamespace, "link", "add", "br1", "type", "bridge", "mcast_snooping", "0")
        try lab.ip(bridgeNamespace, "link", "set", "br1", "up")
        var ports = joining.map { (namespace: $0.role == "obs" ? observer : self.nodes[$0.role]!.namespace, address: $0.address, mac: nil as String?) }
        for var node in nodes {
            node.namespace = try lab.namespace(node.role)
            self.nodes[node.role] = node
            ports.append((node.namespace, node.address, node.mac))
        }
        for (index, port) in ports.enumerated() {
            try lab.ip(bridgeNamespace, "link", "add", "q\(index)", "type", "veth", "peer", "name", "eth3", "netns", port.namespace)
            try lab.ip(bridgeNamespace, "link", "set", "q\(index)", "master", "br1", "up")
            if let mac = port.mac { try lab.ip(port.namespace, "link", "set", "eth3", "address", mac) }
            try lab.ip(port.namespace, "addr", "add", "\(port.address)/24", "dev", "eth3")
            try lab.ip(port.namespace, "link", "set", "eth3", "up")
        }
    }

    deinit {
        lab.teardown()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts keepalived (VRRP only, in the foreground) on `role`; with `haproxy`, a process
    /// named haproxy runs beside it so `killall -0 haproxy` track scripts succeed.
    @discardableResult
    func startKeepalived(_ role: String, config: String, haproxy: Bool = false) throws -> Daemon {
        let node = nodes[role]!
        let configFile = directory.appendingPathComponent("\(role).conf")
        try config.write(to: configFile, atomically: true, encoding: .utf8)
        let pid = directory.appendingPathComponent("\(role).pid").path
        let vrrpPid = directory.appendingPathComponent("\(role).vrrp.pid").path
        var script = ""
        if haproxy {
            let fake = directory.appendingPathComponent("haproxy").path
            if !FileManager.default.fileExists(atPath: fake) { try FileManager.default.copyItem(atPath: "/bin/sleep", toPath: fake) }
            script += "\(fake) 100000 & "
        }
        script += "exec keepalived -n -l -D -f \(configFile.path) --vrrp -p \(pid) -r \(vrrpPid)"
        return try lab.spawn(node.namespace, ["sh", "-c", script],
                             output: directory.appendingPathComponent("\(role).log"))
    }

    /// The host PIDs of the children of a spawned `unshare` (the namespace's init and below).
    func descendants(of process: Daemon) -> [(pid: Int32, name: String)] {
        var found: [(Int32, String)] = []
        var queue = [process.pid]
        while let pid = queue.popLast() {
            let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
            for child in children.split(separator: " ").compactMap({ Int32($0) }) {
                let name = (try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                found.append((child, name))
                queue.append(child)
            }
        }
        return found
    }

    /// Signals one process that this lab started, found by name among its descendants.
    func signal(_ name: String, in process: Daemon, _ signal: Int32 = SIGTERM) {
        for entry in descendants(of: process) where entry.name == name {
            kill(entry.pid, signal)
            return
        }
    }

    /// Starts tcpdump writing every VRRP packet the observer receives to `name`.pcap
    /// (on `any` tcpdump writes Linux cooked v2 frames, on eth2 Ethernet).
    func startCapture(_ name: String, interface: String = "eth2") throws -> (process: Daemon, file: URL) {
        let file = directory.appendingPathComponent("\(name).pcap")
        let process = try lab.spawn(observer, ["tcpdump", "-i", interface, "-U", "-nn", "-w", file.path,
                                               "ip proto 112 or ip6 proto 112 or ip proto 51"],
                                    ownPIDNamespace: false, output: directory.appendingPathComponent("\(name).tcpdump.log"))
        // tcpdump prints "listening on" once the socket is bound.
        _ = poll(timeout: 5) {
            ((try? String(contentsOf: self.directory.appendingPathComponent("\(name).tcpdump.log"), encoding: .utf8)) ?? "")
                .contains("listening")
        }
        return (process, file)
    }

    func stopCapture(_ capture: (process: Daemon, file: URL)) {
        lab.stop(capture.process)
    }

    /// Whether `address` is assigned on `role`'s eth2 (keepalived adds VIPs as master).
    func holds(_ role: String, _ address: String) -> Bool {
        ((try? lab.ip(nodes[role]!.namespace, "-o", "addr", "show", "dev", "eth2")) ?? "").contains(" \(address)/")
    }

    func log(_ role: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent("\(role).log"), encoding: .utf8)) ?? ""
    }
}

/// The haexplain binary built next to the tests.
enum HAExplainBinary {
    static var path: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/haexplain").path
    }

    /// Runs haexplain and parses its JSON output.
    static func json(_ arguments: [String]) throws -> (status: Int32, json: [String: Any]?, stderr: String) {
        let result = try Shell.run([path] + arguments, timeout: 60)
        let object = try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (result.status, object, result.stderr)
    }
}

/// Reads the parts of a census JSON document tests assert on.
struct CensusJSON {
    let root: [String: Any]

    var routers: [[String: Any]] { root["routers"] as? [[String: Any]] ?? [] }

    func router(_ vrid: Int, family: String = "inet") -> [String: Any]? {
        routers.first { $0["vrid"] as? Int == vrid && $0["family"] as? String == family }
    }

    func verdicts(_ vrid: Int, family: String = "inet") -> [String] {
        (router(vrid, family: family)?["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    func master(_ vrid: Int, family: String = "inet") -> (address: String, priority: Int)? {
        guard let master = router(vrid, family: family)?["master"] as? [String: Any],
              let address = master["address"] as? String, let priority = master["priority"] as? Int else { return nil }
        return (address, priority)
    }

    func senders(_ vrid: Int, family: String = "inet") -> [[String: Any]] {
        router(vrid, family: family)?["senders"] as? [[String: Any]] ?? []
    }

    func sender(_ vrid: Int, _ address: String, family: String = "inet") -> [String: Any]? {
        senders(vrid, family: family).first { $0["address"] as? String == address }
    }

    func events(_ vrid: Int, family: String = "inet") -> [[String: Any]] {
        router(vrid, family: family)?["events"] as? [[String: Any]] ?? []
    }
}
