# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the live lab (scripts/lab.sh): the incidents' servers and
clients, the live event follower and the recap.

  lab.py follow EVENTS                    print anomalies as the control plane
                                           writes them; ends at the stats event
  lab.py recap EVENTS SERVER_IP SERVER_MAC VIP
                                           incident -> detected? table; exit 1
                                           if an incident was not named
  lab.py nagle-server HOST PORT           reads a whole request, then answers
  lab.py nagle-client HOST PORT N         write(header) write(body) read(), N x
  lab.py rst-server HOST PORT             reads the first request, then resets
  lab.py rst-client HOST PORT             sends one request, expects a reset

Servers loop until killed; clients print one line of narration.
"""
import datetime
import json
import os
import signal
import socket
import struct
import sys
import time

# ---------------------------------------------------------------- follower

# per-packet types: one line for the first event of a flow, at most
# NOISY_MAX lines per type (the recap has the exact counts)
NOISY = {"checksum_partial", "tcp_checksum_bad", "udp_checksum_bad",
         "ipv4_checksum_bad", "icmp_checksum_bad", "icmpv6_checksum_bad",
         "tso_superframe", "rto_retransmission", "fast_retransmission"}
NOISY_MAX = 3
DETECTOR_MAX = 3  # detector lines per flow and type (ack_stall: every one)


def when(e):
    try:
        t = datetime.datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
        return t.astimezone().strftime("%H:%M:%S.%f")[:-3]
    except (KeyError, ValueError):
        return "?"


def endpoint(e, side):
    ip, port = e.get(side + "_ip", "?"), e.get(side + "_port")
    return "%s:%s" % (ip, port) if port is not None else ip


def details(a):
    t = a["type"]
    if t == "ack_stall":
        return "stall_ms=%s" % a.get("stall_ms")
    if t == "synack_unexpected_source":
        return "expected_src=%s actual_src=%s" % (a.get("expected_src"), a.get("actual_src"))
    if t == "offload_corruption":
        return "sender %s mac %s: seq %s len %s damaged, then resent intact" % (
            a.get("sender_ip"), a.get("sender_mac"), a.get("seq"), a.get("len"))
    if t in ("tcp_checksum_bad", "udp_checksum_bad", "ipv4_checksum_bad",
             "icmp_checksum_bad", "icmpv6_checksum_bad"):
        return "checksum %s expected %s, sender %s mac %s" % (
            a.get("checksum"), a.get("expected"), a.get("sender_ip"), a.get("sender_mac"))
    if t == "checksum_partial":
        return "%s field %s = pseudo-header sum (offload pending), sender %s" % (
            a.get("layer"), a.get("checksum"), a.get("sender_ip"))
    if t == "tso_superframe":
        return "ip_len %s > mtu %s" % (a.get("ip_len"), a.get("mtu"))
    if t == "rst_after_first_data":
        return "client sent %s bytes, the server side reset" % a.get("client_bytes")
    if t in ("rto_retransmission", "fast_retransmission"):
        return "seq %s len %s" % (a.get("seq"), a.get("len"))
    skip = ("type", "layer", "severity")
    return " ".join("%s=%s" % (k, v) for k, v in a.items() if k not in skip)


def follow(path):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the lab's trap ends us
    per_type, per_flow, quiet = {}, {}, {}
    f = None
    buf = b""
    while not stop:
        if f is None:
            try:
                f = open(path, "rb")
            except FileNotFoundError:
                time.sleep(0.1)
                continue
        chunk = f.read()
        if not chunk:
            time.sleep(0.1)
            continue
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event_type") == "stats":
                return 0
            if e.get("event_type") != "anomaly":
                continue
            a = e["anomaly"]
            t = a["type"]
            key = (t, e.get("flow_id"))
            per_flow[key] = per_flow.get(key, 0) + 1
            if t in NOISY:
                if per_flow[key] > 1 or per_type.get(t, 0) >= NOISY_MAX:
                    quiet[t] = quiet.get(t, 0) + 1
                    continue
            elif per_flow[key] > DETECTOR_MAX and t != "ack_stall":
                if per_flow[key] == DETECTOR_MAX + 1:
                    print("  %12s  %-24s more on this flow: counted in the recap"
                          % ("", t), flush=True)
                continue
            per_type[t] = per_type.get(t, 0) + 1
            print("  %s  %-24s %s -> %s  %s" % (when(e), t, endpoint(e, "src"),
                                                endpoint(e, "dest"), details(a)), flush=True)
    return 0


# ---------------------------------------------------------------- recap

def recap(path, server_ip, server_mac, vip):
    ev = []
    for line in open(path, "rb"):
        try:
            ev.append(json.loads(line))
        except ValueError:
            pass
    stats = [e for e in ev if e.get("event_type") == "stats"]
    stats = stats[-1] if stats else {}
    counts = stats.get("anomalies", {})
    tcpck = stats.get("checksum", {}).get("tcp", {})
    an = [e["anomaly"] for e in ev if e.get("event_type") == "anomaly"]

    def of(t):
        return [a for a in an if a["type"] == t]

    rows = []  # (incident, anomaly, count, detected, note)
    n = counts.get("checksum_partial", 0)
    rows.append(("1 offload: partial checksums", "checksum_partial", n, n > 0,
                 "TCP checksums: %s good, %s partial, %s bad" % (
                     tcpck.get("good", 0), tcpck.get("partial", 0), tcpck.get("bad", 0))))
    bad = [a for a in of("tcp_checksum_bad") if a.get("sender_ip") == server_ip]
    n = counts.get("tcp_checksum_bad", 0)
    rows.append(("2 corrupting sender", "tcp_checksum_bad", n, bool(bad),
                 "sender %s" % server_ip if bad else "none from %s" % server_ip))
    oc = [a for a in of("offload_corruption")
          if a.get("sender_ip") == server_ip and a.get("sender_mac") == server_mac]
    n = counts.get("offload_corruption", 0)
    rows.append(("", "offload_corruption", n, bool(oc),
                 "sender %s mac %s; %d of %d bad segments resent intact" % (
                     server_ip, server_mac, n, counts.get("tcp_checksum_bad", 0)) if oc else
                 "none naming %s %s" % (server_ip, server_mac)))
    st = [a.get("stall_ms") for a in of("ack_stall")
          if isinstance(a.get("stall_ms"), (int, float)) and 30 <= a["stall_ms"] <= 250]
    n = counts.get("ack_stall", 0)
    rows.append(("3 delayed-ACK stall", "ack_stall", n, bool(st),
                 "stall_ms %.1f..%.1f" % (min(st), max(st)) if st else "no 30..250 ms stall"))
    want_exp, want_act = "%s:80" % vip, "%s:80" % server_ip
    sy = [a for a in of("synack_unexpected_source")
          if a.get("expected_src") == want_exp and a.get("actual_src") == want_act]
    n = counts.get("synack_unexpected_source", 0)
    rows.append(("4 VIP answered from real IP", "synack_unexpected_source", n, bool(sy),
                 "expected_src %s actual_src %s" % (want_exp, want_act) if sy else
                 "none with expected_src %s actual_src %s" % (want_exp, want_act)))
    n = counts.get("rst_after_first_data", 0)
    ra = of("rst_after_first_data")
    rows.append(("5 reset on first data", "rst_after_first_data", n, bool(ra),
                 "client_bytes %s" % ra[0].get("client_bytes") if ra else ""))

    print("%-29s %-25s %6s  %-9s %s" % ("incident", "anomaly", "count", "detected", ""))
    for inc, t, n, ok, note in rows:
        print("%-29s %-25s %6d  %-9s %s" % (inc, t, n, "yes" if ok else "NO", note))
    if not stats:
        print("(no stats event: wirecheck did not finish its output)")
    missed = [r for r in rows if not r[3]]
    return 1 if missed or not stats else 0


# ---------------------------------------------------------------- traffic

def listener(host, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(8)
    return ls


def read_request(c, buf):
    """One request (header to the blank line, Content-Length bytes); the rest
    of buf, or None when the peer closed."""
    while b"\r\n\r\n" not in buf:
        d = c.recv(4096)
        if not d:
            return None
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    clen = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            clen = int(line.split(b":", 1)[1])
    while len(buf) < clen:
        d = c.recv(4096)
        if not d:
            return None
        buf += d
    return buf[clen:]


def nagle_server(host, port):
    ls = listener(host, port)
    while True:
        c, _ = ls.accept()
        buf = b""
        try:
            while True:
                buf = read_request(c, buf)
                if buf is None:
                    break
                c.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        c.close()


def nagle_client(host, port, n):
    s = socket.create_connection((host, port), timeout=5)
    body = b'{"sku":"A-1022","qty":3}'
    t0 = time.monotonic()
    for _ in range(n):
        s.sendall(b"POST /v1/orders HTTP/1.1\r\nHost: orders\r\nContent-Length: %d\r\n\r\n"
                  % len(body))
        s.sendall(body)  # Nagle: waits for the ACK of the header
        resp = b""
        while b"\r\n\r\n" not in resp:
            d = s.recv(4096)
            if not d:
                raise SystemExit("nagle-client: server closed")
            resp += d
    ms = (time.monotonic() - t0) * 1000
    s.close()
    print("client: %d POSTs (write header, write body, read) in %.0f ms, %.0f ms each"
          % (n, ms, ms / n))


def rst_server(host, port):
    ls = listener(host, port)
    while True:
        c, _ = ls.accept()
        try:
            read_request(c, b"")
        except OSError:
            pass
        # SO_LINGER {1, 0}: close() sends a RST instead of a FIN
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        c.close()


def rst_client(host, port):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /v1/cart HTTP/1.1\r\nHost: cart\r\n\r\n")
    try:
        d = s.recv(4096)
        print("client: got %d bytes back (expected a reset)" % len(d))
    except ConnectionResetError:
        print("client: request sent, connection reset by peer")
    s.close()


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, a = argv[1], argv[2:]
    if cmd == "follow":
        return follow(a[0])
    if cmd == "recap":
        return recap(*a[:4])
    if cmd == "nagle-server":
        nagle_server(a[0], int(a[1]))
    elif cmd == "nagle-client":
        nagle_client(a[0], int(a[1]), int(a[2]))
    elif cmd == "rst-server":
        rst_server(a[0], int(a[1]))
    elif cmd == "rst-client":
        rst_client(a[0], int(a[1]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BrokenPipeError:
        os._exit(1)
