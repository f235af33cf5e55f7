// swift-tools-version: 6.0
import PackageDescription

// Layout: pure core (HAModel, parsers, HAExplainCore) that tests need no root for;
// one edge module per system boundary (Netlink, NameService, SystemFacts, LocalFiles, Namespaces);
// a thin executable.
let package = Package(
    name: "haexplain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "haexplain", targets: ["haexplain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // C shims: headers and pkg-config, nothing else.
        .systemLibrary(name: "CMNL", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),
        // libpcap's header only, without pkg-config's -lpcap: Capture binds libpcap when a command
        // captures (LibPcap.swift), so addr, keepalived and hosts do not load it and the eight
        // libraries it pulls in (~1.4 ms of every start).
        .systemLibrary(name: "CPcap", providers: [.apt(["libpcap-dev"])]),
        // libnftables' header only: Firewall binds the library when a command reads the ruleset.
        .systemLibrary(name: "CNftables", providers: [.apt(["libnftables-dev"])]),

        // setns(2), which glibc declares only under _GNU_SOURCE.
        .systemLibrary(name: "CNamespaces"),

        // The shared vocabulary: sources of facts, errors, byte reading, the host model.
        .target(name: "HAModel"),

        // JSON written straight from each type's Codable into one output buffer, keys in
        // CodingKeys order: every --json document and snapshot.
        .target(name: "JSONEncoding"),

        // Edge: namespaces: entering a network namespace by name (/run/netns/NAME) or path and
        // coming back, and a namespace file's nsfs identity.
        .target(name: "Namespaces", dependencies: ["CNamespaces", "HAModel", .product(name: "SystemPackage", package: "swift-system")]),

        // Edge: the kernel's links, addresses and neighbour table over rtnetlink, through libmnl.
        .target(name: "Netlink", dependencies: ["CMNL", "HAModel", "LocalFiles", "Namespaces", .product(name: "SystemPackage", package: "swift-system")]),

        // Edge: other programs (ssh), the host's identity, the process table (/proc).
        .target(name: "SystemFacts", dependencies: ["HAModel", "LocalFiles", "Namespaces", .product(name: "SystemPackage", package: "swift-system")]),

        // keepalived.conf read the way keepalived 2.2.7 reads it: tokenizer, keyword table, model.
        .target(name: "KeepalivedConfig", dependencies: ["HAModel"]),

        // Parsers for the name-service files glibc reads: hosts (with its lookup rules),
        // host.conf, nsswitch.conf, resolv.conf.
        .target(name: "HostsFile", dependencies: ["HAModel"]),

        // The DNS wire format: query building and a bounds-checked response parser.
        .target(name: "DNSMessage", dependencies: ["HAModel"]),

        // Edge: what glibc answers (getaddrinfo/getnameinfo), DNS over UDP, reading the files.
        .target(name: "NameService", dependencies: ["HAModel", "DNSMessage", "Namespaces", "LocalFiles", .product(name: "SystemPackage", package: "swift-system")]),

        // The VRRP codec: link-layer frames and IP packets to VRRPv2/v3 adverts.
        .target(name: "VRRP", dependencies: ["HAModel"]),

        // haproxy.cfg read the way haproxy 2.6 reads it: -f directories, .if blocks, quoting, sections.
        .target(name: "HAProxyConfig", dependencies: ["HAModel"]),

        // Edge: the local filesystem through swift-system: one bounded file reader (regular
        // files only, a size cap, never blocking on a FIFO), one directory lister, the mapped
        // hosts file, the disk sources of the keepalived and haproxy readers, and the C libraries
        // bound when a command first needs them (dlopen).
        .target(name: "LocalFiles", dependencies: ["HAModel", "KeepalivedConfig", "HAProxyConfig", .product(name: "SystemPackage", package: "swift-system")]),

        // Edge: live capture and pcap/pcapng files through libpcap.
        .target(name: "Capture", dependencies: ["CPcap", "HAModel", "VRRP", "Netlink", "Namespaces", "LocalFiles", .product(name: "SystemPackage", package: "swift-system")]),

        // Running processes judged the way killall, pidof and pgrep judge them: keepalived and
        // haproxy found, their configuration's freshness, track scripts evaluated without running.
        .target(name: "Processes", dependencies: ["HAModel", "KeepalivedConfig"]),

        // Pure reasoning and rendering over snapshots.
        .target(name: "HAExplainCore", dependencies: ["HAModel", "JSONEncoding", "KeepalivedConfig", "HostsFile", "DNSMessage", "VRRP", "Processes", "HAProxyConfig"]),

        // Edge: the firewall ruleset as the kernel holds it, read through libnftables (read-only).
        .target(name: "Firewall", dependencies: ["CNftables", "HAModel", "Namespaces", "LocalFiles"]),

        // This host's facts gathered from the edges into a snapshot, and the decisions that
        // gathering takes (whose keepalived, node names, haproxy -vv, a track script's
        // namespaces) behind small readers, so tests decide them without root.
        .target(name: "HostGathering", dependencies: [
            "HAModel", "Netlink", "HAExplainCore", "KeepalivedConfig", "SystemFacts", "HostsFile", "DNSMessage",
            "NameService", "VRRP", "Capture", "Processes", "HAProxyConfig", "Firewall", "LocalFiles", "Namespaces",
            .product(name: "SystemPackage", package: "swift-system"),
        ]),

        .executableTarget(
            name: "haexplain",
            dependencies: [
                "HAModel", "Netlink", "HAExplainCore", "KeepalivedConfig", "SystemFacts", "HostGathering",
                "HostsFile", "DNSMessage", "NameService", "VRRP", "Capture", "Processes", "HAProxyConfig", "Firewall", "LocalFiles", "Namespaces",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test-only helpers: network-namespace labs and process runners.
        .target(name: "LabSupport", dependencies: ["HAModel", "SystemFacts", "VRRP"], path: "Tests/LabSupport"),
        .testTarget(name: "JSONEncodingTests", dependencies: ["JSONEncoding", "HAModel", "LabSupport"]),
        .testTarget(name: "HAModelTests", dependencies: ["HAModel", "JSONEncoding", "LabSupport"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "HAModel", "HAExplainCore", "SystemFacts", "Namespaces", "LabSupport"]),
        .testTarget(name: "KeepalivedConfigTests", dependencies: ["KeepalivedConfig", "HAExplainCore", "HAModel", "LocalFiles", "LabSupport", "Processes", "SystemFacts"]),
        .testTarget(name: "HostsFileTests", dependencies: ["HostsFile", "HAModel", "LabSupport"]),
        .testTarget(name: "NameServiceTests", dependencies: ["NameService", "DNSMessage", "HAModel", "LabSupport"]),
        .testTarget(name: "DNSMessageTests", dependencies: ["DNSMessage", "HAModel"]),
        .testTarget(name: "HAExplainCoreTests", dependencies: ["HAExplainCore", "HAModel", "HostsFile", "DNSMessage", "KeepalivedConfig", "VRRP", "HAProxyConfig", "Processes", "LocalFiles", "LabSupport"]),
        .testTarget(name: "SnapshotTests", dependencies: ["HAExplainCore", "HAModel", "SystemFacts", "LabSupport"]),
        .testTarget(name: "SeedLabTests", dependencies: ["LabSupport"]),
        .testTarget(name: "HAProxyConfigTests", dependencies: ["HAProxyConfig", "HAModel", "JSONEncoding", "LocalFiles", "LabSupport"]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP", "HAModel", "HAExplainCore", "LabSupport"]),
        .testTarget(name: "ProcessesTests", dependencies: ["Processes", "HAModel", "KeepalivedConfig", "SystemFacts", "LocalFiles", "LabSupport"]),
        .testTarget(name: "HostGatheringTests", dependencies: ["HostGathering", "HAExplainCore", "HAModel", "KeepalivedConfig", "Processes", "LabSupport"]),
        .testTarget(name: "LocalFilesTests", dependencies: ["LocalFiles", "Namespaces", "HAModel", "LabSupport"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "VRRP", "HAExplainCore", "HAModel", "LabSupport"]),
    ]
)
