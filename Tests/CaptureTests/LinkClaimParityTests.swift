import Capture
import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// What haexplain's ARP/NDP decoder makes of each packet of a file.
enum DecodedLink {
    case claim(LinkClaim)
    case malformed(String)
}

func decodedLinkClaims(_ file: URL) throws -> [Int: DecodedLink] {
    let capture = try PacketCapture.open(file: file.path)
    var decoded: [Int: DecodedLink] = [:]
    var number = 0
    _ = try capture.run(seconds: 0) { frame, time, link in
        number += 1
        do {
            if let claim = try LinkClaimDecoder.decode(frame: frame, linkType: link.linkType, packet: number, time: time) {
                decoded[number] = .claim(claim)
            }
        } catch {
            decoded[number] = .malformed("\(error)")
        }
    }
    return decoded
}

/// Holds every ARP and ICMPv6 Neighbour Discovery packet of `file` against tshark's fields
/// (arp.*, icmpv6.*, ipv6.hlim): every packet tshark decodes without complaint as ARP for
/// IPv4 over Ethernet or as NS/NA is a claim with the same fields, every claim is such a
/// packet, and every packet haexplain calls malformed tshark calls malformed too. Returns how
/// many packets were compared.
@discardableResult
func expectTsharkLinkParity(_ file: URL, seed: UInt64? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
    let output = try Shell.check(["tshark", "-n", "-r", file.path, "-T", "json", "--no-duplicate-keys"], timeout: 600)
    let packets = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
    let decoded = try decodedLinkClaims(file)
    let tag = seed.map { " (seed \($0))" } ?? ""
    func int(_ value: Any?) -> Int? {
        guard let text = value as? String else { return nil }
        return text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }
    func mac(_ value: Any?) -> MACAddress? { (value as? String).flatMap { MACAddress($0) } }
    func address(_ value: Any?) -> IPAddress? { (value as? String).flatMap { IPAddress($0) } }
    var compared = 0
    var seen = Set<Int>()
    for packet in packets {
        let layers = try #require((packet["_source"] as? [String: Any])?["layers"] as? [String: Any])
        let number = try #require(int((layers["frame"] as? [String: Any])?["frame.number"]))
        let context = "packet #\(number) of \(file.lastPathComponent)\(tag)"
        let malformedByTshark = layers["_ws.malformed"] != nil || tsharkSays("ipv6.plen_exceeds_framing", in: layers)
        if let arp = layers["arp"] as? [String: Any] {
            let ours = decoded[number]
            seen.insert(number)
            let ipv4Ethernet = int(arp["arp.hw.type"]) == 1 && int(arp["arp.proto.type"]) == 0x0800
            let sizes = int(arp["arp.hw.size"]) == 6 && int(arp["arp.proto.size"]) == 4
            let opcode = int(arp["arp.opcode"]) ?? -1
            guard ipv4Ethernet, opcode == 1 || opcode == 2 else {
                if case .claim? = ours { Issue.record("\(context): tshark shows ARP opcode \(opcode) hw \(arp["arp.hw.type"] ?? "?"), haexplain a claim", sourceLocation: sourceLocation) }
                continue
            }
            switch ours {
            case .malformed(let reason)?:
                #expect(malformedByTshark || !sizes, "\(context): haexplain says malformed (\(reason)), tshark decodes it", sourceLocation: sourceLocation)
            case .claim(let claim)?:
                #expect(!malformedByTshark, "\(context): tshark says malformed, haexplain decodes \(claim)", sourceLocation: sourceLocation)
                #expect(Int(claim.operation) == opcode, "\(context)", sourceLocation: sourceLocation)
                #expect(claim.senderMAC == mac(arp["arp.src.hw_mac"]) && claim.senderAddress == address(arp["arp.src.proto_ipv4"]), "\(context)", sourceLocation: sourceLocation)
                let target = address(arp["arp.dst.proto_ipv4"])
                #expect(claim.targetMAC == mac(arp["arp.dst.hw_mac"]), "\(context)", sourceLocation: sourceLocation)
                #expect(claim.address == (claim.kind == .arpReply || claim.kind == .arpAnnouncement ? claim.senderAddress : target), "\(context)", sourceLocation: sourceLocation)
                #expect((int(arp["arp.isgratuitous"]) == 1) == (claim.kind == .arpAnnouncement), "\(context): \(claim.kind)", sourceLocation: sourceLocation)
                if int(arp["arp.isprobe"]) == 1 { #expect(claim.kind == .arpProbe, "\(context): \(claim.kind)", sourceLocation: sourceLocation) }
                #expect(tsharkVLANs(layers) == claim.vlans, "\(context)", sourceLocation: sourceLocation)
                compared += 1
            case nil:
                Issue.record("\(context): tshark decodes ARP for IPv4 over Ethernet, haexplain nothing", sourceLocation: sourceLocation)
            }
            continue
        }
        guard let icmp = layers["icmpv6"] as? [String: Any], let type = int(icmp["icmpv6.type"]), type == 135 || type == 136 else { continue }
        seen.insert(number)
        let ipv6 = layers["ipv6"] as? [String: Any] ?? [:]
        switch decoded[number] {
        case .malformed(let reason)?:
            #expect(malformedByTshark, "\(context): haexplain says malformed (\(reason)), tshark decodes it", sourceLocation: sourceLocation)
        case .claim(let claim)?:
            #expect(Int(claim.operation) == type, "\(context)", sourceLocation: sourceLocation)
            #expect(claim.hopLimit.map(Int.init) == int(ipv6["ipv6.hlim"]), "\(context)", sourceLocation: sourceLocation)
            #expect(claim.senderAddress == address(ipv6["ipv6.src"]) && claim.destinationAddress == address(ipv6["ipv6.dst"]), "\(context)", sourceLocation: sourceLocation)
            if let status = int(icmp["icmpv6.checksum.status"]), status < 2 {
                #expect(claim.checksumValid == (status == 1), "\(context): tshark checksum status \(status)", sourceLocation: sourceLocation)
            }
            let code = int(icmp["icmpv6.code"]) ?? -1
            #expect(code == 0 ? claim.discardReason != .code : claim.discardReason != nil, "\(context): code \(code)", sourceLocation: sourceLocation)
            let target = address(icmp[type == 135 ? "icmpv6.nd.ns.target_address" : "icmpv6.nd.na.target_address"])
            #expect(claim.address == target, "\(context)", sourceLocation: sourceLocation)
            if type == 136, let flags = icmp["icmpv6.nd.na.flag_tree"] as? [String: Any] {
                let expected = LinkClaim.AdvertisementFlags(router: int(flags["icmpv6.nd.na.flag.r"]) == 1, solicited: int(flags["icmpv6.nd.na.flag.s"]) == 1,
                                                            override: int(flags["icmpv6.nd.na.flag.o"]) == 1)
                #expect(claim.flags == expected, "\(context)", sourceLocation: sourceLocation)
            }
            // Options: the first source and target link-layer addresses tshark shows (only
            // when it read every option: a zero-length option stops both, and tshark stops at
            // an option whose body its dissector finds malformed, where haexplain reads on).
            if claim.discardReason != .option, !malformedByTshark {
                let options = (icmp["icmpv6.opt"] as? [[String: Any]]) ?? (icmp["icmpv6.opt"] as? [String: Any]).map { [$0] } ?? []
                let sources = options.compactMap { mac($0["icmpv6.opt.src_linkaddr"]) }
                let targets = options.compactMap { mac($0["icmpv6.opt.target_linkaddr"]) }
                #expect(claim.senderMAC == sources.first, "\(context): tshark source options \(sources)", sourceLocation: sourceLocation)
                if type == 136 {
                    #expect(claim.mac == (targets.first ?? mac((layers["eth"] as? [String: Any])?["eth.src"]) ?? claim.sourceMAC), "\(context): tshark target options \(targets)", sourceLocation: sourceLocation)
                }
            }
            #expect(tsharkVLANs(layers) == claim.vlans, "\(context)", sourceLocation: sourceLocation)
            compared += 1
        case nil:
            Issue.record("\(context): tshark decodes ICMPv6 \(type), haexplain nothing", sourceLocation: sourceLocation)
        }
    }
    for (number, outcome) in decoded where !seen.contains(number) {
        if case .claim(let claim) = outcome {
            Issue.record("packet #\(number) of \(file.lastPathComponent)\(tag): haexplain decodes \(claim.kind), tshark shows no ARP/NDP", sourceLocation: sourceLocation)
        }
    }
    return compared
}

/// True when `key` appears anywhere in tshark's JSON for a packet (an expert note nested in a field's tree).
func tsharkSays(_ key: String, in value: Any) -> Bool {
    if let object = value as? [String: Any] {
        return object.keys.contains(key) || object.values.contains { tsharkSays(key, in: $0) }
    }
    if let list = value as? [Any] { return list.contains { tsharkSays(key, in: $0) } }
    return false
}
