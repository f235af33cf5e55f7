import HAModel
import LabSupport

/// Any JSON document, encoded through every kind of container Codable offers (nested
/// containers, super encoders, single values wrapping values, values that encode nothing).
indirect enum AnyDocument: Encodable {
    case string(String), int(Int), uint(UInt64), double(Double), bool(Bool), null
    case small(Int8, UInt8, Int16, UInt16, Int32, Float)
    /// A value whose `encode(to:)` writes nothing: an empty object.
    case nothing
    case wrapped(AnyDocument)
    case object([(key: String, value: AnyDocument, how: How)])
    case array([(value: AnyDocument, how: How)])

    enum How { case plain, nested, superEncoder, optionalNil }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static let alphabet: [String] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1f}", "\u{7f}", "é", "🙂", "/", "\u{202e}", "\u{85}"]

    static func text(_ random: inout SeededRandom, max: Int = 20) -> String {
        // Long plain runs too, so the eight-bytes-at-a-time scan meets escapes at every offset.
        (0..<random.below(max + 1)).map { _ in random.chance(70) ? "abcdefgh".prefix(random.below(9) + 1).description : random.pick(alphabet) }.joined()
    }

    static func random(_ random: inout SeededRandom, depth: Int) -> AnyDocument {
        let leaf = depth >= 4 || random.chance(40)
        if leaf {
            switch random.below(9) {
            case 0: return .string(text(&random))
            case 1: return .int(Int(bitPattern: UInt(random.next())) >> random.below(64))
            case 2: return .uint(random.next() >> UInt64(random.below(64)))
            case 3: return .double(random.pick([0, -0.0, 1, -2, 0.5, 1e15, 1e16, -1e300, 3.25, 1e-7, 123456789.125, Double(random.below(1000)) / 8]))
            case 4: return .bool(random.chance(50))
            case 5: return .null
            case 6: return .small(Int8.random(in: .min ... .max, using: &random), UInt8.random(in: 0 ... .max, using: &random),
                                  Int16.random(in: .min ... .max, using: &random), UInt16.random(in: 0 ... .max, using: &random),
                                  Int32.random(in: .min ... .max, using: &random), Float(random.below(1000)) / 4)
            case 7: return .nothing
            default: return .wrapped(.string(text(&random, max: 4)))
            }
        }
        let hows: [How] = [.plain, .plain, .plain, .nested, .superEncoder, .optionalNil]
        let count = random.pick([0, 1, 2, 3, 5, 8])
        if random.chance(50) {
            return .object((0..<count).map { i in
                (key: random.chance(80) ? "key_\(i)" : text(&random, max: 4), value: Self.random(&random, depth: depth + 1), how: random.pick(hows))
            })
        }
        if random.chance(15) { return .wrapped(Self.random(&random, depth: depth + 1)) }
        return .array((0..<count).map { _ in (value: Self.random(&random, depth: depth + 1), how: random.pick([How.plain, .plain, .nested, .superEncoder])) })
    }

    /// The text this document must come out as, written from its shape alone: the oracle
    /// the encoder is checked against.
    func expected(pretty: Bool, depth: Int = 0) -> String {
        func newline(_ depth: Int) -> String { pretty ? "\n" + String(repeating: "  ", count: depth) : "" }
        func list(_ open: String, _ close: String, _ items: [String], at depth: Int = depth) -> String {
            items.isEmpty ? open + close : open + items.map { newline(depth + 1) + $0 }.joined(separator: ",") + newline(depth) + close
        }
        func member(_ key: String, _ value: String) -> String { Self.quoted(key) + (pretty ? ": " : ":") + value }
        func number(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
        switch self {
        case .string(let value): return Self.quoted(value)
        case .int(let value): return String(value)
        case .uint(let value): return String(value)
        case .double(let value): return number(value)
        case .bool(let value): return String(value)
        case .null: return "null"
        case let .small(a, b, c, d, e, f):
            let same = [String(a), String(b), String(c), String(d), String(e), String(e), String(d), String(b), number(Double(f)), number(Double(f))]
            return list("{", "}", [member("i8", String(a)), member("u8", String(b)), member("i16", String(c)), member("u16", String(d)),
                                   member("i32", String(e)), member("f", number(Double(f))), member("same", list("[", "]", same, at: depth + 1))])
        case .nothing: return "{}"
        case .wrapped(let inner): return inner.expected(pretty: pretty, depth: depth)
        case .object(let members):
            return list("{", "}", members.filter { $0.how != .optionalNil }.map { member($0.key, $0.value.expected(pretty: pretty, depth: depth + 1)) })
        case .array(let elements):
            return list("[", "]", elements.map { $0.value.expected(pretty: pretty, depth: depth + 1) })
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    func encode(to encoder: Encoder) throws {
        switch self {
        case .string(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .int(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .uint(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .double(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .bool(let value): var c = encoder.singleValueContainer(); try c.encode(value)
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case let .small(a, b, c, d, e, f):
            var keyed = encoder.container(keyedBy: Key.self)
            try keyed.encode(a, forKey: Key(stringValue: "i8"))
            try keyed.encode(b, forKey: Key(stringValue: "u8"))
            try keyed.encode(c, forKey: Key(stringValue: "i16"))
            try keyed.encode(d, forKey: Key(stringValue: "u16"))
            try keyed.encode(e, forKey: Key(stringValue: "i32"))
            try keyed.encode(f, forKey: Key(stringValue: "f"))
            var array = keyed.nestedUnkeyedContainer(forKey: Key(stringValue: "same"))
            try array.encode(a); try array.encode(b); try array.encode(c); try array.encode(d); try array.encode(e)
            try array.encode(Int64(e)); try array.encode(UInt32(d)); try array.encode(UInt(b)); try array.encode(f); try array.encode(Double(f))
        case .nothing: break
        case .wrapped(let inner): var c = encoder.singleValueContainer(); try c.encode(inner)
        case .object(let members):
            var keyed = encoder.container(keyedBy: Key.self)
            for member in members {
                let key = Key(stringValue: member.key)
                switch member.how {
                case .plain: try keyed.encode(member.value, forKey: key)
                case .optionalNil: try keyed.encodeIfPresent(Optional<Int>.none, forKey: key)
                case .superEncoder: try member.value.encode(to: keyed.superEncoder(forKey: key))
                case .nested:
                    guard case .object(let inner) = member.value else { try keyed.encode(member.value, forKey: key); continue }
                    var nested = keyed.nestedContainer(keyedBy: Key.self, forKey: key)
                    for item in inner { try nested.encodeIfPresent(item.how == .optionalNil ? nil : item.value, forKey: Key(stringValue: item.key)) }
                }
            }
        case .array(let elements):
            var array = encoder.unkeyedContainer()
            for element in elements {
                switch element.how {
                case .plain, .optionalNil: try array.encode(element.value)
                case .superEncoder: try element.value.encode(to: array.superEncoder())
                case .nested:
                    if case .array(let inner) = element.value {
                        var nested = array.nestedUnkeyedContainer()
                        for item in inner { try nested.encode(item.value) }
                    } else if case .object(let inner) = element.value {
                        var nested = array.nestedContainer(keyedBy: Key.self)
                        for item in inner { try nested.encodeIfPresent(item.how == .optionalNil ? nil : item.value, forKey: Key(stringValue: item.key)) }
                    } else {
                        try array.encode(element.value)
                    }
                }
            }
        }
    }
}

/// Model values with each optional field present or not.
enum Generated {
    static func maybe<T>(_ random: inout SeededRandom, _ value: (inout SeededRandom) -> T) -> T? {
        random.chance(50) ? value(&random) : nil
    }

    static func address(_ random: inout SeededRandom) -> IPAddress {
        random.chance(50)
            ? IPAddress("10.\(random.below(256)).\(random.below(256)).\(random.below(256))")!
            : IPAddress("fd00:\(String(random.below(65536), radix: 16))::\(String(random.below(65536), radix: 16))")!
    }

    static func addressTable(_ random: inout SeededRandom) -> AddressTable {
        let interfaces = (0..<random.below(4)).map { index in
            var interface = NetworkInterface(ifindex: index + 1, ifname: random.chance(20) ? AnyDocument.text(&random, max: 6) : "eth\(index)",
                                             flags: random.chance(50) ? ["BROADCAST", "MULTICAST", "UP"] : [], rawFlags: UInt32(random.below(1 << 16)))
            interface.link = maybe(&random) { random in "peer\(index)" }
            interface.linkIndex = maybe(&random) { random in index + 7 }
            interface.mtu = maybe(&random) { random in 1500 }
            interface.qdisc = maybe(&random) { random in "noqueue" }
            interface.master = maybe(&random) { random in "br0" }
            interface.operstate = maybe(&random) { random in "UP" }
            interface.group = maybe(&random) { random in "default" }
            interface.txqlen = maybe(&random) { random in 1000 }
            interface.address = maybe(&random) { random in "02:00:00:00:00:0\(index)" }
            interface.broadcast = maybe(&random) { random in "ff:ff:ff:ff:ff:ff" }
            interface.linkNetnsid = maybe(&random) { random in 0 }
            interface.permaddr = maybe(&random) { random in "02:00:00:00:01:0\(index)" }
            interface.ifalias = maybe(&random) { random in AnyDocument.text(&random) }
            interface.linkinfo = random.chance(50) ? .init(infoKind: maybe(&random) { random in "veth" }, infoSlaveKind: maybe(&random) { random in "bridge" }) : nil
            interface.addrInfo = (0..<random.below(6)).map { _ in
                var address = InterfaceAddress(local: self.address(&random), prefixlen: random.below(129),
                                               scope: random.pick(["global", "link", "host"]), rawFlags: UInt32(random.below(1 << 12)),
                                               label: maybe(&random) { random in AnyDocument.text(&random, max: 6) })
                address.address = maybe(&random) { random in self.address(&random) }
                address.broadcast = maybe(&random) { random in self.address(&random) }
                address.anycast = maybe(&random) { random in self.address(&random) }
                for key in [\InterfaceAddress.dynamic, \.secondary, \.temporary, \.nodad, \.optimistic, \.dadfailed, \.home,
                            \.deprecated, \.tentative, \.mngtmpaddr, \.noprefixroute, \.autojoin, \.stablePrivacy] {
                    address[keyPath: key] = maybe(&random) { random in random.chance(90) }
                }
                address.validLifeTime = maybe(&random) { random in random.chance(50) ? .max : UInt32(random.below(100_000)) }
                address.preferredLifeTime = maybe(&random) { random in UInt32(random.below(100_000)) }
                address.ifconfigVisible = maybe(&random) { random in random.chance(50) }
                address.ifconfigHiddenReason = maybe(&random) { random in AnyDocument.text(&random) }
                return address
            }
            return interface
        }
        return AddressTable(netns: maybe(&random) { random in "lb\(random.below(3))" }, source: .netlink("dump"), interfaces: interfaces)
    }

    static func neighbourTable(_ random: inout SeededRandom) -> NeighbourTable {
        let entries = (0..<random.below(8)).map { index in
            var entry = NeighbourEntry(dst: address(&random), ifindex: index + 1, dev: maybe(&random) { random in "eth\(index)" },
                                       lladdr: maybe(&random) { random in "00:00:5e:00:01:\(String(random.below(256), radix: 16))" },
                                       rawState: UInt16(random.below(256)), rawFlags: UInt8(random.below(256)))
            for key in [\NeighbourEntry.router, \.proxy, \.externLearn, \.offload, \.managed] { entry[keyPath: key] = maybe(&random) { random in true } }
            for key in [\NeighbourEntry.refcnt, \.used, \.confirmed, \.updated, \.probes] {
                entry[keyPath: key] = maybe(&random) { random in UInt32(truncatingIfNeeded: random.next()) }
            }
            entry.vrrpVirtualRouter = maybe(&random) { random in random.below(256) }
            return entry
        }
        return NeighbourTable(netns: maybe(&random) { random in "app" }, source: .netlink("dump"), neighbours: entries)
    }
}
