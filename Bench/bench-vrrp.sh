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

# Varied traffic: 200 virtual routers, each a pair of nodes; every advert has its own IPv4
# id and header checksum (as keepalived sends them), a third of the routers use a PASS
# password, one in ten is VRRPv3, and every 40 s one router fails over (its master resigns
# with priority 0, the backup takes over) so the census keeps changing masters.
python3 - "$work" <<'PY'
import struct, sys
def checksum(data):
    s = sum(int.from_bytes(data[i:i+2], 'big') for i in range(0, len(data) - 1, 2))
    if len(data) % 2: s += data[-1] << 8
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def message(version, vrid, prio, vip, src, password):
    if version == 2:
        body = bytes([0x21, vrid, prio, 1, 1 if password else 0, 1, 0, 0]) + bytes(vip) + (password + bytes(8))[:8]
        c = checksum(body)
    else:
        body = bytes([0x31, vrid, prio, 1, 0, 100, 0, 0]) + bytes(vip)
        c = checksum(bytes(src) + bytes([224, 0, 0, 18, 0, 112]) + len(body).to_bytes(2, 'big') + body)
    return body[:6] + c.to_bytes(2, 'big') + body[8:]
def frame(mac, src, body, ident):
    ip = bytes([0x45, 0xc0]) + (20 + len(body)).to_bytes(2, 'big') + ident.to_bytes(2, 'big') + bytes([0, 0, 255, 112, 0, 0]) + bytes(src) + bytes([224, 0, 0, 18])
    ip = ip[:10] + checksum(ip).to_bytes(2, 'big') + ip[12:]
    return bytes([1, 0, 0x5e, 0, 0, 0x12]) + bytes(mac) + b"\x08\x00" + ip + body
routers = []
for r in range(200):
    vrid = r % 255 + 1
    version = 3 if r % 10 == 0 else 2
    password = b"pw%d" % r if r % 3 == 0 and version == 2 else b""
    vip = [10, r // 256, r % 256, 200]
    nodes = []
    for n in range(2):
        src = [10, r // 256, r % 256, 4 + n]
        mac = [2, 0, 0, r // 256, r % 256, n]
        prio = 100 - n
        nodes.append({"mac": mac, "src": src, "up": message(version, vrid, prio, vip, src, password),
                      "bye": message(version, vrid, 0, vip, src, password)})
    routers.append({"nodes": nodes, "master": 0})
with open(sys.argv[1] + "/adverts-1m.pcap", "wb") as big, open(sys.argv[1] + "/adverts-100k.pcap", "wb") as small:
    header = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    big.write(header); small.write(header)
    start = 1764043032
    records = []
    ident = 0
    for i in range(1_000_000):
        second, r = divmod(i, 200)
        router = routers[r]
        node = router["nodes"][router["master"]]
        body = node["up"]
        if second % 40 == 39 and r == (second // 40) % 200:
            body = node["bye"]
            router["master"] ^= 1
        ident = (ident + 1) & 0xffff
        f = frame(node["mac"], node["src"], body, ident)
        t = (start + second) * 1_000_000 + r * 4000
        records.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(f), len(f)) + f)
        if len(records) == 100_000:
            chunk = b"".join(records)
            if i < 100_000: small.write(chunk)
            big.write(chunk)
            records = []
PY
ls -l "$work"/adverts-1m.pcap | awk '{printf "input: 1,000,000 adverts, %.1f MB\n", $5 / 1e6}'
file=$work/adverts-1m.pcap
"$bin" vrrp --read "$file" | head -5

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
