import ArgumentParser

@main
struct HAExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "haexplain",
        abstract: "Who owns this IP address, and why? Explains addresses on hosts running haproxy behind keepalived.",
        discussion: "Read-only: haexplain never changes the host it inspects. See haexplain(1) for the JSON formats and exit statuses.",
        version: "0.1.0",
        subcommands: [IPCommand.self, AddrCommand.self, KeepalivedCommand.self, HostsCommand.self, VRRPCommand.self, SnapshotCommand.self, HAProxyCommand.self]
    )
}
