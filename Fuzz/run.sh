#!/usr/bin/env bash
# Builds and runs every libFuzzer target under Fuzz/<target>/ for FUZZ_SECONDS each
# (default 600: ten minutes per target per round), starting from the committed corpus.
# Each target dir has build.sh; FUZZ_TARGETS="vrrp pcapng" runs only those.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-600}
status=0
for dir in */; do
  target=${dir%/}
  [ -f "$target/build.sh" ] || continue
  if [ -n "${FUZZ_TARGETS:-}" ] && ! grep -qw "$target" <<<"$FUZZ_TARGETS"; then continue; fi
  echo "== fuzz $target (${seconds}s)"
  mkdir -p "out/$target/corpus"
  bash "$target/build.sh" "out/$target/fuzzer"
  SWIFT_BACKTRACE=enable=no "out/$target/fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      "out/$target/corpus" "$target/corpus" >"out/$target/log" 2>&1 || { status=1; tail -30 "out/$target/log"; }
  grep -E '^(#[0-9]+ +DONE|Done)' "out/$target/log" | tail -1 || true
done
exit $status
