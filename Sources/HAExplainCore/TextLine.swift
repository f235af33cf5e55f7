import HAModel

/// A line of report text built by string interpolation straight into UTF-8 bytes. A report
/// of 2,000 vrrp_instances interpolates half a million pieces; String's own interpolation
/// spends hundreds of instructions on each, this a copy.
struct TextLine: ExpressibleByStringInterpolation {
    var bytes: [UInt8]

    init(stringLiteral literal: StaticString) {
        bytes = Array(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    init(stringInterpolation: StringInterpolation) { bytes = stringInterpolation.bytes }

    static func += (line: inout TextLine, more: TextLine) { line.bytes += more.bytes }

    struct StringInterpolation: StringInterpolationProtocol {
        var bytes: [UInt8] = []

        init(literalCapacity: Int, interpolationCount: Int) {
            bytes.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: StaticString) {
            bytes.append(contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }

        /// Interpolated text is the report's facts, never its layout: escaped for the terminal.
        mutating func appendInterpolation(_ text: String) {
            var text = TerminalText.escaped(text)
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }

        mutating func appendInterpolation(_ line: TextLine) { bytes += line.bytes }

        mutating func appendInterpolation(_ value: Int) {
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            // Digits from the last, into a 20-byte scratch on the stack.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
                var magnitude = value.magnitude
                var start = scratch.count
                repeat {
                    start -= 1
                    scratch[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: scratch[start...]))
            }
        }

        mutating func appendInterpolation(_ value: some CustomStringConvertible) {
            appendInterpolation(value.description)
        }
    }
}

/// Report lines appended into one byte buffer, made a String once at the end.
struct TextLines {
    private var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func append(_ line: TextLine) {
        bytes += line.bytes
        bytes.append(UInt8(ascii: "\n"))
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
