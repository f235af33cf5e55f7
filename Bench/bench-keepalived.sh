#!/usr/bin/env bash
# haexplain keepalived (parse + model + analysis, text out) against `keepalived -t` on the
# same configuration: 2,000 vrrp_instances split over 8 included files. Prints the median
# ratio haexplain/keepalived (target <= 1.0x).
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
here=$(cd "$(dirname "$0")" && pwd)
out="$here/out/keepalived"
rm -rf "$out" && mkdir -p "$out/conf.d"
{
  echo 'global_defs {'
  echo '  router_id bench'
  echo '  enable_script_security'
  echo '  script_user root'
  echo '}'
  echo 'vrrp_script chk_haproxy {'
  echo '  script "/bin/true"'
  echo '  interval 2'
  echo '  weight -2'
  echo '}'
  echo 'include conf.d/*.conf'
} > "$out/keepalived.conf"
for file in $(seq 0 7); do
  for n in $(seq 0 249); do
    i=$((file * 250 + n))
    vrid=$((i % 255 + 1))
    iface="bench$((i / 255))"
    cat <<CONF
vrrp_instance VI_$i {
    state $([ $((i % 2)) -eq 0 ] && echo MASTER || echo BACKUP)
    interface $iface
    virtual_router_id $vrid
    priority $((100 + i % 50))
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass pw$i
    }
    virtual_ipaddress {
        10.$((i / 250)).$((i % 250)).1/32 dev $iface
        10.$((i / 250)).$((i % 250)).2/24 dev $iface label $iface:v
    }
    track_script {
        chk_haproxy
    }
}
CONF
  done > "$out/conf.d/$file.conf"
done
hyperfine --warmup 2 --runs 15 -N -i --export-csv "$out/result.csv" \
  -n haexplain "$bin keepalived --keepalived-config $out/keepalived.conf" \
  -n "keepalived -t" "keepalived -t -f $out/keepalived.conf"
# Wall-clock medians, and mean CPU time (user + system), which a busy machine disturbs less.
awk -F, 'NR > 1 { median[$1] = $4; cpu[$1] = $5 + $6 } END {
  printf "keepalived: median haexplain %.1f ms, keepalived -t %.1f ms, ratio %.2fx (target <= 1.0x)\n",
    median["haexplain"] * 1000, median["keepalived -t"] * 1000, median["haexplain"] / median["keepalived -t"]
  printf "keepalived: CPU time haexplain %.1f ms, keepalived -t %.1f ms, ratio %.2fx\n",
    cpu["haexplain"] * 1000, cpu["keepalived -t"] * 1000, cpu["haexplain"] / cpu["keepalived -t"] }' "$out/result.csv"
