#!/usr/bin/env bash
# Judging `killall -0 haproxy` from /proc (haexplain keepalived, which reads every process
# and evaluates the track script) vs running killall -0 and pidof themselves, on 2,000
# processes in a throwaway pid and mount namespace, in one hyperfine run. Prints the ratio.
set -euo pipefail
bin=$(realpath "${1:?usage: bench-processes.sh HAEXPLAIN}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp /bin/sleep "$work/haproxy"
cat > "$work/keepalived.conf" <<CONF
vrrp_script chk_haproxy {
    script "killall -0 haproxy"
    weight -2
}
vrrp_instance VI_1 {
    interface lo
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        10.99.0.1/32
    }
    track_script {
        chk_haproxy
    }
}
CONF
# Everything below runs as init of a new pid namespace: its processes die with it.
unshare --pid --fork --kill-child --mount-proc bash -s "$bin" "$work" <<'INNER'
set -euo pipefail
bin=$1; work=$2
for i in $(seq 1 2000); do sleep 1000 & done
"$work/haproxy" 1000 &
hyperfine -N --warmup 3 --runs 20 --export-json "$work/result.json" \
  "killall -0 haproxy" "pidof haproxy" "$bin keepalived --keepalived-config $work/keepalived.conf --json" >/dev/null
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
killall, pidof, hx = (x["median"] * 1000 for x in r)
print(f"processes (2,001 in the namespace): killall -0 {killall:.1f} ms, pidof {pidof:.1f} ms, "
      f"haexplain keepalived (reads /proc, judges killall -0 haproxy) {hx:.1f} ms, "
      f"median ratio haexplain/killall = {hx / killall:.2f}x")
PY
INNER
