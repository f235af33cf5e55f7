#!/usr/bin/env bash
# The classic pcap record reader (Sources/VRRP/PcapRecordReader.swift) with the decoder behind it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/pcap/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" VRRP "Sources/VRRP/*.swift"
