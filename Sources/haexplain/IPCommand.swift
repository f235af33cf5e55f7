import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Capture
import HAExplainCore
import HAModel
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

    @Argument(help: ArgumentHelp("An IPv4/IPv6 address or a host name.", valueName: "address-or-name"))
    var query: String

    @Option(name: .customLong("keepalived-config"), help: ArgumentHelp(
        "A keepalived.conf to read; repeat for the peers' (default: the running keepalived's, else /etc/keepalived/keepalived.conf).", valueName: "path"))
    var keepalivedConfigs: [String] = []

    @Option(name: .customLong("config-id"), help: ArgumentHelp(
        "keepalived's config id for @ID lines; repeat to give each --keepalived-config its own, in order.", valueName: "id"))
    var configIDs: [String] = []

    @OptionGroup var hosts: HostsFileOptions
    @OptionGroup var haproxyOptions: HAProxyConfigOptions

    @Flag(name: .long, help: "Do not ask DNS directly.")
    var noDNS = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "How long to listen for VRRP adverts at most, from 100ms to 24h, e.g. 7, 2.5s, 500ms (default: two adverts of the slowest instance configured here, at least \(Int(IPCommand.minimumListen)) s; 7 s when none is).",
        valueName: "duration"), transform: DurationArgument.parse)
    var listen: DurationArgument<ListenOption>?

    @Flag(name: .long, help: "Do not listen for VRRP adverts: answer from local facts.")
    var noListen = false

    @Option(name: .long, help: ArgumentHelp("Explain from this snapshot (haexplain snapshot) instead of the live host; repeat for several hosts.", valueName: "snapshot.json"))
    var from: [String] = []

    @Option(name: .long, help: ArgumentHelp("Also take a snapshot of HOST over ssh and explain with it; repeatable.", valueName: "host"))
    var host: [String] = []

    @Flag(name: .customLong("ask-keepalived"), help: "Signal the running keepalived (SIGJSON) for its own dump and show what it says beside the answer, naming every disagreement.")
    var askKeepalived = false

    @Flag(name: .long, help: "Print only the verdict line of each address (as ip -br).")
    var brief = false

    @Option(name: .long, help: ArgumentHelp("Colour the verdict marks: auto (a terminal without NO_COLOR), always or never.", valueName: "when"))
    var color: Highlight.When = .auto

    @Option(name: .customLong("host-list"), help: ArgumentHelp(
        "A file of hosts for --host, one per line (# starts a comment).", valueName: "path"), completion: .file())
    var hostList: String?

    @Option(name: .long, help: ArgumentHelp("At most this many ssh connections at once for --host (default 16).", valueName: "n"))
    var parallel = 16

    @Option(name: .customLong("remote-haexplain"), help: ArgumentHelp("The haexplain to run on --host hosts.", valueName: "path"))
    var remoteHaexplain = "haexplain"

    @Option(name: .customLong("ssh-option"), help: ArgumentHelp("An option for ssh, e.g. -F/path/config or -oPort=2222; repeatable.", valueName: "option"))
    var sshOptions: [String] = []

    @OptionGroup var probing: ProbeOptions
    @OptionGroup var tracking: TrackScriptOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    static let minimumListen = 3.5
    static let defaultListen = 7.0

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

    /// Live facts are read unless only snapshots were given.
    var live: Bool { from.isEmpty }

    func run() throws {
        try answer { report in
            if output.json {
                try Run.emit(report, json: true, render: { _ in "" })
            } else {
                Run.emit(IPReportText.render(report, brief: brief), colored: color.enabled)
            }
            return report.exitStatus
        }
    }

    /// Gathers, explains and hands the report to `deliver`, which prints it and says the exit status.
    func answer(_ deliver: (IPReport) throws -> Int32) throws {
        var status: Int32 = 0
        try Run.reporting {
            var limits: [String] = []
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
                    limits.append("\(name) is not in this answer: \(error.message)")
                }
            }

            // Names first: each address a name stands for gets its own answer.
            let parsed = AddressQuery(query)
            let address = parsed?.address
            var resolution: NameResolution?
            if live {
                resolution = try NameGathering.resolve(query, hostsFile: hosts.hostsFile, noDNS: noDNS, dnsTimeout: 2, netns: namespace.netns)
            }
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
                    limits.append("\(query) does not resolve to any address here (\(resolution?.findings.joined(separator: "; ") ?? "no name-service files in the snapshots"))")
                }
            }

            // This host and the snapshots' hosts.
            var views: [HostView] = []
            var localTable: AddressTable?
            let hostname = HostIdentity.hostname()
            if live {
                var table = try AddressReader.read(netns: namespace.netns)
                IfconfigView.mark(&table)
                localTable = table
                var view = HostView(hostname: hostname, isLocal: true, addresses: table,
                                    neighbours: NeighbourGathering.read(netns: namespace.netns, limits: &limits))
                view.haproxy = try HAProxyGathering.snapshot(configs: haproxyOptions.configs, netns: namespace.netns, limits: &limits)
                view.routes = ReachabilityGathering.routes(addresses, table: table, netns: namespace.netns, limits: &limits)
                view.firewall = ReachabilityGathering.firewall(netns: namespace.netns, limits: &limits)
                view.arp = ReachabilityGathering.arp(table, netns: namespace.netns)
                views.append(view)
            }
            for snapshot in snapshots {
                var view = HostView(hostname: snapshot.hostname, isLocal: false, addresses: snapshot.addresses,
                                    neighbours: snapshot.neighbours, processes: snapshot.processes)
                view.haproxy = snapshot.haproxy
                view.routes = snapshot.routes ?? []
                view.firewall = snapshot.firewall
                view.arp = snapshot.arp ?? []
                views.append(view)
                limits += snapshot.limits.map { "\(snapshot.hostname): \($0.message)" }
            }

            // keepalived: this host's configuration (named after the host) and the snapshots'.
            var nodes: [NodeConfiguration] = []
            // Only a keepalived of the examined network namespace is this host's.
            let examined = live ? ProcessGathering.examinedNetworkNamespace(namespace.netns) : nil
            if live, keepalivedConfigs.isEmpty, let elsewhere = ProcessGathering.keepalivedElsewhere(networkNamespace: examined) {
                limits.append(elsewhere)
            }
            if live {
                do {
                    nodes = try KeepalivedGathering.nodes(configs: keepalivedConfigs, configIDs: configIDs,
                                                          networkNamespace: examined)
                    if keepalivedConfigs.count <= 1, !nodes.isEmpty { nodes[0].name = hostname }
                } catch where keepalivedConfigs.isEmpty {
                    limits.append("no keepalived configuration read on \(hostname): \(error)")
                }
            }
            for snapshot in snapshots {
                if let keepalived = snapshot.keepalived {
                    nodes.append(NodeConfiguration(name: snapshot.hostname, config: keepalived.configuration,
                                                   chosenBecause: "from the snapshot of \(snapshot.hostname): \(keepalived.chosenBecause)"))
                }
            }
            // Running processes and track scripts: this host's live, the snapshots' as recorded.
            if live, let local = views.firstIndex(where: \.isLocal) {
                let mine = keepalivedConfigs.count <= 1 ? nodes.first { $0.name == hostname } : nil
                views[local].processes = ProcessGathering.facts(node: mine, runScripts: tracking.runTrackScripts, networkNamespace: examined)
            }
            let observed = ProcessGathering.observed(views.flatMap { $0.processes?.trackScripts ?? [] })
            // Hosts seen with no keepalived running are no candidates in the election.
            let stopped = Set(views.filter { $0.processes?.keepalivedNotRunning == true }.map(\.hostname))
            var keepalived = nodes.isEmpty ? nil : KeepalivedAnalysis.analyze(nodes, addresses: localTable,
                                                                              scriptOwners: KeepalivedGathering.scriptOwners(nodes),
                                                                              observed: observed, stopped: stopped)
            // keepalived's own word, only when asked: it takes a signal.
            if askKeepalived {
                if live, let running = ProcessGathering.keepalived(networkNamespace: examined), let report = keepalived,
                   var says = KeepalivedAsking.ask(running.process, node: hostname, limits: &limits) {
                    says.disagreements = KeepalivedJSONDump.disagreements(says, report: report)
                    keepalived?.keepalivedSays = says
                } else if !live {
                    limits.append("--ask-keepalived: explaining from snapshots, keepalived's word is what each snapshot carries (snapshot --ask-keepalived)")
                } else {
                    limits.append("--ask-keepalived: no keepalived whose configuration was read runs in the network namespace examined")
                }
            }

            // The wire.
            var wire: VRRPCensusReport?
            if addresses.isEmpty {
                // Nothing to explain: no reason to wait on the wire.
                if live, !noListen { limits.append("adverts were not listened to: there is no address to explain") }
            } else if live, !noListen {
                wire = try listenForAdverts(addresses: addresses, keepalived: keepalived, hosts: views, limits: &limits)
            } else if !live {
                // The wire as a snapshot's host heard it (snapshot --listen), said so.
                if let heard = snapshots.first(where: { $0.vrrp != nil }), var census = heard.vrrp {
                    census.source.detail = "heard by \(heard.hostname) for its snapshot of \(heard.takenAt): \(census.source.detail ?? "live capture")"
                    wire = census
                } else {
                    limits.append("adverts were not listened to: the answer comes from snapshots (take them with `snapshot --listen 3s` to include the wire)")
                }
            } else {
                limits.append("adverts were not listened to (--no-listen): who is master is judged from addresses and configuration only")
            }

            let nodeNames = NodeNames.lookup(masters: wire, hosts: views, hostsFile: live ? (hosts.hostsFile ?? SystemFiles.hosts) : nil,
                                             snapshots: snapshots)
            let report = IPExplainer.explain(IPEvidence(
                query: query, addresses: addresses, resolution: address == nil ? claims : nil,
                names: Dictionary(grouping: claims, by: \.address),
                nameFindings: resolution.map(NameClaims.findings(of:)) ?? (parsed?.note.map { [$0] } ?? [], [], []),
                hosts: views, keepalived: keepalived, wire: wire, nodeNames: nodeNames, limits: limits))
            status = try deliver(report)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Listens until the answer cannot change (WireSufficiency), or the bound.
    func listenForAdverts(addresses: [IPAddress], keepalived: KeepalivedReport?, hosts: [HostView], limits: inout [String]) throws(HAError) -> VRRPCensusReport? {
        let relevant = (keepalived?.vrrpInstances ?? []).filter { instance in
            instance.virtualIpaddress.contains { addresses.contains($0.address) }
        }
        let slowest = relevant.map(\.advertInt).max()
        let seconds = listen?.seconds
            ?? slowest.map { max(IPCommand.minimumListen, 2 * $0 + 0.5) } ?? IPCommand.defaultListen
        let capture: PacketCapture
        do {
            capture = try PacketCapture.open(interface: nil, netns: namespace.netns)
        } catch {
            if error.kind == .usage { throw error }
            limits.append("could not listen for VRRP adverts: \(error.message)")
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
        let result = try WireListening.census(capture, seconds: seconds, fileName: nil, countdown: isatty(2) == 1,
                                              expected: expected, hosts: LinkLayerHosts(asked: addresses, hosts: hosts)) { census, since, now in
            WireSufficiency.progress(census, since: since, now: now, vrids: vrids, addresses: addresses)
        }
        var report = result.report
        report.capture.probes = probes
        return report
    }
}

/// Names from a snapshot's own hosts file, so a name is resolved as that host would.
enum SnapshotNames {
    static func claims(_ query: String, in snapshot: HostSnapshot) -> [NameClaim] {
        guard let files = snapshot.nameService, let text = files.hosts else { return [] }
        let hostsFile = HostsFile(path: "\(snapshot.hostname):\(files.hostsPath)", contents: Array(text.utf8))
        let hostConf = HostConf.parse(files.hostConf ?? "", file: "\(snapshot.hostname):/etc/host.conf")
        let resolution = NameResolutionExplainer.explain(
            query: query, reverseOf: IPAddress(query), hosts: hostsFile, hostConf: hostConf,
            nsswitch: .glibcDefault(file: "\(snapshot.hostname):/etc/nsswitch.conf"),
            glibc: GlibcFact(function: "getaddrinfo", error: "not asked: explaining from a snapshot"),
            dns: DNSFact(skipped: "explaining from a snapshot"), glibcHostsFile: hostsFile.path)
        return NameClaims.claims(of: resolution)
    }
}

/// Names for the masters heard on the wire that no host view describes, from this host's
/// hosts file and the snapshots' (files only: a dead nameserver must not slow the answer).
enum NodeNames {
    static func lookup(masters wire: VRRPCensusReport?, hosts views: [HostView], hostsFile: String?,
                       snapshots: [HostSnapshot]) -> [IPAddress: NameClaim] {
        let masters = Set((wire?.routers ?? []).compactMap(\.master?.address)).filter { address in
            !views.contains { $0.addresses?.assignments(of: address).isEmpty == false }
        }
        guard !masters.isEmpty else { return [:] }
        var files: [HostsFile] = []
        if let hostsFile, let bytes = try? ConfigFile.map(hostsFile) { files.append(HostsFile(path: hostsFile, bytes: bytes)) }
        for snapshot in snapshots {
            if let service = snapshot.nameService, let text = service.hosts {
                files.append(HostsFile(path: "\(snapshot.hostname):\(service.hostsPath)", contents: Array(text.utf8)))
            }
        }
        var names: [IPAddress: NameClaim] = [:]
        for address in masters {
            for file in files {
                guard let line = HostsLookup.reverse(address, in: file, limit: 1).matches.first?.line,
                      let name = line.names.first else { continue }
                names[address] = NameClaim(name: name, address: address, source: line.source)
                break
            }
        }
        return names
    }
}
