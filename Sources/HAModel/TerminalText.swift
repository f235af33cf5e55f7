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
        // Printable ASCII (the common case, kept line feeds included) is returned untouched
        // without a copy: a report is megabytes (vrrp --read budget).
        guard text.utf8.contains(where: { ($0 < 0x20 && !(keepingNewlines && $0 == 0x0a)) || $0 >= 0x7f }) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            if keepingNewlines, scalar == "\n" {
                out.unicodeScalars.append(scalar)
            } else if let escape = escape(scalar) {
                out += escape
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
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
