import Foundation
import LabSupport

/// A network namespace with dnsmasq answering on 127.0.0.1 and a second dnsmasq on
/// 127.0.0.2 that is stopped (SIGSTOP), so queries to it are received and never answered.
/// `haexplain hosts` runs inside it with test copies of /etc/hosts, resolv.conf, nsswitch.conf
/// and host.conf bind-mounted in a private mount namespace: the machine's own files and
/// nameserver are never used.
final class DNSLab {
    let lab = NetnsLab(prefix: "hxh")
    let netns: String
    let directory: URL
    /// The dnsmasq processes themselves: dnsmasq changes credentials, which clears the
    /// parent-death signal `unshare --kill-child` relies on, so they are killed by PID here.
    private var dnsmasqs: [pid_t] = []

    static let hosts = """
        127.0.0.1 localhost
        ::1 localhost ip6-localhost
        192.168.3.200 prod-db-internal.panda.com
        192.168.3.201 disagree.panda.com
        """

    init() throws {
        netns = try lab.namespace("dns")
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hxh-dns-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try write("hosts", Self.hosts + "\n")
        try write("nsswitch.conf", "hosts: files dns\n")
        try write("host.conf", "multi on\n")
        try write("resolv.answering", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        try write("resolv.silent", "nameserver 127.0.0.2\noptions timeout:1 attempts:1\n")
        try write("resolv.patient", "nameserver 127.0.0.2\noptions timeout:30 attempts:5\n")
        try lab.ip(netns, "addr", "add", "127.0.0.2/8", "dev", "lo")
        try startDnsmasq(on: "127.0.0.1", records: [
            "--host-record=only-dns.example,10.20.30.40",
            "--host-record=disagree.panda.com,10.9.9.9",
            "--local=/panda.com/", "--local=/example/",
        ])
        kill(try startDnsmasq(on: "127.0.0.2", records: []), SIGSTOP)
    }

    deinit {
        for pid in dnsmasqs {
            kill(pid, SIGKILL)
        }
        lab.teardown()
        try? FileManager.default.removeItem(at: directory)
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    /// dnsmasq in the foreground under `unshare --fork --kill-child` (dnsmasq closes the
    /// descriptors Foundation's Process watches, so it must not be the spawned process itself);
    /// killing the unshare by PID on teardown takes dnsmasq with it.
    @discardableResult
    func startDnsmasq(on address: String, records: [String]) throws -> pid_t {
        let process = try lab.spawn(netns, ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv",
                                            "--no-hosts", "--bind-interfaces", "--listen-address=\(address)",
                                            "--port=53", "--pid-file=", "--user=root"] + records,
                                    ownPIDNamespace: true)
        for _ in 0..<200 {
            let sockets = try lab.exec(netns, ["ss", "-lnu"]).stdout
            let children = (try? String(contentsOfFile: "/proc/\(process.pid)/task/\(process.pid)/children", encoding: .utf8)) ?? ""
            if let pid = children.split(separator: " ").first.flatMap({ pid_t($0) }) {
                if !dnsmasqs.contains(pid) { dnsmasqs.append(pid) }
                if sockets.contains("\(address):53") { return pid }
            }
            guard process.isRunning else { break }
            usleep(25_000)
        }
        throw LabError(message: "dnsmasq on \(address) did not start")
    }

    /// Runs `argv` in the lab with the test files mounted over the system's.
    /// `inside: false` runs it in this host's network namespace (to test `--netns`).
    func run(_ argv: [String], resolv: String = "resolv.answering", inside: Bool = true) throws -> Shell.Result {
        let mounts = [("hosts", "/etc/hosts"), ("nsswitch.conf", "/etc/nsswitch.conf"),
                      ("host.conf", "/etc/host.conf"), (resolv, "/etc/resolv.conf")]
            .map { "mount --bind '\(directory.appendingPathComponent($0.0).path)' \($0.1)" }
            .joined(separator: " && ")
        let command = argv.map { "'\($0)'" }.joined(separator: " ")
        let argv = ["unshare", "-m", "sh", "-c", "\(mounts) && exec \(command)"]
        return inside ? try lab.exec(netns, argv, timeout: 30) : try Shell.run(argv, timeout: 30)
    }

    /// `haexplain hosts ARGS --json`, decoded.
    func explain(_ args: [String], resolv: String = "resolv.answering", inside: Bool = true) throws -> [String: Any] {
        let result = try run([Self.binary, "hosts"] + args + ["--json"], resolv: resolv, inside: inside)
        guard result.status == 0, let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw LabError(message: "haexplain hosts \(args) exited \(result.status): \(result.stderr)")
        }
        return object
    }

    /// The addresses `getent ahosts NAME` prints, in order, one per answer (its STREAM lines).
    func getentAhosts(_ name: String, resolv: String = "resolv.answering") throws -> [String] {
        try run(["getent", "ahosts", name], resolv: resolv).stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count >= 2 && fields[1] == "STREAM" ? String(fields[0]) : nil
        }
    }

    static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["HAEXPLAIN_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/haexplain").path
    }()
}

struct LabError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
