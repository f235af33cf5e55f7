/// One document being written: the output buffer and the containers open in it.
///
/// Codable encodes depth first, so a container is finished once anything is written to a
/// container around it; each container remembers its depth, and a write at depth `d` first
/// closes whatever is open deeper. That is all the bookkeeping a streaming encoder needs:
/// no tree, no second pass.
final class JSONStream {
    // Only this single-threaded writer touches these; dynamic exclusivity checks on every
    // append would cost more than the append (addr --json and keepalived --json budgets).
    @exclusivity(unchecked) private var base: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var capacity: Int
    @exclusivity(unchecked) private var count = 0
    /// Bytes already handed to the sink.
    @exclusivity(unchecked) private var flushed = 0
    let pretty: Bool
    private let sink: ((UnsafeBufferPointer<UInt8>) -> Void)?
    private static let chunk = 1 << 16

    /// The open containers, outermost first; the one at index `d` holds values of depth `d + 1`.
    // A pointer stack, not an Array: no uniqueness check on each member counted (addr --json budget).
    @exclusivity(unchecked) private var open: UnsafeMutablePointer<Container>
    @exclusivity(unchecked) private var openCount = 0
    @exclusivity(unchecked) private var openCapacity = 16

    private struct Container {
        var kind: Kind
        var members = 0
    }

    private enum Kind {
        case object, array
        /// A value owed by a `superEncoder`, not written yet (`{}` if it never is).
        case owed
    }

    init(pretty: Bool, sink: ((UnsafeBufferPointer<UInt8>) -> Void)?) {
        self.pretty = pretty
        self.sink = sink
        // Streaming flushes at `chunk`, so twice that rarely regrows.
        capacity = 2 * JSONStream.chunk
        base = .allocate(capacity: capacity)
        open = .allocate(capacity: openCapacity)
    }

    deinit {
        base.deallocate()
        open.deallocate()
    }

    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
    var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// Everything written so far, handed over or not.
    private var written: Int { flushed + count }

    func flush() {
        guard let sink, count > 0 else { return }
        sink(UnsafeBufferPointer(start: base, count: count))
        flushed += count
        count = 0
    }

    func document<T: Encodable>(_ value: T) throws {
        try encode(value, depth: 0)
    }

    // MARK: containers

    /// Closes every container deeper than the one at `depth`, so the next write lands in it.
    @inline(__always)
    private func closeDeeper(than depth: Int) {
        while openCount > depth + 1 { closeInnermost() }
    }

    private func push(_ container: Container) {
        if openCount == openCapacity {
            let larger = UnsafeMutablePointer<Container>.allocate(capacity: 2 * openCapacity)
            larger.moveInitialize(from: open, count: openCount)
            open.deallocate()
            open = larger
            openCapacity *= 2
        }
        (open + openCount).initialize(to: container)
        openCount += 1
    }

    private func closeInnermost() {
        openCount -= 1
        let container = open[openCount]
        switch container.kind {
        case .object, .array:
            if container.members > 0 { newline(openCount) }
            put(container.kind == .object ? UInt8(ascii: "}") : UInt8(ascii: "]"))
        case .owed: append("{}")
        }
    }

    /// Opens (or, asked again by the same value, reopens) an object or array at `depth`.
    func openContainer(object: Bool, depth: Int) {
        closeDeeper(than: depth)
        if openCount == depth + 1 {
            guard open[depth].kind == .owed else { return }
            open[depth].kind = object ? .object : .array
        } else {
            push(Container(kind: object ? .object : .array))
        }
        put(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
    }

    /// Starts the next member of the container at `depth`: a comma after the first, the
    /// indentation, and the key for an object.
    @inline(__always)
    func member(of depth: Int, key: String?) {
        closeDeeper(than: depth)
        if sink != nil, count >= JSONStream.chunk { flush() }
        if open[depth].members > 0 { put(UInt8(ascii: ",")) }
        open[depth].members += 1
        newline(depth + 1)
        if let key {
            quote(key)
            if pretty { put(UInt8(ascii: ":")); put(0x20) } else { put(UInt8(ascii: ":")) }
        }
    }

    /// A `superEncoder`'s place in the container at `depth`: its key now, its value later.
    func owe(in depth: Int, key: String?) {
        member(of: depth, key: key)
        push(Container(kind: .owed))
    }

    /// Before a single value at `depth`: the value a `superEncoder` owes there is this one.
    @inline(__always)
    func singleValue(at depth: Int) {
        guard openCount > depth else { return }
        closeDeeper(than: depth)
        if open[depth].kind == .owed { openCount -= 1 }
    }

    // MARK: values

    /// Writes `value` at `depth`; a type that encodes nothing at all is an empty object.
    func encode<T: Encodable>(_ value: T, depth: Int) throws {
        // Metatype comparisons, then a cast known to succeed: a failed dynamic cast costs
        // dozens of instructions, and most values (structs, arrays) would fail all of them.
        let type = T.self
        if type == String.self { return quote(unsafeBitCast(value, to: String.self)) }
        if type == Bool.self { return bool(unsafeBitCast(value, to: Bool.self)) }
        if type == Int.self { return signed(Int64(unsafeBitCast(value, to: Int.self))) }
        if type == UInt32.self { return digits(UInt64(unsafeBitCast(value, to: UInt32.self))) }
        if type == Double.self { return try double(unsafeBitCast(value, to: Double.self)) }
        let before = written
        try value.encode(to: ValueEncoder(stream: self, depth: depth))
        while openCount > depth { closeInnermost() }
        if written == before { append("{}") }
    }

    func null() { append("null") }

    func bool(_ value: Bool) { append(value ? "true" : "false") }

    func signed(_ value: Int64) {
        if value < 0 { put(UInt8(ascii: "-")) }
        digits(value.magnitude)
    }

    /// Integral values below 10^15 as integers (durations in whole seconds read `2`, not
    /// `2.0`), others as Swift prints them; JSON has no NaN or infinity.
    func double(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "JSON has no NaN or infinity"))
        }
        if value == value.rounded(), abs(value) < 1e15 { return signed(Int64(value)) }
        var text = String(value)
        text.withUTF8 { put($0) }
    }

    // MARK: bytes

    @inline(never)
    private func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity - count < needed { newCapacity *= 2 }
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    private func put(_ byte: UInt8) {
        if count == capacity { grow(1) }
        base[count] = byte
        count += 1
    }

    @inline(__always)
    private func put(_ buffer: UnsafeBufferPointer<UInt8>) {
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        if capacity - count < buffer.count { grow(buffer.count) }
        (base + count).update(from: source, count: buffer.count)
        count += buffer.count
    }

    @inline(__always)
    private func append(_ text: StaticString) {
        put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    @inline(__always)
    private func newline(_ depth: Int) {
        guard pretty else { return }
        let needed = 1 + 2 * depth
        if capacity - count < needed { grow(needed) }
        base[count] = UInt8(ascii: "\n")
        (base + count + 1).initialize(repeating: 0x20, count: 2 * depth)
        count += needed
    }

    /// "00" to "99", so each division by 100 writes two digits.
    // A literal, not a lazy global checked on each number written (addr --json budget).
    private static var pairs: UnsafePointer<UInt8> {
        let text: StaticString = """
            0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899
            """
        return text.utf8Start
    }

    func digits(_ value: UInt64) {
        if value < 10 { put(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)); return }
        var length = 2
        var limit: UInt64 = 100
        while length < 20, value >= limit { length += 1; limit &*= 10 }
        if capacity - count < length { grow(length) }
        // Written from the last digit back, straight into the buffer.
        let pairs = JSONStream.pairs
        var rest = value
        var i = count + length
        while rest >= 100 {
            let pair = Int(truncatingIfNeeded: rest % 100) &* 2
            rest /= 100
            i -= 2
            base[i] = pairs[pair]
            base[i + 1] = pairs[pair + 1]
        }
        if rest >= 10 {
            base[i - 2] = pairs[Int(truncatingIfNeeded: rest) &* 2]
            base[i - 1] = pairs[Int(truncatingIfNeeded: rest) &* 2 + 1]
        } else {
            base[i - 1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest)
        }
        count += length
    }

    /// True when some byte of the eight in `word` is a quote, a backslash or below 0x20
    /// (the bytes JSON escapes), by the usual SWAR zero-byte test on each condition.
    @inline(__always)
    private static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5c)
        let hasQuote = (quote &- ones) & ~quote & highs
        let hasBackslash = (backslash &- ones) & ~backslash & highs
        // Below 0x20: subtracting 0x20 borrows into the high bit, for bytes that had it clear.
        let hasControl = (word &- ones &* 0x20) & ~word & highs
        return hasQuote | hasBackslash | hasControl != 0
    }

    /// The one place JSON strings are escaped: a quote, a backslash and the C0 controls
    /// (`\n`, `\r`, `\t`, else `\u00XX`); everything else is the string's own UTF-8. What a
    /// terminal must not see is escaped where text reaches it (`TerminalText`).
    func quote(_ text: String) {
        // Borrowed where it lies (native strings are contiguous), not copied, retained and released (addr --json budget).
        if text.utf8.withContiguousStorageIfAvailable({ quote(utf8: $0) }) == nil { quoteCopy(text) }
    }

    @inline(never)
    private func quoteCopy(_ text: String) {
        var text = text
        text.withUTF8 { quote(utf8: $0) }
    }

    @inline(__always)
    private func quote(utf8: UnsafeBufferPointer<UInt8>) {
        let length = utf8.count
        if capacity - count < length + 2 { grow(length + 2) }
        // Almost every string needs no escaping: copied and checked a word at a time, then quoted.
        if let start = utf8.baseAddress, JSONStream.copyUnlessEscaped(start, length, to: base + count + 1) {
            base[count] = UInt8(ascii: "\"")
            base[count + length + 1] = UInt8(ascii: "\"")
            count += length + 2
        } else {
            escape(utf8)
        }
    }

    /// Copies `length` bytes from `source` to `target` in whole words (the last one ending at the
    /// last byte, overlapping the one before), unless one of them needs escaping: then false,
    /// with `target` partly written.
    // No memcpy call and no byte loop per string (addr --json and keepalived --json budgets).
    @inline(__always)
    private static func copyUnlessEscaped(_ source: UnsafePointer<UInt8>, _ length: Int, to target: UnsafeMutablePointer<UInt8>) -> Bool {
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(target)
        if length >= 8 {
            var offset = 0
            while true {
                if offset > length - 8 { offset = length - 8 }
                let word = from.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                if needsEscape(word) { return false }
                to.storeBytes(of: word, toByteOffset: offset, as: UInt64.self)
                if offset == length - 8 { return true }
                offset += 8
            }
        }
        if length >= 4 {
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)
            if needsEscape(UInt64(head) | UInt64(tail) << 32) { return false }
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: length - 4, as: UInt32.self)
            return true
        }
        for i in 0..<length {
            let byte = source[i]
            if byte == 0x22 || byte == 0x5c || byte < 0x20 { return false }
            target[i] = byte
        }
        return true
    }

    private func escape(_ utf8: UnsafeBufferPointer<UInt8>) {
        put(UInt8(ascii: "\""))
        var plainStart = 0
        for i in 0..<utf8.count {
            let byte = utf8[i]
            guard byte == 0x22 || byte == 0x5c || byte < 0x20 else { continue }
            put(UnsafeBufferPointer(rebasing: utf8[plainStart..<i]))
            switch byte {
            case 0x22: append("\\\"")
            case 0x5c: append("\\\\")
            case 0x0a: append("\\n")
            case 0x0d: append("\\r")
            case 0x09: append("\\t")
            default:
                let hex: StaticString = "0123456789abcdef"
                append("\\u00")
                put(hex.utf8Start[Int(byte >> 4)])
                put(hex.utf8Start[Int(byte & 0xf)])
            }
            plainStart = i + 1
        }
        put(UnsafeBufferPointer(rebasing: utf8[plainStart..<utf8.count]))
        put(UInt8(ascii: "\""))
    }
}
