import HAModel

/// One thing wrong with a haproxy configuration, for `haexplain haproxy --check`: where, how
/// bad, what haproxy says, and a stable code scripts and CI rules can match (never the text).
public struct HAProxyProblem: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable {
        /// haproxy refuses to start (haproxy -c fails).
        case error
        /// haproxy starts, but warns or ignores something.
        case warning
    }

    public enum Code: String, Codable, Sendable, CaseIterable {
        // Refusals: haproxy -c exits non-zero.
        case syntax = "syntax"
        case conditional = "conditional-block"
        case alert = "alert-directive"
        case unknownDirective = "unknown-directive"
        case outOfSection = "out-of-section"
        case unknownKeyword = "unknown-keyword"
        case removedKeyword = "removed-keyword"
        case unknownOption = "unknown-option"
        case removedOption = "removed-option"
        case notAllowedHere = "not-allowed-here"
        case missingArgument = "missing-argument"
        case invalidArgument = "invalid-argument"
        case invalidName = "invalid-name"
        case invalidAddress = "invalid-address"
        case duplicateName = "duplicate-name"
        case duplicateServer = "duplicate-server"
        case duplicateID = "duplicate-id"
        case missingDefaults = "missing-defaults"
        case ambiguousDefaults = "ambiguous-defaults"
        case missingBackend = "missing-backend"
        case backendLoop = "backend-loop"
        case incompatibleMode = "incompatible-mode"
        case checkWithoutPort = "check-without-port"
        case missingStickTable = "missing-stick-table"
        case rulesInheritance = "defaults-rules-inheritance"
        case noListener = "no-listener"
        // Warnings: haproxy starts.
        case ignoredInTCPMode = "ignored-in-tcp-mode"
        case directiveWarning = "warning-directive"
        case conditionNotJudged = "condition-not-judged"
        case sectionNotOpened = "section-not-opened"
        case duplicateIgnored = "duplicate-ignored"
        case duplicateSetting = "duplicate-setting"
        case noBind = "no-bind"
        case missingTimeouts = "missing-timeouts"
    }

    public var severity: Severity
    public var code: Code
    public var message: String
    public var file: String?
    public var line: Int?

    public init(_ severity: Severity, _ code: Code, _ message: String, file: String?, line: Int?) {
        self.severity = severity
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }
}

/// A configuration haproxy refuses: the error with its file and line, and the problem's code.
public struct HAProxyRefusal: Error, Sendable {
    public var code: HAProxyProblem.Code
    public var error: HAError

    public init(_ code: HAProxyProblem.Code, _ error: HAError) {
        self.code = code
        self.error = error
    }
}

/// A configuration read for `--check`: as far as haproxy would read it, the refusal that
/// stops haproxy (if any), and every problem, errors first.
public struct HAProxyCheck: Sendable {
    public var configuration: HAProxyConfiguration
    public var refusal: HAProxyRefusal?

    public init(configuration: HAProxyConfiguration, refusal: HAProxyRefusal?) {
        self.configuration = configuration
        self.refusal = refusal
    }

    /// The refusal, then the warnings haproxy gives; a configuration with no listener at all
    /// is an error too, as haproxy then will not start (haproxy -c exits 2).
    public var problems: [HAProxyProblem] {
        var problems: [HAProxyProblem] = []
        if let refusal {
            problems.append(HAProxyProblem(.error, refusal.code, refusal.error.message, file: refusal.error.file, line: refusal.error.line))
        } else if !configuration.hasListener {
            problems.append(HAProxyProblem(.error, .noListener, "haproxy will not start: no enabled frontend or listen section binds an address, and no stats socket or peers section listens",
                                           file: configuration.files.first, line: nil))
        }
        for message in configuration.messages {
            guard let code = message.code else { continue }
            problems.append(HAProxyProblem(.warning, code, message.message, file: message.file, line: message.line))
        }
        return problems
    }
}
