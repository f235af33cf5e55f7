import ArgumentParser
import HAExplainCore
import HAModel
import HostGathering
import SystemFacts

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
            var request = KeepalivedRequest()
            request.configs = configs
            request.configIDs = files.configIDs
            request.netns = namespace.netns
            request.lintOnly = check
            request.runTrackScripts = tracking.runTrackScripts
            request.askKeepalived = askKeepalived
            let report = try KeepalivedGathering.report(request)
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
