#if canImport(Glibc)
import Glibc
#endif
import CNamespaces
import HAModel
import SystemPackage

/// Runs `body` with the calling thread inside another network namespace, and always comes
/// back. A socket belongs to the namespace it was created in, so opening it inside `body` is
/// enough: reading it later needs no further switching.
public enum NetworkNamespace {
    /// `name` is a name under /run/netns (as `ip netns` makes) or a path such as
    /// /proc/PID/ns/net.
    public static func path(for name: String) throws(HAError) -> String {
        if name.hasPrefix("/") { return name }
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw HAError(.usage, "'\(name)' is not a network namespace name; give a name from `ip netns list` or a path like /proc/PID/ns/net")
        }
        return "/run/netns/\(name)"
    }

    public static func with<T>(_ name: String?, _ body: () throws(HAError) -> T) throws(HAError) -> T {
        guard let name else { return try body() }
        let target = try path(for: name)
        let targetFD: FileDescriptor
        do {
            targetFD = try FileDescriptor.open(FilePath(target), .readOnly, options: .closeOnExec)
        } catch {
            switch error as? Errno {
            case .noSuchFileOrDirectory?:
                throw HAError(.unavailable, "no network namespace '\(name)': \(target) does not exist (see `ip netns list`)")
            case .permissionDenied?, .notPermitted?:
                throw HAError(.noPermission, "cannot open \(target): permission denied; entering a network namespace needs root")
            default:
                throw HAError(.unavailable, "cannot open \(target): \(error)")
            }
        }
        defer { try? targetFD.close() }
        let homeFD: FileDescriptor
        do {
            homeFD = try FileDescriptor.open("/proc/thread-self/ns/net", .readOnly, options: .closeOnExec)
        } catch {
            throw HAError(.unavailable, "cannot open /proc/thread-self/ns/net to remember the current namespace: \(error)")
        }
        defer { try? homeFD.close() }
        guard setns(targetFD.rawValue, Int32(CLONE_NEWNET)) == 0 else {
            let code = Errno(rawValue: errno)
            if code == .notPermitted {
                throw HAError(.noPermission, "entering network namespace '\(name)' needs CAP_SYS_ADMIN: run as root")
            }
            throw HAError(.unavailable, "\(target) is not a network namespace (\(code))")
        }
        defer {
            // Coming back cannot fail for a namespace we were in a moment ago; if it did,
            // carrying on would read the wrong host, so stop.
            if setns(homeFD.rawValue, Int32(CLONE_NEWNET)) != 0 {
                fatalError("could not return to the original network namespace: \(Errno(rawValue: errno))")
            }
        }
        return try body()
    }
}
