/// The bytes of a file held in memory: a copy of an array, or memory an edge module mapped
/// (released with this object). Parsers scan `buffer` directly, so a large file costs no copy.
public final class FileBytes: @unchecked Sendable {
    public let buffer: UnsafeBufferPointer<UInt8>
    private let release: () -> Void
    private let dropPages: ((Range<Int>) -> Void)?

    public init(_ bytes: [UInt8]) {
        let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = copy.initialize(from: bytes)
        buffer = UnsafeBufferPointer(rebasing: UnsafeBufferPointer(copy)[0..<bytes.count])
        release = { copy.deallocate() }
        dropPages = nil
    }

    /// Takes ownership of `buffer`; `release` is called once, when this object goes away.
    /// `dropPages` lets a scan hand back the mapped pages of a range it has passed (they are
    /// read again from the page cache if touched), so a streaming pass over a large mapped
    /// file keeps only a window resident.
    public init(unsafeBuffer buffer: UnsafeBufferPointer<UInt8>, release: @escaping () -> Void,
                dropPages: ((Range<Int>) -> Void)? = nil) {
        self.buffer = buffer
        self.release = release
        self.dropPages = dropPages
    }

    /// How far a scan goes between handing pages back: large enough that it costs nothing.
    public static let scanWindow = 8 << 20

    /// Tells the owner a scan has passed `offset`: mapped pages before it (from `since`) are
    /// given back. Nothing happens for bytes held in an array. Returns the new mark.
    @inline(__always)
    public func passed(_ offset: Int, since mark: Int) -> Int {
        guard let dropPages, offset - mark >= FileBytes.scanWindow else { return mark }
        dropPages(mark..<offset)
        return offset
    }

    deinit { release() }

    public var count: Int { buffer.count }
}
