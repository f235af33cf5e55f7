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
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),

        // The shared vocabulary: sources of facts, errors, byte reading, the host model.
        .target(name: "HAModel"),

        // Edge: the kernel's links and addresses over rtnetlink, through libmnl.
        .target(name: "Netlink", dependencies: ["CMNL", "HAModel"]),

        // The VRRP codec: link-layer frames and IP packets to VRRPv2/v3 adverts.
        .target(name: "VRRP", dependencies: ["HAModel"]),

        // Edge: live capture and pcap/pcapng files through libpcap.
        .target(name: "Capture", dependencies: ["CPcap", "HAModel", "VRRP", "Netlink"]),

        // Pure reasoning and rendering over snapshots.
        .target(name: "HAExplainCore", dependencies: ["HAModel", "VRRP"]),

        .executableTarget(
            name: "haexplain",
            dependencies: [
                "HAModel", "Netlink", "HAExplainCore", "VRRP", "Capture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Test-only helpers: network-namespace labs and process runners.
        .target(name: "LabSupport", dependencies: ["HAModel"], path: "Tests/LabSupport"),
        .testTarget(name: "HAModelTests", dependencies: ["HAModel", "LabSupport"]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "HAModel", "HAExplainCore", "LabSupport"]),
        .testTarget(name: "HAExplainCoreTests", dependencies: ["HAExplainCore", "HAModel", "LabSupport"]),
        .testTarget(name: "VRRPTests", dependencies: ["VRRP", "HAModel", "HAExplainCore"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "VRRP", "HAExplainCore", "HAModel", "LabSupport"]),
    ]
)
