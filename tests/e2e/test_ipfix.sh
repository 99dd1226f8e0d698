#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end IPFIX export (SPEC §5) against a real collector: Debian's
# nfdump (nfcapd 1.7) listening on loopback. For captures with known flows
# (tcp-healthy: IPv4 and IPv6 TCP; seed-incidents: TCP, UDP, ICMP over
# several IPFIX messages; csum-ipv6-mixed: IPv6 TCP, UDP, ICMPv6 and a
# protocol without ports), `wirecheck -r FILE --ipfix 127.0.0.1:PORT`
# exports every ended flow; nfdump reads nfcapd's file back and every record
# must equal a `flow` event of the same run's events.json: addresses, ports,
# protocol, packets and bytes both ways (RFC 5103 reverse elements), start
# and end (ms), VLAN, SYN/FIN/RST; nfcapd must report no sequence error.
# Also: -c FILE (output.ipfix), --ipfix-template-refresh 0 (a Python
# collector counts templates per message), a collector that is down or an
# address sendto refuses (counted, the run still succeeds), bad values
# (exit 2 naming the option) and the Prometheus counters of the exporter.
# nfdump missing: installed when root, else the test fails (never a skip).
# Usage: test_ipfix.sh BUILD_DIR
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"
PY=/usr/bin/python3

for f in "$WC" "$CTL"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
if ! command -v nfcapd >/dev/null || ! command -v nfdump >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "NOTE: installing nfdump (the collector this test exports to)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			nfdump >/dev/null 2>&1
	fi
	command -v nfcapd >/dev/null && command -v nfdump >/dev/null || {
		echo "FAIL: nfcapd/nfdump missing: run 'sudo scripts/setup.sh' (package nfdump)"
		exit 1
	}
fi
command -v curl >/dev/null || { echo "FAIL: curl is missing (scripts/setup.sh installs it)"; exit 1; }

T=$(mktemp -d)
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check

free_udp_port() {
	$PY -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
free_tcp_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# nfcapd_start DIR: a collector on 127.0.0.1:$NFPORT writing into DIR
nfcapd_start() {
	mkdir -p "$1"
	NFPORT=$(free_udp_port)
	nfcapd -b 127.0.0.1 -p "$NFPORT" -w "$1" -t 3600 >"$1.log" 2>&1 &
	NFPID=$!
	PIDS="$PIDS $NFPID"
	for _ in $(seq 50); do
		grep -q "Startup" "$1.log" 2>/dev/null && return 0
		kill -0 "$NFPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "FAIL: nfcapd did not start: $(tail -3 "$1.log")"
	exit 1
}

# nfcapd_stop: SIGTERM makes nfcapd flush and close its file
nfcapd_stop() {
	kill -TERM "$NFPID" 2>/dev/null
	local deadline=$((SECONDS + 10))
	while kill -0 "$NFPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	kill -KILL "$NFPID" 2>/dev/null
	wait "$NFPID" 2>/dev/null
}

# compare EVENTS.json NFDUMP_OUT: every flow event has its record and back
COMPARE_PY='
import json, sys
from datetime import datetime, timezone

def ms(ts):  # events.json: 2024-03-01T00:00:00.001000Z -> ms since the epoch
    d = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * 1000 + d.microsecond // 1000

def ms_nf(ts):  # nfdump (TZ=UTC): 2024-03-01 00:00:00.001
    d = datetime.strptime(ts, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * 1000 + d.microsecond // 1000

protos = {"TCP": 6, "UDP": 17, "ICMP": 1, "IPv6-ICMP": 58}
want = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "flow":
        continue
    f = e["flow"]
    p = protos.get(e["proto"]) or int(e["proto"])
    ports = p in (6, 17)
    flags = ""
    if p == 6:
        ts = e["tcp"]["toserver"]
        flags = ("R" if ts["rst"] else "") + ("S" if ts["syn"] else "") + ("F" if ts["fin"] else "")
    want.append((e["src_ip"], e["dest_ip"], e.get("src_port", 0) if ports else 0,
                 e.get("dest_port", 0) if ports else 0, p,
                 f["pkts_toserver"], f["bytes_toserver"], f["pkts_toclient"],
                 f["bytes_toclient"], ms(f["start"]), ms(f["end"]),
                 (e.get("vlan") or [0])[0], flags))
got = []
for line in open(sys.argv[2]):
    v = [x.strip() for x in line.split("|")]
    if len(v) != 13:
        continue
    ts, te, sa, da, sp, dp, pr, flg, ipkt, ibyt, opkt, obyt, svln = v
    p = int(pr)
    dport = int(dp) if p in (6, 17) else (0 if dp in ("0", "0.0") else dp)
    flags = "".join(c for c in flg if c in "RSF")
    got.append((sa, da, int(sp), dport, p, int(ipkt), int(ibyt), int(opkt), int(obyt),
                ms_nf(ts), ms_nf(te), int(svln), flags))
want.sort(key=repr)
got.sort(key=repr)
missing = [w for w in want if w not in got]
extra = [g for g in got if g not in want]
print("%d flow events, %d IPFIX records, v6 %d, protos %s" % (
    len(want), len(got), sum(":" in w[0] for w in want), sorted({w[4] for w in want})))
for w in missing[:5]:
    print("  missing from nfdump:", w)
for g in extra[:5]:
    print("  not in events.json:", g)
sys.exit(0 if want and want == got else 1)
'

nfdump_read() {
	local file
	file=$(ls "$1"/nfcapd.2* 2>/dev/null | head -1)
	[ -n "$file" ] || { echo "no nfcapd file in $1" >&2; return 1; }
	TZ=UTC nfdump -r "$file" -6 -N -q \
		-o "fmt:%ts|%te|%sa|%da|%sp|%dp|%pr|%flg|%ipkt|%ibyt|%opkt|%obyt|%svln"
}

# ---- each capture through a real nfcapd ----
for c in tcp-healthy seed-incidents csum-ipv6-mixed; do
	nfcapd_start "$T/nf-$c"
	"$WC" -q -r "$HERE/tests/pcap/$c/input.pcap" -o "$T/out-$c" \
		--ipfix "127.0.0.1:$NFPORT" >"$T/$c.out" 2>"$T/$c.err"
	rc=$?
	sleep 0.3 # loopback delivery is immediate; nfcapd's loop is not
	nfcapd_stop
	check "$c: wirecheck --ipfix exits 0 (rc=$rc $(head -c 200 "$T/$c.err"))" [ $rc -eq 0 ]
	nfdump_read "$T/nf-$c" >"$T/$c.nfdump" 2>"$T/$c.nferr"
	res=$($PY -c "$COMPARE_PY" "$T/out-$c/events.json" "$T/$c.nfdump" 2>&1)
	check "$c: nfdump's records equal the flow events: $res" \
		$PY -c "$COMPARE_PY" "$T/out-$c/events.json" "$T/$c.nfdump"
	stat_line=$(grep "Ident:" "$T/nf-$c.log" | tail -1)
	check "$c: nfcapd saw no sequence error, no bad packet ($stat_line)" \
		eval 'echo "$stat_line" | grep -q "Sequence Errors: 0, Bad Packets: 0"'
done

# ---- the YAML key output.ipfix, through -c ----
nfcapd_start "$T/nf-yaml"
printf 'output:\n  ipfix: "127.0.0.1:%s"\n  ipfix_template_refresh: 5\n  quiet: true\n' \
	"$NFPORT" >"$T/ipfix.yaml"
"$WC" -c "$T/ipfix.yaml" -r "$HERE/tests/pcap/tcp-healthy/input.pcap" -o "$T/out-yaml" \
	>/dev/null 2>"$T/yaml.err"
rc=$?
sleep 0.3
nfcapd_stop
nfdump_read "$T/nf-yaml" >"$T/yaml.nfdump" 2>/dev/null
check "-c FILE with output.ipfix: rc=$rc, the same records as the flow events" \
	eval '[ $rc -eq 0 ] && $PY -c "$COMPARE_PY" "$T/out-yaml/events.json" "$T/yaml.nfdump" >/dev/null'

# ---- --ipfix-template-refresh 0: templates in every message ----
# A collector of our own that keeps every datagram, decoded afterwards:
# each message led by the template set, sizes <= 1400, one observation
# domain, sequence numbers = data records sent before, all flows there.
COLLECT_PY='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(20)
out = open(sys.argv[1], "w")
while True:
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    out.write(d.hex() + "\n")
    out.flush()
'
CHECK_PY='
import struct, sys
msgs = [bytes.fromhex(l.strip()) for l in open(sys.argv[1]) if l.strip()]
flows = sum(1 for l in open(sys.argv[2]) if "\"event_type\":\"flow\"" in l)
rec_len, seq, dom, problems = {}, 0, None, []
for k, d in enumerate(msgs):
    ver, length, _, mseq, mdom = struct.unpack("!HHIII", d[:16])
    dom = mdom if dom is None else dom
    if ver != 10 or length != len(d) or len(d) > 1400 or mdom != dom or mseq != seq:
        problems.append("message %d: version %d length %d/%d seq %d/%d" % (k, ver, length, len(d), mseq, seq))
    off, sets = 16, []
    while off + 4 <= len(d):
        sid, slen = struct.unpack("!HH", d[off:off + 4])
        sets.append(sid)
        body = d[off + 4:off + slen]
        if sid == 2:
            p = 0
            while p + 4 <= len(body):
                tid, n = struct.unpack("!HH", body[p:p + 4])
                p += 4
                total = 0
                for _ in range(n):
                    ie, ln = struct.unpack("!HH", body[p:p + 4])
                    p += 8 if ie & 0x8000 else 4
                    total += ln
                rec_len[tid] = total
        else:
            seq += len(body) // rec_len[sid]
        off += max(slen, 4)
    if not sets or sets[0] != 2:
        problems.append("message %d: no template set first (%s)" % (k, sets))
print("%d messages, %d records for %d flow events%s" % (len(msgs), seq, flows,
      "" if not problems else ": " + "; ".join(problems[:3])))
sys.exit(0 if len(msgs) >= 2 and seq == flows and not problems else 1)
'
$PY -c "$COLLECT_PY" "$T/msgs" >"$T/collector.port" &
CPID=$!
PIDS="$PIDS $CPID"
for _ in $(seq 50); do [ -s "$T/collector.port" ] && break; sleep 0.1; done
CPORT=$(head -1 "$T/collector.port")
"$WC" -q -r "$HERE/tests/pcap/seed-incidents/input.pcap" -o "$T/out-r0" \
	--ipfix "127.0.0.1:$CPORT" --ipfix-template-refresh 0 >/dev/null 2>&1
rc=$?
sleep 0.5
kill "$CPID" 2>/dev/null
wait "$CPID" 2>/dev/null
res=$($PY -c "$CHECK_PY" "$T/msgs" "$T/out-r0/events.json" 2>&1)
check "--ipfix-template-refresh 0 reaches serve: templates lead every message; $res (rc=$rc)" \
	eval '[ $rc -eq 0 ] && $PY -c "$CHECK_PY" "$T/msgs" "$T/out-r0/events.json" >/dev/null'

# ---- a collector that is down, an address sendto refuses ----
DOWN=$(free_udp_port)
"$WC" -q -r "$HERE/tests/pcap/tcp-healthy/input.pcap" -o "$T/out-down" \
	--ipfix "127.0.0.1:$DOWN" >/dev/null 2>"$T/down.err"
rc=$?
check "no collector listening: the run still succeeds (rc=$rc), events.json complete" \
	eval '[ $rc -eq 0 ] && tail -1 "$T/out-down/events.json" | grep -q "\"end\":\"done\""'
"$WC" -q -r "$HERE/tests/pcap/tcp-healthy/input.pcap" -o "$T/out-bcast" \
	--ipfix "255.255.255.255:4739" >/dev/null 2>"$T/bcast.err"
rc=$?
check "sendto refused (broadcast, EACCES): counted and reported, rc=$rc ($(head -c 160 "$T/bcast.err"))" \
	eval '[ $rc -eq 0 ] && grep -q "ipfix: 1 of 1 messages to 255.255.255.255:4739 not sent (3 records)" "$T/bcast.err" &&
	      tail -1 "$T/out-bcast/events.json" | grep -q "\"end\":\"done\""'

# ---- bad values: exit 2 naming the option, nothing started ----
for v in "" "4739" "127.0.0.1" "127.0.0.1:0" "127.0.0.1:65536" "::1:4739" "[::1]4739"; do
	"$WC" -q -r "$HERE/tests/pcap/tcp-healthy/input.pcap" -o "$T/never" --ipfix "$v" \
		>/dev/null 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] && grep -q -- "--ipfix" "$T/err" ||
		bad "wirecheck --ipfix '$v': rc=$rc, $(head -c 200 "$T/err")"
	"$CTL" serve -n "never$$" -o "$T/never" --ipfix "$v" >/dev/null 2>"$T/err"; rc=$?
	[ $rc -eq 2 ] && grep -q -- "--ipfix" "$T/err" ||
		bad "wirecheckctl serve --ipfix '$v': rc=$rc, $(head -c 200 "$T/err")"
done
"$CTL" serve -n "never$$" -o "$T/never" --ipfix 127.0.0.1:4739 \
	--ipfix-template-refresh x >/dev/null 2>"$T/err"; rc=$?
[ $rc -eq 2 ] && grep -q -- "--ipfix-template-refresh" "$T/err" ||
	bad "--ipfix-template-refresh x: rc=$rc"
check "bad --ipfix values exit 2 naming the option, nothing started" [ ! -e "$T/never" ]

# ---- the exporter's counters on /metrics ----
MP=$(free_tcp_port)
"$CTL" serve -n "absent$$" -o "$T/absent" --metrics "127.0.0.1:$MP" \
	--ipfix "127.0.0.1:$DOWN" >/dev/null 2>&1 &
SPID=$!
PIDS="$PIDS $SPID"
got=""
for _ in $(seq 30); do
	got=$(curl -sf "http://127.0.0.1:$MP/metrics" 2>/dev/null |
		grep -E '^wirecheck_ipfix_(messages|records|send_errors)_total ' | tr '\n' ' ') && break
	sleep 0.1
done
kill -TERM "$SPID" 2>/dev/null
wait "$SPID" 2>/dev/null
check "/metrics exposes the IPFIX counters ($got)" \
	eval 'echo "$got" | grep -q "wirecheck_ipfix_messages_total 0 wirecheck_ipfix_records_total 0 wirecheck_ipfix_send_errors_total 0"'

echo "ipfix: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
