#if canImport(Glibc)
import Glibc
#endif
import Capture
import DNSMessage
import HAExplainCore
import HAModel
import LocalFiles
import HostsFile
import KeepalivedConfig
import NameService
import Namespaces
import Netlink
import Processes
import SystemFacts
import VRRP

/// Reads this host's facts for the commands that report them (keepalived, hosts, vrrp) and
/// for those that join them (ip, snapshot): one place, so every command reads a source the
/// same way.
public enum KeepalivedGathering {
    /// The configurations to read: those given, else the running keepalived's (its -f and
    /// -i from /proc), else keepalived's default file; each with why it was chosen.
    /// `configIDs` go with `configs` in order (a peer's file is read with the peer's id); a
    /// single one applies to every file.
    /// With `networkNamespace`, only a keepalived running in that network namespace is taken
    /// as this host's (`ip`, `snapshot`); without, any (`keepalived`, which says where it runs).
    /// `namedAfterHost`: this host's configuration is named after the host even with a
    /// router_id (`ip`, `snapshot`: every snapshot's node is its host's name).
    public static func nodes(configs: [String], configIDs: [String], networkNamespace: UInt64? = nil,
                             namedAfterHost: Bool = false, readers: HostReaders = .system) throws(HAError) -> [NodeConfiguration] {
        guard configIDs.count <= 1 || configIDs.count == configs.count else {
            throw HAError(.usage, "\(configIDs.count) --config-id for \(configs.count) --keepalived-config: give one for all files, or one per file in the same order")
        }
        let configID = configIDs.count == 1 ? configIDs[0] : nil
        let files = readers.keepalivedFiles
        let running = configs.isEmpty ? ProcessGathering.keepalived(networkNamespace: networkNamespace, readers: readers) : nil
        let hostname = readers.hostname()
        let defaultID = KeepalivedCommandLine.defaultConfigID(nodeName: hostname)
        var chosen: [(path: String, because: String, id: String)] = []
        if configs.isEmpty {
            if let running, let file = KeepalivedCommandLine(arguments: running.process.arguments).useFile {
                let path = DaemonFinder.keepalivedConfig(running.process, workingDirectory: running.workingDirectory).path
                chosen.append((path, "the running keepalived (pid \(running.process.pid)) was started with -f \(file)", configID ?? KeepalivedCommandLine(arguments: running.process.arguments).configID ?? defaultID))
            } else if let running {
                chosen.append(("/etc/keepalived/keepalived.conf", "the running keepalived (pid \(running.process.pid)) has no -f, so it reads the default", configID ?? KeepalivedCommandLine(arguments: running.process.arguments).configID ?? defaultID))
            } else {
                chosen.append(("/etc/keepalived/keepalived.conf", "no keepalived is running and no --keepalived-config was given: keepalived's default", configID ?? defaultID))
            }
        } else {
            chosen = configs.enumerated().map { index, path in
                (path, index == 0 ? "given with --keepalived-config" : "given with --keepalived-config (a peer)",
                 configIDs.count > 1 ? configIDs[index] : (configID ?? defaultID))
            }
        }
        var nodes: [NodeConfiguration] = []
        for (index, choice) in chosen.enumerated() {
            var config: KeepalivedConfiguration
            do {
                config = try KeepalivedParser.parse(path: choice.path, files: files, configID: choice.id)
            } catch let error as HAError {
                throw error
            } catch {
                throw HAError(.noInput, "\(error)", file: choice.path)
            }
            let name = nodeName(config, index: index, count: configs.count, hostname: hostname,
                                namedAfterHost: namedAfterHost, taken: nodes.map(\.name))
            // This host's scripts are judged as its keepalived would judge them; a peer's file
            // read here is not (its own snapshot carries that).
            if index == 0, configs.count <= 1 {
                ScriptAvailability.apply(to: &config, host: ScriptHostGathering.host(keepalived: running?.process), node: name)
            }
            nodes.append(NodeConfiguration(name: name, config: config, chosenBecause: choice.because))
        }
        return nodes
    }

    /// The one rule for naming a configuration read here. This host's (the only one read) is
    /// named after the host when it names no router_id, or always with `namedAfterHost`; a
    /// peer's by its router_id, else its directory; a name already taken by its file.
    public static func nodeName(_ config: KeepalivedConfiguration, index: Int, count: Int, hostname: String,
                                namedAfterHost: Bool, taken: [String]) -> String {
        let thisHost = index == 0 && count <= 1
        if thisHost, namedAfterHost || config.globalDefs.routerID == nil { return hostname }
        let name = NodeConfiguration.label(for: config)
        return taken.contains(name) ? config.file : name
    }

    /// Owners of the scripts the configurations run, for the script-security problems.
    public static func scriptOwners(_ nodes: [NodeConfiguration]) -> [String: UInt32] {
        let files = LocalConfigFiles()
        var owners: [String: UInt32] = [:]
        for node in nodes {
            // Notify scripts count too: keepalived checks every script it will run.
            for program in KeepalivedAnalysis.scriptPrograms(node.config) where program.hasPrefix("/") {
                if let owner = files.owner(program) { owners[program] = owner.uid }
            }
        }
        return owners
    }
}

/// The neighbour table, read only (a dump: no entry is added, no probe sent); a table that
/// cannot be read narrows the answer.
public enum NeighbourGathering {
    public static func read(netns: String?, limits: inout [Limit]) -> NeighbourTable? {
        do {
            return try NeighbourReader.read(netns: netns)
        } catch {
            limits.append(Limit(source: NeighbourTable.dumpSource,
                               message: "the neighbour table could not be read, so where this host sends the address is not known: \(error.message)"))
            return nil
        }
    }
}

public enum SystemFiles {
    public static let hosts = "/etc/hosts"
    public static let hostConf = "/etc/host.conf"
    public static let nsswitch = "/etc/nsswitch.conf"
    public static let resolvConf = "/etc/resolv.conf"
}

public enum NameGathering {
    /// Everything about where `query` (a name, or an address for a reverse lookup) resolves
    /// from: hosts-file lines, nsswitch, glibc's answer and, unless `noDNS`, DNS asked directly.
    public static func resolve(_ query: String, hostsFile: String?, noDNS: Bool, dnsTimeout: Double, netns: String?) throws(HAError) -> NameResolution {
        // A namespace that cannot be entered is an error (69/77), not a silent limit.
        try NetworkNamespace.with(netns) { () throws(HAError) in }
        // The text as getaddrinfo reads it: an address in any form inet_aton takes, or a name
        // in the form AI_IDN looks up; the report is about that, with a note saying how.
        let typed = query
        var query = query
        var readAs: [String] = []
        let address = AddressQuery(typed)?.address
        if let parsed = AddressQuery(typed) {
            query = parsed.address.description
            readAs += parsed.note.map { [$0] } ?? []
        } else {
            switch InternationalName.lookupForm(of: typed) {
            case .ascii: break
            case .converted(let ascii):
                query = ascii
                readAs.append("\(typed) is looked up as \(ascii): glibc converts an international name with libidn2 (IDNA 2008, UTS #46 mapping) when a program asks getaddrinfo for AI_IDN, as getent ahosts and ping do; a program that does not ask looks up the UTF-8 bytes and finds only lines written that way")
            case .refused(let reason):
                readAs.append("\(typed) has no form AI_IDN can look up (\(reason)): getent ahosts refuses it; looked up here as written")
            }
        }
        // glibc works on a worker while we map and scan the file ourselves.
        let pending = address.map { SystemResolver.name(for: $0, netns: netns, timeoutSeconds: 5) }
            ?? SystemResolver.addresses(for: query, netns: netns, timeoutSeconds: 5)
        let hostsPath = hostsFile ?? SystemFiles.hosts
        let contents: FileBytes
        var unreadable: HAError? = nil
        do {
            contents = try ConfigFile.map(hostsPath)
        } catch where hostsFile == nil {
            // The system's own file missing narrows the answer; an explicit one is an error.
            contents = FileBytes([])
            unreadable = error
        }
        let hosts = HostsFile(path: hostsPath, bytes: contents)
        let hostConf = HostConf.parse(ConfigFile.text(SystemFiles.hostConf) ?? "", file: SystemFiles.hostConf)
        let nsswitch = ConfigFile.text(SystemFiles.nsswitch).map { NSSwitchHosts.parse($0, file: SystemFiles.nsswitch) }
            ?? .glibcDefault(file: SystemFiles.nsswitch)
        let glibc = pending.outcome().fact(address == nil ? "getaddrinfo" : "getnameinfo")
        let dns = noDNS ? DNSFact(skipped: "--no-dns") : askDNS(query, address, timeout: dnsTimeout, netns: netns)
        var report = NameResolutionExplainer.explain(
            query: query, reverseOf: address, hosts: hosts, hostConf: hostConf, nsswitch: nsswitch,
            glibc: glibc, dns: dns, glibcHostsFile: SystemFiles.hosts, hostsFileProblem: unreadable?.description)
        report.findings.insert(contentsOf: readAs.map { NameFinding($0) }, at: 0)
        return report
    }

    /// Asks the nameservers of resolv.conf in order until one answers; glibc uses 127.0.0.1
    /// when the file lists none, and so do we.
    public static func askDNS(_ query: String, _ address: IPAddress?, timeout: Double, netns: String?) -> DNSFact {
        let conf = ResolvConf.parse(ConfigFile.text(SystemFiles.resolvConf) ?? "", file: SystemFiles.resolvConf)
        let servers = conf.nameservers.isEmpty
            ? [(IPAddress.v4(0x7f00_0001), Source(kind: .assumption, detail: "glibc's default nameserver: \(SystemFiles.resolvConf) lists none"))]
            : conf.nameservers.map { ($0.address, Source.file(conf.file, line: $0.line)) }
        let questions: [(String, DNSMessage.RecordType)] = address.map { [(DNSMessage.reverseName($0), .ptr)] }
            ?? [(query, .a), (query, .aaaa)]
        let asked = questions.map { "\($0.0) \($0.1)" }
        var last = DNSFact(skipped: "no nameserver")
        for (server, source) in servers {
            switch DNSClient.ask(server, questions: questions, timeoutSeconds: timeout, netns: netns) {
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

extension SystemResolver.Outcome {
    public func fact(_ function: String) -> GlibcFact {
        switch self {
        case .addresses(let addresses): GlibcFact(function: function, addresses: addresses)
        case .names(let names): GlibcFact(function: function, names: names)
        case .failed(let reason): GlibcFact(function: function, error: reason)
        }
    }
}

public enum WireListening {
    public static func realtimeNow() -> PacketTime {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return PacketTime(seconds: Int64(now.tv_sec), nanoseconds: Int64(now.tv_nsec))
    }

    /// A live capture opened before the rest of the question is gathered, and when: what it
    /// buffers meanwhile counts as listening.
    public struct Opened {
        public var capture: Swift.Result<PacketCapture, HAError>
        public var monotonic: Double
        public var realtime: PacketTime

        public static func open(netns: String?) -> Opened {
            Opened(capture: Swift.Result { () throws(HAError) in try PacketCapture.open(interface: nil, netns: netns) },
                   monotonic: HostIdentity.monotonicSeconds(), realtime: WireListening.realtimeNow())
        }
    }

    public struct Result {
        public var report: VRRPCensusReport
        public var truncated: String?
    }

    /// Decodes every frame of `capture` into the census until the file ends, `seconds` pass,
    /// Ctrl-C, or `progress` says more listening cannot change the answer. With `extendingTo`,
    /// a conflict still forming when `seconds` pass is listened to until it is told apart
    /// (`Progress.decidedBy`), never past `extendingTo` seconds: a bound chosen before the
    /// intervals were heard must not cut a split brain short. Listening that ends while one is
    /// still forming records when it would have been told apart (`Listening.undecidedUntil`)
    /// and says so among the census's problems.
    public static func census(_ capture: PacketCapture, seconds: Double, extendingTo longest: Double? = nil, since opened: Opened? = nil, fileName: String?,
                       countdown: Bool, expected: [VRRPCensus.ExpectedRouter] = [], hosts: LinkLayerHosts? = nil,
                       progress: ((VRRPCensus, _ since: PacketTime, _ now: PacketTime) -> WireSufficiency.Progress)? = nil,
                       watch: ((VRRPCensus, PacketTime) -> Void)? = nil) throws(HAError) -> Result {
        var recorder = VRRPCensusRecorder(interfaceName: capture.interfaceName(index:))
        recorder.watch(hosts?.asked ?? [])
        var shown = -1
        var latest: WireSufficiency.Progress?
        let started = opened?.monotonic ?? HostIdentity.monotonicSeconds()
        let since = opened?.realtime ?? realtimeNow()
        let hard = max(seconds, progress == nil ? seconds : longest ?? seconds)
        var boundPassed = false, extended = false
        // Listening opened earlier has already run part of the bound; what it buffered is still read.
        var ending = try capture.run(seconds: max(0.1, hard - (HostIdentity.monotonicSeconds() - started)), tick: { left in
            let left = max(0, left - (hard - seconds))
            guard countdown, Int(left.rounded(.up)) != shown else { return }
            shown = Int(left.rounded(.up))
            FileOutput.standardError("\rlistening for VRRP on \(TerminalText.escaped(capture.description)): \(shown) s left (Ctrl-C stops) ")
        }, until: {
            watch?(recorder.census, realtimeNow())
            guard let progress else { return false }
            let now = realtimeNow()
            latest = progress(recorder.census, since, now)
            if latest?.answered == true { return true }
            guard hard > seconds, HostIdentity.monotonicSeconds() - started >= seconds else { return false }
            if let by = latest?.decidedBy, now < by {
                extended = true
                return false
            }
            boundPassed = true
            return true
        }) { frame, time, link in
            recorder.record(frame: frame, time: time, link: link)
        }
        if boundPassed, ending == .enough { ending = .timeUp }
        if countdown { FileOutput.standardError("\r\u{1b}[K") }
        var truncated: String? = nil
        if case .truncated(let detail) = ending {
            let complete = recorder.census.packets
            truncated = "the file ends in the middle of packet #\(complete + 1) (\(detail)); the census covers the \(complete) complete packet(s)"
        }
        let source: Source
        let end: PacketTime?
        if let fileName {
            source = Source(kind: .file, file: fileName, detail: capture.fileKind)
            end = nil
        } else {
            end = realtimeNow()
            let took = HostIdentity.monotonicSeconds() - started
            let how: String
            var listening: VRRPCensusReport.Listening
            switch ending {
            case .interrupted:
                let signal = PacketCapture.interruptingSignal ?? "a signal"
                how = "interrupted by \(signal) after \(HostIdentity.tenths(took)) s"
                listening = .init(seconds: took, limit: seconds, reason: .interrupted, explanation: "interrupted by \(signal)")
            case .enough:
                let bound = extended ? "(past the \(seconds) s bound while two masters advertised; at most \(hard) s)" : "of at most \(seconds) s"
                how = "stopped after \(HostIdentity.tenths(took)) s \(bound): the answer could no longer change"
                    + (latest.map { " (\($0.explanation))" } ?? "")
                listening = .init(seconds: took, limit: extended ? hard : seconds, reason: .answered, explanation: latest?.explanation ?? "answered")
            default:
                how = extended ? "\(HostIdentity.tenths(took)) s, the \(seconds) s bound extended while two masters advertised" : "\(seconds) s"
                listening = .init(seconds: took, limit: extended ? hard : seconds, reason: .timeUp,
                                  explanation: latest.map { "the bound passed\($0.decidedBy == nil ? "" : " while waiting"): \($0.explanation)" }
                                  ?? "the bound passed (this command listens the whole time)")
            }
            // Asked again at the end, so what is left undecided is judged on every advert heard.
            if let end, let progress { listening.undecidedUntil = WireSufficiency.undecided(progress(recorder.census, since, end), endedBecause: listening.reason) }
            source = Source(kind: .packet, detail: "live capture on \(capture.description) (\(how))")
            var report = recorder.report(source: source, end: end, expected: expected, truncated: truncated, notes: capture.notes,
                                         capturesLinkLayer: true, hosts: hosts)
            report.capture.listening = listening
            if let limit = WireSufficiency.limit(listening) { report.problems.append(.init(packet: nil, message: limit.message)) }
            return Result(report: report, truncated: truncated)
        }
        return Result(report: recorder.report(source: source, end: end, expected: expected, truncated: truncated, notes: capture.notes, hosts: hosts),
                      truncated: truncated)
    }
}
