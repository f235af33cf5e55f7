import HAModel

/// Reads haproxy configuration files the way haproxy 2.6 reads them (cfgparse.c): line by
/// line, each file on its own for sections and `.if` blocks, `defaults` carried across files.
/// The first fatal error haproxy would report stops the reading, as an HAError with file:line.
public struct HAProxyParser {
    private var build: HAProxyBuild
    private var config = HAProxyConfiguration()
    /// The defaults section a new proxy inherits from (haproxy's last_defproxy).
    private var lastDefaults: Int?
    private var current: Int?
    /// Section index by name, for the duplicate-name checks.
    private var frontendNames: [String: Int] = [:]
    private var backendNames: [String: Int] = [:]
    /// Defaults sections holding TCP/HTTP rules, by index: the kind of proxy that took them first.
    private var rulesLentTo: [Int: HAProxySection.Kind] = [:]
    /// Stick tables declared so far: proxy and file:line, by table name.
    private var stickTables: [String: (String, String)] = [:]
    /// `timeout client|server|connect|tunnel` set (non-zero) per proxy section, with its defaults'.
    private var timeouts: [Int: Set<String>] = [:]
    private var file = ""
    private var line = 0

    /// Reads `paths` (files or directories, as haproxy's -f) in order; a configuration haproxy
    /// refuses is an HAError (65) with the file and line of haproxy's first fatal error.
    public static func parse(paths: [String], files: HAProxyFiles, build: HAProxyBuild = HAProxyBuild()) throws(HAError) -> HAProxyConfiguration {
        let checked = try check(paths: paths, files: files, build: build)
        if let refusal = checked.refusal { throw refusal.error }
        return checked.configuration
    }

    /// Reads one file's bytes (tests and the fuzzer).
    public static func parse(bytes: [UInt8], file: String, build: HAProxyBuild = HAProxyBuild()) throws(HAError) -> HAProxyConfiguration {
        let checked = check(contents: [(file, bytes)], build: build)
        if let refusal = checked.refusal { throw refusal.error }
        return checked.configuration
    }

    /// Reads `paths` as `parse` does, keeping a refusal as a value: for `--check`. Only input
    /// that cannot be read (a missing file, a FIFO) is thrown (66).
    public static func check(paths: [String], files: HAProxyFiles, build: HAProxyBuild = HAProxyBuild()) throws(HAError) -> HAProxyCheck {
        let expanded = try HAProxyFileList.expand(paths, files: files)
        var contents: [(String, [UInt8])] = []
        for path in expanded { contents.append((path, try files.read(path))) }
        return check(contents: contents, build: build)
    }

    /// One file's text as "t.cfg" (tests).
    public static func check(contents text: String, build: HAProxyBuild = HAProxyBuild()) -> HAProxyCheck {
        check(contents: [("t.cfg", Array(text.utf8))], build: build)
    }

    static func check(contents: [(String, [UInt8])], build: HAProxyBuild) -> HAProxyCheck {
        var parser = HAProxyParser(build: build)
        var refusal: HAProxyRefusal?
        do throws(HAProxyRefusal) {
            for (path, bytes) in contents { try parser.read(bytes, file: path) }
            parser.dropHTTPServicesInTCPMode()
            try parser.checkAfterReading()
            parser.warnAfterReading()
        } catch {
            refusal = error
        }
        parser.config.files = contents.map(\.0)
        // `localpeer` in global names the local peer, else haproxy's -L or host name.
        let named = parser.config.sections.filter { $0.kind == .global }.flatMap(\.lines).last { $0.words.first == "localpeer" && $0.words.count > 1 }
        parser.config.localPeer = named?.words[1] ?? build.localPeer
        return HAProxyCheck(configuration: parser.config, refusal: refusal)
    }

    private init(build: HAProxyBuild) { self.build = build }

    private func fail(_ code: HAProxyProblem.Code, _ message: String) -> HAProxyRefusal {
        HAProxyRefusal(code, HAError(.dataError, message, file: file, line: line))
    }

    enum Block { case ifTake, ifDrop, ifSkip, elifTake, elifDrop, elifSkip, elseTake, elseDrop
        var masked: Bool { ![.ifTake, .elifTake, .elseTake].contains(self) }
        var afterElse: Bool { self == .elseTake || self == .elseDrop }
        var taken: Bool { self == .ifTake || self == .ifSkip || self == .elifTake || self == .elifSkip }
    }
    static let maximumNesting = 100

    private mutating func read(_ bytes: [UInt8], file: String) throws(HAProxyRefusal) {
        self.file = file
        line = 0
        current = nil
        var blocks: [Block] = []
        var start = 0
        while start < bytes.count {
            line += 1
            let newline = bytes[start...].firstIndex(of: 0x0a)
            let end = newline ?? bytes.count
            let text = bytes[start..<end]
            start = end + 1
            if let nul = text.firstIndex(of: 0) {
                throw fail(.syntax, "stray NUL character at position \(nul - text.startIndex + 1): this is not a text configuration")
            }
            if newline == nil {
                throw fail(.syntax, "missing LF on last line, file might have been truncated at position \(text.count + 1); haproxy refuses it")
            }
            var first = text.startIndex
            while first < text.endIndex, HAProxyWords.isSpace(text[first]) { first += 1 }
            // "[scope]" lines only label messages.
            if first < text.endIndex, text[first] == UInt8(ascii: "[") { continue }
            let splitter = HAProxyWords(environment: build.environment, file: file, line: line, section: currentSectionName)
            let words: [String]
            do throws(HAError) { words = try splitter.split(text[first...]) } catch { throw HAProxyRefusal(.syntax, error) }
            guard let keyword = words.first, !keyword.isEmpty else { continue }

            if try conditional(keyword, words, &blocks) { continue }
            if blocks.last?.masked == true { continue }
            if keyword.hasPrefix(".") {
                try directive(keyword, words)
                continue
            }
            try statement(words)
        }
        if !blocks.isEmpty {
            throw fail(.conditional, "non-terminated '.if' block: \(blocks.count) '.endif' missing at the end of the file")
        }
    }

    private var currentSectionName: String? {
        current.map { config.sections[$0].name ?? config.sections[$0].keyword }
    }

    /// `.if`, `.elif`, `.else`, `.endif`; true when the line was one of them.
    private mutating func conditional(_ keyword: String, _ words: [String], _ blocks: inout [Block]) throws(HAProxyRefusal) -> Bool {
        let rest = words.dropFirst().joined(separator: " ")
        switch keyword {
        case ".if":
            guard blocks.count + 1 < HAProxyParser.maximumNesting else {
                throw fail(.conditional, "too many nested '.if', max is \(HAProxyParser.maximumNesting)")
            }
            if blocks.last?.masked == true {
                blocks.append(.ifSkip)
            } else {
                blocks.append(try evaluate(rest) ? .ifTake : .ifDrop)
            }
        case ".elif":
            guard let last = blocks.last else { throw fail(.conditional, "lone '.elif' with no matching '.if'") }
            guard !last.afterElse else { throw fail(.conditional, "'.elif' after '.else' is not permitted") }
            if last.taken {
                blocks[blocks.count - 1] = .elifSkip
            } else {
                blocks[blocks.count - 1] = try evaluate(rest) ? .elifTake : .elifDrop
            }
        case ".else", ".endif":
            if words.count > 1, !words[1].isEmpty { throw fail(.conditional, "unexpected argument '\(words[1])' for '\(keyword)'") }
            guard let last = blocks.last else { throw fail(.conditional, "lone '\(keyword)' with no matching '.if'") }
            if keyword == ".endif" {
                blocks.removeLast()
            } else {
                guard !last.afterElse else { throw fail(.conditional, "'.else' after '.else' is not permitted") }
                blocks[blocks.count - 1] = last.taken ? .elseDrop : .elseTake
            }
        default:
            return false
        }
        return true
    }

    private mutating func evaluate(_ text: String) throws(HAProxyRefusal) -> Bool {
        var condition = HAProxyCondition(build: build, file: file, line: line)
        let result: Bool
        do throws(HAError) { result = try condition.evaluate(text) } catch { throw HAProxyRefusal(.conditional, error) }
        for unknown in condition.unknowns {
            config.messages.append(HAProxyMessage(level: "note", message: unknown, file: file, line: line, code: .conditionNotJudged))
        }
        return result
    }

    /// `.alert` stops haproxy; `.warning`, `.notice`, `.diag` are kept as messages.
    private mutating func directive(_ keyword: String, _ words: [String]) throws(HAProxyRefusal) {
        guard [".alert", ".warning", ".notice", ".diag"].contains(keyword) else {
            throw fail(.unknownDirective, "unknown directive '\(keyword)'")
        }
        if words.count > 2, !words[2].isEmpty {
            throw fail(.syntax, "unexpected argument '\(words[2])' for '\(keyword)'; use quotes if the message should contain spaces")
        }
        let message = words.count > 1 ? words[1] : ""
        if keyword == ".alert" { throw fail(.alert, ".alert in the configuration: '\(message)'") }
        config.messages.append(HAProxyMessage(level: String(keyword.dropFirst()), message: message, file: file, line: line,
                                              code: keyword == ".warning" ? .directiveWarning : nil))
    }

    static let sectionKeywords: Set<String> = [
        "global", "defaults", "frontend", "backend", "listen", "userlist", "peers", "resolvers", "mailers", "program",
        "http-errors", "ring", "cache", "fcgi-app", "log-forward", "spoe-agent", "spoe-group", "spoe-message",
    ]
    /// Keywords `no` and `default` may precede (haproxy 2.6).
    static let negatable: Set<String> = ["option", "log", "busy-polling", "set-dumpable", "strict-limits", "insecure-fork-wanted", "numa-cpu-mapping"]

    private mutating func statement(_ allWords: [String]) throws(HAProxyRefusal) {
        // Words end at the first empty one, as keyword parsers read them.
        var words = Array(allWords.prefix { !$0.isEmpty })
        if words[0] == "no" || words[0] == "default" {
            let modifier = words.removeFirst()
            guard let next = words.first, HAProxyParser.negatable.contains(next) else {
                throw fail(.invalidArgument, "'\(modifier)' may only precede \(HAProxyParser.negatable.sorted().joined(separator: ", "))")
            }
        }
        if HAProxyParser.sectionKeywords.contains(words[0]) {
            try startSection(words)
            return
        }
        guard let index = current else {
            throw fail(.outOfSection, "unknown keyword '\(words[0])' out of section: the file must start with a section (global, defaults, frontend, backend, listen, ...)")
        }
        config.sections[index].lines.append(HAProxyLine(words: allWords.last == "" ? Array(allWords.dropLast()) : allWords, file: file, line: line))
        try checkKeyword(words, in: config.sections[index])
        switch config.sections[index].kind {
        case .global: try global(words)
        case .defaults, .frontend, .backend, .listen: try proxy(words, at: index)
        case .other: break
        }
    }

    private mutating func startSection(_ words: [String]) throws(HAProxyRefusal) {
        let keyword = words[0]
        let kind = HAProxySection.Kind(rawValue: keyword) ?? .other
        var name = words.count > 1 ? words[1] : nil
        var from: String?
        switch kind {
        case .frontend, .backend, .listen:
            guard let id = name else { throw fail(.missingArgument, "'\(keyword)' expects an <id> argument") }
            if let bad = HAProxyParser.invalidCharacter(id) {
                throw fail(.invalidName, "character '\(bad)' is not permitted in '\(keyword)' name '\(id)'")
            }
            if words.count > 2 {
                guard words[2] == "from", words.count == 4 else {
                    // haproxy only alerts and opens no section: the next keyword line fails.
                    config.messages.append(HAProxyMessage(level: "alert", message: "'\(keyword) \(id) \(words[2...].joined(separator: " "))' opens no section: please use the 'bind' keyword for listening addresses", file: file, line: line, code: .sectionNotOpened))
                    current = nil
                    return
                }
                from = words[3]
            }
            // haproxy looks a new name up among frontends (frontend, listen) when the section has a
            // frontend side, else among backends (backend, listen): a listen named as an earlier
            // backend is accepted.
            let clashes = [kind == .backend ? backendNames[id] : frontendNames[id]].compactMap { $0 }
            if let other = clashes.first.map({ config.sections[$0] }) {
                throw fail(.duplicateName, "\(keyword) '\(id)' has the same name as \(other.keyword) '\(id)' declared at \(other.file):\(other.line)")
            }
        case .other where keyword == "userlist":
            if let name, let other = config.sections.first(where: { $0.keyword == keyword && $0.name == name }) {
                config.messages.append(HAProxyMessage(level: "warning", message: "ignoring duplicated userlist '\(name)' (first at \(other.file):\(other.line))",
                                                      file: file, line: line, code: .duplicateIgnored))
            }
        case .other where HAProxyKeywords.uniquelyNamed.contains(keyword):
            if let name, let other = config.sections.first(where: { $0.keyword == keyword && $0.name == name }) {
                throw fail(.duplicateName, "\(keyword) section '\(name)' has the same name as another \(keyword) section declared at \(other.file):\(other.line)")
            }
        case .defaults:
            if name == "from" { from = words.count > 2 ? words[2] : nil; name = nil }
            else if words.count > 3, words[2] == "from" { from = words[3] }
            if name?.isEmpty == true { name = nil }
        default:
            break
        }
        var section = HAProxySection(kind: kind, keyword: keyword, name: name, file: file, line: line)
        if kind == .defaults || kind == .frontend || kind == .backend || kind == .listen {
            // A defaults section starts afresh unless it names another with `from`.
            var base = kind == .defaults ? nil : lastDefaults
            if let from {
                guard let found = config.sections.lastIndex(where: { $0.kind == .defaults && $0.name == from }) else {
                    throw fail(.missingDefaults, "defaults section '\(from)' not found for \(keyword) '\(name ?? "")'")
                }
                if let first = config.sections.firstIndex(where: { $0.kind == .defaults && $0.name == from }), first != found {
                    let (a, b) = (config.sections[first], config.sections[found])
                    throw fail(.ambiguousDefaults, "ambiguous defaults section name '\(from)' referenced by \(keyword) '\(name ?? "")' exists at least at \(a.file):\(a.line) and \(b.file):\(b.line): rename one of them")
                }
                base = found
            }
            if let base { try checkRulesInheritance(kind, from: base) }
            if let base { timeouts[config.sections.count] = timeouts[base] }
            if let base {
                section.mode = config.sections[base].mode
                section.defaultBackend = config.sections[base].defaultBackend
                // Stats, monitor-uri and the rules of a defaults section apply to its proxies.
                section.services = config.sections[base].services
                section.disabled = config.sections[base].disabled
            }
        }
        config.sections.append(section)
        current = config.sections.count - 1
        if let name, kind == .frontend || kind == .listen { frontendNames[name] = current }
        if let name, kind == .backend || kind == .listen { backendNames[name] = current }
        if kind == .defaults { lastDefaults = current }
    }

    private mutating func global(_ words: [String]) throws(HAProxyRefusal) {
        // haproxy alerts on a second one of these and keeps the first, yet starts. The line
        // itself is already among the section's lines: look at the earlier ones.
        if HAProxyKeywords.globalOnce.contains(words[0]), let index = current,
           config.sections[index].lines.dropLast().contains(where: { $0.words.first == words[0] && ($0.words.count < 2 || $0.words[1] != "0") }) {
            config.messages.append(HAProxyMessage(level: "alert", message: "'\(words[0])' already specified; haproxy keeps the first and continues",
                                                  file: file, line: line, code: .duplicateSetting))
        }
        // The environment changes take effect for the lines that follow, as in haproxy.
        switch words[0] {
        case "setenv", "presetenv":
            guard words.count >= 3 else { throw fail(.missingArgument, "'\(words[0])' expects a name and a value") }
            if words[0] == "setenv" || build.environment[words[1]] == nil { build.environment[words[1]] = words[2] }
        case "unsetenv":
            for name in words.dropFirst() { build.environment[name] = nil }
        case "stats" where words.count > 1 && words[1] == "socket":
            guard words.count > 2 else { throw fail(.missingArgument, "'stats socket' expects a path or an address as argument") }
            let bind = try bind(words[2], options: Array(words.dropFirst(3)), keyword: "stats socket")
            let level = bind.options.firstIndex(of: "level").flatMap { $0 + 1 < bind.options.count ? bind.options[$0 + 1] : nil } ?? "operator"
            if let index = current {
                config.sections[index].binds.append(bind)
                config.sections[index].services.append(HAProxyService(kind: .cli, detail: "haproxy's CLI (stats socket \(words[2]), level \(level))", file: file, line: line))
            }
        case "resetenv":
            let keep = Set(words.dropFirst())
            build.environment = build.environment.filter { keep.contains($0.key) }
        default:
            break
        }
    }

    private mutating func proxy(_ words: [String], at index: Int) throws(HAProxyRefusal) {
        let kind = config.sections[index].kind
        let argument = words.count > 1 ? words[1] : nil
        switch words[0] {
        case "mode":
            if words.count > 2 { throw fail(.invalidArgument, "'mode' cannot handle unexpected argument '\(words[2])'") }
            switch argument {
            case "http", "tcp": config.sections[index].mode = argument
            case "health": throw fail(.removedKeyword, "'mode health' doesn't exist anymore; use 'http-request return status 200' instead")
            default: throw fail(.invalidArgument, "unknown proxy mode '\(argument ?? "")': expected tcp or http")
            }
        case "bind":
            if kind == .defaults { throw fail(.notAllowedHere, "'bind' not allowed in 'defaults' section") }
            guard let argument else {
                throw fail(.missingArgument, "'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments")
            }
            config.sections[index].binds.append(try bind(argument, options: Array(words.dropFirst(2))))
        case "description":
            // cfg_parse_listen tests the first argument's text: an empty "" is missing too.
            guard let argument, !argument.isEmpty else { throw fail(.missingArgument, "'description' expects a string argument") }
        case "default_backend":
            guard let argument else { throw fail(.missingArgument, "'default_backend' expects a backend name") }
            if words.count > 2 { throw fail(.invalidArgument, "'default_backend' cannot handle unexpected argument '\(words[2])'") }
            config.sections[index].defaultBackend = HAProxyBackendReference(backend: argument, condition: nil, file: file, line: line)
        case "use_backend":
            if kind == .defaults { throw fail(.notAllowedHere, "'use_backend' not allowed in 'defaults' section") }
            guard let argument else { throw fail(.missingArgument, "'use_backend' expects a backend name") }
            var condition: [String]? = nil
            if words.count > 2 {
                guard words[2] == "if" || words[2] == "unless" else {
                    throw fail(.invalidArgument, "unexpected keyword '\(words[2])' after switching rule, only 'if' and 'unless' are allowed")
                }
                guard words.count > 3 else { throw fail(.missingArgument, "'use_backend \(argument) \(words[2])' is missing its condition") }
                condition = Array(words.dropFirst(2))
            }
            config.sections[index].useBackends.append(HAProxyBackendReference(backend: argument, condition: condition, file: file, line: line))
        case "server":
            if kind == .defaults { throw fail(.notAllowedHere, "'server' not allowed in 'defaults' section") }
            guard words.count >= 3 else { throw fail(.missingArgument, "'server' expects <name> and <addr>[:<port>] as arguments") }
            let server = try server(words)
            // Explicit ids identify servers in a backend: two alike are refused.
            if let id = HAProxyParser.value(of: "id", in: server.options),
               let other = config.sections[index].servers.first(where: { HAProxyParser.value(of: "id", in: $0.options) == id }) {
                throw fail(.duplicateID, "'server \(config.sections[index].name ?? "")/\(server.name)' : 'id' : custom id \(id) already used at \(other.file):\(other.line) ('server \(other.name)')")
            }
            config.sections[index].servers.append(server)
        case "stats", "monitor-uri", "redirect", "http-request":
            try service(words, at: index)
        case "stick-table" where kind != .defaults:
            // A table is named after its proxy; a second one of a name is refused.
            let table = config.sections[index].name ?? ""
            if let (section, at) = stickTables[table] {
                throw fail(.duplicateName, "stick-table name '\(table)' conflicts with table declared in \(section) at \(at)")
            }
            stickTables[table] = ("\(kind == .listen ? "proxy" : kind.rawValue) '\(table)'", "\(file):\(line)")
        case "timeout" where words.count > 2:
            if words[2].allSatisfy({ $0 == "0" }) { timeouts[index, default: []].remove(words[1]) } else { timeouts[index, default: []].insert(words[1]) }
        case "disabled", "enabled":
            config.sections[index].disabled = words[0] == "disabled" 
        default:
            break
        }
    }

    /// haproxy 2.6's bind keywords (from its bind_kws tables): those followed by a value,
    /// and flags. Anything else on a bind line is refused, as haproxy refuses it; there is no
    /// `freebind` keyword (`transparent` sets IP_TRANSPARENT or IP_FREEBIND).
    static let bindOptionsWithValue: Set<String> = [
        "accept-netscaler-cip", "alpn", "backlog", "ca-file", "ca-ignore-err", "ca-sign-file", "ca-sign-pass",
        "ca-verify-file", "ciphers", "ciphersuites", "crl-file", "crt", "crt-ignore-err", "crt-list", "curves",
        "ecdhe", "expose-fd", "gid", "group", "id", "interface", "level", "maxconn", "mode", "mss", "name",
        "namespace", "nice", "npn", "process", "proto", "severity-output", "shards", "ssl-max-ver", "ssl-min-ver",
        "tcp-ut", "thread", "tls-ticket-keys", "uid", "user", "verify",
    ]
    static let bindFlags: Set<String> = [
        "accept-proxy", "allow-0rtt", "defer-accept", "force-sslv3", "force-tlsv10", "force-tlsv11", "force-tlsv12",
        "force-tlsv13", "generate-certificates", "no-ca-names", "no-sslv3", "no-tls-tickets", "no-tlsv10",
        "no-tlsv11", "no-tlsv12", "no-tlsv13", "prefer-client-ciphers", "quic-force-retry", "ssl", "strict-sni",
        "tfo", "transparent", "v4v6", "v6only",
    ]

    private func bind(_ list: String, options: [String], keyword: String = "bind") throws(HAProxyRefusal) -> HAProxyBind {
        var addresses: [HAProxyBindAddress] = []
        // Split before expansion, as str2listener does; a trailing comma ends the list.
        var pieces = list.split(separator: ",", omittingEmptySubsequences: false)
        if pieces.count > 1, pieces.last?.isEmpty == true { pieces.removeLast() }
        for raw in pieces {
            let piece = HAProxyWords.expandAddress(String(raw), environment: build.environment)
            do throws(AddressError) {
                let parsed = try HAProxyAddressParser.parse(String(piece), portMandatory: true)
                // Proxies listen on stream sockets; QUIC only where haproxy was built with it.
                if parsed.transport == "dgram" || (parsed.transport == "quic" && build.features?.contains("+QUIC") == false) {
                    throw AddressError("\(parsed.transport == "quic" ? "QUIC (this haproxy is built without it)" : "dgram-type address") not acceptable in '\(piece)'")
                }
                var address = HAProxyBindAddress(text: String(piece), family: parsed.family, address: parsed.address,
                                                 wildcard: parsed.wildcard, host: parsed.host, path: parsed.path,
                                                 transport: parsed.transport)
                if parsed.family != .unix, parsed.family != .abns, parsed.family != .fd, parsed.family != .sockpair,
                   let (low, high) = try HAProxyAddressParser.bindPorts(parsed.portText, whole: String(piece)) {
                    address.portLow = low
                    address.portHigh = high
                }
                addresses.append(address)
            } catch {
                throw fail(.invalidAddress, "'\(keyword)' : \(error.message) for address '\(piece)'")
            }
        }
        var bind = HAProxyBind(addresses: addresses, options: options, transparent: false, freebind: false, namespace: nil, file: file, line: line)
        var position = 0
        while position < options.count {
            let option = options[position]
            if HAProxyParser.bindOptionsWithValue.contains(option) {
                guard position + 1 < options.count else { throw fail(.missingArgument, "'\(keyword) \(list)' : '\(option)' expects an argument") }
                if option == "namespace" { bind.namespace = options[position + 1] }
                position += 2
                continue
            }
            guard HAProxyParser.bindFlags.contains(option) else {
                throw fail(.unknownKeyword, "'\(keyword) \(list)' in section '\(currentSectionName ?? "")': unknown keyword '\(option)'")
            }
            if option == "transparent" { bind.transparent = true }
            position += 1
        }
        if options.contains("ssl"), !options.contains("crt"), !options.contains("crt-list") {
            throw fail(.missingArgument, "'\(keyword) \(list)' uses 'ssl' but names no certificate (use 'crt' or 'crt-list')")
        }
        return bind
    }

    /// What haproxy warns about once every section is read (its words): a frontend with no
    /// bind, and proxies without the timeouts their side needs.
    private mutating func warnAfterReading() {
        for (index, section) in config.sections.enumerated() where !section.disabled {
            let frontSide = section.kind == .frontend || section.kind == .listen
            let backSide = section.kind == .backend || section.kind == .listen
            guard frontSide || backSide else { continue }
            let proxy = "\(section.kind == .listen ? "proxy" : section.keyword) '\(section.name ?? "")'"
            if frontSide, section.binds.isEmpty {
                config.messages.append(HAProxyMessage(level: "warning", message: "\(proxy) has no 'bind' directive. Please declare it as a backend if this was intended.",
                                                      file: section.file, line: section.line, code: .noBind))
            }
            let set = timeouts[index] ?? []
            let http = section.mode == "http"
            let missing = (frontSide && !set.contains("client"))
                || (backSide && (!section.servers.isEmpty || section.lines.contains { $0.words.first == "server-template" }) && (!set.contains("connect") || (!set.contains("server") && (http || !set.contains("tunnel")))))
            if missing {
                config.messages.append(HAProxyMessage(level: "warning", message: "missing timeouts for \(proxy): set 'timeout client' (frontends), 'timeout connect' and 'timeout server' (backends with servers) to non-zero values",
                                                      file: section.file, line: section.line, code: .missingTimeouts))
            }
        }
    }

    /// A defaults section that holds TCP/HTTP rules lends them to one kind of proxy only:
    /// never to a defaults or a listen, to frontends or to backends (whichever comes first),
    /// connection/session rules never to a backend, tcp-response rules never to a frontend.
    private mutating func checkRulesInheritance(_ kind: HAProxySection.Kind, from base: Int) throws(HAProxyRefusal) {
        let defaults = config.sections[base]
        // A rule line, of one of `kinds` when given (`tcp-request inspect-delay` is no rule).
        func has(_ rule: String, _ kinds: Set<String>? = nil) -> Bool {
            defaults.lines.contains { line in
                guard line.words.first == rule else { return false }
                guard let kinds else { return true }
                return line.words.count > 1 && kinds.contains(line.words[1])
            }
        }
        let layer4 = has("tcp-request", ["connection", "session"])
        let responseContent = has("tcp-response", ["content"])
        guard has("http-request") || has("http-response") || has("http-after-response") || layer4 || has("tcp-request", ["content"]) || responseContent else { return }
        let at = "defaults section at \(defaults.file):\(defaults.line)"
        switch kind {
        case .defaults:
            throw fail(.rulesInheritance, "a defaults section cannot inherit from a defaults section defining TCP/HTTP rules (\(at))")
        case .listen:
            throw fail(.rulesInheritance, "a listen section cannot inherit from a defaults section defining TCP/HTTP rules (\(at))")
        case .frontend, .backend:
            if let first = rulesLentTo[base], first != kind {
                throw fail(.rulesInheritance, "frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (\(at))")
            }
            if kind == .backend, layer4 {
                throw fail(.rulesInheritance, "a backend section cannot inherit from a defaults section defining 'tcp-request connection' or 'tcp-request session' rules (\(at))")
            }
            if kind == .frontend, responseContent {
                throw fail(.rulesInheritance, "a frontend section cannot inherit from a defaults section defining 'tcp-response content' rules (\(at))")
            }
            rulesLentTo[base] = kind
        default:
            return
        }
    }

    /// haproxy refuses a keyword its section does not know, and those it removed, naming the
    /// replacement; `option` names are checked the same way.
    private func checkKeyword(_ words: [String], in section: HAProxySection) throws(HAProxyRefusal) {
        let keyword = words[0]
        let name = section.kind == .other ? section.keyword : section.kind.rawValue
        switch section.kind {
        case .global:
            if let removed = HAProxyKeywords.removedGlobal[keyword] { throw fail(.removedKeyword, removed) }
            guard HAProxyKeywords.global.contains(keyword) else {
                throw fail(.unknownKeyword, "unknown keyword '\(keyword)' in 'global' section")
            }
            if keyword == "stats", words.count > 1, !HAProxyKeywords.globalStats.contains(words[1]) {
                throw fail(.invalidArgument, "'stats' only supports 'socket', 'maxconn', 'bind-process' and 'timeout' (got '\(words[1])')")
            }

        case .defaults, .frontend, .backend, .listen:
            if let removed = HAProxyKeywords.removedProxy[keyword] { throw fail(.removedKeyword, removed) }
            guard HAProxyKeywords.proxy.contains(keyword) else {
                throw fail(.unknownKeyword, "unknown keyword '\(keyword)' in '\(name)' section")
            }
            // Rules and ACLs need a name to be referred to by: an anonymous defaults may not hold them.
            if section.kind == .defaults, section.name == nil, HAProxyKeywords.namedDefaultsOnly.contains(keyword) {
                throw fail(.notAllowedHere, "'\(keyword)' not allowed in anonymous 'defaults' section; name the defaults section (defaults NAME) to hold it")
            }
            // What a frontend cannot hold, and what a backend cannot: refused (the rest of a
            // proxy's keywords on the wrong side are only ignored, with a warning).
            let proxy = "\(section.kind == .listen ? "proxy" : section.kind.rawValue) '\(section.name ?? "")'"
            if section.kind == .frontend, ["server", "default-server", "server-template"].contains(keyword) {
                throw fail(.notAllowedHere, "'\(keyword)' not allowed because \(proxy) has no backend capability")
            }
            if section.kind == .backend, keyword == "tcp-request", words.count > 1, words[1] == "connection" || words[1] == "session" {
                throw fail(.notAllowedHere, "tcp-request \(words[1]) is not allowed because backend \(section.name ?? "") is not a frontend")
            }
            if keyword == "option" {
                guard words.count > 1 else { throw fail(.missingArgument, "'option' expects an option name") }
                if let removed = HAProxyKeywords.removedOptions[words[1]] { throw fail(.removedOption, removed) }
                guard HAProxyKeywords.options.contains(words[1]) else { throw fail(.unknownOption, "unknown option '\(words[1])'") }
            }
        case .other:
            if let known = HAProxyKeywords.otherSections[section.keyword], !known.contains(keyword) {
                throw fail(.unknownKeyword, "unknown keyword '\(keyword)' in '\(name)' section")
            }
        }
    }

    /// What a proxy answers by itself (see HAProxyService), from its `stats`, `monitor-uri`,
    /// `redirect` and `http-request` lines.
    private mutating func service(_ words: [String], at index: Int) throws(HAProxyRefusal) {
        let kind = config.sections[index].kind
        let condition = words.firstIndex { $0 == "if" || $0 == "unless" }.map { Array(words[$0...]) }
        let plain = condition.map { Array(words[..<(words.count - $0.count)]) } ?? words
        func value(after key: String) -> String? {
            plain.firstIndex(of: key).flatMap { $0 + 1 < plain.count ? plain[$0 + 1] : nil }
        }
        var found: HAProxyService?
        switch (words[0], words.count > 1 ? words[1] : "") {
        case ("stats", let what):
            if kind == .defaults, what == "admin" || what == "http-request" {
                throw fail(.notAllowedHere, "'stats \(what)' not allowed in 'defaults' section")
            }
            let uri = what == "uri" && words.count > 2 ? words[2] : nil
            if let existing = config.sections[index].services.firstIndex(where: { $0.kind == .statsPage }) {
                if let uri { config.sections[index].services[existing].detail = "stats page at \(uri)" }
                return
            }
            found = HAProxyService(kind: .statsPage, detail: "stats page at \(uri ?? "/haproxy?stats")", file: file, line: line)
        case ("monitor-uri", let uri):
            config.sections[index].services.removeAll { $0.kind == .monitorURI }
            found = HAProxyService(kind: .monitorURI, detail: "status 200 to \(uri) (monitor-uri)", file: file, line: line)
        case ("redirect", _):
            found = redirect(Array(plain.dropFirst()), condition: condition)
        case ("http-request", "redirect"):
            found = redirect(Array(plain.dropFirst(2)), condition: condition)
        case ("http-request", "return"):
            found = HAProxyService(kind: .httpReturn, detail: "status \(value(after: "status") ?? "200") (http-request return)", condition: condition, file: file, line: line)
        case ("http-request", "deny"):
            found = HAProxyService(kind: .deny, detail: "status \(value(after: "deny_status") ?? value(after: "status") ?? "403") (http-request deny)", condition: condition, file: file, line: line)
        case ("http-request", "tarpit"):
            found = HAProxyService(kind: .tarpit, detail: "status \(value(after: "deny_status") ?? value(after: "status") ?? "500") after the tarpit delay (http-request tarpit)", condition: condition, file: file, line: line)
        case ("http-request", "use-service"):
            let name = words.count > 2 ? words[2] : ""
            found = name == "prometheus-exporter"
                ? HAProxyService(kind: .prometheusExporter, detail: "Prometheus metrics (http-request use-service prometheus-exporter)", condition: condition, file: file, line: line)
                : HAProxyService(kind: .service, detail: "service \(name) (http-request use-service)", condition: condition, file: file, line: line)
        default:
            return
        }
        if let found { config.sections[index].services.append(found) }
    }

    private func redirect(_ arguments: [String], condition: [String]?) -> HAProxyService {
        let how = arguments.first ?? "location"
        let target = arguments.count > 1 ? " \(arguments[1])" : ""
        let code = arguments.firstIndex(of: "code").flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } ?? "302"
        return HAProxyService(kind: .redirect, detail: "redirect \(code) (\(how)\(target))", condition: condition, file: file, line: line)
    }

    /// What haproxy drops once every section is read: HTTP answers in a proxy left in TCP
    /// mode are ignored, each kind with its own warning (haproxy's words).
    private mutating func dropHTTPServicesInTCPMode() {
        for index in config.sections.indices where [.frontend, .backend, .listen].contains(config.sections[index].kind) && !config.sections[index].disabled {
            let section = config.sections[index]
            guard section.mode != "http" else { continue }
            let ignored = Set(section.services.filter(\.needsHTTP).map(\.kind))
            guard !ignored.isEmpty else { continue }
            let proxy = "\(section.kind == .listen ? "proxy" : section.keyword) '\(section.name ?? "")'"
            var notes: [String] = []
            if ignored.contains(.monitorURI) { notes.append("monitor-uri will be ignored for \(proxy) (needs 'mode http').") }
            if !ignored.isDisjoint(with: [.httpReturn, .deny, .tarpit, .prometheusExporter, .service]) || section.lines.contains(where: { $0.words.first == "http-request" }) {
                notes.append("'http-request' rules ignored for \(proxy) as they require HTTP mode.")
            }
            if section.lines.contains(where: { $0.words.first == "redirect" }) { notes.append("'redirect' rules ignored for \(proxy) as they require HTTP mode.") }
            if ignored.contains(.statsPage) { notes.append("'stats' statement ignored for \(proxy) as it requires HTTP mode.") }
            for note in notes {
                config.messages.append(HAProxyMessage(level: "warning", message: note, file: section.file, line: section.line, code: .ignoredInTCPMode))
            }
            config.sections[index].services.removeAll(where: \.needsHTTP)
        }
    }

    /// The word after `key` among a line's options ("id 5" -> "5").
    static func value(of key: String, in options: [String]) -> String? {
        options.firstIndex(of: key).flatMap { $0 + 1 < options.count ? options[$0 + 1] : nil }
    }

    /// haproxy's invalid_char: names are letters, digits and ". : _ -".
    static func invalidCharacter(_ name: String) -> Character? {
        name.first { !($0.isASCII && ($0.isLetter || $0.isNumber || ".:_-".contains($0))) }
    }

    private func server(_ words: [String]) throws(HAProxyRefusal) -> HAProxyServer {
        if let bad = HAProxyParser.invalidCharacter(words[1]) {
            throw fail(.invalidName, "character '\(bad)' is not permitted in server name '\(words[1])'")
        }
        let text = HAProxyWords.expandAddress(words[2], environment: build.environment)
        do throws(AddressError) {
            let parsed = try HAProxyAddressParser.parse(text, portMandatory: false)
            let port = parsed.portText
            if port.dropFirst().contains("-") || (port.first?.isASCIIDigitCharacter == true && port.contains("-")) {
                throw AddressError("port range not permitted here in '\(text)'")
            }
            if let first = port.first, first.isASCIIDigitCharacter, !(0...65535).contains(HAProxyAddressParser.atoi(Substring(port))) {
                throw AddressError("invalid port '\(port)'")
            }
            return HAProxyServer(name: words[1], addressText: text, address: parsed.address, host: parsed.host,
                                 port: port.isEmpty ? nil : port, options: Array(words.dropFirst(3)), file: file, line: line)
        } catch {
            throw fail(.invalidAddress, "'server \(words[1])' : \(error.message)")
        }
    }

    /// Every backend a frontend names must exist (haproxy refuses to start otherwise);
    /// names built at run time (`%[...]`) are not checked, as haproxy checks them late.
    private mutating func checkAfterReading() throws(HAProxyRefusal) {
        // Two servers of one backend with the same name, unless both carry an explicit `id`.
        // haproxy checks no more of a disabled proxy than its parsing.
        for section in config.backends where !section.disabled {
            var seen: [String: HAProxyServer] = [:]
            for server in section.servers where !server.options.contains("id") {
                if let first = seen[server.name] {
                    throw HAProxyRefusal(.duplicateServer, HAError(.dataError, "\(section.kind == .listen ? "proxy" : "backend") '\(section.name ?? "")', another server named '\(server.name)' was already defined at line \(first.line), please use distinct names",
                                                                    file: server.file, line: server.line))
                }
                seen[server.name] = server
            }
            // A health check needs a port: the server's own (not 0, not an offset) or `port N`,
            // from the server or default-server. haproxy checks this for IP literals only
            // (a name is resolved later, a socket path has none).
            let defaults = section.lines.filter { $0.words.first == "default-server" }.flatMap(\.words)
            for server in section.servers where server.address != nil {
                let checks = (server.options.contains("check") || defaults.contains("check")) && !server.options.contains("no-check")
                let servicePort = server.port.map { !$0.hasPrefix("+") && !$0.hasPrefix("-") && $0 != "0" } ?? false
                let checkPort = HAProxyParser.value(of: "port", in: server.options) != nil || HAProxyParser.value(of: "port", in: defaults) != nil
                if checks, !servicePort, !checkPort {
                    throw HAProxyRefusal(.checkWithoutPort, HAError(.dataError, "\(section.title): server '\(server.name)' has neither service port nor check port: add a port to its address or 'port N' for the check",
                                                                     file: server.file, line: server.line))
                }
            }
        }
        // `stick` rules need a stick-table: the proxy's own, or the one `table NAME` names.
        // A peers section's table is named PEERS/TABLE.
        var tables = Set(config.sections.filter { $0.lines.contains { $0.words.first == "stick-table" } }.compactMap(\.name))
        for peers in config.sections where peers.keyword == "peers" {
            for line in peers.lines where line.words.first == "table" && line.words.count > 1 { tables.insert("\(peers.name ?? "")/\(line.words[1])") }
        }
        // (A frontend's `stick` rules are ignored, with a warning.)
        for section in config.sections where [.backend, .listen].contains(section.kind) && !section.disabled {
            for rule in section.lines where rule.words.first == "stick" {
                let named = HAProxyParser.value(of: "table", in: rule.words)
                let table = named ?? section.name ?? ""
                if !tables.contains(table) {
                    throw HAProxyRefusal(.missingStickTable, HAError(.dataError, "proxy '\(section.name ?? "")': unable to find stick-table '\(table)' for this 'stick' rule",
                                                                      file: rule.file, line: rule.line))
                }
            }
        }
        let names = Set(config.backends.compactMap(\.name))
        for section in config.frontends where !section.disabled {
            let references = (section.defaultBackend.map { [$0] } ?? []) + section.useBackends
            // A listen that switches to itself would loop; haproxy refuses it.
            // (A backend section of the same name is found first, and then there is no loop.)
            let backendsByName = Set(config.sections.filter { $0.kind == .backend }.compactMap(\.name))
            if section.kind == .listen, let loop = references.first(where: { $0.backend == section.name && !backendsByName.contains($0.backend) }) {
                throw HAProxyRefusal(.backendLoop, HAError(.dataError, "proxy '\(loop.backend)': loop detected for \(loop.condition == nil ? "default_backend" : "use_backend"): '\(loop.backend)' (a listen section cannot switch to itself)",
                                                         file: loop.file, line: loop.line))
            }
            for reference in references where !reference.backend.contains("%[") && !names.contains(reference.backend) {
                throw HAProxyRefusal(.missingBackend, HAError(.dataError, "\(section.title): unable to find required backend '\(reference.backend)' (no backend or listen section has that name)",
                              file: reference.file, line: reference.line))
            }
            // An http proxy cannot hand its traffic to a tcp backend (a tcp one may upgrade to http).
            let mode = section.mode ?? "tcp"
            for reference in references where mode == "http" {
                guard let target = config.backends.first(where: { $0.name == reference.backend }), (target.mode ?? "tcp") != "http" else { continue }
                throw HAProxyRefusal(.incompatibleMode, HAError(.dataError, "http \(section.title) tries to use incompatible tcp \(target.title) (\(target.file):\(target.line)) as its \(reference.condition == nil ? "default backend" : "'use_backend' target") at \(reference.file):\(reference.line): give both the same 'mode'",
                              file: section.file, line: section.line))
            }
        }
    }
}
