#!/usr/bin/env bash
# End-to-end checks of the Prometheus endpoint (SPEC §5, §8):
# `wirecheckctl serve --metrics ADDR:PORT` on a live instance, scraped with
# curl, checked with promtool, and scraped by a real Prometheus server
# (Debian's `prometheus`) whose HTTP API must return the instance's counts.
#
# The live instance: the DPDK backend on a net_pcap vdev reading a capture
# once (no NIC, no hugepages, no root needed): the dataplane stays up with a
# packet count that no longer moves, so every value is exact. It runs with
# --no-control-plane and the test runs `wirecheckctl serve --metrics` itself.
# Loopback only. Exit 77 (SKIP) only when Prometheus is not installed, after
# every other check has run.
# Usage: test_metrics.sh BUILD_DIR
set -u
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")/../.." && pwd)
WC="$BUILD/wirecheck"
CTL="$BUILD/wirecheckctl"
PY=/usr/bin/python3
FILE="$HERE/tests/pcap/seed-incidents/input.pcap"

for f in "$WC" "$CTL"; do
	[ -x "$f" ] || { echo "FAIL: $f not built"; exit 1; }
done
command -v curl >/dev/null || { echo "FAIL: curl is missing (scripts/setup.sh installs it)"; exit 1; }

T=$(mktemp -d)
chmod 755 "$T"
INST="wcmetrics$$"
PFX="wc-metrics-$$"
PIDS=""
cleanup() {
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$T" /var/run/dpdk/"$PFX" /dev/shm/wirecheck."$INST" \
		/dev/hugepages/wirecheck."$INST" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM

. "$(dirname "$0")/lib.sh" # pass/fail tally: ok, bad, check

free_port() {
	$PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# stop_pid PID: SIGTERM, wait up to 10 s, then SIGKILL; sets RC
stop_pid() {
	kill -TERM "$1" 2>/dev/null
	local deadline=$((SECONDS + 20))
	while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
	if kill -0 "$1" 2>/dev/null; then
		echo "NOTE: pid $1 ignored SIGTERM for 10 s: $(ps -L -o lwp=,stat=,wchan:24=,comm= -p "$1" | tr '\n' ';')"
		kill -KILL "$1"; wait "$1" 2>/dev/null; RC=hung
	else
		wait "$1"; RC=$?
	fi
}

# metric FILE 'NAME{LABELS}': the value of one sample of a scrape ("" if absent)
metric() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}

# ---- the reference: the same capture offline (its final stats event) ----
# short flow timeouts so that every flow ends (and feeds the histograms)
# while the live instance idles; the same in both runs, the same flows
TMO=(--closed-timeout 1 --syn-timeout 1 --udp-timeout 1 --tcp-timeout 2)
"$WC" -q -r "$FILE" -o "$T/ref" "${TMO[@]}" || { echo "FAIL: reference run wirecheck -r failed"; exit 1; }
tail -n 1 "$T/ref/events.json" >"$T/ref.stats"
ref() { $PY -c 'import json, sys; s = json.load(open(sys.argv[1]))
v = s
for k in sys.argv[2:]: v = v[k]
print(v)' "$T/ref.stats" "$@"; }
REF_PACKETS=$(ref packets)
REF_BYTES=$(ref bytes)

# ---- option errors: exit 2 naming --metrics, nothing started ----
for v in "" "localhost" "127.0.0.1" "127.0.0.1:0" "127.0.0.1:65536" "300.1.1.1:9" \
	"[::1]" "::1:9464" "example.org:9464" "9464x"; do
	"$CTL" serve -n "$INST" -o "$T/never" --metrics "$v" >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc -eq 2 ] && grep -q -- "--metrics" "$T/err"; then :; else
		bad "--metrics '$v': rc=$rc, stderr: $(head -c 200 "$T/err")"; fi
done
ok "bad --metrics values exit 2 naming --metrics (10 forms)"
BUSY=$(free_port)
$PY -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' "$BUSY" &
HOLDER=$!
PIDS="$PIDS $HOLDER"
sleep 0.3
"$CTL" serve -n "$INST" -o "$T/never" --metrics "127.0.0.1:$BUSY" >"$T/out" 2>"$T/err"; rc=$?
check "port in use: exit 1 naming --metrics and the cause (rc=$rc: $(head -c 120 "$T/err"))" \
	eval '[ $rc -eq 1 ] && grep -q -- "--metrics.*in use" "$T/err"'
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null
check "nothing started on errors (no output directory)" [ ! -e "$T/never" ]

# ---- no instance: the endpoint answers, dataplane_up 0 (IPv6 loopback when present) ----
P6=$(free_port)
if grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null; then ADDR6="[::1]:$P6"; URL6="http://[::1]:$P6/metrics"
else ADDR6="127.0.0.1:$P6"; URL6="http://127.0.0.1:$P6/metrics"; fi
"$CTL" serve -n "absent$$" -o "$T/absent" --metrics "$ADDR6" >/dev/null 2>"$T/absent.err" &
APID=$!
PIDS="$PIDS $APID"
got=""
for _ in $(seq 30); do
	got=$(curl -gsf "$URL6" 2>/dev/null | grep '^wirecheck_dataplane_up ') && break
	sleep 0.1
done
check "no instance yet: $ADDR6 serves 'wirecheck_dataplane_up 0' ($got)" [ "$got" = "wirecheck_dataplane_up 0" ]
stop_pid "$APID"

# ---- the live instance ----
DPDK_HOME="$T/dpdk-home"
mkdir -p "$DPDK_HOME"
XDG_RUNTIME_DIR="$DPDK_HOME" HOME="$DPDK_HOME" \
	"$WC" --dpdk -n "$INST" -o "$T/dp" --no-control-plane "${TMO[@]}" -- \
	--no-pci --no-huge -m 256 --no-shconf "--file-prefix=$PFX" -l 0-1 \
	--vdev "net_pcap0,rx_pcap=$FILE" >"$T/dp.out" 2>"$T/dp.err" &
WPID=$!
PIDS="$PIDS $WPID"
PORT=$(free_port)
"$CTL" serve -n "$INST" -o "$T/serve" --metrics "$PORT" >"$T/serve.out" 2>"$T/serve.err" &
SPID=$!
PIDS="$PIDS $SPID"
URL="http://127.0.0.1:$PORT/metrics"

# until every packet is counted and every flow has ended (short timeouts)
n="" ended="" created=""
deadline=$((SECONDS + 40))
while [ $SECONDS -lt $deadline ]; do
	if curl -sf -o "$T/m.txt" "$URL" 2>/dev/null; then
		n=$(metric "$T/m.txt" 'wirecheck_packets_total{worker="0"}')
		created=$(metric "$T/m.txt" 'wirecheck_flows_created_total{worker="0"}')
		ended=$(metric "$T/m.txt" 'wirecheck_flows_ended_total{worker="0"}')
		[ "$n" = "$REF_PACKETS" ] && [ -n "$created" ] && [ "$created" -gt 0 ] &&
			[ "$ended" = "$created" ] && break
	fi
	kill -0 "$WPID" 2>/dev/null || break
	kill -0 "$SPID" 2>/dev/null || break
	sleep 0.2
done
if [ "$n" != "$REF_PACKETS" ]; then
	bad "live instance: packets '$n', expected $REF_PACKETS; dataplane: $(grep -v '^EAL: \|^TELEMETRY:' "$T/dp.err" | head -c 300); serve: $(head -c 300 "$T/serve.err")"
	echo "metrics: $pass passed, $fail failed"
	exit 1
fi
ok "live instance up: wirecheck_packets_total{worker=\"0\"} $n = the capture's $REF_PACKETS packets"
check "all flows ended and counted ($ended of $created)" [ "$ended" = "$created" ]
sleep 0.5 # serve drains the last flow events, fflushes events.json when idle
curl -s -D "$T/h.txt" -o "$T/m.txt" "$URL"
# the instance's own live view of the same (now still) counters
"$CTL" stats -n "$INST" --json >"$T/live.stats" 2>"$T/live.err" ||
	bad "wirecheckctl stats -n $INST --json failed: $(head -c 200 "$T/live.err")"

# ---- format and values of one scrape ----
check "Content-Type: text/plain; version=0.0.4" grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h.txt"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1; rc=$?
	check "promtool check metrics: clean (rc=$rc: $(head -c 300 "$T/promtool.out"))" \
		eval '[ $rc -eq 0 ] && [ ! -s "$T/promtool.out" ]'
else
	echo "NOTE: promtool not installed: format lint skipped (package prometheus)"
fi
$PY - "$T/m.txt" "$T/ref.stats" "$T/live.stats" "$T/serve/events.json" "$INST" >"$T/check.out" 2>&1 <<'PY'
import json, re, sys

text, ref, live = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
events, inst = sys.argv[4], sys.argv[5]
problems = []
samples, types, helps = {}, {}, {}
line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
for line in text.splitlines():
    if line.startswith('# HELP '):
        helps[line.split()[2]] = True
        continue
    if line.startswith('# TYPE '):
        _, _, name, typ = line.split(maxsplit=3)
        types[name] = typ
        continue
    m = line_re.match(line)
    if not m:
        problems.append('unparsable line: ' + line)
        continue
    labels = tuple(sorted(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or '')))
    samples[(m.group(1), labels)] = float(m.group(4))

def val(name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))

def expect(desc, got, want):
    if got != want:
        problems.append('%s: got %r, want %r' % (desc, got, want))

for name, typ in types.items():
    if name not in helps:
        problems.append('no HELP for ' + name)
    if not name.startswith('wirecheck_'):
        problems.append('not wirecheck_-prefixed: ' + name)
    if typ == 'counter' and not name.endswith('_total'):
        problems.append('counter without _total: ' + name)
for (name, _), _v in samples.items():
    if not name.startswith('wirecheck_'):
        problems.append('sample not prefixed: ' + name)

# per-packet results: the same as the offline run of the same capture
expect('packets', val('wirecheck_packets_total', worker='0'), float(ref['packets']))
expect('bytes', val('wirecheck_bytes_total', worker='0'), float(ref['bytes']))
for layer, verdicts in ref['checksum'].items():
    for verdict, n in verdicts.items():
        expect('checksum %s/%s' % (layer, verdict),
               val('wirecheck_checksum_verdicts_total', worker='0', layer=layer, verdict=verdict), float(n))
expect('flows created', val('wirecheck_flows_created_total', worker='0'), float(ref['flows']['created']))
# everything: the same as `wirecheckctl stats --json` of the instance (flow
# endings differ from the offline run: idle timeouts, not end of file)
for typ, n in live['anomalies'].items():   # every name of the table, zeros included
    expect('anomalies{type=%s}' % typ, val('wirecheck_anomalies_total', type=typ), float(n))
for reason, n in live['malformed'].items():
    if reason != 'total':
        expect('malformed{reason=%s}' % reason, val('wirecheck_malformed_total', reason=reason), float(n))
expect('malformed sum', sum(v for (k, l), v in samples.items() if k == 'wirecheck_malformed_total'),
       float(live['malformed']['total']))
for key in ('created', 'active', 'evicted', 'ended', 'one_sided'):
    name = 'wirecheck_flows_%s' % key + ('' if key == 'active' else '_total')
    expect(name, val(name, worker='0'), float(live['flows'][key]))
for what, key in (('senders', 'senders_untracked'), ('bad_segments', 'bad_segs_untracked'),
                  ('vip_answers', 'vip_answers_lost'), ('synack_syn_unseen', 'synack_syn_unseen')):
    expect('tracking lost ' + what, val('wirecheck_tracking_lost_total', worker='0', what=what),
           float(live['tracking'][key]))
for where in ('capture', 'event_ring', 'evidence_context'):
    expect('drops ' + where, val('wirecheck_drops_total', worker='0', where=where), float(live['drops'][where]))
expect('events written', val('wirecheck_events_written_total', worker='0'), float(live['events']['written']))
expect('rate limited', val('wirecheck_anomaly_events_rate_limited_total'), float(live['events']['rate_limited']))
expect('packets = stats', val('wirecheck_packets_total', worker='0'), float(live['packets']))
expect('dataplane_up', val('wirecheck_dataplane_up'), 1.0)
age = val('wirecheck_heartbeat_age_seconds')
expect('heartbeat age < 2 s', age is not None and 0 <= age < 2, True)
expect('info', val('wirecheck_info', instance=inst, source='dpdk', clock='nic-hw'), 1.0)
for h in ('handshake_server_seconds', 'handshake_client_seconds', 'flow_rtt_avg_seconds'):
    expect('TYPE of ' + h, types.get('wirecheck_' + h), 'histogram')

# Histograms against the flow events serve wrote from the same drain.
flows = [json.loads(l) for l in open(events)]
flows = [e for e in flows if e.get('event_type') == 'flow']
expect('flow events = flows ended', float(len(flows)), val('wirecheck_flows_ended_total', worker='0'))
bounds_us = [100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
             1000000, 2500000, 5000000, 10000000]
def check_hist(name, values, **labels):
    for b in bounds_us:
        le = '%g' % (b / 1e6)
        expect('%s_bucket%s le=%s' % (name, labels, le),
               val('wirecheck_%s_bucket' % name, le=le, **labels), float(sum(1 for v in values if v <= b)))
    expect('%s_bucket +Inf' % name, val('wirecheck_%s_bucket' % name, le='+Inf', **labels), float(len(values)))
    expect('%s_count%s' % (name, labels), val('wirecheck_%s_count' % name, **labels), float(len(values)))
    s = val('wirecheck_%s_sum' % name, **labels)
    expect('%s_sum%s' % (name, labels), s is not None and abs(s - sum(values) / 1e6) < 1e-6, True)
server = [e['tcp']['syn_to_synack_us'] for e in flows if e.get('proto') == 'TCP' and e['tcp']['syn_to_synack_us'] is not None]
client = [e['tcp']['synack_to_ack_us'] for e in flows if e.get('proto') == 'TCP' and e['tcp']['synack_to_ack_us'] is not None]
check_hist('handshake_server_seconds', server)
check_hist('handshake_client_seconds', client)
for proto, key in (('TCP', 'tcp'), ('ICMP', 'icmp'), ('IPv6-ICMP', 'icmp')):
    # rtt_avg_us in events.json is the same integer division as the histogram's
    rtt = [e[key]['rtt_avg_us'] for e in flows if e.get('proto') == proto and e.get(key, {}).get('rtt_samples')]
    check_hist('flow_rtt_avg_seconds', rtt, proto=proto)
if not server or not client:
    problems.append('no TCP handshake in the flow events: the histograms were not exercised')
print('handshakes %d/%d, flow events %d, rtt TCP %d' % (len(server), len(client), len(flows),
      len([e for e in flows if e.get('proto') == 'TCP' and e['tcp'].get('rtt_samples')])))
for p in problems:
    print('PROBLEM', p)
sys.exit(1 if problems else 0)
PY
rc=$?
check "scrape = reference counters, histograms = serve's flow events, HELP/TYPE/_total/prefix ($(grep -v PROBLEM "$T/check.out" | tail -n 1); $(grep -m3 PROBLEM "$T/check.out" | tr '\n' ' '))" [ $rc -eq 0 ]

check "bound to loopback by default (--metrics $PORT listens on 127.0.0.1 only)" \
	eval "ss -Hltn 'sport = :$PORT' | awk '{print \$4}' | grep -qx '127.0.0.1:$PORT'"
check "GET / is 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")" = 404 ]
check "POST /metrics is 405" [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$URL")" = 405 ]
check "HEAD /metrics is 200" [ "$(curl -s -o /dev/null -w '%{http_code}' -I "$URL")" = 200 ]

# ---- a real Prometheus server scraping the endpoint every second ----
PROM=$(command -v prometheus || true)
prom_skip=0
if [ -z "$PROM" ]; then
	prom_skip=1
	echo "######################################################################"
	echo "SKIP: the Prometheus server is not installed (Debian package prometheus;"
	echo "      scripts/setup.sh installs it as root): the real-server scrape check"
	echo "      did NOT run"
	echo "######################################################################"
else
	PP=$(free_port)
	cat >"$T/prom.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: wirecheck
    static_configs:
      - targets: ['127.0.0.1:$PORT']
EOF
	"$PROM" --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$PP" --log.level=warn >"$T/prom.log" 2>&1 &
	PPID_PROM=$!
	PIDS="$PIDS $PPID_PROM"
	API="http://127.0.0.1:$PP/api/v1"
	query() { curl -sf -G --data-urlencode "query=$1" "$API/query" 2>/dev/null |
		$PY -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else ("none" if not r else "%d series" % len(r)))' 2>/dev/null; }
	v=""
	deadline=$((SECONDS + 30))
	while [ $SECONDS -lt $deadline ]; do
		v=$(query wirecheck_packets_total)
		[ -n "$v" ] && [ "$v" != none ] && break
		kill -0 "$PPID_PROM" 2>/dev/null || break
		sleep 0.5
	done
	check "prometheus $("$PROM" --version 2>&1 | awk 'NR==1{print $3}') scraped wirecheck_packets_total = $v (instance: $REF_PACKETS)" \
		[ "$v" = "$REF_PACKETS" ]
	targets=$(curl -sf "$API/targets" | $PY -c 'import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
print(" ".join("%s:%s:%s" % (x["labels"]["job"], x["health"], x["lastError"] or "-") for x in t))' 2>/dev/null)
	check "prometheus target healthy, no parse error ($targets)" [ "$targets" = "wirecheck:up:-" ]
	# query_until EXPR WANT SECONDS: the value once it is WANT (or the last one)
	query_until() {
		local v="" deadline=$((SECONDS + $3))
		while [ $SECONDS -lt $deadline ]; do
			v=$(query "$1")
			[ "$v" = "$2" ] && break
			sleep 0.5
		done
		echo "${v:-none}"
	}
	v=$(query_until 'up{job="wirecheck"}' 1 10); check "up{job=\"wirecheck\"} = $v" [ "$v" = 1 ]
	v=$(query 'sum(wirecheck_bytes_total)'); check "sum(wirecheck_bytes_total) = $v (instance: $REF_BYTES)" [ "$v" = "$REF_BYTES" ]
	want=$(ref anomalies tcp_checksum_bad)
	v=$(query 'wirecheck_anomalies_total{type="tcp_checksum_bad"}')
	check "anomalies_total{type=\"tcp_checksum_bad\"} = $v (instance: $want)" [ "$v" = "$want" ]
	# a busy machine can starve the dataplane's heartbeat for seconds: wait
	v=$(query_until 'wirecheck_dataplane_up' 1 15); check "wirecheck_dataplane_up = $v" [ "$v" = 1 ]
	want=$(metric "$T/m.txt" wirecheck_handshake_server_seconds_count)
	v=$(query_until 'wirecheck_handshake_server_seconds_count' "$want" 5)
	check "handshake_server_seconds_count = $v (scrape: $want)" [ "$v" = "$want" ]
	v=$(query 'histogram_quantile(0.5, wirecheck_handshake_server_seconds_bucket)')
	check "histogram_quantile(0.5, handshake_server) = $v (a number)" \
		$PY -c 'import math, sys; v = float(sys.argv[1]); sys.exit(0 if 0 < v <= 10 else 1)' "${v:-nan}"
	stop_pid "$PPID_PROM"
	check "prometheus stopped cleanly (rc=$RC)" [ "$RC" = 0 ]
fi

# ---- heartbeat: a stopped dataplane is reported down, then up again ----
kill -STOP "$WPID"
up="" age=""
deadline=$((SECONDS + 10))
while [ $SECONDS -lt $deadline ]; do
	curl -sf -o "$T/m2.txt" "$URL" && up=$(metric "$T/m2.txt" wirecheck_dataplane_up)
	[ "$up" = 0 ] && break
	sleep 0.5
done
age=$(metric "$T/m2.txt" wirecheck_heartbeat_age_seconds)
kill -CONT "$WPID"
check "dataplane stopped (SIGSTOP): dataplane_up 0, heartbeat age $age s" \
	eval '[ "$up" = 0 ] && $PY -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 5 else 1)" "$age"'
deadline=$((SECONDS + 15))
while [ $SECONDS -lt $deadline ]; do
	sleep 0.2
	up=$(curl -sf "$URL" | grep '^wirecheck_dataplane_up ')
	[ "$up" = "wirecheck_dataplane_up 1" ] && break
done
check "dataplane continued (SIGCONT): $up" [ "$up" = "wirecheck_dataplane_up 1" ]

# ---- shutdown: the dataplane ends, serve finishes and closes the endpoint ----
stop_pid "$WPID"
check "dataplane SIGTERM: exit 0 (rc=$RC)" [ "$RC" = 0 ]
deadline=$((SECONDS + 10))
while kill -0 "$SPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
if kill -0 "$SPID" 2>/dev/null; then stop_pid "$SPID"; RC="still running ($RC)"
else wait "$SPID"; RC=$?; fi
check "serve --metrics: exit 0 when the dataplane is done (rc=$RC; $(head -c 200 "$T/serve.err"))" [ "$RC" = 0 ]
check "serve wrote its final stats event" eval "tail -n 1 '$T/serve/events.json' | grep -q '\"event_type\":\"stats\"'"
check "endpoint closed with serve" eval "! curl -sf -o /dev/null '$URL'"

# ---- label escaping: an offline run whose file name has a quote, a
# backslash and a newline (the source label). Its input is a FIFO held open,
# so the run lasts while we scrape; the control plane wirecheck starts is a
# wrapper (next to a copy of wirecheck) that adds --metrics to its serve.
mkdir -p "$T/bin"
cp "$WC" "$T/bin/wirecheck"
PE=$(free_port)
printf '#!/bin/sh\nexec "%s" "$@" --metrics 127.0.0.1:%s\n' \
	"$(cd "$(dirname "$CTL")" && pwd)/wirecheckctl" "$PE" >"$T/bin/wirecheckctl"
chmod +x "$T/bin/wirecheckctl"
WEIRD="$T/we\"ird\\name
x.pcap"
mkfifo "$WEIRD"
"$T/bin/wirecheck" -q -r "$WEIRD" -o "$T/weird" >"$T/weird.out" 2>"$T/weird.err" &
OPID=$!
PIDS="$PIDS $OPID"
(cat "$FILE"; exec sleep 30) >"$WEIRD" &
FEED=$!
PIDS="$PIDS $FEED"
want=$($PY -c 'import sys
p = sys.argv[1].replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")
print("source=\"%s\"" % p)' "$WEIRD")
got=""
for _ in $(seq 50); do
	if curl -sf -o "$T/m3.txt" "http://127.0.0.1:$PE/metrics" 2>/dev/null &&
		grep -q '^wirecheck_info' "$T/m3.txt"; then
		got=$(grep '^wirecheck_info' "$T/m3.txt")
		break
	fi
	sleep 0.1
done
check "label values escaped (backslash, quote, newline): $got" \
	eval 'case "$got" in *"$want"*) true ;; *) false ;; esac'
if command -v promtool >/dev/null; then
	check "promtool accepts the escaped labels" eval 'promtool check metrics <"$T/m3.txt" >/dev/null 2>&1'
fi
kill "$FEED" 2>/dev/null
wait "$FEED" 2>/dev/null
deadline=$((SECONDS + 10))
while kill -0 "$OPID" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
stop_pid "$OPID" # EOF normally ended the run already: this only reaps it
check "offline run through the wrapper finished (rc=$RC; $(head -c 200 "$T/weird.err"))" [ "$RC" = 0 ]

echo "metrics: $pass passed, $fail failed"
[ $fail -eq 0 ] || exit 1
[ $prom_skip -eq 0 ] || exit 77
exit 0
