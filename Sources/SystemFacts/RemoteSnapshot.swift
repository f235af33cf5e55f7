#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Takes a snapshot on another host over ssh: the remote runs `haexplain snapshot`, we read
/// its JSON. BatchMode (never a password prompt), a connect timeout and an overall deadline
/// keep it bounded; nothing is installed or left behind on the remote.
public enum RemoteSnapshot {
    /// ssh's ConnectTimeout, which also bounds the wait for the server's banner (through a
    /// ProxyCommand, all of it): a loaded host or a jump host needs more than 5 s (see man page).
    public static let connectTimeout = 10

    /// The hosts `--host` names, then those a `--host-list` file (its text) lists one a line
    /// (`#` starts a comment, the first word is the host), each once. A name ssh would read as
    /// an option is bad usage.
    public static func hosts(given: [String], list: String?) throws(HAError) -> [String] {
        var names = given
        for line in (list ?? "").split(whereSeparator: \.isNewline) {
            let name = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
            if let name, !names.contains(name) { names.append(name) }
        }
        for name in names where name.isEmpty || name.hasPrefix("-") {
            throw HAError(.usage, "'\(name)' is not a host name for ssh")
        }
        return names
    }

    public static func fetch(host: String, remoteCommand: String = "haexplain", sshOptions: [String] = [],
                             timeout: Double = 30) throws(HAError) -> [UInt8] {
        guard !host.isEmpty, !host.hasPrefix("-") else {
            throw HAError(.usage, "'\(host)' is not a host name for ssh")
        }
        // ssh takes the first value it is given for an option: BatchMode is ours, the connect
        // timeout the user's when they give one (--ssh-option=-oConnectTimeout=N).
        let argv = ["ssh", "-o", "BatchMode=yes"] + sshOptions + ["-o", "ConnectTimeout=\(connectTimeout)"]
            + [host, "--", remoteCommand, "snapshot"]
        // A group of its own: at the deadline the ProxyCommand goes with ssh (ssh killed before
        // its session starts leaves it running).
        let outcome = try ProgramRunner.run(argv, timeout: timeout, ownProcessGroup: true)
        let detail = outcome.stderr.split(separator: "\n").last.map(String.init) ?? ""
        if outcome.timedOut {
            throw HAError(.unavailable, "ssh \(host): no complete snapshot within \(Int(timeout)) s; stopped waiting")
        }
        switch outcome.status {
        case 0:
            return outcome.stdout
        case 255:
            throw HAError(.unavailable, "ssh \(host) failed: \(detail)")
        case 127:
            throw HAError(.unavailable, "\(host) has no '\(remoteCommand)' to run (\(detail)); install haexplain there or give its path with --remote-haexplain")
        default:
            throw HAError(.unavailable, "haexplain snapshot on \(host) exited \(outcome.status): \(detail)")
        }
    }
}

extension RemoteSnapshot {
    /// Snapshots of many hosts at once, as Ansible's forks and pssh do: at most `parallel`
    /// ssh connections at a time, each with its own deadline, so the whole takes about as long
    /// as the slowest host, not the sum. Every host gets an outcome; one failing never stops
    /// the others.
    public static func fetchAll(hosts: [String], remoteCommand: String = "haexplain", sshOptions: [String] = [],
                                timeout: Double = 30, parallel: Int = 16) -> [Result<[UInt8], HAError>] {
        let fetches = Fetches(hosts: hosts) { host throws(HAError) in
            try RemoteSnapshot.fetch(host: host, remoteCommand: remoteCommand, sshOptions: sshOptions, timeout: timeout)
        }
        let workers = max(1, min(parallel, hosts.count))
        let threads = (0..<workers).map { worker in
            WorkerThread { for index in stride(from: worker, to: hosts.count, by: workers) { fetches.take(index) } }
        }
        threads.forEach { $0.join() }
        return fetches.outcomes
    }

    /// The hosts and their outcomes; each slot is written by one worker only, and read after
    /// every worker has joined.
    private final class Fetches: @unchecked Sendable {
        let hosts: [String]
        let fetch: (String) throws(HAError) -> [UInt8]
        private let slots: UnsafeMutableBufferPointer<Result<[UInt8], HAError>?>

        init(hosts: [String], fetch: @escaping (String) throws(HAError) -> [UInt8]) {
            self.hosts = hosts
            self.fetch = fetch
            slots = .allocate(capacity: hosts.count)
            slots.initialize(repeating: nil)
        }

        deinit {
            _ = slots.deinitialize()
            slots.deallocate()
        }

        func take(_ index: Int) {
            do throws(HAError) {
                slots[index] = .success(try fetch(hosts[index]))
            } catch {
                slots[index] = .failure(error)
            }
        }

        var outcomes: [Result<[UInt8], HAError>] {
            slots.enumerated().map { index, slot in
                slot ?? .failure(HAError(.unavailable, "ssh \(hosts[index]): no outcome"))
            }
        }
    }
}

/// A POSIX thread running one closure: ssh waits block in poll(), so they need threads of
/// their own rather than a pool sized to the CPUs.
final class WorkerThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void
    private var started = false

    init(_ body: @escaping () -> Void) {
        self.body = body
        let context = Unmanaged.passRetained(self).toOpaque()
        started = pthread_create(&thread, nil, { raw in
            let worker = Unmanaged<WorkerThread>.fromOpaque(raw!).takeRetainedValue()
            worker.body()
            return nil
        }, context) == 0
        if !started {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            body()  // no thread to be had: do the work here rather than lose it
        }
    }

    func join() {
        if started { pthread_join(thread, nil) }
    }
}
