#!/usr/bin/env bash
# The haproxy.cfg reader (Sources/HAProxyConfig), files and environment in memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/haproxy/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" HAProxyConfig "Sources/HAProxyConfig/*.swift"
