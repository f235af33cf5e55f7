/// The bytes of a file held in memory: a copy of an array, or memory an edge module mapped
/// (released with this object). Parsers scan `buffer` directly, so a large file costs no copy.
public final class FileBytes: @unchecked Sendable {
    public let buffer: UnsafeBufferPointer<UInt8>
    private let release: () -> Void

    public init(_ bytes: [UInt8]) {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = copy.initialize(from: bytes)
        buffer = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(copy)[0..<bytes.count])
        release = { copy.deallocate() }
    }

    /// Takes ownership of `buffer`; `release` is called once, when this object goes away.
    public init(unsafeBuffer buffer: UnsafeBufferPointer<UInt8>, release: @escaping () -> Void) {
        self.buffer = buffer
        self.release = release
    }

    deinit { release() }

    public var count: Int { buffer.count }
}
