#!/usr/bin/env bash
# haexplain addr --json vs ip -j addr show on an interface holding 10,000 addresses, in one
# hyperfine run inside a throwaway network namespace. Prints the median ratio.
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
hyperfine -N --warmup 5 --runs 40 --export-json "$work/result.json" \
  "ip -n $ns -j addr show" "$bin addr --json --netns $ns" >/dev/null
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ip, hx = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"addr (10,000 addresses): ip -j addr show {ip:.1f} ms, haexplain addr --json {hx:.1f} ms, "
      f"median ratio haexplain/ip = {hx / ip:.2f}x (target <= 1.0x)")
PY
