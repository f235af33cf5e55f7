/// A duration as the operator types it: `500ms`, `2.5s`, `1m`, `1h`, or plain seconds. One
/// parser for every duration option, so each refuses the same things in the same words.
public enum DurationText {
    /// What an option accepts, for its messages.
    public struct Bounds: Sendable {
        public var shortest: Double
        public var longest: Double

        public init(_ shortest: Double, _ longest: Double) {
            self.shortest = shortest
            self.longest = longest
        }

        public var description: String { "from \(DurationText.format(shortest)) to \(DurationText.format(longest))" }
    }

    /// Listening below 100 ms hears nothing worth a census; a capture is a diagnosis, not a
    /// daemon: a day at most.
    public static let listen = Bounds(0.1, 86_400)
    /// Waiting for one nameserver: glibc's own timeout is 5 s, its maximum 30 s.
    public static let nameserverTimeout = Bounds(0.1, 30)

    /// Seconds in `text`, or a sentence naming `option` and its range.
    public static func seconds(_ text: String, option: String, within bounds: Bounds) throws(HAError) -> Double {
        let units: [(suffix: String, scale: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        let unit = units.first { text.hasSuffix($0.suffix) }
        let number = unit.map { String(text.dropLast($0.suffix.count)) } ?? text
        // Double() takes "nan", "inf" and hex floats; a duration is digits with one optional point.
        let plain = !number.isEmpty && number.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e }
            && number.utf8.filter { $0 == 0x2e }.count <= 1 && number != "."
        let example = "such as 500ms, 2.5s, 1m, 1h or plain seconds"
        guard plain, let value = Double(number).map({ $0 * (unit?.scale ?? 1) }) else {
            throw HAError(.usage, "\(option) takes a duration \(bounds.description), \(example), not '\(TerminalText.escaped(text))'")
        }
        guard value >= bounds.shortest, value <= bounds.longest else {
            throw HAError(.usage, "\(option) \(TerminalText.escaped(text)) is out of range: give a duration \(bounds.description), \(example)")
        }
        return value
    }

    /// A duration as seconds with one decimal, e.g. "2.1": how long a capture listened.
    public static func tenths(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `seconds` in the largest unit that says it exactly: 100ms, 2.5s, 30s, 2m, 24h.
    public static func format(_ seconds: Double) -> String {
        func trim(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(value)
        }
        if seconds < 1 { return trim(seconds * 1000) + "ms" }
        if seconds >= 3600, seconds.truncatingRemainder(dividingBy: 3600) == 0 { return trim(seconds / 3600) + "h" }
        if seconds >= 60, seconds.truncatingRemainder(dividingBy: 60) == 0 { return trim(seconds / 60) + "m" }
        return trim(seconds) + "s"
    }
}
