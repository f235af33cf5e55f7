// swift-tools-version: 6.0
import PackageDescription

// Layout: pure core (HAModel, parsers, HAExplainCore) that tests need no root for;
// one edge module per system boundary (Netlink, Capture); a thin executable.
let package = Package(
    name: "haexplain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "haexplain", targets: ["haexplain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C shims: headers and pkg-config, nothing else.
        .systemLibrary(name: "CMNL", pkgConfig: "libmnl", providers: [.apt(["libmnl-dev"])]),

        // The shared vocabulary: sources of facts, errors, byte reading, the host model.
        .target(name: "HAModel"),

        // Edge: the kernel's links and addresses over rtnetlink, through libmnl.
        .target(name: "Netlink", dependencies: ["CMNL", "HAModel"]),

        // Parsers for the name-service files glibc reads: hosts (with its lookup rules),
        // host.conf, nsswitch.conf, resolv.conf.
        .target(name: "HostsFile", dependencies: ["HAModel"]),

        // The DNS wire format: query building and a bounds-checked response parser.
        .target(name: "DNSMessage", dependencies: ["HAModel"]),

        // Edge: what glibc answers (getaddrinfo/getnameinfo), DNS over UDP, reading the files.
        .target(name: "NameService", dependencies: ["HAModel", "DNSMessage", "Netlink"]),

        // Pure reasoning and rendering over snapshots.
        .target(name: "HAExplainCore", dependencies: ["HAModel", "HostsFile", "DNSMessage"]),

        .executableTarget(
            name: "haexplain",
            dependencies: [
                "HAModel", "Netlink", "HAExplainCore", "HostsFile", "DNSMessage", "NameService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test-only helpers: network-namespace labs and process runners.
        .target(name: "LabSupport", dependencies: ["HAModel"], path: "Tests/LabSupport"),
        .testTarget(name: "HAModelTests", dependencies: ["HAModel", "LabSupport"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "HAModel", "HAExplainCore", "LabSupport"]),
        .testTarget(name: "HostsFileTests", dependencies: ["HostsFile", "HAModel", "LabSupport"]),
        .testTarget(name: "NameServiceTests", dependencies: ["NameService", "DNSMessage", "HAModel", "LabSupport"]),
        .testTarget(name: "DNSMessageTests", dependencies: ["DNSMessage", "HAModel"]),
        .testTarget(name: "HAExplainCoreTests", dependencies: ["HAExplainCore", "HAModel", "HostsFile", "DNSMessage", "LabSupport"]),
    ]
)
