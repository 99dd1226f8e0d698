#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Evidence files (SPEC §5 evidence.pcap): the packets before each anomaly,
and rotation by size.

usage: run_evidence.py BUILD_DIR

1. Context: `wirecheck -r` on TCP replay cases whose anomalies follow
   packets of their flow (tcp-rst-first-data, tcp-offload-corruption,
   tcp-retransmissions). The evidence file is read with tshark and with a
   plain pcap reader; for every anomaly event with a packet:
   - "evidence": {"file", "frame", "context_frames"} names frames that
     exist, the context frames right before the trigger's frame, in order;
   - each evidence frame is a copy (first bytes, time, original length) of
     an input frame: the trigger of its pcap_cnt, the context frames of
     earlier frames of the same TCP connection (tshark's 5-tuple of the
     input frame);
   - the context is exactly the last K (--evidence-context) frames of the
     connection before the trigger that no earlier event's evidence holds.
2. Rotation: seed-incidents and csum-partial-offload with a small
   evidence.max_bytes (YAML -c, and the command line), rate limit off:
   several files, numbered without gaps, each a complete pcap tshark reads
   (its frame count equal to ours), none larger than the limit unless it
   holds a single event's frames; every event's file/frame/context_frames
   point at frames of that file with the input frame's time and bytes;
   with --evidence-files 3 only the 3 newest files are left.
Prints PASS/FAIL lines, then "evidence: N passed, M failed".
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PCAP_DIR = os.path.join(os.path.dirname(HERE), "pcap")
CONTEXT_CASES = ("tcp-rst-first-data", "tcp-offload-corruption", "tcp-retransmissions")
K = 3  # --evidence-context for the context cases (default is 4)


def read_pcap(path):
    """[(ts_ns, orig_len, bytes)] of a classic pcap file (us or ns)."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack("<I", raw[:4])[0]
    if magic == 0xA1B2C3D4:
        mult = 1000
    elif magic == 0xA1B23C4D:
        mult = 1
    else:
        raise ValueError("%s: not a little-endian pcap file" % path)
    out, off = [], 24
    while off + 16 <= len(raw):
        sec, frac, cap, ln = struct.unpack("<IIII", raw[off:off + 16])
        data = raw[off + 16:off + 16 + cap]
        if len(data) != cap:
            raise ValueError("%s: partial record at %d" % (path, off))
        out.append((sec * 1000000000 + frac * mult, ln, data))
        off += 16 + cap
    if off != len(raw):
        raise ValueError("%s: %d trailing bytes" % (path, len(raw) - off))
    return out


def tshark_frames(path):
    """tshark must read the file: its frame count."""
    p = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-e", "frame.number"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError("tshark cannot read %s: %s" % (path, p.stderr.strip()[-300:]))
    return len(p.stdout.split())


def tshark_conns(path):
    """{frame number: connection key} of the input's TCP frames (either
    direction gives one key)."""
    p = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=|",
                        "-e", "frame.number", "-e", "ip.src", "-e", "ip.dst",
                        "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "tcp.srcport",
                        "-e", "tcp.dstport"], capture_output=True, text=True, check=True)
    conns = {}
    for line in p.stdout.splitlines():
        f = line.split("|")
        if len(f) < 7 or not f[5]:
            continue
        # the innermost addresses when tunnelled (tshark lists outer first)
        src = (f[1] or f[3]).split(",")[-1]
        dst = (f[2] or f[4]).split(",")[-1]
        a, b = (src, f[5].split(",")[-1]), (dst, f[6].split(",")[-1])
        conns[int(f[0])] = tuple(sorted((a, b)))
    return conns


def ts_us(ns):
    return ns // 1000


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("exit %d: %s: %s" % (p.returncode, " ".join(cmd),
                                                  p.stderr.strip()[-300:]))


def events_of(outdir):
    with open(os.path.join(outdir, "events.json")) as f:
        return [json.loads(l) for l in f]


def is_copy(ev_frame, in_frame):
    """An evidence frame is the input frame's time (us), original length
    and first bytes."""
    return (ts_us(ev_frame[0]) == ts_us(in_frame[0]) and ev_frame[1] == in_frame[1]
            and len(ev_frame[2]) > 0 and in_frame[2].startswith(ev_frame[2]))


def check_context_case(build, case, tmp):
    inp = os.path.join(PCAP_DIR, case, "input.pcap")
    out = os.path.join(tmp, case)
    run([os.path.join(build, "wirecheck"), "-q", "-r", inp, "-o", out,
         "--evidence-context", str(K)])
    frames_in = read_pcap(inp)
    conns = tshark_conns(inp)
    evfile = os.path.join(out, "evidence.pcap")
    frames_ev = read_pcap(evfile)
    assert tshark_frames(evfile) == len(frames_ev), "tshark and our reader disagree"
    exported = set()  # input frames some earlier event's evidence holds
    last = None       # (trigger input frame, its context input frames)
    n_ctx = n_events = 0
    for e in events_of(out):
        if e.get("event_type") != "anomaly" or "evidence" not in e:
            continue
        ev = e["evidence"]
        assert ev["file"] == "evidence.pcap", ev
        trig = e["pcap_cnt"]
        fr = ev["frame"]
        ctx = ev.get("context_frames", [])
        assert 1 <= fr <= len(frames_ev), (e, len(frames_ev))
        assert is_copy(frames_ev[fr - 1], frames_in[trig - 1]), \
            "frame %d is not input frame %d" % (fr, trig)
        # the context frames come right before the trigger's, in order
        if ctx and not (last and last[0] == trig):
            assert ctx == list(range(fr - len(ctx), fr)), (fr, ctx)
        got = []
        for c in ctx:
            match = [n for n in range(1, trig) if is_copy(frames_ev[c - 1], frames_in[n - 1])]
            assert match, "context frame %d is no earlier input frame of %d" % (c, trig)
            got.append(match[-1])
        if last and last[0] == trig:  # another anomaly of the same packet
            want = last[1]
        else:
            key = conns.get(trig)
            assert key, "trigger %d is no TCP frame" % trig
            want = [n for n in range(trig - 1, 0, -1)
                    if conns.get(n) == key and n not in exported][:K][::-1]
        assert got == want, "%s frame %d (%s): context %s, want input frames %s" % (
            case, trig, e["anomaly"]["type"], got, want)
        if not (last and last[0] == trig):
            n_ctx += len(ctx)  # written once, shared by the packet's events
        exported.update(want)
        exported.add(trig)
        last = (trig, want)
        n_events += 1
    assert n_events and n_ctx, "%s: %d events, %d context frames" % (case, n_events, n_ctx)
    st = events_of(out)[-1]
    assert st["events"]["evidence_packets"] == n_ctx, st["events"]
    assert st["drops"]["evidence_context"] == 0, st["drops"]
    return "%d events, %d context frames" % (n_events, n_ctx)


def evidence_files(outdir):
    """{number: name} of the evidence files (evidence.pcap is 0)."""
    files = {}
    for name in os.listdir(outdir):
        if name == "evidence.pcap":
            files[0] = name
        elif name.startswith("evidence-") and name.endswith(".pcap"):
            files[int(name[9:-5])] = name
    return files


def check_rotation(build, case, tmp, max_bytes, keep, via_yaml):
    inp = os.path.join(PCAP_DIR, case, "input.pcap")
    out = os.path.join(tmp, "rot-%s-%d" % (case, keep))
    cmd = [os.path.join(build, "wirecheck"), "-q", "-r", inp, "-o", out, "--rate-limit", "0"]
    if via_yaml:
        cfg = os.path.join(tmp, "rot.yaml")
        with open(cfg, "w") as f:
            f.write("evidence:\n  max_bytes: %d\n  files: %d\n" % (max_bytes, keep))
        cmd += ["-c", cfg]
    else:
        cmd += ["--evidence-max-bytes", str(max_bytes), "--evidence-files", str(keep)]
    run(cmd)
    frames_in = read_pcap(inp)
    files = evidence_files(out)
    nums = sorted(files)
    events = [e for e in events_of(out) if e.get("event_type") == "anomaly" and "evidence" in e]
    used = {}
    for e in events:
        used.setdefault(e["evidence"]["file"], []).append(e)
    top = max(int(n[9:-5]) if n != "evidence.pcap" else 0 for n in used)
    assert nums and nums[-1] == top, "newest file %s, events name up to %d" % (nums, top)
    assert nums == list(range(nums[0], top + 1)), "numbering has gaps: %s" % nums
    if keep:
        assert len(nums) == min(keep, top + 1), "kept %s with --evidence-files %d" % (nums, keep)
    else:
        assert nums[0] == 0
    assert len(nums) >= 3 or keep and keep < 3, "only %d files: no rotation" % len(nums)
    content = {}
    for n in nums:
        path = os.path.join(out, files[n])
        frames = read_pcap(path)
        assert tshark_frames(path) == len(frames), files[n]
        size = os.path.getsize(path)
        evs = used.get(files[n], [])
        if size > max_bytes:  # only a single event's frames may pass the limit
            assert len({e["evidence"]["frame"] for e in evs}) == 1, \
                "%s: %d bytes > %d with %d events" % (files[n], size, max_bytes, len(evs))
        content[files[n]] = frames
    checked = 0
    for e in events:
        name = e["evidence"]["file"]
        if name not in content:
            assert keep, "%s missing" % name
            continue  # removed by the kept-files limit
        frames = content[name]
        fr = e["evidence"]["frame"]
        assert 1 <= fr <= len(frames), (name, fr, len(frames))
        assert is_copy(frames[fr - 1], frames_in[e["pcap_cnt"] - 1]), (name, fr, e["pcap_cnt"])
        for c in e["evidence"].get("context_frames", []):
            assert c < fr and any(is_copy(frames[c - 1], frames_in[n])
                                  for n in range(e["pcap_cnt"] - 1)), (name, c)
        checked += 1
    assert checked
    return "%d files, %d events checked" % (len(nums), checked)


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    build = sys.argv[1]
    if not shutil.which("tshark"):
        print("FAIL: tshark not installed (scripts/setup.sh installs it)")
        return 1
    tmp = tempfile.mkdtemp(prefix="wirecheck-evidence-")
    tests = [("context " + c, lambda c=c: check_context_case(build, c, tmp))
             for c in CONTEXT_CASES]
    tests += [
        ("rotation seed-incidents (YAML)",
         lambda: check_rotation(build, "seed-incidents", tmp, 8000, 0, True)),
        ("rotation csum-partial-offload",
         lambda: check_rotation(build, "csum-partial-offload", tmp, 1500, 0, False)),
        ("rotation keeps 3 files",
         lambda: check_rotation(build, "csum-partial-offload", tmp, 1500, 3, False)),
    ]
    passed = failed = 0
    try:
        for name, fn in tests:
            try:
                info = fn()
                print("PASS %s (%s)" % (name, info))
                passed += 1
            except (AssertionError, OSError, ValueError, KeyError,
                    subprocess.SubprocessError) as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("evidence: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
