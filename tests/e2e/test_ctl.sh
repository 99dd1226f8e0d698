#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live operator CLI (SPEC §5) and the control plane's reliability
# (SPEC §8) against running DPDK dataplanes on vdevs (no NIC is touched:
# EAL always gets --no-pci).
#
# A. net_pcap infinite_rx=1 over the seed incidents (a never-ending source
#    with retransmissions, bad checksums, offload corruption):
#    stats, flows, top (--once, refreshing, --json) and events work in
#    table and JSON form; JSON parses; the instance file is 0600 and an
#    unprivileged user (nobody) reads it once given group read access, and
#    serves it given read-write; top ends when the dataplane does.
# B. net_af_packet on a veth in a namespace of our own, fed ~500 UDP frames
#    a second with bad checksums, each a new flow (a steady stream of
#    distinct anomaly and flow events), ring of 1024 slots:
#    serve SIGKILLed and restarted, repeatedly and in mid-batch: events.json
#    keeps growing, every (worker, event_seq) of an instance appears exactly
#    once and without gaps, every evidence frame belongs to its event;
#    overflow while no serve runs, and while serve is SIGSTOPped, is counted
#    in drops.event_ring and the workers keep counting packets; a second
#    serve is refused; the dataplane SIGKILLed: serve writes a stats event
#    with end "dataplane_lost" within ~1 s, then attaches to the next
#    instance of the name and continues the same files; output modes.
# Usage: test_ctl.sh BUILD_DIR   (root; exit 77 = skipped)
set -u
BUILD=${1:?usage: test_ctl.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"
PY=/usr/bin/python3
SEED="$HERE/tests/pcap/seed-incidents/input.pcap"

skip() {
	echo "SKIP: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "test_ctl.sh needs root (DPDK EAL, network namespaces)"
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
for f in "$WC" "$CTL"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done

T=$(mktemp -d)
chmod 0711 "$T" # nobody may traverse it (part A)
A="wcctla$$"
B="wcctlb$$"
NS="wcctl-$$"
VA="wcca$$"
VB="wccb$$"
PFX="wcctl-$$"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$T" /var/run/dpdk/"$PFX"-* /dev/shm/wirecheck."$A" /dev/shm/wirecheck."$B" \
		/dev/hugepages/wirecheck."$A" /dev/hugepages/wirecheck."$B" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check
finish() {
	echo "ctl: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

run_no=0
eal_next() {
	run_no=$((run_no + 1))
	EAL=(--no-pci --no-huge -m 256 "--file-prefix=$PFX-$run_no" -l 0-1)
}

# jfield INSTANCE PYEXPR: a value of the live stats event (d), empty if none
jfield() {
	"$CTL" stats -n "$1" --json 2>/dev/null |
		$PY -c "import json,sys; d=json.load(sys.stdin); print($2)" 2>/dev/null
}

# wait_packets INSTANCE MIN SECONDS
wait_packets() {
	local deadline=$((SECONDS + $3)) n
	while [ $SECONDS -lt $deadline ]; do
		n=$(jfield "$1" 'd["packets"]')
		[ -n "$n" ] && [ "$n" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# wait_for SECONDS CMD...: until CMD succeeds
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

lines() { [ -f "$1" ] && wc -l <"$1" || echo 0; }
mode() { stat -c %a "$1" 2>/dev/null; }

# every line of FILE is a JSON object (and there is at least one)
all_json() {
	$PY - "$1" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1], "rb"):
    json.loads(line)
    n += 1
sys.exit(0 if n else 1)
PY
}

# ===================================================================== A
eal_next
"$WC" --dpdk --no-control-plane -n "$A" -o "$T/a-dp" -- "${EAL[@]}" \
	--vdev "net_pcap0,rx_pcap=$SEED,infinite_rx=1" >"$T/a.out" 2>"$T/a.err" &
APID=$!
PIDS="$PIDS $APID"
if ! wait_packets "$A" 10000 30; then
	bad "A: the dataplane did not come up: $(grep -v '^EAL\|^TELEMETRY' "$T/a.err" | head -c 300)"
	finish
fi
SHM_A=$(ls /dev/hugepages/wirecheck."$A" /dev/shm/wirecheck."$A" 2>/dev/null | head -1)
check "A: the instance file is 0600 ($SHM_A: $(mode "$SHM_A"))" [ "$(mode "$SHM_A")" = 600 ]

# ---- stats
"$CTL" stats -n "$A" >"$T/stats.txt" 2>&1
check "stats: table with counters and anomalies" \
	eval 'grep -q "^packets [1-9]" "$T/stats.txt" && grep -q "^tcp_checksum_bad " "$T/stats.txt" &&
	      grep -q "running; serve not attached" "$T/stats.txt"'
"$CTL" stats -n "$A" --json >"$T/stats.json"
check "stats --json: the stats event with the SPEC keys" $PY - "$T/stats.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["event_type"] == "stats" and d["end"] == "live", d.get("end")
for k in ("packets", "bytes", "checksum", "anomalies", "malformed", "flows", "drops"):
    assert k in d, k
assert d["packets"] > 0 and d["flows"]["active"] > 0 and d["anomalies"]["tcp_checksum_bad"] > 0
PY

# ---- flows
"$CTL" flows -n "$A" >"$T/flows.txt" 2>&1
check "flows: a table of live flows, most trouble first" $PY - "$T/flows.txt" <<'PY'
import sys
rows = open(sys.argv[1]).read().splitlines()
assert "live flows, by trouble" in rows[0], rows[0]
assert rows[1].startswith("CLIENT -> SERVER"), rows[1]
body = rows[2:]
assert len(body) >= 10, len(body)
def num(s):
    m = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    return float(s[:-1]) * m[s[-1]] if s[-1] in m else float(s)
tr = [num(r.split()[-1]) for r in body]
# human-rounded: allow the rounding of 3 significant digits
assert all(a >= b * 0.99 for a, b in zip(tr, tr[1:])), tr
assert tr[0] > 0 and " -> " in body[0]
PY
"$CTL" flows -n "$A" --json >"$T/flows.json" 2>"$T/flows.err"
check "flows --json: one flow record per live flow" $PY - "$T/flows.json" <<'PY'
import json, sys
fl = [json.loads(l) for l in open(sys.argv[1])]
assert len(fl) >= 10, len(fl)
ids = set()
for f in fl:
    assert f["event_type"] == "flow" and "src_ip" in f and "dest_ip" in f, f
    assert f["flow"]["reason"] in ("active", "fin", "rst", "timeout", "shutdown"), f["flow"]
    assert f["flow"]["pkts_toserver"] + f["flow"]["pkts_toclient"] > 0
    ids.add(f["flow_id"])
assert len(ids) == len(fl)
assert any(f["proto"] == "TCP" and f["tcp"]["retransmissions"] > 0 for f in fl)
PY
[ -s "$T/flows.err" ] && echo "     (flows: $(head -c 200 "$T/flows.err"))"
"$CTL" flows -n "$A" --sort bytes --limit 3 >"$T/flows3.txt"
check "flows --sort bytes --limit 3: three rows" [ "$(tail -n +3 "$T/flows3.txt" | wc -l)" = 3 ]
"$CTL" flows -n "$A" --sort nonsense >/dev/null 2>"$T/err"
rc=$?
check "flows --sort nonsense: usage error naming the option" \
	eval '[ $rc -eq 2 ] && grep -q -- "--sort" "$T/err"'

# ---- top
"$CTL" top -n "$A" --once --interval 0.5 >"$T/top.txt" 2>&1
check "top --once: rates, anomalies, top flows and senders" \
	eval 'grep -q "^packets/s [0-9.]*[KMG]" "$T/top.txt" && grep -q "^TOP FLOWS BY TROUBLE" "$T/top.txt" &&
	      grep -q "^TOP SENDERS BY TROUBLE" "$T/top.txt" && grep -q "52:54:00" "$T/top.txt" &&
	      grep -q "^rto_retransmission " "$T/top.txt"'
check "top --once: no terminal control sequences when not a terminal" eval '! grep -q $'"'"'\e'"'"' "$T/top.txt"'
"$CTL" top -n "$A" --once --json --interval 0.5 >"$T/top.json"
check "top --once --json: a frame with rates, flows and senders" $PY - "$T/top.json" <<'PY'
import json, sys
d = json.loads(open(sys.argv[1]).read())
assert d["event_type"] == "top" and d["dataplane"] == "running"
assert d["rates"]["packets"] > 0 and d["rates"]["verdicts"] > 0
assert d["anomalies"]["tcp_checksum_bad"]["total"] > 0
assert len(d["top_flows"]) >= 1 and d["top_flows"][0]["trouble"] > 0
assert len(d["top_senders"]) >= 1 and d["top_senders"][0]["bad"] > 0
PY
timeout -s INT 2 "$CTL" top -n "$A" --json --interval 0.3 >"$T/top.jsonl" 2>/dev/null
check "top refreshes: a frame every interval until SIGINT ($(lines "$T/top.jsonl") frames)" \
	eval '[ "$(lines "$T/top.jsonl")" -ge 3 ] && all_json "$T/top.jsonl"'

# ---- events before any serve
"$CTL" events -n "$A" >/dev/null 2>"$T/err"
rc=$?
check "events before any serve: exit 1, says so" eval '[ $rc -eq 1 ] && grep -q "no serve" "$T/err"'

# ---- an unprivileged operator
if id nobody >/dev/null 2>&1 && command -v runuser >/dev/null && command -v setpriv >/dev/null; then
	NOGRP=$(id -gn nobody)
	runuser -u nobody -- "$CTL" stats -n "$A" >/dev/null 2>"$T/err"
	rc=$?
	check "nobody without access: exit 1, names the file" \
		eval '[ $rc -eq 1 ] && grep -q "Permission denied.*read access to $SHM_A" "$T/err"'
	chgrp "$NOGRP" "$SHM_A" && chmod 0640 "$SHM_A"
	runuser -u nobody -- "$CTL" stats -n "$A" --json >"$T/n-stats.json" 2>"$T/err"
	runuser -u nobody -- "$CTL" flows -n "$A" --json >"$T/n-flows.json" 2>>"$T/err"
	runuser -u nobody -- "$CTL" top -n "$A" --once --json --interval 0.2 >"$T/n-top.json" 2>>"$T/err"
	check "nobody with group read (0640): stats, flows, top read-only" \
		eval 'all_json "$T/n-stats.json" && all_json "$T/n-flows.json" && all_json "$T/n-top.json"'
	# serve writes ring tails: read-write for the group
	chmod 0660 "$SHM_A"
	mkdir -p "$T/nobody" && chown nobody "$T/nobody"
	# setpriv execs (runuser would stay the parent and take the SIGTERM)
	setpriv --reuid=nobody --regid="$NOGRP" --clear-groups -- \
		"$CTL" serve -n "$A" -o "$T/nobody/out" 2>"$T/n-serve.err" &
	NPID=$!
	PIDS="$PIDS $NPID"
	wait_for 10 eval '[ "$(lines "$T/nobody/out/events.json")" -ge 50 ]'
	sleep 0.5
	kill -TERM "$NPID"
	wait "$NPID"
	rc=$?
	check "nobody serves given read-write (rc $rc): events as nobody, 0640" \
		eval '[ $rc -eq 0 ] && all_json "$T/nobody/out/events.json" &&
		      [ "$(stat -c "%U %a" "$T/nobody/out/events.json")" = "nobody 640" ] &&
		      [ "$(stat -c "%U %a" "$T/nobody/out/evidence.pcap")" = "nobody 640" ] &&
		      tail -1 "$T/nobody/out/events.json" | grep -q "\"end\":\"control_plane_stopped\""'
	chmod 0600 "$SHM_A"
	chgrp root "$SHM_A"
else
	echo "SKIP nobody checks (no user nobody, runuser or setpriv)"
fi

# ---- events: the directory the instance's serve recorded
"$CTL" events -n "$A" --last 5 >"$T/ev.txt" 2>&1
check "events --last 5: five lines from serve's events.json" \
	eval '[ "$(lines "$T/ev.txt")" = 5 ] && grep -q "anomaly\|stats" "$T/ev.txt"'
"$CTL" events -n "$A" --last 7 --json >"$T/ev.json"
check "events --json --last 7: the events.json lines" \
	eval '[ "$(lines "$T/ev.json")" = 7 ] && all_json "$T/ev.json"'

# ---- the dataplane ends: a refreshing top ends with it
"$CTL" top -n "$A" --interval 0.2 --json >"$T/top-end.jsonl" 2>"$T/top-end.err" &
TPID=$!
PIDS="$PIDS $TPID"
sleep 0.5
kill -INT "$APID"
wait "$APID"
rc=$?
check "A: SIGINT ends the dataplane (rc $rc)" [ "$rc" -eq 0 ]
wait_for 5 eval '! kill -0 $TPID 2>/dev/null'
check "top ends by itself when the dataplane is done ($(head -c 100 "$T/top-end.err"))" \
	eval '! kill -0 $TPID 2>/dev/null && grep -q "is done" "$T/top-end.err"'

# ===================================================================== B
if ! { ip netns add "$NS" &&
	ip link add "$VA" netns "$NS" type veth peer name "$VB" netns "$NS" &&
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
	ip -n "$NS" link set lo up && ip -n "$NS" link set "$VA" up &&
	ip -n "$NS" link set "$VB" up; } 2>"$T/err"; then
	bad "B: cannot create a namespace with a veth pair: $(head -c 200 "$T/err")"
	finish
fi

# ~RATE frames a second, UDP with a wrong checksum, each from a new port
cat >"$T/send.py" <<'PY'
import socket, struct, sys, time
ifc, pps = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF
eth = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00"
src, dst = bytes([10, 77, 0, 1]), bytes([10, 77, 0, 2])
i, t0 = 0, time.monotonic()
while True:
    payload = struct.pack("!Q", i) * 4
    ulen = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, i & 0xFFFF, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    udp = struct.pack("!HHHH", 1024 + i % 60000, 9999, ulen, 0x5555) + payload
    s.send(eth + ip + udp)
    i += 1
    ahead = i / pps - (time.monotonic() - t0)
    if ahead > 0:
        time.sleep(ahead)
PY

OUT="$T/out"
# start_b: a dataplane of instance B on the veth; sets BPID
start_b() {
	eal_next
	ip netns exec "$NS" "$WC" --dpdk --no-control-plane -n "$B" -o "$T/b-dp" \
		--ring-slots 1024 --udp-timeout 1 -- "${EAL[@]}" \
		--vdev "net_af_packet0,iface=$VA" >"$T/b$run_no.out" 2>"$T/b$run_no.err" &
	BPID=$!
	PIDS="$PIDS $BPID"
}
# start_serve: serve B into OUT, its evidence rotated every ~40 kB (the
# journal rolls back across a new file too); sets SPID
start_serve() {
	"$CTL" serve -n "$B" -o "$OUT" --evidence-max-bytes 40000 --evidence-files 0 \
		2>>"$T/serve.err" &
	SPID=$!
	PIDS="$PIDS $SPID"
}
kill9() { kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

start_b
wait_for 20 "$CTL" stats -n "$B" >/dev/null 2>&1 || { bad "B: did not come up: $(head -c 300 "$T/b$run_no.err")"; finish; }
ip netns exec "$NS" $PY "$T/send.py" "$VB" 500 2>"$T/send.err" &
SENDPID=$!
PIDS="$PIDS $SENDPID"
if ! wait_packets "$B" 200 15; then
	bad "B: no packets from the veth ($(head -c 200 "$T/send.err"))"
	finish
fi

start_serve
wait_for 15 eval '[ "$(lines "$OUT/events.json")" -ge 300 ]'
n1=$(lines "$OUT/events.json")
check "B: serve writes events ($n1 lines)" [ "$n1" -ge 300 ]

# ---- serve SIGKILLed: overflow while none runs is counted
kill9 "$SPID"
d0=$(jfield "$B" 'd["drops"]["event_ring"]')
sleep 3
d1=$(jfield "$B" 'd["drops"]["event_ring"]')
check "no serve for 3 s: ring overflow counted (drops.event_ring $d0 -> $d1)" \
	eval '[ -n "$d1" ] && [ "$d1" -gt "$d0" ]'
start_serve
wait_for 10 eval '[ "$(lines "$OUT/events.json")" -ge $((n1 + 1024)) ]'
n2=$(lines "$OUT/events.json")
check "restarted serve continues the file ($n1 -> $n2 lines)" [ "$n2" -ge $((n1 + 1024)) ]

# ---- serve stalled (SIGSTOP): the workers never wait for it
kill -STOP "$SPID"
p0=$(jfield "$B" 'd["packets"]')
d0=$(jfield "$B" 'd["drops"]["event_ring"]')
sleep 3
p1=$(jfield "$B" 'd["packets"]')
d1=$(jfield "$B" 'd["drops"]["event_ring"]')
kill -CONT "$SPID"
check "serve stopped 3 s: packets keep counting ($p0 -> $p1), drops counted ($d0 -> $d1)" \
	eval '[ "$p1" -ge $((p0 + 1000)) ] && [ "$d1" -gt "$d0" ]'

# ---- killed again and again, right after a restart (in mid-batch: the
# backlog of a full ring is written at once) and later
for delay in 0.01 0.05 0.3 0.02 0.1 0.6 0.03; do
	sleep 0.3 # let the ring fill again
	kill9 "$SPID"
	start_serve
	sleep "$delay"
done
sleep 1
n3=$(lines "$OUT/events.json")
check "after 7 kills and restarts the file keeps growing ($n2 -> $n3)" [ "$n3" -gt "$n2" ]

# ---- a second serve of the same instance is refused
"$CTL" serve -n "$B" -o "$T/second" >/dev/null 2>"$T/err"
rc=$?
check "a second serve is refused (exit 1, names the pid)" \
	eval '[ $rc -eq 1 ] && grep -q "already served by pid $SPID" "$T/err"'

# ---- events follow the running serve
"$CTL" events -n "$B" --last 4 >"$T/evb.txt"
check "events -n B --last 4: the serve's directory from the instance" \
	eval '[ "$(lines "$T/evb.txt")" = 4 ] && grep -q "udp_checksum_bad\|flow " "$T/evb.txt"'
timeout -s INT 2 "$CTL" events -n "$B" --follow --last 0 --json >"$T/follow.jsonl" 2>/dev/null
check "events --follow: new lines as they come ($(lines "$T/follow.jsonl"))" \
	eval '[ "$(lines "$T/follow.jsonl")" -ge 100 ] && all_json "$T/follow.jsonl"'

# ---- the dataplane SIGKILLed: noticed, flushed, the next one attached
SHM_B=$(ls /dev/hugepages/wirecheck."$B" /dev/shm/wirecheck."$B" 2>/dev/null | head -1)
check "B: the instance file is 0600 ($(mode "$SHM_B"))" [ "$(mode "$SHM_B")" = 600 ]
t0=$(date +%s%N)
kill -KILL "$BPID"
# polled at once: a killed process may take long to be gone (sockets,
# memory), serve must not wait for that
{ # (bash's "Killed" notice of the job: not for the log)
	while ! grep -q '"end":"dataplane_lost"' "$OUT/events.json" &&
		[ $(($(date +%s%N) - t0)) -lt 5000000000 ]; do
		sleep 0.02
	done
} 2>/dev/null
t1=$(date +%s%N)
wait "$BPID" 2>/dev/null
t2=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
check "dataplane SIGKILLed: stats with end dataplane_lost after $ms ms (gone after $(((t2 - t0) / 1000000)) ms)" \
	eval 'grep -q "\"end\":\"dataplane_lost\"" "$OUT/events.json" && [ $ms -le 1200 ]'
check "serve is still running, waiting for the next instance" \
	eval 'kill -0 $SPID && grep -q "waiting for the next instance" "$T/serve.err"'
start_b
wait_for 15 grep -q "attached to the next instance" "$T/serve.err"
check "a new dataplane of the same name: serve attaches to it" \
	grep -q "attached to the next instance" "$T/serve.err"
lost_line=$(grep -n '"end":"dataplane_lost"' "$OUT/events.json" | head -1 | cut -d: -f1)
wait_for 15 eval '[ "$(tail -n +$((lost_line + 1)) "$OUT/events.json" | wc -l)" -ge 300 ]'
check "events of the new instance follow in the same file" \
	eval '[ "$(tail -n +$((lost_line + 1)) "$OUT/events.json" | wc -l)" -ge 300 ]'

# ---- the end: sender stopped, the dataplane SIGINTed, serve finishes
kill "$SENDPID" 2>/dev/null
wait "$SENDPID" 2>/dev/null
sleep 0.3
kill -INT "$BPID"
wait "$BPID"
rc=$?
wait_for 10 eval '! kill -0 $SPID 2>/dev/null'
wait "$SPID" 2>/dev/null
src=$?
check "dataplane SIGINT (rc $rc): serve ends with it (rc $src)" \
	eval '[ $rc -eq 0 ] && [ $src -eq 0 ] && tail -1 "$OUT/events.json" | grep -q "\"end\":\"done\""'

check "outputs: dir 0750, events.json and evidence.pcap 0640" \
	eval '[ "$(mode "$OUT")" = 750 ] && [ "$(mode "$OUT/events.json")" = 640 ] &&
	      [ "$(mode "$OUT/evidence.pcap")" = 640 ]'

# ---- exactly once: every event of each instance once, no gap; evidence
check "events.json: per instance every (worker, event_seq) once, no gap; evidence frames match" \
	$PY - "$OUT/events.json" "$OUT" <<'PY'
import datetime, json, os, struct, sys
ev = [json.loads(l) for l in open(sys.argv[1], "rb")]
segs, cur = [], []
for e in ev:
    if e["event_type"] == "stats":
        if e["end"] in ("dataplane_lost", "instance_replaced", "done", "dataplane_failed"):
            segs.append((e["end"], cur, e))
            cur = []
        continue
    cur.append(e)
assert not cur, "events after the last final stats event"
assert [s[0] for s in segs] == ["dataplane_lost", "done"], [s[0] for s in segs]
for end, seg, st in segs:
    byw = {}
    for e in seg:
        byw.setdefault(e["worker"], []).append(e["event_seq"])
    for w, seqs in byw.items():
        dup = len(seqs) - len(set(seqs))
        assert dup == 0, "%s: %d events reported twice" % (end, dup)
        s = sorted(seqs)
        assert s[0] == 0 and s[-1] == len(s) - 1, \
            "%s: worker %d: %d events, seq %d..%d (lost ones)" % (end, w, len(s), s[0], s[-1])
    assert sum(1 for e in seg if e["event_type"] == "anomaly") > 100
    if end == "dataplane_lost":  # it ran without serve for a while
        assert st["drops"]["event_ring"] > 0
# evidence files (evidence.pcap, evidence-000001.pcap, ...): each
# anomaly's frame, in order, with its timestamp
def read_frames(name):
    raw = open(os.path.join(sys.argv[2], name), "rb").read()
    assert struct.unpack("<I", raw[:4])[0] == 0xA1B2C3D4
    frames, off = [], 24
    while off + 16 <= len(raw):
        sec, usec, cap, ln = struct.unpack("<IIII", raw[off:off + 16])
        frames.append((sec, usec))
        off += 16 + cap
    assert off == len(raw), "%s: partial record at the end" % name
    return frames
names = sorted(n for n in os.listdir(sys.argv[2]) if n.startswith("evidence"))
assert names[0] == "evidence-000001.pcap" and names[-1] == "evidence.pcap", names
names = names[-1:] + names[:-1]  # in the order they were written
assert names[1:] == ["evidence-%06d.pcap" % i for i in range(1, len(names))], names
used = []
for e in ev:
    if e["event_type"] != "anomaly" or "evidence" not in e:
        continue
    if not used or used[-1][0] != e["evidence"]["file"]:
        used.append((e["evidence"]["file"], []))
    used[-1][1].append(e)
assert [u[0] for u in used] == names, "events name files %s; there are %s" % (
    [u[0] for u in used], names)
total = 0
for name, evs in used:
  frames = read_frames(name)
  total += len(frames)
  refs = []
  for e in evs:
    ctx = e["evidence"].get("context_frames", [])
    n = e["evidence"]["frame"]
    # the packets of its flow before it: the frames right before its own
    # (an event of the same packet shares both)
    if ctx and not (refs and refs[-1] == n):
        assert ctx == list(range(n - len(ctx), n)), (n, ctx)
        refs += ctx
    ts = datetime.datetime.strptime(e["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    sec = int(ts.timestamp())
    assert 1 <= n <= len(frames), (name, n, len(frames))
    assert frames[n - 1] == (sec, ts.microsecond), (name, n, frames[n - 1], e["timestamp"])
    refs.append(n)
  assert refs == sorted(refs) and set(refs) == set(range(1, len(frames) + 1)), \
    "%s: frames without their event, or out of order" % name
  assert os.path.getsize(os.path.join(sys.argv[2], name)) <= 40000, name
print("     %d events, %d evidence frames in %d files, instances %s" % (
      len(ev), total, len(names), [len(s[1]) for s in segs]))
PY

finish
