#!/usr/bin/python3
"""Seed the fuzzer with the frames of the project's own generated captures:
one file per frame, prefixed by the link-type selector byte of fuzz_decode.c
and a 0 'missing bytes' byte. stdlib only (reads classic pcap)."""
import glob, os, struct, sys

SELECT = {1: 0, 113: 1, 276: 2, 0: 3, 12: 4, 101: 4, 228: 5, 229: 6, 9: 7, 108: 8}

def frames(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = hdr[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            e = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            e = ">"
        else:
            return  # pcapng: skipped
        link = struct.unpack(e + "I", hdr[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            _, _, incl, _ = struct.unpack(e + "IIII", rec)
            data = f.read(incl)
            yield link, data

def main():
    root, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    n = 0
    for p in sorted(glob.glob(os.path.join(root, "tests/pcap/*/input.pcap"))):
        for i, (link, data) in enumerate(frames(p)):
            if link not in SELECT or i >= 40:
                continue
            with open(os.path.join(out, "seed-%05d" % n), "wb") as f:
                f.write(bytes([SELECT[link], 0]) + data)
            n += 1
    print("fuzz seeds:", n)

if __name__ == "__main__":
    main()
