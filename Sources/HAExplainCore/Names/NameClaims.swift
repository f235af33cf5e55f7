import HAModel

/// The names and addresses a `NameResolution` establishes, as claims with their sources,
/// for the verdict's "names" line.
public enum NameClaims {
    /// For a name: the addresses it stands for, in the order applications get them
    /// (getaddrinfo's), falling back to the hosts-file lines glibc returns and DNS answers.
    public static func addresses(of resolution: NameResolution) -> [IPAddress] {
        var result: [IPAddress] = []
        func add(_ address: IPAddress) { if !result.contains(address) { result.append(address) } }
        resolution.getaddrinfo.addresses?.forEach(add)
        if result.isEmpty {
            resolution.matches.filter(\.returned).compactMap { IPAddress($0.address) }.forEach(add)
            (resolution.dns.answers ?? []).filter { $0.type == "A" || $0.type == "AAAA" }.compactMap { IPAddress($0.data) }.forEach(add)
        }
        return result
    }

    /// The addresses `ip` answers for: the query itself when it is an address; else what this
    /// host's resolution gives (`addresses(of:)`), then the addresses the snapshots' hosts
    /// return for the name (`claims`), each once; none is a limit naming what was found.
    public static func addresses(asked query: String, address: IPAddress?, resolution: NameResolution?,
                                 claims: [NameClaim]) -> (addresses: [IPAddress], limit: Limit?) {
        if let address { return ([address], nil) }
        var addresses = resolution.map(addresses(of:)) ?? []
        for claim in claims where claim.returned && !addresses.contains(claim.address) { addresses.append(claim.address) }
        guard addresses.isEmpty else { return (addresses, nil) }
        let found = resolution?.findings.map(\.text).joined(separator: "; ") ?? "no name-service files in the snapshots"
        return ([], Limit(source: Source(kind: .resolver, detail: query), message: "\(query) does not resolve to any address here (\(found))"))
    }

    /// Sorts the resolution's sentences by their weight: disagreements are warnings (a name only
    /// the hosts file knows is the seed's normal case, a note), limits keep their source.
    public static func findings(of resolution: NameResolution) -> (notes: [String], warnings: [String], limits: [Limit]) {
        var notes: [String] = [], warnings: [String] = [], limits: [Limit] = []
        for finding in resolution.findings {
            switch finding.weight {
            case .note: notes.append(finding.sentence)
            case .warning: warnings.append(finding.sentence)
            case .limit(let source): limits.append(Limit(source: source, message: finding.sentence))
            }
        }
        return (notes, warnings, limits)
    }

    /// Every hosts-file line and DNS answer that ties a name to an address.
    public static func claims(of resolution: NameResolution) -> [NameClaim] {
        var claims: [NameClaim] = []
        for match in resolution.matches {
            // A line with an address and no name gives no name to claim.
            guard let address = IPAddress(match.address), resolution.queryKind == "name" || !match.names.isEmpty else { continue }
            let name = resolution.queryKind == "name" ? resolution.query : (match.names.first ?? resolution.query)
            claims.append(NameClaim(name: name, address: address, source: .file(match.file, line: match.line),
                                    returned: match.returned, note: match.returned ? nil : match.note ?? "glibc does not return this line"))
        }
        for answer in resolution.dns.answers ?? [] {
            let source = Source(kind: .dns, detail: "\(resolution.dns.server ?? "nameserver") \(answer.type)")
            if answer.type == "PTR", let address = IPAddress(resolution.query) {
                claims.append(NameClaim(name: answer.data.hasSuffix(".") ? String(answer.data.dropLast()) : answer.data, address: address, source: source))
            } else if let address = IPAddress(answer.data) {
                claims.append(NameClaim(name: answer.name.hasSuffix(".") ? String(answer.name.dropLast()) : answer.name, address: address, source: source))
            }
        }
        return claims
    }
}
