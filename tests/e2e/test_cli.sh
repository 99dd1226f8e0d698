#!/usr/bin/env bash
# End-to-end checks of the command-line contract (SPEC §6, §8) through the
# real binaries: exit codes and messages, output files and their modes,
# evidence readable by tshark, no event lost when the ring is tiny (offline
# runs wait for the control plane), the control plane as its own process.
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok()   { pass=$((pass + 1)); echo "PASS $1"; }
bad()  { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

# expect_exit NAME CODE PATTERN -- CMD...: exit code and a stderr message
expect_exit() {
	local name=$1 code=$2 pat=$3; shift 4
	"$@" >"$T/out" 2>"$T/err"; local rc=$?
	if [ "$rc" -eq "$code" ] && grep -q -- "$pat" "$T/err"; then ok "$name"
	else bad "$name (rc=$rc, stderr: $(head -c 300 "$T/err"))"; fi
}

CASE="$HERE/tests/pcap/csum-ipv4-mixed/input.pcap"
BIG="$HERE/tests/pcap/csum-partial-offload/input.pcap"

expect_exit "no mode is usage error" 2 "exactly one of" -- "$WC"
expect_exit "unknown option named" 2 "--frobnicate" -- "$WC" -r "$CASE" --frobnicate
expect_exit "bad mtu named" 2 "--mtu" -- "$WC" -r "$CASE" --mtu 12
expect_exit "bad instance named" 2 "option -n" -- "$WC" -r "$CASE" -n "../x"
expect_exit "missing file is runtime failure" 1 "no-such.pcap" -- "$WC" -r "$T/no-such.pcap" -o "$T/o0"
expect_exit "ctl unknown command" 2 "unknown command" -- "$CTL" frob
expect_exit "ctl stats without instance" 1 "instance" -- "$CTL" stats -n "absent$$"

# A pcap with an unsupported link type (147, LINKTYPE_USER0): a clear
# error, not a silent zero.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x93\x00\x00\x00' >"$T/user0.pcap"
expect_exit "unsupported link type" 1 "unsupported link type 147" -- "$WC" -r "$T/user0.pcap" -o "$T/o1"

# A normal run: files complete, modes, valid JSON, one stats event.
"$WC" -q -r "$CASE" -o "$T/o2"; rc=$?
check "offline run exits 0" [ "$rc" -eq 0 ]
check "events.json mode 0640" [ "$(stat -c %a "$T/o2/events.json")" = 640 ]
check "evidence.pcap mode 0640" [ "$(stat -c %a "$T/o2/evidence.pcap")" = 640 ]
check "no shared memory left behind" bash -c "! ls /dev/shm/wirecheck.r* /dev/hugepages/wirecheck.r* 2>/dev/null | grep -q ."
/usr/bin/python3 - "$T/o2/events.json" "$T/o2/evidence.pcap" >"$T/py" 2>&1 <<'PY'
import json, subprocess, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
stats = [e for e in ev if e["event_type"] == "stats"]
assert len(stats) == 1 and ev[-1] is stats[0], "one stats event, last"
an = [e for e in ev if e["event_type"] == "anomaly"]
assert an, "anomalies present"
for e in an:
    assert e["timestamp"].endswith("Z") and len(e["timestamp"]) == 27, e["timestamp"]
    assert e["pcap_cnt"] >= 1 and "type" in e["anomaly"] and "evidence" in e
frames = max(e["evidence"]["frame"] for e in an)
out = subprocess.run(["tshark", "-r", sys.argv[2], "-T", "fields", "-e", "frame.number"],
                     capture_output=True, text=True, check=True).stdout.split()
assert len(out) == frames, (len(out), frames)
print("ok", len(an), frames)
PY
check "events valid, evidence readable by tshark ($(tail -1 "$T/py"))" grep -q '^ok' "$T/py"

# Back-pressure: an 8-slot ring, no rate limit: the offline run waits for
# the control plane, so every anomaly has its event and nothing is dropped.
"$WC" -q -r "$BIG" -o "$T/o3" --ring-slots 8 --rate-limit 0; rc=$?
/usr/bin/python3 - "$T/o3/events.json" >"$T/py" 2>&1 <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = ev[-1]
n = sum(1 for e in ev if e["event_type"] == "anomaly")
assert st["drops"]["event_ring"] == 0, st["drops"]
flows = sum(1 for e in ev if e["event_type"] == "flow")
assert n == sum(st["anomalies"].values()) and n > 8, (n, st["anomalies"])
assert flows == st["flows"]["ended"] and flows > 0, (flows, st["flows"])
print("ok", n)
PY
check "tiny ring loses nothing offline ($(tail -1 "$T/py"))" bash -c "[ $rc -eq 0 ] && grep -q '^ok' '$T/py'"

# The control plane is a separate process attached by name: run it alone
# against an instance and read live stats while the dataplane waits on it.
"$WC" -q -r "$CASE" -o "$T/o4" -n "cli$$"; rc=$?
check "named instance run exits 0 and cleans up" bash -c "[ $rc -eq 0 ] && ! [ -e /dev/shm/wirecheck.cli$$ ]"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
