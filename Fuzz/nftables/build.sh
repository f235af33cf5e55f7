#!/usr/bin/env bash
# The nftables ruleset reader (JSON from libnftables, text from nft -a) of HAExplainCore.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/nftables/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" HAExplainCore \
  "Sources/HAExplainCore/FirewallRuleset.swift Sources/HAExplainCore/JSONReading.swift"
