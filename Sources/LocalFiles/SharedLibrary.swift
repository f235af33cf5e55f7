#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// A C library bound the first time a command needs it (dlopen), so commands that never use
/// it do not load it and its dependencies at start. One place says what is missing and how to
/// install it, for libpcap and libnftables alike.
public struct SharedLibrary: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    /// "libpcap 1.9": what a missing symbol says is needed.
    private let minimum: String
    private let name: String

    /// The first of `sonames` that loads; `purpose` ("capturing packets") and the Debian
    /// `package` go into the error when none does.
    public static func open(_ sonames: [String], name: String, for purpose: String, package: String,
                            minimum: String) -> Result<SharedLibrary, HAError> {
        guard let handle = sonames.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            let reason = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(HAError(.unavailable, "\(purpose) needs \(name), which could not be loaded (\(reason)); install it (Debian: apt-get install \(package))"))
        }
        return .success(SharedLibrary(handle: handle, minimum: minimum, name: name))
    }

    /// The function `symbol` as the C type `type`.
    public func bind<F>(_ symbol: String, as type: F.Type) throws(HAError) -> F {
        guard let address = dlsym(handle, symbol) else {
            throw HAError(.unavailable, "the \(name) found lacks \(symbol); haexplain needs \(minimum) or later")
        }
        return unsafeBitCast(address, to: type)
    }
}
