#!/usr/bin/env bash
# The seed's two-balancer setup ("project Panda"), built in network namespaces:
#   prod-haproxy-000 (eth2 192.168.3.4, bc:76:4e:05:6c:1c) and prod-haproxy-001 (eth2
#   192.168.3.5, bc:76:4e:05:eb:70), each running real keepalived with the seed's
#   keepalived.conf and a real haproxy, in its own pid and mount namespace (so the
#   `killall -0 haproxy` track script sees only its own node, and /etc/keepalived,
#   /etc/hosts, /run and /tmp are the node's own); an application server (192.168.3.10)
#   whose /etc/hosts has the seed's line; all on one bridge.
#
#   lab.sh up                  build it and wait until VRRP has settled
#   lab.sh down                kill what it started (by PID) and remove the namespaces
#   lab.sh run NODE CMD...     run CMD on NODE (lb0, lb1, app) inside its namespaces
#   lab.sh haproxy-stop NODE   stop haproxy on NODE (the track script then fails)
#   lab.sh haproxy-start NODE  start it again
#   lab.sh keepalived-stop NODE
#   lab.sh keepalived-start NODE   start it again, as the node's init did
#   lab.sh wait-vip NODE ADDR [absent]   wait (max 20 s) until ADDR is (or is not) on NODE
#   lab.sh isolate             the balancers stop hearing each other (bridge port isolation);
#                              the application server still hears both: a split brain
#
# LAB_PREFIX (default hxdemo) names the namespaces; tests use their own prefix.
set -euo pipefail
prefix=${LAB_PREFIX:-hxdemo}
state=${LAB_STATE:-/var/tmp/$prefix-lab}
here=$(cd "$(dirname "$0")" && pwd)

ns() { echo "$prefix-$1"; }

holder_pid() {
  # The node's namespace init (sh), child of the unshare we started; found by parent PID.
  local unshare_pid
  unshare_pid=$(cat "$state/$1/unshare.pid")
  cat "/proc/$unshare_pid/task/$unshare_pid/children" | awk '{print $1}'
}

run_on() {
  local node=$1; shift
  nsenter -t "$(holder_pid "$node")" -n -m -p -u -- "$@"
}

node_config() {
  local node=$1 address=$2 mac=$3 hostname=$4
  local dir="$state/$node"
  mkdir -p "$dir/etc-keepalived" "$dir/etc-haproxy"
  if [ "$node" != app ]; then
    cp "$here/seed/$hostname.keepalived.conf" "$dir/etc-keepalived/keepalived.conf"
    cp "$here/seed/haproxy.cfg" "$dir/etc-haproxy/haproxy.cfg"
  fi
  cp "$here/seed/app.hosts" "$dir/hosts"
  echo "$hostname" > "$dir/hostname"
  echo "nameserver 127.0.0.1" > "$dir/resolv.conf"
  cat > "$dir/init.sh" <<INIT
set -e
hostname "$hostname"
mount --make-rprivate /
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount --bind "$dir/hosts" /etc/hosts
# No nameserver in the lab: DNS questions go to the node's own loopback and are refused.
mount --bind "$dir/resolv.conf" /etc/resolv.conf
mkdir -p /run/lab
if [ "$node" != app ]; then
  mount --bind "$dir/etc-keepalived" /etc/keepalived 2>/dev/null || { mkdir -p /tmp/etc-k; mount --bind "$dir/etc-keepalived" /tmp/etc-k; }
  mount --bind "$dir/etc-haproxy" /etc/haproxy
  haproxy -db -f /etc/haproxy/haproxy.cfg >/run/lab/haproxy.log 2>&1 &
  echo \$! > /run/lab/haproxy.pid
  keepalived -n -l -D --vrrp -f /etc/keepalived/keepalived.conf -p /run/keepalived.pid -r /run/vrrp.pid >/run/lab/keepalived.log 2>&1 &
  echo \$! > /run/lab/keepalived.pid
fi
# The seed's DNS, on every node's loopback: it knows nothing of prod-db-internal.panda.com.
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-hosts --no-resolv --user=root \
      --local=/panda.com/ --local=/168.192.in-addr.arpa/ --listen-address=127.0.0.1 --bind-interfaces --pid-file=/run/lab/dnsmasq.pid >/run/lab/dnsmasq.log 2>&1 &
while :; do sleep 3600; done
INIT
  ip -n "$(ns sw)" link add "$node" type veth peer name eth2 netns "$(ns "$node")"
  ip -n "$(ns sw)" link set "$node" master br0 up
  ip -n "$(ns "$node")" link set eth2 address "$mac"
  ip -n "$(ns "$node")" addr add "$address/24" brd + dev eth2
  ip -n "$(ns "$node")" link set eth2 up
  ip -n "$(ns "$node")" link set lo up
  ip netns exec "$(ns "$node")" unshare --pid --fork --kill-child --mount --mount-proc --uts \
      sh "$dir/init.sh" >"$dir/init.log" 2>&1 &
  echo $! > "$dir/unshare.pid"
}

wait_vip() {
  local node=$1 address=$2 want=${3:-present}
  for _ in $(seq 1 100); do
    if ip -n "$(ns "$node")" -o addr show dev eth2 | grep -q " $address/"; then
      [ "$want" = present ] && return 0
    else
      [ "$want" = absent ] && return 0
    fi
    sleep 0.2
  done
  echo "lab: $address did not become $want on $node within 20 s" >&2
  return 1
}

down() {
  for node in lb0 lb1 app; do
    if [ -f "$state/$node/unshare.pid" ]; then
      pid=$(cat "$state/$node/unshare.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  for n in lb0 lb1 app sw; do ip netns del "$(ns $n)" 2>/dev/null || true; done
  rm -rf "$state"
}

case ${1:-} in
  up)
    down
    mkdir -p "$state"
    ip netns add "$(ns sw)"
    ip -n "$(ns sw)" link add br0 type bridge
    ip -n "$(ns sw)" link set br0 up
    for n in lb0 lb1 app; do ip netns add "$(ns $n)"; done
    node_config lb0 192.168.3.4 bc:76:4e:05:6c:1c prod-haproxy-000
    node_config lb1 192.168.3.5 bc:76:4e:05:eb:70 prod-haproxy-001
    node_config app 192.168.3.10 bc:76:4e:05:aa:10 prod-app-000
    wait_vip lb0 192.168.3.200 && wait_vip lb1 192.168.3.201 && wait_vip lb1 192.168.3.200 absent
    ;;
  down) down ;;
  run) shift; run_on "$@" ;;
  haproxy-stop) run_on "$2" sh -c 'kill "$(cat /run/lab/haproxy.pid)"' ;;
  haproxy-start) run_on "$2" sh -c 'haproxy -db -f /etc/haproxy/haproxy.cfg >>/run/lab/haproxy.log 2>&1 & echo $! > /run/lab/haproxy.pid' ;;
  keepalived-stop) run_on "$2" sh -c 'kill "$(cat /run/lab/keepalived.pid)"' ;;
  keepalived-start) run_on "$2" sh -c 'keepalived -n -l -D --vrrp -f /etc/keepalived/keepalived.conf -p /run/keepalived.pid -r /run/vrrp.pid >>/run/lab/keepalived.log 2>&1 & echo $! > /run/lab/keepalived.pid' ;;
  wait-vip) shift; wait_vip "$@" ;;
  isolate)
    bridge -n "$(ns sw)" link set dev lb0 isolated on
    bridge -n "$(ns sw)" link set dev lb1 isolated on ;;
  *) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 64 ;;
esac
