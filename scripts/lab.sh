#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live lab of `make demo` (root): the seed incidents reproduced with
# real kernel traffic and caught live by wirecheck over AF_XDP.
#
# Two private network namespaces joined by a veth pair:
#   wc-lab-client-PID  veth-client 10.199.50.1/24
#   wc-lab-server-PID  veth-server 10.199.50.2/24, VIP 10.199.50.100/32
# `wirecheck -i veth-client` runs in the client namespace (the interface has
# an address: wirecheck mirrors both directions through its tc program into
# a private veth with XDP + AF_XDP; nothing is taken from the stack). Then,
# a few seconds each:
#   1. plain HTTP (python3 http.server, curl): veth checksum offload, every
#      TCP checksum on the wire partial            -> checksum_partial
#   2. the server's veth with tx checksumming off and a tc egress program
#      (lab/corrupt.bpf.c) that flips a payload byte of every 40th segment
#      from :8080 after the checksum was set: the client drops those, the
#      server resends them intact -> tcp_checksum_bad, offload_corruption
#   3. write-write-read with Nagle on against a server that answers only a
#      whole request: the delayed ACK              -> ack_stall (~40 ms)
#   4. a connection to the VIP whose SYN-ACKs leave with the real address
#      (lab/asym_nat.bpf.c, a DNAT missed on the way back): the client
#      resets them and gives up                    -> synack_unexpected_source
#   5. a server that reads the first request and resets (SO_LINGER 0)
#                                                  -> rst_after_first_data
# The anomalies are printed as the control plane writes them
# (OUT/events.json), then wirecheck's own summary and a recap table.
# Traffic stays inside the two namespaces; everything made here (namespaces,
# tc programs, processes, temporary files) is removed on every exit path,
# Ctrl-C included; wirecheck detaches its own XDP and tc programs.
#
# usage: scripts/lab.sh [BUILD_DIR]    (root; ~20 s)
#        DEMO_OUT=DIR: outputs in DIR/live (default demo-out/live)
# exit:  0 every incident named; 1 an incident not named, or a failure;
#        77 the lab cannot run here (one line says why): scripts/demo.sh
#        then replays the offline capture instead.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.." || exit 1
OUT=${DEMO_OUT:-demo-out}/live
PY=/usr/bin/python3
LAB=scripts/lab
NSC=wc-lab-client-$$ NSS=wc-lab-server-$$
VC=veth-client VS=veth-server
A_C=10.199.50.1 A_S=10.199.50.2 VIP=10.199.50.100
P_HTTP=8080 P_NAGLE=9000 P_RST=9100
INST=lab-$$
WCPID="" FOLPID="" PIDS="" T="" MADE_NS=""

unavailable() {
	echo "note: live lab unavailable ($*)"
	exit 77
}
fail() {
	echo "lab: FAILED: $*" >&2
	exit 1
}

# ---------------------------------------------------------------- checks
[ "$(id -u)" -eq 0 ] || unavailable "not root"
for t in ip tc ethtool curl "$PY"; do
	command -v "$t" >/dev/null 2>&1 || unavailable "$t not installed: run scripts/setup.sh"
done
[ -x "$BUILD/wirecheck" ] || unavailable "$BUILD/wirecheck not built"
for o in "$BUILD/xdp/wirecheck.bpf.o" "$BUILD/scripts/lab/corrupt.bpf.o" \
	"$BUILD/scripts/lab/asym_nat.bpf.o"; do
	[ -r "$o" ] || unavailable "$o not built"
done
WC=$(cd "$BUILD" && pwd)/wirecheck
OBJ=$(cd "$BUILD" && pwd)/scripts/lab

# ---------------------------------------------------------------- cleanup
cleanup() {
	trap '' INT TERM
	# wirecheck first: SIGINT, so that it detaches what it attached
	if [ -n "$WCPID" ] && kill -0 "$WCPID" 2>/dev/null; then
		kill -INT "$WCPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$WCPID" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$WCPID" 2>/dev/null
	fi
	[ -n "$FOLPID" ] && kill -TERM "$FOLPID" 2>/dev/null
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	# anything else still running inside our namespaces was started here
	for ns in $MADE_NS; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	wait 2>/dev/null
	for ns in $MADE_NS; do
		# wirecheck's state file, if it could not remove it itself
		ino=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)
		[ -n "$ino" ] && rm -f /run/wirecheck/afxdp."$ino".* 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/dev/shm/wirecheck.$INST" "/dev/hugepages/wirecheck.$INST" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'echo; echo "lab: interrupted, cleaning up"; exit 130' INT
trap 'exit 143' TERM

T=$(mktemp -d -t "wc-lab-$$.XXXXXX")

# ---------------------------------------------------------------- the lab
MADE_NS="$NSC $NSS" # before they exist: a Ctrl-C right after an add leaves none
ip netns add "$NSC" 2>"$T/err" || unavailable "ip netns add: $(head -1 "$T/err")"
ip netns add "$NSS" 2>"$T/err" || unavailable "ip netns add: $(head -1 "$T/err")"
ip link add "$VC" netns "$NSC" type veth peer name "$VS" netns "$NSS" 2>"$T/err" ||
	unavailable "veth pair: $(head -1 "$T/err")"
for ns in "$NSC" "$NSS"; do
	# no IPv6 chatter (router solicitations, MLD) in the capture
	# shellcheck disable=SC2016 # $c is the inner shell's
	ip netns exec "$ns" sh -c 'for c in all default; do
		echo 1 >/proc/sys/net/ipv6/conf/$c/disable_ipv6; done' 2>/dev/null
	ip -n "$ns" link set lo up
done
ip -n "$NSC" addr add "$A_C/24" dev "$VC"
ip -n "$NSS" addr add "$A_S/24" dev "$VS"
ip -n "$NSS" addr add "$VIP/32" dev "$VS"
ip -n "$NSC" link set "$VC" up
ip -n "$NSS" link set "$VS" up
MAC_S=$(ip netns exec "$NSS" cat "/sys/class/net/$VS/address")
MAC_C=$(ip netns exec "$NSC" cat "/sys/class/net/$VC/address")

mkdir -p "$T/www"
head -c 1000000 /dev/urandom >"$T/www/big.bin"
echo "hello from the lab" >"$T/www/index.html"

# bg NS CMD...: a server in NS, in the background (killed at cleanup)
bg() {
	local ns=$1; shift
	ip netns exec "$ns" "$@" >>"$T/servers.log" 2>&1 &
	BGPID=$!
	PIDS="$PIDS $BGPID"
}
bg "$NSS" "$PY" -m http.server "$P_HTTP" --bind "$A_S" --directory "$T/www"
bg "$NSS" "$PY" -m http.server 80 --bind "$VIP" --directory "$T/www"
VIPPID=$BGPID
bg "$NSS" "$PY" "$LAB/lab.py" nagle-server "$A_S" "$P_NAGLE"
bg "$NSS" "$PY" "$LAB/lab.py" rst-server "$A_S" "$P_RST"
for port in "$P_HTTP" 80 "$P_NAGLE" "$P_RST"; do
	for i in $(seq 50); do
		ip netns exec "$NSS" ss -Hltn "sport = :$port" 2>/dev/null | grep -q LISTEN && break
		[ "$i" -eq 50 ] && fail "server on port $port did not start: $(tail -3 "$T/servers.log")"
		sleep 0.1
	done
done
mkdir -p "$OUT"
rm -f "$OUT/events.json" "$OUT/evidence.pcap" # the follower reads this run's only
ip netns exec "$NSC" "$WC" -i "$VC" -o "$OUT" -n "$INST" >"$T/wc.out" 2>"$T/wc.err" &
WCPID=$!
for i in $(seq 100); do
	grep -q "capturing on" "$T/wc.out" 2>/dev/null && break
	if ! kill -0 "$WCPID" 2>/dev/null; then
		wait "$WCPID" 2>/dev/null
		WCPID=""
		unavailable "wirecheck -i could not attach: $(grep -m1 . "$T/wc.err")"
	fi
	[ "$i" -eq 100 ] && fail "wirecheck -i $VC did not start in 10 s: $(head -3 "$T/wc.err")"
	sleep 0.1
done

START=$SECONDS
echo "wirecheck live lab: real kernel traffic between two network namespaces"
echo "  client $NSC  $VC $A_C ($MAC_C)"
echo "  server $NSS  $VS $A_S ($MAC_S), VIP $VIP"
how=$(grep -o 'watching copies[^;.]*' "$T/wc.err" | head -1)
echo "  probe  wirecheck -i $VC (AF_XDP${how:+; $how})"
echo "  anomalies below are printed as the control plane writes them to $OUT/events.json"
"$PY" "$LAB/lab.py" follow "$OUT/events.json" &
FOLPID=$!

step() { echo; echo "== $*"; }
say() { echo "   $*"; }
settle() { sleep 1; } # let the events reach events.json before the next step

# curl_get URL OUTFILE: prints "CODE BYTES"
curl_get() {
	ip netns exec "$NSC" curl -s --max-time 10 -o "$2" -w '%{http_code} %{size_download}' "$1"
}

# tc_attach OBJ SEC / tc_detach: a tc egress program on the server's veth
tc_attach() {
	if ! tc -n "$NSS" qdisc add dev "$VS" clsact 2>>"$T/tc.log" ||
		! tc -n "$NSS" filter add dev "$VS" egress pref 1 handle 1 bpf direct-action \
			obj "$1" sec tc >>"$T/tc.log" 2>&1; then
		fail "tc egress program $1 on $VS: $(tail -3 "$T/tc.log")"
	fi
}
tc_detach() {
	tc -n "$NSS" filter del dev "$VS" egress 2>/dev/null
	tc -n "$NSS" qdisc del dev "$VS" clsact 2>/dev/null
}
# tc_counter NAME: a .bss counter of the attached program (bpftool), or "?"
tc_counter() {
	local id
	id=$(tc -n "$NSS" filter show dev "$VS" egress 2>/dev/null | grep -o ' id [0-9]*' | head -1)
	if [ -z "$id" ] || ! command -v bpftool >/dev/null 2>&1; then
		echo "?"
		return
	fi
	bpftool -j prog show id "${id# id }" 2>/dev/null | "$PY" -c '
import json, subprocess, sys
name = sys.argv[1]
for m in json.load(sys.stdin).get("map_ids", []):
    try:
        d = json.loads(subprocess.run(["bpftool", "-j", "map", "dump", "id", str(m)],
                                      capture_output=True, text=True).stdout)
    except ValueError:
        continue
    for e in d if isinstance(d, list) else []:
        val = e.get("formatted", {}).get("value") if isinstance(e, dict) else None
        for v in val.get(".bss", []) if isinstance(val, dict) else []:
            if isinstance(v, dict) and name in v:
                print(v[name]); sys.exit(0)
print("?")' "$1" 2>/dev/null || echo "?"
}

# ---- 1 ----
step "1. offload: partial checksums (plain HTTP, curl -> python3 http.server :$P_HTTP)"
got=""
for f in big.bin index.html big.bin; do
	got="$got $(curl_get "http://$A_S:$P_HTTP/$f" /dev/null)"
done
say "curl: 3 GETs ->$got (code bytes); veth offload leaves every TCP checksum to a NIC that is not there"
settle

# ---- 2 ----
step "2. corrupting sender: $VS with tx checksumming off, a tc program flipping a byte of every 40th new segment from :$P_HTTP"
# tx checksumming off: the kernel sums each segment in software after the tc
# program, and the client's kernel verifies it (CHECKSUM_NONE on the veth).
# gso_max_segs 1: TCP hands down one segment per skb (software GSO is always
# on for TCP; one super-skb would share one checksum field among its
# segments, see corrupt.bpf.c)
GSO_SEGS=$(ip -n "$NSS" -d link show "$VS" | grep -o 'gso_max_segs [0-9]*' | awk '{print $2}')
ip netns exec "$NSS" ethtool -K "$VS" tx off >/dev/null 2>&1 || fail "ethtool -K $VS tx off"
ip -n "$NSS" link set dev "$VS" gso_max_segs 1 || fail "ip link set $VS gso_max_segs 1"
tc_attach "$OBJ/corrupt.bpf.o"
ok=0
for i in 1 2; do
	r=$(curl_get "http://$A_S:$P_HTTP/big.bin" "$T/dl.bin")
	[ "$r" = "200 1000000" ] && cmp -s "$T/dl.bin" "$T/www/big.bin" && ok=$((ok + 1))
done
flipped=$(tc_counter lab_flipped)
tc_detach
ip netns exec "$NSS" ethtool -K "$VS" tx on >/dev/null 2>&1
ip -n "$NSS" link set dev "$VS" gso_max_segs "${GSO_SEGS:-65535}"
say "tc program flipped $flipped segments; curl: $ok of 2 downloads of 1 MB byte-identical (the client dropped the bad copies, the server resent them)"
settle

# ---- 3 ----
step "3. delayed-ACK stall: write(header) write(body) read() with Nagle on, server answers whole requests (:$P_NAGLE)"
say "$(ip netns exec "$NSC" "$PY" "$LAB/lab.py" nagle-client "$A_S" "$P_NAGLE" 5 2>&1)"
settle

# ---- 4 ----
step "4. VIP answered from the real address: curl http://$VIP/, SYN-ACKs leave as $A_S (tc program: a DNAT missed on the way back)"
tc_attach "$OBJ/asym_nat.bpf.o"
ip netns exec "$NSC" curl -s --connect-timeout 2 -o /dev/null "http://$VIP/"
rc=$?
rewritten=$(tc_counter lab_rewritten)
# the VIP's listener goes first: its half-open connection would otherwise
# resend the SYN-ACK later (at 3 s), as itself once the program is gone
kill -TERM "$VIPPID" 2>/dev/null
wait "$VIPPID" 2>/dev/null
tc_detach
say "curl exit $rc (28 = connect timeout); $rewritten SYN-ACKs rewritten to $A_S, each reset by the client"
settle

# ---- 5 ----
step "5. reset on first data: a server that reads the first request and closes with SO_LINGER 0 (:$P_RST)"
say "$(ip netns exec "$NSC" "$PY" "$LAB/lab.py" rst-client "$A_S" "$P_RST" 2>&1)"
settle

# ---------------------------------------------------------------- the end
kill -INT "$WCPID"
for _ in $(seq 150); do kill -0 "$WCPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$WCPID" 2>/dev/null; then
	echo "lab: wirecheck did not stop within 15 s of SIGINT" >&2
	kill -9 "$WCPID" 2>/dev/null
fi
wait "$WCPID" 2>/dev/null
WCRC=$?
WCPID=""
for _ in $(seq 50); do kill -0 "$FOLPID" 2>/dev/null || break; sleep 0.1; done
kill -TERM "$FOLPID" 2>/dev/null
wait "$FOLPID" 2>/dev/null
FOLPID=""

echo
echo "== wirecheck stopped (SIGINT, exit $WCRC); its summary:"
grep -v "capturing on" "$T/wc.out"
[ "$WCRC" -eq 0 ] || { echo "wirecheck stderr:"; cat "$T/wc.err"; }
echo
echo "== recap ($((SECONDS - START)) s of traffic)"
"$PY" "$LAB/lab.py" recap "$OUT/events.json" "$A_S" "$MAC_S" "$VIP"
RECAP=$?
echo
echo "Events: $OUT/events.json; evidence: wireshark $OUT/evidence.pcap"
if [ "$RECAP" -ne 0 ] || [ "$WCRC" -ne 0 ]; then
	echo "lab: FAILED: $([ "$WCRC" -ne 0 ] && echo "wirecheck exit $WCRC; ")$([ "$RECAP" -ne 0 ] && echo "an incident was not named")"
	exit 1
fi
echo "lab: every incident was named"
exit 0
