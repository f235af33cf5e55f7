#if canImport(Glibc)
import Glibc
#endif
import HAExplainCore
import HAModel
import Namespaces
import LocalFiles
import HAProxyConfig
import Netlink
import SystemFacts

/// Reads this host's haproxy facts for `haproxy`, `ip` and `snapshot`: the configuration
/// (given, else the running haproxy's, else Debian's default), the sockets that listen, and
/// the nonlocal-bind sysctls of the namespace. A source that cannot be read becomes a limit;
/// only an explicitly given configuration that cannot be read is an error.
/// The running haproxy master as ProcessGathering finds it.
public typealias RunningHAProxy = (process: RunningProcess, workingDirectory: String?, environment: [String: String]?)

public enum HAProxyGathering {
    public static let defaultConfig = "/etc/haproxy/haproxy.cfg"

    /// The files haproxy reads here: given, else the running haproxy's -f, else the default;
    /// with why, and the environment their `${VAR}` expand in.
    public static func chosenFiles(configs: [String], running: RunningHAProxy?, readers: HostReaders = .system) -> (paths: [String], because: String, environment: [String: String]) {
        if !configs.isEmpty {
            return (configs, "given with --haproxy-config", ProcessEnvironment.current())
        }
        if let running, !HAProxyCommandLine(arguments: running.process.arguments).configPaths.isEmpty {
            let line = HAProxyCommandLine(arguments: running.process.arguments)
            var paths = line.resolvedPaths(workingDirectory: running.workingDirectory)
            var because = "the running haproxy (pid \(running.process.pid)) was started with " + line.configPaths.map { "-f \($0)" }.joined(separator: " ")
            // A haproxy in a mount namespace of its own (a container) reads its files there:
            // a same-named file here would be the wrong one.
            if let theirs = running.process.mountNamespace, theirs != readers.namespaceInode("/proc/self/ns/mnt") {
                paths = paths.map { $0.hasPrefix("/") ? "/proc/\(running.process.pid)/root" + $0 : $0 }
                because += ", read through /proc/\(running.process.pid)/root (it runs in another mount namespace)"
            }
            return (paths, because, running.environment ?? ProcessEnvironment.current())
        }
        let because = running.map { "the running haproxy (pid \($0.process.pid)) names no -f, so the default \(defaultConfig)" }
            ?? "no haproxy is running and no --haproxy-config was given: \(defaultConfig), the Debian default"
        return ([defaultConfig], because, running?.environment ?? ProcessEnvironment.current())
    }

    /// Reads `paths` as haproxy would, a refusal kept as a value. `haproxy -vv` (about 14 ms)
    /// only when the reading depends on it: a condition on haproxy's version, features or TLS
    /// library, a QUIC bind, or a configuration refused. Unreadable files are thrown (66).
    public static func check(paths: [String], environment: [String: String], readers: HostReaders = .system) throws(HAError) -> HAProxyCheck {
        var build = HAProxyBuild(environment: environment)
        build.localPeer = readers.hostname()
        var checked = try HAProxyParser.check(paths: paths, files: readers.haproxyFiles, build: build)
        if needsBuild(checked), let version = readers.run(["haproxy", "-vv"], 5), version.status == 0 {
            build.read(versionOutput: String(decoding: version.stdout, as: UTF8.self))
            checked = try HAProxyParser.check(paths: paths, files: readers.haproxyFiles, build: build)
        }
        return checked
    }

    /// Whether reading the configuration depends on haproxy's build: a condition on its
    /// version, features or TLS library, a QUIC bind, or a configuration refused.
    public static func needsBuild(_ checked: HAProxyCheck) -> Bool {
        checked.refusal != nil || checked.configuration.messages.contains { $0.code == .conditionNotJudged }
            || checked.configuration.sections.contains { $0.binds.contains { $0.addresses.contains { $0.transport == "quic" } } }
    }

    public static func snapshot(configs: [String], netns: String?, limits: inout [Limit],
                                readers: HostReaders = .system) throws(HAError) -> HAProxySnapshot {
        let running = ProcessGathering.haproxy(readers: readers)
        let (paths, because, environment) = chosenFiles(configs: configs, running: running, readers: readers)
        var configuration: HAProxyConfiguration?
        var problem: String?
        do throws(HAError) {
            let checked = try check(paths: paths, environment: environment, readers: readers)
            if let refusal = checked.refusal { throw refusal.error }
            configuration = checked.configuration
        } catch {
            if !configs.isEmpty { throw error }
            problem = error.description
        }
        // Compared by nsfs identity; the link text (net:[inode]) only names them.
        if let running, netns == nil,
           let theirIdentity = NamespaceIdentity(of: "/proc/\(running.process.pid)/ns/net"),
           let ourIdentity = NamespaceIdentity(of: "/proc/self/ns/net"), theirIdentity != ourIdentity,
           let theirs = ProcessTable.readLink("/proc/\(running.process.pid)/ns/net"),
           let ours = ProcessTable.readLink("/proc/self/ns/net") {
            limits.append(Limit(source: .process("haproxy", pid: running.process.pid),
                               message: "the running haproxy (pid \(running.process.pid)) is in another network namespace (\(theirs)) than this one (\(ours)): its sockets are not among those read here; add --netns /proc/\(running.process.pid)/ns/net"))
        }
        var listeners: ListeningSocketTable?
        do {
            listeners = SocketOwners.attach(to: try ListeningSocketReader.read(netns: netns))
        } catch {
            if netns != nil, error.kind != .noPermission { throw error }
            limits.append(Limit(source: ListeningSocketTable.dumpSource, message: "listening sockets could not be read: \(error.message)"))
        }
        let nonlocal = NonlocalBind(ipv4: try NamespaceSysctl.integer("net.ipv4.ip_nonlocal_bind", netns: netns),
                                    ipv6: try NamespaceSysctl.integer("net.ipv6.ip_nonlocal_bind", netns: netns), netns: netns)
        return HAProxySnapshot(configuration: configuration, chosenBecause: because, configurationProblem: problem,
                               listeners: listeners, nonlocalBind: nonlocal,
                               bindv6only: try NamespaceSysctl.integer("net.ipv6.bindv6only", netns: netns))
    }
}

extension HAProxyGathering {
    /// What `haexplain haproxy` reports: the snapshot, held against this host's addresses
    /// (which narrow the answer when unreadable), and the frontend serving `query` when asked.
    public static func report(configs: [String], netns: String?, query: String?, readers: HostReaders = .system) throws(HAError) -> HAProxyReport {
        var limits: [Limit] = []
        let snapshot = try snapshot(configs: configs, netns: netns, limits: &limits, readers: readers)
        var addresses: AddressTable?
        do throws(HAError) {
            addresses = try AddressReader.read(netns: netns)
        } catch {
            limits.append(Limit(source: AddressTable.dumpSource, message: "this host's addresses could not be read (\(error.message)): binds on addresses not assigned here are not checked"))
        }
        return HAProxyExplainer.report(snapshot, addresses: addresses, query: query.flatMap(HAProxyExplainer.parseQuery),
                                       queryText: query, netns: netns, limits: limits)
    }

    /// `haproxy --check`: the files haproxy would read (the given ones, else the running
    /// haproxy's), checked as haproxy checks them.
    public static func lint(configs: [String], strict: Bool, readers: HostReaders = .system) throws(HAError) -> HAProxyCheckReport {
        let running = configs.isEmpty ? ProcessGathering.haproxy(readers: readers) : nil
        let (paths, because, environment) = chosenFiles(configs: configs, running: running, readers: readers)
        return HAProxyCheckReport(try check(paths: paths, environment: environment, readers: readers), chosenBecause: because, strict: strict)
    }
}

public enum ProcessEnvironment {
    /// This process's environment: haproxy started from this shell would see the same.
    public static func current() -> [String: String] {
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
