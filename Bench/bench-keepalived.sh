#!/usr/bin/env bash
# haexplain keepalived (parse + model + analysis) as text and as --json against `keepalived -t`
# on the same configuration: 2,000 vrrp_instances split over 8 included files, each instance
# shaped differently (seeded): 1 to 12 VIPs, IPv4 or IPv6, track scripts, track interfaces,
# unicast peers, sync groups, PASS, AH or no authentication. Prints the median ratios
# haexplain/keepalived (target <= 1.0x for both).
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out/keepalived"
seed=${BENCH_SEED:-14}
rm -rf "$out" && mkdir -p "$out/conf.d"
python3 - "$out" "$seed" <<'PY'
import random, sys
out, seed = sys.argv[1], int(sys.argv[2])
rng = random.Random(seed)
print(f"keepalived bench input: seed {seed}", file=sys.stderr)
scripts = ["chk_haproxy", "chk_nginx", "chk_db", "chk_file"]
with open(f"{out}/keepalived.conf", "w") as f:
    f.write("global_defs {\n  router_id bench\n  enable_script_security\n  script_user root\n}\n")
    for i, name in enumerate(scripts):
        f.write(f"vrrp_script {name} {{\n  script \"/bin/true\"\n  interval {1 + i}\n  weight {-2 * (i + 1)}\n")
        if i % 2: f.write("  fall 3\n  rise 2\n")
        f.write("}\n")
    f.write("include conf.d/*.conf\n")
groups = []
for file in range(8):
    lines = []
    for n in range(250):
        i = file * 250 + n
        iface = f"bench{i // 255}"
        v6 = rng.random() < 0.3
        lines.append(f"vrrp_instance VI_{i} {{")
        lines.append(f"    state {rng.choice(['MASTER', 'BACKUP'])}")
        lines.append(f"    interface {iface}")
        lines.append(f"    virtual_router_id {i % 255 + 1}")
        lines.append(f"    priority {rng.randint(50, 254)}")
        lines.append(f"    advert_int {rng.choice([1, 1, 2, 3])}")
        if rng.random() < 0.3: lines.append("    nopreempt")
        if v6: lines.append("    native_ipv6")
        elif rng.random() < 0.2: lines.append(f"    version {rng.choice([2, 3])}")
        auth = rng.choice(["PASS", "PASS", "AH", None]) if not v6 else None
        if auth:
            lines += ["    authentication {", f"        auth_type {auth}", f"        auth_pass pw{rng.randrange(10**6)}", "    }"]
        if rng.random() < 0.35:
            lines.append(f"    unicast_src_ip 10.250.{i // 250}.{i % 250 + 1}" if not v6 else f"    unicast_src_ip fd00:ffff::{i:x}")
            lines.append("    unicast_peer {")
            for p in range(rng.randint(1, 4)):
                lines.append(f"        10.251.{p}.{i % 250 + 1}" if not v6 else f"        fd00:fffe:{p}::{i:x}")
            lines.append("    }")
        lines.append("    virtual_ipaddress {")
        for k in range(rng.choice([1, 1, 2, 2, 3, 4, 6, 12])):
            if v6:
                lines.append(f"        fd00:{i:x}::{k + 1}/64 dev {iface}")
            else:
                extra = rng.choice(["", "", f" label {iface}:{k}", " scope link", " brd 10.0.0.255"])
                lines.append(f"        10.{i // 250}.{i % 250}.{k + 1}/{rng.choice([32, 24, 28])} dev {iface}{extra}")
        lines.append("    }")
        if rng.random() < 0.6:
            lines.append("    track_script {")
            for s in rng.sample(scripts, rng.randint(1, 3)):
                lines.append(f"        {s}" + (f" weight {rng.randint(-20, -1)}" if rng.random() < 0.3 else ""))
            lines.append("    }")
        if rng.random() < 0.3:
            lines.append("    track_interface {")
            lines.append(f"        bench{rng.randrange(8)}" + (f" weight {rng.randint(-30, -1)}" if rng.random() < 0.5 else ""))
            lines.append("    }")
        lines.append("}")
        if rng.random() < 0.15: groups.append(i)
    with open(f"{out}/conf.d/{file}.conf", "w") as f:
        f.write("\n".join(lines) + "\n")
        # Sync groups of the instances this file holds, two or three at a time.
        mine = [g for g in groups if g // 250 == file]
        for start in range(0, len(mine) - 1, 3):
            members = mine[start:start + 3]
            f.write(f"vrrp_sync_group G_{members[0]} {{\n    group {{\n" + "".join(f"        VI_{m}\n" for m in members) + "    }\n}\n")
PY
# The interfaces the configuration names exist, in a namespace of the bench's own, so neither
# tool stops short at a missing one.
ns="hxbench-ka-$$"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
for i in $(seq 0 7); do ip -n "$ns" link add "bench$i" type veth peer name "benchp$i"; done
in_ns="ip netns exec $ns"
# keepalived -t exits 5 on this configuration (it clears nopreempt, AH with MASTER, ... and says
# so) after checking all of it, so its failure status is not a failed run.
export COMPARE_IGNORE_FAILURE=1
python3 "$here/compare.py" "keepalived (2,000 varied vrrp_instances in 8 included files): keepalived -t vs haexplain keepalived" "<= 1.0x" \
  "$in_ns keepalived -t -f $out/keepalived.conf" "$in_ns $bin keepalived --keepalived-config $out/keepalived.conf" 6 5
python3 "$here/compare.py" "keepalived --json (same files): keepalived -t vs haexplain keepalived --json" "<= 1.0x" \
  "$in_ns keepalived -t -f $out/keepalived.conf" "$in_ns $bin keepalived --json --keepalived-config $out/keepalived.conf" 6 5
