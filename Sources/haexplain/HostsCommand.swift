import ArgumentParser
import DNSMessage
import HAExplainCore
import HAModel
import HostGathering
import HostsFile
import NameService

struct HostsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Show where a name or address resolves from: hosts-file lines, nsswitch order, glibc and DNS, side by side.",
        discussion: "Reads the hosts file the way glibc does (every matching line with file:line, marking those glibc returns), nsswitch.conf's hosts line and host.conf's multi, asks glibc (getaddrinfo or getnameinfo) and, unless --no-dns, the first nameserver of /etc/resolv.conf directly, and says where they disagree."
    )

    @Argument(help: ArgumentHelp("A host name, or an IPv4/IPv6 address for a reverse lookup.", valueName: "name-or-address"))
    var query: String

    @OptionGroup var hosts: HostsFileOptions

    @Flag(name: .long, help: "Do not ask DNS directly.")
    var noDNS = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "How long to wait for each nameserver, from 100ms to 30s, e.g. 2, 500ms.", valueName: "duration"),
        transform: DurationArgument.parse)
    var dnsTimeout = DurationArgument<DNSTimeoutOption>(seconds: 2)

    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        guard !query.isEmpty, !query.utf8.contains(where: { $0 <= 0x20 }) else {
            throw ValidationError("'\(TerminalText.escaped(query))' is not a host name or address")
        }
    }

    func run() throws {
        try Run.reporting {
            let report = try NameGathering.resolve(query, hostsFile: hosts.hostsFile, noDNS: noDNS, dnsTimeout: dnsTimeout.seconds, netns: namespace.netns)
            try Run.emit(report, json: output.json, render: NameResolutionText.render)
        }
    }
}
