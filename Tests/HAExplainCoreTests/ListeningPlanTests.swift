import HAExplainCore
import HAModel
import KeepalivedConfig
import Testing

/// How long `ip` and `check` listen, and for which routers, decided from the configuration
/// before anything is heard: pure, from a keepalived.conf made by hand.
@Suite struct ListeningPlanTests {
    static let vip200 = IPAddress("192.168.3.200")!, vip201 = IPAddress("192.168.3.201")!

    /// VRID 200 at advert_int 3 lists .200; VRID 201 at advert_int 10 lists .201.
    static func keepalived() throws -> KeepalivedReport {
        let text = """
            vrrp_instance VI_200 {
                interface eth2
                virtual_router_id 200
                priority 100
                advert_int 3
                virtual_ipaddress {
                    192.168.3.200
                }
            }
            vrrp_instance VI_201 {
                interface eth2
                virtual_router_id 201
                priority 100
                advert_int 10
                virtual_ipaddress {
                    192.168.3.201
                }
            }

            """
        let config = try KeepalivedParser.parse(path: "k.conf", files: InMemoryConfigFiles(["k.conf": text]), configID: "lb0")
        return KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb0", config: config, chosenBecause: "test")])
    }

    @Test("by default, two adverts of the slowest instance listing the address asked (and half a second), stretched to 30 s while two masters are told apart; only its routers matter")
    func defaultFromTheInstancesAsked() throws {
        let keepalived = try Self.keepalived()
        let plan = ListeningPlan(addresses: [Self.vip200], keepalived: keepalived, listen: nil)
        #expect(plan.seconds == 6.5 && plan.extendingTo == ListeningPlan.longestSeconds)
        #expect(plan.vrids == [200])
        #expect(plan.expected == [VRRPCensus.ExpectedRouter(interface: nil, family: .inet, vrid: 200, source: .file("k.conf", line: 1))])
        // Both addresses: the slower instance (advert_int 10) sets the bound.
        let both = ListeningPlan(addresses: [Self.vip200, Self.vip201], keepalived: keepalived, listen: nil)
        #expect(both.seconds == 20.5 && both.vrids == [200, 201] && both.expected.map(\.vrid) == [200, 201])
    }

    @Test("an address no instance lists, or no configuration: 7 s, any VRID listing it matters; never under 3.5 s")
    func defaultWithoutInstances() throws {
        for keepalived in [nil, try Self.keepalived()] {
            let plan = ListeningPlan(addresses: [IPAddress("10.0.0.1")!], keepalived: keepalived, listen: nil)
            #expect(plan.seconds == ListeningPlan.defaultSeconds && plan.vrids.isEmpty && plan.expected.isEmpty)
        }
        var fast = try Self.keepalived()
        fast.vrrpInstances[0].advertInt = 1
        #expect(ListeningPlan(addresses: [Self.vip200], keepalived: fast, listen: nil).seconds == ListeningPlan.minimumSeconds)
    }

    @Test("an explicit --listen is the bound as given, never stretched: a listen that ends first is a limit of the answer instead")
    func explicitListen() throws {
        let plan = ListeningPlan(addresses: [Self.vip200], keepalived: try Self.keepalived(), listen: 2.5)
        #expect(plan.seconds == 2.5 && plan.extendingTo == nil && plan.vrids == [200])
    }

    @Test("vrrp live: 7 s by default, stretched to 30 s while two masters are told apart; an explicit --listen, a watch or a file never stretch; a watch lasts a day unless --listen bounds it")
    func vrrpListening() {
        let byDefault = VRRPListeningPlan(listen: nil, watch: false, readsFile: false)
        #expect(byDefault.seconds == ListeningPlan.defaultSeconds && byDefault.extendingTo == ListeningPlan.longestSeconds)
        #expect(VRRPListeningPlan(listen: 2.5, watch: false, readsFile: false) == VRRPListeningPlan(listen: 2.5, watch: true, readsFile: false))
        let explicit = VRRPListeningPlan(listen: 2.5, watch: false, readsFile: false)
        #expect(explicit.seconds == 2.5 && explicit.extendingTo == nil)
        let watching = VRRPListeningPlan(listen: nil, watch: true, readsFile: false)
        #expect(watching.seconds == VRRPListeningPlan.longestWatch && watching.extendingTo == nil)
        #expect(VRRPListeningPlan(listen: nil, watch: false, readsFile: true).extendingTo == nil)
    }

    @Test("where ip's wire comes from: listening here; a snapshot's census when only snapshots are asked; else nowhere, with a limit that says why (none to say when nothing was to be heard)")
    func wireChoice() {
        let vip = [Self.vip200]
        let heard = VRRPCensus().report(source: Source(kind: .packet, detail: "heard by lb0"), end: nil)
        func limit(_ choice: WireChoice) -> Limit?? {
            if case .none(let limit) = choice { return .some(limit) }
            return nil
        }
        if case .listen = WireChoice.choose(addresses: vip, examinesThisHost: true, noListen: false, heard: heard) {} else { Issue.record("this host, listening asked: listen") }
        if case .heard(let census) = WireChoice.choose(addresses: vip, examinesThisHost: false, noListen: false, heard: heard) {
            #expect(census.source == heard.source)
        } else { Issue.record("snapshots only, one heard the wire: its census") }
        let noListen = limit(WireChoice.choose(addresses: vip, examinesThisHost: true, noListen: true, heard: heard))
        #expect(noListen??.source == .liveCapture && noListen??.message.contains("(--no-listen)") == true, "\(String(describing: noListen))")
        let unheard = limit(WireChoice.choose(addresses: vip, examinesThisHost: false, noListen: false, heard: nil))
        #expect(unheard??.message.contains("snapshot --listen 3s") == true, "\(String(describing: unheard))")
        let nothing = limit(WireChoice.choose(addresses: [], examinesThisHost: true, noListen: false, heard: heard))
        #expect(nothing??.message.contains("no address to explain") == true)
        // Nothing to explain and no listening asked (or only snapshots): nothing to say.
        #expect(limit(WireChoice.choose(addresses: [], examinesThisHost: true, noListen: true, heard: nil)) == .some(nil))
        #expect(limit(WireChoice.choose(addresses: [], examinesThisHost: false, noListen: false, heard: heard)) == .some(nil))
    }
}
