#!/usr/bin/env bash
# keepalived's own JSON dump as haexplain reads it (--ask-keepalived): the decoder and the
# comparison with the inference (Sources/HAExplainCore/KeepalivedSays.swift, JSONReading).
# Built in three steps (HAModel, KeepalivedConfig, then the entry with the two HAExplainCore
# files), as the decoder needs the keepalived model and not the rest of HAExplainCore.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$here/../out/keepalived-dump/fuzzer}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6)
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name HAModel \
    "$root"/Sources/HAModel/*.swift -o libHAModel.a )
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name KeepalivedConfig -I "$work" \
    "$root"/Sources/KeepalivedConfig/*.swift -o libKeepalivedConfig.a )
mkdir -p "$(dirname "$out")"
swiftc "${flags[@]}" -module-name KeepalivedDumpFuzz -I "$work" "$here/entry.swift" \
    "$root/Sources/HAExplainCore/Snapshot/JSONReading.swift" "$root/Sources/HAExplainCore/Verdict/KeepalivedSays.swift" \
    "$work/libKeepalivedConfig.a" "$work/libHAModel.a" -o "$out"
echo "built $out"
