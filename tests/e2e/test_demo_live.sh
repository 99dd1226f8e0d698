#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live lab of `make demo` (scripts/lab.sh; issue 4 item 8), run
# non-interactively.
#
#  1. A whole run: exit 0, wirecheck stopped by SIGINT with exit 0, every
#     incident named in the recap, and the events themselves say so:
#     checksum_partial; tcp_checksum_bad and offload_corruption naming the
#     server's IP and MAC; ack_stall with stall_ms 30..250;
#     synack_unexpected_source with expected_src VIP:80 and actual_src
#     10.199.50.2:80; rst_after_first_data. Under 60 s, quiet (no shell job
#     notices, no tracebacks), and nothing left: namespaces, processes,
#     shared memory, temporary directory.
#  2. A run interrupted as Ctrl-C does it (SIGINT to its process group)
#     while an incident runs: exit 130, and nothing left either.
#
# usage: test_demo_live.sh BUILD_DIR       (root; exit 77 = skipped)
#        KEEP=1 keeps the outputs (the path is printed).
set -u
BUILD=${1:?usage: test_demo_live.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
SRC=$(cd "$(dirname "$0")/../.." && pwd)
LAB="$SRC/scripts/lab.sh"
PY=/usr/bin/python3

skip() {
	echo "SKIP: $*" >&2
	echo "SKIP: demo-live needs root, ip netns, tc, ethtool, curl and python3 (the live lab was NOT tested)"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root"
for t in ip tc ethtool curl "$PY"; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
ip netns add "wc-lab-probe-$$" 2>/dev/null || skip "ip netns add failed (no CAP_SYS_ADMIN?)"
ip netns del "wc-lab-probe-$$"

T=$(mktemp -d)
WATCHDOG=""
. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check
cleanup() {
	[ -n "$WATCHDOG" ] && kill "$WATCHDOG" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# procs REGEX: how many processes' command lines match (no procps needed)
procs() {
	"$PY" - "$1" <<'PY'
import os, re, sys
rx, n = re.compile(sys.argv[1]), 0
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) != os.getpid():
        try:
            cmd = open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        n += bool(rx.search(cmd))
print(n)
PY
}
# processes of the lab's kind running now (none of them may outlive a run)
lab_procs() { procs 'scripts/lab/lab\.py|-m http\.server'; }
# nothing_left PID: no namespace, shared memory, temporary dir, process or
# loaded tc program of lab PID
nothing_left() {
	local pid=$1
	! ip netns list | grep -qE "^wc-lab-(client|server)-$pid( |$)" &&
		[ ! -e "/dev/shm/wirecheck.lab-$pid" ] &&
		! ls -d "${TMPDIR:-/tmp}"/wc-lab-"$pid".* >/dev/null 2>&1 &&
		[ "$(procs "wirecheck.* -n lab-$pid( |$)")" -eq 0 ] &&
		[ "$(lab_procs)" = "$PROCS0" ] && no_lab_prog
}
# no_lab_prog: no lab tc program loaded (a deleted namespace's devices, and
# the programs on them, go asynchronously: up to 5 s)
no_lab_prog() {
	command -v bpftool >/dev/null || return 0
	for _ in $(seq 50); do
		bpftool prog show 2>/dev/null | grep -qE 'name lab_(corrupt|asym_nat) ' || return 0
		sleep 0.1
	done
	return 1
}
# start_lab LOG: scripts/lab.sh in its own process group with SIGINT at its
# default (a background job of a script starts with SIGINT ignored, which a
# shell cannot trap); LABPID is its pid (= its $$) and process group
start_lab() {
	DEMO_OUT="$T/out" "$PY" -c 'import os, signal, sys
os.setpgid(0, 0)
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$LAB" "$BUILD" >"$1" 2>&1 &
	LABPID=$!
	# watchdog: ends the run if it hangs (its sleep goes with it, and it
	# holds none of our output open)
	(
		trap 'kill "$sp" 2>/dev/null; exit 0' TERM
		sleep 150 &
		sp=$!
		wait "$sp" && kill -TERM -- "-$LABPID"
	) >/dev/null 2>&1 &
	WATCHDOG=$!
}
stop_watchdog() { kill "$WATCHDOG" 2>/dev/null; wait "$WATCHDOG" 2>/dev/null; WATCHDOG=""; }

PROCS0=$(lab_procs)

# ---- 1. a whole run ----
t0=$SECONDS
start_lab "$T/lab.log"
wait "$LABPID"
rc=$?
secs=$((SECONDS - t0))
stop_watchdog
sed 's/^/  | /' "$T/lab.log"
check "lab exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
check "lab says every incident was named" grep -q "^lab: every incident was named" "$T/lab.log"
check "wirecheck stopped by SIGINT with exit 0" grep -q "wirecheck stopped (SIGINT, exit 0)" "$T/lab.log"
check "recap: 6 rows, all detected" bash -c \
	"[ \$(grep -cE '^(1 offload|2 corrupting|3 delayed|4 VIP|5 reset| {20,}offload_corruption).* yes ' '$T/lab.log') -eq 6 ]"
check "under 60 s (${secs} s)" [ "$secs" -lt 60 ]
check "quiet: no job notices, tracebacks or errors" bash -c \
	"! grep -qE 'Terminated|Killed|Traceback|Error|RTNETLINK|Cannot' '$T/lab.log'"
MAC_S=$(grep -o 'veth-server 10.199.50.2 ([0-9a-f:]*)' "$T/lab.log" | grep -o '[0-9a-f:]\{17\}')
"$PY" - "$T/out/live/events.json" "$MAC_S" >"$T/py" 2>&1 <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
mac = sys.argv[2]
st = [e for e in ev if e["event_type"] == "stats"]
assert len(st) == 1, "one stats event"
st = st[0]
an = [e["anomaly"] for e in ev if e["event_type"] == "anomaly"]
def of(t):
    return [a for a in an if a["type"] == t]
assert st["anomalies"].get("checksum_partial", 0) > 0 and of("checksum_partial"), "checksum_partial"
assert st["checksum"]["tcp"]["partial"] > 0, st["checksum"]["tcp"]
bad = [a for a in of("tcp_checksum_bad") if a["sender_ip"] == "10.199.50.2"
       and a.get("sender_mac") == mac]
assert bad, "tcp_checksum_bad from the server"
oc = [a for a in of("offload_corruption") if a["sender_ip"] == "10.199.50.2"
      and a.get("sender_mac") == mac]
assert oc, "offload_corruption naming the server %s" % mac
assert st["anomalies"]["offload_corruption"] <= st["anomalies"]["tcp_checksum_bad"], \
    "each confirmed corruption had a bad copy"
stalls = [a["stall_ms"] for a in of("ack_stall")]
assert stalls and all(30 <= s <= 250 for s in stalls), ("ack_stall", stalls)
sy = [a for a in of("synack_unexpected_source")
      if a["expected_src"] == "10.199.50.100:80" and a["actual_src"] == "10.199.50.2:80"]
assert sy, "synack_unexpected_source VIP:80 -> 10.199.50.2:80"
assert of("rst_after_first_data"), "rst_after_first_data"
assert st["drops"]["event_ring"] == 0, st["drops"]
print("ok: partial %d, bad %d, offload_corruption %d, ack_stall %s ms, "
      "synack_unexpected_source %d, rst_after_first_data %d" % (
          st["anomalies"]["checksum_partial"], st["anomalies"]["tcp_checksum_bad"],
          st["anomalies"]["offload_corruption"], stalls,
          st["anomalies"]["synack_unexpected_source"], st["anomalies"]["rst_after_first_data"]))
PY
check "events: every incident, with its details ($(tail -1 "$T/py"))" grep -q '^ok' "$T/py"
check "nothing left (namespaces, processes, shm, temp dir, tc programs)" nothing_left "$LABPID"

# ---- 2. Ctrl-C in the middle ----
start_lab "$T/int.log"
for _ in $(seq 300); do
	grep -q "^== 3\." "$T/int.log" 2>/dev/null && break
	kill -0 "$LABPID" 2>/dev/null || break
	sleep 0.1
done
kill -INT -- "-$LABPID" 2>/dev/null
wait "$LABPID"
rc=$?
stop_watchdog
sed 's/^/  | /' "$T/int.log" | tail -4
check "Ctrl-C during incident 3: exit 130 (rc=$rc)" [ "$rc" -eq 130 ]
check "Ctrl-C: nothing left (namespaces, processes, shm, temp dir, tc programs)" nothing_left "$LABPID"

echo "demo-live: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
