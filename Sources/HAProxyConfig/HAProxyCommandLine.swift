/// The configuration files a haproxy command line names: every `-f PATH`, the paths after
/// `--`, relative ones under `-C DIR` when given (haproxy changes directory first).
public struct HAProxyCommandLine: Sendable, Equatable {
    public var configPaths: [String]
    public var directory: String?

    public init(arguments: [String]) {
        var paths: [String] = []
        var directory: String?
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                paths += arguments[(index + 1)...]
                break
            }
            if argument == "-f" || argument == "-C", index + 1 < arguments.count {
                if argument == "-f" { paths.append(arguments[index + 1]) } else { directory = arguments[index + 1] }
                index += 2
                continue
            }
            index += 1
        }
        configPaths = paths
        self.directory = directory
    }

    /// The paths as the process sees them: relative ones under -C, else its working directory.
    public func resolvedPaths(workingDirectory: String?) -> [String] {
        configPaths.map { path in
            guard !path.hasPrefix("/"), let base = directory.map({ $0.hasPrefix("/") ? $0 : (workingDirectory ?? "") + "/" + $0 }) ?? workingDirectory else { return path }
            return base.hasSuffix("/") ? base + path : base + "/" + path
        }
    }
}
