import Capture
import Foundation
import HAModel
import LabSupport
import Testing
import VRRP

/// Every advert haexplain decodes from `file`, keyed by packet number.
func decodedAdverts(_ file: URL) throws -> [Int: VRRPAdvert] {
    let capture = try PacketCapture.open(file: file.path)
    var decoder = VRRPDecoder()
    var adverts: [Int: VRRPAdvert] = [:]
    var number = 0
    _ = try capture.run(seconds: 0) { frame, time, link in
        number += 1
        if let advert = try? decoder.decode(frame: frame, linkType: link.linkType, packet: number, time: time) {
            adverts[number] = advert
        }
    }
    return adverts
}

/// Compares each VRRP packet's fields as tshark's dissector reports them with haexplain's.
func expectTsharkParity(_ file: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let output = try Shell.check(["tshark", "-n", "-r", file.path, "-T", "json", "--no-duplicate-keys", "-Y", "vrrp"], timeout: 120)
    let packets = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [[String: Any]])
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
            if let password = strings(vrrp["vrrp.auth_string"]).first {
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
        } else if let ip6 = layers["ipv6"] as? [String: Any] {
            #expect(strings(ip6["ipv6.src"]).first.flatMap { IPAddress($0) } == advert.sourceAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(strings(ip6["ipv6.dst"]).first.flatMap { IPAddress($0) } == advert.destinationAddress, "\(context)", sourceLocation: sourceLocation)
            #expect(int(ip6["ipv6.hlim"]) == Int(advert.ttl), "\(context)", sourceLocation: sourceLocation)
        }
        if let eth = layers["eth"] as? [String: Any] {
            #expect(strings(eth["eth.src"]).first == advert.sourceMAC?.description, "\(context)", sourceLocation: sourceLocation)
        } else if let sll = layers["sll"] as? [String: Any] {
            #expect(strings(sll["sll.src.eth"]).first == advert.sourceMAC?.description, "\(context)", sourceLocation: sourceLocation)
            #expect(int(sll["sll.ifindex"]) == advert.interfaceIndex, "\(context)", sourceLocation: sourceLocation)
        } else {
            Issue.record("\(context): neither an Ethernet nor a Linux cooked header", sourceLocation: sourceLocation)
        }
        compared += 1
    }
    #expect(compared == packets.count, sourceLocation: sourceLocation)
}
