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

    @Option(name: .long, help: ArgumentHelp(
        "Also listen for VRRP adverts this long, e.g. 3s, and keep the census in the snapshot (default: do not listen).",
        valueName: "duration"))
    var listen: String?

    func run() throws {
        try Run.reporting {
            var seconds: Double?
            if let listen {
                guard let value = VRRPCommand.seconds(listen), value > 0 else {
                    throw HAError(.usage, "--listen wants a duration such as 3, 2.5s or 500ms, not '\(listen)'")
                }
                seconds = value
            }
            let snapshot = try SnapshotGatherer.gather(netns: namespace.netns, listen: seconds)
            try Run.emit(snapshot, json: true) { _ in "" }
        }
    }
}

/// Gathers this host's facts into a snapshot; a source that cannot be read becomes a limit.
enum SnapshotGatherer {
    static func gather(netns: String?, listen seconds: Double? = nil) throws(HAError) -> HostSnapshot {
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
                vrrp = try WireListening.census(capture, seconds: seconds, fileName: nil, countdown: false).report
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
