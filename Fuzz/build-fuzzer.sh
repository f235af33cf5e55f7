#!/usr/bin/env bash
# Builds one libFuzzer binary from Swift sources:
#   build-fuzzer.sh OUT ENTRY.swift MODULE "SOURCE_GLOBS" [extra swiftc flags...]
# HAModel and JSONEncoding are built first as static modules of their own, so parser sources
# keep their `import HAModel` unchanged; the parser module and the entry are then compiled with
# -sanitize=fuzzer,address (an executable built by `swift build -Xswiftc -sanitize=fuzzer`
# does not get libFuzzer's main).
# FUZZ_DEPENDS="Module=SOURCE_GLOBS ..." builds further modules (in order, after HAModel) that
# MODULE imports; "SystemPackage" alone stands for apple/swift-system as SwiftPM checked it out.
set -euo pipefail
out=$1; entry=$2; module=$3; sources=$4; shift 4
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
flags=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6)
libraries=("$work/libHAModel.a")
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name HAModel \
    "$root"/Sources/HAModel/*.swift -o libHAModel.a )
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name JSONEncoding \
    "$root"/Sources/JSONEncoding/*.swift -o libJSONEncoding.a )
for dependency in ${FUZZ_DEPENDS:-}; do
  name=${dependency%%=*}
  if [ "$name" = SystemPackage ]; then
    system="$root/.build/checkouts/swift-system"
    [ -d "$system" ] || (cd "$root" && swift package resolve)
    # The settings of swift-system's own Package.swift: its availability macros and defines.
    settings=(-D SYSTEM_PACKAGE -enable-experimental-feature Lifetimes)
    for version in 0.0.1 0.0.2 0.0.3 1.1.0 1.1.1 1.2.0 1.2.1 1.3.0 1.3.1 1.3.2 1.4.0 1.7.0 199; do
      settings+=(-enable-experimental-feature "AvailabilityMacro=System $version:macOS 10.10, iOS 8.0, watchOS 2.0, tvOS 9.0, visionOS 1.0")
    done
    set -- -I "$system/Sources/CSystem/include" "$@"
    # shellcheck disable=SC2046
    ( cd "$work" && swiftc "${flags[@]}" "${settings[@]}" -emit-module -emit-library -static -module-name SystemPackage \
        "$@" $(find "$system/Sources/System" -name '*.swift') -o libSystemPackage.a \
      && clang -O1 -c -I "$system/Sources/CSystem/include" "$system/Sources/CSystem/shims.c" -o csystem.o \
      && ar rcs libSystemPackage.a csystem.o )
  else
    # shellcheck disable=SC2086
    ( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name "$name" \
        -I "$work" $(cd "$root" && printf "$root/%s " ${dependency#*=}) "$@" -o "lib$name.a" )
  fi
  libraries=("$work/lib$name.a" "${libraries[@]}")
done
# shellcheck disable=SC2086
( cd "$work" && swiftc "${flags[@]}" -emit-module -emit-library -static -module-name "$module" \
    -I "$work" $(cd "$root" && printf "$root/%s " $sources) "$@" -o "lib$module.a" )
mkdir -p "$(dirname "$out")"
swiftc "${flags[@]}" -I "$work" "$entry" "$work/lib$module.a" "${libraries[@]}" "$work/libJSONEncoding.a" "$@" -o "$out"
echo "built $out"
