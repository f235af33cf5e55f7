#!/usr/bin/env bash
# The pcapng block reader (Sources/VRRP/PcapngReader.swift) with the decoder behind it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/pcapng/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" VRRP "Sources/VRRP/*.swift"
