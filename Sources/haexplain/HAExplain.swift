import ArgumentParser

@main
struct HAExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "haexplain",
        abstract: "Who owns this IP address, and why? Explains addresses on hosts running haproxy behind keepalived.",
        discussion: "Read-only: haexplain never changes the host it inspects. See haexplain(1) for the JSON formats and exit statuses.",
        version: "0.1.0",
        subcommands: [IPCommand.self, AddrCommand.self, NeighCommand.self, KeepalivedCommand.self, HostsCommand.self, VRRPCommand.self,
                      HAProxyCommand.self, SnapshotCommand.self, CheckCommand.self]
    )

    static func main() {
        // Large tables grow arrays past glibc's mmap threshold: every regrowth would then map
        // fresh pages and fault them in again. Keeping big blocks on the heap lets freed ones
        // be reused; a short-lived command gives nothing back to the system anyway.
        _ = glibcMallopt(mmapThreshold, 256 << 20)
        _ = glibcMallopt(trimThreshold, 512 << 20)
        main(nil)
    }
}

// <malloc.h> is not in Swift's Glibc module; these are glibc's stable ABI (M_TRIM_THRESHOLD,
// M_MMAP_THRESHOLD).
@_silgen_name("mallopt") private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
private let trimThreshold: Int32 = -1
private let mmapThreshold: Int32 = -3
