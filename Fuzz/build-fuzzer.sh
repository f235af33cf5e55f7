#!/usr/bin/env bash
# Builds one libFuzzer binary from Swift sources:
#   build-fuzzer.sh OUT ENTRY.swift MODULE "SOURCE_GLOBS" [extra swiftc flags...]
# HAModel and JSONEncoding are built first as static modules of their own, so parser sources
# keep their `import HAModel` unchanged; the parser module and the entry are then compiled with
# -sanitize=fuzzer,address (an executable built by `swift build -Xswiftc -sanitize=fuzzer`
# does not get libFuzzer's main).
set -euo pipefail
out=$1; entry=$2; module=$3; sources=$4; shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6)
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name HAModel \
    "$root"/Sources/HAModel/*.swift -o libHAModel.a )
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name JSONEncoding \
    "$root"/Sources/JSONEncoding/*.swift -o libJSONEncoding.a )
# shellcheck disable=SC2086
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name "$module" \
    -I "$work" $(cd "$root" && printf "$root/%s " $sources) "$@" -o "lib$module.a" )
mkdir -p "$(dirname "$out")"
swiftc "${flags[@]}" -I "$work" "$entry" "$work/lib$module.a" "$work/libHAModel.a" "$work/libJSONEncoding.a" "$@" -o "$out"
echo "built $out"
