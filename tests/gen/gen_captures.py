#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generate the capture-replay cases of tests/pcap/<case>/.

Each case is a small capture (input.pcap or input.pcapng) and the result
wirecheck must report for it (expected.json).  The expected values come from
how the generator built each frame ("this TCP checksum was made partial"),
never from running wirecheck.  Three independent checks guard them:

  1. the intent recorded at construction time (tags),
  2. a reference model in this file that decodes the written bytes and
     applies the SPEC §3 verdict rules (it must reproduce the tags exactly),
  3. tshark, where tshark can tell (it cannot tell partial from bad, nor
     zero from "no checksum"): every good/bad(+partial)/zero verdict of every
     frame must agree.  Any disagreement fails the generator.

Everything is deterministic: fixed seeds, fixed timestamps, hand-written
pcap/pcapng writers (no scapy version strings in the files).

Usage:
  gen_captures.py                  write every case into tests/pcap/
  gen_captures.py CASE...          only these cases
  gen_captures.py --check          regenerate into a temp dir, require the
                                   committed files to be byte-identical
  gen_captures.py --explain CASE   print the frame-by-frame verdict table
  gen_captures.py --list           list the cases

Must run with Debian's /usr/bin/python3 (python3-scapy).
"""

import argparse
import filecmp
import ipaddress
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (  # noqa: E402
    ARP, Ether, ICMP, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLDMultAddrRec,
    ICMPv6MLReport2, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr, IP, IPOption_Router_Alert, IPOption_RR, IPv6,
    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting, HAO, PadN, Raw, RouterAlert, TCP, UDP, raw,
)

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
PCAP_DIR = os.path.join(TESTS, "pcap")

LAYERS = ("ipv4", "tcp", "udp", "icmp", "icmpv6")
VERDICTS = ("good", "bad", "partial", "zero", "unverifiable")
MTU = 1500
T0_US = 1709251200 * 1000000  # 2024-03-01T00:00:00Z, all cases start here

# Link types (https://www.tcpdump.org/linktypes.html)
LT_NULL, LT_ETH, LT_RAW, LT_SLL, LT_SLL2 = 0, 1, 101, 113, 276

VXLAN_PORT, GENEVE_PORT = 4789, 6081
ETH_P_IP, ETH_P_IPV6, ETH_P_ARP, ETH_P_TEB = 0x0800, 0x86DD, 0x0806, 0x6558
ETH_P_8021Q, ETH_P_8021AD, ETH_P_QINQ1 = 0x8100, 0x88A8, 0x9100
ETH_P_ERSPAN2, ETH_P_ERSPAN3 = 0x88BE, 0x22EB
L4NAME = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
PROTONAME = {6: "TCP", 17: "UDP", 1: "ICMP", 58: "IPv6-ICMP"}


class GenError(Exception):
    pass


# ---------------------------------------------------------------------------
# Internet checksum arithmetic (RFC 1071), written here independently of
# scapy's; the builder cross-checks scapy's good values against it.

def csum_fold(data):
    """Folded 16-bit one's-complement sum of data, NOT complemented."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def csum_field(data):
    """The value a sender writes into a checksum field (RFC 1071)."""
    return (~csum_fold(data)) & 0xFFFF


def pseudo4(src, dst, proto, length):
    return bytes(src) + bytes(dst) + struct.pack("!BBH", 0, proto, length)


def pseudo6(src, dst, proto, length):
    return bytes(src) + bytes(dst) + struct.pack("!I3xB", length, proto)


def be16(b, o):
    return (b[o] << 8) | b[o + 1]


def ip_str(b):
    return str(ipaddress.ip_address(bytes(b)))


def ipv6_walk(b, off, end):
    """Walk the IPv6 extension headers of the datagram at b[off:end].

    Returns (l4_off, l4_proto, pseudo_src, pseudo_dst, frag) where pseudo_*
    follow RFC 8200 §8.1 / RFC 6275 §6.3: the final destination of a
    routing header with segments left (type 0: last address; type 2: the
    home address) and the Home Address destination option (0xC9) as source.
    frag is None or (offset, more).  l4_proto is None when the chain ends in
    no-next-header or a mobility header (no counted checksum), and
    "cut" when an extension header runs past end.
    """
    src = b[off + 8:off + 24]
    dst = b[off + 24:off + 40]
    nh = b[off + 6]
    p = off + 40
    frag = None
    for _ in range(8):  # capped chain
        if nh in (0, 60, 43):
            if p + 8 > end:
                return p, "cut", src, dst, frag
            hlen = (b[p + 1] + 1) * 8
            if p + hlen > end:
                return p, "cut", src, dst, frag
            if nh == 43:
                rtype, segleft = b[p + 2], b[p + 3]
                naddr = b[p + 1] // 2
                if rtype in (0, 2) and segleft > 0 and naddr > 0:
                    dst = b[p + 8 + 16 * (naddr - 1):p + 8 + 16 * naddr]
            else:
                q = p + 2
                while q < p + hlen:
                    ot = b[q]
                    if ot == 0:
                        q += 1
                        continue
                    ol = b[q + 1]
                    if ot == 0xC9 and ol == 16 and nh == 60:
                        src = b[q + 2:q + 18]
                    q += 2 + ol
            nh = b[p]
            p += hlen
        elif nh == 44:
            if p + 8 > end:
                return p, "cut", src, dst, frag
            fo = be16(b, p + 2)
            frag = (fo >> 3, fo & 1)
            nh = b[p]
            p += 8
        else:
            break
    if nh in (59, 135):
        return p, None, src, dst, frag
    return p, nh, src, dst, frag


# ---------------------------------------------------------------------------
# Builder: scapy makes the headers, these functions set every checksum to
# what the case asks for and record it as a tag (layer, verdict).

class P:
    """Bytes of a (partial) frame and the verdicts it carries, in wire order."""

    def __init__(self, data, tags=(), note=""):
        self.data = bytes(data)
        self.tags = list(tags)
        self.note = note


class Corruptor:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def bad(self, good, *avoid):
        """A wrong checksum: not good, not a partial pattern, not 0/0xffff."""
        forbidden = {good, 0, 0xFFFF} | set(avoid)
        while True:
            v = good ^ self.rng.randrange(1, 0x10000)
            if v not in forbidden:
                return v


CORRUPT = Corruptor(0)  # reseeded per case


def _l4_field_off(proto):
    return {6: 16, 17: 6, 1: 2, 58: 2}[proto]


def _set_l4(b, l4off, end, proto, verdict, psrc, pdst, v6, tso0, scapy_checks):
    """Set the L4 checksum of b[l4off:end] (bytearray) to the verdict."""
    fo = l4off + _l4_field_off(proto)
    scapy_val = be16(b, fo)
    b[fo:fo + 2] = b"\0\0"
    seg = bytes(b[l4off:end])
    length = end - l4off
    if proto == 1:
        ph = b""
        partial = partial0 = None
    else:
        mk = pseudo6 if v6 else pseudo4
        ph = mk(psrc, pdst, proto, length)
        partial = csum_fold(ph)
        partial0 = csum_fold(mk(psrc, pdst, proto, 0))
    good = csum_field(ph + seg)
    if proto == 17 and good == 0:
        good = 0xFFFF  # RFC 768
    if scapy_checks and scapy_val != good:
        raise GenError("scapy and gen disagree on a good %s checksum: %04x vs %04x"
                       % (L4NAME[proto], scapy_val, good))
    if verdict == "good":
        v = good
    elif verdict == "bad":
        v = CORRUPT.bad(good, *(x for x in (partial, partial0) if x is not None))
    elif verdict == "partial":
        if proto not in (6, 17):
            raise GenError("partial only exists for TCP/UDP")
        v = partial0 if tso0 else partial
        if v in (good, 0):
            raise GenError("partial pattern collides with good/zero")
    elif verdict == "zero":
        if proto != 17:
            raise GenError("zero only exists for UDP")
        v = 0
    elif verdict == "unverifiable":
        v = good  # correct bytes; the verdict comes from missing bytes
    else:
        raise GenError("unknown verdict " + verdict)
    struct.pack_into("!H", b, fo, v)


def _ipv4_header_csum(b, ihl, verdict):
    b[10:12] = b"\0\0"
    good = csum_field(bytes(b[:ihl]))
    if verdict in ("good", "unverifiable"):
        v = good
    elif verdict == "bad":
        v = CORRUPT.bad(good)
    elif verdict == "partial":
        v = 0
        if good == 0:
            raise GenError("ipv4 header good checksum is 0")
    else:
        raise GenError("bad ipv4 verdict " + verdict)
    struct.pack_into("!H", b, 10, v)


def ip4(src, dst, l4, ipv="good", l4v="good", inner=(), ident=0, ttl=64,
        df=True, tos=0, options=None, len0=False, tso0=False, proto=None,
        scapy_checks=True):
    """An IPv4 datagram around the scapy layer l4 (TCP/UDP/ICMP/Raw)."""
    kw = dict(src=src, dst=dst, id=ident, ttl=ttl, tos=tos,
              flags="DF" if df else 0)
    if options:
        kw["options"] = options
    if proto is not None:
        kw["proto"] = proto
    b = bytearray(raw(IP(**kw) / l4))
    ihl = (b[0] & 15) * 4
    pr = b[9]
    tags = [("ipv4", ipv)]
    if pr in L4NAME and pr != 58 and l4v is not None:
        _set_l4(b, ihl, len(b), pr, l4v, b[12:16], b[16:20], False, tso0,
                scapy_checks and not isinstance(l4, Raw))
        tags.append((L4NAME[pr], l4v))
    if len0:
        b[2:4] = b"\0\0"
    _ipv4_header_csum(b, ihl, ipv)
    return P(b, tags + list(inner))


def ip6(src, dst, l4, ext=(), l4v="good", inner=(), hlim=64, tc=0, fl=0,
        tso0=False, scapy_checks=True, nh=None):
    """An IPv6 datagram: extension header layers ext, then l4."""
    pkt = IPv6(src=src, dst=dst, hlim=hlim, tc=tc, fl=fl)
    if nh is not None:
        pkt.nh = nh
    for e in ext:
        pkt = pkt / e
    b = bytearray(raw(pkt / l4))
    l4off, pr, psrc, pdst, frag = ipv6_walk(b, 0, len(b))
    tags = []
    if pr in L4NAME and pr != 1:
        _set_l4(b, l4off, len(b), pr, l4v, psrc, pdst, True, tso0,
                scapy_checks and not isinstance(l4, Raw))
        tags.append((L4NAME[pr], l4v))
    return P(b, tags + list(inner))


def eth(smac, dmac, p, vlans=(), pad=False, etype=None):
    """Ethernet frame; vlans = [(tpid, vid, pcp), ...] outermost first."""
    if etype is None:
        v = p.data[0] >> 4 if p.data else 0
        etype = ETH_P_IPV6 if v == 6 else ETH_P_IP
    hdr = bytes(Ether(src=smac, dst=dmac, type=0))[:12]
    for tpid, vid, pcp in vlans:
        hdr += struct.pack("!HH", tpid, (pcp << 13) | vid)
    data = hdr + struct.pack("!H", etype) + p.data
    if pad and len(data) < 60:
        data += b"\0" * (60 - len(data))
    return P(data, p.tags, p.note)


def frag4(p, size):
    """Split a finished IPv4 datagram P into fragments of <= size payload
    bytes.  The first fragment's L4 checksum becomes unverifiable."""
    b = p.data
    ihl = (b[0] & 15) * 4
    payload = b[ihl:]
    out = []
    off = 0
    l4tag = p.tags[1]
    while off < len(payload):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        h = bytearray(b[:ihl])
        struct.pack_into("!H", h, 2, ihl + len(chunk))
        struct.pack_into("!H", h, 6, (0x2000 if more else 0) | (off // 8))
        _ipv4_header_csum(h, ihl, "good")
        tags = [("ipv4", "good")]
        if off == 0:
            tags.append((l4tag[0], "unverifiable"))
        out.append(P(bytes(h) + chunk, tags))
        off += size
    return out


def frag6(p, size, ident):
    """Split a finished IPv6 datagram (no extension headers) into fragments."""
    b = p.data
    nh = b[6]
    payload = b[40:]
    out = []
    off = 0
    l4tag = p.tags[0]
    while off < len(payload):
        chunk = payload[off:off + size]
        more = off + size < len(payload)
        h = bytearray(b[:40])
        h[6] = 44
        struct.pack_into("!H", h, 4, 8 + len(chunk))
        fh = struct.pack("!BBHI", nh, 0, off | (1 if more else 0), ident)
        tags = [(l4tag[0], "unverifiable")] if off == 0 else []
        out.append(P(bytes(h) + fh + chunk, tags))
        off += size
    return out


def vxlan(vni, inner_frame):
    return P(struct.pack("!BxxxI", 0x08, vni << 8) + inner_frame.data,
             inner_frame.tags)


def geneve(vni, inner, proto=ETH_P_TEB, options=b""):
    assert len(options) % 4 == 0
    hdr = struct.pack("!BBHI", len(options) // 4, 0, proto, vni << 8) + options
    return P(hdr + inner.data, inner.tags)


def gre(proto, inner, key=None, seq=None, csum=False):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    opt = b""
    if csum:
        opt += b"\0\0\0\0"
    if key is not None:
        opt += struct.pack("!I", key)
    if seq is not None:
        opt += struct.pack("!I", seq)
    data = bytearray(struct.pack("!HH", flags, proto) + opt + inner.data)
    if csum:  # RFC 2784: over the GRE header and payload (not counted)
        struct.pack_into("!H", data, 4, csum_field(bytes(data)))
    return P(data, inner.tags)


def erspan2(session, inner, vlan=0, index=0x10):
    # RFC draft-foschiano-erspan §4.2: Ver=1, VLAN, COS/En/T, Session, Index
    h = struct.pack("!HHI", (1 << 12) | vlan, (0 << 13) | (3 << 11) | session,
                    index & 0xFFFFF)
    return P(h + inner.data, inner.tags)


def erspan3(session, inner, ts, hwid=5, platform=None):
    # Ver=2, VLAN | COS,BSO,T,Session | Timestamp | SGT,P,FT,HwID,D,Gra,O
    o = 1 if platform is not None else 0
    h = struct.pack("!HHIHH", (2 << 12), session, ts & 0xFFFFFFFF, 0,
                    (hwid << 4) | (0 << 3) | (3 << 1) | o)
    if platform is not None:
        h += platform
    return P(h + inner.data, inner.tags)


def sll(p, pkttype=0, hatype=1, addr=b"", proto=None):
    if proto is None:
        proto = ETH_P_IPV6 if p.data[0] >> 4 == 6 else ETH_P_IP
    hdr = struct.pack("!HHH", pkttype, hatype, len(addr)) + addr.ljust(8, b"\0")
    return P(hdr + struct.pack("!H", proto) + p.data, p.tags)


def sll2(p, ifindex, pkttype=0, hatype=1, addr=b"", proto=None):
    if proto is None:
        proto = ETH_P_IPV6 if p.data[0] >> 4 == 6 else ETH_P_IP
    hdr = struct.pack("!HHIHBB", proto, 0, ifindex, hatype, pkttype,
                      len(addr)) + addr.ljust(8, b"\0")
    return P(hdr + p.data, p.tags)


def null_hdr(p, family):
    return P(struct.pack("<I", family) + p.data, p.tags)


# ---------------------------------------------------------------------------
# A capture being built

class Frame:
    def __init__(self, data, ts, tags, wirelen, tso, malformed, note,
                 ambiguous_reason=False):
        self.data = data
        self.ts = ts
        self.tags = tags
        self.wirelen = wirelen
        self.tso = tso
        self.malformed = malformed
        self.note = note
        self.ambiguous_reason = ambiguous_reason


class Cap:
    def __init__(self, linktype=LT_ETH, snaplen=262144, fmt="pcap"):
        self.linktype = linktype
        self.snaplen = snaplen
        self.fmt = fmt
        self.t = T0_US
        self.frames = []

    def add(self, p, dt=1000, tso=False, malformed=None, note="",
            ambiguous_reason=False):
        """Append frame P after dt microseconds; truncate to snaplen."""
        self.t += dt
        data = p.data
        wirelen = len(data)
        tags = list(p.tags)
        if len(data) > self.snaplen:
            data = data[:self.snaplen]
        self.frames.append(Frame(data, self.t, tags, wirelen, tso, malformed,
                                 note or p.note, ambiguous_reason))
        return len(self.frames)  # pcap_cnt

    def write(self, path):
        if self.fmt == "pcap":
            write_pcap(path, self.linktype, self.snaplen, self.frames)
        else:
            write_pcapng(path, self.linktype, self.snaplen, self.frames)


def write_pcap(path, linktype, snaplen, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen,
                            linktype))
        for fr in frames:
            f.write(struct.pack("<IIII", fr.ts // 1000000, fr.ts % 1000000,
                                len(fr.data), fr.wirelen))
            f.write(fr.data)


def _pcapng_opt(code, value):
    pad = (-len(value)) % 4
    return struct.pack("<HH", code, len(value)) + value + b"\0" * pad


def _pcapng_block(btype, body):
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def write_pcapng(path, linktype, snaplen, frames):
    with open(path, "wb") as f:
        shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        shb += _pcapng_opt(1, b"wirecheck test case (tests/gen/gen_captures.py)")
        shb += _pcapng_opt(4, b"gen_captures.py") + _pcapng_opt(0, b"")
        f.write(_pcapng_block(0x0A0D0D0A, shb))
        idb = struct.pack("<HHI", linktype, 0, snaplen)
        idb += _pcapng_opt(2, b"br0") + _pcapng_opt(9, b"\x06")
        idb += _pcapng_opt(0, b"")
        f.write(_pcapng_block(0x00000001, idb))
        for fr in frames:
            body = struct.pack("<IIIII", 0, fr.ts >> 32, fr.ts & 0xFFFFFFFF,
                               len(fr.data), fr.wirelen)
            body += fr.data + b"\0" * ((-len(fr.data)) % 4)
            f.write(_pcapng_block(0x00000006, body))


# ---------------------------------------------------------------------------
# Hosts and TCP conversations

class Host:
    def __init__(self, mac, ip=None, ip6=None, ipid=1000):
        self.mac = mac
        self.ip = ip
        self.ip6 = ip6
        self.ipid = ipid

    def next_id(self):
        self.ipid = (self.ipid + 1) & 0xFFFF
        return self.ipid


def linux_syn_opts(tsval, mss=1460):
    return [("MSS", mss), ("SAckOK", b""), ("Timestamp", (tsval, 0)),
            ("NOP", None), ("WScale", 7)]


class Conn:
    """A TCP conversation between client c and server s.

    wrap(p, from_client) turns the finished IP datagram into the frame
    (Ethernet, VLAN, tunnel...).  The helpers keep seq/ack right so that the
    capture is a plausible conversation for tshark's and wirecheck's TCP
    analysis; checksum verdicts are per call.
    """

    def __init__(self, cap, c, s, cport, sport, v6=False, wrap=None,
                 isn_c=1000000, isn_s=2000000, ts=True, mss=1460):
        self.cap, self.c, self.s = cap, c, s
        self.cport, self.sport = cport, sport
        self.v6 = v6
        self.wrap = wrap or (lambda p, fc: eth(
            (c if fc else s).mac, (s if fc else c).mac, p))
        self.seq = {True: isn_c & 0xFFFFFFFF, False: isn_s & 0xFFFFFFFF}
        self.ack = {True: None, False: None}  # None until the peer's ISN is seen
        self.ts = ts
        self.mss = mss

    def _opts(self, fc):
        if not self.ts:
            return []
        tsval = (self.cap.t // 1000) & 0xFFFFFFFF
        tsecr = ((self.cap.t // 1000) - 3) & 0xFFFFFFFF
        return [("NOP", None), ("NOP", None), ("Timestamp", (tsval, tsecr))]

    def seg(self, fc, flags="A", data=b"", l4v="good", ipv="good", dt=1000,
            seq=None, opts=None, win=502, advance=True, tso=False,
            tso0=False, len0=False, note=""):
        src, dst = (self.c, self.s) if fc else (self.s, self.c)
        sp, dp = (self.cport, self.sport) if fc else (self.sport, self.cport)
        s = (self.seq[fc] if seq is None else seq) & 0xFFFFFFFF
        t = TCP(sport=sp, dport=dp, flags=flags, seq=s,
                ack=(self.ack[fc] or 0) if "A" in flags else 0, window=win,
                options=self._opts(fc) if opts is None else opts)
        l4 = t / Raw(data) if data else t
        if self.v6:
            p = ip6(src.ip6, dst.ip6, l4, l4v=l4v, tso0=tso0)
        else:
            p = ip4(src.ip, dst.ip, l4, ipv=ipv, l4v=l4v, ident=src.next_id(),
                    tso0=tso0, len0=len0)
        consumed = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
        if advance and seq is None:
            self.seq[fc] = (s + consumed) & 0xFFFFFFFF
        # the peer's next ACK covers what was sent if it was received intact
        if l4v in ("good", "partial"):
            end = (s + consumed) & 0xFFFFFFFF
            if self.ack[not fc] is None or \
                    ((end - self.ack[not fc]) & 0xFFFFFFFF) < 0x80000000:
                self.ack[not fc] = end
        return self.cap.add(self.wrap(p, fc), dt=dt, tso=tso, note=note)

    def handshake(self, rtt=500, l4v_c="good", l4v_s="good"):
        tsv = (self.cap.t // 1000) & 0xFFFFFFFF
        o = linux_syn_opts(tsv, self.mss) if self.ts else [("MSS", self.mss)]
        self.seg(True, "S", opts=o, win=64240, l4v=l4v_c, dt=rtt)
        o2 = linux_syn_opts(tsv + 1, self.mss) if self.ts else [("MSS", self.mss)]
        self.seg(False, "SA", opts=o2, win=65160, l4v=l4v_s, dt=rtt // 2)
        self.seg(True, "A", dt=rtt // 2, l4v=l4v_c)

    def close(self, dt=1000, l4v_c="good", l4v_s="good"):
        self.seg(True, "FA", dt=dt, l4v=l4v_c)
        self.seg(False, "FA", dt=dt // 2, l4v=l4v_s)
        self.seg(True, "A", dt=dt // 2, l4v=l4v_c)


def payload(rng, n, text=None):
    if text is not None:
        t = text.encode() if isinstance(text, str) else text
        return (t * (n // max(len(t), 1) + 1))[:n] if n else t
    return bytes(rng.getrandbits(8) for _ in range(n))


def http_get(host, path="/"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/7.88.1\r\n"
            "Accept: */*\r\n\r\n" % (path, host)).encode()


def http_resp(n):
    head = ("HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
            "Content-Length: %d\r\n\r\n" % n).encode()
    return head + payload(None, n, "wirecheck-test-data-0123456789\n")


def dns_query(qid, name):
    q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + q + b"\0\x01\0\x01"


def dns_answer(qid, name, addr):
    q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + q +
            b"\0\x01\0\x01" + b"\xc0\x0c\0\x01\0\x01\0\0\x01\x2c\0\x04" +
            ipaddress.ip_address(addr).packed)


def ntp_client():
    return bytes([0x23]) + b"\0" * 47


def ping_data(n=56):
    return bytes(range(0x10, 0x10 + 8)) + bytes((0x10 + i) & 0xFF for i in range(n - 8))


def igmp_report(group):
    b = bytearray(struct.pack("!BBH4s", 0x16, 0, 0,
                              ipaddress.ip_address(group).packed))
    struct.pack_into("!H", b, 2, csum_field(bytes(b)))
    return bytes(b)


def arp_frame(smac, sip, tip, reply=False, tmac="00:00:00:00:00:00"):
    a = ARP(op=2 if reply else 1, hwsrc=smac, psrc=sip, pdst=tip,
            hwdst=tmac if reply else "00:00:00:00:00:00")
    dmac = tmac if reply else "ff:ff:ff:ff:ff:ff"
    d = bytes(Ether(src=smac, dst=dmac, type=ETH_P_ARP) / a)
    return P(d + b"\0" * max(0, 60 - len(d)))


# ---------------------------------------------------------------------------
# Reference model of the SPEC §3 rules (decodes the written bytes)

class Verdict:
    def __init__(self, layer, verdict, meta):
        self.layer = layer
        self.verdict = verdict
        self.meta = meta


class Model:
    """Decode one frame and give every checksum its verdict."""

    def __init__(self, data, wirelen, mtu=MTU):
        self.b = data
        self.cend = len(data)
        self.wirelen = wirelen
        self.mtu = mtu
        self.verdicts = []
        self.tso = False
        self.malformed = None
        self.outer_ip_seen = False

    def bad_frame(self, reason):
        if self.malformed is None:
            self.malformed = reason
        return False

    def run(self, linktype):
        b, w = self.b, self.wirelen
        if linktype == LT_ETH:
            return self.ether(0, w, [], 0)
        if linktype == LT_SLL:
            if w < 16:
                return self.bad_frame("runt")
            return self.ethertype(be16(b, 14), 16, w, [], 0)
        if linktype == LT_SLL2:
            if w < 20:
                return self.bad_frame("runt")
            return self.ethertype(be16(b, 0), 20, w, [], 0)
        if linktype == LT_RAW:
            if w < 1:
                return self.bad_frame("runt")
            v = b[0] >> 4
            if v == 4:
                return self.ipv4(0, w, [], 0)
            if v == 6:
                return self.ipv6(0, w, [], 0)
            return self.bad_frame("ip_version")
        if linktype == LT_NULL:
            if w < 4:
                return self.bad_frame("runt")
            fam = struct.unpack("<I", b[:4])[0]
            if fam > 0xFFFF:
                fam = struct.unpack(">I", b[:4])[0]
            if fam == 2:
                return self.ipv4(4, w, [], 0)
            if fam in (10, 24, 28, 30):
                return self.ipv6(4, w, [], 0)
            return True
        raise GenError("model: link type %d" % linktype)

    def ether(self, off, end, vlans, depth):
        if end - off < 14:
            return self.bad_frame("runt" if depth == 0 else "header_cut")
        return self.ethertype(be16(self.b, off + 12), off + 14, end, vlans, depth)

    def ethertype(self, et, off, end, vlans, depth):
        b = self.b
        for _ in range(4):
            if et not in (ETH_P_8021Q, ETH_P_8021AD, ETH_P_QINQ1):
                break
            if end - off < 4:
                return self.bad_frame("header_cut")
            if depth == 0:
                vlans = vlans + [be16(b, off) & 0xFFF]
            et = be16(b, off + 2)
            off += 4
        if et == ETH_P_IP:
            return self.ipv4(off, end, vlans, depth)
        if et == ETH_P_IPV6:
            return self.ipv6(off, end, vlans, depth)
        return True  # ARP and friends: nothing to verify

    def add(self, layer, verdict, **meta):
        self.verdicts.append(Verdict(layer, verdict, meta))

    def ipv4(self, off, end, vlans, depth):
        b = self.b
        if end - off < 1:
            return self.bad_frame("header_cut")
        if b[off] >> 4 != 4:
            return self.bad_frame("ip_version")
        if end - off < 20:
            return self.bad_frame("header_cut")
        ihl = (b[off] & 15) * 4
        if ihl < 20:
            return self.bad_frame("ipv4_ihl")
        if ihl > end - off:
            return self.bad_frame("header_cut")
        if self.cend < off + ihl:
            raise GenError("model: snaplen inside an IPv4 header (not used)")
        tot = be16(b, off + 2)
        src, dst = b[off + 12:off + 16], b[off + 16:off + 20]
        meta = dict(src=ip_str(src), dst=ip_str(dst), vlans=vlans, depth=depth,
                    proto=b[off + 9])
        # The header checksum is present once IHL is sane and the header is
        # there ("every checksum present gets exactly one verdict"), even
        # when the total length is bogus: verdict first, then the length.
        field = be16(b, off + 10)
        if field == 0:
            self.add("ipv4", "partial", **meta)
        elif csum_fold(b[off:off + ihl]) == 0xFFFF:
            self.add("ipv4", "good", **meta)
        else:
            self.add("ipv4", "bad", **meta)
        if tot == 0 and end - off > ihl:
            tot = end - off  # "presumed TSO" (tcpdump's words)
            self.tso = True
        elif tot < ihl:
            return self.bad_frame("ip_len_short")
        elif tot > end - off:
            return self.bad_frame("ip_len_beyond_frame")
        if tot > self.mtu:
            self.tso = True
        fo = be16(b, off + 6)
        if fo & 0x1FFF:
            return True  # later fragment: no L4 header
        return self.l4(b[off + 9], off + ihl, off + tot, src, dst, False,
                       bool(fo & 0x2000), meta)

    def ipv6(self, off, end, vlans, depth):
        b = self.b
        if end - off < 1:
            return self.bad_frame("header_cut")
        if b[off] >> 4 != 6:
            return self.bad_frame("ip_version")
        if end - off < 40:
            return self.bad_frame("header_cut")
        plen = be16(b, off + 4)
        if plen == 0:
            raise GenError("model: jumbograms are not used in the cases")
        if 40 + plen > end - off:
            return self.bad_frame("ip_len_beyond_frame")
        if 40 + plen > self.mtu:
            self.tso = True
        dend = off + 40 + plen
        if self.cend < dend:
            # ext headers must be captured for this simple model
            l4off, pr, psrc, pdst, frag = ipv6_walk(b, off, self.cend)
            if pr == "cut":
                raise GenError("model: snaplen inside IPv6 ext headers")
        l4off, pr, psrc, pdst, frag = ipv6_walk(b, off, dend)
        if pr == "cut":
            return self.bad_frame("header_cut")
        # events name the endpoints: home address and final destination
        # (as Zeek's conn.log does), which are also the pseudo-header's
        meta = dict(src=ip_str(psrc), dst=ip_str(pdst),
                    vlans=vlans, depth=depth, proto=pr)
        if pr is None:
            return True
        more = False
        if frag is not None:
            if frag[0] != 0:
                return True
            more = bool(frag[1])
        return self.l4(pr, l4off, dend, psrc, pdst, True, more, meta)

    def l4(self, proto, off, end, psrc, pdst, v6, first_frag, meta):
        b = self.b
        meta = dict(meta)
        meta["proto"] = proto
        name = L4NAME.get(proto)
        if proto == 1 and v6 or proto == 58 and not v6:
            name = None
        if proto in (6, 17) and not first_frag:
            need = 20 if proto == 6 else 8
            if end - off < need:
                return self.bad_frame("header_cut")
        if proto in (6, 17) and self.cend >= off + 4:
            meta["sport"], meta["dport"] = be16(b, off), be16(b, off + 2)
        if name is not None:
            if first_frag:
                self.add(name, "unverifiable", **meta)
                return True
            doff_bad = False
            if proto == 6 and self.cend >= off + 13:
                doff = (b[off + 12] >> 4) * 4
                if doff < 20 or doff > end - off:
                    # malformed, but the checksum field and every byte it
                    # covers are there: it still gets its verdict
                    self.bad_frame("tcp_doff")
                    doff_bad = True
            if proto in (1, 58) and end - off < 4:
                return self.bad_frame("header_cut")
            if self.cend < end:
                self.add(name, "unverifiable", **meta)
                return True
            seg = b[off:end]
            field = be16(b, off + _l4_field_off(proto))
            if proto == 1:
                ph = b""
            else:
                mk = pseudo6 if v6 else pseudo4
                ph = mk(psrc, pdst, proto, end - off)
                ph0 = mk(psrc, pdst, proto, 0)
            if proto == 17 and field == 0:
                if not v6 or meta.get("dport") in (VXLAN_PORT, GENEVE_PORT):
                    self.add(name, "zero", **meta)
                else:  # tshark calls it "illegal", not bad
                    self.add(name, "bad", zero_field=True, **meta)
            elif csum_fold(ph + seg) == 0xFFFF:
                self.add(name, "good", **meta)
            elif proto in (6, 17) and (field == csum_fold(ph) or
                                       (self.tso and field == csum_fold(ph0))):
                self.add(name, "partial", **meta)
            else:
                self.add(name, "bad", **meta)
            if doff_bad:
                return False
        # tunnels
        depth = meta["depth"] + 1
        if proto == 17 and self.cend >= end:
            dport = meta.get("dport")
            if dport == VXLAN_PORT and end - off >= 16:
                return self.ether(off + 16, end, [], depth)
            if dport == GENEVE_PORT and end - off >= 16:
                optlen = (b[off + 8] & 0x3F) * 4
                if be16(b, off + 10) == ETH_P_TEB:
                    return self.ether(off + 16 + optlen, end, [], depth)
                return self.ethertype(be16(b, off + 10), off + 16 + optlen, end,
                                      [], depth)
        if proto == 47 and end - off >= 4:
            flags = be16(b, off)
            if flags & 7 or flags & 0x4000:
                return True
            hl = 4 + sum(4 for bit in (0x8000, 0x2000, 0x1000) if flags & bit)
            pt = be16(b, off + 2)
            p = off + hl
            if pt in (ETH_P_IP, ETH_P_IPV6):
                return self.ethertype(pt, p, end, [], depth)
            if pt == ETH_P_TEB:
                return self.ether(p, end, [], depth)
            if pt == ETH_P_ERSPAN2:
                return self.ether(p + (8 if flags & 0x1000 else 0), end, [], depth)
            if pt == ETH_P_ERSPAN3:
                o = b[p + 11] & 1
                return self.ether(p + 12 + 8 * o, end, [], depth)
        return True


# ---------------------------------------------------------------------------
# tshark cross-check

TSHARK_FIELDS = ["ip.checksum.status", "tcp.checksum.status",
                 "udp.checksum.status", "icmp.checksum.status",
                 "icmpv6.checksum.status"]
# Wireshark's proto_checksum_enum_e: 0 bad, 1 good, 2 unverified,
# 3 not present (UDP/IPv4 zero), 4 illegal (UDP/IPv6 zero)
TSHARK_CLASS = {"0": "B", "1": "G", "2": "U", "3": "Z", "4": "Z"}


def my_class(v):
    if v.verdict == "good":
        return "G"
    if v.verdict in ("bad", "partial"):
        if v.layer == "udp" and v.verdict == "bad" and v.meta.get("zero_field"):
            return "Z"
        return "B"
    if v.verdict == "zero":
        return "Z"
    return "U"


def tshark_check(path, frames, models):
    """Compare per frame and layer the multisets of G/B/Z classes."""
    exe = shutil.which("tshark")
    if not exe:
        return None, ["tshark not found: cross-check SKIPPED"]
    cmd = [exe, "-n", "-r", path,
           "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
           "-o", "udp.check_checksum:TRUE", "-o", "ip.defragment:FALSE",
           "-o", "ipv6.defragment:FALSE", "-o", "tcp.desegment_tcp_streams:FALSE",
           "-T", "fields", "-E", "separator=/t", "-e", "frame.number"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         check=True, universal_newlines=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        rows[int(cols[0])] = cols[1:] + [""] * (6 - len(cols))
    problems = []
    agree = {"G": 0, "B": 0, "Z": 0}
    skipped = 0
    for i, (fr, m) in enumerate(zip(frames, models), 1):
        if fr.malformed:
            skipped += 1
            continue
        row = rows.get(i, [""] * 5)
        for li, layer in enumerate(LAYERS):
            ts = sorted(TSHARK_CLASS.get(x, "?") for x in row[li].split(",") if x)
            ts = [x for x in ts if x != "U"]
            mine = sorted(my_class(v) for v in m.verdicts if v.layer == layer)
            mine = [x for x in mine if x != "U"]
            if ts != mine:
                problems.append("frame %d %s: gen %s, tshark %s"
                                % (i, layer, mine or "-", ts or "-"))
            else:
                for x in mine:
                    agree[x] += 1
    info = ["tshark agrees on %d good, %d bad+partial, %d zero verdicts"
            % (agree["G"], agree["B"], agree["Z"])]
    if skipped:
        info.append("%d malformed frames not compared" % skipped)
    return problems, info


# ---------------------------------------------------------------------------
# Expected result

def flow_key(v):
    m = v.meta
    a = (m["src"], m.get("sport", 0))
    z = (m["dst"], m.get("dport", 0))
    return (m["depth"], tuple(m["vlans"]), m["proto"], tuple(sorted([a, z])))


def event_for(kind, idx, v, full=True):
    m = v.meta
    e = {"type": kind, "pcap_cnt": idx, "src_ip": m["src"], "dest_ip": m["dst"]}
    if full and v.layer != "ipv4":
        e["proto"] = PROTONAME.get(m["proto"], m["proto"])
        if "sport" in m:
            e["src_port"], e["dest_port"] = m["sport"], m["dport"]
    if m["vlans"] and m["depth"] == 0:
        e["vlan"] = list(m["vlans"])
    return e


def expected_for(case, cap, models):
    table = {l: {v: 0 for v in VERDICTS} for l in LAYERS}
    events = []
    counts = {"%s_checksum_bad" % l: 0 for l in LAYERS}
    counts["tso_superframe"] = 0
    per_flow = {}
    partial_flows = set()
    reasons = {}
    malformed = 0
    for idx, (fr, m) in enumerate(zip(cap.frames, models), 1):
        # an IPv4 header verdict belongs to the flow of the L4 header it
        # carries: the flow key of a tunnel level is its last verdict's
        level_key = {}
        for v in m.verdicts:
            level_key[v.meta["depth"]] = flow_key(v)
        for v in m.verdicts:
            table[v.layer][v.verdict] += 1
            fk = level_key[v.meta["depth"]]
            if v.verdict == "bad":
                kind = "%s_checksum_bad" % v.layer
                counts[kind] += 1
                per_flow[(fk, kind)] = per_flow.get((fk, kind), 0) + 1
                events.append(event_for(kind, idx, v))
            elif v.verdict == "partial" and fk not in partial_flows:
                # first partial of a flow only: per-verdict or per-frame
                # counting and the rate limit cannot hide it
                partial_flows.add(fk)
                e = event_for("checksum_partial", idx, v, full=False)
                events.append(e)
        if m.tso:
            counts["tso_superframe"] += 1
            v0 = m.verdicts[0]
            fk = flow_key(m.verdicts[-1])
            per_flow[(fk, "tso")] = per_flow.get((fk, "tso"), 0) + 1
            events.append({"type": "tso_superframe", "pcap_cnt": idx,
                           "src_ip": v0.meta["src"], "dest_ip": v0.meta["dst"]})
        if m.malformed:
            malformed += 1
            if not fr.ambiguous_reason:
                reasons[m.malformed] = reasons.get(m.malformed, 0) + 1
    for (fk, kind), n in per_flow.items():
        if n > 10:
            raise GenError("%s: %d %s events in one flow (rate limit is 10)"
                           % (case.name, n, kind))
    stats = {"packets": len(cap.frames)}
    if all(len(f.data) == f.wirelen for f in cap.frames):
        stats["bytes"] = sum(f.wirelen for f in cap.frames)
    stats["checksum"] = table
    stats["anomalies"] = dict(counts)
    stats["malformed"] = {"total": malformed}
    exp = {"description": case.description}
    if case.args:
        exp["args"] = list(case.args)
    exp["stats"] = stats
    exp["anomaly_event_counts"] = dict(counts)
    exp["anomaly_events"] = events
    if malformed:
        exp["malformed_reasons_informative"] = reasons
    if case.informative:
        exp.update(case.informative)
    return exp


def dump_expected(exp):
    """JSON with one anomaly event per line (readable diffs)."""
    out = ["{"]
    items = list(exp.items())
    for n, (k, v) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        if k == "anomaly_events":
            out.append('  "anomaly_events": [')
            for j, e in enumerate(v):
                out.append("    " + json.dumps(e) + ("," if j < len(v) - 1 else ""))
            out.append("  ]" + comma)
        elif k == "stats":
            out.append('  "stats": {')
            sitems = list(v.items())
            for j, (sk, sv) in enumerate(sitems):
                sc = "," if j < len(sitems) - 1 else ""
                if sk == "checksum":
                    out.append('    "checksum": {')
                    for li, (layer, tab) in enumerate(sv.items()):
                        out.append("      %-9s %s%s" % (json.dumps(layer) + ":", json.dumps(tab),
                                                        "," if li < len(sv) - 1 else ""))
                    out.append("    }" + sc)
                else:
                    out.append("    %s: %s%s" % (json.dumps(sk), json.dumps(sv), sc))
            out.append("  }" + comma)
        else:
            out.append("  %s: %s%s" % (json.dumps(k), json.dumps(v), comma))
    out.append("}")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# The cases

CASES = []


class Case:
    def __init__(self, name, fn, description, args=(), informative=None):
        self.name = name
        self.fn = fn
        self.description = description
        self.args = args
        self.informative = informative or {}


def case(name, description, args=(), informative=None):
    def deco(fn):
        CASES.append(Case(name, fn, description, args, informative))
        return fn
    return deco


# Shared lab: KVM guests on a Linux bridge (52:54:00 = QEMU OUI)
GW_MAC = "52:54:00:00:00:01"


@case("csum-ipv4-mixed",
      "TCP/UDP/ICMP over IPv4 on a mirror port (frames padded to 60 bytes): "
      "good and bad L4 checksums, bad IPv4 header checksums (one with "
      "options), IPv4 options (record route, router alert), IGMP (not "
      "counted), UDP checksum 0 (zero), odd payload lengths, fragmented ICMP "
      "and UDP datagrams (first fragment unverifiable, later ones no L4 "
      "verdict).")
def c_ipv4_mixed(cap, rng):
    cli = Host("52:54:00:01:00:0a", "10.1.0.10", ipid=0x1f00)
    srv = Host("52:54:00:01:00:14", "10.1.0.20", ipid=0x4a00)
    dns = Host("52:54:00:01:00:01", "10.1.0.1", ipid=0x0100)
    padw = lambda p, fc: eth((cli if fc else srv).mac, (srv if fc else cli).mac,
                             p, pad=True)
    # 1: an HTTP fetch; one data segment damaged and retransmitted
    c = Conn(cap, cli, srv, 40312, 80, wrap=padw, isn_c=0x3b9ac9ff, isn_s=0x7ee1c0de)
    c.handshake()
    c.seg(True, "PA", http_get("10.1.0.20", "/index.txt"))
    c.seg(False, "A", dt=300)
    body = http_resp(2001)  # odd length overall
    c.seg(False, "PA", body[:1448], dt=200)
    s2 = c.seq[False]
    c.seg(False, "PA", body[1448:], l4v="bad", dt=10,
          note="damaged, retransmitted next")
    c.seg(True, "A", dt=300)
    c.seg(False, "PA", body[1448:], seq=s2, dt=200000, note="retransmission")
    c.seq[False] = s2 + len(body) - 1448
    c.ack[True] = c.seq[False]
    c.seg(True, "A", dt=300)
    c.close()
    # 2: TCP with a bad IPv4 header checksum (TCP itself good), and a bad
    #    IPv4 header checksum that carries options
    c2 = Conn(cap, cli, srv, 40314, 22, wrap=padw, isn_c=0x11112222, isn_s=0x33334444)
    c2.handshake()
    c2.seg(True, "PA", b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", ipv="bad")
    c2.seg(True, "PA", b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", seq=c2.seq[True] - 32,
           dt=200000, note="retransmission after bad IPv4 header")
    c2.seg(False, "PA", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    c2.seg(True, "A")
    c2.seg(False, "RA", dt=5000)
    # 3: DNS: good, bad, zero (no checksum)
    for i, (name, v) in enumerate([("www.example.com", "good"),
                                   ("mail.example.com", "bad"),
                                   ("ntp.example.com", "zero"),
                                   ("git.example.com", "good")]):
        q = dns_query(0x1a00 + i, name)
        cap.add(eth(cli.mac, dns.mac, ip4(cli.ip, dns.ip, UDP(sport=51000 + i, dport=53) / Raw(q),
                                          l4v=v, ident=cli.next_id()), pad=True), dt=20000)
        a = dns_answer(0x1a00 + i, name, "192.0.2.%d" % (10 + i))
        cap.add(eth(dns.mac, cli.mac, ip4(dns.ip, cli.ip, UDP(sport=53, dport=51000 + i) / Raw(a),
                                          l4v="zero" if i == 3 else "good",
                                          ident=dns.next_id(), df=False), pad=True), dt=800)
    # 4: ICMP echo: good pair, one bad request, record-route (IPv4 options)
    for seq, (rv, pv) in enumerate([("good", "good"), ("bad", "good"), ("good", "good")], 1):
        d = ping_data()
        cap.add(eth(cli.mac, srv.mac, ip4(cli.ip, srv.ip, ICMP(type=8, id=0x4d2, seq=seq) / Raw(d),
                                          l4v=rv, ident=cli.next_id())), dt=1000000)
        cap.add(eth(srv.mac, cli.mac, ip4(srv.ip, cli.ip, ICMP(type=0, id=0x4d2, seq=seq) / Raw(d),
                                          l4v=pv, ident=srv.next_id(), df=False)), dt=400)
    rr = [IPOption_RR(routers=["0.0.0.0"] * 9)]
    rr_back = [IPOption_RR(routers=["10.1.0.20", "0.0.0.0", "0.0.0.0", "0.0.0.0",
                                    "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0", "0.0.0.0"],
                           pointer=8)]
    d = ping_data(31)  # odd ICMP length
    cap.add(eth(cli.mac, srv.mac, ip4(cli.ip, srv.ip, ICMP(type=8, id=0x4d3, seq=1) / Raw(d),
                                      options=rr, ident=cli.next_id())), dt=500000)
    cap.add(eth(srv.mac, cli.mac, ip4(srv.ip, cli.ip, ICMP(type=0, id=0x4d3, seq=1) / Raw(d),
                                      options=rr_back, ident=srv.next_id())), dt=300)
    cap.add(eth(cli.mac, srv.mac, ip4(cli.ip, srv.ip, ICMP(type=8, id=0x4d3, seq=2) / Raw(d),
                                      options=rr, ipv="bad", ident=cli.next_id())), dt=1000000)
    cap.add(eth(cli.mac, srv.mac, ip4(cli.ip, srv.ip, ICMP(type=8, id=0x4d3, seq=3) / Raw(d),
                                      options=rr, l4v="bad", ident=cli.next_id())), dt=1000000)
    # 5: IGMPv2 membership report with router alert: IPv4 counted, IGMP not
    cap.add(eth(cli.mac, "01:00:5e:01:01:01",
                ip4(cli.ip, "239.1.1.1", Raw(igmp_report("239.1.1.1")), proto=2,
                    options=[IPOption_Router_Alert()], ttl=1, tos=0xc0,
                    ident=cli.next_id(), df=False), pad=True), dt=50000)
    # 6: UDP with an odd length (syslog), good and bad; NTP good
    for v, msg in (("good", "<30>Mar  1 00:00:09 vm10 systemd[1]: Started x.service."),
                   ("bad", "<30>Mar  1 00:00:10 vm10 systemd[1]: Stopped x.service.")):
        cap.add(eth(cli.mac, srv.mac, ip4(cli.ip, srv.ip, UDP(sport=41514, dport=514) / Raw(msg.encode()),
                                          l4v=v, ident=cli.next_id()), pad=True), dt=30000)
    cap.add(eth(cli.mac, dns.mac, ip4(cli.ip, dns.ip, UDP(sport=123, dport=123) / Raw(ntp_client()),
                                      ident=cli.next_id()), pad=True), dt=30000)
    # 7: fragmented datagrams (ping -s 3000, a large UDP datagram): the
    #    first fragment's L4 checksum is unverifiable, later ones have none
    big = ip4(cli.ip, srv.ip, ICMP(type=8, id=0x4d4, seq=1) / Raw(ping_data(3000)),
              ident=cli.next_id(), df=False)
    for f in frag4(big, 1480):
        cap.add(eth(cli.mac, srv.mac, f), dt=20)
    big = ip4(srv.ip, cli.ip, UDP(sport=2049, dport=801) / Raw(payload(rng, 4000)),
              ident=srv.next_id(), df=False)
    for f in frag4(big, 1480):
        cap.add(eth(srv.mac, cli.mac, f), dt=20)


@case("csum-ipv6-mixed",
      "TCP/UDP/ICMPv6 over IPv6: good and bad; UDP checksum 0 over IPv6 "
      "(bad, not a tunnel); hop-by-hop (MLDv2); routing header type 0 with "
      "segments left (pseudo-header uses the final destination: a checker "
      "using the IPv6 destination calls these bad) and with segments left "
      "0; routing header type 2 (home address); Home Address destination "
      "option (pseudo-header source); mobility header (not counted); an "
      "atomic fragment (verified); fragmented UDP and ICMPv6 datagrams "
      "(first fragment unverifiable, later fragments no L4 verdict).")
def c_ipv6_mixed(cap, rng):
    a = Host("52:54:00:06:00:0a", ip6="2001:db8:1::10")
    b = Host("52:54:00:06:00:14", ip6="2001:db8:1::20")
    r1, r2 = "2001:db8:2::1", "2001:db8:3::1"
    hoa = "2001:db8:7::a"
    e = lambda p, fc=True: eth(a.mac if fc else b.mac, b.mac if fc else a.mac, p)
    # neighbour discovery
    cap.add(eth(a.mac, "33:33:ff:00:00:20",
                ip6("fe80::5054:ff:fe06:a", "ff02::1:ff00:20",
                    ICMPv6ND_NS(tgt=b.ip6) / ICMPv6NDOptSrcLLAddr(lladdr=a.mac), hlim=255)))
    cap.add(eth(b.mac, a.mac,
                ip6("fe80::5054:ff:fe06:14", "fe80::5054:ff:fe06:a",
                    ICMPv6ND_NA(tgt=b.ip6, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=b.mac),
                    hlim=255)), dt=200)
    # MLDv2 report behind a hop-by-hop router alert
    cap.add(eth(a.mac, "33:33:00:00:00:16",
                ip6("fe80::5054:ff:fe06:a", "ff02::16",
                    ICMPv6MLReport2(records=[ICMPv6MLDMultAddrRec(dst="ff02::fb")]),
                    ext=[IPv6ExtHdrHopByHop(options=[RouterAlert()])], hlim=1)), dt=5000)
    # TCP over IPv6, one bad segment retransmitted
    c = Conn(cap, a, b, 52100, 443, v6=True, isn_c=0x10203040, isn_s=0x50607080)
    c.handshake()
    c.seg(True, "PA", payload(rng, 517))  # TLS ClientHello-sized
    c.seg(False, "A")
    srv_seq = c.seq[False]
    c.seg(False, "PA", payload(rng, 1208), l4v="bad", note="damaged")
    c.seg(False, "PA", payload(rng, 1208), seq=srv_seq, dt=210000, note="retransmission")
    c.seq[False] = srv_seq + 1208
    c.ack[True] = c.seq[False]
    c.seg(True, "A")
    c.close()
    # UDP over IPv6: good, bad, zero (bad over IPv6, RFC 8200 §8.1)
    for v, sp in (("good", 53001), ("bad", 53002), ("zero6", 53003)):
        q = dns_query(sp & 0xFFFF, "www.example.net")
        p = ip6(a.ip6, "2001:db8:53::53", UDP(sport=sp, dport=53) / Raw(q),
                l4v="bad" if v == "zero6" else v)
        if v == "zero6":
            d = bytearray(p.data)
            d[46:48] = b"\0\0"
            p = P(d, [("udp", "bad")], "UDP checksum 0 over IPv6")
        cap.add(e(p), dt=20000)
    # ICMPv6 echo good / bad
    for sq, v in ((1, "good"), (2, "bad")):
        cap.add(e(ip6(a.ip6, b.ip6, ICMPv6EchoRequest(id=7, seq=sq, data=ping_data()), l4v=v)),
                dt=1000000)
        cap.add(e(ip6(b.ip6, a.ip6, ICMPv6EchoReply(id=7, seq=sq, data=ping_data())), False),
                dt=300)
    # hop-by-hop (PadN only) + UDP good
    cap.add(e(ip6(a.ip6, b.ip6, UDP(sport=38125, dport=8125) / Raw(b"hbh-test-payload"),
                  ext=[IPv6ExtHdrHopByHop(options=[PadN(optdata=b"\0\0\0\0")])])), dt=5000)
    # routing header type 0, segments left 2: TCP good / UDP good / ICMPv6
    # good / TCP bad for the final destination b
    for l4, v in ((TCP(sport=40001, dport=179, flags="S", seq=77,
                       options=[("MSS", 1440)]), "good"),
                  (UDP(sport=40002, dport=4242) / Raw(b"route0 udp"), "good"),
                  (ICMPv6EchoRequest(id=9, seq=1, data=b"route0"), "good"),
                  (TCP(sport=40003, dport=179, flags="S", seq=99), "bad")):
        rh = IPv6ExtHdrRouting(type=0, segleft=2, addresses=[r2, b.ip6])
        cap.add(e(ip6(a.ip6, r1, l4, ext=[rh], l4v=v),), dt=10000)
    # routing header type 0 already consumed (segments left 0): IPv6 dst
    rh = IPv6ExtHdrRouting(type=0, segleft=0, addresses=[r1, r2])
    cap.add(e(ip6(a.ip6, b.ip6, UDP(sport=40004, dport=4242) / Raw(b"segleft 0"), ext=[rh])),
            dt=10000)
    # routing header type 2 (MIPv6 correspondent -> mobile node's CoA)
    rh2 = IPv6ExtHdrRouting(type=2, segleft=1, addresses=[hoa])
    cap.add(e(ip6(b.ip6, "2001:db8:9::c0a", TCP(sport=443, dport=51515, flags="A", seq=5, ack=6),
                  ext=[rh2]), False), dt=10000)
    # Home Address destination option: TCP good, UDP bad, ICMPv6 good
    for l4, v in ((TCP(sport=51515, dport=443, flags="A", seq=6, ack=5), "good"),
                  (UDP(sport=51516, dport=4242) / Raw(b"hoa udp"), "bad"),
                  (ICMPv6EchoRequest(id=10, seq=1, data=b"hoa"), "good")):
        do = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0\0"), HAO(hoa=hoa)])
        # scapy's in6_chksum only looks for HAO as the first option; with the
        # PadN that RFC 6275's 8n+6 alignment needs, it is second
        cap.add(e(ip6("2001:db8:9::c0a", b.ip6, l4, ext=[do], l4v=v, scapy_checks=False)),
                dt=10000)
    # mobility header (binding refresh request): no counted checksum
    mh = bytearray(struct.pack("!BBBBHH", 59, 0, 0, 0, 0, 0))
    cap.add(e(ip6(b.ip6, hoa, Raw(bytes(mh)), nh=135), False), dt=10000)
    # atomic fragment (RFC 6946): verified like an unfragmented packet
    cap.add(e(ip6(a.ip6, b.ip6, TCP(sport=52100, dport=443, flags="A", seq=c.seq[True],
                                     ack=c.ack[True]) / Raw(b"atomic"),
                  ext=[IPv6ExtHdrFragment(id=0x1234, m=0, offset=0)])), dt=10000)
    # fragmented UDP (3 fragments) and ICMPv6 echo (2 fragments)
    big = ip6(a.ip6, b.ip6, UDP(sport=33000, dport=9999) / Raw(payload(rng, 3000)))
    for f in frag6(big, 1448, 0xdeadbeef):
        cap.add(e(f), dt=50)
    bigp = ip6(a.ip6, b.ip6, ICMPv6EchoRequest(id=11, seq=1, data=ping_data(2000)))
    for f in frag6(bigp, 1448, 0xdeadbef0):
        cap.add(e(f), dt=50)


@case("csum-partial-offload",
      "An offloading sender (Linux veth, capture on the sender) whose TCP and "
      "UDP checksums hold the pseudo-header sum with the real length "
      "(CHECKSUM_PARTIAL), some frames also with IPv4 header checksum "
      "0x0000; IPv4 and IPv6; the peers' replies are good.")
def c_partial(cap, rng):
    snd = Host("52:54:00:0f:00:05", "10.2.0.5", "2001:db8:2::5", ipid=0x2200)
    web = Host("52:54:00:0f:00:10", "10.2.0.16", "2001:db8:2::16", ipid=0x6600)
    dns = Host("52:54:00:0f:00:01", "10.2.0.1", "2001:db8:2::1", ipid=0x0700)
    # Linux TX: every segment of the sender is partial; the SYN/ACK-only
    # segments too (CHECKSUM_PARTIAL for all TCP on a veth)
    for v6, port in ((False, 36000), (True, 36002)):
        c = Conn(cap, snd, web, port, 8443, v6=v6, isn_c=0x01000000 + port,
                 isn_s=0x0a000000 + port)
        c.seg(True, "S", opts=linux_syn_opts(1000), win=64240, l4v="partial", dt=2000)
        c.seg(False, "SA", opts=linux_syn_opts(2000), win=65160, dt=100)
        c.seg(True, "A", l4v="partial", dt=50)
        c.seg(True, "PA", http_get("api.example.com", "/v1/status"), l4v="partial")
        c.seg(False, "A", dt=120)
        c.seg(False, "PA", http_resp(700), dt=500)
        c.seg(True, "A", l4v="partial", dt=40)
        for i in range(3):  # full-sized segments (MSS minus timestamps)
            c.seg(True, "PA", payload(rng, 1428 if v6 else 1448), l4v="partial", dt=30)
        c.seg(False, "A", dt=120)
        c.seg(True, "FA", l4v="partial", dt=1000)
        c.seg(False, "FA", dt=100)
        c.seg(True, "A", l4v="partial", dt=40)
    # IPv4 header checksum left to the NIC as well (0x0000): the pattern of
    # zeek's kerberos_tso capture
    c = Conn(cap, snd, web, 36004, 88, isn_c=0x0bad0000, isn_s=0x0dad0000)
    c.seg(True, "S", opts=linux_syn_opts(3000), win=64240, l4v="partial",
          ipv="partial", dt=2000)
    c.seg(False, "SA", opts=linux_syn_opts(4000), win=65160, dt=100)
    c.seg(True, "A", l4v="partial", ipv="partial", dt=50)
    c.seg(True, "PA", payload(rng, 245), l4v="partial", ipv="partial")
    c.seg(False, "PA", payload(rng, 1130), dt=300)
    c.seg(True, "A", l4v="partial", ipv="partial", dt=40)
    c.seg(True, "RA", l4v="partial", ipv="good", dt=40)
    # UDP: DNS queries partial (IPv4 and IPv6), answers good
    for i in range(3):
        for v6 in (False, True):
            q = dns_query(0x3000 + i * 2 + v6, "svc%d.example.org" % i)
            l4 = UDP(sport=45000 + i, dport=53) / Raw(q)
            p = ip6(snd.ip6, dns.ip6, l4, l4v="partial") if v6 else \
                ip4(snd.ip, dns.ip, l4, l4v="partial", ident=snd.next_id())
            cap.add(eth(snd.mac, dns.mac, p), dt=3000)
            an = dns_answer(0x3000 + i * 2 + v6, "svc%d.example.org" % i, "192.0.2.%d" % (40 + i))
            l4 = UDP(sport=53, dport=45000 + i) / Raw(an)
            p = ip6(dns.ip6, snd.ip6, l4) if v6 else \
                ip4(dns.ip, snd.ip, l4, ident=dns.next_id(), df=False)
            cap.add(eth(dns.mac, snd.mac, p), dt=400)
    # a UDP datagram with both IPv4 0x0000 and partial UDP
    cap.add(eth(snd.mac, dns.mac, ip4(snd.ip, dns.ip, UDP(sport=45123, dport=123) / Raw(ntp_client()),
                                      l4v="partial", ipv="partial", ident=snd.next_id())), dt=3000)


@case("tso-superframes",
      "A KVM guest (52:54:00:5e:00:0a, 10.3.0.10) leaks TSO super-frames onto "
      "the bridge: 4434-byte and 9014-byte frames whose TCP checksums are "
      "partial with length 0 (some with IPv4 header checksum 0x0000) or "
      "corrupt (bad); two IPv4 total-length-0 'presumed TSO' frames (IPv4 "
      "0x0000, TCP partial with length 0, L4 length from the frame), one of "
      "2030 bytes and one of 1054 bytes (a super-frame by the zero length "
      "alone); the bad ones resent as normal 1514-byte frames (not "
      "super-frames).")
def c_tso(cap, rng):
    g = Host("52:54:00:5e:00:0a", "10.3.0.10", ipid=0x5000)
    s1 = Host("52:54:00:5e:00:14", "10.3.0.20", ipid=0x7000)
    s2 = Host("52:54:00:5e:00:1e", "10.3.0.30", ipid=0x7100)
    c = Conn(cap, g, s1, 50000, 5201, ts=False, isn_c=0x20000000, isn_s=0x30000000)
    c.handshake()
    c.seg(True, "PA", payload(rng, 37))
    c.seg(False, "A", dt=200)
    # presumed TSO (IPv4 total length 0, like tcpdump's ipv4_tcp_http_xml_tso)
    c.seg(True, "PA", payload(rng, 1976), ipv="partial", l4v="partial", len0=True,
          tso0=True, tso=True, note="IPv4 total length 0")
    c.seg(False, "A", dt=300)
    # the same below the MTU: total length 0 alone makes it a super-frame
    c.seg(True, "PA", payload(rng, 1000), ipv="partial", l4v="partial", len0=True,
          tso0=True, tso=True, note="IPv4 total length 0, 1054-byte frame")
    c.seg(False, "A", dt=300)
    plan = [("partial", "partial"), ("partial", "good"), ("bad", "good"),
            ("partial", "partial"), ("bad", "good"), ("partial", "good"),
            ("bad", "good")]  # (TCP, IPv4 header)
    for l4v, ipv in plan:
        data = payload(rng, 4380)  # 3 x 1460 -> 4434-byte frame
        s = c.seq[True]
        c.seg(True, "PA", data, l4v=l4v, ipv=ipv, tso0=l4v == "partial", tso=True,
              dt=3000, note="super-frame 4434")
        if l4v == "bad":
            # resent as MSS-sized segments: normal frames, good checksums
            for k in range(3):
                c.seg(True, "A" if k < 2 else "PA", data[k * 1460:(k + 1) * 1460],
                      seq=(s + k * 1460) & 0xFFFFFFFF, dt=200000 if k == 0 else 20,
                      note="1514-byte retransmission")
            c.seq[True] = (s + 4380) & 0xFFFFFFFF
            c.ack[False] = c.seq[True]
        c.seg(False, "A", dt=150)
    for k in range(2):
        c.seg(True, "PA", payload(rng, 1460), dt=500, note="normal 1514 frame")
    c.seg(False, "A", dt=150)
    c.close()
    # second flow: 9014-byte frames (9000-byte IP datagrams)
    c = Conn(cap, g, s2, 50002, 443, ts=True, isn_c=0x21000000, isn_s=0x31000000)
    c.handshake()
    for l4v in ("partial", "bad"):
        data = payload(rng, 9000 - 20 - 32)
        s = c.seq[True]
        c.seg(True, "PA", data, l4v=l4v, tso0=l4v == "partial", tso=True, dt=2000,
              note="super-frame 9014")
        if l4v == "bad":
            n = 0
            while n < len(data):
                c.seg(True, "A", data[n:n + 1448], seq=(s + n) & 0xFFFFFFFF,
                      dt=210000 if n == 0 else 15, note="retransmission")
                n += 1448
            c.seq[True] = (s + len(data)) & 0xFFFFFFFF
            c.ack[False] = c.seq[True]
        c.seg(False, "A", dt=150)
    c.close()


def _vtep_wrap(outer_src, outer_dst, mk_outer, inner_c, inner_s):
    """wrap() for Conn: inner Ethernet frame inside a tunnel built by mk_outer."""
    def wrap(p, fc):
        inner = eth(inner_c.mac if fc else inner_s.mac,
                    inner_s.mac if fc else inner_c.mac, p)
        return mk_outer(inner, fc)
    return wrap


@case("tunnel-vxlan-geneve",
      "VXLAN and GENEVE between hypervisors, IPv4 and IPv6 outer: inner "
      "TCP/UDP/ICMP good and bad, an inner bad IPv4 header; outer UDP "
      "checksum 0 over IPv4 (zero) and over IPv6 (zero: tunnel, RFC 6935), "
      "outer UDP checksums computed (good), one outer UDP partial, one outer "
      "UDP bad. Inner anomaly events carry the inner addresses.")
def c_tunnels(cap, rng):
    h1 = Host("52:54:00:aa:00:01", "192.0.2.10", "2001:db8:ff::10", ipid=0x0100)
    h2 = Host("52:54:00:aa:00:02", "192.0.2.20", "2001:db8:ff::20", ipid=0x0200)
    vm1 = Host("52:54:00:10:00:01", "10.10.0.1", "2001:db8:a::1", ipid=0x1100)
    vm2 = Host("52:54:00:10:00:02", "10.10.0.2", "2001:db8:a::2", ipid=0x1200)

    def outer(kind, v6, outer_l4v="zero", sport=None):
        def mk(inner, fc):
            a, z = (h1, h2) if fc else (h2, h1)
            sp = sport or (49152 + (len(cap.frames) * 7919) % 16000)
            if kind == "vxlan":
                body, dp = vxlan(4242, inner), VXLAN_PORT
            else:
                opt = struct.pack("!HBBI", 0x0104, 0x80, 1, 0x0000beef)  # one TLV
                body, dp = geneve(4343, inner, options=opt), GENEVE_PORT
            l4 = UDP(sport=sp, dport=dp) / Raw(body.data)
            if v6:
                p = ip6(a.ip6, z.ip6, l4, l4v=outer_l4v, inner=body.tags)
            else:
                p = ip4(a.ip, z.ip, l4, l4v=outer_l4v, inner=body.tags,
                        ident=a.next_id(), df=False)
            return eth(a.mac, z.mac, p)
        return mk

    # VXLAN/IPv4, outer zero (Linux default): inner TCP with 2 bad segments
    w = _vtep_wrap(h1, h2, outer("vxlan", False), vm1, vm2)
    c = Conn(cap, vm1, vm2, 34000, 80, wrap=w, isn_c=0x44440000, isn_s=0x55550000)
    c.handshake()
    c.seg(True, "PA", http_get("10.10.0.2", "/a"))
    c.seg(False, "A", dt=200)
    s = c.seq[False]
    resp = http_resp(1200)
    c.seg(False, "PA", resp, l4v="bad", note="inner TCP bad")
    c.seg(False, "PA", resp, seq=s, dt=200000, note="retransmission")
    c.seq[False] = s + len(resp)
    c.ack[True] = c.seq[False]
    c.seg(True, "A")
    c.seg(True, "PA", http_get("10.10.0.2", "/b"), l4v="bad")
    c.close()
    # VXLAN/IPv4, inner UDP good / bad, inner ICMP good, inner IPv4 bad
    mk = outer("vxlan", False)
    for l4, v, ipv in ((UDP(sport=5000, dport=5001) / Raw(payload(rng, 200)), "good", "good"),
                       (UDP(sport=5000, dport=5001) / Raw(payload(rng, 201)), "bad", "good"),
                       (ICMP(type=8, id=3, seq=1) / Raw(ping_data()), "good", "good"),
                       (UDP(sport=5000, dport=5001) / Raw(payload(rng, 64)), "good", "bad")):
        inner = eth(vm1.mac, vm2.mac, ip4(vm1.ip, vm2.ip, l4, l4v=v, ipv=ipv,
                                          ident=vm1.next_id()))
        cap.add(mk(inner, True), dt=5000)
    # VXLAN/IPv4 with the outer UDP checksum computed (good), inner good; one
    # outer bad; one outer partial (offloading VTEP)
    for ov in ("good", "bad", "partial"):
        mk = outer("vxlan", False, outer_l4v=ov)
        inner = eth(vm1.mac, vm2.mac, ip4(vm1.ip, vm2.ip,
                                          UDP(sport=6000, dport=6001) / Raw(payload(rng, 100)),
                                          ident=vm1.next_id()))
        cap.add(mk(inner, True), dt=5000)
    # VXLAN/IPv6 outer, zero outer checksum (tunnel: zero), inner IPv6 TCP
    w = _vtep_wrap(h1, h2, outer("vxlan", True), vm1, vm2)
    c = Conn(cap, vm1, vm2, 34100, 443, v6=True, wrap=w, isn_c=0x66660000, isn_s=0x77770000)
    c.handshake()
    c.seg(True, "PA", payload(rng, 300))
    c.seg(False, "PA", payload(rng, 900), l4v="bad")
    c.seg(True, "A")
    c.close()
    # GENEVE/IPv4 (outer zero), inner TCP good/bad, inner UDP bad
    w = _vtep_wrap(h1, h2, outer("geneve", False), vm1, vm2)
    c = Conn(cap, vm1, vm2, 34200, 8080, wrap=w, isn_c=0x12340000, isn_s=0x43210000)
    c.handshake()
    c.seg(True, "PA", http_get("10.10.0.2", "/g"), l4v="bad")
    c.seg(True, "PA", http_get("10.10.0.2", "/g"), seq=c.seq[True] - 78, dt=200000)
    c.seg(False, "PA", http_resp(300))
    c.seg(True, "A")
    c.close()
    mk = outer("geneve", False, outer_l4v="good")
    cap.add(mk(eth(vm2.mac, vm1.mac, ip4(vm2.ip, vm1.ip, UDP(sport=7000, dport=7001) /
                                         Raw(payload(rng, 99)), l4v="bad",
                                         ident=vm2.next_id())), False), dt=5000)
    # GENEVE/IPv6 outer zero (tunnel: zero), inner IPv4 TCP + inner ICMPv6
    w = _vtep_wrap(h1, h2, outer("geneve", True), vm1, vm2)
    c = Conn(cap, vm1, vm2, 34300, 5432, wrap=w, isn_c=0x0f0f0000, isn_s=0xf0f00000)
    c.handshake()
    c.seg(True, "PA", payload(rng, 120))
    c.seg(False, "PA", payload(rng, 80), l4v="bad")
    c.close()
    mk = outer("geneve", True)
    cap.add(mk(eth(vm1.mac, vm2.mac, ip6(vm1.ip6, vm2.ip6,
                                         ICMPv6EchoRequest(id=5, seq=1, data=ping_data()),
                                         l4v="bad")), True), dt=5000)
    cap.add(mk(eth(vm2.mac, vm1.mac, ip6(vm2.ip6, vm1.ip6,
                                         ICMPv6EchoReply(id=5, seq=1, data=ping_data()))),
               False), dt=300)


@case("tunnel-gre-erspan",
      "GRE (IPv4 and IPv6 payloads, with key, one with the GRE checksum "
      "present: not counted), GRE transparent Ethernet bridging (0x6558), "
      "ERSPAN type II (0x88be) and type III (0x22eb, with and without the "
      "platform-specific subheader) carrying mirrored Ethernet frames with "
      "good and bad inner checksums; one bad outer IPv4 header.")
def c_gre(cap, rng):
    r1 = Host("52:54:00:bb:00:01", "192.0.2.1", "2001:db8:e::1", ipid=0x0a00)
    r2 = Host("52:54:00:bb:00:02", "192.0.2.2", "2001:db8:e::2", ipid=0x0b00)
    a = Host("52:54:00:20:00:0a", "10.20.0.10", "2001:db8:20::a", ipid=0x2a00)
    z = Host("52:54:00:20:00:14", "10.20.1.20", "2001:db8:21::14", ipid=0x2b00)

    def gre_out(ginner, fc=True, ipv="good", v6=False):
        s, d = (r1, r2) if fc else (r2, r1)
        if v6:
            p = ip6(s.ip6, d.ip6, Raw(ginner.data), nh=47, inner=ginner.tags)
        else:
            p = ip4(s.ip, d.ip, Raw(ginner.data), proto=47, ipv=ipv, inner=ginner.tags,
                    ident=s.next_id(), ttl=255)
        return eth(s.mac, d.mac, p)

    # plain GRE with key, inner IPv4 TCP conversation, one bad inner segment
    def w_gre(p, fc):
        return gre_out(gre(ETH_P_IP, p, key=100), fc)
    c = Conn(cap, a, z, 45000, 80, wrap=w_gre, isn_c=0x0abc0000, isn_s=0x0def0000)
    c.handshake()
    c.seg(True, "PA", http_get("10.20.1.20"))
    c.seg(False, "PA", http_resp(500), l4v="bad")
    c.seg(False, "PA", http_resp(500), seq=c.seq[False] - len(http_resp(500)), dt=200000)
    c.seg(True, "A")
    c.close()
    # GRE with checksum + key: inner ICMP good and bad; one bad outer IPv4
    d = ping_data()
    for v, ipv in (("good", "good"), ("bad", "good"), ("good", "bad")):
        ip = ip4(a.ip, z.ip, ICMP(type=8, id=21, seq=1) / Raw(d), l4v=v, ident=a.next_id())
        cap.add(gre_out(gre(ETH_P_IP, ip, key=101, csum=True), ipv=ipv), dt=3000)
    # GRE over IPv6 carrying IPv6 ICMPv6
    ip = ip6(a.ip6, z.ip6, ICMPv6EchoRequest(id=22, seq=1, data=d))
    cap.add(gre_out(gre(ETH_P_IPV6, ip), v6=True), dt=3000)
    # GRE transparent Ethernet bridging (0x6558): inner UDP good / bad
    for v in ("good", "bad", "good"):
        fr = eth(a.mac, z.mac, ip4(a.ip, z.ip, UDP(sport=9000, dport=9001) /
                                   Raw(payload(rng, 333)), l4v=v, ident=a.next_id()))
        cap.add(gre_out(gre(ETH_P_TEB, fr, key=7)), dt=3000)
    # ERSPAN type II: a mirrored TCP conversation (GRE seq present)
    seqno = [1]

    def w_e2(p, fc):
        fr = eth(a.mac if fc else z.mac, z.mac if fc else a.mac, p)
        seqno[0] += 1
        return gre_out(gre(ETH_P_ERSPAN2, erspan2(77, fr), seq=seqno[0]))
    c = Conn(cap, a, z, 45100, 443, wrap=w_e2, isn_c=0x0c0c0000, isn_s=0x0e0e0000)
    c.handshake()
    c.seg(True, "PA", payload(rng, 517), l4v="bad")
    c.seg(True, "PA", payload(rng, 517), seq=c.seq[True] - 517, dt=200000)
    c.seg(False, "PA", payload(rng, 1300))
    c.seg(True, "A")
    c.close()
    # ERSPAN type III without / with the platform-specific subheader
    for i, (plat, v, v6) in enumerate(((None, "good", False), (None, "bad", False),
                                       (b"\x08\0\0\0\x12\x34\x56\x78", "good", False),
                                       (b"\x08\0\0\0\x12\x34\x56\x79", "bad", True),
                                       (b"\x08\0\0\0\x12\x34\x56\x7a", "good", True))):
        l4 = UDP(sport=9100 + i, dport=9200) / Raw(payload(rng, 150 + i))
        ip = ip6(a.ip6, z.ip6, l4, l4v=v) if v6 else \
            ip4(a.ip, z.ip, l4, l4v=v, ident=a.next_id())
        fr = eth(a.mac, z.mac, ip)
        seqno[0] += 1
        cap.add(gre_out(gre(ETH_P_ERSPAN3, erspan3(88, fr, ts=123456 + i, platform=plat),
                            seq=seqno[0])), dt=3000)


@case("vlan-qinq",
      "802.1Q (VLAN 100), QinQ with 0x88a8 outer (S-VLAN 200, C-VLAN 100) and "
      "0x9100 outer (300, 30): TCP/UDP/ICMP/ICMPv6 good and bad; tagged "
      "1518/1522-byte frames with 1500-byte IP datagrams (not super-frames); "
      "anomaly events carry vlan (outermost first); ARP not counted.")
def c_vlan(cap, rng):
    a = Host("52:54:00:30:00:0a", "10.30.0.10", "2001:db8:30::a", ipid=0x3000)
    z = Host("52:54:00:30:00:14", "10.30.0.20", "2001:db8:30::14", ipid=0x3100)
    tags = {"q": [(ETH_P_8021Q, 100, 0)],
            "ad": [(ETH_P_8021AD, 200, 0), (ETH_P_8021Q, 100, 3)],
            "9100": [(ETH_P_QINQ1, 300, 0), (ETH_P_8021Q, 30, 0)]}
    arp = arp_frame(a.mac, a.ip, z.ip)
    cap.add(P(arp.data[:12] + struct.pack("!HH", ETH_P_8021Q, 100) + arp.data[12:]))
    for key, port in (("q", 41000), ("ad", 41001), ("9100", 41002)):
        vl = tags[key]
        w = lambda p, fc, vl=vl: eth((a if fc else z).mac, (z if fc else a).mac, p,
                                     vlans=vl, pad=True)
        c = Conn(cap, a, z, port, 80, wrap=w, isn_c=0x1000 * port, isn_s=0x2000 * port)
        c.handshake()
        c.seg(True, "PA", http_get("10.30.0.20"))
        s = c.seq[False]
        c.seg(False, "A", payload(rng, 1448), note="1500-byte IP datagram")
        c.seg(False, "PA", payload(rng, 300), l4v="bad")
        c.seg(False, "PA", payload(rng, 300), seq=s + 1448, dt=200000)
        c.seg(True, "A")
        c.close()
        cap.add(w(ip4(a.ip, z.ip, UDP(sport=port, dport=53) / Raw(dns_query(port, "x.example")),
                      ident=a.next_id()), True), dt=2000)
        cap.add(w(ip4(z.ip, a.ip, UDP(sport=53, dport=port) /
                      Raw(dns_answer(port, "x.example", "192.0.2.7")),
                      l4v="bad", ident=z.next_id()), False), dt=400)
        cap.add(w(ip4(a.ip, z.ip, ICMP(type=8, id=port, seq=1) / Raw(ping_data()),
                      l4v="bad" if key == "ad" else "good", ident=a.next_id()), True), dt=2000)
        cap.add(w(ip4(z.ip, a.ip, ICMP(type=0, id=port, seq=1) / Raw(ping_data()),
                      ipv="bad" if key == "9100" else "good", ident=z.next_id()), False), dt=300)
        cap.add(w(ip6(a.ip6, z.ip6, ICMPv6EchoRequest(id=port & 0xFFFF, seq=1, data=ping_data()),
                      l4v="bad" if key == "q" else "good"), True), dt=2000)


def _mk_ipv4_raw(src, dst, proto, body, ihl=5, tot=None, version=4, ident=0x4242,
                 csum=True):
    """A 20-byte IPv4 header with any IHL/length/version claimed, + body."""
    h = bytearray(struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, 0,
                              tot if tot is not None else 20 + len(body), ident,
                              0x4000, 64, proto, 0, ipaddress.ip_address(src).packed,
                              ipaddress.ip_address(dst).packed))
    if csum:
        struct.pack_into("!H", h, 10, csum_field(bytes(h)))
    return bytes(h) + body


@case("malformed-garbage",
      "Garbage first: runts (1, 6, 13 bytes), random bytes after an IPv4/IPv6 "
      "ethertype with a wrong IP version, IHL < 5, IPv4 total length beyond "
      "the frame and below the header, IPv6 payload length beyond the frame, "
      "TCP data offset 2 and beyond the segment, truncated UDP/TCP/IPv4/IPv6/"
      "802.1Q headers; then healthy packets that must be verified normally. "
      "A checksum whose field and covered bytes are all in the frame gets its "
      "verdict even when another field of its header is malformed (IPv4 "
      "length errors: IPv4 verdict; TCP data offset: TCP verdict); nothing "
      "inside a malformed header is decoded; a cut header has no verdict. "
      "Reason names in malformed_reasons_informative "
      "(runt, ip_version, ipv4_ihl, ip_len_beyond_frame, tcp_doff, "
      "header_cut) are assumptions: reported, not asserted; IPv4 total "
      "length < IHL and the cut 802.1Q tag only count in the total.")
def c_malformed(cap, rng):
    a = Host("52:54:00:40:00:0a", "10.40.0.10", ipid=0x4000)
    z = Host("52:54:00:40:00:14", "10.40.0.20", ipid=0x4100)
    ehdr = bytes(Ether(src=a.mac, dst=z.mac, type=0))[:12]
    for n in (1, 6, 13):
        cap.add(P(payload(rng, n)), malformed="runt", note="runt %d bytes" % n)
    for et, ver in ((ETH_P_IP, 5), (ETH_P_IP, 0), (ETH_P_IP, 15), (ETH_P_IPV6, 9)):
        body = bytearray(payload(rng, 46 + rng.randrange(200)))
        body[0] = (ver << 4) | (body[0] & 15)
        cap.add(P(ehdr + struct.pack("!H", et) + bytes(body)), malformed="ip_version",
                note="random bytes, IP version %d" % ver)
    tcp20 = bytes(TCP(sport=1234, dport=80, flags="S", seq=1))
    for ihl in (3, 0):
        ipb = _mk_ipv4_raw(a.ip, z.ip, 6, tcp20, ihl=ihl)
        cap.add(P(ehdr + b"\x08\0" + ipb), malformed="ipv4_ihl", note="IHL %d" % ihl)
    # IPv4 length errors: the header (and its checksum, good) is intact
    v4ok = [("ipv4", "good")]
    ipb = _mk_ipv4_raw(a.ip, z.ip, 17, bytes(UDP(sport=1, dport=2)) + b"x" * 18, tot=1500)
    cap.add(P(ehdr + b"\x08\0" + ipb, v4ok), malformed="ip_len_beyond_frame",
            note="IPv4 total length 1500 in a 60-byte frame")
    ipb = _mk_ipv4_raw(a.ip, z.ip, 6, tcp20 + b"y" * 60, tot=100)
    cap.add(P(ehdr + b"\x08\0" + ipb[:80], v4ok), malformed="ip_len_beyond_frame",
            note="IPv4 total length 100, 80 bytes present")
    ipb = _mk_ipv4_raw(a.ip, z.ip, 6, tcp20, tot=16)
    cap.add(P(ehdr + b"\x08\0" + ipb, v4ok), malformed="ip_len_short",
            ambiguous_reason=True, note="IPv4 total length 16 < IHL")
    v6 = bytearray(raw(IPv6(src="2001:db8:40::a", dst="2001:db8:40::14") /
                       UDP(sport=1, dport=2) / Raw(b"z" * 10)))
    struct.pack_into("!H", v6, 4, 400)
    cap.add(P(ehdr + b"\x86\xdd" + bytes(v6)), malformed="ip_len_beyond_frame",
            note="IPv6 payload length 400, 18 present")
    for doff, extra in ((2, b""), (15, b"")):
        t = bytearray(tcp20 + extra)
        t[12] = doff << 4
        # the checksum field and the bytes it covers are all there: the
        # TCP checksum (good) still gets its verdict
        p = ip4(a.ip, z.ip, Raw(bytes(t)), proto=6, l4v="good", ident=a.next_id(),
                scapy_checks=False)
        cap.add(eth(a.mac, z.mac, p), malformed="tcp_doff",
                note="TCP data offset %d" % doff)
    ipb = ip4(a.ip, z.ip, Raw(b"\x30\x39\x00\x35"), proto=17, l4v=None, ident=a.next_id())
    cap.add(eth(a.mac, z.mac, P(ipb.data, [("ipv4", "good")])), malformed="header_cut",
            note="UDP header of 4 bytes")
    ipb = ip4(a.ip, z.ip, Raw(tcp20[:10]), proto=6, l4v=None, ident=a.next_id())
    cap.add(eth(a.mac, z.mac, P(ipb.data, [("ipv4", "good")])), malformed="header_cut",
            note="TCP header of 10 bytes")
    ipb = _mk_ipv4_raw(a.ip, z.ip, 6, tcp20)
    cap.add(P(ehdr + b"\x08\0" + ipb[:12]), malformed="header_cut", note="IPv4 header cut")
    cap.add(P(ehdr + b"\x86\xdd" + bytes(v6[:30])), malformed="header_cut",
            note="IPv6 header cut")
    cap.add(P(ehdr + b"\x81\x00\x00"), malformed="header_cut", ambiguous_reason=True,
            note="802.1Q tag cut")
    # healthy traffic afterwards
    c = Conn(cap, a, z, 42000, 80, isn_c=0x77000000, isn_s=0x88000000)
    c.wrap = lambda p, fc: eth((a if fc else z).mac, (z if fc else a).mac, p, pad=True)
    c.handshake()
    c.seg(True, "PA", http_get("10.40.0.20"))
    c.seg(False, "PA", http_resp(400), l4v="bad")
    c.seg(False, "PA", http_resp(400), seq=c.seq[False] - len(http_resp(400)), dt=200000)
    c.seg(True, "A")
    c.close()
    for v in ("good", "bad", "good"):
        cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, UDP(sport=38125, dport=8125) /
                                      Raw(payload(rng, 40)), l4v=v, ident=a.next_id()),
                    pad=True), dt=1000)
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, ICMP(type=8, id=1, seq=1) / Raw(ping_data()),
                                  ident=a.next_id())), dt=1000)
    cap.add(eth(z.mac, a.mac, ip4(z.ip, a.ip, ICMP(type=0, id=1, seq=1) / Raw(ping_data()),
                                  ident=z.next_id())), dt=300)


@case("truncated-snaplen",
      "Captured with snaplen 96 (caplen < wirelen): L4 checksums of cut "
      "packets unverifiable (TCP, UDP, ICMP, IPv6 TCP; one TCP header itself "
      "cut by the snaplen: not malformed), IPv4 headers still verified (one "
      "bad); short packets that fit are verified (good and bad). "
      "stats.bytes is not asserted (wire vs captured bytes).")
def c_trunc(cap, rng):
    cap.snaplen = 96
    a = Host("52:54:00:50:00:0a", "10.50.0.10", "2001:db8:50::a", ipid=0x5000)
    z = Host("52:54:00:50:00:14", "10.50.0.20", "2001:db8:50::14", ipid=0x5100)

    c = Conn(cap, a, z, 43000, 80, isn_c=0xa0000000, isn_s=0xb0000000)
    c.handshake()  # 74/74/66-byte frames: fully captured, good
    c.seg(True, "PA", http_get("10.50.0.20", "/big.iso"))  # > 96: cut
    for i in range(4):
        c.seg(False, "A", payload(rng, 1448), dt=100)
    c.seg(True, "A", l4v="bad")  # 66 bytes, fits: bad
    c.seg(False, "PA", payload(rng, 1000), ipv="bad", dt=100)
    c.seg(True, "A")
    c.close()
    # retag: frames longer than 96 have an unverifiable L4 checksum
    for fr in cap.frames:
        if len(fr.data) < fr.wirelen:
            fr.tags = [(l, "unverifiable" if l != "ipv4" else v) for l, v in fr.tags]
    n0 = len(cap.frames)
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, UDP(sport=5000, dport=5001) /
                                  Raw(payload(rng, 1200)), ident=a.next_id())), dt=1000)
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, UDP(sport=5000, dport=53) /
                                  Raw(dns_query(7, "a.example")), ident=a.next_id())), dt=1000)
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, UDP(sport=5000, dport=53) /
                                  Raw(dns_query(8, "b.example")), l4v="bad",
                                  ident=a.next_id())), dt=1000)
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, ICMP(type=8, id=2, seq=1) / Raw(ping_data(1000)),
                                  ident=a.next_id())), dt=1000)
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, ICMP(type=8, id=2, seq=2) / Raw(ping_data(20)),
                                  ident=a.next_id())), dt=1000)
    cap.add(eth(a.mac, z.mac, ip6(a.ip6, z.ip6, TCP(sport=43001, dport=443, flags="PA", seq=1,
                                                    ack=1) / Raw(payload(rng, 1000)))),
            dt=1000)
    # IPv4 with 40 bytes of options + TCP with 40 bytes of options: the TCP
    # header ends at byte 134, the snaplen cuts it (unverifiable, not malformed)
    opts = [("NOP", None), ("NOP", None), ("Timestamp", (1, 0)), ("NOP", None),
            ("NOP", None), ("SAck", (100, 200, 300, 400, 500, 600))]  # 40 bytes
    cap.add(eth(a.mac, z.mac, ip4(a.ip, z.ip, TCP(sport=43002, dport=80, flags="A", seq=9,
                                                  ack=9, options=opts) / Raw(b"q" * 20),
                                  options=[IPOption_RR(routers=["0.0.0.0"] * 9)],
                                  ident=a.next_id())), dt=1000)
    for fr in cap.frames[n0:]:
        if len(fr.data) < fr.wirelen:
            fr.tags = [(l, "unverifiable" if l != "ipv4" else v) for l, v in fr.tags]


def _linktype_traffic(cap, wrap, rng, v6ok=True):
    """A few good/bad TCP/UDP(+ICMP) packets for the link-type cases."""
    a = Host(None, "10.60.0.10", "2001:db8:60::a", ipid=0x6000)
    z = Host(None, "10.60.0.20", "2001:db8:60::14", ipid=0x6100)
    c = Conn(cap, a, z, 44000, 80, wrap=wrap, isn_c=0x01010101, isn_s=0x02020202)
    c.handshake()
    c.seg(True, "PA", http_get("10.60.0.20"))
    c.seg(False, "PA", http_resp(200), l4v="bad")
    c.seg(False, "PA", http_resp(200), seq=c.seq[False] - len(http_resp(200)), dt=200000)
    c.seg(True, "A")
    c.close()
    for v in ("good", "bad"):
        cap.add(wrap(ip4(a.ip, z.ip, UDP(sport=38125, dport=8125) / Raw(payload(rng, 31)),
                         l4v=v, ident=a.next_id()), True), dt=1000)
    cap.add(wrap(ip4(a.ip, z.ip, ICMP(type=8, id=1, seq=1) / Raw(ping_data()), ipv="bad",
                     ident=a.next_id()), True), dt=1000)
    if v6ok:
        c = Conn(cap, a, z, 44001, 443, v6=True, wrap=wrap, isn_c=0x03030303,
                 isn_s=0x04040404)
        c.handshake()
        c.seg(True, "PA", payload(rng, 100), l4v="bad")
        c.seg(True, "PA", payload(rng, 100), seq=c.seq[True] - 100, dt=200000)
        c.seg(False, "A")
        for v in ("good", "bad"):
            cap.add(wrap(ip6(a.ip6, z.ip6, UDP(sport=38125, dport=8125) /
                             Raw(payload(rng, 40)), l4v=v), False), dt=1000)


@case("linktype-sll",
      "Linux cooked capture v1 (DLT_LINUX_SLL 113, tcpdump -i any): IPv4 and "
      "IPv6 TCP/UDP/ICMP good and bad.")
def c_sll(cap, rng):
    cap.linktype = LT_SLL
    macs = {True: bytes.fromhex("525400600a0a"), False: bytes.fromhex("525400601414")}
    _linktype_traffic(cap, lambda p, fc: sll(p, pkttype=4 if fc else 0, addr=macs[fc]), rng)


@case("linktype-sll2",
      "Linux cooked capture v2 (DLT_LINUX_SLL2 276, tcpdump -i any on "
      "libpcap >= 1.10): IPv4 and IPv6 TCP/UDP/ICMP good and bad.")
def c_sll2(cap, rng):
    cap.linktype = LT_SLL2
    macs = {True: bytes.fromhex("525400600a0a"), False: bytes.fromhex("525400601414")}
    _linktype_traffic(cap, lambda p, fc: sll2(p, ifindex=3, pkttype=4 if fc else 0,
                                              addr=macs[fc]), rng)


@case("linktype-raw",
      "Raw IP (LINKTYPE_RAW 101, e.g. a tun device): IPv4 and IPv6 by the "
      "version nibble, TCP/UDP/ICMP good and bad.")
def c_raw(cap, rng):
    cap.linktype = LT_RAW
    _linktype_traffic(cap, lambda p, fc: P(p.data, p.tags), rng)


@case("linktype-null",
      "BSD loopback (DLT_NULL 0, host-order family): AF_INET 2 and the "
      "AF_INET6 values of macOS (30), FreeBSD (28) and NetBSD/OpenBSD (24), "
      "little-endian; TCP/UDP/ICMP good and bad.")
def c_null(cap, rng):
    cap.linktype = LT_NULL
    fams = [30, 28, 24]
    counter = [0]

    def w(p, fc):
        if p.data[0] >> 4 == 4:
            return null_hdr(p, 2)
        counter[0] += 1
        return null_hdr(p, fams[counter[0] % 3])
    _linktype_traffic(cap, w, rng)


@case("pcapng-basic",
      "The same kind of traffic written as pcapng (SHB, one Ethernet IDB, "
      "EPBs): TCP/UDP/ICMP/ICMPv6 over IPv4 and IPv6, good and bad.")
def c_pcapng(cap, rng):
    cap.fmt = "pcapng"
    a = Host("52:54:00:70:00:0a", "10.70.0.10", "2001:db8:70::a", ipid=0x7000)
    z = Host("52:54:00:70:00:14", "10.70.0.20", "2001:db8:70::14", ipid=0x7100)
    _linktype_traffic(cap, lambda p, fc: eth("52:54:00:70:00:0a" if fc else "52:54:00:70:00:14",
                                             "52:54:00:70:00:14" if fc else "52:54:00:70:00:0a",
                                             p), rng)
    for sq, v in ((1, "good"), (2, "bad")):
        cap.add(eth(a.mac, z.mac, ip6(a.ip6, z.ip6, ICMPv6EchoRequest(id=3, seq=sq,
                                                                      data=ping_data()),
                                      l4v=v)), dt=1000)


@case("seed-incidents",
      "Demo capture (make demo): a KVM bridge with (1) guest 52:54:00:12:34:56 "
      "/ 10.0.0.5 sending 4434-byte TSO super-frames with corrupt TCP "
      "checksums, each retransmitted later as three 1514-byte segments with "
      "good checksums (same seq and bytes): offload corruption; (2) an "
      "offloading sender 10.0.0.7 with partial TCP/UDP checksums; (3) VXLAN "
      "traffic whose inner TCP checksums are bad on 3 segments, each "
      "retransmitted intact; plus healthy TCP (with handshakes and FINs), "
      "DNS, NTP, ICMP and ARP background traffic. offload_corruption "
      "(informative): 4 super-frames + 3 inner VXLAN segments.",
      informative={"anomalies_informative": {"offload_corruption": 7}})
def c_seed(cap, rng):
    guest = Host("52:54:00:12:34:56", "10.0.0.5", ipid=0x1c00)
    store = Host("52:54:00:65:43:21", "10.0.0.20", ipid=0x5e00)
    offl = Host("52:54:00:ab:cd:07", "10.0.0.7", ipid=0x0700)
    api = Host("52:54:00:ab:cd:30", "10.0.0.30", ipid=0x3000)
    gw = Host("52:54:00:00:00:01", "10.0.0.1", ipid=0x0100)
    web = Host("52:54:00:00:00:50", "10.0.0.80", ipid=0x8000)
    vt1 = Host("52:54:00:aa:00:01", "192.0.2.10", ipid=0x0010)
    vt2 = Host("52:54:00:aa:00:02", "192.0.2.20", ipid=0x0020)
    vm1 = Host("52:54:00:10:00:01", "10.10.0.1", ipid=0x1010)
    vm2 = Host("52:54:00:10:00:02", "10.10.0.2", ipid=0x1020)
    hosts = [guest, offl, web]

    # ARP for the gateway
    cap.add(arp_frame(guest.mac, guest.ip, gw.ip), dt=100)
    cap.add(arp_frame(gw.mac, gw.ip, guest.ip, reply=True, tmac=guest.mac), dt=200)
    # background: DNS lookups from the guests, answered by the gateway
    def dns_pair(h, i, name, answer, partial=False):
        q = dns_query(0x5000 + i, name)
        cap.add(eth(h.mac, gw.mac, ip4(h.ip, gw.ip, UDP(sport=40000 + i, dport=53) / Raw(q),
                                       l4v="partial" if partial else "good",
                                       ident=h.next_id())), dt=5000)
        a = dns_answer(0x5000 + i, name, answer)
        cap.add(eth(gw.mac, h.mac, ip4(gw.ip, h.ip, UDP(sport=53, dport=40000 + i) / Raw(a),
                                       ident=gw.next_id(), df=False)), dt=700)
    dns_pair(guest, 1, "backup.store.example", "10.0.0.20")
    dns_pair(offl, 2, "api.internal.example", "10.0.0.30", partial=True)
    dns_pair(web, 3, "cdn.example.com", "192.0.2.80")

    # (1) the guest's upload with TSO leaking onto the bridge
    up = Conn(cap, guest, store, 51234, 873, ts=False, isn_c=0x5a5a0000, isn_s=0xa5a50000)
    up.handshake(rtt=300)
    up.seg(True, "PA", b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n")
    up.seg(False, "PA", b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", dt=300)
    up.seg(True, "A", dt=100)
    for k in range(4):
        data = payload(rng, 4380)
        s = up.seq[True]
        up.seg(True, "PA", data, l4v="bad", tso=True, dt=2000,
               note="TSO super-frame, corrupt checksum")
        up.seg(False, "A", dt=100, note="dup ACK (super-frame dropped)")
        for j in range(3):
            up.seg(True, "A" if j < 2 else "PA", data[j * 1460:(j + 1) * 1460],
                   seq=(s + j * 1460) & 0xFFFFFFFF, dt=(210000 if j == 0 else 15),
                   note="retransmission as MSS segment")
        up.seq[True] = (s + 4380) & 0xFFFFFFFF
        up.ack[False] = up.seq[True]
        up.seg(False, "A", dt=120)
        # normal-size segments in between (GSO off again... until it is not)
        for j in range(6):
            up.seg(True, "A", payload(rng, 1460), dt=50)
            if j % 2:
                up.seg(False, "A", dt=120)

    # (2) offloading sender: all its TCP segments partial
    o = Conn(cap, offl, api, 38812, 443, isn_c=0x0ff10000, isn_s=0x0ff20000)
    o.seg(True, "S", opts=linux_syn_opts(777), win=64240, l4v="partial", dt=3000)
    o.seg(False, "SA", opts=linux_syn_opts(888), win=65160, dt=150)
    o.seg(True, "A", l4v="partial", dt=60)
    o.seg(True, "PA", payload(rng, 517), l4v="partial")
    o.seg(False, "PA", payload(rng, 1448), dt=400)
    o.seg(False, "PA", payload(rng, 1448), dt=10)
    o.seg(False, "PA", payload(rng, 1000), dt=10)
    o.seg(True, "A", l4v="partial", dt=60)
    o.seg(True, "PA", payload(rng, 80), l4v="partial", dt=200)
    for i in range(6):
        o.seg(True, "PA", payload(rng, 300 + 37 * i), l4v="partial", dt=20000)
        o.seg(False, "PA", payload(rng, 200 + 11 * i), dt=400)
    o.seg(True, "A", l4v="partial", dt=60)

    # (3) VXLAN with bad inner checksums
    def vx(p, fc):
        a_, z_ = (vt1, vt2) if fc else (vt2, vt1)
        inner = eth(vm1.mac if fc else vm2.mac, vm2.mac if fc else vm1.mac, p)
        body = vxlan(1001, inner)
        sp = 49152 + (len(cap.frames) * 40503) % 16384
        return eth(a_.mac, z_.mac, ip4(a_.ip, z_.ip, UDP(sport=sp, dport=VXLAN_PORT) /
                                       Raw(body.data), l4v="zero", inner=body.tags,
                                       ident=a_.next_id(), df=False))
    v = Conn(cap, vm1, vm2, 46000, 3306, wrap=vx, isn_c=0x00c0ffee, isn_s=0x0badf00d)
    v.handshake()
    for i in range(8):
        q = ("SELECT * FROM orders WHERE id=%d;" % (1000 + i)).encode()
        v.seg(True, "PA", q, dt=8000)
        s = v.seq[False]
        r = payload(rng, 700 + 50 * i)
        if i in (2, 5, 6):
            v.seg(False, "PA", r, l4v="bad", note="inner TCP bad")
            v.seg(False, "PA", r, seq=s, dt=200000, note="retransmission")
            v.seq[False] = s + len(r)
            v.ack[True] = v.seq[False]
        else:
            v.seg(False, "PA", r, dt=900)
        v.seg(True, "A", dt=100)
    v.close()

    # background HTTP fetches with proper handshakes and FINs
    for i, h in enumerate([guest, web, guest, web, guest, web, guest, web, guest]):
        c = Conn(cap, h, store if h is web else web, 52000 + i, 80,
                 isn_c=0x11000000 * (i + 1), isn_s=0x22000000 * (i + 1))
        c.handshake()
        c.seg(True, "PA", http_get("10.0.0.80", "/health"))
        c.seg(False, "A", dt=150)
        body = http_resp(1800 + 333 * i)
        n = 0
        while n < len(body):
            c.seg(False, "PA" if n + 1448 >= len(body) else "A", body[n:n + 1448], dt=30)
            n += 1448
        c.seg(True, "A")
        c.close()
    # NTP and ICMP
    for h in hosts:
        if h is offl:
            continue
        cap.add(eth(h.mac, gw.mac, ip4(h.ip, gw.ip, UDP(sport=123, dport=123) /
                                       Raw(ntp_client()), ident=h.next_id())), dt=4000)
        cap.add(eth(gw.mac, h.mac, ip4(gw.ip, h.ip, UDP(sport=123, dport=123) /
                                       Raw(ntp_client()), ident=gw.next_id())), dt=500)
    for sq in range(1, 6):
        d = ping_data()
        cap.add(eth(web.mac, gw.mac, ip4(web.ip, gw.ip, ICMP(type=8, id=0x77, seq=sq) / Raw(d),
                                         ident=web.next_id())), dt=100000)
        cap.add(eth(gw.mac, web.mac, ip4(gw.ip, web.ip, ICMP(type=0, id=0x77, seq=sq) / Raw(d),
                                         ident=gw.next_id(), df=False)), dt=350)
    up.close()


# ---------------------------------------------------------------------------
# Driver

def build(case_):
    global CORRUPT
    seed = sum(ord(ch) for ch in case_.name) * 7919
    CORRUPT = Corruptor(seed)
    rng = random.Random(seed)
    cap = Cap()
    case_.fn(cap, rng)
    return cap


def check_case(case_, cap):
    """Model vs construction tags.  Returns (models, problems)."""
    mtu = MTU
    if "--mtu" in case_.args:
        mtu = int(case_.args[list(case_.args).index("--mtu") + 1])
    models, problems = [], []
    for i, fr in enumerate(cap.frames, 1):
        m = Model(fr.data, fr.wirelen, mtu)
        m.run(cap.linktype)
        models.append(m)
        got = [(v.layer, v.verdict) for v in m.verdicts]
        if got != fr.tags:
            problems.append("frame %d: built %s, model %s (%s)" % (i, fr.tags, got, fr.note))
        if m.tso != fr.tso:
            problems.append("frame %d: built tso=%s, model %s" % (i, fr.tso, m.tso))
        if m.malformed != fr.malformed:
            problems.append("frame %d: built malformed=%s, model %s"
                            % (i, fr.malformed, m.malformed))
    return models, problems


def input_name(cap):
    return "input.pcapng" if cap.fmt == "pcapng" else "input.pcap"


def generate(case_, outdir, tshark=True, verbose=True):
    cap = build(case_)
    models, problems = check_case(case_, cap)
    d = os.path.join(outdir, case_.name)
    os.makedirs(d, exist_ok=True)
    for old in ("input.pcap", "input.pcapng"):
        if os.path.exists(os.path.join(d, old)) and old != input_name(cap):
            os.unlink(os.path.join(d, old))
    path = os.path.join(d, input_name(cap))
    cap.write(path)
    exp = expected_for(case_, cap, models)
    with open(os.path.join(d, "expected.json"), "w") as f:
        f.write(dump_expected(exp))
    info = []
    if tshark:
        tp, info = tshark_check(path, cap.frames, models)
        if tp:
            problems += ["tshark: " + x for x in tp]
    if verbose:
        t = exp["stats"]["checksum"]
        summ = "  ".join("%s %s" % (l, "/".join(str(t[l][v]) for v in VERDICTS))
                         for l in LAYERS if any(t[l].values()))
        print("%-22s %4d frames  %s  tso=%d malformed=%d" % (
            case_.name, len(cap.frames), summ, exp["stats"]["anomalies"]["tso_superframe"],
            exp["stats"]["malformed"]["total"]))
        for x in info:
            print("%-22s   %s" % ("", x))
    return cap, models, problems


def explain(case_):
    cap = build(case_)
    models, problems = check_case(case_, cap)
    for i, (fr, m) in enumerate(zip(cap.frames, models), 1):
        vs = " ".join("%s:%s" % (v.layer, v.verdict) for v in m.verdicts)
        flags = (" TSO" if m.tso else "") + (" MALFORMED(%s)" % m.malformed if m.malformed else "")
        print("%4d %5d/%-5d %-40s%s  %s" % (i, len(fr.data), fr.wirelen, vs, flags, fr.note))
    for p in problems:
        print("PROBLEM", p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cases", nargs="*")
    ap.add_argument("--out", default=PCAP_DIR, help="output dir (default tests/pcap)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate in a temp dir and compare with --out")
    ap.add_argument("--no-tshark", action="store_true", help="skip the tshark cross-check")
    ap.add_argument("--explain", metavar="CASE")
    ap.add_argument("--list", action="store_true")
    a = ap.parse_args()
    byname = {c.name: c for c in CASES}
    if a.list:
        for c in CASES:
            print(c.name)
        return 0
    if a.explain:
        explain(byname[a.explain])
        return 0
    for n in a.cases:
        if n not in byname:
            ap.error("unknown case %s (see --list)" % n)
    sel = [byname[n] for n in a.cases] or CASES
    if not a.no_tshark and not shutil.which("tshark"):
        print("WARNING: tshark not found: cross-check SKIPPED", file=sys.stderr)
    target = a.out
    tmp = None
    if a.check:
        tmp = tempfile.mkdtemp(prefix="wirecheck-gen-")
        target = tmp
    failed = False
    try:
        for c in sel:
            _, _, problems = generate(c, target, tshark=not a.no_tshark)
            for p in problems:
                print("  MISMATCH %s: %s" % (c.name, p))
            failed |= bool(problems)
        if a.check:
            for c in sel:
                for fn in sorted(os.listdir(os.path.join(tmp, c.name))):
                    mine = os.path.join(tmp, c.name, fn)
                    theirs = os.path.join(a.out, c.name, fn)
                    if not os.path.exists(theirs) or not filecmp.cmp(mine, theirs, shallow=False):
                        print("NOT REPRODUCIBLE: %s/%s differs from the committed file"
                              % (c.name, fn))
                        failed = True
            if not failed:
                print("check: %d cases reproduce byte for byte" % len(sel))
    finally:
        if tmp:
            shutil.rmtree(tmp)
    if failed:
        print("gen_captures: FAILED")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
