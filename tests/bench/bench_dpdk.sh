#!/usr/bin/env bash
# DPDK benchmark (SPEC §7), ratios taken in one run on the same vdev:
#   dpdk-testpmd --forward-mode=rxonly            (reference: I/O only)
#   wirecheck --dpdk                              (full analysis)
#   wirecheck --dpdk --null-analysis              (same I/O, packets only counted)
# on net_pcap,infinite_rx=1 over a generated IMIX capture with many flows
# (bench_pipeline gen). Targets: full >= 0.7x testpmd, null >= 0.9x.
#
# Pinning (2 cores): EAL -l 0-1 for all three. testpmd polls on lcore 1
# (cpu 1) and prints stats from lcore 0 (cpu 0). wirecheck's EAL main
# thread is on cpu 0 (with the control plane it forks, and wirecheckctl
# sampling the counters), its worker 0 pinned to cpu 1 (main.c pins
# worker q to cpu q+1).
#
# Usage: bench_dpdk.sh BUILD_DIR   (root; env BENCH_DPDK_SECONDS=5,
#        BENCH_PACKETS=200000, BENCH_DPDK_MB=1024)
set -u
BUILD=${1:-build}
SECS=${BENCH_DPDK_SECONDS:-5}
PKTS=${BENCH_PACKETS:-200000}
MEM=${BENCH_DPDK_MB:-1024}
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: bench_dpdk.sh needs root (DPDK EAL)"
	exit 0
fi
if ! command -v dpdk-testpmd >/dev/null; then
	echo "SKIP: dpdk-testpmd not found (Debian package dpdk-dev)"
	exit 0
fi
T=$(mktemp -d)
PFX="wcbench-$$"
WPID=""
cleanup() {
	[ -n "$WPID" ] && kill -KILL "$WPID" 2>/dev/null
	rm -rf "$T" /var/run/dpdk/"$PFX"-* 2>/dev/null
}
trap cleanup EXIT

FILE=$T/imix.pcap
"$BUILD/tests/bench/bench_pipeline" gen "$FILE" "$PKTS" 50000 || exit 1
VDEV="net_pcap0,rx_pcap=$FILE,infinite_rx=1"
# infinite_rx keeps every frame of the file in mbufs, plus the rings
MBUFS=$((PKTS + 16384))
eal() { EAL=(-l 0-1 --no-pci --no-huge -m "$MEM" "--file-prefix=$PFX-$1" --vdev "$VDEV"); }

# median of the numbers on stdin
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.0f", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# testpmd_rate ROUND: median of its one-second Rx-pps over SECS seconds
testpmd_rate() {
	: >"$T/testpmd.out"
	eal "tp$1"
	dpdk-testpmd "${EAL[@]}" -- --forward-mode=rxonly --burst=64 --stats-period 1 \
		--total-num-mbufs=$MBUFS </dev/null >"$T/testpmd.out" 2>&1 &
	WPID=$!
	# the file is loaded into mbufs before forwarding starts
	local deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ] && kill -0 $WPID 2>/dev/null &&
		! grep -q 'Rx-pps: *[1-9]' "$T/testpmd.out"; do sleep 0.2; done
	sleep $((SECS + 1))
	kill -INT $WPID 2>/dev/null
	wait $WPID 2>/dev/null
	WPID=""
	# skip the first non-zero sample (a partial second)
	awk -v n="$SECS" '/Rx-pps:/ { if ($2 > 0 && k++ > 0 && k <= n + 1) print $2 }' \
		"$T/testpmd.out" | median
}

ctl_packets() {
	taskset -c 0 "$CTL" stats -n "$1" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])' 2>/dev/null
}

# wirecheck_rate LABEL [options]: median packets/s over SECS one-second
# samples of its live counters
wirecheck_rate() {
	local label=$1; shift
	local inst="wcbench$$-$label"
	eal "$label"
	"$WC" --dpdk -q -o "$T/out-$label" -n "$inst" "$@" -- "${EAL[@]}" \
		>"$T/$label.out" 2>&1 &
	WPID=$!
	local n="" deadline=$((SECONDS + 60))
	while [ $SECONDS -lt $deadline ] && kill -0 $WPID 2>/dev/null; do
		n=$(ctl_packets "$inst")
		[ -n "$n" ] && [ "$n" -gt 0 ] && break
		sleep 0.2
	done
	sleep 1 # warm up: caches, flow table
	local i t p pt="" pp="" samples=""
	for i in $(seq 0 "$SECS"); do
		t=$(date +%s.%N)
		p=$(ctl_packets "$inst")
		if [ -n "$pt" ] && [ -n "$p" ] && [ -n "$pp" ]; then
			samples="$samples $(echo "$p $pp $t $pt" | awk '{ printf "%.0f", ($1 - $2) / ($3 - $4) }')"
		fi
		pt=$t pp=$p
		[ "$i" -lt "$SECS" ] && sleep 1
	done
	kill -INT $WPID
	wait $WPID
	local rc=$?
	WPID=""
	if [ $rc -ne 0 ] || [ -z "$samples" ]; then
		echo "wirecheck $label failed (rc=$rc):" >&2
		tail -20 "$T/$label.out" >&2
		return 1
	fi
	echo $samples | tr ' ' '\n' | median
}

mpps() { echo "$1" | awk '{ printf "%.3f", $1 / 1e6 }'; }
best() { [ -z "$1" ] || [ "$2" -gt "$1" ] && echo "$2" || echo "$1"; }

# Two cores shared with whatever else runs: rounds interleave the three
# measurements, each the median of one-second samples, and the best round
# of each counts.
ROUNDS=${BENCH_DPDK_ROUNDS:-2}
echo "pinning: testpmd polls on cpu 1 (lcore 1), its main lcore on cpu 0;"
echo "         wirecheck worker 0 on cpu 1, its main thread, control plane and"
echo "         the wirecheckctl sampling on cpu 0; EAL -l 0-1 --no-huge -m $MEM"
tp_best="" full_best="" null_best=""
for r in $(seq 1 "$ROUNDS"); do
	tp=$(testpmd_rate "$r")
	if [ -z "$tp" ]; then
		echo "testpmd gave no rate:"; tail -20 "$T/testpmd.out"
		exit 1
	fi
	full=$(wirecheck_rate "full$r") || exit 1
	null=$(wirecheck_rate "null$r" --null-analysis) || exit 1
	echo "round $r: testpmd rxonly (burst 64) $(mpps "$tp") Mpps;" \
		"wirecheck full $(mpps "$full") Mpps; wirecheck --null-analysis $(mpps "$null") Mpps"
	tp_best=$(best "$tp_best" "$tp")
	full_best=$(best "$full_best" "$full")
	null_best=$(best "$null_best" "$null")
done

echo
echo "best of $ROUNDS: testpmd $(mpps "$tp_best") Mpps, full $(mpps "$full_best") Mpps," \
	"null $(mpps "$null_best") Mpps"
printf 'RATIO dpdk full/testpmd = %.2f (target >= 0.7)\n' "$(echo "$full_best / $tp_best" | bc -l)"
printf 'RATIO dpdk null/testpmd = %.2f (target >= 0.9)\n' "$(echo "$null_best / $tp_best" | bc -l)"
