import DNSMessage
import HAModel
import HostsFile

/// `haexplain hosts`: every place an answer for a name or address can come from, side by
/// side, each with its source, and the sentences that compare them.
public struct NameResolution: Encodable, Sendable {
    public var schemaVersion = SchemaVersion.current
    public var query: String
    /// "name" (forward lookup) or "address" (reverse lookup).
    public var queryKind: String
    public var hostsFile: String
    public var hostConf: HostConfFact
    public var matches: [HostsLineFact]
    /// Lines that also match but are not listed (a block list can repeat 0.0.0.0 a million times).
    public var matchesOmitted: Int?
    public var nsswitch: NSSwitchHosts
    public var getaddrinfo: GlibcFact
    public var dns: DNSFact
    /// The nsswitch source whose answer equals what glibc returned, when one does.
    public var answeredBy: String?
    public var findings: [NameFinding]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", query, queryKind = "query_kind", hostsFile = "hosts_file"
        case hostConf = "host_conf", matches, matchesOmitted = "matches_omitted", nsswitch, getaddrinfo, dns, answeredBy = "answered_by", findings
    }
}

/// One sentence comparing the answers, and what it is to an `ip` answer: a note, a warning (the
/// sources disagree, or glibc does not read what one expects), or a limit with its source.
public struct NameFinding: Encodable, Sendable, Equatable {
    public enum Weight: Sendable, Equatable { case note, warning, limit(Source) }
    public var sentence: String
    public var weight: Weight

    public init(_ sentence: String, _ weight: Weight = .note) {
        self.sentence = sentence
        self.weight = weight
    }

    /// As `hosts` says it: a limit marked as one.
    public var text: String {
        if case .limit = weight { return "limit: \(sentence)" }
        return sentence
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

public struct HostConfFact: Encodable, Sendable {
    public var file: String
    /// nil: glibc's default (multi off) applies.
    public var line: Int?
    public var multi: Bool

    public init(_ conf: HostConf) {
        file = conf.file
        line = conf.line
        multi = conf.multi
    }
}

public struct HostsLineFact: Encodable, Sendable {
    public var file: String
    public var line: Int
    public var address: String
    public var names: [String]
    /// Forward: getaddrinfo returns this line. Reverse: gethostbyaddr returns its names.
    public var returned: Bool
    /// Forward only: gethostbyname (`getent hosts`, IPv6 lines first) returns it.
    public var returnedByGethostbyname: Bool?
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case file, line, address, names, returned, returnedByGethostbyname = "returned_by_gethostbyname", note
    }

    public init(_ match: HostsMatch) {
        file = match.line.file
        line = match.line.line
        address = match.line.address?.description ?? match.line.addressText
        names = match.line.names
        returned = match.returned
        returnedByGethostbyname = match.returnedByGethostbyname
        note = match.note
    }
}

/// What glibc told this process: getaddrinfo for a name, getnameinfo for an address.
public struct GlibcFact: Encodable, Sendable, Equatable {
    public var function: String
    public var addresses: [IPAddress]?
    public var names: [String]?
    public var error: String?

    public init(function: String, addresses: [IPAddress]? = nil, names: [String]? = nil, error: String? = nil) {
        self.function = function
        self.addresses = addresses
        self.names = names
        self.error = error
    }
}

public struct DNSAnswerFact: Encodable, Sendable, Equatable {
    public var name: String
    public var type: String
    public var ttl: UInt32
    public var data: String
}

/// What a nameserver answered when asked directly, or why it was not asked.
public struct DNSFact: Encodable, Sendable, Equatable {
    public var server: String?
    public var source: String?
    public var questions: [String]?
    public var answers: [DNSAnswerFact]?
    /// NOERROR, NXDOMAIN, SERVFAIL, ..., "timeout" or "error".
    public var status: String?
    /// Why DNS was not asked (`--no-dns`, no nameserver in resolv.conf).
    public var skipped: String?
    /// What this answer could not see, in words.
    public var limit: String?

    public init(skipped: String) { self.skipped = skipped }

    public init(server: IPAddress, source: Source, questions: [String], replies: [DNSMessage]) {
        self.server = server.description
        self.source = source.description
        self.questions = questions
        answers = replies.flatMap { reply in
            reply.answers.map { record in
                let data: String
                switch record.data {
                case .address(let address): data = address.description
                case .name(let name): data = name
                case .other(let count): data = "\(count) bytes"
                }
                return DNSAnswerFact(name: record.name, type: record.type.description, ttl: record.ttl, data: data)
            }
        }
        // One NOERROR with data is an answer; otherwise the first non-NOERROR code tells why not.
        let codes = replies.map(\.responseCodeName)
        status = answers?.isEmpty == false ? "NOERROR" : (codes.first { $0 != "NOERROR" } ?? "NOERROR")
        if replies.contains(where: \.truncated) {
            limit = "\(server) truncated its reply (TC bit) and haexplain does not retry over TCP: answers may be incomplete"
        }
    }

    public init(server: IPAddress, source: Source, questions: [String], status: String, limit: String) {
        self.server = server.description
        self.source = source.description
        self.questions = questions
        self.status = status
        self.limit = limit
    }

    enum CodingKeys: String, CodingKey { case server, source, questions, answers, status, skipped, limit }

    public static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    var addresses: [IPAddress] {
        (answers ?? []).compactMap { $0.type == "A" || $0.type == "AAAA" ? IPAddress($0.data) : nil }
    }

    var names: [String] { (answers ?? []).filter { $0.type == "PTR" }.map(\.data) }

    var answered: Bool { status != nil && status != "timeout" && status != "error" }
}

/// Puts the three answers side by side and says in a sentence where they differ.
public enum NameResolutionExplainer {
    public static func explain(query: String, reverseOf address: IPAddress?, hosts: HostsFile, hostConf: HostConf,
                               nsswitch: NSSwitchHosts, glibc: GlibcFact, dns: DNSFact,
                               glibcHostsFile: String = "/etc/hosts", hostsFileProblem: String? = nil) -> NameResolution {
        // Reverse lookups stop building lines after the evidence limit: a block list can
        // repeat 0.0.0.0 half a million times.
        let reverse = address.map { HostsLookup.reverse($0, in: hosts, limit: evidenceLimit + 1) }
        let matches = reverse?.matches ?? HostsLookup.forward(query, in: hosts, multi: hostConf.multi)
        let total = reverse?.total ?? matches.count
        let returned = matches.filter(\.returned)
        // Every line glibc returns, and the first few others as evidence.
        var othersShown = 0
        let shown = matches.filter { match in
            if match.returned { return true }
            othersShown += 1
            return othersShown <= evidenceLimit
        }
        var report = NameResolution(
            query: query, queryKind: address == nil ? "name" : "address", hostsFile: hosts.path,
            hostConf: HostConfFact(hostConf), matches: shown.map(HostsLineFact.init),
            matchesOmitted: shown.count < total ? total - shown.count : nil, nsswitch: nsswitch,
            getaddrinfo: glibc, dns: dns, answeredBy: nil, findings: [])
        let filesAnswer: Set<String> = Set(address == nil
            ? returned.compactMap { $0.line.address?.description }
            : returned.flatMap { $0.line.names.prefix(1) })
        let dnsAnswer: Set<String> = Set(address == nil ? dns.addresses.map(\.description) : dns.names.map(dropDot))
        let glibcAnswer: Set<String> = Set(glibc.addresses?.map(\.description) ?? glibc.names ?? [])
        let returnedLines = returned.map { $0.line.source.description }.joined(separator: ", ")
        let order = nsswitch.sources.map(\.service)
        let filesFirst = (order.firstIndex(of: "files") ?? .max) < (order.firstIndex(of: "dns") ?? .max)
        let nsswitchAt = Source.file(nsswitch.file, line: nsswitch.line).description

        for source in nsswitch.sources {
            let answer: Set<String>? = switch source.service {
            case "files": filesAnswer
            case "dns": dns.answered ? dnsAnswer : nil
            default: nil
            }
            if let answer, !answer.isEmpty, answer == glibcAnswer { report.answeredBy = source.service; break }
        }

        var findings: [NameFinding] = []
        func note(_ sentence: String) { findings.append(NameFinding(sentence)) }
        func warning(_ sentence: String) { findings.append(NameFinding(sentence, .warning)) }
        let dnsSource = Source(kind: .dns, detail: dns.server)
        if let hostsFileProblem { findings.append(NameFinding("\(hostsFileProblem); read as empty", .limit(.file(hosts.path)))) }
        let subject = address == nil ? query : address!.description
        let dnsLimit = dns.skipped.map { "DNS not asked (\($0))" } ?? dns.limit
        switch (filesAnswer.isEmpty, dnsAnswer.isEmpty) {
        case (false, true) where dns.answered:
            note("not in DNS (\(dns.server ?? "?") says \(dns.status ?? "no data")): only the hosts file (\(returnedLines)) knows \(subject)")
        case (false, false) where filesAnswer == dnsAnswer:
            note("hosts file (\(returnedLines)) and DNS agree on \(subject)")
        case (false, false):
            warning("DNS and hosts disagree: hosts file (\(returnedLines)) says \(sorted(filesAnswer)), DNS says \(sorted(dnsAnswer))")
            if filesFirst {
                warning("hosts file overrides DNS: files comes before dns in \(nsswitchAt)")
            } else if order.contains("dns") {
                warning("DNS overrides the hosts file: dns comes before files in \(nsswitchAt)")
            }
        case (true, false):
            note("only in DNS: no line of \(hosts.path) that glibc reads names \(subject)")
        case (true, true) where dns.answered:
            note("neither \(hosts.path) nor DNS knows \(subject)")
        default:
            note(filesAnswer.isEmpty
                ? "no line of \(hosts.path) that glibc reads names \(subject)"
                : "the hosts file (\(returnedLines)) answers \(subject): \(sorted(filesAnswer))")
        }
        if let dnsLimit { findings.append(NameFinding(dnsLimit, .limit(dnsSource))) }
        if address == nil, dns.skipped == nil, !query.contains(".") {
            findings.append(NameFinding("DNS was asked for '\(query)' as a full name; glibc would also try the search domains of resolv.conf", .limit(dnsSource)))
        }
        if !filesAnswer.isEmpty, !order.contains("files") {
            warning("\(nsswitchAt) does not list files for hosts: glibc never reads \(hosts.path)")
        }
        if let omitted = report.matchesOmitted {
            note("\(omitted) more line\(omitted == 1 ? "" : "s") of \(hosts.path) match \(subject) (not listed; glibc does not return them)")
        }
        let skipped = shown.filter { $0.line.address == nil }
        if !skipped.isEmpty {
            warning("glibc ignores \(skipped.map { $0.line.source.description }.joined(separator: ", ")): the address is not valid")
        }
        let unreturned = shown.filter { !$0.returned && $0.line.address != nil }
        if address == nil, !unreturned.isEmpty, !returned.isEmpty, !hostConf.multi {
            warning("\(unreturned.map { $0.line.source.description }.joined(separator: ", ")) also name \(query) but glibc stops at the first line (host.conf multi is off)")
        }
        if hosts.path != glibcHostsFile {
            note("\(glibc.function) reads \(glibcHostsFile), not \(hosts.path): its answer is for the system's files")
        }
        if let error = glibc.error {
            warning("\(glibc.function) failed: \(error)")
        } else if report.answeredBy == nil, !glibcAnswer.isEmpty {
            warning("\(glibc.function) answered \(sorted(glibcAnswer)), which neither the hosts file nor DNS as asked here gave: another source in \(nsswitchAt) (\(order.joined(separator: " "))) answered")
        }
        report.findings = findings
        return report
    }

    /// How many matching lines glibc does not return are listed as evidence.
    public static let evidenceLimit = 20

    static func sorted(_ set: Set<String>) -> String { set.sorted().joined(separator: ", ") }

    static func dropDot(_ name: String) -> String { name.hasSuffix(".") ? String(name.dropLast()) : name }
}
