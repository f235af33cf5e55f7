import Foundation
import HAModel
import LabSupport
import Testing

/// Storms with real keepalived 2.2.7 on a bridge, asked as an operator asks in them: `ip`
/// from the application server (owner and exit status) while the daemons really do it, and
/// `vrrp` over a capture of all of it (verdicts).
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct StormLabTests {
    static let pair: [VRRPLab.Node] = [
        .init(role: "lb000", address: "192.168.3.4", mac: "bc:76:4e:05:6c:1c"),
        .init(role: "lb001", address: "192.168.3.5", mac: "bc:76:4e:05:eb:70"),
    ]

    /// `haexplain ip ADDRESS --json --no-dns` from the application server.
    static func ask(_ lab: VRRPLab, _ address: String, _ options: [String] = []) throws -> (status: Int32, answer: [String: Any], listened: String) {
        let result = try lab.lab.exec(lab.observer, [HAExplainBinary.path, "ip", address, "--json", "--no-dns"] + options)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let answer = try #require((report["answers"] as? [[String: Any]])?.first)
        return (result.status, answer["verdict"] as? [String: Any] ?? [:], (report["listened"] as? [String: Any])?["detail"] as? String ?? "")
    }

    /// The keepalived process that runs VRRP: the child of keepalived's parent process. Not
    /// merely the last "keepalived" found: a track script forked by the VRRP process is named
    /// keepalived too until it execs, a window a loaded machine stretches.
    static func vrrpProcess(_ lab: VRRPLab, _ node: Daemon) throws -> pid_t {
        let keepalived = lab.descendants(of: node).filter { $0.name == "keepalived" }.map(\.pid)
        func parent(_ pid: pid_t) -> pid_t? {
            // The parent is the fourth field of /proc/PID/stat, after the parenthesised name.
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 ? pid_t(fields[1]) : nil
        }
        let main = try #require(keepalived.first { parent($0).map { !keepalived.contains($0) } ?? false }, "no keepalived parent among \(keepalived)")
        return try #require(keepalived.first { parent($0) == main }, "no VRRP child of keepalived \(main) among \(keepalived)")
    }

    /// VRID 200 at advert_int 3 for 192.168.3.200, starting as master: on isolated ports, each node stays one.
    static func slowMaster(_ priority: Int) -> String {
        """
        vrrp_instance slow {
          interface eth2
          state MASTER
          virtual_router_id 200
          priority \(priority)
          advert_int 3
          virtual_ipaddress {
            192.168.3.200
          }
        }

        """
    }

    @Test("a split brain at advert_int 3 (the nodes' bridge ports isolated): ip from the application server listens past its 7 s default until it is named, conflict, exit 3; vrrp names it")
    func slowSplitBrain() throws {
        let lab = try VRRPLab(nodes: Self.pair, isolated: true, prefix: "hxstorm")
        for (role, priority) in [("lb000", 100), ("lb001", 99)] {
            try lab.startKeepalived(role, config: Self.slowMaster(priority))
        }
        #expect(poll(timeout: 25) { lab.holds("lb000", "192.168.3.200") && lab.holds("lb001", "192.168.3.200") }, "\(lab.log("lb001"))")
        // Two adverts of each at 3 s, interleaved, may take up to 9 s from the first one heard:
        // before, the 7 s default ended first and the answer was lb000 alone, exit 0.
        let capture = try lab.startCapture("slow")
        let asked = try Self.ask(lab, "192.168.3.200")
        // Two more adverts from each before the capture stops: a loaded machine may start
        // tcpdump after ip already heard the first ones.
        usleep(6_500_000)
        lab.stopCapture(capture)
        #expect(asked.status == 3 && asked.answer["owner"] as? String == "conflict", "\(asked.answer) \(asked.listened)")
        #expect(asked.listened.contains("split brain named"), "\(asked.listened)")
        // vrrp over what was heard meanwhile names it too.
        let census = try HAExplainBinary.json(["vrrp", "--read", capture.file.path, "--json"])
        #expect(census.status == 0, "\(census.stderr)")
        #expect(CensusJSON(root: try #require(census.json)).verdicts(200).contains("split_brain"), "\(census.json ?? [:])")
        // vrrp live with its 7 s default: stretched the same way, it names the split brain (it said master_changed).
        let live = try HAExplainBinary.json(["vrrp", "--netns", lab.observer, "--json"])
        #expect(CensusJSON(root: try #require(live.json, "\(live.stderr)")).verdicts(200).contains("split_brain"), "\(live.json ?? [:])")
    }

    @Test("master changes by real keepalived are never a split brain: haproxy dies, keepalived stops, starts again and preempts, the master pauses past its master-down interval; ip names each new master, exit 0")
    func masterChanges() throws {
        let lab = try VRRPLab(nodes: Self.pair, prefix: "hxstorm")
        let capture = try lab.startCapture("changes")
        let lb000 = try lab.startKeepalived("lb000", config: KeepalivedWireTests.seedConfig(node: "prod-haproxy-000", priority200: 100, priority201: 99), haproxy: true)
        let config001 = KeepalivedWireTests.seedConfig(node: "prod-haproxy-001", priority200: 99, priority201: 100)
        var lb001 = try lab.startKeepalived("lb001", config: config001, haproxy: true)
        #expect(poll(timeout: 15) { lab.holds("lb000", "192.168.3.200") && lab.holds("lb001", "192.168.3.201") }, "\(lab.log("lb000"))")

        func expectOwner(_ holder: String, _ owner: String, _ step: String) throws {
            #expect(poll(timeout: 12) { lab.holds(holder, "192.168.3.200") && !lab.holds(holder == "lb000" ? "lb001" : "lb000", "192.168.3.200") },
                    "\(step): \(holder) did not take 192.168.3.200 alone: \(lab.log(holder))")
            let asked = try Self.ask(lab, "192.168.3.200")
            #expect(asked.status == 0 && asked.answer["owner"] as? String == "peer" && asked.answer["owner_address"] as? String == owner,
                    "\(step): \(asked.answer) \(asked.listened)")
        }
        // haproxy dies on lb000: 100 - 2 = 98 < 99, lb001 preempts.
        lab.signal("haproxy", in: lb000, SIGKILL)
        try expectOwner("lb001", "192.168.3.5", "haproxy died on lb000")
        // keepalived stops on lb001 (priority 0): lb000, at 98, takes over at once.
        lab.lab.stop(lb001)
        try expectOwner("lb000", "192.168.3.4", "keepalived stopped on lb001")
        // keepalived starts again on lb001: 99 > 98, it preempts.
        lb001 = try lab.startKeepalived("lb001", config: config001, haproxy: true)
        try expectOwner("lb001", "192.168.3.5", "keepalived started on lb001")
        // lb001's VRRP process paused past its master-down interval: lb000 takes over; resumed,
        // lb001 (still master in its own eyes) advertises once more and lb000 yields to it.
        let paused = try Self.vrrpProcess(lab, lb001)
        kill(paused, SIGSTOP)
        #expect(poll(timeout: 10) { lab.holds("lb000", "192.168.3.200") }, "lb000 did not take over from the paused lb001")
        kill(paused, SIGCONT)
        try expectOwner("lb001", "192.168.3.5", "lb001 resumed")
        usleep(1_500_000)
        lab.stopCapture(capture)

        let read = try HAExplainBinary.json(["vrrp", "--read", capture.file.path, "--json"])
        let census = CensusJSON(root: try #require(read.json, "\(read.stderr)"))
        for vrid in [200, 201] {
            #expect(!census.verdicts(vrid).contains("split_brain"), "VRID \(vrid): \(census.router(vrid)?["verdicts"] ?? [])")
        }
        // At start both say state MASTER, so either may advertise first; then the five changes in turn.
        let masters = census.events(200).filter { $0["kind"] as? String == "master" }.compactMap { $0["address"] as? String }
        #expect(masters.suffix(6) == ["192.168.3.4", "192.168.3.5", "192.168.3.4", "192.168.3.5", "192.168.3.4", "192.168.3.5"], "\(census.events(200))")
    }

    @Test("VRID 200 reused on another LAN (another interface of the application server and of lb000): two virtual routers, no collision, no split brain; ip names each LAN's own master, and on lb000 the other LAN's VRID 200 is a warning, not the owner")
    func vridReusedOnAnotherInterface() throws {
        let lab = try VRRPLab(nodes: Self.pair, prefix: "hxstorm")
        try lab.addSecondLAN([.init(role: "lb020", address: "10.20.0.4", mac: "02:00:00:00:20:04"),
                              .init(role: "lb021", address: "10.20.0.5", mac: "02:00:00:00:20:05")],
                             joining: [("obs", "10.20.0.10"), ("lb000", "10.20.0.9")])
        func config(_ interface: String, _ priority: Int, _ vip: String) -> String {
            "vrrp_instance reused {\n  interface \(interface)\n  state BACKUP\n  virtual_router_id 200\n  priority \(priority)\n  virtual_ipaddress {\n    \(vip)\n  }\n}\n"
        }
        let lb000 = config("eth2", 100, "192.168.3.200")
        try lab.startKeepalived("lb000", config: lb000)
        try lab.startKeepalived("lb001", config: config("eth2", 99, "192.168.3.200"))
        try lab.startKeepalived("lb020", config: config("eth3", 100, "10.20.0.200"))
        try lab.startKeepalived("lb021", config: config("eth3", 99, "10.20.0.200"))
        #expect(poll(timeout: 15) { lab.holds("lb000", "192.168.3.200") && ((try? lab.lab.ip(lab.nodes["lb020"]!.namespace, "-o", "addr")) ?? "").contains(" 10.20.0.200/") })
        for (vip, owner) in [("192.168.3.200", "192.168.3.4"), ("10.20.0.200", "10.20.0.4")] {
            let asked = try Self.ask(lab, vip)
            #expect(asked.status == 0 && asked.answer["owner"] as? String == "peer" && asked.answer["owner_address"] as? String == owner, "\(vip): \(asked.answer)")
        }
        let census = try HAExplainBinary.json(["vrrp", "--netns", lab.observer, "--listen", "2.5", "--json"])
        let routers = CensusJSON(root: try #require(census.json, "\(census.stderr)")).routers.filter { $0["vrid"] as? Int == 200 }
        #expect(Set(routers.compactMap { $0["interface"] as? String }) == ["eth2", "eth3"], "\(routers)")
        for router in routers {
            let codes = (router["verdicts"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(!codes.contains("vrid_collision") && !codes.contains("split_brain"), "\(router)")
        }
        // On lb000, which hears both LANs: its own instance's router is the answer.
        let file = lab.directory.appendingPathComponent("lb000-reused.conf")
        try lb000.write(to: file, atomically: true, encoding: .utf8)
        let result = try lab.lab.exec(lab.nodes["lb000"]!.namespace, [HAExplainBinary.path, "ip", "192.168.3.200", "--json", "--no-dns",
                                                                      "--keepalived-config", file.path])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        let answer = try #require((report["answers"] as? [[String: Any]])?.first)
        #expect(result.status == 0 && (answer["verdict"] as? [String: Any])?["owner"] as? String == "local", "\(answer["verdict"] ?? "")")
        #expect((answer["warnings"] as? [String] ?? []).contains { $0.hasPrefix("VRID 200 heard on eth3 from 10.20.0.4 (10.20.0.200) does not list 192.168.3.200") },
                "\(answer["warnings"] ?? "")")
    }
}
