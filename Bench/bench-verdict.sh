#!/usr/bin/env bash
# Time to a verdict: `haexplain ip 192.168.3.200 --json` from the seed lab's application server
# (advert_int 1 s), calm (target <= 1.5 s), during a split brain named CONFLICT (<= 2.5 s), and
# over a seeded storm (Tests/Chaos/storm.py; median target <= 1.6 s): the distributions and
# their ratio to the targets. BENCH_VERDICT_STEPS (default 20) and CHAOS_SEED (default 1).
set -euo pipefail
bin=$(realpath "${1:?usage: bench-verdict.sh HAEXPLAIN}")
here=$(cd "$(dirname "$0")/.." && pwd)
python3 "$here/Tests/Chaos/storm.py" bench --bin "$bin" --seed "${CHAOS_SEED:-1}" --steps "${BENCH_VERDICT_STEPS:-20}"
