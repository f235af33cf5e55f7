import ArgumentParser
import Capture
import HAExplainCore
import HAModel
import KeepalivedConfig
import NameService
import Netlink
import SystemFacts

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Print everything this host knows as one JSON document, for --from and --host.",
        discussion: "The snapshot records what could not be observed as limits. `haexplain ip --from A.json --from B.json` explains from several hosts' snapshots."
    )

    @Flag(name: .long, help: "Accepted for symmetry with the other commands; a snapshot is always JSON.")
    var json = false

    @OptionGroup var namespace: NamespaceOptions

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp(
        "Also listen for VRRP adverts this long (100ms to 24h), e.g. 3s, and keep the census in the snapshot (default: do not listen).",
        valueName: "duration"), transform: DurationArgument.parse)
    var listen: DurationArgument<ListenOption>?

    @Flag(name: .customLong("ask-keepalived"), help: "Signal the running keepalived (SIGJSON) for its own dump and keep what it says in the snapshot.")
    var askKeepalived = false

    func run() throws {
        try Run.reporting {
            let snapshot = try SnapshotGatherer.gather(netns: namespace.netns, listen: listen?.seconds, askKeepalived: askKeepalived)
            try Run.emit(snapshot, json: true) { _ in "" }
        }
    }
}

/// Gathers this host's facts into a snapshot; a source that cannot be read becomes a limit.
enum SnapshotGatherer {
    static func gather(netns: String?, listen seconds: Double? = nil, askKeepalived: Bool = false) throws(HAError) -> HostSnapshot {
        var limits: [Limit] = []
        var addresses: AddressTable?
        do {
            var table = try AddressReader.read(netns: netns)
            IfconfigView.mark(&table)
            addresses = table
        } catch {
            // An explicitly named namespace that cannot be read is the user's error.
            if netns != nil { throw error }
            limits.append(Limit(source: "netlink", message: error.message))
        }
        var neighbourLimits: [String] = []
        let neighbours = NeighbourGathering.read(netns: netns, limits: &neighbourLimits)
        limits += neighbourLimits.map { Limit(source: "netlink", message: $0) }
        var keepalived: KeepalivedSnapshot?
        var node: NodeConfiguration?
        // Only a keepalived of the examined network namespace is this host's.
        let examined = ProcessGathering.examinedNetworkNamespace(netns)
        if let elsewhere = ProcessGathering.keepalivedElsewhere(networkNamespace: examined) {
            limits.append(Limit(source: "keepalived", message: elsewhere))
        }
        do {
            node = try KeepalivedGathering.nodes(configs: [], configIDs: [], networkNamespace: examined).first
            if let node { keepalived = KeepalivedSnapshot(configuration: node.config, chosenBecause: node.chosenBecause) }
        } catch {
            limits.append(Limit(source: "keepalived", message: "no keepalived configuration read: \(error)"))
        }
        // Track scripts named after this host, as `ip --from` names the snapshot's node.
        if node != nil { node!.name = HostIdentity.hostname() }
        if askKeepalived {
            var asked: [String] = []
            if let running = ProcessGathering.keepalived(networkNamespace: examined), keepalived != nil {
                keepalived?.keepalivedSays = KeepalivedAsking.ask(running.process, node: HostIdentity.hostname(), limits: &asked)
            } else {
                asked.append("--ask-keepalived: no keepalived runs in the network namespace examined")
            }
            limits += asked.map { Limit(source: "keepalived", message: $0) }
        }
        let processes = ProcessGathering.facts(node: node, runScripts: false, networkNamespace: examined)
        // Small files as text; a hosts file over 16 MiB is left out and said so.
        func text(_ path: String) -> String? {
            guard let bytes = try? ConfigFile.read(path) else { return nil }
            return bytes.count <= 16 << 20 ? String(decoding: bytes, as: UTF8.self) : nil
        }
        let hosts = text(SystemFiles.hosts)
        if hosts == nil { limits.append(Limit(source: "hosts", message: "\(SystemFiles.hosts) could not be read (or is over 16 MiB)")) }
        let names = NameServiceFiles(hostsPath: SystemFiles.hosts, hosts: hosts, nsswitch: text(SystemFiles.nsswitch),
                                     hostConf: text(SystemFiles.hostConf))
        var vrrp: VRRPCensusReport?
        if let seconds {
            do {
                let capture = try PacketCapture.open(interface: nil, netns: netns)
                // The link layer is judged for the VIPs configured here too, with this host in view.
                let configured = (keepalived?.configuration.vrrpInstances ?? []).flatMap { $0.virtualIpaddress.map(\.address) }
                capture.listenForSolicitations(of: configured)
                let view = HostView(hostname: HostIdentity.hostname(), isLocal: true, addresses: addresses, neighbours: neighbours)
                vrrp = try WireListening.census(capture, seconds: seconds, fileName: nil, countdown: false,
                                                hosts: LinkLayerHosts(asked: configured, hosts: [view], alsoHeard: true)).report
            } catch {
                if error.kind == .usage { throw error }
                limits.append(Limit(source: "vrrp", message: "could not listen for VRRP adverts: \(error.message)"))
            }
        }
        var haproxyLimits: [String] = []
        let haproxy = try HAProxyGathering.snapshot(configs: [], netns: netns, limits: &haproxyLimits)
        limits += haproxyLimits.map { Limit(source: "haproxy", message: $0) }
        if let problem = haproxy.configurationProblem { limits.append(Limit(source: "haproxy", message: "no haproxy configuration read: \(problem)")) }
        var reachLimits: [String] = []
        let vips = (keepalived?.configuration.vrrpInstances ?? []).flatMap { $0.virtualIpaddress.map(\.address) }
        let routes = ReachabilityGathering.routes(Array(Set(vips)).sorted(), table: addresses, netns: netns, limits: &reachLimits)
        let firewall = ReachabilityGathering.firewall(netns: netns, limits: &reachLimits)
        limits += reachLimits.map { Limit(source: "netlink", message: $0) }
        var snapshot = HostSnapshot(hostname: HostIdentity.hostname(), takenAt: HostIdentity.now(),
                                    haexplainVersion: HAExplain.configuration.version, netns: netns,
                                    addresses: addresses, keepalived: keepalived, nameService: names, vrrp: vrrp,
                                    processes: processes, limits: limits, neighbours: neighbours, haproxy: haproxy)
        snapshot.routes = routes
        snapshot.firewall = firewall
        snapshot.arp = addresses.map { ReachabilityGathering.arp($0, netns: netns) }
        return snapshot
    }
}
