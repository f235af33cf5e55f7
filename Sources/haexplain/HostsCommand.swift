import ArgumentParser
import DNSMessage
import HAExplainCore
import HAModel
import HostsFile
import NameService
import Netlink

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

    @Option(name: .long, help: ArgumentHelp("Seconds to wait for each nameserver (0.1 to 30).", valueName: "seconds"))
    var dnsTimeout: Double = 2

    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        guard (0.1...30).contains(dnsTimeout) else { throw ValidationError("--dns-timeout must be between 0.1 and 30 seconds") }
        guard !query.isEmpty, !query.utf8.contains(where: { $0 <= 0x20 }) else {
            throw ValidationError("'\(query)' is not a host name or address")
        }
    }

    func run() throws {
        try Run.reporting {
            // A namespace that cannot be entered is an error (69/77), not a silent limit.
            try NetworkNamespace.with(namespace.netns) { () throws(HAError) in }
            let address = IPAddress(query)
            // glibc works on a worker while we read and scan the file ourselves.
            let pending = address.map { SystemResolver.name(for: $0, netns: namespace.netns, timeoutSeconds: 5) }
                ?? SystemResolver.addresses(for: query, netns: namespace.netns, timeoutSeconds: 5)
            let hostsPath = hosts.hostsFile ?? SystemFiles.hosts
            let contents: FileBytes
            var unreadable: HAError? = nil
            do {
                contents = try ConfigFile.map(hostsPath)
            } catch let error as HAError where hosts.hostsFile == nil {
                // The system's own file missing narrows the answer; an explicit one is an error.
                contents = FileBytes([])
                unreadable = error
            }
            let hostsFile = HostsFile(path: hostsPath, bytes: contents)
            let hostConf = HostConf.parse(ConfigFile.text(SystemFiles.hostConf) ?? "", file: SystemFiles.hostConf)
            let nsswitch = ConfigFile.text(SystemFiles.nsswitch).map { NSSwitchHosts.parse($0, file: SystemFiles.nsswitch) }
                ?? .glibcDefault(file: SystemFiles.nsswitch)
            let glibc = pending.outcome().fact(address == nil ? "getaddrinfo" : "getnameinfo")
            let dns = noDNS ? DNSFact(skipped: "--no-dns") : askDNS(address)
            let report = NameResolutionExplainer.explain(
                query: query, reverseOf: address, hosts: hostsFile, hostConf: hostConf, nsswitch: nsswitch,
                glibc: glibc, dns: dns, glibcHostsFile: SystemFiles.hosts, hostsFileProblem: unreadable?.description)
            try Run.emit(output.json ? JSONOutput.encode(report) : NameResolutionText.render(report))
        }
    }

    /// Asks the nameservers of resolv.conf in order until one answers; glibc uses 127.0.0.1
    /// when the file lists none, and so do we.
    func askDNS(_ address: IPAddress?) -> DNSFact {
        let conf = ResolvConf.parse(ConfigFile.text(SystemFiles.resolvConf) ?? "", file: SystemFiles.resolvConf)
        let servers = conf.nameservers.isEmpty
            ? [(IPAddress.v4(0x7f00_0001), Source(kind: .assumption, detail: "glibc's default nameserver: \(SystemFiles.resolvConf) lists none"))]
            : conf.nameservers.map { ($0.address, Source.file(conf.file, line: $0.line)) }
        let questions: [(String, DNSMessage.RecordType)] = address.map { [(DNSMessage.reverseName($0), .ptr)] }
            ?? [(query, .a), (query, .aaaa)]
        let asked = questions.map { "\($0.0) \($0.1)" }
        var last = DNSFact(skipped: "no nameserver")
        for (server, source) in servers {
            switch DNSClient.ask(server, questions: questions, timeoutSeconds: dnsTimeout, netns: namespace.netns) {
            case .replies(let replies):
                return DNSFact(server: server, source: source, questions: asked, replies: replies)
            case .timedOut(let seconds):
                last = DNSFact(server: server, source: source, questions: asked, status: "timeout",
                               limit: "no answer from \(server) within \(DNSFact.seconds(seconds)) s, so DNS could not be compared")
            case .failed(let reason):
                last = DNSFact(server: server, source: source, questions: asked, status: "error",
                               limit: "DNS could not be asked: \(reason)")
            }
        }
        return last
    }
}

enum SystemFiles {
    static let hosts = "/etc/hosts"
    static let hostConf = "/etc/host.conf"
    static let nsswitch = "/etc/nsswitch.conf"
    static let resolvConf = "/etc/resolv.conf"
}

extension SystemResolver.Outcome {
    func fact(_ function: String) -> GlibcFact {
        switch self {
        case .addresses(let addresses): GlibcFact(function: function, addresses: addresses)
        case .names(let names): GlibcFact(function: function, names: names)
        case .failed(let reason): GlibcFact(function: function, error: reason)
        }
    }
}
