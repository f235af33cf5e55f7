import HAModel

/// Splits one configuration line into words the way haproxy 2.6's parse_line does with the
/// options its config reader passes: `#` comments, double quotes (with `$VAR`/`${VAR}`
/// expansion inside), single quotes (verbatim), backslash escapes, `${VAR[*]}` word
/// splitting and `${VAR-default}`. A line is cut at the first CR or LF.
struct HAProxyWords {
    /// haproxy's MAX_LINE_ARGS: the 64th separator on a line is an error.
    static let maximumWords = 64

    var environment: [String: String]
    var file: String
    var line: Int
    var section: String?

    func split(_ bytes: ArraySlice<UInt8>) throws(HAError) -> [String] {
        var words: [[UInt8]] = [[]]
        var inDouble = false
        var inSingle = false
        var quoteAt = 0
        var index = bytes.startIndex
        let end = bytes.endIndex
        func at(_ i: Int) -> UInt8 { i < end ? bytes[i] : 0 }
        func position(_ i: Int) -> Int { i - bytes.startIndex + 1 }
        func newWord() throws(HAError) {
            words.append([])
            if words.count > HAProxyWords.maximumWords {
                throw HAError(.dataError, "too many words on one line: haproxy accepts at most \(HAProxyWords.maximumWords - 1) word separators", file: file, line: line)
            }
        }

        while index < end {
            let byte = bytes[index]
            switch byte {
            case 0, 0x0a, 0x0d:
                index = end
            case UInt8(ascii: "#") where !inSingle && !inDouble:
                index = end
            case UInt8(ascii: "\"") where !inSingle:
                inDouble.toggle()
                quoteAt = index
                index += 1
            case UInt8(ascii: "'") where !inDouble:
                inSingle.toggle()
                quoteAt = index
                index += 1
            case UInt8(ascii: "\\") where !inSingle:
                let next = at(index + 1)
                switch next {
                case UInt8(ascii: " "), UInt8(ascii: "\\"), UInt8(ascii: "#"), UInt8(ascii: "'"), UInt8(ascii: "\""):
                    words[words.count - 1].append(next)
                    index += 2
                case UInt8(ascii: "t"): words[words.count - 1].append(0x09); index += 2
                case UInt8(ascii: "n"): words[words.count - 1].append(0x0a); index += 2
                case UInt8(ascii: "r"): words[words.count - 1].append(0x0d); index += 2
                case UInt8(ascii: "$") where inDouble:
                    words[words.count - 1].append(next)
                    index += 2
                case UInt8(ascii: "x"):
                    guard let high = HAProxyWords.hex(at(index + 2)), let low = HAProxyWords.hex(at(index + 3)) else {
                        throw HAError(.dataError, "truncated or invalid hexadecimal sequence at position \(position(index)): \\x needs two hex digits", file: file, line: line)
                    }
                    words[words.count - 1].append(high << 4 | low)
                    index += 4
                default:
                    // Not an escape sequence: the backslash stays, the next byte is read normally.
                    words[words.count - 1].append(byte)
                    index += 1
                }
            case let space where HAProxyWords.isSpace(space) && !inSingle && !inDouble:
                while index < end, HAProxyWords.isSpace(bytes[index]) { index += 1 }
                try newWord()
            case UInt8(ascii: "$") where inDouble:
                let (next, pieces) = try expand(bytes, from: index + 1)
                for (position, piece) in pieces.enumerated() {
                    if position > 0 { try newWord() }
                    words[words.count - 1] += piece
                }
                index = next
            default:
                words[words.count - 1].append(byte)
                index += 1
            }
        }
        if inSingle || inDouble {
            throw HAError(.dataError, "unmatched quote at position \(position(quoteAt)): close the \(inSingle ? "single" : "double") quote", file: file, line: line)
        }
        return words.map { String(decoding: $0, as: UTF8.self) }
    }

    /// One `$NAME`, `${NAME}`, `${NAME-default}` or `${NAME[*]}` inside double quotes, from
    /// the byte after `$`; returns where reading goes on and the value, in pieces when
    /// `[*]` splits it into words.
    private func expand(_ bytes: ArraySlice<UInt8>, from start: Int) throws(HAError) -> (Int, [[UInt8]]) {
        let end = bytes.endIndex
        func at(_ i: Int) -> UInt8 { i < end ? bytes[i] : 0 }
        var index = start
        let braced = at(index) == UInt8(ascii: "{")
        let braceAt = index
        if braced { index += 1 }
        let first = at(index)
        guard HAProxyWords.isAlpha(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: ".") else {
            throw HAError(.dataError, "forbidden first character in environment variable name at position \(index - bytes.startIndex + 1): a name starts with a letter, '_' or '.'", file: file, line: line)
        }
        let nameStart = index
        if first == UInt8(ascii: ".") { index += 1 }
        while HAProxyWords.isAlnum(at(index)) || at(index) == UInt8(ascii: "_") { index += 1 }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        var value: String?
        if name.hasPrefix(".") {
            switch name {
            case ".LINE": value = String(line)
            case ".FILE": value = file
            case ".SECTION": value = section
            default:
                throw HAError(.dataError, "unsupported internal variable '\(name)': haproxy knows .LINE, .FILE and .SECTION", file: file, line: line)
            }
        } else {
            value = environment[name]
        }
        var splitWords = false
        if braced, at(index) == UInt8(ascii: "[") {
            guard at(index + 1) == UInt8(ascii: "*"), at(index + 2) == UInt8(ascii: "]") else {
                throw HAError(.dataError, "truncated or invalid word expansion sequence in '${\(name)[...]}': only [*] is allowed", file: file, line: line)
            }
            splitWords = true
            index += 3
        }
        if braced {
            if at(index) == UInt8(ascii: "-") {
                let defaultStart = index + 1
                while index < end, bytes[index] != UInt8(ascii: "}") { index += 1 }
                guard index < end else {
                    throw HAError(.dataError, "unmatched brace in environment variable name at position \(braceAt - bytes.startIndex + 1)", file: file, line: line)
                }
                if value == nil { value = String(decoding: bytes[defaultStart..<index], as: UTF8.self) }
            } else if at(index) != UInt8(ascii: "}") {
                throw HAError(.dataError, "unmatched brace in environment variable name at position \(braceAt - bytes.startIndex + 1)", file: file, line: line)
            }
            index += 1
        }
        var pieces: [[UInt8]] = [[]]
        var utf8 = Array((value ?? "").utf8)[...]
        while let byte = utf8.first {
            if splitWords, HAProxyWords.isSpace(byte) {
                pieces.append([])
                while let next = utf8.first, HAProxyWords.isSpace(next) { utf8 = utf8.dropFirst() }
            } else {
                pieces[pieces.count - 1].append(byte)
                utf8 = utf8.dropFirst()
            }
        }
        return (index, pieces)
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0d).contains(byte) }
    static func isAlpha(_ byte: UInt8) -> Bool { (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) }
    static func isAlnum(_ byte: UInt8) -> Bool { isAlpha(byte) || (0x30...0x39).contains(byte) }
    static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    /// `$NAME` and `${NAME}` in an address, as haproxy's env_expand does (outside quotes too).
    static func expandAddress(_ text: String, environment: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var result: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "$") else { result.append(bytes[index]); index += 1; continue }
            var cursor = index + 1
            let braced = cursor < bytes.count && bytes[cursor] == UInt8(ascii: "{")
            if braced { cursor += 1 }
            let nameStart = cursor
            while cursor < bytes.count, isAlnum(bytes[cursor]) || bytes[cursor] == UInt8(ascii: "_") { cursor += 1 }
            let name = String(decoding: bytes[nameStart..<cursor], as: UTF8.self)
            if braced, cursor < bytes.count, bytes[cursor] == UInt8(ascii: "}") { cursor += 1 }
            result += Array((environment[name] ?? "").utf8)
            index = cursor
        }
        return String(decoding: result, as: UTF8.self)
    }
}
