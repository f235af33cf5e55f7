#!/usr/bin/env bash
# Census of a 1,000,000-advert VRRPv2 pcap (~70 MB) against two references, each in
# alternating hyperfine rounds: `tcpdump -nn -r` (what people read today) and `tcpdump -r -w /dev/null vrrp`
# (libpcap reading and filtering the file, nothing more: the floor). Then peak RSS for a
# tenth of the file and the whole file, to show memory does not grow with its length.
set -euo pipefail
bin=$(realpath "${1:-.build/release/haexplain}")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Seed-like traffic: two balancers each mastering one VRID, a third pair on another VRID
# with a PASS password, one advert per VRID per second (microsecond pcap, Ethernet).
python3 - "$work" <<'PY'
import struct, sys
def checksum(data):
    s = sum(int.from_bytes(data[i:i+2], 'big') for i in range(0, len(data) - 1, 2))
    if len(data) % 2: s += data[-1] << 8
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def frame(mac, src, vrid, prio, vips, auth=0, password=b""):
    body = bytes([0x21, vrid, prio, len(vips), auth, 1, 0, 0]) + b"".join(bytes(v) for v in vips)
    body += (password + bytes(8))[:8]
    c = checksum(body)
    body = body[:6] + c.to_bytes(2, 'big') + body[8:]
    ip = bytes([0x45, 0xc0]) + (20 + len(body)).to_bytes(2, 'big') + bytes([0, 1, 0, 0, 255, 112, 0, 0]) + bytes(src) + bytes([224, 0, 0, 18])
    ip = ip[:10] + checksum(ip).to_bytes(2, 'big') + ip[12:]
    return bytes([1, 0, 0x5e, 0, 0, 0x12]) + bytes(mac) + b"\x08\x00" + ip + body
frames = [
    frame([0xbc, 0x76, 0x4e, 5, 0x6c, 0x1c], [192, 168, 3, 4], 200, 100, [[192, 168, 3, 200]]),
    frame([0xbc, 0x76, 0x4e, 5, 0xeb, 0x70], [192, 168, 3, 5], 201, 100, [[192, 168, 3, 201]]),
    frame([2, 0, 0, 0, 0, 6], [192, 168, 3, 6], 53, 150, [[192, 168, 3, 153], [192, 168, 3, 154]], 1, b"alpha1"),
]
with open(sys.argv[1] + "/adverts-1m.pcap", "wb") as big, open(sys.argv[1] + "/adverts-100k.pcap", "wb") as small:
    header = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    big.write(header); small.write(header)
    start = 1764043032
    records = []
    for i in range(1_000_000):
        f = frames[i % 3]
        t = start * 1_000_000 + (i // 3) * 1_000_000 + (i % 3) * 1000
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
python3 "$here/compare.py" "vrrp (1,000,000 adverts): tcpdump -r -w /dev/null vrrp (the floor) vs haexplain vrrp --read --json" "<= 1.0x" \
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
