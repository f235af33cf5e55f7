import HAModel
import KeepalivedConfig
import Processes

/// Everything one host knows, as one JSON document (`haexplain snapshot`). Explaining from
/// several of them (`--from`, `--host`) is how one answer covers both balancers and the
/// application server without an agent.
public struct HostSnapshot: Codable, Sendable {
    public var schemaVersion: Int
    public var hostname: String
    public var takenAt: String
    public var haexplainVersion: String
    public var netns: String?
    public var addresses: AddressTable?
    /// The keepalived configuration this host runs (auth_pass only as a fingerprint).
    public var keepalived: KeepalivedSnapshot?
    /// The name-service files, as text, so names are resolved as this host would.
    public var nameService: NameServiceFiles?
    /// The VRRP adverts this host heard while the snapshot was taken (`snapshot --listen`).
    public var vrrp: VRRPCensusReport?
    /// keepalived and haproxy processes and the track scripts' state, read from /proc.
    public var processes: ProcessFacts?
    /// What could not be observed when the snapshot was taken, and why.
    public var limits: [Limit]
    /// The neighbour table (ARP/NDP): which MAC this host sends each address to.
    public var neighbours: NeighbourTable?
    /// haproxy's configuration, listening sockets and nonlocal-bind sysctls.
    public var haproxy: HAProxySnapshot?
    /// The kernel's route to each keepalived VIP (ip route get, fibmatch, ip rule).
    public var routes: [RoutePath]? = nil
    /// The nftables ruleset, reduced to chains and rules with their handles and text.
    public var firewall: FirewallFacts? = nil
    /// The ARP sysctls of interfaces holding IPv4 addresses.
    public var arp: [ARPSettings]? = nil

    public init(hostname: String, takenAt: String, haexplainVersion: String, netns: String?,
                addresses: AddressTable?, keepalived: KeepalivedSnapshot? = nil, nameService: NameServiceFiles? = nil,
                vrrp: VRRPCensusReport? = nil, processes: ProcessFacts? = nil, limits: [Limit] = [],
                neighbours: NeighbourTable? = nil, haproxy: HAProxySnapshot? = nil) {
        self.schemaVersion = SchemaVersion.current
        self.hostname = hostname
        self.takenAt = takenAt
        self.haexplainVersion = haexplainVersion
        self.netns = netns
        self.addresses = addresses
        self.keepalived = keepalived
        self.nameService = nameService
        self.vrrp = vrrp
        self.processes = processes
        self.limits = limits
        self.neighbours = neighbours
        self.haproxy = haproxy
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", hostname, takenAt = "taken_at"
        case haexplainVersion = "haexplain_version", netns, addresses, keepalived
        case nameService = "name_service", vrrp, processes, limits
        case neighbours, haproxy
        case routes, firewall, arp
    }

    /// Reads a snapshot that came from `origin` (a file path or "ssh HOST"), with errors an
    /// operator can act on: another schema version, or not a snapshot at all.
    public static func decode(_ bytes: [UInt8], origin: String) throws(HAError) -> HostSnapshot {
        if let problem = JSONReading.nestingProblem(bytes, limit: maximumNesting) {
            throw HAError(.dataError, "not a haexplain snapshot: \(problem) (a snapshot nests at most \(maximumNesting))", file: origin)
        }
        func otherVersion(_ version: Int) -> HAError {
            HAError(.dataError, "snapshot has schema_version \(version), this haexplain reads \(SchemaVersion.snapshotsRead.lowerBound) to \(SchemaVersion.snapshotsRead.upperBound); take it again with this version of haexplain", file: origin)
        }
        // One full decode, as the current version writes; only a document it refuses is probed
        // for why (another version, an older version's shapes, or not a snapshot at all), so a
        // large current snapshot is parsed once.
        var failure: any Error
        do {
            let snapshot = try JSONReading.decode(HostSnapshot.self, from: bytes)
            guard SchemaVersion.snapshotsRead.contains(snapshot.schemaVersion) else { throw otherVersion(snapshot.schemaVersion) }
            return snapshot
        } catch let error as HAError {
            throw error
        } catch {
            failure = error
        }
        let version: Int
        do {
            version = try JSONReading.decode(VersionProbe.self, from: bytes).schemaVersion
        } catch {
            throw HAError(.dataError, "not a haexplain snapshot (expected a JSON object with \"schema_version\"): \(JSONReading.describe(error))", file: origin)
        }
        guard SchemaVersion.snapshotsRead.contains(version) else { throw otherVersion(version) }
        if version < SchemaVersion.current {
            do {
                return try JSONReading.decode(HostSnapshot.self, from: bytes, schemaVersion: version)
            } catch {
                failure = error
            }
        }
        throw HAError(.dataError, "malformed snapshot: \(JSONReading.describe(failure))", file: origin)
    }

    /// A snapshot nests about ten levels; a hundred leaves room for growth, not for a bomb.
    public static let maximumNesting = 100

    private struct VersionProbe: Decodable {
        let schemaVersion: Int
        enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version" }
    }
}

public struct KeepalivedSnapshot: Codable, Sendable {
    public var configuration: KeepalivedConfiguration
    public var chosenBecause: String
    /// With `snapshot --ask-keepalived`: the running keepalived's own dump.
    public var keepalivedSays: KeepalivedSays?

    public init(configuration: KeepalivedConfiguration, chosenBecause: String, keepalivedSays: KeepalivedSays? = nil) {
        self.configuration = configuration
        self.chosenBecause = chosenBecause
        self.keepalivedSays = keepalivedSays
    }

    enum CodingKeys: String, CodingKey { case configuration, chosenBecause = "chosen_because", keepalivedSays = "keepalived_says" }
}

public struct NameServiceFiles: Codable, Sendable {
    public var hostsPath: String
    public var hosts: String?
    public var nsswitch: String?
    public var hostConf: String?

    public init(hostsPath: String, hosts: String?, nsswitch: String?, hostConf: String?) {
        self.hostsPath = hostsPath
        self.hosts = hosts
        self.nsswitch = nsswitch
        self.hostConf = hostConf
    }

    enum CodingKeys: String, CodingKey { case hostsPath = "hosts_path", hosts, nsswitch, hostConf = "host_conf" }
}
