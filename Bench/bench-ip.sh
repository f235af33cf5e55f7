#!/usr/bin/env bash
# haexplain ip 192.168.3.200 --no-listen on the seed lab (demo/lab.sh), from the master:
# median wall time and peak RSS (targets <= 30 ms and <= 30 MiB).
set -euo pipefail
bin=$(realpath "${1:?usage: bench-ip.sh HAEXPLAIN}")
here=$(cd "$(dirname "$0")/.." && pwd)
export LAB_PREFIX="hxbip$$" LAB_STATE="/var/tmp/hxbip$$-lab"
work=$(mktemp -d)
trap 'bash "$here/demo/lab.sh" down; rm -rf "$work"' EXIT
bash "$here/demo/lab.sh" up
holder=$(cat "/proc/$(cat "$LAB_STATE/lb0/unshare.pid")/task/$(cat "$LAB_STATE/lb0/unshare.pid")/children" | awk '{print $1}')
cmd="nsenter -t $holder -n -m -p -u -- $bin ip 192.168.3.200 --no-listen --no-dns"
hyperfine -N --warmup 3 --runs 30 --export-json "$work/r.json" "nsenter -t $holder -n -m -p -u -- true" "$cmd" >/dev/null
rss=$(nsenter -t "$holder" -n -m -p -u -- /usr/bin/time -f %M "$bin" ip 192.168.3.200 --no-listen --no-dns 2>&1 >/dev/null | tail -1)
python3 - "$work/r.json" "$rss" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
enter, ip = r[0]["median"] * 1000, r[1]["median"] * 1000
print(f"ip --no-listen (seed lab, on the master): median {ip - enter:.1f} ms (nsenter alone {enter:.1f} ms subtracted; "
      f"target <= 30 ms), peak RSS {int(sys.argv[2]) / 1024:.1f} MiB (target <= 30 MiB)")
PY
