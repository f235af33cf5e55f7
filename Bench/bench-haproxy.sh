#!/usr/bin/env bash
# haexplain haproxy (the reader, sockets from sock_diag, the report, text out) against
# `haproxy -c` on the same configuration: 2,000 frontends and 2,000 backends in 8 files of a
# -f directory. Prints the median ratio haexplain/haproxy -c (target <= 1.0x).
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out/haproxy"
rm -rf "$out" && mkdir -p "$out/conf.d"
printf 'global\n    maxconn 4096\ndefaults\n    mode tcp\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n' > "$out/conf.d/00-global.cfg"
for file in $(seq 1 8); do
  for n in $(seq 0 249); do
    i=$(((file - 1) * 250 + n))
    a=$((i / 250)); b=$((i % 250))
    cat <<CONF
frontend fe-$i
    bind 10.$a.$b.1:$((10000 + i)),10.$a.$b.2:80-81 transparent
    bind "10.$a.$b.3:443" v4v6
    use_backend be-$i if { dst_port 80 }
    default_backend be-$i
backend be-$i
    server s1-$i 10.9.$a.$b:5432 check
    server s2-$i 10.8.$a.$b:5432 check backup
CONF
  done > "$out/conf.d/$file-proxies.cfg"
done
hyperfine --warmup 2 --runs 15 -N -i --export-csv "$out/result.csv" \
  -n haexplain "$bin haproxy --haproxy-config $out/conf.d" \
  -n "haproxy -c" "haproxy -c -q -f $out/conf.d"
awk -F, 'NR > 1 { median[$1] = $4; cpu[$1] = $5 + $6 } END {
  printf "haproxy: median haexplain %.1f ms, haproxy -c %.1f ms, ratio %.2fx (target <= 1.0x)\n",
    median["haexplain"] * 1000, median["haproxy -c"] * 1000, median["haexplain"] / median["haproxy -c"]
  printf "haproxy: CPU time haexplain %.1f ms, haproxy -c %.1f ms, ratio %.2fx\n",
    cpu["haexplain"] * 1000, cpu["haproxy -c"] * 1000, cpu["haexplain"] / cpu["haproxy -c"] }' "$out/result.csv"
