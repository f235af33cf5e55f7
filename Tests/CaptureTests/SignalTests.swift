import Foundation
import LabSupport
import Testing

/// SIGINT, SIGTERM and SIGHUP (Ctrl-C, `timeout`, a dropped SSH session) during a live census
/// end the listening and still print what was heard; a second signal ends haexplain at once.
/// One real keepalived master advertises on the lab's LAN; the signals go to haexplain's PID.
@Suite(.enabled(if: Privilege.canUseNamespaces, Comment(rawValue: Privilege.namespaceSkipReason)))
struct SignalTests {
    static let config = """
        vrrp_instance VI_51 {
          interface eth2
          state MASTER
          virtual_router_id 51
          priority 150
          advert_int 1
          virtual_ipaddress {
            192.168.3.51
          }
        }

        """

    /// haexplain started with its stdout on `stdout` (a pipe's write end) and stderr discarded.
    static func spawn(_ arguments: [String], stdout: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv = [HAExplainBinary.path] + arguments
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EINVAL) }
        return pid
    }

    /// Whether `pid` catches `signal` now (SigCgt in /proc/PID/status): haexplain catches
    /// SIGINT, SIGTERM and SIGHUP only while it listens.
    static func catches(_ pid: pid_t, _ signal: Int32) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
              let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
        return mask & (1 << UInt64(signal - 1)) != 0
    }

    static func read(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = Foundation.read(fd, &buffer, buffer.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return data }
            data.append(contentsOf: buffer[0..<count])
        }
    }

    @Test("SIGINT, SIGTERM and SIGHUP each end a 60 s census early; the census heard so far is printed, status 0",
          arguments: [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM"), (SIGHUP, "SIGHUP")])
    func signalEndsListening(_ signal: Int32, _ name: String) throws {
        let lab = try VRRPLab(nodes: [.init(role: "lb0", address: "192.168.3.4", mac: "02:00:00:00:00:04")])
        try lab.startKeepalived("lb0", config: Self.config)
        #expect(poll(timeout: 15) { lab.holds("lb0", "192.168.3.51") }, "keepalived did not become master: \(lab.log("lb0"))")
        for json in [true, false] {
            var fds: [Int32] = [0, 0]
            #expect(pipe(&fds) == 0)
            let pid = try Self.spawn(["vrrp", "--netns", lab.observer, "--listen", "60"] + (json ? ["--json"] : []), stdout: fds[1])
            close(fds[1])
            #expect(poll(timeout: 30) { Self.catches(pid, signal) }, "haexplain never started listening")
            // Two adverts at advert_int 1 while it listens.
            usleep(2_500_000)
            kill(pid, signal)
            let printed = Self.read(fds[0])
            close(fds[0])
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "\(name): wait status \(status)")
            let text = String(decoding: printed, as: UTF8.self)
            if json {
                let root = try #require(try JSONSerialization.jsonObject(with: printed) as? [String: Any], "\(text)")
                let census = CensusJSON(root: root)
                #expect(census.master(51)?.address == "192.168.3.4", "\(text)")
                let detail = (root["source"] as? [String: Any])?["detail"] as? String
                #expect(detail?.contains("interrupted by \(name)") == true, "\(detail ?? "no detail")")
            } else {
                #expect(text.contains("VRID 51"), "\(text)")
                #expect(text.contains("interrupted by \(name)"), "\(text)")
            }
        }
    }

    @Test("a second SIGTERM while the census is being printed ends haexplain at once, killed by the signal")
    func secondSignalKills() throws {
        let lab = try VRRPLab(nodes: [])
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // Fill the pipe so printing the census blocks: haexplain is caught between the two signals.
        let size = fcntl(fds[1], 1031 /* F_SETPIPE_SZ */, 4096)
        #expect(size > 0)
        let filler = [UInt8](repeating: 0x20, count: Int(size))
        #expect(write(fds[1], filler, filler.count) == filler.count)
        let pid = try Self.spawn(["vrrp", "--netns", lab.observer, "--listen", "60"], stdout: fds[1])
        close(fds[1])
        defer { close(fds[0]) }
        #expect(poll(timeout: 30) { Self.catches(pid, SIGTERM) }, "haexplain never started listening")
        kill(pid, SIGTERM)
        // After the first signal it no longer catches any of the three: the next one acts at once.
        #expect(poll(timeout: 30) { !Self.catches(pid, SIGTERM) && !Self.catches(pid, SIGINT) && !Self.catches(pid, SIGHUP) })
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        #expect(status & 0x7f == SIGTERM, "wait status \(status)")
    }
}
