/// The configuration file and config id a keepalived process was started with, read from
/// its argument vector the way keepalived's getopt_long reads it.
public struct KeepalivedCommandLine: Sendable, Equatable {
    public var useFile: String?
    public var configID: String?

    public init(useFile: String? = nil, configID: String? = nil) {
        self.useFile = useFile
        self.configID = configID
    }

    /// `-f FILE`, `-fFILE`, `--use-file FILE`, `--use-file=FILE` (and unambiguous prefixes
    /// such as `--use`), likewise `-i` / `--config-id`. The last one given wins.
    public init(arguments: [String]) {
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" { break }
            func value(short: Character, long: String, minimumPrefix: Int) -> String?? {
                if argument.hasPrefix("--") {
                    let body = argument.dropFirst(2)
                    let name = body.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                    guard name.count >= minimumPrefix, long.hasPrefix(name) else { return nil }
                    if let equals = body.firstIndex(of: "=") { return .some(String(body[body.index(after: equals)...])) }
                    guard index < arguments.count else { return .some(nil) }
                    index += 1
                    return .some(arguments[index - 1])
                }
                guard argument.hasPrefix("-"), !argument.hasPrefix("--"), argument.count >= 2 else { return nil }
                // Short options may be bundled (-nlf FILE): the value follows the letter.
                let letters = argument.dropFirst()
                guard let position = letters.firstIndex(of: short) else { return nil }
                let inline = letters[letters.index(after: position)...]
                if !inline.isEmpty { return .some(String(inline)) }
                guard index < arguments.count else { return .some(nil) }
                index += 1
                return .some(arguments[index - 1])
            }
            if case let .some(file) = value(short: "f", long: "use-file", minimumPrefix: 3) {
                useFile = file
            } else if case let .some(id) = value(short: "i", long: "config-id", minimumPrefix: 3) {
                configID = id
            }
        }
    }

    /// keepalived's default config id: the node name up to its first dot.
    public static func defaultConfigID(nodeName: String) -> String {
        String(nodeName.split(separator: ".", maxSplits: 1).first ?? Substring(nodeName))
    }
}
