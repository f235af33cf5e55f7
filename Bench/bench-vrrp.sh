#!/usr/bin/env bash
# Census of a varied 1,000,000-advert pcap (~70 MB) against two references, each in
# alternating hyperfine rounds: `tcpdump -nn -r` (what people read today) and `tcpdump -r -w /dev/null vrrp`
# (libpcap reading and filtering the file, nothing more: the floor). Then peak RSS for a
# tenth of the file and the whole file, to show memory does not grow with its length.
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Varied traffic (Bench/vrrp-adverts.py says how): 200 virtual routers, every advert with its
# sender's own IPv4 id and checksum, VRRPv2 with and without passwords, VRRPv3 over IPv4 and
# IPv6, failovers every 40 s and track-script priority changes, so no cache can be shaped to it.
python3 "$here/vrrp-adverts.py" "$work"
ls -l "$work"/adverts-1m.pcap | awk '{printf "input: 1,000,000 adverts, %.1f MB\n", $5 / 1e6}'
file=$work/adverts-1m.pcap
"$bin" vrrp --read "$file" | sed -n 1,5p

# Alternating rounds (Bench/compare.py), so a load that comes and goes hits both alike.
python3 "$here/compare.py" "vrrp (1,000,000 adverts): tcpdump -r -w /dev/null vrrp (the floor) vs haexplain vrrp --read --json" "<= 1.5x" \
  "tcpdump -r $file -w /dev/null vrrp" "$bin vrrp --read $file --json" 6 5
python3 "$here/compare.py" "vrrp (same file): tcpdump -nn -r vs haexplain vrrp --read --json" "none set" \
  "tcpdump -nn -r $file" "$bin vrrp --read $file --json" 2 3

# Peak resident memory for 100,000 and 1,000,000 adverts: it must not grow with the file.
for input in adverts-100k.pcap adverts-1m.pcap; do
  python3 - "$bin" "$work/$input" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "vrrp", "--read", sys.argv[2], "--json"], stdout=subprocess.DEVNULL, check=True)
print(f"peak RSS {sys.argv[2].rsplit('/', 1)[1]}: {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.1f} MB")
PY
done
