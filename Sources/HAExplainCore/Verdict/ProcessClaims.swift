import HAModel
import KeepalivedConfig
import Processes

/// What the running processes add to an answer: the keepalived that manages the address, the
/// state of the scripts its instances track (which the effective priority already uses), and
/// configuration files changed since the daemon started.
enum ProcessClaims {
    static func claims(instances: [VRRPInstance], hosts: [ExaminedHost]) -> (evidence: [Evidence], warnings: [String], limits: [Limit]) {
        var evidence: [Evidence] = []
        var warnings: [String] = []
        var limits: [Limit] = []
        for host in hosts {
            guard let facts = host.processes else { continue }
            let mine = instances.filter { $0.node == host.hostname }
            if let keepalived = facts.keepalived {
                let process = keepalived.process
                let config = keepalived.configFiles.first.map { ", configuration \($0.path) (\($0.given))" } ?? ""
                evidence.append(Evidence(Source(kind: .process, file: "/proc/\(process.pid)", detail: "keepalived"),
                    "keepalived runs as pid \(process.pid)\(process.startTime.map { " since \($0)" } ?? "")\(config)", host: host.hostname))
            } else if !mine.isEmpty, facts.partial != true {
                evidence.append(Evidence(Source(kind: .process, detail: "/proc"),
                    "no keepalived process is visible in /proc on \(host.hostname): if none runs, its instances neither advertise nor hold addresses", host: host.hostname))
            }
            let tracked = Set(mine.flatMap { $0.trackScript.map(\.name) })
            for state in facts.trackScripts where tracked.contains(state.name) {
                let inside = state.matchedPIDsInScriptNamespace
                let pids = inside.isEmpty || inside == state.matchedPIDs ? "" : " (pids \(inside.map(String.init).joined(separator: ", ")) in its pid namespace)"
                let word = state.state == .ok ? "OK" : (state.state == .failing ? "failing" : "not evaluated, assumed OK")
                evidence.append(Evidence(Source(kind: .process, file: state.file, line: state.line, detail: state.method),
                    "track_script \(state.name) \"\(state.script)\" is \(word) on \(host.hostname): \(state.reason)\(pids)", host: host.hostname))
            }
            warnings += facts.warnings.map { "\(host.hostname): \($0)" }
            limits += facts.limits.map { $0.on(host.hostname) }
        }
        return (evidence, warnings, limits)
    }
}
