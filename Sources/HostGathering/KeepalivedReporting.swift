import HAExplainCore
import HAModel
import KeepalivedConfig
import Netlink
import Processes
import SystemFacts

/// What `haexplain keepalived` asks: which files, in which namespace, and what else to do.
public struct KeepalivedRequest: Sendable {
    public var configs: [String] = []
    public var configIDs: [String] = []
    public var netns: String?
    /// `--check`: the files are linted; what runs now (and whether it runs these files) is not asked.
    public var lintOnly = false
    public var runTrackScripts = false
    public var askKeepalived = false

    public init() {}
}

extension KeepalivedGathering {
    /// The configurations `nodes` chooses, explained against this host's processes and
    /// addresses, with what could not be observed as limits.
    public static func report(_ request: KeepalivedRequest, readers: HostReaders = .system,
                              addresses: (String?) throws(HAError) -> AddressTable = { netns throws(HAError) in try AddressReader.read(netns: netns) })
        throws(HAError) -> KeepalivedReport {
        let configs = request.configs
        let nodes = try nodes(configs: configs, configIDs: request.configIDs, readers: readers)
        var limits: [Limit] = []
        let running = configs.isEmpty ? ProcessGathering.keepalived(readers: readers) : nil
        if let elsewhere = ProcessGathering.keepalivedInAnotherNamespace(running?.process, netns: request.netns, readers: readers) { limits.append(elsewhere) }
        // This host's scripts are judged when its own configuration is the first read.
        let processes = request.lintOnly ? ProcessFacts()
            : ProcessGathering.facts(node: configs.count <= 1 ? nodes.first : nil, runScripts: request.runTrackScripts, readers: readers)
        var table: AddressTable?
        do {
            table = try addresses(request.netns)
        } catch {
            // An explicit --netns that cannot be read is the user's input failing: say so.
            if request.netns != nil { throw error }
            limits.append(Limit(source: AddressTable.dumpSource, message: "Could not read this host's addresses (\(error)): whether each VIP is assigned here is unknown."))
        }
        var report = KeepalivedAnalysis.analyze(nodes, addresses: table, scriptOwners: scriptOwners(nodes),
                                                observed: HostsInView.observed(processes.trackScripts))
        report.problems += processes.warnings.map { ConfigDiagnostic(.warning, .configChangedAfterStart, $0, at: nil) }
        if request.askKeepalived {
            // The running keepalived is asked whether its file was found or given.
            let asked = running ?? ProcessGathering.keepalived(readers: readers)
            if let asked, configs.count <= 1, let node = nodes.first?.name {
                if var says = KeepalivedAsking.ask(asked.process, node: node, limits: &limits) {
                    says.disagreements = KeepalivedJSONDump.disagreements(says, report: report)
                    report.keepalivedSays = says
                }
            } else {
                limits.append(Limit(source: .process("keepalived"),
                                    message: "--ask-keepalived: \(asked == nil ? "no keepalived is running here" : "only this host's keepalived can be asked (one --keepalived-config at most)")"))
            }
        }
        report.limits += limits + processes.limits
        return report
    }
}
