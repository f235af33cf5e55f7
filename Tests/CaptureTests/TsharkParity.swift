import Capture
import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// Every protocol-112 packet haexplain decodes from `file`, keyed by packet number.
func decodedPackets(_ file: URL) throws -> [Int: Protocol112Packet] {
    let capture = try PacketCapture.open(file: file.path)
    let decoder = VRRPDecoder()
    var packets: [Int: Protocol112Packet] = [:]
    var number = 0
    _ = try capture.run(seconds: 0) { frame, time, link in
        number += 1
        if let packet = try? decoder.decodePacket(frame: frame, linkType: link.linkType, packet: number, time: time) {
            packets[number] = packet
        }
    }
    return packets
}

/// Every VRRP advert haexplain decodes from `file`, keyed by packet number.
func decodedAdverts(_ file: URL) throws -> [Int: VRRPAdvert] {
    try decodedPackets(file).compactMapValues { packet in
        if case .vrrp(let advert) = packet { return advert }
        return nil
    }
}

/// The VLAN IDs tshark shows, outermost first: an 802.1ad (QinQ) service tag, then 802.1Q
/// tags (one tag is an object, several a list).
func tsharkVLANs(_ layers: [String: Any]) -> [UInt16] {
    func ids(_ layer: String) -> [UInt16] {
        let tags = (layers[layer] as? [[String: Any]]) ?? (layers[layer] as? [String: Any]).map { [$0] } ?? []
        return tags.compactMap { ($0["\(layer).id"] as? String).flatMap { UInt16($0) } }
    }
    return ids("ieee8021ad") + ids("vlan")
}

/// Compares each CARP packet's fields as tshark's CARP dissector reports them (told to use
/// it for protocol 112) with haexplain's.
func expectTsharkCARPParity(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let output = try Shell.check(["tshark", "-n", "-r", file.path, "-T", "json", "--no-duplicate-keys", "-d", "ip.proto==112,carp",
                                  "-Y", "carp"], timeout: 120)
    let packets = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
    let carps = try decodedPackets(file).compactMapValues { packet in
        if case .carp(let carp) = packet { return carp }
        return nil
    }
    #expect(!packets.isEmpty && packets.count == carps.count, "tshark saw \(packets.count) CARP packets, haexplain \(carps.count)",
            sourceLocation: sourceLocation)
    for packet in packets {
        let layers = try #require((packet["_source"] as? [String: Any])?["layers"] as? [String: Any])
        let number = try #require(((layers["frame"] as? [String: Any])?["frame.number"] as? String).flatMap { Int($0) })
        let fields = try #require(layers["carp"] as? [String: Any])
        let typeVersion = fields["carp.typever_tree"] as? [String: Any] ?? [:]
        guard let carp = carps[number] else {
            Issue.record("packet #\(number): tshark decodes CARP, haexplain does not", sourceLocation: sourceLocation)
            continue
        }
        func int(_ value: Any?) -> Int? {
            guard let text = value as? String else { return nil }
            return text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
        }
        let context = "CARP packet #\(number) of \(file.lastPathComponent)"
        #expect(int(typeVersion["carp.version"]) == Int(carp.version) && int(typeVersion["carp.type"]) == Int(carp.type), "\(context)", sourceLocation: sourceLocation)
        #expect(int(fields["carp.vhid"]) == Int(carp.vhid) && int(fields["carp.advskew"]) == Int(carp.advskew), "\(context)", sourceLocation: sourceLocation)
        #expect(int(fields["carp.authlen"]) == Int(carp.authLength) && int(fields["carp.demotion"]) == Int(carp.demotion), "\(context)", sourceLocation: sourceLocation)
        #expect(int(fields["carp.adver_int"]) == Int(carp.advbase) && int(fields["carp.checksum"]) == Int(carp.checksum), "\(context)", sourceLocation: sourceLocation)
        #expect(int(fields["carp.checksum.status"]) == (carp.checksumValid ? 1 : 0), "\(context)", sourceLocation: sourceLocation)
        #expect((fields["carp.counter"] as? String).flatMap { UInt64($0) } == carp.counter, "\(context)", sourceLocation: sourceLocation)
        if let ip = layers["ip"] as? [String: Any] {
            #expect((ip["ip.src"] as? String).flatMap { IPAddress($0) } == carp.sourceAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(int(ip["ip.ttl"]) == Int(carp.ttl), "\(context)", sourceLocation: sourceLocation)
        }
        #expect(tsharkVLANs(layers) == carp.vlans, "\(context)", sourceLocation: sourceLocation)
    }
}

/// Compares each VRRP packet's fields as tshark's dissector reports them with haexplain's.
func expectTsharkParity(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let output = try Shell.check(["tshark", "-n", "-r", file.path, "-T", "json", "--no-duplicate-keys", "-o", "ip.check_checksum:TRUE",
                                  "-Y", "vrrp"], timeout: 120)
    let decoded = try decodedPackets(file)
    // tshark decodes CARP as VRRP unless told (-d ip.proto==112,carp): those are compared by
    // expectTsharkCARPParity.
    let packets = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]]).filter { packet in
        let number = (((packet["_source"] as? [String: Any])?["layers"] as? [String: Any])?["frame"] as? [String: Any])?["frame.number"] as? String
        if let number = number.flatMap({ Int($0) }), case .carp? = decoded[number] { return false }
        return true
    }
    let adverts = try decodedAdverts(file)
    #expect(!packets.isEmpty, "no VRRP packets in \(file.lastPathComponent)", sourceLocation: sourceLocation)
    #expect(packets.count == adverts.count, "tshark saw \(packets.count) VRRP packets, haexplain \(adverts.count)", sourceLocation: sourceLocation)
    func strings(_ value: Any?) -> [String] {
        if let list = value as? [String] { return list }
        if let one = value as? String { return [one] }
        return []
    }
    func int(_ value: Any?) -> Int? {
        guard let text = strings(value).first else { return nil }
        return text.hasPrefix("0x") ? Int(text.dropFirst(2), radix: 16) : Int(text)
    }
    var compared = 0
    for packet in packets {
        let layers = try #require((packet["_source"] as? [String: Any])?["layers"] as? [String: Any])
        let frame = try #require(layers["frame"] as? [String: Any])
        let number = try #require(int(frame["frame.number"]))
        let vrrp = try #require(layers["vrrp"] as? [String: Any])
        let typeVersion = vrrp["vrrp.typever_tree"] as? [String: Any] ?? [:]
        guard let advert = adverts[number] else {
            Issue.record("packet #\(number): tshark decodes VRRP, haexplain does not", sourceLocation: sourceLocation)
            continue
        }
        let context = "packet #\(number) of \(file.lastPathComponent)"
        #expect(int(typeVersion["vrrp.version"]) == Int(advert.version), "\(context)", sourceLocation: sourceLocation)
        #expect(int(typeVersion["vrrp.type"]) == Int(advert.type), "\(context)", sourceLocation: sourceLocation)
        #expect(int(vrrp["vrrp.virt_rtr_id"]) == Int(advert.vrid), "\(context)", sourceLocation: sourceLocation)
        #expect(int(vrrp["vrrp.prio"]) == Int(advert.priority), "\(context)", sourceLocation: sourceLocation)
        #expect(int(vrrp["vrrp.addr_count"]) == advert.virtualAddresses.count, "\(context)", sourceLocation: sourceLocation)
        #expect(int(vrrp["vrrp.checksum"]) == Int(advert.checksum), "\(context)", sourceLocation: sourceLocation)
        // tshark: 1 good, 0 bad (2 unverified is never expected here).
        #expect(int(vrrp["vrrp.checksum.status"]) == (advert.checksumValid ? 1 : 0), "\(context)", sourceLocation: sourceLocation)
        if advert.version == 2 {
            #expect(int(vrrp["vrrp.auth_type"]) == advert.authType.map(Int.init), "\(context)", sourceLocation: sourceLocation)
            #expect(int(vrrp["vrrp.adver_int"]).map { $0 * 100 } == advert.interval, "\(context)", sourceLocation: sourceLocation)
            // Eight NUL bytes are "" to tshark and no authentication data to haexplain.
            if let password = strings(vrrp["vrrp.auth_string"]).first, !password.isEmpty || advert.authData != nil {
                #expect(Secret(password).fingerprint == advert.authData?.fingerprint, "\(context)", sourceLocation: sourceLocation)
            }
        } else {
            #expect(int(vrrp["vrrp.short_adver_int"]) == advert.interval, "\(context)", sourceLocation: sourceLocation)
        }
        let addresses = strings(vrrp["vrrp.ip_addr"]) + strings(vrrp["vrrp.ipv6_addr"])
        #expect(addresses.compactMap { IPAddress($0) } == advert.virtualAddresses, "\(context)", sourceLocation: sourceLocation)
        if let ip = layers["ip"] as? [String: Any] {
            #expect(strings(ip["ip.src"]).first.flatMap { IPAddress($0) } == advert.sourceAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(strings(ip["ip.dst"]).first.flatMap { IPAddress($0) } == advert.destinationAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(int(ip["ip.ttl"]) == Int(advert.ttl), "\(context)", sourceLocation: sourceLocation)
            #expect(int(ip["ip.checksum.status"]) == (advert.ipHeaderChecksumValid ? 1 : 0), "\(context)", sourceLocation: sourceLocation)
        } else if let ip6 = layers["ipv6"] as? [String: Any] {
            #expect(strings(ip6["ipv6.src"]).first.flatMap { IPAddress($0) } == advert.sourceAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(strings(ip6["ipv6.dst"]).first.flatMap { IPAddress($0) } == advert.destinationAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(int(ip6["ipv6.hlim"]) == Int(advert.ttl), "\(context)", sourceLocation: sourceLocation)
        }
        #expect(tsharkVLANs(layers) == advert.vlans, "\(context)", sourceLocation: sourceLocation)
        if let eth = layers["eth"] as? [String: Any] {
            #expect(strings(eth["eth.src"]).first == advert.sourceMAC?.description, "\(context)", sourceLocation: sourceLocation)
        } else if let sll = layers["sll"] as? [String: Any] {
            #expect(strings(sll["sll.src.eth"]).first == advert.sourceMAC?.description, "\(context)", sourceLocation: sourceLocation)
            #expect(int(sll["sll.ifindex"]) == advert.interfaceIndex, "\(context)", sourceLocation: sourceLocation)
        } else if layers["sll"] == nil, advert.sourceMAC != nil {
            Issue.record("\(context): haexplain has a MAC, tshark neither an Ethernet nor a Linux cooked header", sourceLocation: sourceLocation)
        }
        compared += 1
    }
    #expect(compared == packets.count, sourceLocation: sourceLocation)
}
