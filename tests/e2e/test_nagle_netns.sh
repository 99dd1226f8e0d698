#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end ack_stall with real kernel TCP (SPEC §4 detectors, issue 3).
#
# Two private network namespaces joined by a veth pair. A client writes a
# small request header, then a small body, then reads the response
# (write-write-read) N times on one connection with Nagle on: each body
# waits in the client's stack until the server ACKs the header, and the
# server, whose application is waiting for the body, delays that ACK
# (~40 ms on Linux). tcpdump on the server's veth records it; wirecheck must
# report the stalls: one ack_stall per server ACK that came >= 30 ms after
# its data (tshark's ack_rtt on the same capture), stall_ms within 1 ms of
# it; classify the veth's TCP checksums as partial (CHECKSUM_PARTIAL
# crosses a veth) and none as bad, and write a flow record for the
# connection. Over IPv4 and IPv6. The same run with TCP_NODELAY on the
# client must report no ack_stall.
#
# usage: test_nagle_netns.sh BUILD_DIR       (root; exit 77 = skipped)
#        KEEP=1 keeps the captures and outputs (the path is printed).
set -u
BUILD=${1:?usage: test_nagle_netns.sh BUILD_DIR}
WC="$BUILD/wirecheck"
. "$(dirname "$0")/lib.sh" # wait_for (its own check() below replaces lib's)
N=5
PORT=8080

skip() {
	echo "SKIP: $*" >&2
	echo "SKIP: needs root and ip netns (nothing was tested)"
	exit 77
}
[ "$(id -u)" -eq 0 ] || skip "not root"
command -v ip >/dev/null || skip "iproute2 (ip) not installed"
command -v tcpdump >/dev/null || skip "tcpdump not installed"
command -v tshark >/dev/null || { echo "FAIL: tshark (the capture's truth) not installed: scripts/setup.sh"; exit 1; }
[ -x "$WC" ] || { echo "FAIL: $WC not built"; exit 1; }

NS_S="wcnagle-s-$$"
NS_C="wcnagle-c-$$"
V_S="wcvs$$"
V_C="wcvc$$"
T=$(mktemp -d)
TCPDUMP_PID=
cleanup() {
	[ -n "$TCPDUMP_PID" ] && kill "$TCPDUMP_PID" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	ip netns del "$NS_C" 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

why=$(netns_pair "$NS_S" "$NS_C" "$V_S" "$V_C" 10.199.0) || skip "$why (no CAP_SYS_ADMIN?)"

cat >"$T/server.py" <<'PY'
# Reads a request (header up to the blank line, then Content-Length bytes),
# answers it; N times on one connection.
import socket, sys
n, port, addr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((addr, port))
ls.listen(1)
print("ready", flush=True)
c, _ = ls.accept()
buf = b""
for i in range(n):
    while b"\r\n\r\n" not in buf:
        buf += c.recv(4096)
    head, buf = buf.split(b"\r\n\r\n", 1)
    clen = int([l.split(b":")[1] for l in head.split(b"\r\n")
                if l.lower().startswith(b"content-length")][0])
    while len(buf) < clen:
        buf += c.recv(4096)
    buf = buf[clen:]
    c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
c.recv(1)  # the client's close
c.close()
PY
cat >"$T/client.py" <<'PY'
# write(header), write(body), read(response), N times; argv[3] = nodelay.
import socket, sys, time
n, port, nodelay, addr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
s = socket.create_connection((addr, port))
if nodelay:
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
body = b'{"sku":"A-1022","qty":3}'
t0 = time.monotonic()
for i in range(n):
    s.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: orders\r\nContent-Length: %d\r\n\r\n"
              % len(body))
    s.sendall(body)
    resp = b""
    while b"\r\n\r\n" not in resp:
        resp += s.recv(4096)
print("client port %d, %d cycles in %.1f ms" % (s.getsockname()[1], n,
                                                (time.monotonic() - t0) * 1000), flush=True)
s.close()
PY

# run_capture NAME NODELAY ADDRESS: traffic to the server at ADDRESS (IPv4
# or IPv6) captured into $T/NAME.pcap
run_capture() {
	local name=$1 nodelay=$2 addr=$3
	ip netns exec "$NS_S" tcpdump -i "$V_S" -s 256 -U --immediate-mode -n -w "$T/$name.pcap" \
		"tcp port $PORT" 2>"$T/$name.tcpdump.err" &
	TCPDUMP_PID=$!
	wait_for "$T/$name.tcpdump.err" "listening on"
	ip netns exec "$NS_S" /usr/bin/python3 "$T/server.py" "$N" "$PORT" "$addr" >"$T/$name.server" &
	local spid=$!
	wait_for "$T/$name.server" ready
	timeout 10 ip netns exec "$NS_C" /usr/bin/python3 "$T/client.py" "$N" "$PORT" "$nodelay" "$addr" \
		>"$T/$name.client" || echo "client failed"
	wait "$spid"
	sleep 0.3
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	TCPDUMP_PID=
	cat "$T/$name.client"
}

# check NAME: run wirecheck on $T/NAME.pcap and apply the assertions
# (MODE=nagle: >= N-1 stalls; MODE=nodelay: none)
check() {
	local name=$1 mode=$2 rc
	"$WC" -q -r "$T/$name.pcap" -o "$T/$name.out" >"$T/$name.wc" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL $name: wirecheck exit $rc: $(tail -3 "$T/$name.wc")"
		return 1
	fi
	# the truth, from the capture itself: the server's pure ACKs that came
	# >= 30 ms after the data they acknowledge (tshark's ack_rtt), each one
	# a stall the client's held-back write waited out
	tshark -n -r "$T/$name.pcap" -Y \
		"tcp.srcport == $PORT && tcp.len == 0 && tcp.analysis.ack_rtt >= 0.030" \
		-T fields -e tcp.analysis.ack_rtt >"$T/$name.truth" 2>/dev/null
	echo "  capture: $(wc -l <"$T/$name.truth") delayed server ACKs >= 30 ms (tshark)"
	/usr/bin/python3 - "$T/$name.out/events.json" "$mode" "$N" "$PORT" "$T/$name.client" \
		"$T/$name.truth" <<'PY'
import json, sys
path, mode, n, port = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
truth = sorted(float(l) * 1000 for l in open(sys.argv[6]) if l.strip())
cport = int(open(sys.argv[5]).read().split()[2].rstrip(","))
ev = [json.loads(l) for l in open(path)]
stats = [e for e in ev if e.get("event_type") == "stats"][-1]
stalls = [e for e in ev if e.get("event_type") == "anomaly"
          and e["anomaly"]["type"] == "ack_stall"]
flows = [e for e in ev if e.get("event_type") == "flow" and e.get("proto") == "TCP"
         and e.get("src_port") == cport and e.get("dest_port") == port]
tcp = stats["checksum"]["tcp"]
bad = []
ms = [e["anomaly"].get("stall_ms") for e in stalls]
print("  %d ack_stall events, stall_ms %s; tcp checksums %s; %d flow record(s)"
      % (len(stalls), ms, json.dumps(tcp), len(flows)))
if mode == "nagle":
    if len(stalls) < n - 1:
        bad.append("%d ack_stall events, want >= %d" % (len(stalls), n - 1))
    for v in ms:
        if not isinstance(v, (int, float)) or not 30 <= v <= 250:
            bad.append("stall_ms %r not in 30..250" % (v,))
    # one event per delayed ACK in the capture, each within 1 ms of it
    got = sorted(v for v in ms if isinstance(v, (int, float)))
    if len(got) != len(truth) or any(abs(a - b) > 1.0 for a, b in zip(got, truth)):
        bad.append("stall_ms %s, the capture's delayed ACKs %s ms (want one each, "
                   "within 1 ms)" % (got, [round(t, 3) for t in truth]))
else:
    if stalls or stats.get("anomalies", {}).get("ack_stall", 0):
        bad.append("TCP_NODELAY: %d ack_stall events (want 0)" % len(stalls))
if tcp.get("bad", 0) != 0:
    bad.append("%d bad TCP checksums (want 0)" % tcp["bad"])
if tcp.get("partial", 0) == 0:
    bad.append("no partial TCP checksum (veth offload: want partial)")
if len(flows) != 1:
    bad.append("%d flow records for client port %d -> %d (want 1)"
               % (len(flows), cport, port))
elif flows[0]["flow"].get("pkts_toserver", 0) < 2 * n:
    bad.append("flow record: pkts_toserver %s < %d" % (flows[0]["flow"].get("pkts_toserver"),
                                                      2 * n))
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
PY
}

fail=0
run_capture nagle 0 10.199.0.1
if check nagle nagle; then echo "PASS Nagle on: ack_stall reported"; else echo "FAIL Nagle on"; fail=1; fi
run_capture nagle6 0 fd00:199::1
if check nagle6 nagle; then echo "PASS Nagle on, IPv6: ack_stall reported"; else echo "FAIL Nagle on, IPv6"; fail=1; fi
run_capture nodelay 1 10.199.0.1
if check nodelay nodelay; then echo "PASS TCP_NODELAY: no ack_stall"; else echo "FAIL TCP_NODELAY"; fail=1; fi
[ "$fail" -eq 0 ] && echo "nagle-netns: PASS" || echo "nagle-netns: FAIL"
exit "$fail"
