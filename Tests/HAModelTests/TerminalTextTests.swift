@testable import HAModel
import LabSupport
import Testing

@Suite struct TerminalTextTests {
    @Test("control characters, DEL, C1, escape sequences and bidi overrides come out as escapes")
    func hostileCharacters() {
        #expect(TerminalText.escaped("a\nb\tc\r\u{7}") == #"a\nb\tc\r\a"#)
        #expect(TerminalText.escaped("\u{1b}[31mred\u{1b}[0m") == #"\x1b[31mred\x1b[0m"#)
        #expect(TerminalText.escaped("\u{0}\u{1}\u{7f}") == #"\x00\x01\u007f"#)
        #expect(TerminalText.escaped("\u{9b}31m") == #"\u009b31m"#)
        #expect(TerminalText.escaped("\u{202e}gnp.exe") == #"\u202egnp.exe"#)
        #expect(TerminalText.escaped("\u{2066}x\u{2069}\u{200f}\u{2028}\u{feff}") == #"\u2066x\u2069\u200f\u2028\ufeff"#)
        // Tag characters (invisible, astral) as JSON would write them: a surrogate pair.
        #expect(TerminalText.escaped("\u{e0041}") == #"\udb40\udc41"#)
    }

    @Test("printable text, non-Latin names and emoji are untouched; escaping twice changes nothing")
    func benignText() {
        for text in ["prod-db-internal.panda.com", "bücher.example", "пример.рф", "例え.テスト", "a\\nb", "🙂"] {
            #expect(TerminalText.escaped(text) == text)
        }
        let once = TerminalText.escaped("x\n\u{1b}]0;t\u{7}\u{202e}")
        #expect(TerminalText.escaped(once) == once)
    }

    @Test("random text (ASCII runs, controls, line feeds, 2-, 3- and 4-byte scalars, format characters) escapes as scalar by scalar")
    func runsEqualScalars() {
        let seed: UInt64 = 14
        var random = SeededRandom(seed: seed)
        let pieces = ["abc", "x", " ", "\n", "\r", "\t", "\u{0}", "\u{1b}", "\u{7f}", "\u{85}", "\u{9b}", "é", "ü", "例", "\u{202e}",
                      "\u{2028}", "\u{feff}", "🙂", "\u{e0041}", "\u{10ffff}", "\u{e000}", "\u{378}", "\\", "\""]
        for _ in 0..<3_000 {
            let text = (0..<random.below(30)).map { _ in random.pick(pieces) }.joined()
            for keeping in [false, true] {
                var expected = ""
                for scalar in text.unicodeScalars {
                    if keeping, scalar == "\n" { expected.unicodeScalars.append(scalar) } else if let escape = TerminalText.escape(scalar) { expected += escape } else { expected.unicodeScalars.append(scalar) }
                }
                #expect(TerminalText.escaped(text, keepingNewlines: keeping) == expected, "seed \(seed): \(Array(text.unicodeScalars.map(\.value)))")
            }
        }
    }

    @Test("a line appended piece by piece as bytes reads as the whole line escaped")
    func appendedPiecesEqualEscapedLine() {
        var random = SeededGenerator.forTest()
        // Short and long pieces, so both the word-at-a-time scan and small strings are crossed.
        let pieces = ["abc", "x", " ", "virtual_ipaddress ", "/etc/keepalived/conf.d/0.conf", "\n", "\t", "\u{0}", "\u{1b}[31m",
                      "\u{7f}", "\u{9b}", "é", "例", "\u{202e}", "\u{2028}", "🙂", "\u{e0041}", "\\", "\"", ""]
        for _ in 0..<2_000 {
            let parts = (0..<random.below(8)).map { _ in (0..<random.below(5)).map { _ in pieces[random.below(pieces.count)] }.joined() }
            var bytes: [UInt8] = []
            for part in parts { TerminalText.append(part, escapedTo: &bytes) }
            #expect(String(decoding: bytes, as: UTF8.self) == TerminalText.escaped(parts.joined()), "\(random.label): \(parts)")
        }
    }

    @Test("a whole report keeps its own line feeds and loses everything else")
    func keepingNewlines() {
        #expect(TerminalText.escaped("a\u{1b}\nb\r\n", keepingNewlines: true) == "a\\x1b\nb\\r\n")
    }
}

@Suite struct DurationTextTests {
    @Test("durations in every unit the help names", arguments: [
        ("500ms", 0.5), ("2.5s", 2.5), ("1m", 60), ("1h", 3600), ("7", 7), ("0.1", 0.1), ("24h", 86_400), ("100ms", 0.1),
    ])
    func accepted(_ text: String, _ seconds: Double) throws {
        #expect(try DurationText.seconds(text, option: "--listen", within: DurationText.listen) == seconds)
    }

    @Test("negative, zero, NaN, infinite, tiny, over a day and garbage are refused naming the option and range", arguments: [
        "-5", "0", "0s", "nan", "inf", "1e-9", "1e3", "0x10", "25h", "86401", "1441m", "", "s", ".", "1.2.3", "5 s", "5d", "99ms",
    ])
    func refused(_ text: String) {
        let error = #expect(throws: HAError.self) { try DurationText.seconds(text, option: "--listen", within: DurationText.listen) }
        #expect(error?.kind == .usage)
        #expect(error?.message.hasPrefix("--listen ") == true)
        #expect(error?.message.contains("from 100ms to 24h") == true)
    }

    @Test("bounds are said in the largest exact unit")
    func format() {
        #expect(DurationText.format(0.1) == "100ms")
        #expect(DurationText.format(2.5) == "2.5s")
        #expect(DurationText.format(30) == "30s")
        #expect(DurationText.format(120) == "2m")
        #expect(DurationText.format(86_400) == "24h")
    }
}
