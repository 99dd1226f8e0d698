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

# Configuration files (-c): a bad one is exit 2 with file:line and the key,
# before anything starts (no output directory, no control plane).
printf 'capture:\n  mtu: 1500\n\nflows:\n  max: 10\n' >"$T/bad.yaml"
expect_exit "config out of range: file:line: key" 2 "bad.yaml:5: flows.max: '10' is not an integer in" \
	-- "$WC" -r "$CASE" -c "$T/bad.yaml" -o "$T/oc0"
check "bad config starts nothing" [ ! -e "$T/oc0" ]
printf 'output:\n  dir: x\ncaptur:\n  mtu: 9000\n' >"$T/typo.yaml"
expect_exit "config unknown key: file:line: key" 2 "typo.yaml:3: unknown key 'captur'" \
	-- "$WC" -r "$CASE" -c "$T/typo.yaml" -o "$T/oc0"
printf 'capture:\n  mtu: [1500, 9000]\n' >"$T/type.yaml"
expect_exit "config wrong type: file:line: key" 2 "type.yaml:2: capture.mtu: expected a single value" \
	-- "$WC" -r "$CASE" -c "$T/type.yaml" -o "$T/oc0"
printf 'capture:\n  mtu: 1500\n  xdp_mode: [\n' >"$T/syntax.yaml"
expect_exit "config syntax error: file:line" 2 "syntax.yaml:[0-9]*: YAML syntax error" \
	-- "$WC" -r "$CASE" -c "$T/syntax.yaml" -o "$T/oc0"
expect_exit "config file missing" 2 "no-such.yaml" -- "$WC" -r "$CASE" -c "$T/no-such.yaml" -o "$T/oc0"
check "bad configs started nothing" [ ! -e "$T/oc0" ]

# The file's MTU is honoured and --mtu on the command line overrides it:
# tso-superframes has 4434- and 9014-byte frames (super-frames at MTU 1500,
# normal at 9000) and two IPv4 length-0 "presumed TSO" frames (super-frames
# at any MTU).
TSO="$HERE/tests/pcap/tso-superframes/input.pcap"
superframes() {
	/usr/bin/python3 -c 'import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
print(ev[-1]["anomalies"].get("tso_superframe", 0))' "$1/events.json" 2>/dev/null || echo none
}
printf '# jumbo link\ncapture:\n  mtu: 9000\noutput:\n  quiet: true\n' >"$T/jumbo.yaml"
"$WC" -q -r "$TSO" -o "$T/m0"; s0=$(superframes "$T/m0")
"$WC" -r "$TSO" -o "$T/m1" -c "$T/jumbo.yaml" >"$T/m1.out"; rc1=$?; s1=$(superframes "$T/m1")
"$WC" -q -r "$TSO" -o "$T/m2" -c "$T/jumbo.yaml" --mtu 1500; s2=$(superframes "$T/m2")
"$WC" -q -r "$TSO" -o "$T/m3" -c "$HERE/config/offline-audit.yaml"; s3=$(superframes "$T/m3")
check "default mtu 1500: 11 super-frames ($s0)" [ "$s0" = 11 ]
check "config mtu 9000: 2 super-frames ($s1)" [ "$rc1-$s1" = 0-2 ]
check "config's output.quiet honoured" [ ! -s "$T/m1.out" ]
check "--mtu 1500 overrides the file: 11 again ($s2)" [ "$s2" = 11 ]
check "config/offline-audit.yaml runs (mtu 9000: $s3)" [ "$s3" = 2 ]
# capture.port_mtu: a file's port 0 at 9000 wins over --mtu for that port
printf 'capture:\n  port_mtu:\n    0: 9000\n' >"$T/port.yaml"
"$WC" -q -r "$TSO" -o "$T/m4" -c "$T/port.yaml" --mtu 1500; s4=$(superframes "$T/m4")
check "capture.port_mtu for port 0 honoured ($s4)" [ "$s4" = 2 ]
printf 'capture:\n  port_mtu:\n    vnet0: 9000\n' >"$T/portname.yaml"
expect_exit "port name without -i is a config error" 2 "capture.port_mtu: 'vnet0'" \
	-- "$WC" -r "$TSO" -c "$T/portname.yaml" -o "$T/oc1"
check "port name error started nothing" [ ! -e "$T/oc1" ]

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
