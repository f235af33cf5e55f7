import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Capture
import HAExplainCore
import HAModel
import HostGathering
import KeepalivedConfig
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

    @Flag(name: .long, help: "Listen until interrupted (or --listen), printing the verdict once it settles and a line per change (owner, roles, conflict); one JSON document per line with --json, the full report last.")
    var watch = false

    func validate() throws {
        if watch, question.noListen || !question.from.isEmpty {
            throw ValidationError("--watch follows the live wire of this host; it cannot go with --no-listen or --from")
        }
    }

    func run() throws {
        var watcher = IPWatch()
        let json = question.output.json
        let print: IPWatching = { report, settled, now in
            for event in watcher.events(from: report, now: now, settled: settled) {
                // Each line goes out as it happens (write(2), no buffering), so a pipe sees it at once.
                if json, let line = try? JSONOutput.encode(event, pretty: false) {
                    FileOutput.standardOutput(line + "\n")
                } else {
                    FileOutput.standardOutput(TerminalText.escaped(IPWatch.line(event)) + "\n")
                }
            }
        }
        try question.answer(watch: watch ? print : nil) { report in
            // The final answer, judged on every advert heard, is the watch's last look.
            if watch { print(report, true, WireListening.realtimeNow()) }
            if watch, json {
                // The watch's stream ends with the full report as one more line.
                Run.emit(try JSONOutput.encode(report, pretty: false))
            } else if json {
                try Run.emitJSON(report)
            } else {
                Run.emit(IPReportText.render(report, brief: brief), colored: color.enabled)
            }
            return report.exitStatus
        }
    }
}

/// How `ip --watch` sees each look: the answer judged on the census so far, whether it has
/// settled (`IPWatchSettling`), and when.
typealias IPWatching = (IPReport, _ settled: Bool, PacketTime) -> Void

/// What `ip` and `check` ask: the address or name, where the facts come from, how long to
/// listen. Both answer through `answer`, so a check asks exactly what an operator would.
struct IPQuestion: ParsableArguments {
    @Argument(help: ArgumentHelp("An IPv4/IPv6 address or a host name.", valueName: "address-or-name"))
    var query: String

    @OptionGroup var keepalivedFiles: KeepalivedConfigOptions

    @OptionGroup var hosts: HostsFileOptions
    @OptionGroup var haproxyOptions: HAProxyConfigOptions

    @Flag(name: .long, help: "Do not ask DNS directly.")
    var noDNS = false

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "How long to listen for VRRP adverts at most, from 100ms to 24h, e.g. 7, 2.5s, 500ms (default: two adverts of the slowest instance configured here, at least \(ListeningPlan.minimumSeconds) s; \(Int(ListeningPlan.defaultSeconds)) s when none is; past it while two masters advertise, until they are told apart, at most \(Int(ListeningPlan.longestSeconds)) s).",
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

    /// The question as HostGathering answers it: this host's snapshot as `snapshot` gathers
    /// it, with this command's files and choices, and the other hosts'.
    var request: IPRequest {
        var gather = GatherRequest(netns: namespace.netns)
        gather.keepalivedConfigs = keepalivedFiles.configs
        gather.configIDs = keepalivedFiles.configIDs
        gather.hostsFile = hosts.hostsFile
        gather.haproxyConfigs = haproxyOptions.configs
        gather.runTrackScripts = tracking.runTrackScripts
        gather.askKeepalived = askKeepalived
        var request = IPRequest(query: query, thisHost: gather)
        request.snapshots = from
        request.remoteHosts = host
        request.remoteHostList = hostList
        request.remoteCommand = remoteHaexplain
        request.sshOptions = sshOptions
        request.parallel = parallel
        request.noDNS = noDNS
        request.noListen = noListen
        return request
    }

    /// Gathers, explains and hands the report to `deliver`, which prints it and says the exit
    /// status. With `watch`, listens until a signal or --listen, handing it each look's answer.
    func answer(watch: IPWatching? = nil, _ deliver: (IPReport) throws -> Int32) throws {
        var status: Int32 = 0
        try Run.reporting {
            let request = request
            // Listening begins before names and this host are gathered, so the wire is heard
            // meanwhile (time to the answer: gathering is a quarter second or more of it).
            let opened = request.listensToTheWire ? WireListening.Opened.open(netns: namespace.netns) : nil
            let report = try IPAnswering.explain(request, version: HAExplain.configuration.version, watching: {
                addresses, keepalived, hosts, limits, judge throws(HAError) in
                try listenForAdverts(opened, addresses: addresses, keepalived: keepalived, hosts: hosts, limits: &limits,
                                     watch: watch.map { watch in { census, settled, now in watch(judge(census), settled, now) } })
            })
            status = try deliver(report)
        }
        if status != 0 { throw ExitCode(status) }
    }

    /// Listens as the plan says until the answer cannot change (WireSufficiency), or the bound.
    func listenForAdverts(_ opened: WireListening.Opened?, addresses: [IPAddress], keepalived: KeepalivedReport?, hosts: [ExaminedHost],
                          limits: inout [Limit], watch: ((VRRPCensusReport, Bool, PacketTime) -> Void)? = nil) throws(HAError) -> VRRPCensusReport? {
        let plan = ListeningPlan(addresses: addresses, keepalived: keepalived, listen: listen?.seconds)
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
        let result: WireListening.Result
        if let watch {
            var settling = IPWatchSettling(addresses: addresses, keepalived: keepalived, listen: listen?.seconds,
                                           since: opened?.realtime ?? WireListening.realtimeNow())
            var looked = (packets: -1, at: 0.0)
            let source = Source(kind: .packet, detail: "live capture on \(capture.description)")
            result = try WireListening.census(capture, seconds: VRRPListeningPlan(listen: listen?.seconds, watch: true, readsFile: false).seconds,
                                              since: opened, fileName: nil,
                                              countdown: false, expected: plan.expected,
                                              hosts: LinkLayerHosts(asked: addresses, hosts: hosts), watch: { census, now in
                // A look after new packets, and twice a second for senders falling silent.
                let clock = HostIdentity.monotonicSeconds()
                guard census.packets != looked.packets || clock - looked.at >= 0.5 else { return }
                looked = (census.packets, clock)
                let settled = settling.settled(census, now: now)
                watch(census.report(source: source, end: now, expected: plan.expected), settled, now)
            })
        } else {
            result = try WireListening.census(capture, seconds: plan.seconds, extendingTo: plan.extendingTo, since: opened, fileName: nil,
                                              countdown: isatty(2) == 1, expected: plan.expected,
                                              hosts: LinkLayerHosts(asked: addresses, hosts: hosts), progress: plan.progress)
        }
        var report = result.report
        report.capture.probes = probes
        return report
    }
}
