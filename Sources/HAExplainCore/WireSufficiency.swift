import HAModel

/// When listening can stop: every VRID that matters has a master heard at least twice (so
/// its interval is known), and every queried address has been seen in some advert when no
/// VRID was known in advance (an application server has no keepalived.conf).
public enum WireSufficiency {
    public static func enough(_ census: VRRPCensus, vrids: Set<Int>, addresses: [IPAddress]) -> Bool {
        let routers = census.report(source: Source(kind: .packet)).routers
        // Two live senders may be a split brain in the making: only the full bound lets
        // the census judge it, so never stop early on such a router.
        func heardTwice(_ router: VRRPCensusReport.Router) -> Bool {
            router.master != nil && router.senders.contains { $0.count >= 2 && $0.priority > 0 }
                && router.senders.filter { $0.priority > 0 }.count == 1
        }
        // A router counts only when it lists a queried address: the same VRID on another LAN
        // says nothing about ours.
        func listsOne(_ router: VRRPCensusReport.Router) -> Bool {
            router.senders.contains { sender in sender.virtualAddresses.contains { addresses.contains($0) } }
        }
        if !vrids.isEmpty {
            return vrids.allSatisfy { vrid in routers.contains { $0.vrid == vrid && heardTwice($0) && listsOne($0) } }
        }
        guard !addresses.isEmpty else { return false }
        return addresses.allSatisfy { address in
            routers.contains { router in heardTwice(router) && router.senders.contains { $0.virtualAddresses.contains(address) } }
        }
    }
}
