import ArgumentParser
import HAExplainCore
import HAModel
import HostGathering

struct HAProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "haproxy",
        abstract: "Explain haproxy: frontends and their binds, backends and servers, which sockets really listen and who owns them.",
        discussion: """
            Reads the configuration the way haproxy 2.6 reads it (-f files and directories, .if blocks, quoting, \
            environment). Without --haproxy-config, uses the running haproxy's -f arguments (and its environment), else \
            /etc/haproxy/haproxy.cfg. Listening sockets come from the kernel (sock_diag), owners from /proc. With \
            ADDRESS[:PORT], says which frontend serves it and where it leads. With --check, lints the configuration for CI: \
            one FILE:LINE: SEVERITY: MESSAGE [CODE] line per problem, exit 0 when haproxy would start and nothing is an \
            error, 1 otherwise (--strict: also on any warning).
            """
    )

    @Argument(help: ArgumentHelp("Say what serves this address (and port), e.g. 192.168.3.200:5432 or [2001:db8::1]:443.", valueName: "address[:port]"))
    var query: String?

    @Flag(help: "Lint the configuration for CI: FILE:LINE: SEVERITY: MESSAGE [CODE] per problem; exit 1 when haproxy would refuse it or not start.")
    var check = false

    @Flag(help: "With --check, exit 1 on warnings too.")
    var strict = false

    @OptionGroup var haproxy: HAProxyConfigOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        if strict, !check { throw ValidationError("--strict goes with --check") }
        if check, query != nil { throw ValidationError("--check lints the configuration; give no address with it") }
        if let query, HAProxyExplainer.parseQuery(query) == nil {
            throw ValidationError("'\(query)' is not ADDRESS or ADDRESS:PORT (IPv6 with a port as [ADDRESS]:PORT)")
        }
    }

    func run() throws {
        if check { return try lint() }
        try Run.reporting {
            let report = try HAProxyGathering.report(configs: haproxy.configs, netns: namespace.netns, query: query)
            try Run.emit(report, json: output.json, render: HAProxyText.render)
        }
    }

    /// `--check`: the files haproxy would read, every problem, and the exit status CI gates on.
    func lint() throws {
        var report: HAProxyCheckReport?
        try Run.reporting {
            let checked = try HAProxyGathering.lint(configs: haproxy.configs, strict: strict)
            report = checked
            try Run.emit(checked, json: output.json, render: HAProxyCheckText.render)
        }
        if report?.passes == false { throw ExitCode(1) }
    }
}

