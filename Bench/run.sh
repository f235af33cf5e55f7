#!/usr/bin/env bash
# Runs every benchmark script in Bench/ (each compares haexplain with its reference tool on
# the same input, in the same run, and prints median ratios).
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
cd "$(dirname "$0")"
status=0
for script in bench-*.sh; do
  echo "== $script"
  bash "$script" "$bin" || status=1
done
exit $status
