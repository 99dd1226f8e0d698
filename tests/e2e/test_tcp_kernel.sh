#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# TCP analysis on real kernel traffic over a lossy path, against tshark
# (issue 3 item 2: counters agree with Wireshark's tcp.analysis.*).
#
# Two network namespaces joined by a veth pair; the client's side shapes to
# 100 Mbit/s (tbf) so that queues build. This kernel has no netem, so the
# impairments are the BPF programs of tests/e2e/impair.bpf.c (2 % of
# non-SYN segments): loss after the probe (tc ingress on the server's veth,
# behind the packet taps), loss before it (XDP on that veth, ahead of the
# taps), late duplicates (re-injected into that ingress) and duplicates on
# the wire (tc egress on the client's veth). tcpdump on the server's veth is
# the probe. Scenarios (tcp_peer.py): bulk transfers with each impairment,
# two over IPv6, one with TSO/GSO on (super-frames), request/response with loss, a slow
# reader (zero windows, window-full), an idle connection with keep-alives,
# RFC 3168 ECN connections (IPv4, IPv6) whose data gets CE marks on the way (tc egress
# on the client's veth: the server's kernel echoes ECE, the client's answers
# CWR).
# For each capture check_tcp_kernel.py requires every counter of
# run_replay.TSHARK_TCP to equal tshark's, the scenario's own effect to
# have happened, the handshake RTT halves to equal the frame times (±1 us)
# and no incident detector to fire.
#
# usage: test_tcp_kernel.sh BUILD_DIR       (root; exit 77 = skipped)
#        KEEP=1 keeps the captures (the path is printed); a failed run
#        always keeps them
set -u
BUILD=${1:?usage: test_tcp_kernel.sh BUILD_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
WC="$BUILD/wirecheck"
OBJ="$BUILD/tests/impair.bpf.o"
PORT=5001

skip() {
	echo "SKIP: $* — TCP analysis on kernel traffic NOT checked"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root"
for t in ip tc tcpdump tshark ethtool; do
	command -v $t >/dev/null || skip "$t not installed (scripts/setup.sh installs it)"
done
[ -x "$WC" ] && [ -f "$OBJ" ] || { echo "FAIL $WC or $OBJ not built"; exit 1; }

NS_S="wctk-s-$$" NS_C="wctk-c-$$" V_S="wctks$$" V_C="wctkc$$"
T=$(mktemp -d)
TCPDUMP_PID=
teardown() {
	[ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null
	TCPDUMP_PID=
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
}
cleanup() {
	teardown
	# the captures of a failed run are the evidence: kept, like KEEP=1
	if [ -n "${KEEP:-}" ] || [ "$fail" -ne 0 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# topology TSO IMPAIRMENT: a fresh pair of namespaces for each scenario
topology() {
	local tso=$1 how=$2
	teardown
	local why
	why=$(netns_pair "$NS_S" "$NS_C" "$V_S" "$V_C" 10.197.0) || skip "$why"
	ip netns exec "$NS_C" ethtool -K "$V_C" tso "$tso" gso "$tso" >/dev/null 2>&1
	ip netns exec "$NS_S" ethtool -K "$V_S" gro off >/dev/null 2>&1
	tc -n "$NS_C" qdisc add dev "$V_C" root tbf rate 100mbit burst 32k latency 20ms ||
		skip "no tbf qdisc"
	case $how in
	none) ;;
	xdp/drop)
		ip -n "$NS_S" link set dev "$V_S" xdpgeneric obj "$OBJ" sec "$how" ||
			skip "cannot attach generic XDP" ;;
	tc/ce)
		# the client asks for ECN (RFC 3168); the server's default
		# (tcp_ecn 2) agrees when asked
		ip netns exec "$NS_C" sysctl -qw net.ipv4.tcp_ecn=1 || skip "no per-netns tcp_ecn"
		tc -n "$NS_C" qdisc add dev "$V_C" clsact &&
			tc -n "$NS_C" filter add dev "$V_C" egress bpf da obj "$OBJ" sec "$how" ||
			skip "cannot attach a tc program" ;;
	tc/dup_wire)
		tc -n "$NS_C" qdisc add dev "$V_C" clsact &&
			tc -n "$NS_C" filter add dev "$V_C" egress bpf da obj "$OBJ" sec "$how" ||
			skip "cannot attach a tc program" ;;
	*)
		tc -n "$NS_S" qdisc add dev "$V_S" clsact &&
			tc -n "$NS_S" filter add dev "$V_S" ingress bpf da obj "$OBJ" sec "$how" ||
			skip "cannot attach a tc program" ;;
	esac
}

# capture NAME TSO IMPAIRMENT WORKLOAD N ADDRESS: run the workload once,
# captured into $T/NAME.pcap; 1 when the client or the server failed
capture() {
	local name=$1 tso=$2 how=$3 work=$4 n=$5 addr=$6 rc=0
	topology "$tso" "$how"
	ip netns exec "$NS_S" tcpdump -i "$V_S" -s 128 -U --immediate-mode -n -w "$T/$name.pcap" \
		"tcp port $PORT" 2>"$T/$name.tcpdump.err" &
	TCPDUMP_PID=$!
	wait_for "$T/$name.tcpdump.err" "listening on"
	ip netns exec "$NS_S" /usr/bin/python3 "$HERE/tcp_peer.py" server "$work" "$addr" \
		$PORT >"$T/$name.server" 2>&1 &
	local spid=$!
	wait_for "$T/$name.server" ready
	timeout 60 ip netns exec "$NS_C" /usr/bin/python3 "$HERE/tcp_peer.py" client "$work" \
		"$addr" $PORT "$n" >"$T/$name.client" 2>&1 || rc=1
	wait "$spid" || rc=1
	sleep 0.3
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	TCPDUMP_PID=
	return $rc
}

# scenario NAME TSO IMPAIRMENT WORKLOAD N MUST_HAPPEN [SERVER_ADDRESS]
# A workload whose own client or server failed says nothing about the
# probe (once in ~15 runs the server's recv() returned EFAULT with cloned
# TSO super-frames, and its death reset the connection): it is run again,
# once, and the failure shown.
scenario() {
	local name=$1 tso=$2 how=$3 work=$4 n=$5 must=$6 addr=${7:-10.197.0.1}
	if ! capture "$name" "$tso" "$how" "$work" "$n" "$addr"; then
		echo "    $name: the workload failed, run again: $(tail -1 "$T/$name.server" "$T/$name.client" | tr '\n' ' ')"
		capture "$name" "$tso" "$how" "$work" "$n" "$addr" ||
			echo "    $name: the workload failed again: $(tail -1 "$T/$name.server" "$T/$name.client" | tr '\n' ' ')"
	fi
	echo "== $name ($work, $how, tso $tso): $(tshark -r "$T/$name.pcap" 2>/dev/null | wc -l) frames"
	check "$name: wirecheck equals tshark, $must seen" \
		/usr/bin/python3 "$HERE/check_tcp_kernel.py" "$BUILD" "$T/$name.pcap" "$name" "$must"
}

scenario loss-after-probe off tc/drop bulk 4000000 fast_retransmissions,dup_acks,retransmissions
scenario loss-before-probe off xdp/drop bulk 4000000 retransmissions,dup_acks
scenario loss-after-probe-ipv6 off tc/drop bulk 3000000 fast_retransmissions,dup_acks fd00:197::1
scenario loss-before-probe-ipv6 off xdp/drop bulk 3000000 retransmissions fd00:197::1
scenario late-duplicates off tc/dup_late bulk 2000000 spurious_retransmissions
scenario wire-duplicates-tso on tc/dup_wire bulk 4000000 retransmissions
scenario rr-loss-after-probe off tc/drop rr 400 rto_retransmissions
scenario ecn-ce-marks off tc/ce bulk 2000000 ecn
scenario ecn-ce-marks-ipv6 off tc/ce bulk 2000000 ecn fd00:197::1
scenario slow-reader off none slow 300000 zero_windows,window_full
scenario keepalives off none ka 3 keepalives

echo "tcp-kernel: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
