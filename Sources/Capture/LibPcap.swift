#if canImport(Glibc)
import Glibc
#endif
import CPcap
import HAModel
import LocalFiles

/// libpcap's functions, bound the first time a command captures or reads a capture file.
/// Linking libpcap made every command load it and its dependencies (D-Bus, systemd, gcrypt,
/// lz4, zstd, lzma: eight libraries, ~1.4 ms) before `main`, capture or not; `haexplain addr`
/// must start as fast as `ip`. The types and constants still come from <pcap/pcap.h> through
/// the CPcap system-library target.
struct LibPcap: @unchecked Sendable {
    typealias Handle = OpaquePointer
    typealias ErrorBuffer = UnsafeMutablePointer<CChar>

    let create: @convention(c) (UnsafePointer<CChar>?, ErrorBuffer?) -> Handle?
    let setSnaplen: @convention(c) (Handle?, Int32) -> Int32
    let setPromisc: @convention(c) (Handle?, Int32) -> Int32
    let setTimeout: @convention(c) (Handle?, Int32) -> Int32
    let setImmediateMode: @convention(c) (Handle?, Int32) -> Int32
    let setTstampPrecision: @convention(c) (Handle?, Int32) -> Int32
    let activate: @convention(c) (Handle?) -> Int32
    let geterr: @convention(c) (Handle?) -> UnsafeMutablePointer<CChar>?
    let close: @convention(c) (Handle?) -> Void
    let setDatalink: @convention(c) (Handle?, Int32) -> Int32
    let compile: @convention(c) (Handle?, UnsafeMutablePointer<bpf_program>?, UnsafePointer<CChar>?, Int32, bpf_u_int32) -> Int32
    let freecode: @convention(c) (UnsafeMutablePointer<bpf_program>?) -> Void
    let setfilter: @convention(c) (Handle?, UnsafeMutablePointer<bpf_program>?) -> Int32
    let setnonblock: @convention(c) (Handle?, Int32, ErrorBuffer?) -> Int32
    let fileno: @convention(c) (Handle?) -> Int32
    let getSelectableFD: @convention(c) (Handle?) -> Int32
    let dispatch: @convention(c) (Handle?, Int32, pcap_handler?, UnsafeMutablePointer<UInt8>?) -> Int32
    let loop: @convention(c) (Handle?, Int32, pcap_handler?, UnsafeMutablePointer<UInt8>?) -> Int32
    let datalink: @convention(c) (Handle?) -> Int32
    let snapshot: @convention(c) (Handle?) -> Int32
    let majorVersion: @convention(c) (Handle?) -> Int32
    let minorVersion: @convention(c) (Handle?) -> Int32
    let datalinkValToName: @convention(c) (Int32) -> UnsafePointer<CChar>?
    let fopenOfflineWithTstampPrecision: @convention(c) (UnsafeMutablePointer<FILE>?, UInt32, ErrorBuffer?) -> Handle?

    /// The library's names: Debian's soname first, then upstream's, then the development link.
    static let sonames = ["libpcap.so.0.8", "libpcap.so.1", "libpcap.so"]

    static let shared: Result<LibPcap, HAError> = load()

    static func get() throws(HAError) -> LibPcap { try shared.get() }

    /// The handle's last error as text.
    func message(_ handle: Handle) -> String {
        geterr(handle).map { String(cString: $0) } ?? "unknown libpcap error"
    }

    private static func load() -> Result<LibPcap, HAError> {
        let library: SharedLibrary
        switch SharedLibrary.open(sonames, name: "libpcap", for: "capturing packets", package: "libpcap0.8", minimum: "libpcap 1.9") {
        case .success(let loaded): library = loaded
        case .failure(let error): return .failure(error)
        }
        func bind<F>(_ name: String, as type: F.Type) throws(HAError) -> F { try library.bind(name, as: type) }
        do throws(HAError) {
            return .success(try LibPcap(
                create: bind("pcap_create", as: (@convention(c) (UnsafePointer<CChar>?, ErrorBuffer?) -> Handle?).self),
                setSnaplen: bind("pcap_set_snaplen", as: (@convention(c) (Handle?, Int32) -> Int32).self),
                setPromisc: bind("pcap_set_promisc", as: (@convention(c) (Handle?, Int32) -> Int32).self),
                setTimeout: bind("pcap_set_timeout", as: (@convention(c) (Handle?, Int32) -> Int32).self),
                setImmediateMode: bind("pcap_set_immediate_mode", as: (@convention(c) (Handle?, Int32) -> Int32).self),
                setTstampPrecision: bind("pcap_set_tstamp_precision", as: (@convention(c) (Handle?, Int32) -> Int32).self),
                activate: bind("pcap_activate", as: (@convention(c) (Handle?) -> Int32).self),
                geterr: bind("pcap_geterr", as: (@convention(c) (Handle?) -> UnsafeMutablePointer<CChar>?).self),
                close: bind("pcap_close", as: (@convention(c) (Handle?) -> Void).self),
                setDatalink: bind("pcap_set_datalink", as: (@convention(c) (Handle?, Int32) -> Int32).self),
                compile: bind("pcap_compile", as: (@convention(c) (Handle?, UnsafeMutablePointer<bpf_program>?, UnsafePointer<CChar>?, Int32, bpf_u_int32) -> Int32).self),
                freecode: bind("pcap_freecode", as: (@convention(c) (UnsafeMutablePointer<bpf_program>?) -> Void).self),
                setfilter: bind("pcap_setfilter", as: (@convention(c) (Handle?, UnsafeMutablePointer<bpf_program>?) -> Int32).self),
                setnonblock: bind("pcap_setnonblock", as: (@convention(c) (Handle?, Int32, ErrorBuffer?) -> Int32).self),
                fileno: bind("pcap_fileno", as: (@convention(c) (Handle?) -> Int32).self),
                getSelectableFD: bind("pcap_get_selectable_fd", as: (@convention(c) (Handle?) -> Int32).self),
                dispatch: bind("pcap_dispatch", as: (@convention(c) (Handle?, Int32, pcap_handler?, UnsafeMutablePointer<UInt8>?) -> Int32).self),
                loop: bind("pcap_loop", as: (@convention(c) (Handle?, Int32, pcap_handler?, UnsafeMutablePointer<UInt8>?) -> Int32).self),
                datalink: bind("pcap_datalink", as: (@convention(c) (Handle?) -> Int32).self),
                snapshot: bind("pcap_snapshot", as: (@convention(c) (Handle?) -> Int32).self),
                majorVersion: bind("pcap_major_version", as: (@convention(c) (Handle?) -> Int32).self),
                minorVersion: bind("pcap_minor_version", as: (@convention(c) (Handle?) -> Int32).self),
                datalinkValToName: bind("pcap_datalink_val_to_name", as: (@convention(c) (Int32) -> UnsafePointer<CChar>?).self),
                fopenOfflineWithTstampPrecision: bind("pcap_fopen_offline_with_tstamp_precision",
                                                      as: (@convention(c) (UnsafeMutablePointer<FILE>?, UInt32, ErrorBuffer?) -> Handle?).self)))
        } catch {
            return .failure(error)
        }
    }
}
