#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import HAModel
import Netlink

/// What glibc answers applications, asked through getaddrinfo/getnameinfo in this process
/// (so nsswitch.conf, host.conf, /etc/hosts, resolv.conf and gai.conf all apply). glibc's own
/// DNS waits can add up to tens of seconds, so each call runs on a worker with a deadline.
public enum SystemResolver {
    public enum Outcome: Sendable, Equatable {
        case addresses([IPAddress])
        case names([String])
        case failed(String)
    }

    /// Addresses for `name` in getaddrinfo's order, as `getent ahosts` asks (AF_UNSPEC,
    /// AI_ADDRCONFIG | AI_CANONNAME), one per address.
    public static func addresses(for name: String, netns: String?, timeoutSeconds: Double) -> Outcome {
        bounded(timeoutSeconds, netns: netns) {
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            hints.ai_flags = AI_ADDRCONFIG | AI_CANONNAME
            var list: UnsafeMutablePointer<addrinfo>? = nil
            let status = getaddrinfo(name, nil, &hints, &list)
            guard status == 0 else { return .failed(String(cString: gai_strerror(status))) }
            defer { freeaddrinfo(list) }
            var found: [IPAddress] = []
            var cursor = list
            while let entry = cursor {
                if let address = address(of: entry.pointee.ai_addr), !found.contains(address) { found.append(address) }
                cursor = entry.pointee.ai_next
            }
            return .addresses(found)
        }
    }

    /// The name getnameinfo(NI_NAMEREQD) gives for `address`.
    public static func name(for address: IPAddress, netns: String?, timeoutSeconds: Double) -> Outcome {
        bounded(timeoutSeconds, netns: netns) {
            var storage = sockaddr_storage()
            let length = fill(&storage, address)
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let status = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NAMEREQD)
                }
            }
            guard status == 0 else { return .failed(String(cString: gai_strerror(status))) }
            return .names([String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)])
        }
    }

    private final class Box: @unchecked Sendable { var outcome: Outcome? }

    private static func bounded(_ seconds: Double, netns: String?, _ body: @escaping @Sendable () -> Outcome) -> Outcome {
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        // A detached worker: when glibc outlives the deadline it is left to finish on its own.
        DispatchQueue.global().async {
            let outcome: Outcome
            do {
                outcome = try NetworkNamespace.with(netns) { () throws(HAError) in body() }
            } catch {
                outcome = .failed("\(error)")
            }
            box.outcome = outcome
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success, let outcome = box.outcome else {
            return .failed("no answer within \(formatSeconds(seconds)) s (glibc was still waiting, most likely on DNS)")
        }
        return outcome
    }

    static func address(of pointer: UnsafeMutablePointer<sockaddr>?) -> IPAddress? {
        guard let pointer else { return nil }
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { six in
                withUnsafeBytes(of: six.pointee.sin6_addr) { IPAddress(bytes: $0) }
            }
        default:
            return nil
        }
    }

    /// Fills a sockaddr for `address` (port `port`) and returns its length.
    static func fill(_ storage: inout sockaddr_storage, _ address: IPAddress, port: UInt16 = 0) -> socklen_t {
        withUnsafeMutableBytes(of: &storage) { raw in
            switch address {
            case .v4(let value):
                var sin = sockaddr_in()
                sin.sin_family = sa_family_t(AF_INET)
                sin.sin_port = port.bigEndian
                sin.sin_addr.s_addr = value.bigEndian
                withUnsafeBytes(of: sin) { raw.copyMemory(from: $0) }
                return socklen_t(MemoryLayout<sockaddr_in>.size)
            case .v6(let high, let low):
                var sin6 = sockaddr_in6()
                sin6.sin6_family = sa_family_t(AF_INET6)
                sin6.sin6_port = port.bigEndian
                withUnsafeMutableBytes(of: &sin6.sin6_addr) { bytes in
                    bytes.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
                    bytes.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
                }
                withUnsafeBytes(of: sin6) { raw.copyMemory(from: $0) }
                return socklen_t(MemoryLayout<sockaddr_in6>.size)
            }
        }
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
