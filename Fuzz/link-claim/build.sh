#!/usr/bin/env bash
# The ARP/NDP decoder (Sources/VRRP/LinkClaim.swift with the codec it reuses): frames of every link type into LinkClaimDecoder.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/link-claim/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" VRRP "Sources/VRRP/*.swift"
