#if canImport(Glibc)
import Glibc
#endif
import CNftables
import HAModel
import LocalFiles
import Namespaces

/// The firewall of a network namespace as the kernel holds it, read through libnftables (the
/// library `nft` itself uses): `list ruleset` as JSON for the structure, and as text with
/// handles for each rule's words. Nothing is ever added, changed or flushed.
public struct NftablesListing: Sendable {
    public var json: [UInt8]
    public var text: String
    /// Legacy iptables (x_tables) tables present in the namespace, which libnftables cannot list.
    public var legacyTables: [String]
}

/// libnftables' functions, bound the first time a command reads the ruleset: linking it would
/// make every command load it and its libraries (nftnl, jansson, gmp, xtables) before `main`.
struct LibNftables: @unchecked Sendable {
    typealias Context = OpaquePointer
    let new: @convention(c) (UInt32) -> Context?
    let free: @convention(c) (Context?) -> Void
    let setFlags: @convention(c) (Context?, UInt32) -> Void
    let bufferOutput: @convention(c) (Context?) -> Int32
    let bufferError: @convention(c) (Context?) -> Int32
    let outputBuffer: @convention(c) (Context?) -> UnsafePointer<CChar>?
    let errorBuffer: @convention(c) (Context?) -> UnsafePointer<CChar>?
    let run: @convention(c) (Context?, UnsafePointer<CChar>?) -> Int32

    static let sonames = ["libnftables.so.1", "libnftables.so"]
    static let shared: Result<LibNftables, HAError> = load()

    private static func load() -> Result<LibNftables, HAError> {
        let library: SharedLibrary
        switch SharedLibrary.open(sonames, name: "libnftables", for: "reading the firewall", package: "libnftables1", minimum: "libnftables 0.9.3") {
        case .success(let loaded): library = loaded
        case .failure(let error): return .failure(error)
        }
        func bind<F>(_ name: String, as type: F.Type) throws(HAError) -> F { try library.bind(name, as: type) }
        do throws(HAError) {
            return .success(LibNftables(
                new: try bind("nft_ctx_new", as: (@convention(c) (UInt32) -> Context?).self),
                free: try bind("nft_ctx_free", as: (@convention(c) (Context?) -> Void).self),
                setFlags: try bind("nft_ctx_output_set_flags", as: (@convention(c) (Context?, UInt32) -> Void).self),
                bufferOutput: try bind("nft_ctx_buffer_output", as: (@convention(c) (Context?) -> Int32).self),
                bufferError: try bind("nft_ctx_buffer_error", as: (@convention(c) (Context?) -> Int32).self),
                outputBuffer: try bind("nft_ctx_get_output_buffer", as: (@convention(c) (Context?) -> UnsafePointer<CChar>?).self),
                errorBuffer: try bind("nft_ctx_get_error_buffer", as: (@convention(c) (Context?) -> UnsafePointer<CChar>?).self),
                run: try bind("nft_run_cmd_from_buffer", as: (@convention(c) (Context?, UnsafePointer<CChar>?) -> Int32).self)))
        } catch {
            return .failure(error)
        }
    }
}

public enum NftablesReader {
    /// `list ruleset` in the namespace (nil: this one), as JSON and as text with handles.
    public static func read(netns: String?) throws(HAError) -> NftablesListing {
        let library = try LibNftables.shared.get()
        // The context's netlink socket is opened by its first command, inside the namespace.
        return try NetworkNamespace.with(netns) { () throws(HAError) -> NftablesListing in
            let json = try list(library, flags: UInt32(NFT_CTX_OUTPUT_JSON))
            let text = try list(library, flags: UInt32(NFT_CTX_OUTPUT_HANDLE))
            return NftablesListing(json: Array(json.utf8), text: text, legacyTables: legacyTables())
        }
    }

    private static func list(_ library: LibNftables, flags: UInt32) throws(HAError) -> String {
        guard let context = library.new(UInt32(NFT_CTX_DEFAULT)) else {
            throw HAError(.unavailable, "libnftables could not make a context")
        }
        defer { library.free(context) }
        library.setFlags(context, flags)
        _ = library.bufferOutput(context)
        _ = library.bufferError(context)
        let status = library.run(context, "list ruleset")
        guard status == 0 else {
            let message = library.errorBuffer(context).map { String(cString: $0) }?.trimmingCharacters() ?? ""
            let denied = message.contains("Operation not permitted") || geteuid() != 0
            throw HAError(denied ? .noPermission : .unavailable,
                          "libnftables could not list the ruleset: \(message.isEmpty ? "status \(status)" : message)\(denied ? " (reading the firewall needs root: CAP_NET_ADMIN)" : "")")
        }
        return library.outputBuffer(context).map { String(cString: $0) } ?? ""
    }

    /// The legacy x_tables tables this namespace has loaded (/proc/net/ip_tables_names and
    /// ip6_tables_names, which follow the reading thread's namespace).
    static func legacyTables() -> [String] {
        var tables: [String] = []
        for (file, family) in [("ip_tables_names", "ip"), ("ip6_tables_names", "ip6")] {
            // A proc file says size 0; a page holds every table name there is.
            guard let bytes = try? BoundedFile.read("/proc/thread-self/net/\(file)", what: "x_tables list",
                                                    maximumSize: 4096, oversize: .truncate) else { continue }
            for name in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where !name.isEmpty {
                tables.append("\(family) \(name)")
            }
        }
        return tables
    }
}

extension String {
    func trimmingCharacters() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
