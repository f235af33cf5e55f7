#if canImport(Glibc)
import Glibc
#endif
import DNSMessage
import HAModel
import Namespaces
import SystemPackage

/// Asks one nameserver directly over UDP, with one deadline for all questions: the answer
/// DNS itself gives, independent of the hosts file and of glibc's caching or search rules.
public enum DNSClient {
    public enum Outcome: Sendable, Equatable {
        /// The replies, one per question asked, in the order asked.
        case replies([DNSMessage])
        /// Nothing usable came back before the deadline.
        case timedOut(seconds: Double)
        case failed(String)
    }

    public static func ask(_ server: IPAddress, port: UInt16 = 53, questions: [(String, DNSMessage.RecordType)],
                           timeoutSeconds: Double, netns: String?) -> Outcome {
        do {
            return try NetworkNamespace.with(netns) { () throws(HAError) in
                exchange(server, port: port, questions: questions, timeoutSeconds: timeoutSeconds)
            }
        } catch {
            return .failed("\(error)")
        }
    }

    static func exchange(_ server: IPAddress, port: UInt16, questions: [(String, DNSMessage.RecordType)],
                         timeoutSeconds: Double) -> Outcome {
        var queries: [(id: UInt16, bytes: [UInt8])] = []
        var generator = SystemRandomNumberGenerator()
        for (name, type) in questions {
            let id = UInt16.random(in: .min ... .max, using: &generator)
            do {
                queries.append((id, try DNSMessage.query(id: id, name: name, type: type)))
            } catch {
                return .failed("cannot ask DNS for '\(name)': \(error.reason)")
            }
        }
        let family = server.family == .inet ? AF_INET : AF_INET6
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failed("cannot open a UDP socket: \(Errno(rawValue: errno))") }
        defer { close(fd) }
        var storage = sockaddr_storage()
        let length = SystemResolver.fill(&storage, server, port: port)
        let connected = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
        }
        guard connected == 0 else { return .failed("cannot reach \(server): \(Errno(rawValue: errno))") }
        for query in queries {
            _ = query.bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        }
        var replies: [UInt16: DNSMessage] = [:]
        let deadline = now() + timeoutSeconds
        var buffer = [UInt8](repeating: 0, count: 65_535)
        while replies.count < queries.count {
            let left = deadline - now()
            guard left > 0 else { break }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(max(1, (left * 1000).rounded(.up))))
            // By hand, not swift-system: poll has no wrapper there, and a retry recomputes the time left.
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { break }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                // ECONNREFUSED: nothing listens on port 53 there; that is an answer too.
                if errno == ECONNREFUSED { return .failed("\(server) refused (nothing listens on UDP port \(port))") }
                continue
            }
            // Replies that do not parse or do not match a question are ignored, as resolvers do.
            guard let message = try? DNSMessage.parse(Array(buffer[0..<count])), message.isResponse,
                  let index = queries.firstIndex(where: { $0.id == message.id }),
                  message.questions.isEmpty || message.questions.contains(where: {
                      $0.type == questions[index].1 && $0.name.lowercased() == asked(questions[index].0)
                  }) else { continue }
            replies[message.id] = message
        }
        guard replies.count == queries.count else { return .timedOut(seconds: timeoutSeconds) }
        return .replies(queries.compactMap { replies[$0.id] })
    }

    /// The question name as a reply spells it: lower case, no trailing dot.
    static func asked(_ name: String) -> String {
        (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased()
    }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
