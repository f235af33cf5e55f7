import Foundation
import LabSupport
import Testing

/// Read-only, proven: every command and option (but the explicit ones that act:
/// --run-track-scripts, --probe, --ask-keepalived) runs on the seed lab's balancer lb0 under
/// strace, and the node's addresses, links, routes, neighbours, multicast memberships,
/// sysctls, nftables ruleset and the hashes and mtimes of every file it read are the same
/// before and after; no file is opened for writing, none is created, renamed or removed,
/// and no signal is sent.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct ReadOnlyTests {
    /// The node's state that a command could change, as text to compare.
    static func state(_ lab: SeedLab) throws -> [String: String] {
        var state: [String: String] = [:]
        func record(_ name: String, _ argv: [String]) throws {
            let result = try lab.run(on: "lb0", argv)
            #expect(result.succeeded, "\(argv): \(result.stderr)")
            state[name] = result.stdout
        }
        try record("addresses", ["ip", "-d", "addr", "show"])
        try record("links", ["ip", "-d", "link", "show"])
        try record("routes", ["sh", "-c", "ip route show table all; ip -6 route show table all; ip rule show; ip -6 rule show"])
        // Neighbour states age on their own; addresses, devices and MACs must not change.
        try record("neighbours", ["sh", "-c", "ip neigh show nud all | awk '{print $1, $2, $3, $4, $5}' | sort"])
        try record("multicast", ["ip", "maddr", "show"])
        try record("sysctls", ["sh", "-c", "sysctl -a 2>/dev/null | grep -E '^net\\.(ipv4|ipv6)\\.(conf|neigh|ip_nonlocal_bind|ip_forward)' | sort"])
        try record("nftables", ["nft", "list", "ruleset"])
        try record("files", ["sh", "-c", "find /etc /var/tmp/\(lab.prefix)-lab -xdev -type f -exec stat -c '%n %s %Y %y' {} + | sort; find /etc /var/tmp/\(lab.prefix)-lab -xdev -type f -exec sha256sum {} + | sort"])
        return state
    }

    @Test("every command and option leaves lb0 as it found it")
    func everyCommandIsReadOnly() throws {
        let lab = try SeedLab("ro")
        let dir = "/var/tmp/\(lab.prefix)-lab"
        // Inputs given by path: a snapshot of lb1 and an empty capture file.
        let snapshot = try lab.haexplain(on: "lb1", ["snapshot"])
        #expect(snapshot.succeeded)
        try snapshot.stdout.write(toFile: "\(dir)/lb1.json", atomically: true, encoding: .utf8)
        let pcap: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0]
        try Data(pcap).write(to: URL(fileURLWithPath: "\(dir)/empty.pcap"))

        let runs: [[String]] = [
            ["addr"], ["addr", "eth2", "--json"], ["addr", "--netns", "/proc/1/ns/net"],
            ["neigh"], ["neigh", "192.168.3.200", "--json"],
            ["keepalived"], ["keepalived", "--json", "--keepalived-config", "/etc/keepalived/keepalived.conf", "--config-id", "lb0"],
            ["hosts", "prod-db-internal.panda.com", "--dns-timeout", "500ms"], ["hosts", "192.168.3.200", "--json", "--no-dns", "--hosts-file", "/etc/hosts"],
            ["vrrp", "--listen", "1"], ["vrrp", "--interface", "eth2", "--listen", "1", "--json"], ["vrrp", "--read", "\(dir)/empty.pcap"],
            ["haproxy"], ["haproxy", "192.168.3.200:3306", "--json", "--haproxy-config", "/etc/haproxy/haproxy.cfg"],
            ["ip", "192.168.3.200", "--listen", "2"],
            ["ip", "prod-db-internal.panda.com", "--no-listen", "--json", "--no-dns", "--hosts-file", "/etc/hosts",
             "--keepalived-config", "/etc/keepalived/keepalived.conf", "--config-id", "lb0", "--haproxy-config", "/etc/haproxy/haproxy.cfg"],
            ["ip", "192.168.3.200", "--from", "\(dir)/lb1.json"],
            // No ssh server answers there: the options are read and the attempt fails, changing nothing.
            ["ip", "192.168.3.200", "--no-listen", "--host", "192.0.2.1", "--remote-haexplain", "/usr/bin/haexplain",
             "--ssh-option", "-oConnectTimeout=1", "--ssh-option", "-oUserKnownHostsFile=/dev/null"],
            ["snapshot"], ["snapshot", "--listen", "1"],
        ]
        let mutating = "creat,truncate,ftruncate,unlink,unlinkat,rename,renameat,renameat2,mkdir,mkdirat,rmdir,chmod,fchmod,fchmodat,"
            + "chown,fchown,fchownat,lchown,link,linkat,symlink,symlinkat,utime,utimes,utimensat,kill,tkill,tgkill,mount,umount2"
        // Traces go beside the lab's directory, not into the files checked.
        let traces = "\(dir)-traces"
        try FileManager.default.createDirectory(atPath: traces, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: traces) }
        // The loopback device has one neighbour entry (0.0.0.0, NOARP), made by the first packet
        // any program sends over lo: glibc's resolver and haexplain's DNS question to 127.0.0.1
        // would make it. Made here first, so it is not taken for a change.
        _ = try lab.run(on: "lb0", ["ping", "-c", "1", "-W", "1", "127.0.0.1"])
        let before = try Self.state(lab)
        var read: Set<String> = []
        for (index, arguments) in runs.enumerated() {
            let trace = "\(traces)/trace-\(index)"
            let result = try lab.run(on: "lb0", ["strace", "-f", "-qq", "-o", trace, "-e", "trace=open,openat,\(mutating)",
                                                 HAExplainBinary.path] + arguments)
            #expect(result.status != 124 && !result.stderr.contains("Assertion") && !result.stderr.contains("Fatal error"),
                    "\(arguments): \(result.status) \(result.stderr)")
            let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
            for line in lines {
                // "PID   call(arguments) = result"
                let call = line.drop { $0 != " " }.drop { $0 == " " }
                if mutating.split(separator: ",").contains(where: { call.hasPrefix("\($0)(") }) {
                    Issue.record("\(arguments) changed something: \(line)")
                }
                guard call.hasPrefix("open"), let path = line.split(separator: "\"").dropFirst().first else { continue }
                let writes = ["O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_APPEND"].contains { line.contains($0) }
                if writes, path != "/dev/null", path != "/dev/tty" { Issue.record("\(arguments) opened \(path) for writing: \(line)") }
                if !line.contains("= -1"), !writes { read.insert(String(path)) }
            }
        }
        let after = try Self.state(lab)
        for (name, text) in before {
            let was = text.split(separator: "\n"), now = (after[name] ?? "").split(separator: "\n")
            #expect(was == now, "\(name) changed: gone \(was.filter { !now.contains($0) }.prefix(10)), new \(now.filter { !was.contains($0) }.prefix(10))")
        }
        // Every file read is among those hashed (the rest are programs, libraries and the kernel's own files).
        let hashed = Set((before["files"] ?? "").split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) })
        let system = ["/proc", "/sys/", "/dev/", "/usr/", "/lib", "/opt/", "/etc/ld.so.cache", "/run/netns/", HAExplainBinary.packageRoot.path]
        let unhashed = read.filter { path in
            !hashed.contains(path) && !system.contains { path.hasPrefix($0) } && !path.hasSuffix(".so") && path != "/" && path != "."
        }
        #expect(unhashed.isEmpty, "files read but not checked: \(unhashed.sorted())")
        #expect(read.contains("/etc/keepalived/keepalived.conf") && read.contains("/etc/haproxy/haproxy.cfg") && read.contains("/etc/hosts"),
                "\(read.sorted())")
    }
}
