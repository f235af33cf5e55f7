import HAModel

/// The human rendering of `haexplain hosts`: one block per place an answer comes from, then
/// the findings. It reads the NameResolution model and computes nothing of its own.
public enum NameResolutionText {
    public static func render(_ report: NameResolution) -> String {
        // Each row is one line: a name, path or error text cannot add another.
        var out = TerminalText.escaped(report.query) + "\n"
        func row(_ label: String, _ text: String) { out += "  " + label.padding(10) + TerminalText.escaped(text) + "\n" }
        func more(_ text: String) { out += String(repeating: " ", count: 12) + TerminalText.escaped(text) + "\n" }

        if report.matches.isEmpty {
            row("hosts", "no line of \(report.hostsFile) names \(report.query)")
        }
        for (index, match) in report.matches.enumerated() {
            var text = "\(match.address.padding(16)) \(match.names.joined(separator: " "))  (\(match.file):\(match.line))"
            text += match.returned ? "  returned" : "  not returned"
            if match.returnedByGethostbyname == true, !match.returned { text += " by getaddrinfo, returned by gethostbyname" }
            if index == 0 { row("hosts", text) } else { more(text) }
            if let note = match.note { more("  \(note)") }
        }
        if let omitted = report.matchesOmitted { more("... and \(omitted) more") }
        let conf = report.hostConf
        row("host.conf", "multi \(conf.multi ? "on" : "off") " + (conf.line.map { "(\(conf.file):\($0))" } ?? "(glibc default; \(conf.file) does not set it)"))
        let services = report.nsswitch.sources.map { entry in
            ([entry.service] + (entry.actions.isEmpty ? [] : ["[\(entry.actions.joined(separator: " "))]"])).joined(separator: " ")
        }
        let at = Source.file(report.nsswitch.file, line: report.nsswitch.line).description
        row("nsswitch", "hosts: \(services.joined(separator: " "))  (\(report.nsswitch.line == nil ? "glibc default, no hosts line in \(at)" : at))")

        let glibc = report.getaddrinfo
        if let error = glibc.error {
            row("glibc", "\(glibc.function): \(error)")
        } else {
            let answer = glibc.addresses?.map(\.description) ?? glibc.names ?? []
            row("glibc", "\(glibc.function): \(answer.joined(separator: ", "))" + (report.answeredBy.map { "  (from \($0))" } ?? ""))
        }

        let dns = report.dns
        if let skipped = dns.skipped {
            row("dns", "not asked: \(skipped)")
        } else {
            let server = "\(dns.server ?? "?")" + (dns.source.map { " (\($0))" } ?? "")
            let answers = dns.answers ?? []
            if answers.isEmpty {
                row("dns", "\(server): \(dns.status ?? "?")" + (dns.limit.map { ", \($0)" } ?? ""))
            } else {
                row("dns", "\(server): \(dns.status ?? "?")")
                for answer in answers { more("\(answer.name) \(answer.ttl) \(answer.type) \(answer.data)") }
            }
        }
        for (index, finding) in report.findings.enumerated() {
            if index == 0 { row("verdict", finding.text) } else { more(finding.text) }
        }
        return out
    }
}

extension String {
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
