#if canImport(Glibc)
import Glibc
#endif

/// A name with non-ASCII letters as glibc's getaddrinfo looks it up when asked with AI_IDN
/// (as `getent ahosts` and ping ask): converted by libidn2's idn2_lookup_ul with default
/// flags (IDNA 2008 with UTS #46 mapping, so `BÜCHER.example` becomes `xn--bcher-kva.example`),
/// loaded at run time from the same libidn2.so.0 glibc loads.
public enum InternationalName {
    public enum Outcome: Sendable, Equatable {
        /// The name is ASCII: looked up as it is.
        case ascii
        /// The name as AI_IDN looks it up.
        case converted(String)
        /// libidn2 refused the name (the reason), or could not be loaded.
        case refused(String)
    }

    public static func lookupForm(of name: String) -> Outcome {
        guard name.utf8.contains(where: { $0 >= 0x80 }) else { return .ascii }
        guard let convert = library.lookup else {
            return .refused("libidn2.so.0 is not installed, so glibc's AI_IDN cannot convert it either")
        }
        var result: UnsafeMutablePointer<CChar>? = nil
        let status = name.withCString { convert($0, &result, 0) }
        guard status == 0, let result else {
            let reason = library.message.flatMap { $0(status) }.map { String(cString: $0) } ?? "error \(status)"
            return .refused("libidn2: \(reason)")
        }
        defer { free(result) }
        return .converted(String(cString: result))
    }

    private typealias Lookup = @convention(c) (UnsafePointer<CChar>, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, Int32) -> Int32
    private typealias StrError = @convention(c) (Int32) -> UnsafePointer<CChar>?

    /// idn2_lookup_u8 takes UTF-8, which is what a Swift String holds (glibc's
    /// idn2_lookup_ul converts from the locale's encoding first: the same in a UTF-8 locale).
    private struct Library: @unchecked Sendable {
        var lookup: Lookup?
        var message: StrError?
    }

    private static let library: Library = {
        guard let handle = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL) else { return Library() }
        return Library(lookup: dlsym(handle, "idn2_lookup_u8").map { unsafeBitCast($0, to: Lookup.self) },
                       message: dlsym(handle, "idn2_strerror").map { unsafeBitCast($0, to: StrError.self) })
    }()
}
