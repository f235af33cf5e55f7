#!/usr/bin/env bash
# The route-get and rule-dump decoder (Sources/Netlink without the socket) linked with libmnl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/route/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" Netlink \
  "Sources/Netlink/*.swift" -I "$here/../../Sources/CMNL" -lmnl
