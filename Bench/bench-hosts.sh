#!/usr/bin/env bash
# haexplain hosts NAME --no-dns against getent hosts NAME on a 500,001-line block-list hosts
# file with the name on the last line. glibc only reads /etc/hosts, so both run in a private
# mount namespace with the file bind-mounted there (the real /etc/hosts is never touched),
# and with `hosts: files` in nsswitch.conf: getent hosts asks for IPv6 first, and with dns
# listed that miss would go to the machine's nameserver and make getent look slower than it is.
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
out=$(cd "$(dirname "$0")" && pwd)/out/hosts
mkdir -p "$out"
file=$out/hosts
if [ ! -s "$file" ] || [ "$(wc -l < "$file")" -ne 500001 ]; then
  awk 'BEGIN { for (i = 0; i < 500000; i++) printf "0.0.0.0 ad%d.tracker.example\n", i;
               print "192.168.3.200 prod-db-internal.panda.com" }' > "$file"
fi
printf 'hosts: files\n' > "$out/nsswitch.conf"
name=prod-db-internal.panda.com
mounts="mount --bind $file /etc/hosts && mount --bind $out/nsswitch.conf /etc/nsswitch.conf"
in_ns() { printf "unshare -m sh -c '%s && exec %s >/dev/null'" "$mounts" "$1"; }
# Same answer first: both must find the last line.
unshare -m sh -c "$mounts && getent hosts $name" | grep -q 192.168.3.200
unshare -m sh -c "$mounts && $bin hosts $name --no-dns --hosts-file $file" | grep -q ':500001)  returned'
# Alternating rounds (Bench/compare.py), so a load that comes and goes hits both alike.
python3 "$(dirname "$0")/compare.py" "hosts (500,001-line file, name on the last line): getent hosts vs haexplain hosts --no-dns" "<= 1.0x" \
  "$(in_ns "getent hosts $name")" "$(in_ns "$bin hosts $name --no-dns --hosts-file $file")" 6 5
