#!/usr/bin/env bash
# Benchmarks (`make bench`), each reported as a ratio against a reference
# measured in the same run (SPEC §7):
#  - checksum engine vs the machine's add-reduce bandwidth and the scalar
#    RFC 1071 loop (bench_csum);
#  - the offline pipeline on an IMIX capture with many flows, preloaded,
#    vs tshark on the same file with checksum validation and TCP analysis on;
#  - 2 workers vs 1 on the same file, split by a symmetric RSS hash, with
#    the per-flow results compared (bench_pipeline scale);
#  - the flow table (lookup+update, bytes per flow) at BENCH_FLOWS flows
#    (default 1M) vs DPDK rte_hash_lookup_bulk on the same keys (bench_flow,
#    built only when libdpdk is found);
#  - wirecheck --dpdk (full and --null-analysis) vs dpdk-testpmd rxonly on
#    the same net_pcap infinite_rx vdev (bench_dpdk.sh, root).
set -eu
BUILD=${1:-build}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
FILE=$T/imix.pcap
PKTS=${BENCH_PACKETS:-1000000}
FLOWS=${BENCH_PIPELINE_FLOWS:-200000} # >= 100k concurrent flows (issue 3)

echo "== checksum engine"
"$BUILD/tests/bench/bench_csum"

echo; echo "== offline pipeline, 1 worker, preloaded"
"$BUILD/tests/bench/bench_pipeline" gen "$FILE" "$PKTS" "$FLOWS"
"$BUILD/tests/bench/bench_pipeline" run "$FILE" 3 262144 | tee "$T/pipe"
wc_pps=$(awk -F= '/^RESULT pps=/{print $2}' "$T/pipe")

echo; echo "== reference: tshark on the same file (checksums + TCP analysis on)"
start=$(date +%s.%N)
tshark -n -r "$FILE" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-o ip.check_checksum:TRUE -o tcp.analyze_sequence_numbers:TRUE -q -z io,stat,0 >/dev/null
end=$(date +%s.%N)
ts_pps=$(echo "$PKTS / ($end - $start)" | bc -l)
printf 'tshark: %d packets in %.2f s: %.3f Mpps\n' "$PKTS" "$(echo "$end - $start" | bc -l)" "$(echo "$ts_pps / 1000000" | bc -l)"
printf 'RATIO wirecheck/tshark = %.0fx (target >= 200x)\n' "$(echo "$wc_pps / $ts_pps" | bc -l)"

echo; echo "== 2 workers vs 1 worker: the same file split by symmetric RSS, identical per-flow results"
# one pinned thread per worker (CPU 0 and 1); exit 1 when a flow's record
# differs, reported at the end so that the other benchmarks still run
scale_rc=0
"$BUILD/tests/bench/bench_pipeline" scale "$FILE" "${BENCH_SCALE_SECONDS:-12}" 262144 | tee "$T/scale" ||
	true
grep -q '^RATIO 2 workers/1 worker = .*per-flow results identical$' "$T/scale" || scale_rc=1

echo; echo "== flow table vs rte_hash_lookup_bulk, same keys, same run"
if [ -x "$BUILD/tests/bench/bench_flow" ]; then
	# both tables on 2 MiB pages when root can reserve them (as a DPDK
	# deployment has), else both on 4 KiB pages: bench_flow says which
	nr=/proc/sys/vm/nr_hugepages
	hp_before=""
	if [ "$(id -u)" -eq 0 ] && [ -w $nr ]; then
		hp_before=$(cat $nr)
		want=$(( (${BENCH_FLOWS:-1000000} * 800 / 1048576 + 512) / 2 ))
		[ "$hp_before" -ge "$want" ] || echo "$want" >$nr
	fi
	"$BUILD/tests/bench/bench_flow" "${BENCH_FLOWS:-1000000}" "${BENCH_FLOW_SECONDS:-2}" | tee "$T/flow"
	[ -z "$hp_before" ] || echo "$hp_before" >$nr
	echo; grep '^flow:' "$T/flow"
else
	echo "bench_flow not built (libdpdk not found): skipped"
fi

echo; echo "== DPDK: net_pcap infinite_rx vs dpdk-testpmd rxonly (full and null analysis)"
bash "$(dirname "$0")/bench_dpdk.sh" "$BUILD"

echo; echo "== AF_XDP on a veth pair: full vs null analysis, soak at 0.8x null (bench_afxdp.sh, root)"
bash "$(dirname "$0")/bench_afxdp.sh" "$BUILD"

if [ "$scale_rc" -ne 0 ]; then
	echo; echo "bench_pipeline scale: per-flow results differ between 1 and 2 workers (above)"
	exit 1
fi
