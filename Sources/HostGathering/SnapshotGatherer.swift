import Capture
import HAExplainCore
import HAModel
import KeepalivedConfig
import NameService
import Netlink
import SystemFacts

/// What a command asks of this host's snapshot beyond `snapshot`'s defaults: the files it was
/// told to read, whether track scripts run and keepalived is asked, the routes it needs.
public struct GatherRequest: Sendable {
    public var netns: String?
    /// --keepalived-config: this host's file first; more than one are peers' files read here.
    public var keepalivedConfigs: [String] = []
    public var configIDs: [String] = []
    public var hostsFile: String?
    public var haproxyConfigs: [String] = []
    public var runTrackScripts = false
    public var askKeepalived = false
    /// Listen for VRRP adverts this long and keep the census (`snapshot --listen`).
    public var listen: Double?
    /// The addresses to ask the kernel's route to (nil: keepalived's virtual addresses).
    public var routesTo: [IPAddress]?

    public init(netns: String?) { self.netns = netns }
}

/// This host's snapshot, and what a command read beside it that a snapshot has no place for.
public struct GatheredHost: Sendable {
    public var snapshot: HostSnapshot
    /// Configurations read here that are not this host's own: the peers' files given with a
    /// repeated --keepalived-config (all of them: with several, none is taken as this host's).
    public var otherConfigurations: [NodeConfiguration]
    /// keepalived's own dump (--ask-keepalived), also in the snapshot when its configuration is.
    public var keepalivedSays: KeepalivedSays?
}

/// Gathers this host's facts into a snapshot; a source that cannot be read becomes a limit.
/// `snapshot` and `ip` (for this host) both gather here, so they see the same host.
public enum SnapshotGatherer {
    public static func gather(_ request: GatherRequest, version: String, readers: HostReaders = .system) throws(HAError) -> GatheredHost {
        let netns = request.netns
        let hostname = readers.hostname()
        // Limits in the order an answer says them: the kernel's tables, haproxy, routes and
        // firewall, keepalived, the files, the wire.
        var tables: [Limit] = []
        var addresses: AddressTable?
        do {
            var table = try AddressReader.read(netns: netns)
            IfconfigView.mark(&table)
            addresses = table
        } catch {
            // An explicitly named namespace that cannot be read is the user's error.
            if netns != nil { throw error }
            tables.append(Limit(source: AddressTable.dumpSource, message: error.message))
        }
        let neighbours = NeighbourGathering.read(netns: netns, limits: &tables)

        var keepalivedLimits: [Limit] = []
        // Only a keepalived of the examined network namespace is this host's.
        let examined = ProcessGathering.examinedNetworkNamespace(netns, readers: readers)
        if request.keepalivedConfigs.isEmpty, let elsewhere = ProcessGathering.keepalivedElsewhere(networkNamespace: examined, readers: readers) {
            keepalivedLimits.append(Limit(source: .process("keepalived"), message: elsewhere))
        }
        var configurations: [NodeConfiguration] = []
        do {
            configurations = try KeepalivedGathering.nodes(configs: request.keepalivedConfigs, configIDs: request.configIDs,
                                                           networkNamespace: examined, namedAfterHost: true, readers: readers)
        } catch where request.keepalivedConfigs.isEmpty {
            // Only keepalived's default missing narrows the answer; a file given is an error.
            keepalivedLimits.append(Limit(source: error.file.map { .file($0, line: error.line) } ?? .file("/etc/keepalived/keepalived.conf"),
                                          message: "no keepalived configuration read on \(hostname): \(error)"))
        }
        let node = request.keepalivedConfigs.count <= 1 ? configurations.first : nil
        var keepalived = node.map { KeepalivedSnapshot(configuration: $0.config, chosenBecause: $0.chosenBecause) }
        var says: KeepalivedSays?
        if request.askKeepalived {
            if let running = ProcessGathering.keepalived(networkNamespace: examined, readers: readers), !configurations.isEmpty {
                says = KeepalivedAsking.ask(running.process, node: hostname, limits: &keepalivedLimits)
            } else {
                keepalivedLimits.append(Limit(source: .process("keepalived"), message: "--ask-keepalived: no keepalived whose configuration was read runs in the network namespace examined"))
            }
            keepalived?.keepalivedSays = says
        }
        let processes = ProcessGathering.facts(node: node, runScripts: request.runTrackScripts, networkNamespace: examined, readers: readers)

        // Small files as text; a hosts file over 16 MiB is left out and said so.
        func text(_ path: String) -> String? {
            guard let bytes = try? ConfigFile.read(path) else { return nil }
            return bytes.count <= 16 << 20 ? String(decoding: bytes, as: UTF8.self) : nil
        }
        let hostsPath = request.hostsFile ?? SystemFiles.hosts
        let hosts = text(hostsPath)
        var fileLimits: [Limit] = []
        if hosts == nil { fileLimits.append(Limit(source: .file(hostsPath), message: "\(hostsPath) could not be read (or is over 16 MiB)")) }
        let names = NameServiceFiles(hostsPath: hostsPath, hosts: hosts, nsswitch: text(SystemFiles.nsswitch),
                                     hostConf: text(SystemFiles.hostConf))
        var vrrp: VRRPCensusReport?
        var wireLimits: [Limit] = []
        if let seconds = request.listen {
            do {
                let capture = try PacketCapture.open(interface: nil, netns: netns)
                // The link layer is judged for the VIPs configured here too, with this host in view.
                let configured = (keepalived?.configuration.vrrpInstances ?? []).flatMap { $0.virtualIpaddress.map(\.address) }
                capture.listenForSolicitations(of: configured)
                let here = HostSnapshot(hostname: hostname, takenAt: "", haexplainVersion: version, netns: netns,
                                        addresses: addresses, neighbours: neighbours)
                vrrp = try WireListening.census(capture, seconds: seconds, fileName: nil, countdown: false,
                                                hosts: LinkLayerHosts(asked: configured, hosts: [ExaminedHost(here, isLocal: true)],
                                                                      alsoHeard: true)).report
            } catch {
                if error.kind == .usage { throw error }
                wireLimits.append(Limit(source: .liveCapture, message: "could not listen for VRRP adverts: \(error.message)"))
            }
        }
        // haproxy's configuration problem is kept as a value (configuration_problem), said
        // where it matters for an address, not as a limit of its own.
        var haproxyLimits: [Limit] = []
        let haproxy = try HAProxyGathering.snapshot(configs: request.haproxyConfigs, netns: netns, limits: &haproxyLimits, readers: readers)
        var reachLimits: [Limit] = []
        let vips = (keepalived?.configuration.vrrpInstances ?? []).flatMap { $0.virtualIpaddress.map(\.address) }
        let routes = ReachabilityGathering.routes(request.routesTo ?? Array(Set(vips)).sorted(), table: addresses, netns: netns, limits: &reachLimits)
        let firewall = ReachabilityGathering.firewall(netns: netns, limits: &reachLimits)
        let limits = tables + haproxyLimits + reachLimits + keepalivedLimits + fileLimits + wireLimits
        var snapshot = HostSnapshot(hostname: hostname, takenAt: HostIdentity.now(),
                                    haexplainVersion: version, netns: netns,
                                    addresses: addresses, keepalived: keepalived, nameService: names, vrrp: vrrp,
                                    processes: processes, limits: limits, neighbours: neighbours, haproxy: haproxy)
        snapshot.routes = routes
        snapshot.firewall = firewall
        snapshot.arp = addresses.map { ReachabilityGathering.arp($0, netns: netns) }
        return GatheredHost(snapshot: snapshot, otherConfigurations: node == nil ? configurations : [], keepalivedSays: says)
    }
}

extension SnapshotGatherer {
    /// `--host`: the snapshots of `hosts` taken over ssh, at most `parallel` at once.
    public static func remote(_ hosts: [String], remoteCommand: String, sshOptions: [String], parallel: Int, limits: inout [Limit]) -> [HostSnapshot] {
        let outcomes = RemoteSnapshot.fetchAll(hosts: hosts, remoteCommand: remoteCommand, sshOptions: sshOptions, parallel: parallel)
        return decoded(Array(zip(hosts, outcomes)), limits: &limits)
    }

    /// A host that cannot be reached, or answers with no usable snapshot, narrows the answer
    /// to the others: a limit naming it, never the end of the answer.
    public static func decoded(_ outcomes: [(host: String, outcome: Result<[UInt8], HAError>)], limits: inout [Limit]) -> [HostSnapshot] {
        var snapshots: [HostSnapshot] = []
        for (host, outcome) in outcomes {
            do throws(HAError) {
                snapshots.append(try HostSnapshot.decode(try outcome.get(), origin: "ssh \(host)"))
            } catch {
                limits.append(Limit(source: .ssh(host), message: "\(host) is not in this answer: \(error.message)"))
            }
        }
        return snapshots
    }
}
