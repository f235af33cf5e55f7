/// Something an answer could not observe, said plainly, with the source it would have come
/// from (the netlink table, the file, the process, the wire, the ssh host).
public struct Limit: Codable, Sendable, Equatable {
    public var source: Source
    /// The host it was missing on, when the answer draws from several (a snapshot's host).
    public var host: String?
    public var message: String

    public init(source: Source, host: String? = nil, message: String) {
        self.source = source
        self.host = host
        self.message = message
    }

    /// As text says it: the host first when there is one.
    public var text: String { host.map { "\($0): \(message)" } ?? message }

    /// The same limit, said of `host` (a snapshot's, once several hosts are in view).
    public func on(_ host: String) -> Limit { Limit(source: source, host: host, message: message) }

    enum CodingKeys: String, CodingKey { case source, host, message }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        host = try container.decodeIfPresent(String.self, forKey: .host)
        message = try container.decode(String.self, forKey: .message)
        // Snapshots of schema versions 2 and 3 name the source in one word ("netlink", "vrrp").
        if SchemaVersion.reading(decoder) < 4, let word = try? container.decode(String.self, forKey: .source) {
            source = Source(legacyWord: word)
            return
        }
        do {
            source = try container.decode(Source.self, forKey: .source)
        } catch {
            guard let word = try? container.decode(String.self, forKey: .source) else { throw error }
            throw DecodingError.dataCorruptedError(forKey: .source, in: container, debugDescription:
                "since schema_version 4 a limit's source is an object such as {\"kind\": \"netlink\"}, not the one word \"\(word)\" of versions 2 and 3")
        }
    }
}

extension SchemaVersion {
    /// The key of a decoder's `userInfo` that says which schema version the document was
    /// written in, for the shapes older versions wrote; absent, the current shapes are read.
    public static let userInfoKey = CodingUserInfoKey(rawValue: "haexplain.schema_version")!

    /// The schema version `decoder` reads (its `userInfoKey`), else the current one.
    public static func reading(_ decoder: any Decoder) -> Int {
        decoder.userInfo[userInfoKey] as? Int ?? current
    }
}

extension Source {
    /// The source a version-2 or -3 snapshot named in one word.
    init(legacyWord word: String) {
        switch word {
        case "vrrp": self = .liveCapture
        case "probe": self = .wire("--probe")
        case "hosts", "names": self = Source(kind: .resolver, detail: word)
        case "keepalived", "haproxy": self = .process(word)
        default: self = Kind(rawValue: word).map { Source(kind: $0) } ?? Source(kind: .snapshot, detail: word)
        }
    }
}
