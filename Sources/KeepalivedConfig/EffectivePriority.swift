import HAModel

/// One tracked object's part in an instance's priority.
public struct PriorityTerm: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case trackScript = "track_script", trackInterface = "track_interface"
        case trackFile = "track_file", trackProcess = "track_process", interface
    }
    public var kind: Kind
    public var name: String
    public var weight: Int
    public var reverse: Bool
    /// What it adds while OK and while failing; nil means "the instance goes to FAULT".
    public var whileOK: Int?
    public var whileFailing: Int?
    public var defined: Bool
    public var file: String
    public var line: Int

    enum CodingKeys: String, CodingKey {
        case kind, name, weight, reverse, whileOK = "while_ok", whileFailing = "while_failing", defined, file, line
    }

    /// keepalived's rule: a positive weight is added while OK, a negative one while failing;
    /// `reverse` flips the sign and swaps the states; weight 0 means FAULT (on failure, or
    /// while OK with reverse).
    init(kind: Kind, name: String, weight: Int, reverse: Bool, defined: Bool = true, file: String, line: Int) {
        self.kind = kind
        self.name = name
        self.weight = weight
        self.reverse = reverse
        self.defined = defined
        self.file = file
        self.line = line
        let sign = reverse ? -1 : 1
        switch (weight, reverse) {
        case (0, false): (whileOK, whileFailing) = (0, nil)
        case (0, true): (whileOK, whileFailing) = (nil, 0)
        case (1..., _): (whileOK, whileFailing) = (weight * sign, 0)
        default: (whileOK, whileFailing) = (0, weight * sign)
        }
    }

    public var label: String { "\(kind.rawValue) \(name)" }
}

/// An instance's priority with its arithmetic, under an assumption about tracked state.
public struct EffectivePriority: Sendable, Codable, Equatable {
    public var base: Int
    /// nil when the instance is in FAULT (it then neither advertises nor holds addresses).
    public var value: Int?
    public var fault: Bool
    public var addressOwner: Bool
    public var arithmetic: String
    public var assumption: String
    public var terms: [PriorityTerm]

    enum CodingKeys: String, CodingKey {
        case base, value, fault, addressOwner = "address_owner", arithmetic, assumption, terms
    }
}

/// What happens if one tracked object fails.
public struct WhatIf: Sendable, Codable, Equatable {
    public var node: String?
    public var failing: String
    public var priority: Int?
    public var fault: Bool
    public var arithmetic: String
    /// With peers' configurations: the node that would then be master of this VRID.
    public var newMaster: String?
    public var sentence: String

    enum CodingKeys: String, CodingKey {
        case node, failing, priority, fault, arithmetic, newMaster = "new_master", sentence
    }
}

public enum PriorityCalculator {
    public static let allOKAssumption = "all tracked scripts, processes and files OK and tracked interfaces up (their live state is not read yet)"

    /// The terms of an instance, in keepalived's order: its own interface, then the tracked lists.
    public static func terms(of instance: VRRPInstance, in config: KeepalivedConfiguration) -> [PriorityTerm] {
        var terms: [PriorityTerm] = []
        if let interface = instance.interface, !instance.keywordLines.contains(where: { $0.keyword == "dont_track_primary" }) {
            terms.append(PriorityTerm(kind: .interface, name: interface, weight: 0, reverse: false,
                                      file: instance.file, line: instance.line(of: "interface")))
        }
        for item in instance.trackScript {
            let script = config.script(named: item.name)
            terms.append(PriorityTerm(kind: .trackScript, name: item.name,
                                      weight: item.weight ?? script?.weight ?? 0,
                                      reverse: item.reverse ?? script?.reverse ?? false,
                                      defined: script?.active ?? false, file: item.file, line: item.line))
        }
        for item in instance.trackInterface {
            terms.append(PriorityTerm(kind: .trackInterface, name: item.name, weight: item.weight ?? 0,
                                      reverse: item.reverse ?? false, file: item.file, line: item.line))
        }
        for item in instance.trackProcess {
            let process = config.vrrpTrackProcesses.first { $0.name == item.name }
            terms.append(PriorityTerm(kind: .trackProcess, name: item.name, weight: item.weight ?? process?.weight ?? 1,
                                      reverse: item.reverse ?? process?.reverse ?? false,
                                      defined: process != nil, file: item.file, line: item.line))
        }
        for item in instance.trackFile {
            terms.append(PriorityTerm(kind: .trackFile, name: item.name, weight: item.weight ?? 1,
                                      reverse: item.reverse ?? false, file: item.file, line: item.line))
        }
        // keepalived drops entries naming undefined or dropped scripts and undefined processes:
        // they count for nothing.
        return terms.filter(\.defined)
    }

    /// The priority with the labelled terms failing and every other term OK.
    public static func compute(_ instance: VRRPInstance, terms: [PriorityTerm], failing: Set<String> = [], assumption: String = allOKAssumption) -> EffectivePriority {
        compute(instance, terms: terms, labels: nil, failing: failing, alsoFailing: nil, assumption: assumption)
    }

    /// The same with the terms' labels made once by the caller, and term `alsoFailing` failing
    /// besides `failing`: no label made and no set built per what-if (keepalived budgets, <= 1.0x keepalived -t).
    static func compute(_ instance: VRRPInstance, terms: [PriorityTerm], labels: [String]?, failing: Set<String>,
                        alsoFailing extra: Int?, assumption: String) -> EffectivePriority {
        let base = instance.priority
        // The sum written as it is added up, not as parts joined (keepalived budgets).
        var arithmetic = String(base)
        var added = false
        var total = base
        var faultBy: String?
        for (index, term) in terms.enumerated() {
            // Nothing failing (the state now, mostly) needs no label (keepalived budgets).
            let isFailing = index == extra || (!failing.isEmpty && failing.contains(labels?[index] ?? term.label))
            guard let add = isFailing ? term.whileFailing : term.whileOK else {
                faultBy = faultBy ?? "\(labels?[index] ?? term.label) \(isFailing ? (term.kind == .interface || term.kind == .trackInterface ? "down" : "failing") : "OK with weight 0 reverse")"
                continue
            }
            if add != 0 {
                arithmetic += add > 0 ? " + " : " - "
                arithmetic += String(add > 0 ? add : -add)
                added = true
                total += add
            }
        }
        if let faultBy {
            return EffectivePriority(base: base, value: nil, fault: true, addressOwner: base == 255,
                                     arithmetic: "FAULT (\(faultBy)): no adverts, addresses released", assumption: assumption, terms: terms)
        }
        if base == 255 {
            return EffectivePriority(base: base, value: 255, fault: false, addressOwner: true,
                                     arithmetic: "255 (address owner: tracking weights do not apply)", assumption: assumption, terms: terms)
        }
        let clamped = min(254, max(1, total))
        arithmetic += added ? " = \(total)" : " (no tracked weight applies in this state)"
        if clamped != total { arithmetic += ", clamped to \(clamped)" }
        return EffectivePriority(base: base, value: clamped, fault: false, addressOwner: false,
                                 arithmetic: arithmetic, assumption: assumption, terms: terms)
    }
}

/// The live state of one tracked object on one node, as observed (from /proc, or by running
/// the script), so the effective priority uses it instead of assuming OK.
public struct ObservedTrack: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable {
        case ok, failing
        case notEvaluated = "not_evaluated"
    }
    public var node: String
    public var kind: PriorityTerm.Kind
    public var name: String
    public var state: State
    public var reason: String

    public init(node: String, kind: PriorityTerm.Kind, name: String, state: State, reason: String) {
        self.node = node
        self.kind = kind
        self.name = name
        self.state = state
        self.reason = reason
    }

    public var label: String { "\(kind.rawValue) \(name)" }
}

extension PriorityCalculator {
    /// The failing set and the assumption sentence for an instance's terms, given what was
    /// observed on its node: observed terms count as seen, the rest are said to be assumed OK.
    public static func observedState(_ terms: [PriorityTerm], _ observed: [ObservedTrack]) -> (failing: Set<String>, assumption: String) {
        guard !observed.isEmpty else { return ([], allOKAssumption) }
        var failing: Set<String> = []
        var seen: [String] = []
        var assumed: [String] = []
        var unseenInterface = false
        for term in terms {
            let label = term.label
            // Matched by kind and name, which the label spells: no label made per observed track (keepalived budgets).
            let track = observed.first { $0.kind == term.kind && $0.name == term.name }
            // An instance's own interface is said only when observed (else: assumed up, below).
            if term.kind == .interface || term.kind == .trackInterface, track == nil {
                unseenInterface = true
                if term.kind == .interface { continue }
            }
            if let track, track.state != .notEvaluated {
                if track.state == .failing { failing.insert(label) }
                seen.append("\(label) \(track.state == .failing ? "failing" : "OK") (\(track.reason))")
            } else {
                let why = track.map { ": \($0.reason)" } ?? ""
                assumed.append("\(label)\(why)")
            }
        }
        var parts: [String] = []
        if !seen.isEmpty { parts.append("observed: " + seen.joined(separator: "; ")) }
        if !assumed.isEmpty { parts.append("assumed OK (not observed): " + assumed.joined(separator: "; ")) }
        if parts.isEmpty { return ([], allOKAssumption) }
        return (failing, parts.joined(separator: "; ") + (unseenInterface ? "; interfaces assumed up" : ""))
    }
}
