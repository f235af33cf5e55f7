import HAModel

/// Takes a snapshot on another host over ssh: the remote runs `haexplain snapshot`, we read
/// its JSON. BatchMode (never a password prompt), a connect timeout and an overall deadline
/// keep it bounded; nothing is installed or left behind on the remote.
public enum RemoteSnapshot {
    public static func fetch(host: String, remoteCommand: String = "haexplain", sshOptions: [String] = [],
                             timeout: Double = 30) throws(HAError) -> [UInt8] {
        guard !host.isEmpty, !host.hasPrefix("-") else {
            throw HAError(.usage, "'\(host)' is not a host name for ssh")
        }
        let argv = ["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"] + sshOptions
            + [host, "--", remoteCommand, "snapshot", "--json"]
        let outcome = try ProgramRunner.run(argv, timeout: timeout)
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
