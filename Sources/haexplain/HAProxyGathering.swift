#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore
import HAModel
import HAProxyConfig
import Netlink
import SystemFacts

/// Reads this host's haproxy facts for `haproxy`, `ip` and `snapshot`: the configuration
/// (given, else the running haproxy's, else Debian's default), the sockets that listen, and
/// the nonlocal-bind sysctls of the namespace. A source that cannot be read becomes a limit;
/// only an explicitly given configuration that cannot be read is an error.
enum HAProxyGathering {
    static let defaultConfig = "/etc/haproxy/haproxy.cfg"

    static func snapshot(configs: [String], netns: String?, limits: inout [String]) throws(HAError) -> HAProxySnapshot {
        let running = RunningProgram.find(command: "haproxy")
        var paths = configs
        var because: String
        var environment = running?.environment ?? ProcessEnvironment.current()
        if !configs.isEmpty {
            because = "given with --haproxy-config"
            environment = ProcessEnvironment.current()
        } else if let running, !HAProxyCommandLine(arguments: running.arguments).configPaths.isEmpty {
            let line = HAProxyCommandLine(arguments: running.arguments)
            paths = line.resolvedPaths(workingDirectory: running.workingDirectory)
            because = "the running haproxy (pid \(running.pid)) was started with " + line.configPaths.map { "-f \($0)" }.joined(separator: " ")
            // A haproxy in a mount namespace of its own (a container) reads its files there:
            // a same-named file here would be the wrong one.
            let theirs = ProcessTable.readLink("/proc/\(running.pid)/ns/mnt")
            if let theirs, theirs != ProcessTable.readLink("/proc/self/ns/mnt") {
                paths = paths.map { $0.hasPrefix("/") ? "/proc/\(running.pid)/root" + $0 : $0 }
                because += ", read through /proc/\(running.pid)/root (it runs in another mount namespace)"
            }
        } else {
            paths = [defaultConfig]
            because = running.map { "the running haproxy (pid \($0.pid)) names no -f, so the default \(defaultConfig)" }
                ?? "no haproxy is running and no --haproxy-config was given: \(defaultConfig), the Debian default"
        }
        var build = HAProxyBuild(environment: environment)
        if let version = try? ProgramRunner.run(["haproxy", "-vv"], timeout: 5), version.status == 0 {
            build.read(versionOutput: String(decoding: version.stdout, as: UTF8.self))
        }
        var configuration: HAProxyConfiguration?
        var problem: String?
        do {
            configuration = try HAProxyParser.parse(paths: paths, files: LocalHAProxyFiles(), build: build)
        } catch {
            if !configs.isEmpty { throw error }
            problem = error.description
        }
        if let running, netns == nil, let theirs = ProcessTable.readLink("/proc/\(running.pid)/ns/net"),
           let ours = ProcessTable.readLink("/proc/self/ns/net"), theirs != ours {
            limits.append("the running haproxy (pid \(running.pid)) is in another network namespace (\(theirs)) than this one (\(ours)): its sockets are not among those read here; add --netns /proc/\(running.pid)/ns/net")
        }
        var listeners: ListeningSocketTable?
        do {
            listeners = SocketOwners.attach(to: try ListeningSocketReader.read(netns: netns))
        } catch {
            if netns != nil, error.kind != .noPermission { throw error }
            limits.append("listening sockets could not be read: \(error.message)")
        }
        let nonlocal = NonlocalBind(ipv4: try NamespaceSysctl.integer("net.ipv4.ip_nonlocal_bind", netns: netns),
                                    ipv6: try NamespaceSysctl.integer("net.ipv6.ip_nonlocal_bind", netns: netns), netns: netns)
        return HAProxySnapshot(configuration: configuration, chosenBecause: because, configurationProblem: problem,
                               listeners: listeners, nonlocalBind: nonlocal)
    }
}

enum ProcessEnvironment {
    /// This process's environment: haproxy started from this shell would see the same.
    static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            pointer += 1
        }
        return result
    }
}
