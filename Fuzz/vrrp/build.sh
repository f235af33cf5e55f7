#!/usr/bin/env bash
# The VRRP codec (Sources/VRRP): link-layer frames of every type into VRRPDecoder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/vrrp/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" VRRP "Sources/VRRP/*.swift"
