#!/usr/bin/env bash
# make demo: the seed's story, live. Builds the two balancers and the application server in
# network namespaces (demo/lab.sh), asks `haexplain ip 192.168.3.200` from all three, kills
# haproxy on the master to show the failover, brings it back, and tears everything down,
# even on Ctrl-C.
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
here=$(cd "$(dirname "$0")" && pwd)
lab() { bash "$here/lab.sh" "$@"; }
trap 'lab down' EXIT INT TERM

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ask() {
  local node=$1 label=$2; shift 2
  say "$label: haexplain ip $*"
  lab run "$node" "$bin" ip "$@" || true
}
round() {
  ask app "prod-app-000 (application server)" prod-db-internal.panda.com
  ask lb0 "prod-haproxy-000 (192.168.3.4)" 192.168.3.200
  ask lb1 "prod-haproxy-001 (192.168.3.5)" 192.168.3.200
}

say "building the seed's network: prod-haproxy-000, prod-haproxy-001 (real keepalived + haproxy), prod-app-000"
lab up
echo "VRRP has settled: 192.168.3.200 on prod-haproxy-000, 192.168.3.201 on prod-haproxy-001"
say "what ifconfig shows on prod-haproxy-000 (the seed's confusion)"
lab run lb0 ifconfig eth2 | sed -n '1,3p'
round
say "prod-haproxy-000: haexplain haproxy 192.168.3.200:3306 (its running haproxy's -f, the sockets that listen)"
lab run lb0 "$bin" haproxy 192.168.3.200:3306 || true

say "haproxy dies on prod-haproxy-000: chk_haproxy fails, 100 - 2 = 98 < 99"
lab haproxy-stop lb0
lab wait-vip lb1 192.168.3.200 && lab wait-vip lb0 192.168.3.200 absent
round

say "haproxy comes back on prod-haproxy-000: 100 > 99, it preempts and takes 192.168.3.200 back"
lab haproxy-start lb0
lab wait-vip lb0 192.168.3.200 && lab wait-vip lb1 192.168.3.200 absent
ask app "prod-app-000 (application server)" prod-db-internal.panda.com
say "done; tearing the lab down"
