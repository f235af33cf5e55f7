import ArgumentParser
import HAExplainCore
import HAModel
import KeepalivedConfig
import Netlink

struct KeepalivedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keepalived",
        abstract: "Explain keepalived.conf: instances, VIPs, effective priorities, what-if and problems.",
        discussion: "Reads the configuration the way keepalived 2.2 reads it (includes, definitions, conditionals). Without --keepalived-config, uses the file the running keepalived was started with (-f), else /etc/keepalived/keepalived.conf. Repeat --keepalived-config with the peers' files to see who is master of each VRID and what each failure changes."
    )

    @Option(name: .customLong("keepalived-config"), help: ArgumentHelp(
        "A keepalived.conf to read; repeat for the peers' configurations (the first is this host's).", valueName: "path"))
    var configs: [String] = []

    @Option(name: .customLong("config-id"), help: ArgumentHelp(
        "keepalived's config id for @ID lines (default: the running keepalived's -i, else the host name up to the first dot).", valueName: "id"))
    var configID: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func run() throws {
        try Run.reporting {
            let files = LocalConfigFiles()
            let running = configs.isEmpty ? RunningKeepalived.find() : nil
            let defaultID = KeepalivedCommandLine.defaultConfigID(nodeName: RunningKeepalived.nodeName())
            var chosen: [(path: String, because: String, id: String)] = []
            if configs.isEmpty {
                if let running, let file = running.commandLine.useFile {
                    let path = file.hasPrefix("/") || running.workingDirectory == nil ? file : running.workingDirectory! + "/" + file
                    chosen.append((path, "the running keepalived (pid \(running.pid)) was started with -f \(file)", configID ?? running.commandLine.configID ?? defaultID))
                } else if let running {
                    chosen.append(("/etc/keepalived/keepalived.conf", "the running keepalived (pid \(running.pid)) has no -f, so it reads the default", configID ?? running.commandLine.configID ?? defaultID))
                } else {
                    chosen.append(("/etc/keepalived/keepalived.conf", "no keepalived is running and no --keepalived-config was given: keepalived's default", configID ?? defaultID))
                }
            } else {
                chosen = configs.enumerated().map { index, path in
                    (path, index == 0 ? "given with --keepalived-config" : "given with --keepalived-config (a peer)", configID ?? defaultID)
                }
            }
            var nodes: [NodeConfiguration] = []
            for (index, choice) in chosen.enumerated() {
                let config = try KeepalivedParser.parse(path: choice.path, files: files, configID: choice.id)
                var name = NodeConfiguration.label(for: config)
                if index == 0, config.globalDefs.routerID == nil, configs.count <= 1 { name = RunningKeepalived.nodeName() }
                if nodes.contains(where: { $0.name == name }) { name = config.file }
                nodes.append(NodeConfiguration(name: name, config: config, chosenBecause: choice.because))
            }
            var limits: [String] = []
            if let running, namespace.netns == nil,
               let theirs = RunningKeepalived.readLink("/proc/\(running.pid)/ns/net"),
               let ours = RunningKeepalived.readLink("/proc/self/ns/net"), theirs != ours {
                limits.append("The running keepalived (pid \(running.pid)) is in another network namespace (\(theirs)) than this one (\(ours)): VIP assignment is checked here; add --netns /proc/\(running.pid)/ns/net to check its namespace.")
            }
            var table: AddressTable?
            do {
                table = try AddressReader.read(netns: namespace.netns)
            } catch let error as HAError {
                // An explicit --netns that cannot be read is the user's input failing: say so.
                if namespace.netns != nil { throw error }
                limits.append("Could not read this host's addresses (\(error)): whether each VIP is assigned here is unknown.")
            }
            var owners: [String: UInt32] = [:]
            for node in nodes {
                for program in KeepalivedAnalysis.scriptPrograms(node.config) where program.hasPrefix("/") {
                    if let owner = files.owner(program) { owners[program] = owner.uid }
                }
            }
            var report = KeepalivedAnalysis.analyze(nodes, addresses: table, scriptOwners: owners)
            report.limits += limits
            Run.emit(output.json ? try JSONOutput.encode(report) : KeepalivedText.render(report))
        }
    }
}
