#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared memory readable by a group of operators (SPEC §8: files created
# 0600/0640, the control plane needs no root given read access).
# A throwaway system group and user (removed on every exit path), and a live
# instance (DPDK backend on a net_pcap vdev reading the seed capture once:
# no NIC, no hugepages; the dataplane stays up):
#   - with output.shm_group (-c FILE): the instance file is 0640 and owned
#     by the group from the start; the user, a member, runs `wirecheckctl
#     stats` and `flows` without root;
#   - without it: the file is 0600 root-only and the same user is refused
#     (exit 1, the message names the file);
#   - --shm-group with an unknown group: exit 2 naming the option.
# Usage: test_shm_group.sh BUILD_DIR   (root; exit 77 = skipped)
set -u
BUILD=${1:?usage: test_shm_group.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"
PY=/usr/bin/python3
SEED="$HERE/tests/pcap/seed-incidents/input.pcap"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_shm_group.sh needs root (useradd, DPDK EAL)"
	exit 77
fi
for f in "$WC" "$CTL"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
for c in useradd groupadd userdel groupdel runuser; do
	command -v "$c" >/dev/null || { echo "FAIL: $c is missing (passwd/util-linux)"; exit 1; }
done

T=$(mktemp -d)
chmod 0711 "$T"
GRP="wcshmg$$"
USR="wcshmu$$"
INST="wcshm$$"
PFX="wc-shm-$$"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	userdel "$USR" 2>/dev/null
	groupdel "$GRP" 2>/dev/null
	rm -rf "$T" /var/run/dpdk/"$PFX"-* /dev/shm/wirecheck."$INST" \
		/dev/hugepages/wirecheck."$INST" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check
finish() {
	echo "shm-group: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

groupadd -r "$GRP" || { echo "FAIL: groupadd $GRP"; exit 1; }
# -N: no group of its own; the only way to the file is membership of $GRP
useradd -r -M -N -d /nonexistent -s /usr/sbin/nologin -G "$GRP" "$USR" ||
	{ echo "FAIL: useradd $USR"; exit 1; }

as_user() { runuser -u "$USR" -- "$@"; }

run_no=0
# start_instance ARGS...: a live instance of name $INST; sets DPID, SHM
start_instance() {
	run_no=$((run_no + 1))
	mkdir -p "$T/home$run_no"
	XDG_RUNTIME_DIR="$T/home$run_no" HOME="$T/home$run_no" \
		"$WC" --dpdk -n "$INST" -o "$T/dp$run_no" --no-control-plane -q "$@" -- \
		--no-pci --no-huge -m 256 --no-shconf "--file-prefix=$PFX-$run_no" -l 0-1 \
		--vdev "net_pcap0,rx_pcap=$SEED" >"$T/dp$run_no.out" 2>"$T/dp$run_no.err" &
	DPID=$!
	PIDS="$PIDS $DPID"
	SHM=""
	local deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		if "$CTL" stats -n "$INST" --json 2>/dev/null | grep -q '"packets":[1-9]'; then
			SHM=$(ls /dev/hugepages/wirecheck."$INST" /dev/shm/wirecheck."$INST" 2>/dev/null |
				head -1)
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.2
	done
	bad "instance $run_no did not come up: $(grep -v '^EAL\|^TELEMETRY' "$T/dp$run_no.err" | head -c 300)"
	finish
}

stop_instance() {
	kill -TERM "$DPID" 2>/dev/null
	local deadline=$((SECONDS + 20))
	while kill -0 "$DPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	kill -KILL "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
}

is_json() { $PY -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

# ---- with the group (YAML key output.shm_group) ----
printf 'output:\n  shm_group: %s\n' "$GRP" >"$T/group.yaml"
start_instance -c "$T/group.yaml"
check "output.shm_group: the instance file is 0640, owned by root:$GRP ($SHM: $(stat -c '%a %U:%G' "$SHM"))" \
	[ "$(stat -c '%a %U:%G' "$SHM")" = "640 root:$GRP" ]
check "the output directory the dataplane made is 0750 ($(stat -c %a "$T/dp$run_no"))" \
	[ "$(stat -c %a "$T/dp$run_no")" = 750 ]
as_user "$CTL" stats -n "$INST" --json >"$T/u-stats.json" 2>"$T/u-stats.err"
rc=$?
check "$USR (member of $GRP, not root) runs wirecheckctl stats: rc=$rc $(head -c 200 "$T/u-stats.err")" \
	eval '[ $rc -eq 0 ] && is_json "$T/u-stats.json" && grep -q "\"packets\":[1-9]" "$T/u-stats.json"'
as_user "$CTL" flows -n "$INST" --json >"$T/u-flows.json" 2>"$T/u-flows.err"
rc=$?
check "$USR runs wirecheckctl flows: rc=$rc $(head -c 200 "$T/u-flows.err")" [ $rc -eq 0 ]
stop_instance

# ---- without it: 0600, the same user refused ----
start_instance
check "no shm_group: the instance file is 0600 root:root ($(stat -c '%a %U:%G' "$SHM"))" \
	[ "$(stat -c '%a %U:%G' "$SHM")" = "600 root:root" ]
as_user "$CTL" stats -n "$INST" >/dev/null 2>"$T/u-denied.err"
rc=$?
check "$USR without the group option: exit 1 naming the file (rc=$rc: $(head -c 160 "$T/u-denied.err"))" \
	eval '[ $rc -eq 1 ] && grep -q "Permission denied.*$SHM" "$T/u-denied.err"'
stop_instance

# ---- an unknown group: exit 2 naming the option, nothing started ----
"$WC" -q -r "$SEED" -o "$T/never" --shm-group "no-such-group-$$" >/dev/null 2>"$T/err"
rc=$?
check "--shm-group with an unknown group: exit 2 naming it (rc=$rc: $(head -c 160 "$T/err"))" \
	eval '[ $rc -eq 2 ] && grep -q -- "--shm-group" "$T/err" && [ ! -e "$T/never" ]'

finish
