#!/usr/bin/env bash
# haexplain neigh --json vs ip -j -s neigh show nud all on a table of 10,000 entries (IPv4
# and IPv6, permanent: the kernel does not age them away), in alternating hyperfine rounds inside a
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
# Alternating rounds (Bench/compare.py), so a load that comes and goes hits both alike.
python3 "$(dirname "$0")/compare.py" "neigh (10,000 entries): ip -j -s neigh show nud all vs haexplain neigh --json" "none set" \
  "ip -n $ns -j -s neigh show nud all" "$bin neigh --json --netns $ns" 6 8
