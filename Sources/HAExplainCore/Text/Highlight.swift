/// Colour for a terminal, on state only: the verdict mark and word a headline starts with
/// (green ✓, red ✗ CONFLICT / NOBODY, yellow ? UNKNOWN). Applied after the text is escaped,
/// so only lines the renderer itself began with a mark are touched.
public enum Highlight {
    static let green = "\u{1b}[32m", red = "\u{1b}[1;31m", yellow = "\u{1b}[33m", reset = "\u{1b}[0m"

    public static func apply(_ text: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices {
            let line = lines[index]
            for (prefix, colour) in [("✓", green), ("✗ CONFLICT", red), ("✗ NOBODY", red), ("? UNKNOWN", yellow)]
            where line.hasPrefix(prefix + " ") {
                lines[index] = colour + prefix + reset + line.dropFirst(prefix.count)
                break
            }
        }
        return lines.joined(separator: "\n")
    }

    /// `--color`'s values.
    public enum When: String, Sendable, CaseIterable {
        case auto, always, never
    }

    /// The `--color` rule: `auto` colours a terminal unless NO_COLOR is set (no-color.org)
    /// or TERM is dumb.
    public static func enabled(_ when: When, isTerminal: Bool, environment: [String: String]) -> Bool {
        switch when {
        case .always: return true
        case .never: return false
        case .auto: return isTerminal && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
        }
    }
}
