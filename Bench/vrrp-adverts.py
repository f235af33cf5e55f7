#!/usr/bin/env python3
"""Writes the varied VRRP capture the vrrp bench reads (seeded, so every run writes the same file):

    vrrp-adverts.py DIR [ADVERTS [SEED]]    -> DIR/adverts-1m.pcap and DIR/adverts-100k.pcap (its first 100,000)

(SEED, 14 by default, draws other IP ids, phases and jitter: other files to compare two builds' outputs on.)

One advert per router per second, from 200 virtual routers on one LAN, each a pair of nodes:
- every advert has its sender's own IPv4 id (a counter from a random start, as the kernel keeps
  one per socket) and so its own header checksum;
- one router in ten speaks VRRPv3, half of those over IPv6 (link-local sources, ff02::12);
  the others VRRPv2, a third of them with a PASS password;
- one to three virtual addresses per router;
- every 40 s one router fails over (its master resigns with priority 0, the backup takes over),
  so masters keep changing;
- each router's master runs a track script that fails for 10 s in every 300 (priority -5), so
  priorities keep changing too.
"""
import random
import struct
import sys

rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 14)


def checksum(data):
    s = sum(int.from_bytes(data[i:i + 2], 'big') for i in range(0, len(data) - 1, 2))
    if len(data) % 2:
        s += data[-1] << 8
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def message(version, vrid, prio, vips, src, dst, password):
    count = len(vips)
    if version == 2:
        body = bytes([0x21, vrid, prio, count, 1 if password else 0, 1, 0, 0]) + b"".join(vips) + (password + bytes(8))[:8]
        c = checksum(body)
    else:
        body = bytes([0x31, vrid, prio, count, 0, 100, 0, 0]) + b"".join(vips)
        c = checksum(src + dst + len(body).to_bytes(4 if len(src) == 16 else 2, 'big') + bytes([0, 0, 0, 112] if len(src) == 16 else [0, 112]) + body)
    return body[:6] + c.to_bytes(2, 'big') + body[8:]


def frame(node, body, ident):
    src = node["src"]
    if len(src) == 16:
        ip = struct.pack(">IHBB", 0x60000000, len(body), 112, 255) + src + node["dst"]
        return bytes([0x33, 0x33, 0, 0, 0, 0x12]) + node["mac"] + b"\x86\xdd" + ip + body
    ip = bytes([0x45, 0xc0]) + (20 + len(body)).to_bytes(2, 'big') + ident.to_bytes(2, 'big') + bytes([0, 0, 255, 112, 0, 0]) + src + node["dst"]
    ip = ip[:10] + checksum(ip).to_bytes(2, 'big') + ip[12:]
    return bytes([1, 0, 0x5e, 0, 0, 0x12]) + node["mac"] + b"\x08\x00" + ip + body


def routers():
    result = []
    for r in range(200):
        vrid = r % 255 + 1
        version = 3 if r % 10 == 0 else 2
        ipv6 = version == 3 and r % 20 == 0
        password = b"pw%d" % r if r % 3 == 0 and version == 2 else b""
        if ipv6:
            vips = [bytes([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, r, 0x20 + k]) for k in range(1 + r % 3)]
            dst = bytes([0xff, 0x02] + [0] * 13 + [0x12])
        else:
            vips = [bytes([10, r // 256, r % 256, 200 + k]) for k in range(1 + r % 3)]
            dst = bytes([224, 0, 0, 18])
        nodes = []
        for n in range(2):
            src = bytes([0xfe, 0x80] + [0] * 11 + [r // 256, r % 256, 4 + n]) if ipv6 else bytes([10, r // 256, r % 256, 4 + n])
            base = 100 - 10 * n
            node = {"mac": bytes([2, 0, 0, r // 256, r % 256, n]), "src": src, "dst": dst, "ident": rng.randrange(65536)}
            node["up"] = message(version, vrid, base, vips, src, dst, password)
            node["tracked"] = message(version, vrid, base - 5, vips, src, dst, password)
            node["bye"] = message(version, vrid, 0, vips, src, dst, password)
            nodes.append(node)
        result.append({"nodes": nodes, "master": 0, "phase": rng.randrange(300)})
    return result


def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    table = routers()
    with open(out + "/adverts-1m.pcap", "wb") as big, open(out + "/adverts-100k.pcap", "wb") as small:
        header = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
        big.write(header)
        small.write(header)
        start = 1764043032
        records = []
        for i in range(total):
            second, r = divmod(i, 200)
            router = table[r]
            node = router["nodes"][router["master"]]
            body = node["tracked"] if (second + router["phase"]) % 300 < 10 else node["up"]
            if second % 40 == 39 and r == (second // 40) % 200:
                body = node["bye"]
                router["master"] ^= 1
            node["ident"] = (node["ident"] + 1) & 0xffff
            f = frame(node, body, node["ident"])
            t = (start + second) * 1_000_000 + r * 4000 + rng.randrange(2000)
            records.append(struct.pack("<IIII", t // 1_000_000, t % 1_000_000, len(f), len(f)) + f)
            if len(records) == 100_000 or i == total - 1:
                chunk = b"".join(records)
                if i < 100_000:
                    small.write(chunk)
                big.write(chunk)
                records = []


main()
