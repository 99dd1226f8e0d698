#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end AF_XDP capture (SPEC §2, §8; issue 4) with real kernel TCP.
#
# Namespaces and veth pairs are created and removed here; traffic goes only
# to 10.199.x.y addresses inside them.
#
#  1. The passive problem: `wirecheck -i` on a veth end that carries host
#     traffic (it has an address) while real HTTP runs over it (python3
#     http.server in one namespace, curl from the other). Every curl must
#     still succeed with every byte (the probe must not take frames away
#     from the stack), SIGINT must end it with exit 0, every TCP checksum
#     must be classed (partial, none bad, none unverifiable: CHECKSUM_PARTIAL
#     crosses a veth), GSO super-frames must be seen whole, each connection
#     must have its flow record with every byte, and nothing may be left:
#     no XDP program, no tc filter or clsact qdisc, no private veth.
#  2. The same in --xdp-mode native (the mirror then feeds native XDP on the
#     private veth; the kernel segments super-frames on the way: partial
#     checksums survive, super-frames do not, and the probe says so).
#  3. kill -9 of a running probe: the traffic keeps flowing, and the next
#     start finds what the killed run left, replaces it, and cleans up.
#  4. A SPAN-like port (no address: direct attach, frames redirected) in
#     native mode, then kill -9, then --xdp-mode skb on the same port: the
#     stale native program is replaced by a generic one, which is detached
#     at the end.
#
# usage: test_afxdp.sh BUILD_DIR       (root; exit 77 = skipped)
#        KEEP=1 keeps the outputs (the path is printed).
set -u
BUILD=${1:?usage: test_afxdp.sh BUILD_DIR}
BUILD=$(cd "$BUILD" && pwd)
WC="$BUILD/wirecheck"
OBJ="$BUILD/xdp/wirecheck.bpf.o"
PORT=8080
N=5

skip() {
	echo "SKIP: $*" >&2
	echo "SKIP: afxdp needs root, ip netns, python3 and curl (nothing was tested)"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root"
for t in ip tc python3 curl; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
[ -x "$WC" ] || { echo "FAIL: $WC not built"; exit 1; }
[ -r "$OBJ" ] || { echo "FAIL: $OBJ not built"; exit 1; }

NS_S="wcaf-s-$$"   # HTTP server, the probe watches its veth end
NS_C="wcaf-c-$$"   # curl
NS_P="wcaf-p-$$"   # SPAN-like port (no address)
NS_Q="wcaf-q-$$"   # sends to the SPAN-like port
V_S="wcxs$$" V_C="wcxc$$" V_P="wcxp$$" V_Q="wcxq$$"
A_S=10.199.71.1 A_C=10.199.71.2 A_Q=10.199.72.2 A_FAKE=10.199.72.1
T=$(mktemp -d)
PIDS=""
INSTANCES=""
. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check

cleanup() {
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for ns in "$NS_S" "$NS_C" "$NS_P" "$NS_Q"; do ip netns del "$ns" 2>/dev/null; done
	# shared memory of runs killed with -9 (named by this test only)
	for i in $INSTANCES; do rm -f "/dev/shm/wirecheck.$i" "/dev/hugepages/wirecheck.$i"; done
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS_S" || skip "ip netns add failed (no CAP_SYS_ADMIN?)"
for ns in "$NS_C" "$NS_P" "$NS_Q"; do ip netns add "$ns" || skip "ip netns add failed"; done
ip link add "$V_S" netns "$NS_S" type veth peer name "$V_C" netns "$NS_C" ||
	skip "cannot create a veth pair"
ip link add "$V_P" numrxqueues 2 numtxqueues 2 netns "$NS_P" type veth \
	peer name "$V_Q" numrxqueues 2 numtxqueues 2 netns "$NS_Q" || skip "cannot create a veth pair"
ip -n "$NS_S" addr add "$A_S/24" dev "$V_S"
ip -n "$NS_C" addr add "$A_C/24" dev "$V_C"
ip -n "$NS_Q" addr add "$A_Q/24" dev "$V_Q"
ip netns exec "$NS_P" sh -c "echo 1 > /proc/sys/net/ipv6/conf/$V_P/disable_ipv6" 2>/dev/null
for ns in "$NS_S" "$NS_C" "$NS_P" "$NS_Q"; do ip -n "$ns" link set lo up; done
ip -n "$NS_S" link set "$V_S" up
ip -n "$NS_C" link set "$V_C" up
ip -n "$NS_P" link set "$V_P" up
ip -n "$NS_Q" link set "$V_Q" up
# the SPAN-like port's frames: SYNs to an address whose MAC is V_P's
ip -n "$NS_Q" neigh add "$A_FAKE" lladdr "$(ip netns exec "$NS_P" cat /sys/class/net/"$V_P"/address)" \
	dev "$V_Q" nud permanent
IDX_S=$(ip netns exec "$NS_S" cat /sys/class/net/"$V_S"/ifindex)

mkdir -p "$T/www"
head -c 400000 /dev/urandom >"$T/www/big.bin"
echo hello >"$T/www/index.html"
ip netns exec "$NS_S" python3 -m http.server "$PORT" --bind "$A_S" --directory "$T/www" \
	>"$T/http.log" 2>&1 &
PIDS="$PIDS $!"
disown $!  # killed at cleanup: no job notice
for i in $(seq 50); do
	ip netns exec "$NS_C" curl -s -o /dev/null "http://$A_S:$PORT/index.html" && break
	sleep 0.1
done

# start_wc NAME NS ARGS...: wirecheck in the background, wait until it
# captures; WCPID is its pid.
start_wc() {
	local name=$1 ns=$2; shift 2
	INSTANCES="$INSTANCES afx$$$name"
	ip netns exec "$ns" "$WC" -o "$T/$name" -n "afx$$$name" "$@" \
		>"$T/$name.out" 2>"$T/$name.err" &
	WCPID=$!
	PIDS="$PIDS $WCPID"
	for i in $(seq 100); do
		grep -q "capturing on" "$T/$name.out" 2>/dev/null && return 0
		kill -0 "$WCPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "  wirecheck $name did not start: $(head -c 600 "$T/$name.err")"
	return 1
}

# stop_wc: SIGINT, wait, the exit code in WCRC.
stop_wc() {
	kill -INT "$WCPID"
	wait "$WCPID"
	WCRC=$?
}

# curls N times (big and small files); prints how many came back whole.
run_curls() {
	local good=0
	for i in $(seq "$N"); do
		local f=big.bin want=400000
		[ $((i % 2)) -eq 0 ] && f=index.html want=6
		got=$(ip netns exec "$NS_C" curl -s --max-time 10 -o /dev/null -w '%{http_code} %{size_download}' \
			"http://$A_S:$PORT/$f")
		[ "$got" = "200 $want" ] && good=$((good + 1))
	done
	echo "$good"
}

# nothing_left NS IFACE: no XDP program, no clsact, no private veth
nothing_left() {
	local ns=$1 dev=$2
	! ip -n "$ns" -d link show | grep -qE ' xdp(generic|offload)? |prog/xdp' &&
		! tc -n "$ns" qdisc show dev "$dev" | grep -q clsact &&
		! ip -n "$ns" link show | grep -q ' wcm[0-9]'
}

# verify NAME MIN_SUPERFRAMES: the events of a run over the HTTP traffic
verify() {
	python3 - "$T/$1/events.json" "$N" "$2" "$PORT" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
n, min_sf, port = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
st = [e for e in ev if e["event_type"] == "stats"]
assert len(st) == 1, "one stats event"
st = st[0]
tcp = st["checksum"]["tcp"]
assert tcp["bad"] == 0, ("bad tcp checksums", tcp)
assert tcp["unverifiable"] == 0, ("unverifiable tcp checksums", tcp)
assert tcp["partial"] > 0, ("no partial tcp checksums", tcp)
assert st["checksum"]["ipv4"]["bad"] == 0, st["checksum"]["ipv4"]
assert st["malformed"]["total"] == 0, st["malformed"]
sf = st["anomalies"]["tso_superframe"]
assert sf >= min_sf, ("super-frames", sf, min_sf)
flows = [e for e in ev if e["event_type"] == "flow" and e.get("dest_port") == port]
assert len(flows) == n, ("flow records", len(flows), n)
big = sorted(f["flow"]["bytes_toclient"] for f in flows)
# every byte of every response went past the probe
assert sum(1 for b in big if b >= 400000) == (n + 1) // 2, ("response bytes", big)
for f in flows:
    assert f["flow"]["client_by"] == "syn" and not f["tcp"]["midstream"], f
print("ok: tcp %s, %d super-frames, %d flows, drops %s" % (
    tcp, sf, len(flows), st["drops"]))
PY
}

# ---- 1. mirror attach, auto mode (generic XDP on the private veth) ----
if start_wc mirror "$NS_S" -i "$V_S"; then
	check "mirror: says it watches copies" grep -q "watching copies" "$T/mirror.err"
	check "mirror: private veth wcm${IDX_S}b has our XDP program" \
		bash -c "ip -n '$NS_S' -d link show wcm${IDX_S}b | grep -q 'prog/xdp.*wirecheck_xdp'"
	check "mirror: tc filters on $V_S ingress and egress" bash -c \
		"tc -n '$NS_S' filter show dev '$V_S' ingress | grep -q wirecheck_tc &&
		 tc -n '$NS_S' filter show dev '$V_S' egress | grep -q wirecheck_tc"
	good=$(run_curls)
	check "mirror: all $N curls succeed while watched ($good)" [ "$good" -eq "$N" ]
	sleep 0.3
	stop_wc
	check "mirror: SIGINT exits 0 (rc=$WCRC)" [ "$WCRC" -eq 0 ]
	verify mirror 1 >"$T/py" 2>&1
	check "mirror: checksums partial, none bad; super-frames; a flow per connection ($(tail -1 "$T/py"))" \
		grep -q '^ok' "$T/py"
	check "mirror: nothing left (XDP, clsact, veth)" nothing_left "$NS_S" "$V_S"
else
	bad "mirror: wirecheck starts"
fi

# ---- 2. mirror attach, native XDP ----
if start_wc native "$NS_S" -i "$V_S" --xdp-mode native; then
	check "native mirror: says super-frames are segmented" grep -q "segmented" "$T/native.err"
	good=$(run_curls)
	check "native mirror: all $N curls succeed ($good)" [ "$good" -eq "$N" ]
	sleep 0.3
	stop_wc
	check "native mirror: SIGINT exits 0 (rc=$WCRC)" [ "$WCRC" -eq 0 ]
	verify native 0 >"$T/py" 2>&1
	check "native mirror: checksums partial, none bad; a flow per connection ($(tail -1 "$T/py"))" \
		grep -q '^ok' "$T/py"
	check "native mirror: nothing left" nothing_left "$NS_S" "$V_S"
else
	bad "native mirror: wirecheck starts"
fi

# ---- 3. kill -9, then the next start cleans up ----
if start_wc killed "$NS_S" -i "$V_S"; then
	CTL=$(pgrep -P "$WCPID" 2>/dev/null)
	PIDS="$PIDS $CTL"
	kill -9 "$WCPID"
	wait "$WCPID" 2>/dev/null
	[ -n "$CTL" ] && kill -TERM $CTL 2>/dev/null
	check "kill -9: its mirror is left behind" \
		bash -c "ip -n '$NS_S' link show wcm${IDX_S}a >/dev/null 2>&1"
	got=$(ip netns exec "$NS_C" curl -s --max-time 10 -o /dev/null -w '%{http_code} %{size_download}' \
		"http://$A_S:$PORT/big.bin")
	check "kill -9: traffic still flows past the stale mirror ($got)" [ "$got" = "200 400000" ]
	if start_wc restart "$NS_S" -i "$V_S"; then
		check "restart: reports the stale state it removed" grep -q "killed run left behind" "$T/restart.err"
		check "restart: one tc filter per hook, not two" bash -c \
			"[ \$(tc -n '$NS_S' filter show dev '$V_S' ingress | grep -c 'handle 0x5743') -eq 1 ]"
		good=$(run_curls)
		check "restart: all $N curls succeed ($good)" [ "$good" -eq "$N" ]
		sleep 0.3
		stop_wc
		check "restart: SIGINT exits 0 (rc=$WCRC)" [ "$WCRC" -eq 0 ]
		verify restart 1 >"$T/py" 2>&1
		check "restart: checksums and flows ($(tail -1 "$T/py"))" grep -q '^ok' "$T/py"
		check "restart: nothing left" nothing_left "$NS_S" "$V_S"
	else
		bad "restart: wirecheck starts after kill -9"
	fi
else
	bad "kill -9: wirecheck starts"
fi

# ---- 4. SPAN-like port: direct attach ----
span_traffic() {
	for i in 1 2 3; do
		ip netns exec "$NS_Q" curl -s --connect-timeout 0.3 "http://$A_FAKE:$((9000 + i))/" >/dev/null 2>&1
	done
}
# verify_span NAME: SYNs seen, partial, none bad
verify_span() {
	python3 - "$T/$1/events.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = [e for e in ev if e["event_type"] == "stats"][0]
tcp = st["checksum"]["tcp"]
assert st["packets"] >= 3, st["packets"]
assert tcp["bad"] == 0 and tcp["partial"] >= 3, tcp
print("ok: %d packets, tcp %s" % (st["packets"], tcp))
PY
}
if start_wc span "$NS_P" -i "$V_P"; then
	check "span: no mirror for an address-less port" bash -c "! grep -q 'watching copies' '$T/span.err'"
	check "span: native XDP on $V_P" bash -c "ip -n '$NS_P' link show '$V_P' | grep -q 'xdp '"
	span_traffic
	sleep 0.3
	stop_wc
	check "span: SIGINT exits 0 (rc=$WCRC)" [ "$WCRC" -eq 0 ]
	check "span: 2 workers (one per RX queue)" grep -q "2 workers" "$T/span.out"
	verify_span span >"$T/py" 2>&1
	check "span: SYNs seen, partial, none bad ($(tail -1 "$T/py"))" grep -q '^ok' "$T/py"
	check "span: no XDP program left" nothing_left "$NS_P" "$V_P"
else
	bad "span: wirecheck starts"
fi
if start_wc spankill "$NS_P" -i "$V_P"; then
	CTL=$(pgrep -P "$WCPID" 2>/dev/null)
	PIDS="$PIDS $CTL"
	kill -9 "$WCPID"
	wait "$WCPID" 2>/dev/null
	[ -n "$CTL" ] && kill -TERM $CTL 2>/dev/null
	check "span kill -9: the native program is left behind" \
		bash -c "ip -n '$NS_P' link show '$V_P' | grep -q 'xdp '"
	if start_wc spanskb "$NS_P" -i "$V_P" --xdp-mode skb; then
		check "span skb: the stale program was replaced" grep -q "killed run left behind" "$T/spanskb.err"
		check "span skb: generic XDP on $V_P" bash -c "ip -n '$NS_P' link show '$V_P' | grep -q xdpgeneric"
		span_traffic
		sleep 0.3
		stop_wc
		check "span skb: SIGINT exits 0 (rc=$WCRC)" [ "$WCRC" -eq 0 ]
		verify_span spanskb >"$T/py" 2>&1
		check "span skb: SYNs seen, partial, none bad ($(tail -1 "$T/py"))" grep -q '^ok' "$T/py"
		check "span skb: no XDP program left" nothing_left "$NS_P" "$V_P"
	else
		bad "span skb: wirecheck starts after kill -9"
	fi
else
	bad "span kill -9: wirecheck starts"
fi

# ---- nothing anywhere ----
left=""
for ns in "$NS_S" "$NS_C" "$NS_P" "$NS_Q"; do
	ip -n "$ns" -d link show | grep -qE ' xdp(generic|offload)? |prog/xdp' && left="$left $ns"
	ino=$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)
	[ -n "$ino" ] && ls /run/wirecheck/afxdp."$ino".* >/dev/null 2>&1 && left="$left $ns(state file)"
	if command -v bpftool >/dev/null; then
		ip netns exec "$ns" bpftool net show 2>/dev/null | grep -q wirecheck && left="$left $ns(bpftool)"
	fi
done
check "no XDP program, tc filter or state file of ours left${left:+ (left:$left)}" [ -z "$left" ]

echo "afxdp: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
