#!/usr/bin/env bash
# The DNS message parser (Sources/DNSMessage).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/dns/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" DNSMessage "Sources/DNSMessage/*.swift"
