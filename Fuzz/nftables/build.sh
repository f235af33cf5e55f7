#!/usr/bin/env bash
# The nftables ruleset reader (its JSON value parser, then libnftables' schema; text from nft -a).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/nftables/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" HAExplainCore \
  "Sources/HAExplainCore/Verdict/FirewallRuleset.swift Sources/HAExplainCore/Snapshot/JSONValue.swift"
