#!/usr/bin/python3
"""The TCP workloads of tests/e2e/test_tcp_kernel.sh, one connection each.

usage: tcp_peer.py server|client WORKLOAD ADDR PORT [N]   (ADDR IPv4 or IPv6)

  bulk  the client sends N bytes in one sendall() and closes
  slow  the same into a server with a 4 KiB receive buffer that reads 1 KiB
        every 20 ms: the window closes (zero windows, window-full segments)
  rr    N requests of 100 bytes, each answered by 2000 bytes
  ka    the client sends 5 bytes and idles N seconds with keep-alives every
        second (TCP_KEEPIDLE = TCP_KEEPINTVL = 1 s)

The server prints "ready" once it listens, serves one connection and exits.
Both ends set TCP_NODELAY.
"""
import socket
import sys
import time


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(workload, addr, port):
    ls = socket.socket(family(addr))
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if workload == "slow":  # inherited by the accepted socket
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind((addr, port))
    ls.listen(1)
    print("ready", flush=True)
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as the client
    pending = 0
    while True:
        if workload == "slow":
            time.sleep(0.02)
        d = c.recv(1024 if workload == "slow" else 65536)
        if not d:
            break
        pending += len(d)
        if workload == "rr" and pending >= 100:
            c.sendall(b"r" * 2000)
            pending -= 100
    c.close()


def client(workload, addr, port, n):
    s = socket.socket(family(addr))
    # no Nagle: a delayed-ACK stall can then never be real, and the test's
    # "no ack_stall" asserts that the detector has no false positive
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if workload == "ka":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.connect((addr, port))
    if workload in ("bulk", "slow"):
        s.sendall(b"x" * n)
    elif workload == "rr":
        for _ in range(n):
            s.sendall(b"q" * 100)
            got = 0
            while got < 2000:
                got += len(s.recv(4096))
    elif workload == "ka":
        s.sendall(b"hello")
        time.sleep(n)
    s.shutdown(socket.SHUT_WR)
    s.recv(16)  # the server's FIN
    s.close()


def main(argv):
    role, workload, addr, port = argv[1], argv[2], argv[3], int(argv[4])
    if role == "server":
        server(workload, addr, port)
    else:
        client(workload, addr, port, int(argv[5]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
