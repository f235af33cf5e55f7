import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Capture
import HAExplainCore
import HAModel
import VRRP

struct VRRPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vrrp",
        abstract: "Listen for VRRP adverts (or read a capture file) and print a census per virtual router.",
        discussion: """
            Captures VRRPv2/v3 adverts for a bounded time (default \(Int(VRRPCommand.defaultListen)) s: two adverts at \
            advert_int 3, and long enough to call split brain at advert_int 1), or reads a pcap/pcapng file, and prints \
            who advertises each VRID on each LAN (interface and VLAN): priorities, intervals, auth type, version, the \
            master and verdicts; CARP hosts apart. Nothing is sent. \
            Ctrl-C ends a capture early and still prints the census.
            """
    )

    /// Two adverts of the slowest common interval (3 s) need 6 s whatever their phase; a
    /// split brain at advert_int 1 is named after about two intervals of interleaving.
    static let defaultListen = 7.0

    @Option(name: .long, help: ArgumentHelp("Capture on this interface only (default: all).", valueName: "if"))
    var interface: String?

    @Option(name: .long, help: ArgumentHelp("How long to capture, e.g. 7, 2.5s, 500ms, 1m.", valueName: "duration"))
    var listen: String?

    @Option(name: .long, help: ArgumentHelp("Read a pcap or pcapng file instead of capturing.", valueName: "file"))
    var read: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        if read != nil, interface != nil || listen != nil || namespace.netns != nil {
            throw ValidationError("--read analyses a file; --interface, --listen and --netns apply only to live capture")
        }
        if let listen, Self.seconds(listen) == nil {
            throw ValidationError("--listen takes a duration up to a day, such as 7, 2.5s, 500ms or 1m, not '\(listen)'")
        }
    }

    /// The longest listen accepted: a day. A capture is a diagnosis, not a daemon.
    static let maximumListen: Double = 86_400

    static func seconds(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        var value: Double?
        if let (suffix, scale) = units.first(where: { text.hasSuffix($0.0) }) {
            value = Double(text.dropLast(suffix.count)).map { $0 * scale }
        } else {
            value = Double(text)
        }
        guard let value, value > 0, value.isFinite, value <= maximumListen else { return nil }
        return value
    }

    func run() throws {
        try Run.reporting {
            let capture = try read.map { path throws(HAError) in try PacketCapture.open(file: path) }
                ?? PacketCapture.open(interface: interface, netns: namespace.netns)
            let seconds = listen.flatMap(Self.seconds) ?? Self.defaultListen
            let result = try WireListening.census(capture, seconds: seconds, fileName: read,
                                                  countdown: read == nil && isatty(2) == 1)
            let report = result.report
            let truncated = result.truncated
            try Run.emit(output.json ? JSONOutput.encode(report) : VRRPCensusText.render(report))
            if let truncated, let read {
                throw HAError(.dataError, truncated, file: read)
            }
        }
    }
}
