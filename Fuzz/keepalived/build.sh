#!/usr/bin/env bash
# The keepalived.conf reader and its analysis (Sources/KeepalivedConfig), files in memory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/keepalived/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" KeepalivedConfig "Sources/KeepalivedConfig/*.swift"
