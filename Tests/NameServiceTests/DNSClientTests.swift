import DNSMessage
import Foundation
import HAModel
import NameService
import Testing

/// The UDP client against a scripted responder on 127.0.0.1 (an ephemeral port of this
/// process, never the machine's nameserver): stray replies are ignored, silence is bounded.
@Suite struct DNSClientTests {
    /// Answers each query it receives with the replies `script` makes from the query bytes.
    final class Responder: @unchecked Sendable {
        let fd: Int32
        let port: UInt16

        init(script: @escaping @Sendable ([UInt8]) -> [[UInt8]]) throws {
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            self.fd = fd
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                    bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
                }
            }
            guard bound else { throw POSIXError(.EADDRINUSE) }
            port = UInt16(bigEndian: address.sin_port)
            Thread.detachNewThread {
                var buffer = [UInt8](repeating: 0, count: 512)
                var peer = sockaddr_storage()
                var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                while true {
                    let count = withUnsafeMutablePointer(to: &peer) {
                        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &peerLength) }
                    }
                    guard count > 0 else { return }
                    for reply in script(Array(buffer[0..<count])) {
                        _ = withUnsafePointer(to: &peer) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, reply, reply.count, 0, $0, peerLength) }
                        }
                    }
                }
            }
        }

        deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    /// A NOERROR reply to `query` with one A record.
    static func reply(to query: [UInt8], id: UInt16? = nil, address: [UInt8]) -> [UInt8] {
        var bytes = query
        if let id { bytes[0] = UInt8(id >> 8); bytes[1] = UInt8(id & 0xff) }
        bytes[2] = 0x81; bytes[3] = 0x80; bytes[7] = 1
        return bytes + [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4] + address
    }

    @Test("a reply with the wrong id or for another question is ignored; the right one is taken")
    func strayRepliesIgnored() throws {
        let responder = try Responder { query in
            let id = UInt16(query[0]) << 8 | UInt16(query[1])
            let other = (try? DNSMessage.query(id: id, name: "other.example", type: .a)) ?? []
            return [Self.reply(to: query, id: id &+ 1, address: [6, 6, 6, 6]),
                    Self.reply(to: other, address: [7, 7, 7, 7]),
                    Self.reply(to: query, address: [192, 168, 3, 200])]
        }
        let outcome = DNSClient.ask(.v4(0x7f00_0001), port: responder.port, questions: [("db.panda.com", .a)],
                                    timeoutSeconds: 5, netns: nil)
        guard case .replies(let replies) = outcome else { Issue.record("expected replies, got \(outcome)"); return }
        #expect(replies.flatMap(\.answers).map(\.data) == [.address(IPAddress("192.168.3.200")!)])
    }

    @Test("a server that stays silent gives a timeout after the given wait, not a hang")
    func silence() throws {
        let responder = try Responder { _ in [] }
        let outcome = DNSClient.ask(.v4(0x7f00_0001), port: responder.port, questions: [("db.panda.com", .a)],
                                    timeoutSeconds: 0.3, netns: nil)
        #expect(outcome == .timedOut(seconds: 0.3))
    }

    @Test("garbage from the server is ignored like silence")
    func garbage() throws {
        let responder = try Responder { query in [Array(query.prefix(5)), [0xff, 0xff]] }
        let outcome = DNSClient.ask(.v4(0x7f00_0001), port: responder.port, questions: [("db.panda.com", .a)],
                                    timeoutSeconds: 0.3, netns: nil)
        #expect(outcome == .timedOut(seconds: 0.3))
    }
}
