#!/usr/bin/env bash
# `make demo`: wirecheck's main job on an embedded default, no NIC needed.
# Until live capture exists (issue 4) it replays the project's own capture
# of the seed incidents (made by tests/gen/gen_captures.py): a KVM guest's
# TSO super-frames with corrupt checksums on a bridge, later retransmitted
# intact; an offloading sender's partial checksums; bad checksums inside
# VXLAN; healthy background traffic.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."
CAP=tests/pcap/seed-incidents/input.pcap
OUT=${DEMO_OUT:-demo-out}

echo "wirecheck demo: offline replay of $CAP (no NIC needed)"
echo
"$BUILD/wirecheck" -r "$CAP" -o "$OUT"
echo
echo "A few of the anomaly events, as the control plane wrote them:"
/usr/bin/python3 - "$OUT/events.json" <<'PY'
import json, sys
seen = {}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event_type"] != "anomaly":
        continue
    t = e["anomaly"]["type"]
    if t in seen:
        continue
    seen[t] = 1
    a = e["anomaly"]
    extra = {k: v for k, v in a.items() if k not in ("type", "layer", "severity")}
    where = "%s:%s -> %s:%s" % (e.get("src_ip"), e.get("src_port", ""), e.get("dest_ip"), e.get("dest_port", ""))
    tun = " in %s %s" % (e["tunnel"]["type"], e["tunnel"]["id"]) if "tunnel" in e else ""
    print("  frame %-4s %-18s %s%s %s" % (e.get("pcap_cnt"), t, where, tun, json.dumps(extra)))
PY
echo
echo "Open the evidence in Wireshark: wireshark $OUT/evidence.pcap"
