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
    /// The keyed container last made at each depth (index as in `open`) and the type of its keys.
    // A container is only (stream, depth), so one made at the same depth with the same keys is
    // reused: a new one costs a box and two generic metadata lookups (addr --json <= 1.0x ip -j).
    @exclusivity(unchecked) private var keyed: UnsafeMutablePointer<(keys: ObjectIdentifier, container: AnyObject)?>

    private struct Container {
        var kind: Kind
        var members = 0
    }

    private enum Kind {
        case object, array
        /// A value owed by a `superEncoder`, not written yet (`{}` if it never is).
        case owed
    }

    /// The text each one-byte key has been written as, with its colon (see `member(of:key:)`).
    @exclusivity(unchecked) private var keyTexts = KeyTexts()

    init(pretty: Bool, sink: ((UnsafeBufferPointer<UInt8>) -> Void)?) {
        self.pretty = pretty
        self.sink = sink
        // Streaming flushes at `chunk`, so twice that rarely regrows.
        capacity = 2 * JSONStream.chunk
        base = .allocate(capacity: capacity)
        open = .allocate(capacity: openCapacity)
        keyed = .allocate(capacity: openCapacity)
        keyed.initialize(repeating: nil, count: openCapacity)
    }

    deinit {
        keyTexts.release()
        base.deallocate()
        open.deallocate()
        keyed.deinitialize(count: openCapacity)
        keyed.deallocate()
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
        // The containers kept for reuse hold this stream: let them go, or neither is ever freed.
        defer { keyed.update(repeating: nil, count: openCapacity) }
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
            let largerKeyed = UnsafeMutablePointer<(keys: ObjectIdentifier, container: AnyObject)?>.allocate(capacity: 2 * openCapacity)
            largerKeyed.moveInitialize(from: keyed, count: openCapacity)
            (largerKeyed + openCapacity).initialize(repeating: nil, count: openCapacity)
            keyed.deallocate()
            keyed = largerKeyed
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

    /// Opens an object at `depth` and hands out its keyed container.
    func keyedContainer<Key: CodingKey>(_ keys: Key.Type, depth: Int) -> KeyedEncodingContainer<Key> {
        openContainer(object: true, depth: depth)
        // KeyedEncodingContainer is one reference to its box, whatever `Key` is; unsafeBitCast
        // checks that the sizes agree.
        if let last = keyed[depth], last.keys == ObjectIdentifier(keys) {
            return unsafeBitCast(last.container, to: KeyedEncodingContainer<Key>.self)
        }
        let container = KeyedEncodingContainer(KeyedStream<Key>(stream: self, depth: depth))
        keyed[depth] = (ObjectIdentifier(keys), unsafeBitCast(container, to: AnyObject.self))
        return container
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
        if let key { writeKey(key) }
    }

    /// Starts the next member of the object at `depth` with `key`. A key of at most one byte
    /// (a CodingKeys enum's case) is looked up by its type and value and its text copied: asking
    /// it for its string, and checking that string for escapes, cost more than the rest of a member.
    /// A key's string follows from its value, so the one byte is all there is to look up by.
    // Keys are about half of what an object's members cost (addr --json <= 1.0x ip -j).
    @inline(__always)
    func member<Key: CodingKey>(of depth: Int, key: Key) {
        member(of: depth, key: nil)
        guard MemoryLayout<Key>.size <= 1 else { return writeKey(key.stringValue) }
        let value = MemoryLayout<Key>.size == 0 ? 0 : unsafeBitCast(key, to: UInt8.self)
        if let known = keyTexts.find(ObjectIdentifier(Key.self), value) { return putWords(known) }
        let start = count
        writeKey(key.stringValue)
        keyTexts.insert(ObjectIdentifier(Key.self), value, UnsafeBufferPointer(start: base + start, count: count - start))
    }

    private func writeKey(_ key: String) {
        quote(key)
        if pretty { put(UInt8(ascii: ":")); put(0x20) } else { put(UInt8(ascii: ":")) }
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

    /// `put` for short texts: whole words, the last ending at the last byte, instead of a memcpy call.
    @inline(__always)
    private func putWords(_ text: UnsafeBufferPointer<UInt8>) {
        let length = text.count
        guard let start = text.baseAddress, length >= 4 else { return put(text) }
        if capacity - count < length { grow(length) }
        let from = UnsafeRawPointer(start), to = UnsafeMutableRawPointer(base + count)
        if length >= 8 {
            var offset = 0
            while offset < length - 8 {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: offset, as: UInt64.self), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self), toByteOffset: length - 8, as: UInt64.self)
        } else {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self), toByteOffset: length - 4, as: UInt32.self)
        }
        count += length
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

/// Written keys by (key type, the key's one byte): where their text, quote marks and colon
/// included, lies in an arena. An open-addressed table that stops taking keys when three
/// quarters full; a key not taken is written as any other string.
private struct KeyTexts {
    private struct Slot {
        var type: ObjectIdentifier?
        var start: UInt32 = 0
        var count: UInt16 = 0
        var value: UInt8 = 0
    }

    private static let capacity = 512
    private var slots: UnsafeMutablePointer<Slot>?
    private var used = 0
    private var arena: UnsafeMutablePointer<UInt8>?
    private var arenaCount = 0
    private var arenaCapacity = 0

    private static func index(_ type: ObjectIdentifier, _ value: UInt8) -> Int {
        let hash = (UInt(bitPattern: type) ^ UInt(value) &* 0x9E37_79B9) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: hash >> 55)
    }

    @inline(__always)
    func find(_ type: ObjectIdentifier, _ value: UInt8) -> UnsafeBufferPointer<UInt8>? {
        guard let slots, let arena else { return nil }
        var i = KeyTexts.index(type, value)
        while let occupant = slots[i].type {
            if occupant == type, slots[i].value == value {
                return UnsafeBufferPointer(start: arena + Int(slots[i].start), count: Int(slots[i].count))
            }
            i = (i + 1) & (KeyTexts.capacity - 1)
        }
        return nil
    }

    mutating func insert(_ type: ObjectIdentifier, _ value: UInt8, _ text: UnsafeBufferPointer<UInt8>) {
        guard used < KeyTexts.capacity * 3 / 4, let source = text.baseAddress, text.count <= Int(UInt16.max),
              arenaCount + text.count <= Int(UInt32.max) else { return }
        let slots = self.slots ?? {
            let slots = UnsafeMutablePointer<Slot>.allocate(capacity: KeyTexts.capacity)
            slots.initialize(repeating: Slot(), count: KeyTexts.capacity)
            self.slots = slots
            return slots
        }()
        if arenaCapacity - arenaCount < text.count {
            arenaCapacity = max(2 * arenaCapacity, arenaCount + text.count, 4096)
            let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: arenaCapacity)
            if let arena { larger.update(from: arena, count: arenaCount); arena.deallocate() }
            arena = larger
        }
        (arena! + arenaCount).update(from: source, count: text.count)
        var i = KeyTexts.index(type, value)
        while slots[i].type != nil { i = (i + 1) & (KeyTexts.capacity - 1) }
        slots[i] = Slot(type: type, start: UInt32(arenaCount), count: UInt16(text.count), value: value)
        arenaCount += text.count
        used += 1
    }

    func release() {
        slots?.deallocate()
        arena?.deallocate()
    }
}
