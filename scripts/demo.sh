#!/usr/bin/env bash
# `make demo`: wirecheck's main job on an embedded default, no NIC needed.
#
# As root, where network namespaces and AF_XDP work: the live lab
# (scripts/lab.sh): two namespaces joined by a veth pair, real kernel
# traffic reproducing the seed incidents (offload partial checksums, a
# sender whose segments are damaged on the way, a delayed-ACK stall, a VIP
# answered from the real address, a reset on first data), captured live by
# `wirecheck -i` over AF_XDP; the anomalies are printed as the control plane
# writes them, then a recap. Exits non-zero if an incident was not named.
#
# Otherwise (not root, no netns, no AF_XDP; or DEMO_MODE=offline), after a
# one-line note why: the offline replay of the project's own capture of the
# seed incidents (made by tests/gen/gen_captures.py): a KVM guest's TSO
# super-frames with corrupt checksums on a bridge, later retransmitted
# intact; an offloading sender's partial checksums; bad checksums inside
# VXLAN; healthy background traffic.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/.."
CAP=tests/pcap/seed-incidents/input.pcap
OUT=${DEMO_OUT:-demo-out}

if [ "${DEMO_MODE:-}" = offline ]; then
	echo "note: DEMO_MODE=offline: the live lab is skipped"
else
	# exit 77: the lab cannot run here and has printed a one-line note why
	rc=0
	scripts/lab.sh "$BUILD" || rc=$?
	[ "$rc" -eq 77 ] || exit "$rc"
fi

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
