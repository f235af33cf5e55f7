import HAModel

/// Every problem haexplain reports about a keepalived configuration, by a stable code
/// (JSON and `--check` print the raw value; nothing matches on message text).
public enum ProblemCode: String, Sendable, Codable, CaseIterable {
    case advertIntMismatch = "advert-int-mismatch"
    case authIgnored = "auth-ignored"
    case authMismatch = "auth-mismatch"
    case authPassTruncated = "auth-pass-truncated"
    case badSequence = "bad-sequence"
    case configChangedAfterStart = "config-changed-after-start"
    case definitionRecursion = "definition-recursion"
    case duplicateInstance = "duplicate-instance"
    case duplicateScript = "duplicate-script"
    case duplicateVRID = "duplicate-vrid"
    case extraBrace = "extra-brace"
    case includeLoop = "include-loop"
    case includeMissing = "include-missing"
    case includeTooDeep = "include-too-deep"
    case includeUnreadable = "include-unreadable"
    case initialStateAdjusted = "initial-state-adjusted"
    case interfaceMissing = "interface-missing"
    case invalidAddress = "invalid-address"
    case invalidValue = "invalid-value"
    case missingBrace = "missing-brace"
    case missingName = "missing-name"
    case missingParameter = "missing-parameter"
    case missingValue = "missing-value"
    case missingVRID = "missing-vrid"
    case noVirtualAddress = "no-virtual-address"
    case nopreemptCleared = "nopreempt-cleared"
    case ownerWithWeights = "owner-with-weights"
    case preemptDelayCleared = "preempt-delay-cleared"
    case priorityAdjusted = "priority-adjusted"
    case scriptDropped = "script-dropped"
    case scriptNotRootOwned = "script-not-root-owned"
    case scriptRelativePath = "script-relative-path"
    case scriptSecurityOff = "script-security-off"
    case scriptUserMissing = "script-user-missing"
    case scriptWithoutCommand = "script-without-command"
    case sequenceTooLarge = "sequence-too-large"
    case stateAdjusted = "state-adjusted"
    case syncGroupStartsBackup = "sync-group-starts-backup"
    case syncMemberTwice = "sync-member-twice"
    case undefinedSyncMember = "undefined-sync-member"
    case undefinedTrackProcess = "undefined-track-process"
    case undefinedTrackScript = "undefined-track-script"
    case unexpectedBrace = "unexpected-brace"
    case unicastPeersNotMirrored = "unicast-peers-not-mirrored"
    case unknownKeyword = "unknown-keyword"
    case unterminatedBlock = "unterminated-block"
    case unusedScript = "unused-script"
    case vipInInterfaceSubnet = "vip-in-interface-subnet"
    case vipInTwoInstances = "vip-in-two-instances"
    case vridSetMismatch = "vrid-set-mismatch"
    case weightExactlyEnough = "weight-exactly-enough"
    case weightIgnored = "weight-ignored"
    case weightTooSmall = "weight-too-small"
}

extension ProblemCode {
    /// Problems after which keepalived 2.2.7 does not run at all (it exits with a
    /// permanent CONFIG error, or stops its VRRP process), as its own runs show.
    public var stopsKeepalived: Bool {
        switch self {
        // include-missing stops it only as an error (includem/includew/includeb/includea).
        case .missingParameter, .missingVRID, .interfaceMissing, .duplicateVRID, .noVirtualAddress, .includeMissing: true
        default: false
        }
    }
}

extension ConfigDiagnostic {
    /// An error keepalived does not start with (a missing interface under
    /// dynamic_interfaces is a warning and does not stop it).
    public var stopsKeepalived: Bool { severity == .error && code.stopsKeepalived }
}

extension KeepalivedReport {
    /// Whether keepalived would start with these configurations, as far as haexplain sees.
    public var keepalivedWouldStart: Bool { !problems.contains { $0.stopsKeepalived } }

    /// `--check`'s verdict: an error fails, and with `strict` a warning too.
    public func failsCheck(strict: Bool) -> Bool {
        problems.contains { $0.severity == .error || (strict && $0.severity == .warning) }
    }
}
