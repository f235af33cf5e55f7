#!/usr/bin/env bash
# The track-script judge and the killall/pidof/pgrep matchers (Sources/Processes, without the
# daemon finder that needs the keepalived reader), on arbitrary scripts and process tables.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/trackscript/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" Processes \
  "Sources/Processes/ProcessMatching.swift Sources/Processes/TrackScriptEvaluation.swift"
