/// RFC 3339 times in UTC from seconds since the epoch and back, by Howard Hinnant's
/// civil-date algorithms: no C-library time zone is consulted, and capture times, process
/// start times and snapshot times are all written the same way.
public enum UTCTime {
    /// "2026-11-25T06:22:50Z"; with `nanoseconds`, nine fraction digits ("...50.123456789Z").
    public static func format(seconds: Int64, nanoseconds: Int64? = nil) -> String {
        var days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = seconds - days * 86400
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        // Written into one buffer: building it from padded pieces cost 4,000 instructions a
        // time, and a census prints two per event and sender (vrrp --read budget).
        return String(unsafeUninitializedCapacity: 96) { text in
            var count = 0
            /// `value` in decimal, zeros before it (a minus sign included) up to `width` characters.
            func pad(_ value: Int64, _ width: Int) {
                var digits: (UInt64, Int) = (value.magnitude, 0)
                var length = value < 0 ? 1 : 0
                repeat { digits.1 += 1; length += 1; digits.0 /= 10 } while digits.0 > 0
                for _ in 0..<max(0, width - length) { text[count] = UInt8(ascii: "0"); count += 1 }
                if value < 0 { text[count] = UInt8(ascii: "-"); count += 1 }
                var magnitude = value.magnitude
                for place in stride(from: count + digits.1 - 1, through: count, by: -1) {
                    text[place] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                    magnitude /= 10
                }
                count += digits.1
            }
            func put(_ character: Unicode.Scalar) { text[count] = UInt8(ascii: character); count += 1 }
            pad(year, 4); put("-"); pad(month, 2); put("-"); pad(day, 2); put("T")
            pad(secondOfDay / 3600, 2); put(":"); pad(secondOfDay / 60 % 60, 2); put(":"); pad(secondOfDay % 60, 2)
            if let nanoseconds { put("."); pad(nanoseconds, 9) }
            put("Z")
            return count
        }
    }

    /// Reads what `format` writes (UTC, "Z", up to nine fraction digits); nil for anything else.
    public static func parse(_ text: String) -> (seconds: Int64, nanoseconds: Int64)? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.count <= 30, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        let separators: [(Int, UInt8)] = [(4, UInt8(ascii: "-")), (7, UInt8(ascii: "-")), (10, UInt8(ascii: "T")),
                                          (13, UInt8(ascii: ":")), (16, UInt8(ascii: ":"))]
        guard separators.allSatisfy({ bytes[$0.0] == $0.1 }),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var fraction: Int64 = 0
        if bytes.count > 20 {
            let digits = bytes.count - 21
            guard bytes[19] == UInt8(ascii: "."), (1...9).contains(digits), let value = number(20..<(bytes.count - 1)) else { return nil }
            fraction = value
            for _ in digits..<9 { fraction *= 10 }
        } else if bytes[19] != UInt8(ascii: "Z") {
            return nil
        }
        // Days since 1970-01-01 from the civil date (the inverse of `format`).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return (days * 86400 + hour * 3600 + minute * 60 + second, fraction)
    }
}
