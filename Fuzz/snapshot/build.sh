#!/usr/bin/env bash
# Snapshot decoding (HostSnapshot.decode, Sources/HAExplainCore) with the modules it needs,
# each built as a static module under the fuzzer's sanitizers so their imports resolve.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$here/../out/snapshot/fuzzer}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6 -suppress-warnings -I "$work")
module() {
  local name=$1; shift
  ( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name "$name" "$@" -o "lib$name.a" )
}
module HAModel "$root"/Sources/HAModel/*.swift
module JSONEncoding "$root"/Sources/JSONEncoding/*.swift
for name in KeepalivedConfig HostsFile DNSMessage VRRP HAProxyConfig; do
  module "$name" "$root"/Sources/"$name"/*.swift
done
module Processes "$root"/Sources/Processes/*.swift
module HAExplainCore "$root"/Sources/HAExplainCore/*/*.swift
mkdir -p "$(dirname "$out")"
swiftc "${flags[@]}" "$here/entry.swift" "$work"/libHAExplainCore.a "$work"/libProcesses.a "$work"/libKeepalivedConfig.a \
  "$work"/libHostsFile.a "$work"/libDNSMessage.a "$work"/libVRRP.a "$work"/libHAProxyConfig.a "$work"/libHAModel.a "$work"/libJSONEncoding.a -o "$out"
echo "built $out"
