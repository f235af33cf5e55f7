#!/usr/bin/env bash
# The hosts-file scanner and lookups, host.conf, nsswitch.conf and resolv.conf parsers.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "${1:-$here/../out/hosts/fuzzer}")
exec bash "$here/../build-fuzzer.sh" "$out" "$here/entry.swift" HostsFile "Sources/HostsFile/*.swift"
