#!/usr/bin/env bash
# haexplain addr --json vs ip -j addr show on an interface holding 10,000 addresses, in one
# hyperfine run (alternating rounds) inside a throwaway network namespace. Prints the median ratio.
set -euo pipefail
bin=${1:?usage: bench-addr.sh HAEXPLAIN}
ns="hxbench-addr-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link add eth2 type veth peer name eth2p
ip -n "$ns" link set eth2 up
python3 -c '
for i in range(10000):
    print(f"addr add 10.{i // 250}.{i % 250}.1/32 dev eth2")' > "$work/batch"
ip -n "$ns" -batch "$work/batch"
python3 "$(dirname "$0")/compare.py" "addr (10,000 addresses): ip -j addr show vs haexplain addr --json" "<= 1.0x" \
  "ip -n $ns -j addr show" "$bin addr --json --netns $ns"
