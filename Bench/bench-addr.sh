#!/usr/bin/env bash
# haexplain addr --json vs ip -j addr show on 10,000 varied addresses (seeded: IPv4 and IPv6,
# prefix lengths, labels, secondaries, nodad/noprefixroute/home flags, finite lifetimes) over
# eight interfaces, in one hyperfine run (alternating rounds) inside a throwaway network
# namespace. Prints the median ratio.
set -euo pipefail
bin=${1:?usage: bench-addr.sh HAEXPLAIN}
seed=${BENCH_SEED:-14}
ns="hxbench-addr-$$"
work=$(mktemp -d)
cleanup() { ip netns del "$ns" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
for i in $(seq 0 7); do
  ip -n "$ns" link add "eth$i" type veth peer name "eth${i}p"
  ip -n "$ns" link set "eth$i" up
done
python3 - "$seed" > "$work/batch" <<'PY'
import random, sys
seed = int(sys.argv[1])
rng = random.Random(seed)
print(f"addr bench input: seed {seed}", file=sys.stderr)
for i in range(10000):
    dev = f"eth{rng.randrange(8)}"
    life = f" valid_lft {rng.randrange(600, 86400)} preferred_lft {rng.randrange(0, 600)}" if rng.random() < 0.2 else ""
    if rng.random() < 0.35:
        flags = rng.choice(["", "", " nodad", " noprefixroute", " home", " nodad noprefixroute"])
        print(f"addr add fd{rng.randrange(256):02x}:{i:x}::{rng.randrange(1, 65535):x}/{rng.choice([64, 64, 128, 96, 48])} dev {dev}{flags}{life}")
    else:
        label = f" label {dev}:{rng.randrange(100)}" if rng.random() < 0.25 else ""
        flags = " noprefixroute" if rng.random() < 0.1 else ""
        # Repeated subnets make secondaries.
        print(f"addr add 10.{i // 250}.{i % 250}.{rng.randrange(1, 250)}/{rng.choice([32, 32, 24, 16, 28])} dev {dev}{label}{flags}{life}")
PY
ip -n "$ns" -force -batch "$work/batch"
python3 "$(dirname "$0")/compare.py" "addr (10,000 varied addresses on 8 interfaces): ip -j addr show vs haexplain addr --json" "<= 1.0x" \
  "ip -n $ns -j addr show" "$bin addr --json --netns $ns"
