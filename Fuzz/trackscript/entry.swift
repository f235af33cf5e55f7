import HAModel
import Processes

// The first line is a vrrp_script `script`; each further line is a process
// "comm<TAB>argv0<TAB>argv1...". Splitting, option parsing, regex compilation and the
// matchers must never trap or hang, whatever the script and the process table hold.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let script = lines.first.map(String.init) ?? ""
    var processes: [RunningProcess] = []
    for (index, line) in lines.dropFirst().prefix(64).enumerated() {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        processes.append(RunningProcess(pid: Int32(index + 2), ppid: 1, comm: fields.first ?? "", arguments: Array(fields.dropFirst()),
                                        exe: fields.count > 1 ? fields[1] : nil, state: index % 5 == 0 ? "Z" : "S",
                                        uid: UInt32(index % 3), savedUID: 0))
    }
    let surroundings = ScriptSurroundings(processes: processes, file: { path in
        path.contains("x") ? PathFact(kind: path.hasSuffix("/") ? .directory : .regular, size: Int64(path.utf8.count)) : nil
    }, realPath: { $0 }, scriptUID: UInt32(size % 2), description: "fuzz", namespaceLevel: size % 3)
    _ = TrackScriptEvaluator.evaluate(name: "fuzz", script: script, file: "fuzz", line: 1, in: surroundings)
    return 0
}
