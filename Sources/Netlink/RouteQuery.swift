#if canImport(Glibc)
import Glibc
#endif
import CMNL
import HAModel
import Namespaces
import SystemPackage

/// A route as decoded from one RTM_NEWROUTE message, before its interface index has a name.
public struct DecodedRoute: Equatable, Sendable {
    public var family: UInt8
    public var dstLength: Int
    public var table: UInt32
    public var protocolNumber: UInt8
    public var scope: UInt8
    public var type: UInt8
    public var dst: IPAddress?
    public var gateway: IPAddress?
    public var prefsrc: IPAddress?
    public var outputInterface: UInt32?
    public var metric: UInt32?
}

/// A rule as decoded from one RTM_NEWRULE message (struct fib_rule_hdr and its attributes).
public struct DecodedRule: Equatable, Sendable {
    public var family: UInt8
    public var action: UInt8
    public var flags: UInt32
    public var table: UInt32
    public var priority: UInt32 = 0
    public var src: (IPAddress, Int)?
    public var dst: (IPAddress, Int)?
    public var tos: UInt8 = 0
    public var inputInterface: String?
    public var outputInterface: String?
    public var fwmark: UInt32?
    public var fwmask: UInt32?
    public var gotoTarget: UInt32?
    public var suppressPrefixLength: UInt32?
    public var l3mdev = false
    /// Attributes present that select packets by what this reading does not judge.
    public var otherSelectors: [String] = []

    public static func == (a: DecodedRule, b: DecodedRule) -> Bool {
        a.family == b.family && a.action == b.action && a.flags == b.flags && a.table == b.table && a.priority == b.priority
            && a.src?.0 == b.src?.0 && a.src?.1 == b.src?.1 && a.dst?.0 == b.dst?.0 && a.dst?.1 == b.dst?.1
            && a.tos == b.tos && a.inputInterface == b.inputInterface && a.outputInterface == b.outputInterface
            && a.fwmark == b.fwmark && a.fwmask == b.fwmask && a.gotoTarget == b.gotoTarget
            && a.suppressPrefixLength == b.suppressPrefixLength && a.l3mdev == b.l3mdev && a.otherSelectors == b.otherSelectors
    }
}

/// Decodes the kernel's answers to RTM_GETROUTE (one route, or an error) and RTM_GETRULE
/// dumps. Pure and bounds-checked: bytes in, values out, so tests and the fuzzer need no socket.
public enum RouteMessageDecoder {
    /// What one reply buffer held.
    public struct Reply: Sendable {
        public var routes: [DecodedRoute] = []
        public var rules: [DecodedRule] = []
        /// The kernel's errno from an NLMSG_ERROR (positive), when it refused the request.
        public var kernelError: Int32?
        /// NLMSG_DONE, or an error: nothing more follows.
        public var done = false
    }

    static let headerSize = 16
    static let rtmsgSize = 12
    static let ruleHeaderSize = 12

    public static func decode(_ buffer: UnsafeRawBufferPointer) throws(HAError) -> Reply {
        do {
            return try walk(buffer)
        } catch let error as HAError {
            throw error
        } catch {
            throw HAError(.unavailable, "malformed netlink reply: \(error)")
        }
    }

    private static func walk(_ buffer: UnsafeRawBufferPointer) throws -> Reply {
        var reply = Reply()
        var reader = ByteReader(buffer)
        while reader.remaining >= headerSize {
            let start = reader.offset
            let length = Int(try reader.u32host())
            let type = try reader.u16host()
            try reader.skip(10)
            guard length >= headerSize, length <= buffer.count - start else {
                throw HAError(.unavailable, "malformed netlink reply: a message at byte \(start) claims \(length) bytes, but \(buffer.count - start) remain")
            }
            let body = UnsafeRawBufferPointer(rebasing: buffer[(start + headerSize)..<(start + length)])
            switch Int32(type) {
            case NLMSG_DONE:
                reply.done = true
            case NLMSG_ERROR:
                var inner = ByteReader(body)
                let code = Int32(bitPattern: try inner.u32host())
                reply.done = true
                if code != 0 { reply.kernelError = code == Int32.min ? Int32.max : -code }
            case Int32(RTM_NEWROUTE):
                reply.routes.append(try route(body))
            case Int32(RTM_NEWRULE):
                reply.rules.append(try rule(body))
            default:
                break
            }
            reader.offset = start
            try reader.skip(min((length + 3) & ~3, buffer.count - start))
        }
        return reply
    }

    /// The attributes after a family header, as (type, payload) pairs; nested flags masked.
    static func attributes(_ body: UnsafeRawBufferPointer, after header: Int) throws(HAError) -> [(UInt16, UnsafeRawBufferPointer)] {
        do throws(ByteReader.Truncated) {
            return try attributeList(body, after: header)
        } catch {
            throw HAError(.unavailable, "malformed netlink attributes: \(error)")
        }
    }

    static func attributeList(_ body: UnsafeRawBufferPointer, after header: Int) throws(ByteReader.Truncated) -> [(UInt16, UnsafeRawBufferPointer)] {
        var reader = ByteReader(body)
        try reader.skip(header)
        var result: [(UInt16, UnsafeRawBufferPointer)] = []
        while reader.remaining >= 4 {
            let start = reader.offset
            let length = Int(try reader.u16host())
            let type = try reader.u16host() & 0x3fff
            // A length below the header's own is read as an empty payload; the walk still advances.
            let payload = try reader.take(max(0, length - 4))
            result.append((type, payload))
            reader.offset = start
            try reader.skip(min(max(4, (length + 3) & ~3), body.count - start))
        }
        return result
    }

    static func u32(_ payload: UnsafeRawBufferPointer, _ what: String) throws(HAError) -> UInt32 {
        guard payload.count >= 4 else { throw HAError(.unavailable, "malformed netlink message: \(what) has \(payload.count) byte(s), expected 4") }
        return payload.loadUnaligned(as: UInt32.self)
    }

    static func address(_ payload: UnsafeRawBufferPointer, _ what: String) throws(HAError) -> IPAddress {
        guard let address = IPAddress(bytes: payload) else {
            throw HAError(.unavailable, "malformed netlink message: \(what) has \(payload.count) byte(s), expected 4 or 16")
        }
        return address
    }

    static func route(_ body: UnsafeRawBufferPointer) throws(HAError) -> DecodedRoute {
        guard body.count >= rtmsgSize else { throw HAError(.unavailable, "malformed netlink message: a route of \(body.count) byte(s), expected at least \(rtmsgSize)") }
        var route = DecodedRoute(family: body[0], dstLength: Int(body[1]), table: UInt32(body[4]), protocolNumber: body[5],
                                 scope: body[6], type: body[7])
        let attributes = try self.attributes(body, after: rtmsgSize)
        for (type, payload) in attributes {
            switch Int32(type) {
            case Int32(RTA_DST.rawValue): route.dst = try address(payload, "RTA_DST")
            case Int32(RTA_GATEWAY.rawValue): route.gateway = try address(payload, "RTA_GATEWAY")
            case Int32(RTA_PREFSRC.rawValue): route.prefsrc = try address(payload, "RTA_PREFSRC")
            case Int32(RTA_OIF.rawValue): route.outputInterface = try u32(payload, "RTA_OIF")
            case Int32(RTA_PRIORITY.rawValue): route.metric = try u32(payload, "RTA_PRIORITY")
            case Int32(RTA_TABLE.rawValue): route.table = try u32(payload, "RTA_TABLE")
            default: break
            }
        }
        return route
    }

    static func rule(_ body: UnsafeRawBufferPointer) throws(HAError) -> DecodedRule {
        guard body.count >= ruleHeaderSize else { throw HAError(.unavailable, "malformed netlink message: a rule of \(body.count) byte(s), expected at least \(ruleHeaderSize)") }
        var rule = DecodedRule(family: body[0], action: body[7], flags: body.loadUnaligned(fromByteOffset: 8, as: UInt32.self),
                               table: UInt32(body[4]))
        rule.tos = body[3]
        let dstLength = Int(body[1]), srcLength = Int(body[2])
        let attributes = try self.attributes(body, after: ruleHeaderSize)
        func name(_ payload: UnsafeRawBufferPointer) -> String {
            String(decoding: payload.prefix { $0 != 0 }, as: UTF8.self)
        }
        for (type, payload) in attributes {
            switch type {
            case 1: rule.dst = (try address(payload, "FRA_DST"), dstLength)
            case 2: rule.src = (try address(payload, "FRA_SRC"), srcLength)
            case 3: rule.inputInterface = name(payload)
            case 4: rule.gotoTarget = try u32(payload, "FRA_GOTO")
            case 6: rule.priority = try u32(payload, "FRA_PRIORITY")
            case 10: rule.fwmark = try u32(payload, "FRA_FWMARK")
            case 11: rule.otherSelectors.append("realms")
            case 12: rule.otherSelectors.append("tun_id")
            case 13: rule.otherSelectors.append("suppress_ifgroup")
            case 14: rule.suppressPrefixLength = try u32(payload, "FRA_SUPPRESS_PREFIXLEN")
            case 15: rule.table = try u32(payload, "FRA_TABLE")
            case 16: rule.fwmask = try u32(payload, "FRA_FWMASK")
            case 17: rule.outputInterface = name(payload)
            case 19: rule.l3mdev = payload.first.map { $0 != 0 } ?? false
            case 20: rule.otherSelectors.append("uidrange")
            case 22: rule.otherSelectors.append("ipproto")
            case 23: rule.otherSelectors.append("sport")
            case 24: rule.otherSelectors.append("dport")
            default: break
            }
        }
        return rule
    }

    /// The body of an RTM_GETROUTE request for `address`, as iproute2 sends it: a struct
    /// rtmsg asking for the table that was looked up (and, for fibmatch, the matching entry
    /// instead of the resulting route), then RTA_DST.
    public static func routeRequest(for address: IPAddress, fibMatch: Bool) -> [UInt8] {
        let bytes: [UInt8]
        switch address {
        case .v4(let value): bytes = withUnsafeBytes(of: value.bigEndian) { Array($0) }
        case .v6(let high, let low): bytes = withUnsafeBytes(of: high.bigEndian) { Array($0) } + withUnsafeBytes(of: low.bigEndian) { Array($0) }
        }
        let flags = UInt32(RTM_F_LOOKUP_TABLE) | (fibMatch ? UInt32(RTM_F_FIB_MATCH) : 0)
        var body: [UInt8] = [address.family == .inet ? UInt8(AF_INET) : UInt8(AF_INET6), UInt8(bytes.count * 8), 0, 0, 0, 0, 0, 0]
        body += withUnsafeBytes(of: flags) { Array($0) }
        body += withUnsafeBytes(of: UInt16(4 + bytes.count)) { Array($0) } + withUnsafeBytes(of: UInt16(RTA_DST.rawValue)) { Array($0) }
        return body + bytes
    }
}

/// Names iproute2 gives route types, tables and protocols.
public enum RouteNames {
    static let types = ["unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable",
                        "prohibit", "throw", "nat", "xresolve"]

    public static func type(_ value: UInt8) -> String { Int(value) < types.count ? types[Int(value)] : String(value) }

    public static func table(_ value: UInt32) -> String {
        switch value {
        case 255: "local"
        case 254: "main"
        case 253: "default"
        default: String(value)
        }
    }

    static let protocols: [UInt8: String] = [1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra", 10: "mrt",
                                              11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp",
                                              17: "mrouted", 18: "keepalived", 42: "babel", 186: "bgp", 187: "isis", 188: "ospf",
                                              189: "rip", 192: "eigrp"]

    public static func `protocol`(_ value: UInt8) -> String { protocols[value] ?? String(value) }

    public static func scope(_ value: UInt8) -> String { LinkNames.scope(value) == "global" ? "global" : LinkNames.scope(value) }

    static let actions: [UInt8: String] = [1: "lookup", 2: "goto", 3: "nop", 6: "blackhole", 7: "unreachable", 8: "prohibit"]

    public static func action(_ value: UInt8) -> String { actions[value] ?? "action \(value)" }
}

/// Asks the kernel of a network namespace how it would route packets to an address, and
/// for its policy rules, over rtnetlink (libmnl).
public enum RouteQuery {
    /// The reply to one RTM_GETROUTE, or the kernel's errno when it refused.
    public static func get(_ address: IPAddress, fibMatch: Bool, socket: RouteSocketHandle) throws(HAError) -> (DecodedRoute?, Int32?) {
        var result: (DecodedRoute?, Int32?) = (nil, nil)
        try socket.socket.request(type: UInt16(RTM_GETROUTE), flags: UInt16(NLM_F_REQUEST),
                                  body: RouteMessageDecoder.routeRequest(for: address, fibMatch: fibMatch)) { (buffer, _, _) throws(HAError) -> Bool in
            let reply = try RouteMessageDecoder.decode(buffer)
            if let route = reply.routes.first { result = (route, nil); return true }
            if let code = reply.kernelError { result = (nil, code); return true }
            return reply.done
        }
        return result
    }

    /// Every policy rule of the family, in the kernel's order (by priority).
    public static func rules(_ family: AddressFamily, socket: RouteSocketHandle) throws(HAError) -> [DecodedRule] {
        var rules: [DecodedRule] = []
        let header: [UInt8] = [family == .inet ? UInt8(AF_INET) : UInt8(AF_INET6)] + [UInt8](repeating: 0, count: RouteMessageDecoder.ruleHeaderSize - 1)
        try socket.socket.request(type: UInt16(RTM_GETRULE), flags: UInt16(NLM_F_REQUEST | NLM_F_DUMP), body: header) { (buffer, _, _) throws(HAError) -> Bool in
            let reply = try RouteMessageDecoder.decode(buffer)
            rules += reply.rules
            if let code = reply.kernelError { throw RouteSocket.error(code, doing: "dump the policy rules") }
            return reply.done
        }
        return rules
    }
}

/// An rtnetlink socket opened in a namespace, for several route questions in a row.
public final class RouteSocketHandle {
    let socket: RouteSocket

    public init(netns: String?) throws(HAError) {
        socket = try NetworkNamespace.with(netns) { () throws(HAError) in try RouteSocket() }
    }
}

/// What one network namespace's kernel answered about a destination.
public struct RouteLookup: Sendable {
    public var route: KernelRoute?
    public var fibEntry: KernelRoute?
    /// blackhole, unreachable, prohibit or none: the route type a refusal stands for.
    public var refused: String?
    public var error: String?
    /// The policy rules of the address's family, judged against a packet this host sends to it.
    public var rules: [PolicyRule]
}

extension RouteQuery {
    /// `ip route get ADDRESS`, `ip route get fibmatch ADDRESS` and `ip rule`, in one namespace.
    /// `interfaces` names the indexes (the address table already read).
    public static func lookup(_ address: IPAddress, socket: RouteSocketHandle, interfaces: [Int: String]) throws(HAError) -> RouteLookup {
        let (route, code) = try get(address, fibMatch: false, socket: socket)
        let (fib, _) = try get(address, fibMatch: true, socket: socket)
        let rules = try self.rules(address.family, socket: socket).map { $0.policyRule(judging: address) }
        var lookup = RouteLookup(route: route.map { $0.kernelRoute(interfaces) }, fibEntry: fib.map { $0.kernelRoute(interfaces) }, rules: rules)
        if let code {
            lookup.refused = refusal(code)
            lookup.error = Errno(rawValue: code).description
        }
        return lookup
    }

    /// The route type behind the kernel's refusal of a lookup (ip_route_output's errors for
    /// RTN_BLACKHOLE, RTN_UNREACHABLE, RTN_PROHIBIT and no route at all).
    static func refusal(_ code: Int32) -> String {
        switch code {
        case EINVAL: "blackhole"
        case EHOSTUNREACH: "unreachable"
        case EACCES: "prohibit"
        case ENETUNREACH: "none"
        default: "error"
        }
    }
}

extension DecodedRoute {
    /// iproute2's reading of the route: names for type, table, protocol and scope; the
    /// destination as an address, a prefix or "default".
    public func kernelRoute(_ interfaces: [Int: String]) -> KernelRoute {
        let full = family == UInt8(AF_INET) ? 32 : 128
        let destination: String = dst.map { dstLength == full ? $0.description : "\($0)/\(dstLength)" } ?? (dstLength == 0 ? "default" : "?/\(dstLength)")
        return KernelRoute(type: RouteNames.type(type), dst: destination, gateway: gateway,
                           dev: outputInterface.map { interfaces[Int($0)] ?? "if\($0)" }, prefsrc: prefsrc,
                           table: RouteNames.table(table), protocol: RouteNames.protocol(protocolNumber),
                           scope: RouteNames.scope(scope), metric: metric.map(Int.init), dstLength: dstLength)
    }
}

extension DecodedRule {
    static let invert: UInt32 = 0x2

    /// The rule as `ip rule` prints it, judged against a packet this host sends to `address`:
    /// no source chosen yet, mark 0, tos 0, coming from the loopback interface.
    public func policyRule(judging address: IPAddress) -> PolicyRule {
        func prefix(_ value: (IPAddress, Int)?) -> String {
            guard let (network, length) = value, length > 0 else { return "all" }
            return length == (network.family == .inet ? 32 : 128) ? network.description : "\(network)/\(length)"
        }
        var words: [String] = []
        if flags & DecodedRule.invert != 0 { words.append("not") }
        words.append("from \(prefix(src))")
        if dst != nil { words.append("to \(prefix(dst))") }
        if tos != 0 { words.append("tos 0x" + String(tos, radix: 16)) }
        if let fwmark {
            words.append("fwmark 0x" + String(fwmark, radix: 16) + (fwmask.map { $0 == .max ? "" : "/0x" + String($0, radix: 16) } ?? ""))
        }
        if let inputInterface { words.append("iif \(inputInterface)") }
        if let outputInterface { words.append("oif \(outputInterface)") }
        let actionName = RouteNames.action(action)
        var tableName: String?
        if l3mdev {
            words.append("lookup [l3mdev-table]")
        } else if action == 1 {
            tableName = RouteNames.table(table)
            words.append("lookup \(tableName!)")
        } else if action == 2 {
            words.append("goto \(gotoTarget.map(String.init) ?? "none")")
        } else {
            words.append(actionName)
        }
        if let suppressPrefixLength, suppressPrefixLength != .max { words.append("suppress_prefixlength \(suppressPrefixLength)") }

        var selects = src.map { $0.1 == 0 } ?? true
        if let (network, length) = dst { selects = selects && address.isInside(network, prefixLength: length) }
        if let inputInterface { selects = selects && inputInterface == "lo" }
        if outputInterface != nil || l3mdev || tos != 0 { selects = false }
        if let fwmark { selects = selects && fwmark & (fwmask ?? .max) == 0 }
        if flags & DecodedRule.invert != 0 { selects.toggle() }
        return PolicyRule(priority: Int(priority), text: words.joined(separator: " "), table: tableName, action: actionName,
                          selectsLocalTraffic: selects, unjudged: otherSelectors,
                          suppressPrefixLength: suppressPrefixLength.flatMap { $0 == .max ? nil : Int($0) })
    }
}
