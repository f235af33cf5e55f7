#!/usr/bin/env bash
# The link-layer census (Sources/HAExplainCore/Wire/LinkLayer*.swift Sources/HAExplainCore/Text/LinkLayerText.swift) fed through the VRRP census
# recorder with the codecs and the JSON output, built as one module named VRRP so their
# `import VRRP` resolves to it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/link-census/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" VRRP \
  "Sources/VRRP/*.swift Sources/HAExplainCore/Wire/VRRPCensus*.swift Sources/HAExplainCore/Wire/LinkLayer*.swift Sources/HAExplainCore/Text/LinkLayerText.swift Sources/HAExplainCore/Snapshot/JSONOutput.swift" \
  -suppress-warnings
