import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Capture
import HAExplainCore
import HAModel
import HostGathering
import HostsFile
import KeepalivedConfig
import NameService
import Netlink
import Processes
import SystemFacts
import VRRP

struct IPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ip",
        abstract: "Who owns this IP address, and why: the verdict with its evidence, failover what-if, warnings and limits.",
        discussion: """
            Joins the kernel's addresses, keepalived's configuration, the names that point at the address and the VRRP \
            adverts on the wire. A name is resolved first (hosts files, glibc, DNS) and each address it yields gets its own \
            answer. Listening stops once the answer cannot change: every VRID that matters heard, for at least an advert \
            interval of listening, with no second master still possible. Exit status: 0 answered, \
            3 conflict (split brain), 4 owner unknown; see haexplain(1).
            """
    )

    @OptionGroup var question: IPQuestion

    @Flag(name: .long, help: "Print only the verdict line of each address (as ip -br).")
    var brief = false

    @Option(name: .long, help: ArgumentHelp("Colour the verdict marks: auto (a terminal without NO_COLOR), always or never.", valueName: "when"))
    var color: Highlight.When = .auto

    func run() throws {
        try question.answer { report in
            if question.output.json {
                try Run.emitJSON(report)
            } else {
                Run.emit(IPReportText.render(report, brief: brief), colored: color.enabled)
            }
            return report.exitStatus
        }
    }
}

/// What `ip` and `check` ask: the address or name, where the facts come from, how long to
/// listen. Both answer through `answer`, so a check asks exactly what an operator would.
struct IPQuestion: ParsableArguments {
    static let minimumListen = 3.5
    static let defaultListen = 7.0
    /// How far the default bound stretches while a split brain forms: one at advert_int 10 is named in it.
    static let longestListen = 30.0

    @Argument(help: ArgumentHelp("An IPv4/IPv6 address or a host name.", valueName: "address-or-name"))
    var query: String

    @OptionGroup var keepalivedFiles: KeepalivedConfigOptions

    @OptionGroup var hosts: HostsFileOptions
    @OptionGroup var haproxyOptions: HAProxyConfigOptions

    @Flag(name: .long, help: "Do not ask DNS directly.")
    var noDNS = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "How long to listen for VRRP adverts at most, from 100ms to 24h, e.g. 7, 2.5s, 500ms (default: two adverts of the slowest instance configured here, at least \(Int(IPQuestion.minimumListen)) s; 7 s when none is; past it while two masters advertise, until they are told apart, at most \(Int(IPQuestion.longestListen)) s).",
        valueName: "duration"), transform: DurationArgument.parse)
    var listen: DurationArgument<ListenOption>?

    @Flag(name: .long, help: "Do not listen for VRRP adverts: answer from local facts.")
    var noListen = false

    @Option(name: .long, help: ArgumentHelp("Explain from this snapshot (haexplain snapshot) instead of the live host; repeat for several hosts.", valueName: "snapshot.json"),
            completion: .file(extensions: ["json"]))
    var from: [String] = []

    @Option(name: .long, help: ArgumentHelp("Also take a snapshot of HOST over ssh and explain with it; repeatable.", valueName: "host"))
    var host: [String] = []

    @Flag(name: .customLong("ask-keepalived"), help: "Signal the running keepalived (SIGJSON) for its own dump and show what it says beside the answer, naming every disagreement.")
    var askKeepalived = false

    @Option(name: .customLong("host-list"), help: ArgumentHelp(
        "A file of hosts for --host, one per line (# starts a comment).", valueName: "path"), completion: .file())
    var hostList: String?

    @Option(name: .long, help: ArgumentHelp("At most this many ssh connections at once for --host (default 16).", valueName: "n"))
    var parallel = 16

    @Option(name: .customLong("remote-haexplain"), help: ArgumentHelp("The haexplain to run on --host hosts.", valueName: "path"), completion: .file())
    var remoteHaexplain = "haexplain"

    @Option(name: .customLong("ssh-option"), help: ArgumentHelp("An option for ssh, e.g. -F/path/config or -oPort=2222; repeatable.", valueName: "option"))
    var sshOptions: [String] = []

    @OptionGroup var probing: ProbeOptions
    @OptionGroup var tracking: TrackScriptOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions


    func validate() throws {
        if listen != nil, noListen { throw ValidationError("--listen and --no-listen contradict each other") }
        if probing.probe, noListen || !from.isEmpty {
            throw ValidationError("--probe sends while listening and hears the replies; it cannot go with --no-listen or --from")
        }
        guard (1...256).contains(parallel) else { throw ValidationError("--parallel takes 1 to 256 connections, not \(parallel)") }
        guard !query.isEmpty, !query.utf8.contains(where: { $0 <= 0x20 }) else {
            throw ValidationError("'\(TerminalText.escaped(query))' is not an address or host name")
        }
    }

    /// --host, then --host-list's lines, each once; a name ssh would read as an option is bad usage.
    func remoteHosts() throws(HAError) -> [String] {
        var names = host
        if let hostList {
            let text = String(decoding: try ConfigFile.read(hostList), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) {
                let name = line.prefix { $0 != "#" }.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init)
                if let name, !names.contains(name) { names.append(name) }
            }
        }
        for name in names where name.isEmpty || name.hasPrefix("-") {
            throw HAError(.usage, "'\(name)' is not a host name for ssh")
        }
        return names
    }

    /// This host is examined unless only snapshots were given.
    var examinesThisHost: Bool { from.isEmpty }

    /// This host's snapshot as `snapshot` gathers it, with this command's files and choices.
    func request(routesTo addresses: [IPAddress]) -> GatherRequest {
        var request = GatherRequest(netns: namespace.netns)
        request.keepalivedConfigs = keepalivedFiles.configs
        request.configIDs = keepalivedFiles.configIDs
        request.hostsFile = hosts.hostsFile
        request.haproxyConfigs = haproxyOptions.configs
        request.runTrackScripts = tracking.runTrackScripts
        request.askKeepalived = askKeepalived
        request.routesTo = addresses
        return request
    }

    /// Gathers, explains and hands the report to `deliver`, which prints it and says the exit status.
    func answer(_ deliver: (IPReport) throws -> Int32) throws {
        var status: Int32 = 0
        try Run.reporting {
            var limits: [Limit] = []
            var snapshots: [HostSnapshot] = []
            for path in from {
                snapshots.append(try HostSnapshot.decode(try ConfigFile.read(path, what: "a snapshot", maximumSize: ConfigFile.maximumSnapshotSize), origin: path))
            }
            // A host that cannot be reached, or answers with no usable snapshot, narrows the
            // answer to the others: a limit naming it, never the end of the answer.
            let remotes = try remoteHosts()
            for (name, outcome) in zip(remotes, RemoteSnapshot.fetchAll(hosts: remotes, remoteCommand: remoteHaexplain,
                                                                         sshOptions: sshOptions, parallel: parallel)) {
                do throws(HAError) {
                    snapshots.append(try HostSnapshot.decode(try outcome.get(), origin: "ssh \(name)"))
                } catch {
                    limits.append(Limit(source: .ssh(name), message: "\(name) is not in this answer: \(error.message)"))
                }
            }

            // Listening begins before names and this host are gathered, so the wire is heard
            // meanwhile (time to the answer: gathering is a quarter second or more of it).
            let listening = examinesThisHost && !noListen ? WireListening.Opened.open(netns: namespace.netns) : nil

            // Names first: each address a name stands for gets its own answer. This host's
            // resolution is live; a snapshot's host resolves from its own files.
            let parsed = AddressQuery(query)
            let address = parsed?.address
            let resolution = examinesThisHost
                ? try NameGathering.resolve(query, hostsFile: hosts.hostsFile, noDNS: noDNS, dnsTimeout: 2, netns: namespace.netns) : nil
            var claims = resolution.map(NameClaims.claims(of:)) ?? []
            for snapshot in snapshots {
                claims += SnapshotNames.claims(address?.description ?? query, in: snapshot)
            }
            var addresses: [IPAddress]
            if let address {
                addresses = [address]
            } else {
                addresses = resolution.map(NameClaims.addresses(of:)) ?? []
                for claim in claims where claim.returned && !addresses.contains(claim.address) { addresses.append(claim.address) }
                if addresses.isEmpty {
                    limits.append(Limit(source: Source(kind: .resolver, detail: query), message: "\(query) does not resolve to any address here (\(resolution?.findings.map(\.text).joined(separator: "; ") ?? "no name-service files in the snapshots"))"))
                }
            }

            // This host (gathered once, as `snapshot` does) and the snapshots' hosts.
            let thisHost = examinesThisHost
                ? try SnapshotGatherer.gather(request(routesTo: addresses), version: HAExplain.configuration.version) : nil
            let view = HostsInView(thisHost: thisHost?.snapshot, otherConfigurations: thisHost?.otherConfigurations ?? [],
                                   snapshots: snapshots)
            limits += view.limits
            let keepalived = view.keepalived(scriptOwners: KeepalivedGathering.scriptOwners(view.nodes), says: thisHost?.keepalivedSays)
            if askKeepalived, thisHost == nil {
                limits.append(Limit(source: .process("keepalived"), message: "--ask-keepalived: explaining from snapshots, keepalived's word is what each snapshot carries (snapshot --ask-keepalived)"))
            }

            // The wire: heard here now, or as a snapshot's host heard it.
            var wire: VRRPCensusReport?
            if addresses.isEmpty {
                // Nothing to explain: no reason to wait on the wire.
                if thisHost != nil, !noListen { limits.append(Limit(source: .liveCapture, message: "adverts were not listened to: there is no address to explain")) }
            } else if thisHost == nil {
                wire = view.heardOnTheWire
                if wire == nil {
                    limits.append(Limit(source: .liveCapture, message: "adverts were not listened to: the answer comes from snapshots (take them with `snapshot --listen 3s` to include the wire)"))
                }
            } else if noListen {
                limits.append(Limit(source: .liveCapture, message: "adverts were not listened to (--no-listen): who is master is judged from addresses and configuration only"))
            } else {
                wire = try listenForAdverts(listening, addresses: addresses, keepalived: keepalived, hosts: view.hosts, limits: &limits)
            }

            let report = IPExplainer.explain(IPEvidence(
                query: query, addresses: addresses, resolution: address == nil ? claims : nil,
                names: Dictionary(grouping: claims, by: \.address),
                nameFindings: resolution.map(NameClaims.findings(of:)) ?? (parsed?.note.map { [$0] } ?? [], [], []),
                hosts: view.hosts, keepalived: keepalived, wire: wire, nodeNames: NodeNames.lookup(masters: wire, in: view),
                limits: limits))
            status = try deliver(report)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Listens until the answer cannot change (WireSufficiency), or the bound.
    func listenForAdverts(_ opened: WireListening.Opened?, addresses: [IPAddress], keepalived: KeepalivedReport?, hosts: [ExaminedHost],
                          limits: inout [Limit]) throws(HAError) -> VRRPCensusReport? {
        let relevant = (keepalived?.vrrpInstances ?? []).filter { instance in
            instance.virtualIpaddress.contains { addresses.contains($0.address) }
        }
        let slowest = relevant.map(\.advertInt).max()
        let seconds = listen?.seconds
            ?? slowest.map { max(Self.minimumListen, 2 * $0 + 0.5) } ?? Self.defaultListen
        let capture: PacketCapture
        switch (opened ?? WireListening.Opened.open(netns: namespace.netns)).capture {
        case .success(let opened): capture = opened
        case .failure(let error):
            if error.kind == .usage { throw error }
            limits.append(Limit(source: .liveCapture, message: "could not listen for VRRP adverts: \(error.message)"))
            return nil
        }
        capture.listenForSolicitations(of: addresses)
        let probes = probing.probe ? Probing.send(addresses, on: capture, limits: &limits) : nil
        let vrids = Set(relevant.compactMap(\.virtualRouterID))
        let expected = relevant.compactMap { instance in
            instance.virtualRouterID.map {
                VRRPCensus.ExpectedRouter(interface: nil, family: instance.family, vrid: UInt8(truncatingIfNeeded: $0),
                                          source: .file(instance.file, line: instance.line))
            }
        }
        // The default bound was chosen before any interval was heard: a conflict still forming
        // at it is listened to until it is told apart (slow advert_int), within longestListen.
        let result = try WireListening.census(capture, seconds: seconds, extendingTo: listen == nil ? Self.longestListen : nil, since: opened, fileName: nil,
                                              countdown: isatty(2) == 1, expected: expected,
                                              hosts: LinkLayerHosts(asked: addresses, hosts: hosts)) { census, since, now in
            WireSufficiency.progress(census, since: since, now: now, vrids: vrids, addresses: addresses)
        }
        if result.report.capture.listening?.reason == .timeUp, let progress = result.progress, progress.decidedBy != nil {
            limits.append(Limit(source: .liveCapture, message: "listening ended while more than one sender advertised (\(progress.explanation)): "
                + "a split brain and a master change were not yet told apart, so the owner below may be one of two masters; listen longer (--listen)"))
        }
        var report = result.report
        report.capture.probes = probes
        return report
    }
}
