import HAExplainCore
import KeepalivedConfig
import Testing

@Suite struct NotifyScriptTextTests {
    @Test("keepalived's text lists each state-change script under its keyword, the key its JSON has, in keepalived's order")
    func keywordsAreKeys() throws {
        let text = """
            vrrp_instance VI_1 {
                interface eth0
                virtual_router_id 1
                virtual_ipaddress {
                    10.0.0.1
                }
                notify_fault "/usr/local/bin/page fault"
                notify_master /usr/local/bin/master
            }
            """
        let config = try KeepalivedParser.parse(path: "k.conf", files: InMemoryConfigFiles(["k.conf": text]), configID: "x")
        let report = KeepalivedAnalysis.analyze([NodeConfiguration(name: "lb0", config: config, chosenBecause: "test")])
        let notify = try #require(report.vrrpInstances.first?.notify)
        #expect(notify.stateScripts.map(\.keyword) == ["notify_master", "notify_fault"])
        let lines = KeepalivedText.render(report).split(separator: "\n").filter { $0.hasPrefix("  notify") }
        #expect(lines == ["  notify_master /usr/local/bin/master", "  notify_fault /usr/local/bin/page fault"], "\(lines)")
        let json = try JSONOutput.encode(notify, pretty: false)
        for (keyword, script) in notify.stateScripts { #expect(json.contains("\"\(keyword)\":\"\(script)\""), "\(json)") }
    }
}
