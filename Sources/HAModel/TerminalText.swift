/// Text from files, packets, snapshots and other programs made inert for a terminal: the
/// one place that decides which characters are printed as escapes. Like systemd's
/// utf8_escape_non_printable, it escapes what a terminal would act on and leaves the rest
/// (backslash included) as is, so escaping twice changes nothing.
public enum TerminalText {
    /// `text` with C0 and C1 control characters, DEL, and the invisible characters that
    /// reorder or break lines (bidirectional overrides and isolates, U+2028/U+2029, other
    /// Unicode format characters) written as `\n`, `\x1b`, `\u202e`. From DEL up the
    /// escapes are JSON's, so JSON text escaped stays the same JSON. An escape sequence loses
    /// its ESC (or CSI) and so is only text. `keepingNewlines` leaves line feeds alone: for a
    /// whole report whose lines the renderer made.
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        var text = text
        // Byte runs, not scalars: a whole report (megabytes for 2,000 keepalived instances)
        // passes here, and appending it scalar by scalar cost more than making it. Serves the
        // keepalived text and --json budget (<= 1.0x keepalived -t).
        let escaped: String? = text.withUTF8 { utf8 in
            @inline(__always) func plain(_ byte: UInt8) -> Bool {
                (byte >= 0x20 && byte < 0x7f) || (keepingNewlines && byte == 0x0a)
            }
            // Printable ASCII (the common case) is returned untouched without a copy; found 8
            // bytes at a time (keepalived text budget: the report passes here twice).
            var first = 0
            while first < utf8.count {
                if first + 8 <= utf8.count, printable(UnsafeRawPointer(utf8.baseAddress! + first).loadUnaligned(as: UInt64.self)) {
                    first += 8
                } else if plain(utf8[first]) {
                    first += 1
                } else {
                    break
                }
            }
            guard first < utf8.count else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(utf8.count + 16)
            out.append(contentsOf: utf8[..<first])
            var at = first
            while at < utf8.count {
                let byte = utf8[at]
                if plain(byte) {
                    var end = at + 1
                    while end < utf8.count, plain(utf8[end]) { end += 1 }
                    out.append(contentsOf: utf8[at..<end])
                    at = end
                    continue
                }
                // One scalar, its length from the lead byte (a String's UTF-8 is valid).
                let length = byte < 0x80 ? 1 : byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4
                var value = length == 1 ? UInt32(byte) : UInt32(byte) & (0xff >> UInt32(length + 1))
                for k in 1..<length { value = value << 6 | UInt32(utf8[at + k] & 0x3f) }
                if let scalar = Unicode.Scalar(value), let escape = escape(scalar) {
                    out.append(contentsOf: escape.utf8)
                } else {
                    out.append(contentsOf: utf8[at..<(at + length)])
                }
                at += length
            }
            return String(decoding: out, as: UTF8.self)
        }
        return escaped ?? text
    }

    /// Appends `text` to `bytes` as `escaped(text)` would read: printable ASCII (the common
    /// case) copied straight from the String's storage, with no String made and no generic
    /// append (keepalived text budget, <= 1.0x keepalived -t).
    public static func append(_ text: String, escapedTo bytes: inout [UInt8]) {
        let copied = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard let base = utf8.baseAddress else { return true }
            var at = 0
            while at + 8 <= utf8.count, printable(UnsafeRawPointer(base + at).loadUnaligned(as: UInt64.self)) { at += 8 }
            while at < utf8.count, utf8[at] >= 0x20, utf8[at] < 0x7f { at += 1 }
            guard at == utf8.count else { return false }
            bytes.append(contentsOf: utf8)
            return true
        }
        if copied != true { bytes.append(contentsOf: escaped(text).utf8) }
    }

    /// Whether all 8 bytes are 0x20...0x7e: a byte below 0x20 borrows in `- 0x20`, 0x7f
    /// carries into the high bit in `+ 1`, and a high bit set is not ASCII. A borrow or carry
    /// crosses into the next byte only from a byte that already failed, so the test is exact.
    @inline(__always) static func printable(_ word: UInt64) -> Bool {
        (word | (word &- 0x2020_2020_2020_2020) | (word &+ 0x0101_0101_0101_0101)) & 0x8080_8080_8080_8080 == 0
    }

    /// The escape for one character, or nil when it is printed as itself.
    static func escape(_ scalar: Unicode.Scalar) -> String? {
        let value = scalar.value
        switch value {
        case 0x07: return "\\a"
        case 0x08: return "\\b"
        case 0x09: return "\\t"
        case 0x0a: return "\\n"
        case 0x0b: return "\\v"
        case 0x0c: return "\\f"
        case 0x0d: return "\\r"
        case 0x00..<0x20: return "\\x" + hex(value, digits: 2)
        case 0x20..<0x7f: return nil
        // DEL and above as JSON writes them, so escaping JSON text keeps it JSON.
        case 0x7f..<0xa0: return "\\u" + hex(value, digits: 4)
        default:
            switch scalar.properties.generalCategory {
            // Format characters (bidi marks, overrides and isolates, zero-width and BOM),
            // line and paragraph separators, and unassigned code points a terminal may draw
            // as anything.
            case .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate:
                return String(scalar).utf16.map { "\\u" + hex(UInt32($0), digits: 4) }.joined()
            default:
                return nil
            }
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
