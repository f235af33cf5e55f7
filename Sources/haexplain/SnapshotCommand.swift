import ArgumentParser
import HAExplainCore
import HAModel
import HostGathering

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Print everything this host knows as one JSON document, for --from and --host.",
        discussion: "The snapshot records what could not be observed as limits. `haexplain ip --from A.json --from B.json` explains from several hosts' snapshots."
    )

    @OptionGroup var namespace: NamespaceOptions

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Also listen for VRRP adverts this long (100ms to 24h), e.g. 3s, and keep the census in the snapshot (default: do not listen).",
        valueName: "duration"), transform: DurationArgument.parse)
    var listen: DurationArgument<ListenOption>?

    @Flag(name: .customLong("ask-keepalived"), help: "Signal the running keepalived (SIGJSON) for its own dump and keep what it says in the snapshot.")
    var askKeepalived = false

    func run() throws {
        try Run.reporting {
            var request = GatherRequest(netns: namespace.netns)
            request.listen = listen?.seconds
            request.askKeepalived = askKeepalived
            let snapshot = try SnapshotGatherer.gather(request, version: HAExplain.configuration.version).snapshot
            try Run.emitJSON(snapshot)
        }
    }
}
