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
# The interfaces the configuration names exist, in a namespace of the bench's own, so neither
# tool stops short at a missing one.
ns="hxbench-ka-$$"
trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
ip netns add "$ns"
for i in $(seq 0 7); do ip -n "$ns" link add "bench$i" type veth peer name "benchp$i"; done
in_ns="ip netns exec $ns"
python3 "$here/compare.py" "keepalived (2,000 vrrp_instances in 8 included files): keepalived -t vs haexplain keepalived" "<= 1.0x" \
  "$in_ns keepalived -t -f $out/keepalived.conf" "$in_ns $bin keepalived --keepalived-config $out/keepalived.conf" 6 5
python3 "$here/compare.py" "keepalived --json (same files): keepalived -t vs haexplain keepalived --json" "none set" \
  "$in_ns keepalived -t -f $out/keepalived.conf" "$in_ns $bin keepalived --json --keepalived-config $out/keepalived.conf" 4 5
