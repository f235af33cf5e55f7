#!/usr/bin/env bash
# The route-get and rule-dump decoder (Sources/Netlink without the socket) linked with libmnl.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/route/fuzzer}")
# Netlink enters namespaces (Namespaces) and reads sysctls (LocalFiles, whose disk sources
# name the keepalived and haproxy readers' protocols), all on swift-system.
export FUZZ_DEPENDS="SystemPackage KeepalivedConfig=Sources/KeepalivedConfig/*.swift HAProxyConfig=Sources/HAProxyConfig/*.swift LocalFiles=Sources/LocalFiles/*.swift Namespaces=Sources/Namespaces/*.swift"
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" Netlink \
  "Sources/Netlink/*.swift" -I "$here/../../Sources/CMNL" -I "$here/../../Sources/CNamespaces" -lmnl
