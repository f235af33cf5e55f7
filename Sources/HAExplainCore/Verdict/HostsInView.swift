import HAModel
import HostsFile
import KeepalivedConfig
import Processes
import VRRP

/// The hosts an answer is drawn from: this host's snapshot (gathered now; none when only
/// --from snapshots were given) and the others'. One rule for every host: its keepalived
/// configuration named after it, its limits said, its hosts file used for names.
public struct HostsInView: Sendable {
    public var thisHost: HostSnapshot?
    /// Configurations read here that are not this host's own (peers' files given with a
    /// repeated --keepalived-config).
    public var otherConfigurations: [NodeConfiguration]
    public var snapshots: [HostSnapshot]

    public init(thisHost: HostSnapshot?, otherConfigurations: [NodeConfiguration] = [], snapshots: [HostSnapshot]) {
        self.thisHost = thisHost
        self.otherConfigurations = otherConfigurations
        self.snapshots = snapshots
    }

    /// This host first, marked.
    public var hosts: [ExaminedHost] {
        (thisHost.map { [ExaminedHost($0, isLocal: true)] } ?? []) + snapshots.map { ExaminedHost($0, isLocal: false) }
    }

    /// keepalived's configurations: this host's, those read beside it, then each snapshot's;
    /// a host's own configuration is named after the host.
    public var nodes: [NodeConfiguration] {
        var nodes: [NodeConfiguration] = []
        if let thisHost, let keepalived = thisHost.keepalived {
            nodes.append(NodeConfiguration(name: thisHost.hostname, config: keepalived.configuration, chosenBecause: keepalived.chosenBecause))
        }
        nodes += otherConfigurations
        for snapshot in snapshots {
            if let keepalived = snapshot.keepalived {
                nodes.append(NodeConfiguration(name: snapshot.hostname, config: keepalived.configuration,
                                               chosenBecause: "from the snapshot of \(snapshot.hostname): \(keepalived.chosenBecause)"))
            }
        }
        return nodes
    }

    /// What could not be observed on each host: this host's as it is, the others' with their name.
    public var limits: [Limit] {
        (thisHost?.limits ?? []) + snapshots.flatMap { snapshot in
            snapshot.limits.map { $0.on(snapshot.hostname) }
        }
    }

    /// keepalived's configurations analysed together, with the track states the hosts
    /// observed; a host seen with no keepalived running is no candidate in the election.
    /// `says` (keepalived's own dump on this host) is set beside it, every disagreement named.
    public func keepalived(scriptOwners: [String: UInt32], says: KeepalivedSays? = nil) -> KeepalivedReport? {
        let nodes = nodes
        guard !nodes.isEmpty else { return nil }
        let hosts = hosts
        let stopped = Set(hosts.filter { $0.processes?.keepalivedNotRunning == true }.map(\.hostname))
        var report = KeepalivedAnalysis.analyze(nodes, addresses: thisHost?.addresses, scriptOwners: scriptOwners,
                                                observed: Self.observed(hosts.flatMap { $0.processes?.trackScripts ?? [] }) + Self.observedInterfaces(hosts),
                                                stopped: stopped)
        if var says {
            says.disagreements = KeepalivedJSONDump.disagreements(says, report: report)
            report.keepalivedSays = says
        }
        return report
    }

    /// The census a snapshot's host heard while it was taken (snapshot --listen), said so.
    public var heardOnTheWire: VRRPCensusReport? {
        guard let heard = snapshots.first(where: { $0.vrrp != nil }), var census = heard.vrrp else { return nil }
        census.source.detail = "heard by \(heard.hostname) for its snapshot of \(heard.takenAt): \(census.source.detail ?? "live capture")"
        return census
    }

    /// The hosts files in view: this host's under its own path, the others' under host:path.
    public var hostsFiles: [HostsFile] {
        var files: [HostsFile] = []
        if let service = thisHost?.nameService, let text = service.hosts {
            files.append(HostsFile(path: service.hostsPath, contents: Array(text.utf8)))
        }
        for snapshot in snapshots {
            if let service = snapshot.nameService, let text = service.hosts {
                files.append(HostsFile(path: "\(snapshot.hostname):\(service.hostsPath)", contents: Array(text.utf8)))
            }
        }
        return files
    }

    /// Each interface of the hosts in view, up or down as keepalived judges it (IFF_UP and
    /// IFF_RUNNING both set): an instance's own or tracked interface down puts it in FAULT.
    /// Flags of 0 are no kernel's answer (every link has a type flag), so they are not judged.
    public static func observedInterfaces(_ hosts: [ExaminedHost]) -> [ObservedTrack] {
        hosts.flatMap { host in
            (host.addresses?.interfaces ?? []).filter { $0.rawFlags != 0 }.flatMap { interface in
                let running = interface.rawFlags & 0x41 == 0x41
                let reason = running ? "up and running" : (interface.isUp ? "up, but not running (no carrier)" : "down")
                return [PriorityTerm.Kind.interface, .trackInterface].map { kind in
                    ObservedTrack(node: host.hostname, kind: kind, name: interface.ifname, state: running ? .ok : .failing,
                                  reason: "\(reason), netlink")
                }
            }
        }
    }

    /// The observed track states keepalived's analysis uses, for the node they were judged on.
    public static func observed(_ states: [TrackScriptState]) -> [ObservedTrack] {
        states.compactMap { state in
            guard let node = state.node else { return nil }
            let kept: ObservedTrack.State = state.state == .ok ? .ok : (state.state == .failing ? .failing : .notEvaluated)
            return ObservedTrack(node: node, kind: .trackScript, name: state.name, state: kept, reason: state.reason)
        }
    }
}
