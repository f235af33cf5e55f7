import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore

/// Output options every command shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (documented in haexplain(1)) instead of text.")
    var json = false
}

/// Which network namespace to inspect.
struct NamespaceOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Inspect the network namespace NAME (/run/netns/NAME, as `ip netns` names them) or a path such as /proc/PID/ns/net.",
        valueName: "name"))
    var netns: String?
}

/// Which hosts file to read (glibc itself always reads /etc/hosts).
struct HostsFileOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Read this hosts file instead of /etc/hosts.", valueName: "path"))
    var hostsFile: String?
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
        valueName: "path"))
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
