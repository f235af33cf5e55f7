import HAModel
import KeepalivedConfig

/// keepalived's JSON dump (`/tmp/keepalived.json`): an array of {"data": {...}, "stats":
/// {...}} per instance. Only the fields compared are read; `auth_data` (the password) is
/// never decoded.
public enum KeepalivedJSONDump {
    struct Entry: Decodable {
        struct Data: Decodable {
            var iname: String
            var vrid: Int?
            var ifpIfname: String?
            var state: Int?
            var basePriority: Int?
            var effectivePriority: Int?
            var masterPriority: Int?

            enum CodingKeys: String, CodingKey {
                case iname, vrid, ifpIfname = "ifp_ifname", state, basePriority = "base_priority"
                case effectivePriority = "effective_priority", masterPriority = "master_priority"
            }
        }
        var data: Data
    }

    public static func decode(_ bytes: [UInt8]) throws -> [KeepalivedSays.Instance] {
        try JSONReading.decode([Entry].self, from: bytes).map { entry in
            KeepalivedSays.Instance(name: entry.data.iname, virtualRouterID: entry.data.vrid, interface: entry.data.ifpIfname,
                                    state: .init(number: entry.data.state), basePriority: entry.data.basePriority,
                                    effectivePriority: entry.data.effectivePriority, masterPriority: entry.data.masterPriority)
        }
    }

    /// Compares keepalived's word with haexplain's inference for `node`'s instances.
    public static func disagreements(_ says: KeepalivedSays, report: KeepalivedReport) -> [String] {
        var found: [String] = []
        let ours = report.vrrpInstances.filter { $0.node == says.node }
        for instance in ours {
            guard let theirs = says.instances.first(where: { $0.name == instance.name }) else {
                found.append("vrrp_instance \(instance.name): haexplain reads it from \(instance.file):\(instance.line), keepalived does not run it (its configuration is another, or it refused the instance)")
                continue
            }
            if let base = theirs.basePriority, base != instance.priority {
                found.append("vrrp_instance \(instance.name): priority \(base) in keepalived, \(instance.priority) in the file haexplain read (not reloaded since the file changed?)")
            }
            let ourFault = instance.effectivePriority?.fault == true
            if ourFault != (theirs.state == .fault) {
                found.append("vrrp_instance \(instance.name): keepalived says \(theirs.state), haexplain \(ourFault ? "infers FAULT" : "infers it is not in FAULT") (\(instance.effectivePriority?.arithmetic ?? "no priority worked out"))")
            } else if !ourFault, let theirPriority = theirs.effectivePriority, let ourPriority = instance.effectivePriority?.value, theirPriority != ourPriority {
                found.append("vrrp_instance \(instance.name): effective priority \(theirPriority) in keepalived, \(ourPriority) in haexplain's inference (\(instance.effectivePriority?.arithmetic ?? "")); assuming \(instance.effectivePriority?.assumption ?? "")")
            }
        }
        for theirs in says.instances where !ours.contains(where: { $0.name == theirs.name }) {
            found.append("vrrp_instance \(theirs.name): keepalived runs it, the configuration haexplain read has no such instance")
        }
        return found
    }
}
