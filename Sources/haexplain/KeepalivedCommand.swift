import ArgumentParser
import HAExplainCore
import HAModel
import SystemFacts
import HostGathering
import KeepalivedConfig
import Netlink
import Processes

struct KeepalivedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keepalived",
        abstract: "Explain keepalived.conf: instances, VIPs, effective priorities, what-if and problems.",
        discussion: "Reads the configuration the way keepalived 2.2 reads it (includes, definitions, conditionals). Without --keepalived-config, uses the file the running keepalived was started with (-f), else /etc/keepalived/keepalived.conf. Repeat --keepalived-config with the peers' files to see who is master of each VRID and what each failure changes."
    )

    @OptionGroup var files: KeepalivedConfigOptions
    var configs: [String] { files.configs }

    @Flag(name: .long, help: "Lint for CI: print each problem as FILE:LINE: SEVERITY: MESSAGE [CODE]; exit 1 when keepalived would refuse the file or anything is an error.")
    var check = false

    @Flag(name: .long, help: "With --check: warnings fail the check too.")
    var strict = false

    @Flag(name: .customLong("ask-keepalived"), help: "Signal the running keepalived (SIGJSON) for its own dump and show what it says beside haexplain's inference, naming every disagreement.")
    var askKeepalived = false

    @OptionGroup var tracking: TrackScriptOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        if strict && !check { throw ValidationError("--strict goes with --check") }
    }

    func run() throws {
        try Run.reporting {
            let nodes = try KeepalivedGathering.nodes(configs: configs, configIDs: files.configIDs)
            var limits: [Limit] = []
            let running = configs.isEmpty ? ProcessGathering.keepalived() : nil
            if let elsewhere = ProcessGathering.keepalivedInAnotherNamespace(running?.process, netns: namespace.netns) { limits.append(elsewhere) }
            // This host's scripts are judged when its own configuration is the first read.
            // --check lints the files: what runs now (and whether it runs these files) is not asked.
            let processes = check ? ProcessFacts() : ProcessGathering.facts(node: configs.count <= 1 ? nodes.first : nil, runScripts: tracking.runTrackScripts)
            var table: AddressTable?
            do {
                table = try AddressReader.read(netns: namespace.netns)
            } catch let error as HAError {
                // An explicit --netns that cannot be read is the user's input failing: say so.
                if namespace.netns != nil { throw error }
                limits.append(Limit(source: AddressTable.dumpSource, message: "Could not read this host's addresses (\(error)): whether each VIP is assigned here is unknown."))
            }
            let owners = KeepalivedGathering.scriptOwners(nodes)
            var report = KeepalivedAnalysis.analyze(nodes, addresses: table, scriptOwners: owners,
                                                    observed: HostsInView.observed(processes.trackScripts))
            report.problems += processes.warnings.map { ConfigDiagnostic(.warning, .configChangedAfterStart, $0, at: nil) }
            if askKeepalived {
                if let running, configs.count <= 1, let node = nodes.first?.name,
                   var says = KeepalivedAsking.ask(running.process, node: node, limits: &limits) {
                    says.disagreements = KeepalivedJSONDump.disagreements(says, report: report)
                    report.keepalivedSays = says
                } else if running == nil || configs.count > 1 {
                    limits.append(Limit(source: .process("keepalived"),
                                        message: "--ask-keepalived: \(running == nil ? "no keepalived is running here" : "only this host's keepalived can be asked (one --keepalived-config at most)")"))
                }
            }
            report.limits += limits + processes.limits
            if check {
                if output.json { try Run.emitJSON(report) } else if !report.problems.isEmpty { Run.emit(KeepalivedText.check(report)) }
                FileOutput.standardError(KeepalivedText.checkSummary(report, strict: strict) + "\n")
                if report.failsCheck(strict: strict) { throw ExitCode(1) }
                return
            }
            try Run.emit(report, json: output.json, render: KeepalivedText.render)
        }
    }
}
