import Foundation
import HAModel
import JSONEncoding
import LabSupport
import Testing

@Suite struct SecretTests {
    @Test("SHA-256 agrees with sha256sum on empty, short and multi-block inputs")
    func digestMatchesSha256sum() throws {
        // Lengths either side of the padding boundaries (55/56 and 64 bytes a block).
        let edges = [55, 56, 57, 63, 64, 65, 119, 120].map { String(repeating: "x", count: $0) }
        for text in ["", "abc", "s3cr3t!", String(repeating: "panda", count: 50)] + edges {
            let expected = try Shell.check(["sha256sum"], stdin: text).split(separator: " ").first.map(String.init)
            #expect(SHA256.hex(SHA256.digest(Array(text.utf8))) == expected)
        }
    }

    @Test("a secret never appears in its description or JSON, only its fingerprint")
    func secretIsNeverPrinted() throws {
        let secret = Secret("hunter22")
        let json = try OrderedJSONEncoder().encode(["auth_pass": secret])
        #expect(!json.contains("hunter22"))
        #expect(!"\(secret)".contains("hunter22"))
        #expect(json.contains(secret.fingerprint))
        #expect(secret.fingerprint.hasPrefix("sha256:") && secret.fingerprint.count == 15)
        #expect(secret.matches(Secret("hunter22")) && !secret.matches(Secret("hunter23")))
    }
}
