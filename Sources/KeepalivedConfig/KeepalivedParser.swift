import HAModel

/// A statement and, when a `{` followed it, the statements of its block.
public struct ConfigNode: Sendable {
    public var words: [String]
    public var at: ConfigLocation
    public var children: [ConfigNode]?

    var keyword: String { words.first ?? "" }
    var arguments: ArraySlice<String> { words.dropFirst() }
    var value: String? { words.count > 1 ? words[1] : nil }
}

/// Collects what the handlers notice, as keepalived logs it and carries on.
struct Reporter {
    var diagnostics: [ConfigDiagnostic] = []

    /// The vrrp_instance being read, so its problems name it.
    var instance: String?

    mutating func warn(_ code: ProblemCode, _ message: String, at node: ConfigNode) {
        diagnostics.append(ConfigDiagnostic(.warning, code, message, at: node.at, instance: instance))
    }

    mutating func error(_ code: ProblemCode, _ message: String, at node: ConfigNode) {
        diagnostics.append(ConfigDiagnostic(.error, code, message, at: node.at, instance: instance))
    }

    /// keepalived reads a parameter that is not there and exits: nothing runs.
    mutating func missingParameter(_ node: ConfigNode) {
        error(.missingParameter, "*** Configuration line starting `\(node.keyword)` is missing a parameter after keyword `\(node.keyword)` at word position 2: keepalived exits with a permanent CONFIG error and nothing runs; give '\(node.keyword)' its value (a '#' or '!' starts a comment)", at: node)
    }

    mutating func unknown(_ node: ConfigNode, in context: String) {
        warn(.unknownKeyword, "unknown keyword '\(node.keyword)' in \(context); keepalived ignores it\(node.children != nil ? " and its block" : "")", at: node)
    }

    mutating func integer(_ node: ConfigNode, in range: ClosedRange<Int>) -> Int? {
        guard let text = node.value else {
            warn(.missingValue, "'\(node.keyword)' needs a value; ignored", at: node)
            return nil
        }
        guard let value = Int(text), range.contains(value) else {
            warn(.invalidValue, "'\(node.keyword) \(text)': expected a number in [\(range.lowerBound), \(range.upperBound)]; keepalived ignores it", at: node)
            return nil
        }
        return value
    }

    mutating func seconds(_ node: ConfigNode, in range: ClosedRange<Double>) -> Double? {
        guard let text = node.value else {
            warn(.missingValue, "'\(node.keyword)' needs a value; ignored", at: node)
            return nil
        }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            warn(.invalidValue, "'\(node.keyword) \(text)': expected a time in seconds in [\(range.lowerBound), \(range.upperBound)]; keepalived ignores it", at: node)
            return nil
        }
        return value
    }
}

/// keepalived.conf as keepalived 2.2.7 reads it: the lexer's tokens folded into blocks,
/// then one handler per keyword (keepalived's install_keyword table) fills the model.
public enum KeepalivedParser {
    /// Per block keyword (global_defs, vrrp_script, vrrp_instance, vrrp_sync_group,
    /// vrrp_track_process, authentication): the keywords haexplain knows there, and those
    /// keepalived refuses to start with when their parameter is missing.
    public static var keywordsByBlock: [String: (known: Set<String>, needParameter: Set<String>)] {
        [
            "global_defs": (Set(Keywords.globalDefs.keys), NeedsValue.globalDefs),
            "vrrp_script": (Set(Keywords.vrrpScript.keys), NeedsValue.vrrpScript),
            "vrrp_instance": (Set(Keywords.vrrpInstance.keys).subtracting(Keywords.blockKeywords), NeedsValue.vrrpInstance),
            "vrrp_sync_group": (Set(Keywords.syncGroup.keys).subtracting(Keywords.blockKeywords), NeedsValue.syncGroup),
            "vrrp_track_process": (Set(Keywords.trackProcess.keys), NeedsValue.trackProcess),
            "authentication": (["auth_type", "auth_pass"], NeedsValue.authentication),
        ]
    }

    /// Parses PATH (and everything it includes). Throws only when PATH itself cannot be read;
    /// everything else becomes a diagnostic, as keepalived logs it and goes on.
    public static func parse(path: String, files: any ConfigFiles, configID: String,
                             maximumGeneratedLines: Int = 2_000_000) throws -> KeepalivedConfiguration {
        var lexer = ConfigLexer(files: files, configID: configID, maximumGeneratedLines: maximumGeneratedLines)
        try lexer.readMain(path)
        var reporter = Reporter(diagnostics: lexer.diagnostics)
        let nodes = fold(lexer.tokens, reporter: &reporter)
        var config = KeepalivedConfiguration(file: path, configID: configID)
        config.filesRead = lexer.filesRead
        for node in nodes {
            guard let handler = Keywords.topLevel[node.keyword] else {
                if node.keyword == "}" { continue }
                reporter.unknown(node, in: "the top level")
                continue
            }
            handler(&config, node, &reporter)
        }
        Keywords.finish(&config, reporter: &reporter)
        config.diagnostics = reporter.diagnostics
        return config
    }

    /// Folds the flat token stream into statements with blocks, as keepalived's process_stream
    /// does: only a keyword that takes a block where it stands opens one (Keywords.blocksIn).
    static func fold(_ tokens: [ConfigToken], reporter: inout Reporter) -> [ConfigNode] {
        var stack: [ConfigNode] = [ConfigNode(words: [], at: ConfigLocation(file: "", line: 0), children: [])]
        // Beside each open block, the keywords that open a block inside it, and how many open blocks
        // the VRRP process skips whole: kept as blocks open and close, not searched per statement
        // (keepalived text and --json budgets, <= 1.0x keepalived -t).
        var opening: [Set<String>] = [Keywords.blocksIn[""] ?? []]
        var skippedOpen = 0
        // Inside a block the VRRP process skips whole, every brace nests.
        var skipping: Bool { skippedOpen > 0 }
        func opensBlock(_ keyword: String) -> Bool { skipping || opening[opening.count - 1].contains(keyword) }
        func push(_ node: ConfigNode) {
            stack.append(node)
            opening.append(Keywords.blocksIn[node.keyword] ?? [])
            if Keywords.skippedBlocks.contains(node.keyword) { skippedOpen += 1 }
        }
        func pop() -> ConfigNode {
            opening.removeLast()
            let done = stack.removeLast()
            if Keywords.skippedBlocks.contains(done.keyword) { skippedOpen -= 1 }
            return done
        }
        var index = 0
        while index < tokens.count {
            switch tokens[index] {
            case let .words(words, at):
                var node = ConfigNode(words: words, at: at, children: nil)
                if index + 1 < tokens.count, case .open(let brace) = tokens[index + 1] {
                    if opensBlock(node.keyword) {
                        node.children = []
                        push(node)
                    } else {
                        stack[stack.count - 1].children!.append(node)
                        reporter.warn(.unexpectedBrace, "'{' after '\(node.keyword)', which takes no block here: keepalived ignores the '{' and reads the lines after it as part of the enclosing block, so the next '}' closes that block", at: ConfigNode(words: ["{"], at: brace))
                    }
                    index += 2
                    continue
                }
                if !skipping, opensBlock(node.keyword) {
                    // keepalived warns about the missing '{' and reads what follows as the block.
                    reporter.error(.missingBrace, "'\(node.keyword)' is not followed by '{' (a '#' or '!' in the line cuts it off); keepalived reads the next lines as its block up to a '}' anyway", at: node)
                    node.children = []
                    push(node)
                    index += 1
                    continue
                }
                stack[stack.count - 1].children!.append(node)
            case let .open(at):
                if skipping {
                    push(ConfigNode(words: ["{"], at: at, children: []))
                } else {
                    reporter.warn(.unexpectedBrace, "'{' without a keyword that takes a block before it; keepalived ignores it and reads what follows as part of the enclosing block", at: ConfigNode(words: ["{"], at: at))
                }
            case let .close(at):
                if stack.count == 1 {
                    reporter.warn(.extraBrace, "extra '}' with no block open; keepalived ignores it", at: ConfigNode(words: ["}"], at: at))
                } else {
                    let done = pop()
                    if done.keyword != "{" { stack[stack.count - 1].children!.append(done) }
                }
            }
            index += 1
        }
        if stack.count > 1 {
            let open = stack.dropFirst()
            for node in open {
                reporter.error(.unterminatedBlock, "'\(node.keyword)' block opened here is never closed (\(open.count) missing '}'); keepalived reads to the end of the configuration as if it were inside it", at: node)
            }
            while stack.count > 1 {
                let done = pop()
                stack[stack.count - 1].children!.append(done)
            }
        }
        return stack[0].children!
    }
}
