import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore

/// Output options every command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (documented in haexplain(1)) instead of text: indented on a terminal, one line otherwise.")
    var json = false
}

/// Which network namespace to inspect.
struct NamespaceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Inspect the network namespace NAME (/run/netns/NAME, as `ip netns` names them) or a path such as /proc/PID/ns/net.",
        valueName: "name"), completion: .shellCommand("ls /run/netns 2>/dev/null"))
    var netns: String?
}

/// Which hosts file to read (glibc itself always reads /etc/hosts).
struct HostsFileOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read this hosts file instead of /etc/hosts.", valueName: "path"), completion: .file())
    var hostsFile: String?
}

/// Which keepalived configurations to read, and the config id each is read with.
struct KeepalivedConfigOptions: ParsableArguments {
    @Option(name: .customLong("keepalived-config"), help: ArgumentHelp(
        "A keepalived.conf to read; repeat for the peers' (the first is this host's; default: the running keepalived's -f, else /etc/keepalived/keepalived.conf).",
        valueName: "path"), completion: .file())
    var configs: [String] = []

    @Option(name: .customLong("config-id"), help: ArgumentHelp(
        "keepalived's config id for @ID lines (default: the running keepalived's -i, else the host name up to the first dot); repeat to give each --keepalived-config its own, in order.",
        valueName: "id"))
    var configIDs: [String] = []

    func validate() throws {
        guard configIDs.count <= 1 || configIDs.count == configs.count else {
            throw ValidationError("\(configIDs.count) --config-id for \(configs.count) --keepalived-config: give one for all files, or one per file in the same order")
        }
    }
}

/// Track scripts are judged from /proc; running them is an explicit choice.
struct TrackScriptOptions: ParsableArguments {
    @Flag(name: .customLong("run-track-scripts"), help: ArgumentHelp(
        "Run the track scripts haexplain cannot judge from /proc, with their timeout, as the script user, inside keepalived's namespaces."))
    var runTrackScripts = false
}

/// Which haproxy configuration to read.
struct HAProxyConfigOptions: ParsableArguments {
    @Option(name: .customLong("haproxy-config"), help: ArgumentHelp(
        "A haproxy configuration file or directory (as haproxy -f); repeatable (default: the running haproxy's -f, else /etc/haproxy/haproxy.cfg).",
        valueName: "path"), completion: .file())
    var configs: [String] = []
}

/// `--color`: when the verdict marks are coloured.
extension Highlight.When: ExpressibleByArgument {
    var enabled: Bool {
        Highlight.enabled(self, isTerminal: isatty(1) == 1,
                          environment: ["NO_COLOR": getenv("NO_COLOR").map { String(cString: $0) } ?? "",
                                        "TERM": getenv("TERM").map { String(cString: $0) } ?? ""])
    }
}

/// `--probe`: the one option that sends on the wire.
struct ProbeOptions: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "Send one ARP request (IPv4, sender 0.0.0.0, as arping -D) or neighbour solicitation (IPv6, from ::) per address while listening, so every host holding it answers; the only option that sends."))
    var probe = false
}
