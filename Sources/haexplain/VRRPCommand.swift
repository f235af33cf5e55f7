import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Capture
import HAExplainCore
import HAModel
import HostGathering
import SystemFacts
import VRRP

struct VRRPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vrrp",
        abstract: "Listen for VRRP adverts (or read a capture file) and print a census per virtual router.",
        discussion: """
            Captures VRRPv2/v3 adverts for a bounded time (default \(Int(ListeningPlan.defaultSeconds)) s: two adverts at \
            advert_int 3, and long enough to call split brain at advert_int 1; longer, at most 30 s, while two masters of \
            one VRID still advertise), or reads a pcap/pcapng file, and prints \
            who advertises each VRID on each LAN (interface and VLAN): priorities, intervals, auth type, version, the \
            master and verdicts; CARP hosts apart; who claims the VIPs in ARP and NDP. Nothing is sent but with --probe. \
            Ctrl-C ends a capture early and still prints the census.
            """
    )

    @Option(name: .long, help: ArgumentHelp("Capture on this interface only (default: all).", valueName: "if"))
    var interface: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "How long to capture, from 100ms to 24h, e.g. 7, 2.5s, 500ms, 1m, 1h.", valueName: "duration"),
        transform: DurationArgument.parse)
    var listen: DurationArgument<ListenOption>?

    @Option(name: .customLong("read"), help: ArgumentHelp("Read a pcap or pcapng file instead of capturing (once: merge several with mergecap).", valueName: "file"),
            completion: .file(extensions: ["pcap", "pcapng", "cap"]))
    var reads: [String] = []

    var read: String? { reads.first }

    @Flag(name: .long, help: "Listen until interrupted (or --listen), printing each change as it happens: master, priority, split brain, senders; one JSON document per line with --json.")
    var watch = false

    @OptionGroup var probing: ProbeOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        if reads.count > 1 {
            throw ValidationError("--read takes one capture file, not \(reads.count): merge them into one census with `mergecap -w all.pcapng FILE...` and read that")
        }
        if watch, read != nil {
            throw ValidationError("--watch follows a live capture; --read analyses a file at once")
        }
        if read != nil, interface != nil || listen != nil || namespace.netns != nil || probing.probe {
            throw ValidationError("--read analyses a file; --interface, --listen, --netns and --probe apply only to live capture")
        }
    }

    func run() throws {
        try Run.reporting {
            let capture = try read.map { path throws(HAError) in try PacketCapture.open(file: path) }
                ?? PacketCapture.open(interface: interface, netns: namespace.netns)
            let plan = VRRPListeningPlan(listen: listen?.seconds, watch: watch, readsFile: read != nil)
            var watcher = VRRPWatch()
            var looked = (packets: -1, at: 0.0)
            // On a terminal the watch is a screen redrawn in place (as mtr); elsewhere, lines.
            let screen = watch && !output.json && isatty(1) == 1
            var recent: [VRRPWatch.Event] = []
            let follower = read == nil ? HeardAddressFollower(capture: capture, probe: probing.probe) : nil
            let result = try WireListening.census(capture, seconds: plan.seconds, extendingTo: plan.extendingTo, fileName: read,
                                                  countdown: !watch && read == nil && isatty(2) == 1,
                                                  progress: read == nil && !watch ? { census, _, now in WireSufficiency.forming(census, now: now) } : nil,
                                                  watch: follower == nil && !watch ? nil : { census, now in
                follower?.follow(census)
                guard watch else { return }
                // A look after new packets, and twice a second for senders falling silent.
                let clock = HostIdentity.monotonicSeconds()
                guard census.packets != looked.packets || clock - looked.at >= 0.5 else { return }
                looked = (census.packets, clock)
                let report = census.report(source: Source(kind: .packet, detail: "live capture on \(capture.description)"), end: now)
                let events = watcher.events(from: report, now: now)
                if screen {
                    recent = Array((recent + events).suffix(100))
                    FileOutput.standardOutput("\u{1b}[H\u{1b}[2J" + VRRPWatchScreen.render(report, recent: recent, now: now))
                    return
                }
                for event in events {
                    // Each line goes out as it happens (write(2), no buffering), so a pipe sees it at once.
                    if output.json, let line = try? JSONOutput.encode(event, pretty: false) {
                        FileOutput.standardOutput(line + "\n")
                    } else {
                        FileOutput.standardOutput(TerminalText.escaped(VRRPWatch.line(event)) + "\n")
                    }
                }
            })
            var report = result.report
            if probing.probe { report.capture.probes = follower?.probes }
            if let limits = follower?.limits, !limits.isEmpty { report.limits = limits }
            if read == nil { report = ReachabilityGathering.explainingSilentPeers(report, netns: namespace.netns) }
            let truncated = result.truncated
            if watch, output.json {
                // The watch's stream ends with the census as one more line.
                Run.emit(try JSONOutput.encode(report, pretty: false))
            } else {
                try Run.emit(report, json: output.json, render: VRRPCensusText.render)
            }
            if let truncated, let read {
                throw HAError(.dataError, truncated, file: read)
            }
        }
    }
}
