import HAExplainCore
import HAModel
import Processes

extension ExaminedHost {
    /// A host as a test describes it: a snapshot holding only these tables.
    init(hostname: String, isLocal: Bool, addresses: AddressTable?, neighbours: NeighbourTable? = nil, processes: ProcessFacts? = nil) {
        self.init(HostSnapshot(hostname: hostname, takenAt: "2026-01-01T00:00:00Z", haexplainVersion: "test", netns: nil,
                               addresses: addresses, processes: processes, neighbours: neighbours), isLocal: isLocal)
    }
}
