#!/usr/bin/env bash
# The census over decoded adverts (Sources/HAExplainCore/Wire/VRRPCensus*.swift with the codec
# and the JSON output), built as one module named VRRP so their `import VRRP` resolves to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/vrrp-census/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" VRRP \
  "Sources/VRRP/*.swift Sources/HAExplainCore/Wire/VRRPCensus*.swift Sources/HAExplainCore/Wire/LinkLayer*.swift Sources/HAExplainCore/Text/LinkLayerText.swift Sources/HAExplainCore/Snapshot/JSONOutput.swift" \
  -suppress-warnings
