#if canImport(Glibc)
import Glibc
#endif
import HAModel
import Namespaces

/// What glibc answers applications, asked through getaddrinfo/getnameinfo in this process
/// (so nsswitch.conf, host.conf, /etc/hosts, resolv.conf and gai.conf all apply). glibc's own
/// DNS waits can add up to tens of seconds, so each call runs on a worker with a deadline.
public enum SystemResolver {
    public enum Outcome: Sendable, Equatable {
        case addresses([IPAddress])
        case names([String])
        case failed(String)
    }

    /// A question put to glibc on a thread of its own; `outcome()` waits for it until the
    /// deadline. Starting it before reading the hosts file lets glibc's scan and ours run side
    /// by side. A plain detached pthread and a pipe: no thread pool that might hold the work
    /// back on a busy machine, and a wait that poll(2) bounds.
    public final class Pending: @unchecked Sendable {
        private var result: Outcome?
        private let body: () -> Outcome
        private var signal: [Int32] = [-1, -1]
        private let deadline: Double
        private let seconds: Double

        init(seconds: Double, netns: String?, _ work: @escaping @Sendable () -> Outcome) {
            self.seconds = seconds
            deadline = DNSClient.now() + seconds
            body = {
                do {
                    return try NetworkNamespace.with(netns) { () throws(HAError) in work() }
                } catch {
                    return .failed("\(error)")
                }
            }
            guard pipe(&signal) == 0 else {
                signal = [-1, -1]
                result = body()
                return
            }
            signal.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
            // The thread owns a reference until it is done, so a late answer never writes
            // into freed memory; when glibc outlives the deadline it finishes on its own.
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { raw in
                Unmanaged<Pending>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, context)
            if started == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<Pending>.fromOpaque(context).release()
                result = body()
                signal.forEach { close($0) }
                signal = [-1, -1]
            }
        }

        deinit { signal.forEach { if $0 >= 0 { close($0) } } }

        private func run() {
            result = body()
            var byte: UInt8 = 1
            _ = write(signal[1], &byte, 1)
        }

        public func outcome() -> Outcome {
            if signal[0] < 0, let result { return result }
            while true {
                let left = deadline - DNSClient.now()
                var poller = pollfd(fd: signal[0], events: Int16(POLLIN), revents: 0)
                let ready = left > 0 ? poll(&poller, 1, Int32(max(1, (left * 1000).rounded(.up)))) : 0
                // By hand, not swift-system: poll has no wrapper there, and a retry recomputes the time left.
                if ready < 0, errno == EINTR { continue }
                if ready > 0, let result { return result }
                return .failed("no answer within \(formatSeconds(seconds)) s (glibc was still waiting, most likely on DNS)")
            }
        }
    }

    /// Addresses for `name` in getaddrinfo's order, as `getent ahosts` asks (AF_UNSPEC,
    /// AI_ADDRCONFIG | AI_CANONNAME), asking for SOCK_STREAM so each comes once per answer.
    public static func addresses(for name: String, netns: String?, timeoutSeconds: Double) -> Pending {
        Pending(seconds: timeoutSeconds, netns: netns) {
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
                // Kept as glibc gives them: with multi on, an address on two lines comes twice.
                if let address = address(of: entry.pointee.ai_addr) { found.append(address) }
                cursor = entry.pointee.ai_next
            }
            return .addresses(found)
        }
    }

    /// The name getnameinfo(NI_NAMEREQD) gives for `address`.
    public static func name(for address: IPAddress, netns: String?, timeoutSeconds: Double) -> Pending {
        Pending(seconds: timeoutSeconds, netns: netns) {
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
