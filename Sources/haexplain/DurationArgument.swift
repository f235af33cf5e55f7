import ArgumentParser
import HAModel

/// Which duration option, with its bounds: the type parameter of `DurationArgument`.
protocol DurationOption {
    static var name: String { get }
    static var bounds: DurationText.Bounds { get }
}

enum ListenOption: DurationOption {
    static let name = "--listen"
    static let bounds = DurationText.listen
}

enum DNSTimeoutOption: DurationOption {
    static let name = "--dns-timeout"
    static let bounds = DurationText.nameserverTimeout
}

/// Every duration on the command line (500ms, 2.5s, 1m, 1h, plain seconds), parsed by
/// DurationText while the command line is. Options declare it with `transform: parse` (and
/// `.unconditional`, so `-5` reaches it rather than reading as an option): ArgumentParser
/// then prints the sentence naming the range after the option's name.
struct DurationArgument<Option: DurationOption>: ExpressibleByArgument, Sendable {
    var seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        guard let parsed = try? Self.parse(argument) else { return nil }
        self = parsed
    }

    static func parse(_ text: String) throws -> Self {
        do {
            return Self(seconds: try DurationText.seconds(text, option: Option.name, within: Option.bounds))
        } catch {
            throw ValidationError(error.message)
        }
    }

    var defaultValueDescription: String { DurationText.format(seconds) }
}
