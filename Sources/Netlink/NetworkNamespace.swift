#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel

/// Runs `body` with the calling thread inside another network namespace, and always comes
/// back. A netlink socket belongs to the namespace it was created in, so opening the socket
/// inside `body` is enough: reading it later needs no further switching.
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
        let targetFD = open(target, O_RDONLY | O_CLOEXEC)
        guard targetFD >= 0 else {
            let code = errno
            switch code {
            case ENOENT:
                throw HAError(.unavailable, "no network namespace '\(name)': \(target) does not exist (see `ip netns list`)")
            case EACCES, EPERM:
                throw HAError(.noPermission, "cannot open \(target): permission denied; entering a network namespace needs root")
            default:
                throw HAError(.unavailable, "cannot open \(target): \(String(cString: strerror(code)))")
            }
        }
        defer { close(targetFD) }
        let homeFD = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard homeFD >= 0 else {
            throw HAError(.unavailable, "cannot open /proc/thread-self/ns/net to remember the current namespace: \(String(cString: strerror(errno)))")
        }
        defer { close(homeFD) }
        guard setns(targetFD, Int32(CLONE_NEWNET)) == 0 else {
            let code = errno
            if code == EPERM {
                throw HAError(.noPermission, "entering network namespace '\(name)' needs CAP_SYS_ADMIN: run as root")
            }
            throw HAError(.unavailable, "\(target) is not a network namespace (\(String(cString: strerror(code))))")
        }
        defer {
            // Coming back cannot fail for a namespace we were in a moment ago; if it did,
            // carrying on would read the wrong host, so stop.
            if setns(homeFD, Int32(CLONE_NEWNET)) != 0 {
                fatalError("could not return to the original network namespace: \(String(cString: strerror(errno)))")
            }
        }
        return try body()
    }
}
