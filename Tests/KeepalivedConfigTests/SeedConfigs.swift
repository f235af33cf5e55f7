import Foundation
import LabSupport

/// The seed story's two balancers' keepalived.conf files, verbatim: the same files
/// `make demo` and the seed-lab tests run keepalived with (demo/seed/).
enum SeedConfigs {
    static let prodHaproxy000 = read("prod-haproxy-000")
    static let prodHaproxy001 = read("prod-haproxy-001")

    private static func read(_ node: String) -> String {
        let url = HAExplainBinary.packageRoot.appendingPathComponent("demo/seed/\(node).keepalived.conf")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }
}
