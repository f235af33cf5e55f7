import ArgumentParser
import HAExplainCore
import HAModel
import Netlink

struct NeighCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neigh",
        abstract: "Show the neighbour table (ARP and NDP): which MAC this host sends each address to.",
        discussion: "Reads the kernel's neighbour entries over rtnetlink, every NUD state included (as `ip neigh show nud all`), and names the VRRP virtual router of any VRRP virtual MAC. Read-only: it never adds an entry or sends a probe."
    )

    @Argument(help: ArgumentHelp("Show only the entries for this IPv4/IPv6 address.", valueName: "address"))
    var address: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var namespace: NamespaceOptions

    func validate() throws {
        if let address, IPAddress(address) == nil {
            throw ValidationError("'\(address)' is not an IPv4 or IPv6 address")
        }
    }

    func run() throws {
        try Run.reporting {
            var table = try NeighbourReader.read(netns: namespace.netns)
            if let address = address.flatMap(IPAddress.init) {
                table.neighbours = table.entries(for: address)
            }
            VRRPVirtualMAC.mark(&table)
            try Run.emit(table, json: output.json) { NeighbourText.render($0, asked: address) }
        }
    }
}
