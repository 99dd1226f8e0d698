#!/usr/bin/env bash
# End-to-end checks of the DPDK backend (SPEC §2) on vdevs only: this
# machine has no NIC for DPDK, and EAL always gets --no-pci so that a test
# can never take the machine's own NIC. Needs root (EAL, namespaces).
#  1. net_pcap on a capture: the same checksum verdicts as `wirecheck -r`.
#  2. net_pcap infinite_rx=1: packets keep coming; SIGINT ends it cleanly.
#  3. net_null and net_ring start and stop cleanly on SIGTERM.
#  4. net_af_packet on a veth in namespaces of our own with real TCP:
#     partial checksums (the kernel leaves them to the "NIC"), none bad,
#     flow records, every byte seen (64 KB frames for TSO super-frames).
#  5. --queues 2: one worker per queue (net_ring, net_af_packet qpairs=2);
#     net_pcap with one file refuses it clearly.
#  6. net_af_xdp on the veth (copy mode): packets arrive, clean exit.
#  7. real hugepages (scripts/hugepages.sh reserves 64 MB when none are
#     free, given back at the end): a probe killed with SIGKILL leaves no
#     file in the hugetlbfs mount and every page free (EAL --huge-unlink
#     unless the EAL arguments decide otherwise).
# Usage: test_dpdk.sh BUILD_DIR
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_dpdk.sh needs root (DPDK EAL, network namespaces); run it as root"
	exit 77
fi
for f in "$WC" "$CTL"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done

T=$(mktemp -d)
NS_A="wc-dpdk-$$-a"
NS_B="wc-dpdk-$$-b"
PFX="wc-test-$$"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	ip netns pids "$NS_A" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns pids "$NS_B" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$T" /var/run/dpdk/"$PFX"-* /dev/shm/wirecheck.wcdpdk$$* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check

# EAL arguments of every run: no PCI, no hugepages needed, a private
# runtime directory per run (parallel DPDK processes must not meet).
run_no=0
eal_next() {
	run_no=$((run_no + 1))
	EAL=(--no-pci --no-huge -m 512 "--file-prefix=$PFX-$run_no")
}

# start NAME OUTDIR [wirecheck options] -- EAL...: wirecheck in the
# background (instance NAME); sets WPID.
start() {
	local name=$1 out=$2; shift 2
	"$WC" --dpdk -o "$out" -n "$name" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	WPID=$!
	PIDS="$PIDS $WPID"
}

# packets INSTANCE: the live packet count (empty while not up)
packets() {
	"$CTL" stats -n "$1" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["packets"])' 2>/dev/null
}

# wait_packets INSTANCE MIN SECONDS: until the count reaches MIN
wait_packets() {
	local inst=$1 min=$2 deadline=$((SECONDS + $3)) n=""
	while [ $SECONDS -lt $deadline ]; do
		n=$(packets "$inst")
		if [ -n "$n" ] && [ "$n" -ge "$min" ]; then
			echo "$n"
			return 0
		fi
		kill -0 "$WPID" 2>/dev/null || break
		sleep 0.1
	done
	echo "${n:-none}"
	return 1
}

# wait_up INSTANCE SECONDS: the instance answers stats
wait_up() {
	local deadline=$((SECONDS + $2))
	while [ $SECONDS -lt $deadline ]; do
		[ -n "$(packets "$1")" ] && return 0
		kill -0 "$WPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# stop SIGNAL: signal wirecheck, wait (10 s at most), set RC
stop() {
	kill -"$1" "$WPID" 2>/dev/null
	local deadline=$((SECONDS + 10))
	while kill -0 "$WPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	if kill -0 "$WPID" 2>/dev/null; then
		kill -KILL "$WPID"
		RC=hung
	else
		wait "$WPID"
		RC=$?
	fi
}

why() { echo "rc=$RC; stderr: $(grep -v '^EAL: \|^TELEMETRY:' "$T/$1.err" | head -c 400)"; }

# The stats event (last line) of an events.json, one field as JSON.
stats_field() {
	/usr/bin/python3 - "$1" "$2" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = ev[-1]
assert st["event_type"] == "stats", "last event is not the stats event"
print(json.dumps(st[sys.argv[2]], sort_keys=True))
PY
}

# ---- 1. net_pcap on a file: the same checksum verdicts as -r FILE
for case in seed-incidents tunnel-vxlan-geneve; do
	FILE="$HERE/tests/pcap/$case/input.pcap"
	"$WC" -q -r "$FILE" -o "$T/ref-$case" >/dev/null 2>&1
	want=$(stats_field "$T/ref-$case/events.json" checksum 2>/dev/null)
	frames=$(stats_field "$T/ref-$case/events.json" packets 2>/dev/null)
	if [ -z "$want" ] || [ -z "$frames" ]; then
		bad "net_pcap $case: reference run wirecheck -r failed"
		continue
	fi
	inst="wcdpdk$$-$case"
	eal_next
	start "$inst" "$T/out-$case" -- "${EAL[@]}" -l 0-1 --vdev "net_pcap0,rx_pcap=$FILE"
	got_n=$(wait_packets "$inst" "$frames" 15)
	sleep 0.2 # let the worker finish the last burst's accounting
	stop INT
	got=$(stats_field "$T/out-$case/events.json" checksum 2>/dev/null)
	if [ "$RC" = 0 ] && [ "$got_n" = "$frames" ] && [ "$got" = "$want" ]; then
		ok "net_pcap $case: $frames frames, checksum verdicts identical to -r"
	else
		bad "net_pcap $case: packets $got_n of $frames; $(why "$inst")
  dpdk: $got
  -r:   $want"
	fi
	grep -q "packet clock nic-hw" "$T/$inst.out" &&
		ok "net_pcap $case: packet times from the file (clock nic-hw)" ||
		bad "net_pcap $case: clock not nic-hw: $(grep -o 'packet clock [^;]*' "$T/$inst.out")"
done

# ---- 2. net_pcap infinite_rx=1: packets keep arriving past the file size
FILE="$HERE/tests/pcap/seed-incidents/input.pcap"
inst="wcdpdk$$-inf"
eal_next
MPORT=$((20000 + $$ % 20000))
start "$inst" "$T/out-inf" --metrics "127.0.0.1:$MPORT" -- "${EAL[@]}" -l 0-1 \
	--vdev "net_pcap0,rx_pcap=$FILE,infinite_rx=1"
n1=$(wait_packets "$inst" 2510 15)
sleep 0.5
n2=$(packets "$inst")
# --metrics on wirecheck reaches the control plane it starts
scraped=$(curl -s --max-time 3 "http://127.0.0.1:$MPORT/metrics" |
	awk '/^wirecheck_packets_total/ {s += $2} END {print s + 0}')
if [ "${scraped:-0}" -gt 0 ] 2>/dev/null; then
	ok "wirecheck --metrics: the started control plane serves /metrics ($scraped packets)"
else
	bad "wirecheck --metrics: no wirecheck_packets_total on 127.0.0.1:$MPORT"
fi
stop INT
last=$(tail -1 "$T/out-inf/events.json" 2>/dev/null | /usr/bin/python3 -c \
	'import json,sys; e=json.load(sys.stdin); print(e["event_type"], e["packets"])' 2>/dev/null)
if [ "$RC" = 0 ] && [ "${n2:-0}" -gt "${n1:-0}" ] 2>/dev/null && [ "${last%% *}" = stats ]; then
	ok "net_pcap infinite_rx: $n1 then $n2 packets (file: 251), exit 0, events.json ends with stats ($last)"
else
	bad "net_pcap infinite_rx: counts $n1 -> $n2, last event '$last'; $(why "$inst")"
fi

# ---- 2b. shutdown flush: more live flows than event-ring slots (4096): at
# SIGINT every flow must become a flow event, none dropped (the workers
# wait for the attached control plane instead of dropping).
FILE="$T/flows20k.pcap"
"$BUILD/tests/bench/bench_pipeline" gen "$FILE" 40000 20000 >/dev/null
inst="wcdpdk$$-flush"
eal_next
start "$inst" "$T/out-flush" -- "${EAL[@]}" -l 0-1 --vdev "net_pcap0,rx_pcap=$FILE"
wait_packets "$inst" 40000 20 >/dev/null
stop INT
flush=$(/usr/bin/python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = ev[-1]
n = sum(1 for e in ev if e["event_type"] == "flow")
ok = n == st["flows"]["ended"] and n > 4096 and st["drops"]["event_ring"] == 0
print("ok" if ok else "bad", n, st["flows"]["ended"], st["drops"]["event_ring"])' "$T/out-flush/events.json" 2>&1)
if [ "$RC" = 0 ] && [ "${flush%% *}" = ok ]; then
	ok "shutdown flush: every flow a flow event, none dropped (events, ended, ring drops: ${flush#ok })"
else
	bad "shutdown flush: $flush; $(why "$inst")"
fi

# ---- 3. net_null and net_ring: start and stop cleanly on SIGTERM
for vdev in net_null0 net_ring0; do
	inst="wcdpdk$$-${vdev%0}"
	eal_next
	start "$inst" "$T/out-$vdev" -- "${EAL[@]}" -l 0-1 --vdev "$vdev"
	if wait_up "$inst" 15; then
		sleep 0.3
		stop TERM
		if [ "$RC" = 0 ] && [ "$(tail -1 "$T/out-$vdev/events.json" |
			grep -c '"event_type":"stats"')" = 1 ]; then
			ok "$vdev: started, exit 0 on SIGTERM, stats event written"
		else
			bad "$vdev: $(why "$inst")"
		fi
	else
		stop TERM
		bad "$vdev: did not come up; $(why "$inst")"
	fi
done

# ---- 4. net_af_packet on a veth pair in our own namespaces, real TCP
setup_netns() {
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
	ip link add wcda$$ netns "$NS_A" type veth peer name wcdb$$ netns "$NS_B" &&
	ip -n "$NS_A" addr add 10.199.8.1/24 dev wcda$$ &&
	ip -n "$NS_B" addr add 10.199.8.2/24 dev wcdb$$ &&
	ip -n "$NS_A" link set wcda$$ up && ip -n "$NS_B" link set wcdb$$ up &&
	ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
	# Segments of at most one MTU: net_af_packet drops, uncounted, a frame
	# larger than its mbuf (framesz= would raise that, at 64 KB per mbuf).
	# Checksum offload stays on: the segments carry partial checksums.
	ip netns exec "$NS_A" ethtool -K wcda$$ tso off gso off gro off >/dev/null 2>&1 &&
	ip netns exec "$NS_B" ethtool -K wcdb$$ tso off gso off gro off >/dev/null 2>&1
}
# http_traffic: a few HTTP fetches from A to a server in B
http_traffic() {
	mkdir -p "$T/www" && head -c 200000 /dev/urandom >"$T/www/blob"
	(cd "$T/www" && exec ip netns exec "$NS_B" /usr/bin/python3 -m http.server 8080 \
		--bind 10.199.8.2 >/dev/null 2>&1) &
	local srv=$!
	PIDS="$PIDS $srv"
	local i got=0
	for i in $(seq 1 50); do # server up?
		ip netns exec "$NS_A" curl -s -o /dev/null --max-time 1 http://10.199.8.2:8080/ && break
		sleep 0.1
	done
	for i in 1 2 3 4 5; do
		ip netns exec "$NS_A" curl -s -o /dev/null --max-time 5 http://10.199.8.2:8080/blob &&
			got=$((got + 1))
	done
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	[ "$got" -eq 5 ]
}

if ! command -v curl >/dev/null; then
	bad "net_af_packet: curl is not installed"
elif setup_netns; then
	inst="wcdpdk$$-afp"
	eal_next
	ip netns exec "$NS_A" "$WC" --dpdk -o "$T/out-afp" -n "$inst" -- "${EAL[@]}" -l 0-1 \
		--vdev "net_af_packet0,iface=wcda$$" >"$T/$inst.out" 2>"$T/$inst.err" &
	WPID=$!
	PIDS="$PIDS $WPID"
	if wait_up "$inst" 15; then
		traffic=ok
		http_traffic || traffic=failed
		wait_packets "$inst" 40 5 >/dev/null
		sleep 0.3
		stop INT
		/usr/bin/python3 - "$T/out-afp/events.json" >"$T/afp.py" 2>&1 <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = ev[-1]
assert st["event_type"] == "stats", "stats event last"
tcp = st["checksum"]["tcp"]
flows = [e for e in ev if e["event_type"] == "flow" and e.get("proto") == "TCP"
         and e.get("dest_port") == 8080]
assert tcp["partial"] > 0, ("no partial TCP checksum", tcp)
bad = {l: v["bad"] for l, v in st["checksum"].items() if v["bad"]}
assert not bad, ("bad checksums", bad)
assert len(flows) >= 5, ("HTTP flow records", len(flows))
# 5 x 200 kB fetched: nothing lost (TSO/GSO are off on the veth: a
# net_af_packet frame must fit one 2 KB mbuf, see setup_netns)
down = sum(f["flow"]["bytes_toclient"] for f in flows)
assert down >= 5 * 200000, ("bytes server->client", down)
print("ok packets=%d tcp=%s flows=%d bytes_toclient=%d superframes=%d" % (
    st["packets"], tcp, len(flows), down, st["anomalies"].get("tso_superframe", 0)))
PY
		if [ "$RC" = 0 ] && [ "$traffic" = ok ] && grep -q '^ok' "$T/afp.py"; then
			ok "net_af_packet on a veth: $(tail -1 "$T/afp.py")"
		else
			bad "net_af_packet: traffic $traffic; $(tail -3 "$T/afp.py"); $(why "$inst")"
		fi
	else
		stop INT
		bad "net_af_packet: did not come up; $(why "$inst")"
	fi
else
	bad "net_af_packet: cannot create the namespaces / veth pair"
fi

# syn_traffic: a few connection attempts from B to a closed port on A
# (SYN, RST: both directions on the wire)
syn_traffic() {
	local i
	for i in 1 2 3 4 5; do
		ip netns exec "$NS_B" curl -s -o /dev/null --max-time 1 "http://10.199.8.1:$((9000 + i))/"
	done
	return 0
}

# ---- 5. --queues 2: two RX queues, two workers
q2() { # NAME VDEV [netns]
	local name=$1 vdev=$2 ns=${3:-}
	local inst="wcdpdk$$-q2$name"
	if [ -n "$ns" ]; then
		eal_next
		ip netns exec "$ns" "$WC" --dpdk --queues 2 -o "$T/out-q2$name" -n "$inst" -- \
			"${EAL[@]}" -l 0-1 --vdev "$vdev" >"$T/$inst.out" 2>"$T/$inst.err" &
	else
		eal_next
		"$WC" --dpdk --queues 2 -o "$T/out-q2$name" -n "$inst" -- "${EAL[@]}" -l 0-1 \
			--vdev "$vdev" >"$T/$inst.out" 2>"$T/$inst.err" &
	fi
	WPID=$!
	PIDS="$PIDS $WPID"
	local up=0
	wait_up "$inst" 15 && up=1
	# with a namespace: real HTTP, so both directions of each connection
	# must meet in one flow entry although two queues/workers split them
	[ -n "$ns" ] && [ $up = 1 ] && http_traffic
	sleep 0.3
	local workers
	workers=$("$CTL" stats -n "$inst" --json 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["workers"])' 2>/dev/null)
	stop INT
	if [ $up = 1 ] && [ "$RC" = 0 ] && [ "$workers" = 2 ] && grep -q ", 2 workers," "$T/$inst.out"; then
		ok "--queues 2 on $vdev: 2 workers, exit 0"
	else
		bad "--queues 2 on $vdev: workers '$workers'; $(why "$inst")"
	fi
	if [ -n "$ns" ]; then
		local meet
		meet=$(/usr/bin/python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
st = ev[-1]
tcp = [e for e in ev if e["event_type"] == "flow" and e.get("proto") == "TCP"]
both = all(f["flow"]["pkts_toserver"] and f["flow"]["pkts_toclient"] for f in tcp)
ok = len(tcp) >= 5 and both and st["flows"]["one_sided"] == 0
print("ok" if ok else "bad", len(tcp), "tcp flows, one_sided", st["flows"]["one_sided"])' \
			"$T/out-q2$name/events.json" 2>&1)
		if [ "${meet%% *}" = ok ]; then
			ok "--queues 2 on $vdev: both directions of every connection met in one flow (${meet#ok })"
		else
			bad "--queues 2 on $vdev: flows split across workers: $meet"
		fi
	fi
}
q2 ring net_ring0
if ip netns list 2>/dev/null | grep -q "^$NS_A"; then
	q2 afp "net_af_packet0,iface=wcda$$,qpairs=2" "$NS_A"
fi
# ---- 6. net_af_xdp on the same veth (copy mode, the PMD's own XDP program)
if ip netns list 2>/dev/null | grep -q "^$NS_A"; then
	inst="wcdpdk$$-afxdp"
	eal_next
	ip netns exec "$NS_A" "$WC" --dpdk -o "$T/out-afxdp" -n "$inst" -- "${EAL[@]}" -l 0-1 \
		--vdev "net_af_xdp0,iface=wcda$$" >"$T/$inst.out" 2>"$T/$inst.err" &
	WPID=$!
	PIDS="$PIDS $WPID"
	if wait_up "$inst" 15; then
		# the XSK takes the SYNs from the kernel: no RST comes back
		syn_traffic
		n=$(wait_packets "$inst" 5 5)
		stop INT
		if [ "$RC" = 0 ] && [ "${n:-0}" -ge 5 ] 2>/dev/null; then
			ok "net_af_xdp on a veth: $n packets (SYNs), exit 0"
		else
			bad "net_af_xdp: $n packets; $(why "$inst")"
		fi
	else
		stop INT
		bad "net_af_xdp: did not come up; $(why "$inst")"
	fi
fi

# net_pcap has one queue per rx_pcap: asking for 2 is a clear error
inst="wcdpdk$$-q2pcap"
eal_next
"$WC" --dpdk --queues 2 -o "$T/out-q2pcap" -n "$inst" -- "${EAL[@]}" \
	--vdev "net_pcap0,rx_pcap=$FILE" >"$T/$inst.out" 2>"$T/$inst.err"
RC=$?
if [ "$RC" != 0 ] && grep -q "at most 1 RX queue" "$T/$inst.err"; then
	ok "--queues 2 on a one-queue net_pcap: refused with a clear message (rc=$RC)"
else
	bad "--queues 2 on net_pcap: $(why "$inst")"
fi

# real hugepages: nothing left behind by a SIGKILLed probe
SYSHP=/sys/kernel/mm/hugepages/hugepages-2048kB
hp_before=$(cat "$SYSHP/nr_hugepages" 2>/dev/null || echo 0)
if [ "$(cat "$SYSHP/free_hugepages" 2>/dev/null || echo 0)" -lt 16 ] ||
	! grep -qs " /dev/hugepages hugetlbfs " /proc/mounts; then
	bash "$HERE/scripts/hugepages.sh" $((hp_before * 2 + 64)) >"$T/hp.log" 2>&1
fi
free0=$(cat "$SYSHP/free_hugepages" 2>/dev/null || echo 0)
if [ "$free0" -lt 16 ]; then
	bad "hugepages: none could be reserved ($(tail -1 "$T/hp.log" 2>/dev/null))"
else
	inst="wcdpdk$$-huge"
	run_no=$((run_no + 1))
	start "$inst" "$T/out-huge" -- --no-pci -m 32 "--file-prefix=$PFX-$run_no" --vdev net_null0
	if wait_up "$inst" 15; then
		used=$((free0 - $(cat "$SYSHP/free_hugepages")))
		files_up=$(find /dev/hugepages -name "$PFX-$run_no*" | wc -l)
		kill -KILL "$WPID"
		wait "$WPID" 2>/dev/null
		# the instance's own segment (/dev/hugepages/wirecheck.NAME) outlives
		# a killed dataplane on purpose (its control plane still reads it, a
		# restart replaces it): stop that reader and remove it like a
		# restart would, so that only DPDK's pages are left to check
		pkill -KILL -f -- "serve -n $inst" 2>/dev/null
		sleep 0.5
		rm -f "/dev/hugepages/wirecheck.$inst"
		files=$(find /dev/hugepages -name "$PFX-$run_no*" | wc -l)
		free1=$(cat "$SYSHP/free_hugepages")
		if [ "$used" -gt 0 ] && [ "$files_up" -eq 0 ] && [ "$files" -eq 0 ] &&
			[ "$free1" -eq "$free0" ]; then
			ok "hugepages: $used pages mapped, no EAL page file in /dev/hugepages; after SIGKILL all $free1 free again"
		else
			bad "hugepages: $used mapped, $files_up files while up, $files after SIGKILL, free $free0 -> $free1"
		fi
		rm -f /dev/hugepages/"$PFX"-* 2>/dev/null
	else
		stop KILL
		bad "hugepages: net_null did not come up; $(why "$inst")"
	fi
	# give back what this test reserved
	[ "$(cat "$SYSHP/nr_hugepages")" -ne "$hp_before" ] &&
		echo "$hp_before" >"$SYSHP/nr_hugepages"
fi

echo "dpdk: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
