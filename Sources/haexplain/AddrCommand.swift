import ArgumentParser
import HAExplainCore
import HAModel
import Netlink

struct AddrCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "addr",
        abstract: "List every address the kernel holds, marking those ifconfig hides.",
        discussion: "Reads links and addresses over rtnetlink (as `ip addr show` does). Every IPv4 address that `ifconfig -a` would not print is marked, with the reason."
    )

    @Argument(help: "Show only this interface.")
    var interface: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func run() throws {
        try Run.reporting {
            var table = try AddressReader.read(netns: namespace.netns)
            IfconfigView.mark(&table)
            if let interface {
                table.interfaces = table.interfaces.filter { $0.ifname == interface }
                if table.interfaces.isEmpty {
                    throw HAError(.usage, "no interface named '\(interface)'\(namespace.netns.map { " in network namespace \($0)" } ?? "")")
                }
            }
            try Run.emit(table, json: output.json, render: AddressTableText.render)
        }
    }
}
