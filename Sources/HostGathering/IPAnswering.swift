import HAExplainCore
import HAModel
import KeepalivedConfig
import NameService
import SystemFacts

/// What `ip` and `check` ask: the address or name, and where the facts come from.
public struct IPRequest: Sendable {
    public var query: String
    /// This host's gathering: its namespace, files and choices (`routesTo` is set here).
    public var thisHost: GatherRequest
    /// `--from`: snapshot files. With any, this host is not examined.
    public var snapshots: [String] = []
    /// `--host`, and `--host-list`'s file of more.
    public var remoteHosts: [String] = []
    public var remoteHostList: String?
    public var remoteCommand = "haexplain"
    public var sshOptions: [String] = []
    public var parallel = 16
    public var noDNS = false
    /// `--no-listen`: the wire is not listened to.
    public var noListen = false

    public init(query: String, thisHost: GatherRequest) {
        self.query = query
        self.thisHost = thisHost
    }

    /// This host is examined unless only snapshots were given.
    public var examinesThisHost: Bool { snapshots.isEmpty }

    /// This host is to listen to the wire (`MonitoringCheck`'s listeningAsked): not from
    /// snapshots, nor with --no-listen.
    public var listensToTheWire: Bool { examinesThisHost && !noListen }
}

/// How the executable listens to the wire for an answer: the addresses asked, this host's
/// keepalived view and the hosts in view; what it could not hear goes into `limits`.
public typealias AdvertListening = (_ addresses: [IPAddress], _ keepalived: KeepalivedReport?, _ hosts: [ExaminedHost],
                                    _ limits: inout [Limit]) throws(HAError) -> VRRPCensusReport?

/// As `AdvertListening`, with `judge`: the answer `IPExplainer` gives on a census heard so far
/// (`ip --watch` re-judges as adverts arrive; this host is gathered once).
public typealias WatchedListening = (_ addresses: [IPAddress], _ keepalived: KeepalivedReport?, _ hosts: [ExaminedHost],
                                     _ limits: inout [Limit], _ judge: @escaping (VRRPCensusReport?) -> IPReport) throws(HAError) -> VRRPCensusReport?

/// One path from the hosts to an answer: this host's snapshot (gathered as `snapshot` gathers
/// it), the `--from` and `--host` snapshots, the names, and the wire, into `IPExplainer`.
public enum IPAnswering {
    public static func explain(_ request: IPRequest, version: String, listen: AdvertListening) throws(HAError) -> IPReport {
        try explain(request, version: version, watching: { addresses, keepalived, hosts, limits, _ throws(HAError) in
            try listen(addresses, keepalived, hosts, &limits)
        })
    }

    public static func explain(_ request: IPRequest, version: String, watching listen: WatchedListening) throws(HAError) -> IPReport {
        let query = request.query
        let netns = request.thisHost.netns
        var limits: [Limit] = []
        var snapshots: [HostSnapshot] = []
        for path in request.snapshots {
            snapshots.append(try HostSnapshot.decode(try ConfigFile.read(path, what: "a snapshot", maximumSize: ConfigFile.maximumSnapshotSize), origin: path))
        }
        let list = try request.remoteHostList.map { path throws(HAError) in String(decoding: try ConfigFile.read(path), as: UTF8.self) }
        snapshots += SnapshotGatherer.remote(try RemoteSnapshot.hosts(given: request.remoteHosts, list: list), remoteCommand: request.remoteCommand,
                                             sshOptions: request.sshOptions, parallel: request.parallel, limits: &limits)

        // Names first: each address a name stands for gets its own answer. This host's
        // resolution is live; a snapshot's host resolves from its own files.
        let parsed = AddressQuery(query)
        let address = parsed?.address
        let resolution = request.examinesThisHost
            ? try NameGathering.resolve(query, hostsFile: request.thisHost.hostsFile, noDNS: request.noDNS, dnsTimeout: 2, netns: netns) : nil
        var claims = resolution.map(NameClaims.claims(of:)) ?? []
        for snapshot in snapshots {
            claims += SnapshotNames.claims(address?.description ?? query, in: snapshot)
        }
        let (addresses, unresolved) = NameClaims.addresses(asked: query, address: address, resolution: resolution, claims: claims)
        limits += unresolved.map { [$0] } ?? []

        // This host (gathered once, as `snapshot` does) and the snapshots' hosts.
        var gather = request.thisHost
        gather.routesTo = addresses
        let thisHost = request.examinesThisHost ? try SnapshotGatherer.gather(gather, version: version) : nil
        let view = HostsInView(thisHost: thisHost?.snapshot, otherConfigurations: thisHost?.otherConfigurations ?? [],
                               snapshots: snapshots)
        limits += view.limits
        let keepalived = view.keepalived(scriptOwners: KeepalivedGathering.scriptOwners(view.nodes), says: thisHost?.keepalivedSays)
        if request.thisHost.askKeepalived, thisHost == nil {
            limits.append(Limit(source: .process("keepalived"), message: "--ask-keepalived: explaining from snapshots, keepalived's word is what each snapshot carries (snapshot --ask-keepalived)"))
        }

        func judge(_ wire: VRRPCensusReport?, limits: [Limit]) -> IPReport {
            IPExplainer.explain(IPEvidence(
                query: query, addresses: addresses, resolution: address == nil ? claims : nil,
                names: Dictionary(grouping: claims, by: \.address),
                nameFindings: resolution.map(NameClaims.findings(of:)) ?? (parsed?.note.map { [$0] } ?? [], [], []),
                hosts: view.hosts, keepalived: keepalived, wire: wire, nodeNames: NodeNames.lookup(masters: wire, in: view),
                limits: limits))
        }

        // The wire: heard here now, or as a snapshot's host heard it.
        var wire: VRRPCensusReport?
        switch WireChoice.choose(addresses: addresses, examinesThisHost: thisHost != nil, noListen: request.noListen, heard: view.heardOnTheWire) {
        case .listen:
            let before = limits
            wire = try listen(addresses, keepalived, view.hosts, &limits) { judge($0, limits: before) }
        case .heard(let census): wire = census
        case .none(let limit): limits += limit.map { [$0] } ?? []
        }
        return judge(wire, limits: limits)
    }
}
