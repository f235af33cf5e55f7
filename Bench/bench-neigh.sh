#!/usr/bin/env bash
# haexplain neigh --json vs ip -j -s neigh show nud all on a table of 10,000 entries (IPv4
# and IPv6, permanent: the kernel does not age them away), in one hyperfine run inside a
# throwaway network namespace. Prints the median ratio.
set -euo pipefail
bin=${1:?usage: bench-neigh.sh HAEXPLAIN}
ns="hxbench-neigh-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add eth2 type veth peer name eth2p
ip -n "$ns" link set eth2 up
ip -n "$ns" addr add 10.0.0.1/8 dev eth2
ip -n "$ns" addr add fd00::1/64 dev eth2 nodad
python3 -c '
for i in range(5000):
    print(f"neigh add 10.{i // 250}.{i % 250}.9 lladdr 02:00:00:00:{i // 256:02x}:{i % 256:02x} dev eth2 nud permanent")
    print(f"neigh add fd00::{i:x}:9 lladdr 02:00:00:01:{i // 256:02x}:{i % 256:02x} dev eth2 nud permanent")' > "$work/batch"
ip -n "$ns" -batch "$work/batch"
# Same entries first: both list the same number, at least the 10,000 made here.
count() { grep -o '"dst"' | wc -l; }
ours=$("$bin" neigh --json --netns "$ns" | count)
theirs=$(ip -n "$ns" -j -s neigh show nud all | count)
[ "$ours" -eq "$theirs" ] && [ "$ours" -ge 10000 ] || { echo "neigh: haexplain lists $ours entries, ip $theirs" >&2; exit 1; }
hyperfine -N --warmup 5 --runs "${BENCH_RUNS:-40}" --export-csv "$work/result.csv" \
  -n haexplain "$bin neigh --json --netns $ns" \
  -n ip "ip -n $ns -j -s neigh show nud all" >/dev/null
# Wall-clock medians, and mean CPU time (user + system), which a busy machine disturbs less.
awk -F, 'NR > 1 { median[$1] = $4; cpu[$1] = $5 + $6 } END {
  printf "neigh (10,000 entries): median haexplain neigh --json %.1f ms, ip -j -s neigh show nud all %.1f ms, ratio %.2fx (target <= 1.0x)\n",
    median["haexplain"] * 1000, median["ip"] * 1000, median["haexplain"] / median["ip"]
  printf "neigh: CPU time haexplain %.1f ms, ip %.1f ms, ratio %.2fx\n",
    cpu["haexplain"] * 1000, cpu["ip"] * 1000, cpu["haexplain"] / cpu["ip"] }' "$work/result.csv"
