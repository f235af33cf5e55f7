import HAModel
import KeepalivedConfig

/// The answer of `haexplain ip`: one entry per address the query stands for. JSON is this
/// value encoded; the text renderer reads it and computes nothing of its own.
public struct IPReport: Codable, Sendable {
    public var schemaVersion = SchemaVersion.current
    public var query: String
    /// How a name became addresses, with provenance; nil when the query was an address.
    public var resolution: [NameClaim]?
    public var answers: [IPAnswer]
    /// Limits that apply to every answer (a source that could not be read at all).
    public var limits: [Limit]
    /// How the wire was listened to (interfaces, how long, why it stopped); nil when it was not.
    public var listened: Source?
    /// A live capture's length, bound and why it ended; nil for snapshots, files or no listening.
    public var listening: VRRPCensusReport.Listening?
    /// What the running keepalived says of its instances (--ask-keepalived), with every
    /// disagreement with haexplain's inference; nil when it was not asked.
    public var keepalivedSays: KeepalivedSays?
    /// The ARP requests and neighbour solicitations --probe sent; nil when it was not asked.
    public var probes: [LinkProbe]?
    /// Who claimed the addresses on the link while listening (ARP/NDP); nil when the wire
    /// was not listened to, or a snapshot's census has none.
    public var linkLayer: LinkLayerReport?

    public init(query: String, resolution: [NameClaim]?, answers: [IPAnswer], limits: [Limit], listened: Source? = nil,
                listening: VRRPCensusReport.Listening? = nil, keepalivedSays: KeepalivedSays? = nil, probes: [LinkProbe]? = nil) {
        self.keepalivedSays = keepalivedSays
        self.probes = probes
        self.query = query
        self.resolution = resolution
        self.answers = answers
        self.limits = limits
        self.listened = listened
        self.listening = listening
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", query, resolution, answers, limits, listened, listening
        case keepalivedSays = "keepalived_says", probes, linkLayer = "link_layer"
    }

    /// The exit status a script branches on: the worst of the answers.
    public var exitStatus: Int32 {
        if answers.contains(where: { $0.verdict.owner == .conflict }) { return IPReport.conflictStatus }
        if answers.isEmpty || answers.contains(where: { $0.verdict.owner == .unknown }) { return IPReport.unknownStatus }
        return 0
    }

    /// Documented in haexplain(1): 0 answered (local, peer or none), 3 conflict, 4 unknown.
    public static let conflictStatus: Int32 = 3
    public static let unknownStatus: Int32 = 4
}

public struct IPAnswer: Codable, Sendable {
    public var address: IPAddress
    /// Names that point at the address (hosts files, DNS), each with its source.
    public var names: [NameClaim]
    /// What the name lookup found about those names, in sentences.
    public var nameNotes: [String]
    public var verdict: Verdict
    /// This host's part for the address's VRID, when it runs keepalived for it.
    public var thisHost: ThisHost?
    public var evidence: [Evidence]
    public var whatif: [FailoverWhatIf]
    /// Things an operator should act on (monitoring's WARNING).
    public var warnings: [String]
    /// Facts worth knowing that need no action, e.g. an address ifconfig does not show.
    public var notes: [String] = []
    public var limits: [Limit]
    /// Where hosts that do not hold the address send it (their neighbour entries).
    public var neighbours: [NeighbourMatch]? = nil
    /// What kind of address it is (private, public, ...) and what that means for reaching it.
    public var addressClass: AddressClass? = nil
    /// What each host's kernel does with a packet to the address (route, table, policy rule).
    public var routes: [RoutePath]? = nil
    /// Firewall rules on the hosts that drop what this address needs (VRRP, its traffic).
    public var blockers: [Blocker]? = nil

    enum CodingKeys: String, CodingKey {
        case address, names, nameNotes = "name_notes", verdict, thisHost = "this_host", evidence, whatif, warnings, notes, limits
        case neighbours
        case addressClass = "address_class", routes, blockers
    }
}

public struct Verdict: Codable, Sendable, Equatable {
    public enum Owner: String, Codable, Sendable {
        /// Assigned on this host.
        case local
        /// Another node holds it (or is VRRP master for it).
        case peer
        /// Configured as a virtual address, but nobody holds or advertises it.
        case none
        /// More than one node claims it (split brain).
        case conflict
        /// Not enough evidence; `reason` says what is missing.
        case unknown
    }

    public var owner: Owner
    public var ownerAddress: IPAddress?
    public var ownerMac: String?
    public var ownerHost: String?
    public var vrid: Int?
    /// The owner's VRRP priority: as keepalived runs it on the holder, else as advertised.
    public var priority: Int? = nil
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case owner, ownerAddress = "owner_address", ownerMac = "owner_mac", ownerHost = "owner_host", vrid, priority, reason
    }

    /// "VRID 200, priority 100", as much of it as is known.
    public var role: String? {
        let parts = [vrid.map { "VRID \($0)" }, priority.map { "priority \($0)" }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The owner as an operator names it: the host, then its address and MAC.
    public var ownerName: String {
        let identity = [ownerAddress?.description, ownerMac].compactMap { $0 }
        let host = ownerHost ?? identity.first ?? "?"
        let rest = identity.filter { $0 != host }
        return rest.isEmpty ? host : "\(host) (\(rest.joined(separator: ", ")))"
    }
}

public struct ThisHost: Codable, Sendable, Equatable {
    public var host: String
    /// MASTER, BACKUP or FAULT, as keepalived would be now; STOPPED when /proc was read and no
    /// keepalived runs.
    public var state: VRRPState
    public var vrid: Int
    public var instance: String
    public var priority: Int?
    public var arithmetic: String
    public var assigned: Bool
    public var file: String
    public var line: Int
}

/// One claim and where it came from.
public struct Evidence: Codable, Sendable, Equatable {
    /// netlink, file, packet, resolver, dns, snapshot or assumption.
    public var source: String
    public var claim: String
    public var file: String?
    public var line: Int?
    public var host: String?
    public var detail: String?

    public init(_ source: Source, _ claim: String, host: String? = nil) {
        self.source = source.kind.rawValue
        self.claim = claim
        self.file = source.file
        self.line = source.line
        self.detail = source.detail
        self.host = host
    }

    /// "file:line", "packet #12", "netlink" — for the text rendering.
    public var location: String {
        if let file { return line.map { "\(file):\($0)" } ?? file }
        return detail.map { "\(source) \($0)" } ?? source
    }
}

public struct FailoverWhatIf: Codable, Sendable, Equatable {
    public var node: String?
    public var failing: String
    public var priority: Int?
    public var newMaster: String?
    public var sentence: String
    /// True when the sentence rests on an assumption (a peer's configuration not seen).
    public var assumed: Bool

    enum CodingKeys: String, CodingKey {
        case node, failing, priority, newMaster = "new_master", sentence, assumed
    }
}

/// A name that points at an address, with where that was read.
public struct NameClaim: Codable, Sendable, Equatable {
    public var name: String
    public var address: IPAddress
    public var source: Source
    /// Whether glibc would return this line (a later duplicate is shadowed without `multi`).
    public var returned: Bool
    public var note: String?

    public init(name: String, address: IPAddress, source: Source, returned: Bool = true, note: String? = nil) {
        self.name = name
        self.address = address
        self.source = source
        self.returned = returned
        self.note = note
    }
}
