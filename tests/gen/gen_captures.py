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
import time

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
                 ambiguous_reason=False, expect=(), tshark=None):
        self.data = data
        self.ts = ts
        self.tags = tags
        self.wirelen = wirelen
        self.tso = tso
        self.malformed = malformed
        self.note = note
        self.ambiguous_reason = ambiguous_reason
        # TCP/flow cases: what the frame was built to be ("rto", "dupack",
        # "stall", ...: see TCP_LABELS), and where Wireshark is known to
        # label it differently, what tshark says instead (and why)
        self.expect = frozenset(expect)
        self.tshark = tshark


class Cap:
    def __init__(self, linktype=LT_ETH, snaplen=262144, fmt="pcap"):
        self.linktype = linktype
        self.snaplen = snaplen
        self.fmt = fmt
        self.t = T0_US
        self.frames = []

    def add(self, p, dt=1000, tso=False, malformed=None, note="",
            ambiguous_reason=False, expect=(), tshark=None):
        """Append frame P after dt microseconds; truncate to snaplen."""
        self.t += dt
        data = p.data
        wirelen = len(data)
        tags = list(p.tags)
        if len(data) > self.snaplen:
            data = data[:self.snaplen]
        self.frames.append(Frame(data, self.t, tags, wirelen, tso, malformed,
                                 note or p.note, ambiguous_reason, expect, tshark))
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


SEQ_MOD = 1 << 32


def seq_le(a, b):
    """a <= b in sequence space (RFC 793 arithmetic)."""
    return ((b - a) & 0xFFFFFFFF) < 0x80000000


def tcp_opts(syn, tsval=None, tsecr=0, mss=1460, wscale=7, sack_ok=True,
             sack=()):
    """Linux's option layouts: SYN/SYN-ACK MSS,SAckOK,TS,NOP,WScale (or,
    without timestamps, MSS,NOP,NOP,SAckOK,NOP,WScale); later segments
    NOP,NOP,TS then NOP,NOP,SACK blocks."""
    o = []
    if syn:
        o.append(("MSS", mss))
        if tsval is not None:
            if sack_ok:
                o.append(("SAckOK", b""))
            o += [("Timestamp", (tsval, tsecr)), ("NOP", None), ("WScale", wscale)]
        else:
            if sack_ok:
                o += [("NOP", None), ("NOP", None), ("SAckOK", b"")]
            o += [("NOP", None), ("WScale", wscale)]
        return o
    if tsval is not None:
        o += [("NOP", None), ("NOP", None), ("Timestamp", (tsval, tsecr))]
    if sack:
        blocks = []
        for left, right in sack[:3 if tsval is not None else 4]:
            blocks += [left, right]
        o += [("NOP", None), ("NOP", None), ("SAck", tuple(blocks))]
    return o


class TcpConn:
    """A TCP conversation for the flow/detector cases, with a receiver
    model on each side: cumulative ACK, out-of-order ranges (SACK blocks),
    TCP timestamps whose TSecr echoes the peer's last TSval (RFC 7323), so
    that every ACK, window and option is what a stack would send.

    seg() builds one segment.  A segment reaches the peer unless its
    checksum is bad or it is lost=True (dropped after the probe): only a
    delivered segment moves the peer's ACK and timestamp echo.  expect is
    the set of TCP_LABELS the frame is built to carry; tshark what
    Wireshark labels it instead (see TcpCheck).
    """

    def __init__(self, cap, c, s, cport, sport, v6=False, isn_c=1000000,
                 isn_s=2000000, ts=True, sack=True, mss=1460, wscale=7,
                 win=502, wrap=None, ts_c=None, ts_s=None):
        self.cap, self.c, self.s = cap, c, s
        self.cport, self.sport = cport, sport
        self.v6 = v6
        self.wrap = wrap or (lambda p, fc: eth(
            (c if fc else s).mac, (s if fc else c).mac, p))
        self.snd = {True: isn_c & 0xFFFFFFFF, False: isn_s & 0xFFFFFFFF}
        self.rcv = {True: None, False: None}   # what side fc has received
        self.held = {True: [], False: []}      # side fc's out-of-order ranges
        self.ts = ts
        # per-host TCP timestamp clocks (ms), random-looking offsets
        self.ts_off = {True: ts_c if ts_c is not None else (isn_c * 7) & 0x7FFFFFFF,
                       False: ts_s if ts_s is not None else (isn_s * 13) & 0x7FFFFFFF}
        self.ts_recent = {True: 0, False: 0}
        self.sack = sack
        self.mss = mss
        self.wscale = wscale
        self.win = {True: win, False: win}

    def tsval(self, fc, t):
        return (self.ts_off[fc] + t // 1000) & 0xFFFFFFFF

    def _deliver(self, fc, s, flags, n):
        r = not fc
        if "S" in flags:
            self.rcv[r] = (s + 1 + n) & 0xFFFFFFFF
            return
        if self.rcv[r] is None:
            return
        end = (s + n + (1 if "F" in flags else 0)) & 0xFFFFFFFF
        if end == s:
            return
        if seq_le(s, self.rcv[r]) and not seq_le(end, self.rcv[r]):
            self.rcv[r] = end
            merged = True
            while merged:
                merged = False
                for rg in list(self.held[r]):
                    if seq_le(rg[0], self.rcv[r]):
                        self.held[r].remove(rg)
                        if not seq_le(rg[1], self.rcv[r]):
                            self.rcv[r] = rg[1]
                        merged = True
        elif not seq_le(s, self.rcv[r]):
            for rg in self.held[r]:
                if rg[1] == s:  # extend the block (RFC 2018: most recent first)
                    self.held[r].remove(rg)
                    self.held[r].insert(0, (rg[0], end))
                    return
            self.held[r].insert(0, (s, end))

    def seg(self, fc, flags="A", data=b"", dt=1000, l4v="good", ipv="good",
            seq=None, win=None, lost=False, expect=(), tshark=None, tso=False,
            tso0=False, note="", opts=None, ack=None, sack=None):
        """ack: acknowledge only up to this seq (a receiver that ACKs each
        segment of a burst as it arrives; sack: the SACK blocks it had
        then); default: all it has received."""
        src, dst = (self.c, self.s) if fc else (self.s, self.c)
        sp, dp = (self.cport, self.sport) if fc else (self.sport, self.cport)
        s = (self.snd[fc] if seq is None else seq) & 0xFFFFFFFF
        t = self.cap.t + dt
        if ack is None:
            ack = (self.rcv[fc] or 0) if "A" in flags else 0
        if opts is None:
            tsv = self.tsval(fc, t) if self.ts else None
            if "S" in flags:
                opts = tcp_opts(True, tsv, self.ts_recent[fc] if "A" in flags else 0,
                                self.mss, self.wscale, self.sack)
            else:
                opts = tcp_opts(False, tsv, self.ts_recent[fc],
                                sack=(self.held[fc] if sack is None else sack)
                                if self.sack else ())
        if win is None:
            win = (64240 if fc else 65160) if "S" in flags else self.win[fc]
        th = TCP(sport=sp, dport=dp, flags=flags, seq=s, ack=ack, window=win,
                 options=opts)
        l4 = th / Raw(data) if data else th
        if self.v6:
            p = ip6(src.ip6, dst.ip6, l4, l4v=l4v, tso0=tso0)
        else:
            p = ip4(src.ip, dst.ip, l4, ipv=ipv, l4v=l4v, ident=src.next_id(),
                    tso0=tso0)
        consumed = len(data) + (1 if ("S" in flags or "F" in flags) else 0)
        if seq is None:
            self.snd[fc] = (s + consumed) & 0xFFFFFFFF
        if l4v in ("good", "partial") and ipv != "bad" and not lost:
            if self.ts:
                self.ts_recent[not fc] = self.tsval(fc, t)
            self._deliver(fc, s, flags, len(data))
        return self.cap.add(self.wrap(p, fc), dt=dt, tso=tso, note=note,
                            expect=expect, tshark=tshark)

    def handshake(self, dt=1000, syn_synack=500, synack_ack=500):
        self.seg(True, "S", dt=dt)
        self.seg(False, "SA", dt=syn_synack)
        self.seg(True, "A", dt=synack_ack)

    def send(self, fc, data, mss=None, gap=15, dt=1000, last_flags="PA", **kw):
        """data as MSS-sized segments gap us apart; returns [(frame, end seq)]."""
        mss = mss or (self.mss - (12 if self.ts else 0))
        out, n = [], 0
        while n < len(data):
            chunk = data[n:n + mss]
            n += len(chunk)
            idx = self.seg(fc, last_flags if n >= len(data) else "A", chunk,
                           dt=dt if not out else gap, **kw)
            out.append((idx, self.snd[fc]))
        return out


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
# Flow and TCP reference model (issue 3 contract).  It decodes the written
# frames (plain Ethernet: the flow cases use nothing else) and applies the
# rules below; the labels it gives every frame must be the ones the case
# built (Frame.expect), the counts the ones the case declared, and tshark's
# tcp.analysis.* must agree where Wireshark has the concept
# (tshark_flow_check: labels per frame, ack_rtt of every RTT sample and
# ack stall, initial_rtt of every handshake, ICMP resptime).
#
# Rules (where the contract leaves a choice, the choice is marked DECIDED
# and listed in tests/gen/README.md):
#  - bad checksum (TCP or IPv4 header): counted (packets, bytes, verdicts),
#    its seq range advances what the sender has sent; nothing else (flags,
#    ACK, window, timestamps) is looked at.  Partial counts as good.
#  - keep-alive: payload <= 1, no SYN/FIN/RST, seq == next seq - 1
#    (DECIDED: SYN/FIN/RST excluded, as Wireshark does: a retransmitted FIN
#    is a retransmission).
#  - zero-window probe: payload 1 at seq == next seq while the peer's last
#    window is 0; it does not advance next seq (DECIDED, Wireshark), so a
#    second probe of the same byte is again a probe and the data sent when
#    the window opens is not a retransmission.
#  - retransmission family: seq < next seq (SYN and FIN count, DECIDED: a
#    retransmitted SYN is an RTO retransmission, as Wireshark flags it):
#    fast when the peer sent >= 2 dup ACKs with ack == seq, the last < 20 ms
#    ago; else out-of-order when < 3 ms after the segment that set the
#    highest seq (DECIDED: Wireshark's reference point, not simply the
#    previous segment: an RTO recovery burst is retransmissions); else RTO.
#    The model fails when Wireshark's threshold (the handshake RTT) would
#    decide differently from 3 ms.
#  - dup ACK: payload 0, no SYN/FIN/RST, window != 0 and unchanged, ack ==
#    previous ack, seq == next seq; DECIDED: not when it answers a
#    keep-alive (Wireshark's keep-alive ACK).
#  - RTT (data segments only, Karn): computed under every reading of "a
#    data segment ACKed by the peer" (each newly covered segment, the one
#    whose end == ack, the earliest covered, one timed segment at a time;
#    with timestamps also TSecr echo on ACKs of new data, every one or once
#    per TSval); exact values only where all readings agree, else ranges
#    (timestamps: +-1 ms, and rtt_samples >= 1).  DECIDED: an RST's ACK
#    field is not an acknowledgement (no RTT sample, no ack-stall end).
#  - flow end: "rst" at a good RST, "fin" when both FINs are ACKed,
#    "timeout" after 300 s without a packet (established: missing_fin),
#    else "shutdown"; flow.end = the last packet's time (DECIDED, as
#    Suricata's flow end).  A reason is asserted only for established
#    flows and FIN/RST ends; a flow with packets after its FIN/RST close is
#    not asserted at all (new flow or not is open).

TCP_WS_LABELS = ("rto", "fast", "ooo", "dupack", "zw", "zwp", "ka")
TCP_LABELS = TCP_WS_LABELS + ("corruption", "stall", "synack_src", "rst_first_data")
DETECTORS = ("offload_corruption", "ack_stall", "synack_unexpected_source",
             "rst_after_first_data", "syn_unanswered", "rto_retransmission",
             "fast_retransmission", "zero_window", "missing_fin")
LABEL_ANOMALY = {"rto": "rto_retransmission", "fast": "fast_retransmission",
                 "zw": "zero_window"}
TCP_TIMEOUT_US = 300 * 1000000
RATE_LIMIT = 10
OOO_US, FAST_US = 3000, 20000
STALL_MIN_US, STALL_NEXT_US = 30000, 10000
UDP_ICMP_GAP_US = 20 * 1000000  # non-TCP flows: no gap this long (timeouts unknown)


def iso_us(t):
    tm = time.gmtime(t // 1000000)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ" % (tm.tm_year, tm.tm_mon, tm.tm_mday,
                                                    tm.tm_hour, tm.tm_min, tm.tm_sec,
                                                    t % 1000000)


def endpoint(ip, port):
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


def span(v, slack):
    return {"min": v - slack, "max": v + slack}


class Pkt:
    pass


def parse_frame(idx, fr, model):
    """The fields the flow model needs, from the written bytes."""
    b = fr.data
    if len(b) < 14:
        return None
    et = be16(b, 12)
    o = 14
    while et in (ETH_P_8021Q, ETH_P_8021AD, ETH_P_QINQ1) and len(b) >= o + 4:
        # tags are not part of the model's flow key: its cases tag both
        # directions alike, or run with --ignore-vlan (tcp-vlan-asymmetric)
        et = be16(b, o + 2)
        o += 4
    p = Pkt()
    p.idx, p.t, p.wirelen = idx, fr.ts, fr.wirelen
    p.smac = ":".join("%02x" % x for x in b[6:12])
    top = [v for v in model.verdicts if v.meta["depth"] == 0]
    p.bad = any(v.verdict == "bad" for v in top)
    p.csum_bad = sum(1 for v in top if v.verdict == "bad")
    p.csum_partial = sum(1 for v in top if v.verdict == "partial")
    if et == ETH_P_IP:
        ihl = (b[o] & 15) * 4
        tot = be16(b, o + 2) or (len(b) - o)
        p.proto, p.v6 = b[o + 9], False
        p.src, p.dst = ip_str(b[o + 12:o + 16]), ip_str(b[o + 16:o + 20])
        l4, end = o + ihl, o + tot
    elif et == ETH_P_IPV6:
        p.proto, p.v6 = b[o + 6], True
        p.src, p.dst = ip_str(b[o + 8:o + 24]), ip_str(b[o + 24:o + 40])
        l4, end = o + 40, o + 40 + be16(b, o + 4)
    else:
        return None
    if p.proto == 6:
        p.sport, p.dport = be16(b, l4), be16(b, l4 + 2)
        p.seq = struct.unpack("!I", b[l4 + 4:l4 + 8])[0]
        p.ack = struct.unpack("!I", b[l4 + 8:l4 + 12])[0]
        doff = (b[l4 + 12] >> 4) * 4
        fl = b[l4 + 13]
        p.F, p.S, p.R, p.A = bool(fl & 1), bool(fl & 2), bool(fl & 4), bool(fl & 16)
        p.win = be16(b, l4 + 14)
        p.payload = bytes(b[l4 + doff:end])
        p.tsval = p.tsecr = None
        q = l4 + 20
        while q < l4 + doff:
            k = b[q]
            if k == 0:
                break
            if k == 1:
                q += 1
                continue
            ln = b[q + 1]
            if k == 8 and ln == 10:
                p.tsval, p.tsecr = struct.unpack("!II", b[q + 2:q + 10])
            q += max(ln, 2)
    elif p.proto in (1, 58):
        p.sport = p.dport = None
        p.icmp_type = b[l4]
        p.icmp_id, p.icmp_seq = be16(b, l4 + 4), be16(b, l4 + 6)
    elif p.proto == 17:
        p.sport, p.dport = be16(b, l4), be16(b, l4 + 2)
    else:
        return None
    return p


class Dir:
    """One direction of a TCP flow; seqs relative to its first seq."""

    def __init__(self):
        self.base = None
        self.next = None        # highest seq end sent (rel)
        self.t_high = None      # time of the segment that set it
        self.last_ack = None    # raw ack of this direction's last segment
        self.win = None
        self.dupacks = 0
        self.t_dupack = None
        self.acked = None       # highest ack from the peer (rel)
        self.sent = []          # data segments: [start, end, t, idx, retrans, acked]
        self.bad = []           # bad data segments awaiting a good copy
        self.last_ka = False
        self.fin_end = None
        self.stall = None
        self.first_data_t = None
        self.data_seen = False
        self.ts_first = {}      # TSval -> first time seen
        self.timed = None       # [end, time]: the one timed segment (BSD)
        self.ts_sampled = set()
        self.t_prev = None

    def rel(self, seq):
        if self.base is None:
            self.base = seq
        d = (seq - self.base) & 0xFFFFFFFF
        return d - (1 << 32) if d >= 0x80000000 else d


class MFlow:
    def __init__(self, proto, client, server, p, icmp_id=None):
        self.proto, self.client, self.server = proto, client, server
        self.icmp_id = icmp_id
        self.v6 = p.v6
        self.start = self.last = p.t
        self.pkts = {True: 0, False: 0}
        self.bytes = {True: 0, False: 0}
        self.csum = {"bad": 0, "partial": 0}
        self.dirs = {True: Dir(), False: Dir()}
        self.n = {k: 0 for k in TCP_WS_LABELS}
        self.syns = 0
        self.t_syn = self.t_syn_first = self.t_synack = None
        self.syn_to_synack = self.synack_to_ack = None
        self.established = False
        self.initial_rtt = None
        self.ttfb = None
        self.rtt = []           # (us, ack idx, data idx): the "exact" reading
        # RTT samples under each reading of "a data segment ... ACKed by the
        # peer": every newly covered segment; the one whose end == ack
        # (Wireshark's acks_frame); the earliest newly covered (Linux); one
        # timed segment per direction at a time (BSD, fits a small flow
        # entry); TSecr echo on ACKs of new data, every such ACK or once per
        # echoed TSval
        self.rtt_rd = {k: [] for k in ("each", "exact", "first", "timed", "ts", "ts1")}
        self.uses_ts = False
        self.stalls = []        # (stall_us, next idx, D idx, ACK idx)
        self.hs_ack_idx = None
        self.reason = None
        self.closed = False
        self.after_close = False
        self.fin_or_rst = False
        self.rst_fired = False
        self.no_syn_unanswered = False
        self.incident = False
        self.icmp_req = {}
        self.icmp_rtt = []      # (us, reply idx)
        self.events = []


class FlowModel:
    def __init__(self, cap, models, timeout_us=TCP_TIMEOUT_US):
        self.timeout = timeout_us
        self.flows = []
        self.table = {}
        self.events = []        # dicts: type, idx, flow, details
        self.labels = [set() for _ in cap.frames]
        self.pending_syn = {}
        self.notes = []
        for i, (fr, m) in enumerate(zip(cap.frames, models), 1):
            p = parse_frame(i, fr, m)
            self.expire(fr.ts)
            if p is None:
                continue
            if p.proto == 6:
                self.tcp(p)
            elif p.proto in (1, 58):
                self.icmp(p)
            elif p.proto == 17:
                self.udp(p)
        for f in self.flows:
            if not f.closed:
                self.finish(f, "shutdown")

    # -- flow table -------------------------------------------------------
    def expire(self, t):
        for k, f in list(self.table.items()):
            if f.proto == 6 and not f.closed and t - f.last >= self.timeout:
                del self.table[k]
                self.finish(f, "timeout")
            elif f.proto != 6 and t - f.last >= UDP_ICMP_GAP_US:
                raise GenError("flow model: a %d-s gap in a non-TCP flow (its timeout "
                               "is not in the contract)" % ((t - f.last) // 1000000))

    def event(self, typ, idx, f, **details):
        self.events.append({"type": typ, "idx": idx, "flow": f, "details": details})
        lab = {"offload_corruption": "corruption", "ack_stall": "stall",
               "synack_unexpected_source": "synack_src",
               "rst_after_first_data": "rst_first_data"}.get(typ)
        if lab:
            self.labels[idx - 1].add(lab)

    def finish(self, f, reason):
        f.closed = True
        if f.reason is None:
            f.reason = reason
        if f.proto != 6:
            return
        if f.syns >= 2 and f.t_synack is None and not f.no_syn_unanswered:
            self.event("syn_unanswered", None, f)
        if reason == "timeout" and f.established and not f.fin_or_rst:
            self.event("missing_fin", None, f)

    def lookup(self, p, key, client_is_src):
        f = self.table.get(key)
        if f is None:
            c, s = ((p.src, p.sport), (p.dst, p.dport))
            if not client_is_src:
                c, s = s, c
            f = MFlow(p.proto, c, s, p, key[2] if len(key) > 2 else None)
            self.table[key] = f
            self.flows.append(f)
        elif f.closed:
            f.after_close = True
        fc = (p.src, p.sport) == f.client
        f.pkts[fc] += 1
        f.bytes[fc] += p.wirelen
        f.csum["bad"] += p.csum_bad
        f.csum["partial"] += p.csum_partial
        f.last = p.t
        return f, fc

    # -- ICMP and UDP -----------------------------------------------------
    def icmp(self, p):
        req = p.icmp_type in (8, 128)
        if not req and p.icmp_type not in (0, 129):
            return
        key = (p.proto, frozenset([p.src, p.dst]), p.icmp_id)
        if key not in self.table and not req:
            raise GenError("flow model: echo reply before its request")
        f, fc = self.lookup(p, key, True)
        if p.bad:
            return
        if req:
            f.icmp_req.setdefault(p.icmp_seq, p.t)
        elif p.icmp_seq in f.icmp_req:
            f.icmp_rtt.append((p.t - f.icmp_req.pop(p.icmp_seq), p.idx))

    def udp(self, p):
        key = (17, frozenset([(p.src, p.sport), (p.dst, p.dport)]))
        self.lookup(p, key, p.sport > p.dport if key not in self.table else True)

    # -- TCP --------------------------------------------------------------
    def tcp(self, p):
        key = (6, frozenset([(p.src, p.sport), (p.dst, p.dport)]))
        if key in self.table:
            client_is_src = True
        elif p.S and not p.A:
            client_is_src = True
        elif p.S and p.A:
            client_is_src = False
        else:
            client_is_src = p.sport > p.dport
        f, fc = self.lookup(p, key, client_is_src)
        d, peer = f.dirs[fc], f.dirs[not fc]
        L = self.labels[p.idx - 1]
        n = len(p.payload)
        seglen = n + (1 if p.S else 0) + (1 if p.F else 0)
        s = d.rel(p.seq)
        if p.bad:
            # sent, but nothing else: the receiver drops it
            d.t_prev = p.t
            if seglen and (d.next is None or s + seglen > d.next):
                d.next, d.t_high = s + seglen, p.t
            if n:
                d.bad.append([s, s + n, p.idx, p.payload, p.src, p.smac])
                if d.stall is not None:
                    d.stall = None  # other data sent
            return
        if p.tsval is not None:
            f.uses_ts = True
            d.ts_first.setdefault(p.tsval, p.t)
        kind = None
        if (n <= 1 and not (p.S or p.F or p.R) and d.next is not None
                and s == d.next - 1):
            kind = "ka"
        elif (n == 1 and not (p.S or p.F or p.R) and d.next is not None and s == d.next
              and peer.win == 0):
            kind = "zwp"
        elif seglen and d.next is not None and s < d.next:
            if s + seglen > d.next:
                raise GenError("flow model: frame %d overlaps new data" % p.idx)
            if d.acked is not None and s + seglen <= d.acked:
                raise GenError("flow model: frame %d is a spurious retransmission "
                               "(already ACKed): not used by the cases" % p.idx)
            peer_last_ack = peer.last_ack
            if (peer.dupacks >= 2 and peer_last_ack is not None
                    and d.rel(peer_last_ack) == s and p.t - peer.t_dupack < FAST_US):
                kind = "fast"
            else:
                dt_high = p.t - d.t_high
                ooo = dt_high < OOO_US
                ws_thres = f.initial_rtt if f.initial_rtt else OOO_US
                ws = dt_high < ws_thres and d.next != s + seglen
                if ooo != ws:
                    raise GenError("flow model: frame %d is out-of-order under one reading "
                                   "and not the other (3 ms vs Wireshark's handshake-RTT "
                                   "threshold / end at next seq): ambiguous" % p.idx)
                kind = "ooo" if ooo else "rto"
                if kind == "rto" and d.t_prev is not None and p.t - d.t_prev < OOO_US:
                    self.notes.append("frame %d: retransmission %d us after the previous "
                                      "segment of its direction (highest-seq segment %d ms "
                                      "before)" % (p.idx, p.t - d.t_prev, dt_high // 1000))
            for x in d.sent:
                if x[0] < s + seglen and s < x[1] and kind != "ooo":
                    x[4] = True  # Karn
        if kind:
            L.add(kind)
            f.n[kind] += 1
            if kind in LABEL_ANOMALY:
                self.event(LABEL_ANOMALY[kind], p.idx, f)
        d.t_prev = p.t
        # new sequence space (not for probes and keep-alives)
        if kind is None and seglen:
            if d.next is None or s + seglen > d.next:
                d.next, d.t_high = s + seglen, p.t
        if n and kind in (None, "ooo"):
            d.sent.append([s, s + n, p.t, p.idx, False, False])
        if n and kind is None and d.timed is None:
            d.timed = [s + n, p.t]
        elif kind in ("rto", "fast"):
            d.timed = None  # Karn: a retransmission stops the timing
        if p.S and not p.A:
            f.syns += 1
            f.t_syn = p.t
            if f.t_syn_first is None:
                f.t_syn_first = p.t
            # one pending entry per (destination, ISN): every SYN
            # transmission arms it, a wrong-source SYN-ACK consumes it
            pend = self.pending_syn.setdefault((p.src, p.sport), [])
            for e in pend:
                if e[:3] == [p.dst, p.dport, p.seq]:
                    e[3], e[4] = f, True
                    break
            else:
                pend.append([p.dst, p.dport, p.seq, f, True])
        # -- offload corruption: a good copy of a bad segment's bytes
        if n and d.bad:
            for bseg in list(d.bad):
                lo, hi = max(bseg[0], s), min(bseg[1], s + n)
                if lo < hi:
                    if bseg[3][lo - bseg[0]:hi - bseg[0]] != p.payload[lo - s:hi - s]:
                        raise GenError("flow model: frame %d overlaps bad frame %d with "
                                       "other bytes" % (p.idx, bseg[2]))
                    d.bad.remove(bseg)
                    self.event("offload_corruption", p.idx, f, sender_ip=bseg[4],
                               sender_mac=bseg[5], bad_frame=bseg[2])
        # -- ack stall (sender side, at the sender's next data)
        if n and kind not in ("ka", "zwp"):
            cand, d.stall = d.stall, None
            if cand is not None and cand["ack_t"] is not None:
                gap, nxt = cand["ack_t"] - cand["t"], p.t - cand["ack_t"]
                if abs(gap - STALL_MIN_US) < 2000 or abs(nxt - STALL_NEXT_US) < 2000:
                    raise GenError("flow model: frame %d: stall timing too close to a "
                                   "threshold" % p.idx)
                if gap >= STALL_MIN_US and nxt <= STALL_NEXT_US:
                    f.stalls.append((gap, p.idx, cand["idx"], cand["ack_idx"]))
                    self.event("ack_stall", p.idx, f, stall_us=gap)
            if kind is None and d.acked is not None and d.acked >= s:
                d.stall = {"t": p.t, "end": s + n, "idx": p.idx, "ack_t": None,
                           "ack_idx": None}
        # -- ttfb
        if n and kind is None and d.first_data_t is None:
            d.first_data_t = p.t
            d.data_seen = True
            if not fc and f.dirs[True].first_data_t is not None:
                f.ttfb = p.t - f.dirs[True].first_data_t
        # -- the ACK side of the segment (DECIDED: not an RST's: the
        #    receiving stack drops the RST's ACK field with the connection)
        if p.A and not p.R:
            if (n == 0 and not (p.S or p.F or p.R) and p.win != 0 and d.win == p.win
                    and d.last_ack == p.ack and d.next is not None and s == d.next
                    and not peer.last_ka):
                L.add("dupack")
                f.n["dupack"] += 1
                d.dupacks += 1
                d.t_dupack = p.t
            elif d.last_ack != p.ack:
                d.dupacks = 0
            if peer.base is not None:
                a = peer.rel(p.ack)
                if peer.acked is None or a > peer.acked:
                    newly = [x for x in peer.sent if not x[5] and x[1] <= a]
                    for x in newly:
                        x[5] = True
                    clean = [x for x in newly if not x[4]]  # Karn
                    rd = f.rtt_rd
                    rd["each"] += [p.t - x[2] for x in clean]
                    if clean:
                        rd["first"].append(p.t - clean[0][2])
                    for x in clean:
                        if x[1] == a:
                            rd["exact"].append(p.t - x[2])
                            f.rtt.append((p.t - x[2], p.idx, x[3]))
                    if peer.timed is not None and a >= peer.timed[0]:
                        rd["timed"].append(p.t - peer.timed[1])
                        peer.timed = None
                    if newly and p.tsecr in peer.ts_first:
                        rd["ts"].append(p.t - peer.ts_first[p.tsecr])
                        if p.tsecr not in peer.ts_sampled:
                            peer.ts_sampled.add(p.tsecr)
                            rd["ts1"].append(p.t - peer.ts_first[p.tsecr])
                    st = peer.stall
                    if st is not None and st["ack_t"] is None and a >= st["end"]:
                        st["ack_t"], st["ack_idx"] = p.t, p.idx
                    peer.acked = a
            d.last_ack = p.ack
        if not p.R:
            if p.win == 0 and not (p.S or p.F):
                L.add("zw")
                f.n["zw"] += 1
                self.event("zero_window", p.idx, f)
            d.win = p.win
        # -- handshake
        if p.S and p.A and not fc:
            cd = f.dirs[True]
            if cd.base is not None and cd.rel(p.ack) == 1 and f.t_synack is None:
                f.t_synack = p.t
                f.syn_to_synack = p.t - f.t_syn
            self.synack_source(p, f)
        elif (fc and p.A and not p.S and f.t_synack is not None and not f.established
              and peer.rel(p.ack) == 1):
            f.established = True
            f.hs_ack_idx = p.idx
            f.synack_to_ack = p.t - f.t_synack
            f.initial_rtt = p.t - f.t_syn_first
        # -- FIN / RST
        if p.F:
            f.fin_or_rst = True
            d.fin_end = s + seglen
        if p.R:
            f.fin_or_rst = True
            if (not fc and f.established and f.dirs[True].data_seen
                    and not f.dirs[False].data_seen and not f.rst_fired and not f.incident):
                f.rst_fired = True
                self.event("rst_after_first_data", p.idx, f)
            if not f.closed:
                f.reason = "rst"
                self.finish(f, "rst")
        cd, sd = f.dirs[True], f.dirs[False]
        if (not f.closed and cd.fin_end is not None and sd.fin_end is not None
                and cd.acked is not None and sd.acked is not None
                and cd.acked >= cd.fin_end and sd.acked >= sd.fin_end):
            self.finish(f, "fin")
        d.last_ka = kind == "ka"

    def synack_source(self, p, f):
        """A SYN-ACK acking a SYN that C:c sent to someone else: one event
        per SYN transmission answered (DECIDED: a resent SYN-ACK with no
        new SYN in between is the same attempt)."""
        for (dst, dport, isn, sf, armed) in self.pending_syn.get((p.dst, p.dport), []):
            if (isn + 1) & 0xFFFFFFFF != p.ack:
                continue
            if (dst, dport) == (p.src, p.sport):
                return  # the expected peer
        for e in self.pending_syn.get((p.dst, p.dport), []):
            dst, dport, isn, sf, armed = e
            if (isn + 1) & 0xFFFFFFFF == p.ack and (dst, dport) != (p.src, p.sport):
                sf.no_syn_unanswered = True
                f.incident = True
                if armed:
                    e[4] = False
                    self.event("synack_unexpected_source", p.idx, f,
                               expected_src=endpoint(dst, dport),
                               actual_src=endpoint(p.src, p.sport))
                return

    # -- results ----------------------------------------------------------
    def counts(self):
        c = {t: 0 for t in DETECTORS}
        for e in self.events:
            c[e["type"]] += 1
        return c


def rtt_expected(f):
    """Exact RTT values when every reading agrees, else ranges covering
    them all (TCP timestamps: +-1 ms, the TS clock)."""
    keys = ("each", "exact", "first", "timed") + (("ts", "ts1") if f.uses_ts else ())
    rd = [sorted(f.rtt_rd[k]) for k in keys]
    if not any(rd):
        return {"rtt_samples": 0}
    if all(r == rd[0] for r in rd) and not f.uses_ts:
        v = rd[0]
        return {"rtt_min_us": min(v), "rtt_max_us": max(v),
                "rtt_avg_us": span(sum(v) / len(v), 1), "rtt_samples": len(v)}
    # with timestamps, which ACKs give a sample is the implementation's
    # choice (every ACK of new data, once per TSval, Karn or not): >= 1
    out = {"rtt_samples": {"min": 1 if f.uses_ts else min(len(r) for r in rd),
                           "max": max(len(r) for r in rd)}}
    if all(rd):
        sl = 1000 if f.uses_ts else 0
        for key, g in (("rtt_min_us", min), ("rtt_max_us", max),
                       ("rtt_avg_us", lambda r: sum(r) / len(r))):
            vals = [g(r) for r in rd]
            out[key] = {"min": max(0, round(min(vals) - sl - (1 if key == "rtt_avg_us" else 0), 3)),
                        "max": round(max(vals) + sl + (1 if key == "rtt_avg_us" else 0), 3)}
    return out


def flow_record(f):
    """The expected flow event of f (None when it cannot be stated)."""
    if f.after_close:
        return None  # packets after FIN/RST on the same tuple: new flow or not is open
    ports = f.proto in (6, 17)
    r = {"src_ip": f.client[0]}
    if ports:
        r["src_port"] = f.client[1]
    r["dest_ip"] = f.server[0]
    if ports:
        r["dest_port"] = f.server[1]
    r["proto"] = PROTONAME[f.proto]
    fl = {"pkts_toserver": f.pkts[True], "pkts_toclient": f.pkts[False],
          "bytes_toserver": f.bytes[True], "bytes_toclient": f.bytes[False],
          "start": iso_us(f.start), "end": iso_us(f.last)}
    if f.proto == 6 and (f.reason in ("fin", "rst") or f.established):
        fl["reason"] = f.reason
    r["flow"] = fl
    if f.proto == 6:
        t = {"retransmissions": f.n["rto"] + f.n["fast"],
             "fast_retransmissions": f.n["fast"], "rto_retransmissions": f.n["rto"],
             "out_of_order": f.n["ooo"], "dup_acks": f.n["dupack"],
             "zero_windows": f.n["zw"], "zero_window_probes": f.n["zwp"],
             "keepalives": f.n["ka"], "ack_stalls": len(f.stalls)}
        if f.stalls:
            t["max_ack_stall_ms"] = span(max(x[0] for x in f.stalls) / 1000.0, 0.5)
        if f.syn_to_synack is not None and f.established:
            t["syn_to_synack_us"] = f.syn_to_synack
            t["synack_to_ack_us"] = f.synack_to_ack
        if f.ttfb is not None:
            t["ttfb_us"] = f.ttfb
        t.update(rtt_expected(f))
        r["tcp"] = t
    if f.proto in (1, 58) and f.icmp_rtt:
        v = [x[0] for x in f.icmp_rtt]
        r["icmp"] = {"rtt_min_us": min(v), "rtt_max_us": max(v),
                     "rtt_avg_us": span(sum(v) / len(v), 1), "rtt_samples": len(v)}
    r["checksum"] = dict(f.csum)
    return r


def flow_expected(fm):
    """(stats additions, anomaly counts, events, flows, absent types)."""
    counts = fm.counts()
    per = {}
    events = []
    for e in fm.events:
        k = (id(e["flow"]), e["type"])
        per[k] = per.get(k, 0) + 1
        if per[k] > RATE_LIMIT:
            if e["type"] not in ("rto_retransmission", "fast_retransmission", "zero_window"):
                raise GenError("more than %d %s in one flow" % (RATE_LIMIT, e["type"]))
            continue
        ev = {"type": e["type"]}
        f = e["flow"]
        if e["idx"] is not None and e["type"] != "offload_corruption":
            ev["pcap_cnt"] = e["idx"]
        if e["type"] in ("syn_unanswered", "missing_fin"):
            ev.update({"src_ip": f.client[0], "src_port": f.client[1],
                       "dest_ip": f.server[0], "dest_port": f.server[1], "proto": "TCP"})
        dt = e["details"]
        if e["type"] == "ack_stall":
            ev["anomaly"] = {"stall_ms": span(round(dt["stall_us"] / 1000.0, 3), 0.5)}
        elif dt:
            ev["anomaly"] = dict(dt)
        events.append(ev)
    ev_counts = {}
    for (fid, typ), n in per.items():
        ev_counts[typ] = ev_counts.get(typ, 0) + min(n, RATE_LIMIT)
    ev_counts = {t: ev_counts.get(t, 0) for t in DETECTORS}
    flows = [r for r in (flow_record(f) for f in fm.flows) if r is not None]
    created = None if any(f.after_close for f in fm.flows) else len(fm.flows)
    for x in events:  # round the stall windows for stable JSON
        a = x.get("anomaly", {}).get("stall_ms")
        if a:
            a["min"], a["max"] = round(a["min"], 3), round(a["max"], 3)
    for r in flows:
        m = r.get("tcp", {}).get("max_ack_stall_ms")
        if m:
            m["min"], m["max"] = round(m["min"], 3), round(m["max"], 3)
        for obj in (r.get("tcp", {}), r.get("icmp", {})):
            a = obj.get("rtt_avg_us")
            if isinstance(a, dict):
                a["min"], a["max"] = round(a["min"], 3), round(a["max"], 3)
    return counts, ev_counts, events, flows, created


# ---------------------------------------------------------------------------
# tshark cross-check of the flow model (tcp.analysis.*, RTTs, ICMP resptime)

TSHARK_TCP_FIELDS = ["tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
                     "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
                     "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window",
                     "tcp.analysis.zero_window_probe", "tcp.analysis.keep_alive",
                     "tcp.analysis.ack_rtt", "tcp.analysis.acks_frame",
                     "tcp.analysis.initial_rtt", "icmp.resptime", "icmpv6.resptime"]


def tshark_flow_check(path, cap, fm):
    exe = shutil.which("tshark")
    if not exe:
        return [], ["tshark not found: flow cross-check SKIPPED"], []
    cmd = [exe, "-n", "-r", path, "-o", "tcp.analyze_sequence_numbers:TRUE",
           "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "tcp.calculate_timestamps:TRUE",
           "-T", "fields", "-E", "separator=/t", "-e", "frame.number"]
    for f in TSHARK_TCP_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True,
                         universal_newlines=True).stdout
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(TSHARK_TCP_FIELDS) + 1 - len(cols))
        rows[int(cols[0])] = dict(zip(TSHARK_TCP_FIELDS, cols[1:]))
    problems, known = [], []
    ws_n = {k: 0 for k in TCP_WS_LABELS}
    my_n = {k: 0 for k in TCP_WS_LABELS}
    for i, fr in enumerate(cap.frames, 1):
        r = rows.get(i, {})
        ws = set()
        if r.get("tcp.analysis.fast_retransmission"):
            ws.add("fast")
        elif r.get("tcp.analysis.spurious_retransmission"):
            ws.add("spurious")
        elif r.get("tcp.analysis.retransmission"):
            ws.add("rto")
        for fld, lab in (("out_of_order", "ooo"), ("duplicate_ack", "dupack"),
                         ("zero_window", "zw"), ("zero_window_probe", "zwp"),
                         ("keep_alive", "ka")):
            if r.get("tcp.analysis." + fld):
                ws.add(lab)
        mine = set(fm.labels[i - 1]) & set(TCP_WS_LABELS)
        for k in TCP_WS_LABELS:
            ws_n[k] += k in ws
            my_n[k] += k in mine
        if fr.tshark is not None:
            want, why = fr.tshark
            if ws != set(want):
                problems.append("frame %d: declared tshark difference %s, tshark says %s"
                                % (i, sorted(want), sorted(ws)))
            known.append("frame %d: model %s, tshark %s: %s"
                         % (i, sorted(mine) or "-", sorted(ws) or "-", why))
        elif ws != mine:
            problems.append("frame %d: model %s, tshark tcp.analysis %s"
                            % (i, sorted(mine) or "-", sorted(ws) or "-"))

    def rtt_at(idx, data_idx, us, what):
        r = rows.get(idx, {})
        got = r.get("tcp.analysis.ack_rtt", "")
        if r.get("tcp.analysis.acks_frame") != str(data_idx) or not got or \
                abs(float(got) * 1e6 - us) > 1:
            problems.append("%s: frame %d acks frame %d after %d us; tshark: acks %s, ack_rtt %s"
                            % (what, idx, data_idx, us, r.get("tcp.analysis.acks_frame") or "-",
                               got or "-"))
            return 0
        return 1

    n_rtt = n_hs = n_icmp = 0
    for f in fm.flows:
        for us, aidx, didx in f.rtt:
            n_rtt += rtt_at(aidx, didx, us, "RTT sample")
        for gap, nidx, didx, aidx in f.stalls:
            n_rtt += rtt_at(aidx, didx, gap, "ack stall")
        if f.established and f.syns == 1 and f.hs_ack_idx:
            got = rows.get(f.hs_ack_idx, {}).get("tcp.analysis.initial_rtt", "")
            want = f.syn_to_synack + f.synack_to_ack
            if not got or abs(float(got) * 1e6 - want) > 1:
                problems.append("handshake of frame %d: %d us, tshark initial_rtt %s"
                                % (f.hs_ack_idx, want, got or "-"))
            else:
                n_hs += 1
        for us, idx in f.icmp_rtt:
            r = rows.get(idx, {})
            got = r.get("icmp.resptime") or r.get("icmpv6.resptime")
            if not got or abs(float(got) * 1000 - us) > 1:
                problems.append("echo reply frame %d: %d us, tshark resptime %s ms"
                                % (idx, us, got or "-"))
            else:
                n_icmp += 1
    info = ["tcp.analysis (model/tshark): " + "  ".join(
        "%s %d/%d" % (k, my_n[k], ws_n[k]) for k in TCP_WS_LABELS)]
    info.append("tshark agrees on %d RTT/stall samples, %d handshakes (initial_rtt), "
                "%d echo RTTs" % (n_rtt, n_hs, n_icmp))
    return problems, info, known


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


def expected_for(case, cap, models, fm=None):
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
    if fm is not None:
        fcounts, fev_counts, fevents, flows, created = flow_expected(fm)
        stats["anomalies"].update(fcounts)
        if created is not None:
            stats["flows"] = {"created": created}
        exp["anomaly_event_counts"].update(fev_counts)
        exp["anomaly_events"] = events + fevents
        exp["flows"] = flows
        absent = [t for t, n in stats["anomalies"].items() if n == 0]
        if not any(v.verdict == "partial" for m in models for v in m.verdicts):
            absent.append("checksum_partial")
        if not malformed:
            absent.append("malformed")
        exp["absent_anomalies"] = absent
        if any(f.get("proto") == "TCP" for f in flows):
            # counters whose rules wirecheck and Wireshark share: the replay
            # runner compares them with tshark on the same file, live
            exp["tshark_tcp"] = ["retransmissions", "fast_retransmissions", "dup_acks",
                                 "zero_windows", "zero_window_probes", "out_of_order",
                                 "keepalives"]
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
        if k in ("anomaly_events", "flows"):
            out.append('  %s: [' % json.dumps(k))
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
    def __init__(self, name, fn, description, args=(), informative=None,
                 flows=False):
        self.name = name
        self.fn = fn
        self.description = description
        self.args = args
        self.informative = informative or {}
        self.flows = flows  # run the flow/TCP reference model (FlowModel)


def case(name, description, args=(), informative=None, flows=False):
    def deco(fn):
        CASES.append(Case(name, fn, description, args, informative, flows))
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
# Flow and TCP analysis cases (issue 3): expected flow records and detector
# events come from the flow model above, which must reproduce what each
# case declares and each frame's built labels; tshark's tcp.analysis agrees
# (README: where Wireshark counts differently).

@case("tcp-healthy",
      "Healthy TCP, no anomaly of any kind: an HTTP/1.1 keep-alive connection "
      "over IPv4 without timestamps (three requests, one-segment responses, "
      "each ACKed: exact RTT samples under any matching rule, handshake times "
      "and time to first byte), an "
      "HTTP/1.0 fetch over IPv4 with Linux timestamps that the server closes "
      "first, and a TLS-like exchange over IPv6 with timestamps (RTTs as "
      "ranges: TSecr echo or seq/ack matching).",
      flows=True)
def c_tcp_healthy(cap, rng):
    cli = Host("52:54:00:04:00:0a", "10.4.0.10", "2001:db8:4::a", ipid=0x4a00)
    web = Host("52:54:00:04:00:50", "10.4.0.80", "2001:db8:4::50", ipid=0x5000)
    # 1: keep-alive connection, no timestamps, quick ACKs; one segment in
    #    flight at a time, so every RTT matching rule gives the same samples
    c = TcpConn(cap, cli, web, 49712, 80, ts=False, isn_c=0x6b8b4567,
                isn_s=0x327b23c6, wscale=8)
    c.handshake(dt=1000, syn_synack=350, synack_ack=420)
    for i, (path, size, srv, ack, gap) in enumerate((
            ("/index.html", 900, 900, 380, 80), ("/style.css", 600, 1100, 400, 20000),
            ("/logo.svg", 1200, 760, 410, 3000))):
        c.seg(True, "PA", http_get("10.4.0.80", path), dt=gap)
        c.seg(False, "PA", http_resp(size), dt=srv)
        c.seg(True, "A", dt=ack)
    c.seg(True, "FA", dt=5000)
    c.seg(False, "FA", dt=300)
    c.seg(True, "A", dt=350)
    # 2: HTTP/1.0, Linux client with timestamps, the server closes first
    c = TcpConn(cap, cli, web, 49714, 80, isn_c=0x66334873, isn_s=0x74b0dc51)
    c.handshake(dt=3000, syn_synack=310, synack_ack=405)
    c.seg(True, "PA", http_get("10.4.0.80", "/api/v1/health").replace(b"1.1", b"1.0"),
          dt=60)
    sent = c.send(False, http_resp(4600), dt=1500, gap=12)
    c.seg(False, "FA", dt=10)
    c.seg(True, "A", ack=sent[1][1], dt=420)
    c.seg(True, "A", dt=30)
    c.seg(True, "FA", dt=200)
    c.seg(False, "A", dt=380)
    # 3: TLS-like over IPv6 with timestamps
    c = TcpConn(cap, cli, web, 51620, 443, v6=True, isn_c=0x19495cff,
                isn_s=0x2ae8944a, mss=1440)
    c.handshake(dt=4000, syn_synack=290, synack_ack=330)
    c.seg(True, "PA", payload(rng, 517), dt=150)
    c.seg(False, "A", dt=300)
    sent = c.send(False, payload(rng, 3300), dt=2100, gap=10)
    c.seg(True, "A", ack=sent[1][1], dt=360)
    c.seg(True, "A", dt=20)
    c.seg(True, "PA", payload(rng, 126), dt=2200)
    c.seg(False, "PA", payload(rng, 51), dt=700)
    c.seg(True, "PA", payload(rng, 310), dt=900)
    c.seg(False, "PA", payload(rng, 1020), dt=1800)
    c.seg(True, "A", dt=340)
    c.seg(True, "FA", dt=15000)
    c.seg(False, "FA", dt=310)
    c.seg(True, "A", dt=330)


@case("tcp-offload-corruption",
      "The KVM-guest incident: guest 52:54:00:12:34:56 / 10.0.0.5 leaks "
      "4434-byte TSO super-frames with corrupt TCP checksums onto the bridge "
      "(rsync upload to 10.0.0.20:873); the receiver drops each (one dup ACK) "
      "and the guest resends the bytes after an RTO (>= 210 ms) as three "
      "1514-byte segments with good checksums: 4 offload_corruption (sender "
      "IP and MAC, bad_frame = the super-frame), 12 RTO retransmissions (10 "
      "events: per-flow rate limit). A second sender (10.0.0.7, veth, every "
      "TCP checksum partial) with partial super-frames, one of them and one "
      "normal segment lost and resent (partial): 4 RTO retransmissions and "
      "no offload_corruption (partial is not damage).",
      flows=True)
def c_tcp_offload(cap, rng):
    guest = Host("52:54:00:12:34:56", "10.0.0.5", ipid=0x1c00)
    store = Host("52:54:00:65:43:21", "10.0.0.20", ipid=0x5e00)
    offl = Host("52:54:00:ab:cd:07", "10.0.0.7", ipid=0x0700)
    api = Host("52:54:00:ab:cd:30", "10.0.0.30", ipid=0x3000)
    up = TcpConn(cap, guest, store, 51234, 873, ts=False, isn_c=0x5a5a0000,
                 isn_s=0xa5a50000)
    up.handshake(dt=1000, syn_synack=300, synack_ack=250)
    up.seg(True, "PA", b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", dt=100)
    up.seg(False, "PA", b"@RSYNCD: 31.0 sha512 sha256 sha1 md5 md4\n", dt=300)
    up.seg(True, "PA", b"backup\n", dt=100)
    up.seg(False, "PA", b"@RSYNCD: OK\n", dt=500)
    up.seg(True, "A", dt=100)
    for k in range(4):
        data = payload(rng, 4380)
        s = up.snd[True]
        up.seg(True, "PA", data, l4v="bad", tso=True, dt=2000,
               note="TSO super-frame, corrupt checksum")
        up.seg(False, "A", dt=120, expect={"dupack"},
               note="dup ACK: the super-frame was dropped")
        # RTO: the head alone, then the rest once it is ACKed (cwnd 1, 2)
        up.seg(True, "A", data[:1460], seq=s, dt=210000 + 7000 * k,
               expect={"rto", "corruption"}, note="RTO: head resent intact")
        up.seg(False, "A", dt=130)
        up.seg(True, "A", data[1460:2920], seq=s + 1460, dt=20, expect={"rto"})
        up.seg(True, "PA", data[2920:], seq=s + 2920, dt=15, expect={"rto"})
        up.seg(False, "A", dt=130)
        for j in range(6):
            up.seg(True, "A", payload(rng, 1460), dt=50 if j else 1500)
            if j % 2:
                up.seg(False, "A", dt=120)
    up.seg(True, "FA", dt=3000)
    up.seg(False, "FA", dt=200)
    up.seg(True, "A", dt=150)

    # the veth sender: partial checksums everywhere, never offload_corruption
    o = TcpConn(cap, offl, api, 38812, 443, isn_c=0x0ff10000, isn_s=0x0ff20000)
    o.seg(True, "S", l4v="partial", dt=3000)
    o.seg(False, "SA", dt=150)
    o.seg(True, "A", l4v="partial", dt=60)
    o.seg(True, "PA", payload(rng, 517), l4v="partial", dt=40)
    o.seg(False, "PA", payload(rng, 1448), dt=400)
    o.seg(False, "PA", payload(rng, 1200), dt=10)
    o.seg(True, "A", l4v="partial", dt=60)
    for k in range(2):  # partial super-frames the receiver takes (virtio)
        o.seg(True, "PA", payload(rng, 4344), l4v="partial", tso0=True, tso=True,
              dt=2000, note="partial super-frame")
        o.seg(False, "A", dt=150)
    data = payload(rng, 4344)
    s = o.snd[True]
    o.seg(True, "PA", data, l4v="partial", tso0=True, tso=True, lost=True, dt=2000,
          note="partial super-frame, dropped downstream")
    o.seg(True, "A", data[:1448], seq=s, l4v="partial", dt=220000, expect={"rto"},
          note="RTO, partial again: no corruption")
    o.seg(False, "A", dt=150)
    o.seg(True, "A", data[1448:2896], seq=s + 1448, l4v="partial", dt=20, expect={"rto"})
    o.seg(True, "PA", data[2896:], seq=s + 2896, l4v="partial", dt=15, expect={"rto"})
    o.seg(False, "A", dt=150)
    d2 = payload(rng, 1448)
    s = o.snd[True]
    o.seg(True, "PA", d2, l4v="partial", lost=True, dt=3000, note="lost")
    o.seg(True, "PA", d2, seq=s, l4v="partial", dt=230000, expect={"rto"})
    o.seg(False, "A", dt=150)
    o.seg(True, "FA", l4v="partial", dt=2000)
    o.seg(False, "FA", dt=150)
    o.seg(True, "A", l4v="partial", dt=60)
    return {"offload_corruption": 4, "rto_retransmission": 16}


def _post(i, body_len):
    return ("POST /v1/orders/%d HTTP/1.1\r\nHost: orders.internal\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (1000 + i, body_len)).encode()


@case("tcp-ack-stall",
      "The Nagle/delayed-ACK trap: a client writes a request header, then "
      "its body, then reads (write-write-read) on one connection with Nagle "
      "on; the body waits for the server's delayed ACK of the header: stalls "
      "of 40.2 and 41.7 ms (Linux server, 40 ms delayed ACK) and 203.0 ms (a "
      "200 ms delayed-ACK stack): 3 ack_stall events at the body segments, "
      "stall_ms within 0.5 ms. Must not fire: a bulk upload (always data in "
      "flight; its last segment's 40 ms delayed ACK is followed by no data), "
      "and request/response cycles whose server ACKs at 40 ms and answers at "
      "100 ms while the client has nothing more to send.",
      flows=True)
def c_tcp_ack_stall(cap, rng):
    cli = Host("52:54:00:05:00:0a", "10.5.0.10", ipid=0x0a00)
    lin = Host("52:54:00:05:00:14", "10.5.0.20", ipid=0x1400)
    w2k = Host("52:54:00:05:00:1e", "10.5.0.30", ipid=0x1e00)
    blk = Host("52:54:00:05:00:28", "10.5.0.40", ipid=0x2800)
    body = b'{"sku":"A-1022","qty":3,"ship":"express"}'
    resp = (b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n"
            b"Location: /v1/orders/1000\r\n\r\n")
    c = TcpConn(cap, cli, lin, 45678, 8080, isn_c=0x2f6b0001, isn_s=0x61c3a002)
    c.handshake(dt=1000, syn_synack=280, synack_ack=310)
    for i, stall in enumerate((40200, 41700)):
        c.seg(True, "PA", _post(i, len(body)), dt=5000 if i else 200, note="header")
        c.seg(False, "A", dt=stall, note="delayed ACK")
        c.seg(True, "PA", body, dt=60, expect={"stall"}, note="body after the stall")
        c.seg(False, "PA", resp, dt=450)
    c.seg(True, "A", dt=40000, note="delayed ACK; the server has nothing more")
    c.seg(True, "FA", dt=3000)
    c.seg(False, "FA", dt=300)
    c.seg(True, "A", dt=300)
    # a 200 ms delayed-ACK server (no timestamps)
    c = TcpConn(cap, cli, w2k, 45679, 8080, ts=False, isn_c=0x2f6c0001,
                isn_s=0x0badbeef, wscale=8)
    c.handshake(dt=2000, syn_synack=420, synack_ack=380)
    c.seg(True, "PA", _post(7, len(body)), dt=200, note="header")
    c.seg(False, "A", dt=203000, note="delayed ACK (200 ms stack)")
    c.seg(True, "PA", body, dt=70, expect={"stall"})
    c.seg(False, "PA", resp, dt=800)
    c.seg(True, "A", dt=500)
    c.seg(True, "FA", dt=2000)
    c.seg(False, "FA", dt=400)
    c.seg(True, "A", dt=400)
    # bulk upload: data always in flight; the last segment's delayed ACK
    # comes at 40 ms but the sender has no more data (FIN only)
    b = TcpConn(cap, cli, blk, 45680, 9000, isn_c=0x2f6d0001, isn_s=0x44440000)
    b.handshake(dt=2000, syn_synack=250, synack_ack=260)
    for burst in range(3):
        sent = b.send(True, payload(rng, 1448 * 4), dt=300 if burst else 100, gap=12)
        b.seg(False, "A", ack=sent[1][1], dt=250)
        b.seg(False, "A", dt=24)
    b.seg(True, "PA", payload(rng, 700), dt=300, note="last segment")
    b.seg(True, "FA", dt=15)
    b.seg(False, "A", dt=40000, note="delayed ACK, nothing more to send")
    b.seg(False, "FA", dt=200)
    b.seg(True, "A", dt=250)
    # request/response: 40 ms delayed ACK, answer at 100 ms, client idle
    r = TcpConn(cap, cli, lin, 45682, 8081, isn_c=0x2f6e0001, isn_s=0x61c4a002)
    r.handshake(dt=3000, syn_synack=270, synack_ack=300)
    for i in range(2):
        r.seg(True, "PA", http_get("10.5.0.20:8081", "/report/%d" % i),
              dt=500000 if i else 150)
        r.seg(False, "A", dt=40000, note="delayed ACK")
        r.seg(False, "PA", http_resp(300 + 40 * i), dt=60000, note="answer at 100 ms")
        r.seg(True, "A", dt=40000, note="client delayed ACK")
    r.seg(True, "FA", dt=1000)
    r.seg(False, "FA", dt=300)
    r.seg(True, "A", dt=300)
    return {"ack_stall": 3}


@case("tcp-vip-asymmetry",
      "DNAT/VIP asymmetry: the client's SYN to the VIP 192.0.2.10:80 is "
      "answered by a SYN-ACK (ack = ISN+1) from the real server 10.1.0.7:80 "
      "(return path bypasses the load balancer); the client RSTs it and "
      "retransmits the SYN (1 s, 3 s): 3 synack_unexpected_source; the same "
      "over IPv6 (VIP [2001:db8:ff::10]:80, real server [2001:db8:1::7]:80, 2 "
      "SYNs): 2 more. The retransmitted SYNs are RTO retransmissions (3). No "
      "syn_unanswered for the VIP flows, no rst_after_first_data. Then a "
      "connection to the VIP answered by the VIP, healthy.",
      flows=True)
def c_tcp_vip(cap, rng):
    gw = "52:54:00:06:00:01"
    cli = Host("52:54:00:06:00:0a", "10.6.0.10", "2001:db8:6::a", ipid=0x6a00)
    vip = Host(gw, "192.0.2.10", "2001:db8:ff::10", ipid=0x0a00)
    rs = Host(gw, "10.1.0.7", "2001:db8:1::7", ipid=0x0700)
    t0 = cap.t

    def at(sec):
        return t0 + int(sec * 1000000) - cap.t

    isn4, isn6 = 0x7e57c0de, 0x1badd00d
    a4 = TcpConn(cap, cli, vip, 40100, 80, isn_c=isn4, ts_c=0x1000000)
    b4 = TcpConn(cap, cli, rs, 40100, 80, isn_c=isn4, isn_s=0x3a000000, ts_c=0x1000000)
    a6 = TcpConn(cap, cli, vip, 40102, 80, v6=True, isn_c=isn6, ts_c=0x1000000)
    b6 = TcpConn(cap, cli, rs, 40102, 80, v6=True, isn_c=isn6, isn_s=0x5b000000,
                 ts_c=0x1000000)

    def attempt(a, b, isn, sec, retrans, k):
        a.seg(True, "S", seq=isn, dt=at(sec), expect={"rto"} if retrans else ())
        if not retrans:
            a.snd[True] = (isn + 1) & 0xFFFFFFFF
        b.ts_recent[False] = a.tsval(True, cap.t)
        b.snd[False] = (b.snd[False] + k * 15625000) & 0xFFFFFFFF  # new ISN each time
        b.seg(False, "SA", ack=(isn + 1) & 0xFFFFFFFF, dt=620, expect={"synack_src"},
              note="SYN-ACK from the real server")
        b.snd[False] = (b.snd[False] - 1) & 0xFFFFFFFF
        b.seg(True, "R", seq=(isn + 1) & 0xFFFFFFFF, win=0, opts=[], dt=25,
              note="client RST: no such connection")

    attempt(a4, b4, isn4, 0, False, 0)
    attempt(a6, b6, isn6, 0.5, False, 0)
    attempt(a4, b4, isn4, 1.0, True, 1)
    attempt(a6, b6, isn6, 1.5, True, 1)
    attempt(a4, b4, isn4, 3.0, True, 2)
    # curl --retry: a new connection, answered by the VIP this time
    c = TcpConn(cap, cli, vip, 40104, 80, isn_c=0x7e600000, isn_s=0x2c000000)
    c.handshake(dt=at(5.0), syn_synack=650, synack_ack=640)
    c.seg(True, "PA", http_get("192.0.2.10", "/"), dt=60)
    c.seg(False, "A", dt=650)
    c.send(False, http_resp(2600), dt=900, gap=15)
    c.seg(True, "A", dt=660)
    c.seg(True, "FA", dt=1200)
    c.seg(False, "FA", dt=650)
    c.seg(True, "A", dt=640)
    return {"synack_unexpected_source": 5, "rto_retransmission": 3}


@case("tcp-rst-first-data",
      "A sidecar proxy accepts connections the real service refuses: "
      "handshake, the client's first request, the proxy ACKs it and then "
      "resets (two flows: HTTP and gRPC preface), or resets without the "
      "separate ACK (one flow): 3 rst_after_first_data at the RSTs. Must not "
      "fire: a complete exchange closed by FINs, one closed by the server's "
      "RST after its response, one aborted by the client's RST.",
      flows=True)
def c_tcp_rst_first(cap, rng):
    app = Host("52:54:00:07:00:0a", "10.7.0.10", ipid=0x0a00)
    svc = Host("52:54:00:07:00:32", "10.7.0.50", ipid=0x3200)
    grpc = (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000012040000000000") +
            bytes.fromhex("000300000064000400100000000600002000"))
    for i, (port, req, ack_first) in enumerate((
            (50100, http_get("orders.svc:8080", "/v1/orders"), True),
            (50102, grpc, True),
            (50104, http_get("orders.svc:8080", "/v1/stock"), False))):
        c = TcpConn(cap, app, svc, port, 8080, isn_c=0x50000000 + port * 4099,
                    isn_s=0x70000000 + port * 6151)
        c.handshake(dt=20000 if i else 1000, syn_synack=90, synack_ack=110)
        c.seg(True, "PA", req, dt=70)
        if ack_first:
            c.seg(False, "A", dt=95)
        c.seg(False, "RA", win=0, dt=2100 if ack_first else 2300,
              expect={"rst_first_data"}, note="upstream refused: reset")
    # healthy: FINs
    c = TcpConn(cap, app, svc, 50106, 8080, isn_c=0x51000000, isn_s=0x71000000)
    c.handshake(dt=20000, syn_synack=90, synack_ack=110)
    c.seg(True, "PA", http_get("orders.svc:8080", "/v1/orders"), dt=70)
    c.send(False, http_resp(2100), dt=1800)
    c.seg(True, "A", dt=110)
    c.seg(True, "FA", dt=500)
    c.seg(False, "FA", dt=100)
    c.seg(True, "A", dt=100)
    # healthy: the server resets after a complete response
    c = TcpConn(cap, app, svc, 50108, 8080, isn_c=0x52000000, isn_s=0x72000000)
    c.handshake(dt=20000, syn_synack=90, synack_ack=110)
    c.seg(True, "PA", http_get("orders.svc:8080", "/v1/orders/7"), dt=70)
    c.seg(False, "PA", http_resp(400), dt=1500)
    c.seg(True, "A", dt=110)
    c.seg(False, "RA", win=0, dt=800, note="RST after the response: not an incident")
    # healthy: the client aborts after the response
    c = TcpConn(cap, app, svc, 50110, 8080, isn_c=0x53000000, isn_s=0x73000000)
    c.handshake(dt=20000, syn_synack=90, synack_ack=110)
    c.seg(True, "PA", http_get("orders.svc:8080", "/v1/orders/8"), dt=70)
    c.seg(False, "PA", http_resp(350), dt=1400)
    c.seg(True, "RA", win=0, dt=300, note="client abort")
    return {"rst_after_first_data": 3}


def fast_retransmit_episode(cap, c, rng):
    """The server sends 5 segments 4 ms after the client's last one; the 2nd
    is lost after the probe. The client ACKs the 1st, then sends 3 dup ACKs
    with SACK blocks (each 4 ms after the segment it reports), and the
    server resends the 2nd 40 us after the last: a fast retransmission."""
    segs = []
    for k in range(5):
        data = payload(rng, 1448)
        idx = c.seg(False, "A" if k < 4 else "PA", data, dt=4000 if k == 0 else 12,
                    lost=k == 1, note="lost after the probe" if k == 1 else "")
        segs.append((idx, c.snd[False], data))
    t_seg = [cap.frames[i - 1].ts for i, _, _ in segs]
    c.seg(True, "A", ack=segs[0][1], sack=[], dt=t_seg[0] + 4000 - cap.t)
    for k in (2, 3, 4):
        c.seg(True, "A", sack=[(segs[1][1], segs[k][1])], dt=t_seg[k] + 4000 - cap.t,
              expect={"dupack"}, note="dup ACK with SACK")
    c.seg(False, "A", segs[1][2], seq=segs[0][1], dt=40, expect={"fast"},
          note="fast retransmission")
    c.seg(True, "A", dt=4000)


@case("tcp-retransmissions",
      "TCP loss recovery and flow control on one download over IPv4 with "
      "timestamps and SACK (handshake RTT 4 ms): a fast retransmission after "
      "3 dup ACKs carrying SACK blocks; the client's second request lost and "
      "resent after 250 ms (RTO); an out-of-order pair (the probe sees the "
      "second segment 0.2 ms before the first, one dup ACK); two keep-alives "
      "15 s apart with their ACKs (not dup ACKs); a zero-window episode (3 "
      "zero-window segments, 2 one-byte probes of the same byte 200 and 400 "
      "ms apart, a window update, the data resumes at the probe's seq: not a "
      "retransmission); a FIN lost and resent after 220 ms (an RTO "
      "retransmission, one close). Then an IPv6 flow whose last response "
      "segment is resent after 300 ms. Counters as tshark's tcp.analysis.",
      flows=True)
def c_tcp_retrans(cap, rng):
    cli = Host("52:54:00:08:00:0a", "10.8.0.10", "2001:db8:8::a", ipid=0x0a00)
    srv = Host("52:54:00:08:00:50", "10.8.0.80", "2001:db8:8::50", ipid=0x5000)
    c = TcpConn(cap, cli, srv, 47000, 80, isn_c=0x0c0ffee0, isn_s=0x7ea5e000)
    c.handshake(dt=1000, syn_synack=2000, synack_ack=2000)
    c.seg(True, "PA", http_get("10.8.0.80", "/data.bin"), dt=100)
    fast_retransmit_episode(cap, c, rng)
    # the client's next request is lost: RTO
    req = http_get("10.8.0.80", "/data2.bin")
    s = c.snd[True]
    c.seg(True, "PA", req, dt=30000, lost=True, note="lost after the probe")
    c.seg(True, "PA", req, seq=s, dt=250000, expect={"rto"}, note="RTO retransmission")
    # out-of-order: the probe sees B 0.2 ms before A
    sa = c.snd[False]
    da, db = payload(rng, 1448), payload(rng, 800)
    c.seg(False, "PA", db, seq=sa + 1448, dt=4000, note="B (seen first)")
    c.seg(False, "A", da, seq=sa, dt=200, expect={"ooo"}, note="A: out-of-order")
    c.snd[False] = (sa + 2248) & 0xFFFFFFFF
    c.seg(True, "A", ack=sa, sack=[(sa + 1448, sa + 2248)], dt=3800, expect={"dupack"},
          note="dup ACK for B")
    c.seg(True, "A", sack=[], dt=200)
    # keep-alives (SO_KEEPALIVE, TCP_KEEPIDLE 15 s)
    for _ in range(2):
        c.seg(True, "A", seq=(c.snd[True] - 1) & 0xFFFFFFFF, dt=15000000, expect={"ka"},
              note="keep-alive")
        c.seg(False, "A", dt=4000, note="keep-alive ACK (not a dup ACK)")
    # zero window: a slow reader
    c.seg(True, "PA", http_get("10.8.0.80", "/big.bin"), dt=2000000)
    sent = c.send(False, payload(rng, 1448 * 4), dt=4000, gap=12)
    c.seg(True, "A", ack=sent[1][1], win=200, dt=cap.frames[sent[1][0] - 1].ts + 4000 - cap.t)
    c.seg(True, "A", win=0, dt=40, expect={"zw"}, note="zero window")
    zs = c.snd[False]
    rest = payload(rng, 1448 * 2)
    for gap in (200000, 400000):
        c.seg(False, "A", rest[:1], seq=zs, lost=True, dt=gap, expect={"zwp"},
              note="zero-window probe")
        c.seg(True, "A", win=0, dt=4000, expect={"zw"}, note="still zero")
    c.seg(True, "A", win=300, dt=150000, note="window update")
    sent = c.send(False, rest, dt=4000, gap=12)
    c.seg(True, "A", dt=4000)
    # FIN lost, resent
    c.seg(True, "FA", dt=30000, lost=True, note="FIN lost after the probe")
    c.seg(True, "FA", seq=(c.snd[True] - 1) & 0xFFFFFFFF, dt=220000, expect={"rto"},
          note="FIN retransmission")
    c.seg(False, "FA", dt=4000)
    c.seg(True, "A", dt=4000)
    # IPv6: tail segment resent after 300 ms
    c = TcpConn(cap, cli, srv, 47002, 443, v6=True, mss=1440, isn_c=0x1c0ffee0,
                isn_s=0x8ea5e000)
    c.handshake(dt=10000, syn_synack=1500, synack_ack=1500)
    c.seg(True, "PA", payload(rng, 517), dt=100)
    s = c.snd[False]
    d1, d2 = payload(rng, 1428), payload(rng, 900)
    c.seg(False, "A", d1, dt=3000)
    c.seg(False, "PA", d2, dt=12, lost=True, note="lost after the probe")
    c.seg(True, "A", dt=3000)
    c.seg(False, "PA", d2, seq=s + 1428, dt=300000, expect={"rto"}, note="RTO")
    c.seg(True, "A", dt=3000)
    c.seg(True, "FA", dt=20000)
    c.seg(False, "FA", dt=3000)
    c.seg(True, "A", dt=3000)
    return {"fast_retransmission": 1, "rto_retransmission": 3, "zero_window": 3}


@case("tcp-vlan-asymmetric",
      "A mirror (SPAN) port that tags one direction only, run with "
      "--ignore-vlan: an HTTP download whose client-to-server frames carry "
      "802.1Q VLAN 3136 and whose answers are untagged (a switch that mirrors "
      "ingress with its tag and egress without). With the VLAN ids out of the "
      "flow key the two directions are one flow: handshake RTTs (2 + 2 "
      "ms), a fast retransmission after 3 dup ACKs, counters in both "
      "directions, and the flow record names no vlan. Without the option they "
      "would be two one-sided flows, as the SPEC's default key says.",
      args=("--ignore-vlan",), flows=True)
def c_tcp_vlan_asym(cap, rng):
    cli = Host("52:54:00:0c:00:0a", "10.12.0.10", ipid=0x0a00)
    srv = Host("52:54:00:0c:00:50", "10.12.0.80", ipid=0x5000)
    tag = [(ETH_P_8021Q, 3136, 0)]
    w = lambda p, fc: eth((cli if fc else srv).mac, (srv if fc else cli).mac, p,
                          vlans=tag if fc else ())
    c = TcpConn(cap, cli, srv, 47100, 80, wrap=w, isn_c=0x0c0c0000, isn_s=0x5c5c0000)
    c.handshake(dt=1000, syn_synack=2000, synack_ack=2000)
    c.seg(True, "PA", http_get("10.12.0.80", "/mirror.bin"), dt=100)
    fast_retransmit_episode(cap, c, rng)  # dup ACKs tagged, the resend not
    c.seg(True, "FA", dt=20000)
    c.seg(False, "FA", dt=1000)
    c.seg(True, "A", dt=1000)
    return {"fast_retransmission": 1}


@case("tcp-syn-unanswered-missing-fin",
      "Timeouts over 345 s of packet time: a SYN to 10.9.0.99:5432 "
      "retransmitted after 1 s and 3 s, never answered (1 syn_unanswered, 2 "
      "RTO retransmissions); an established PostgreSQL connection that goes "
      "silent at 2.0 s without FIN or RST while an SSH session keeps packets "
      "coming every 10 s: idle timeout (default 300 s) -> reason timeout, 1 "
      "missing_fin; the SSH session is still open at the end of the file: "
      "reason shutdown, no missing_fin.",
      flows=True)
def c_tcp_timeouts(cap, rng):
    cli = Host("52:54:00:09:00:0a", "10.9.0.10", ipid=0x0a00)
    dead = Host("52:54:00:09:00:63", "10.9.0.99", ipid=0x6300)
    db = Host("52:54:00:09:00:14", "10.9.0.20", ipid=0x1400)
    bast = Host("52:54:00:09:00:1e", "10.9.0.30", ipid=0x1e00)
    t0 = cap.t

    def at(sec):
        return t0 + int(sec * 1000000) - cap.t

    k = TcpConn(cap, cli, bast, 41004, 22, isn_c=0x5ee50000, isn_s=0x6ff60000)
    k.handshake(dt=1000, syn_synack=220, synack_ack=240)
    k.seg(False, "PA", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", dt=2000)
    k.seg(True, "PA", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", dt=300)
    k.seg(False, "A", dt=220)
    syn = TcpConn(cap, cli, dead, 41000, 5432, isn_c=0x3bad5eed)
    for i, sec in enumerate((0.5, 1.5, 3.5)):
        syn.seg(True, "S", seq=0x3bad5eed, dt=at(sec), expect={"rto"} if i else (),
                note="SYN, no answer")
    e = TcpConn(cap, cli, db, 41002, 5432, isn_c=0x4c000000, isn_s=0x4d000000)
    e.handshake(dt=at(2.0) - 10000, syn_synack=300, synack_ack=280)
    for q in range(2):
        e.seg(True, "PA", b"Q\0\0\0\x1eSELECT 1 FROM pg_stat_activity\0", dt=5000)
        e.seg(False, "PA", payload(rng, 180), dt=900)
        e.seg(True, "A", dt=300)
    e.seg(True, "PA", b"Q\0\0\0\x0dSELECT 2;\0", dt=20000, note="last packet: then silence")
    e.seg(False, "PA", payload(rng, 75), dt=700)
    e.seg(True, "A", dt=280)
    for n in range(1, 35):  # keystrokes every 10 s until 340 s
        k.seg(True, "PA", payload(rng, 36), dt=at(10.0 * n))
        k.seg(False, "PA", payload(rng, 36), dt=800)
        k.seg(True, "A", dt=40000)
    return {"syn_unanswered": 1, "missing_fin": 1, "rto_retransmission": 2}


@case("icmp-echo",
      "ICMP and ICMPv6 echo: ping 10.10.0.1 twice (ids 0x1c2f and 0x1c35: two "
      "flows of the same host pair), ping6 2001:db8:a::1, and a ping with no "
      "reply. Flow records per host pair and echo id with the echo RTTs "
      "(icmp.rtt_min_us / rtt_avg_us / rtt_max_us / rtt_samples).",
      flows=True)
def c_icmp_echo(cap, rng):
    a = Host("52:54:00:0a:00:0a", "10.10.0.10", "2001:db8:a::10", ipid=0x0a00)
    g = Host("52:54:00:0a:00:01", "10.10.0.1", "2001:db8:a::1", ipid=0x0100)

    def ping(ident, rtts, v6=False, dst=None, n=None, start=1000):
        for i, r in enumerate(rtts if rtts else [None] * n, 1):
            d = ping_data()
            if v6:
                q = ip6(a.ip6, g.ip6, ICMPv6EchoRequest(id=ident, seq=i, data=d))
                p = ip6(g.ip6, a.ip6, ICMPv6EchoReply(id=ident, seq=i, data=d))
            else:
                q = ip4(a.ip, dst or g.ip, ICMP(type=8, id=ident, seq=i) / Raw(d),
                        ident=a.next_id())
                p = ip4(g.ip, a.ip, ICMP(type=0, id=ident, seq=i) / Raw(d),
                        ident=g.next_id(), df=False)
            cap.add(eth(a.mac, g.mac, q), dt=start if i == 1 else 1000000 - (rtts[i - 2] if rtts else 0))
            if r is not None:
                cap.add(eth(g.mac, a.mac, p), dt=r)

    ping(0x1c2f, [412, 530, 388, 470])
    ping(0x1c35, [350, 361, 349], start=2000000)
    ping(0x0042, [610, 590, 600], v6=True, start=500000)
    ping(0x1c3a, None, dst="192.0.2.99", n=2, start=700000)
    return {}


@case("tcp-detector-variants",
      "Detector variants the seed replicas do not cover, each counted once "
      "per incident. VIP asymmetry: a SYN answered by the real server "
      "10.11.1.7:80 whose SYN-ACK is resent at 1 s and 3 s (the client's RST "
      "never comes: one attempt, 1 event, the resends RTO retransmissions); "
      "one client port reused for two attempts with new ISNs, each reset by "
      "the client (2). rst_after_first_data: a RST without the ACK bit after "
      "the first request (1); a flow picked up mid-stream, client data then "
      "the server's RST (0: no handshake, no first data). offload_corruption: "
      "a bad segment the receiver took intact (its ACK follows, never "
      "resent) then a bad one resent alone (1, bad_frame = the second); "
      "three bad segments resent as one coalesced super-frame (3). ack_stall: "
      "write-write-read with delayed ACKs of 33.0, 40.0, 45.3 and 200.7 ms "
      "(4, stall_ms each) and one of 27 ms (below 30 ms: none).",
      flows=True)
def c_tcp_variants(cap, rng):
    gw = "52:54:00:0b:00:01"
    cli = Host("52:54:00:0b:00:0a", "10.11.0.10", ipid=0x0a00)
    vip = Host(gw, "192.0.2.11", ipid=0x0b00)
    rs = Host(gw, "10.11.1.7", ipid=0x0700)
    # VIP: the real server resends its SYN-ACK, no new SYN: one attempt
    isn = 0x0b0b0000
    a = TcpConn(cap, cli, vip, 40200, 80, isn_c=isn)
    b = TcpConn(cap, cli, rs, 40200, 80, isn_c=isn, isn_s=0x3b000000)
    a.seg(True, "S", dt=1000)
    b.ts_recent[False] = a.tsval(True, cap.t)
    b.seg(False, "SA", ack=isn + 1, dt=600, expect={"synack_src"},
          note="SYN-ACK from the real server")
    for k, gap in enumerate((1000000, 2000000)):
        b.seg(False, "SA", seq=0x3b000000, ack=isn + 1, dt=gap, expect={"rto"},
              note="the same SYN-ACK resent: same attempt")
    # VIP: one port, two attempts with new ISNs, each reset by the client
    for k in range(2):
        isn = 0x0c0c0000 + k * 0x01000000
        a = TcpConn(cap, cli, vip, 40202, 80, isn_c=isn)
        b = TcpConn(cap, cli, rs, 40202, 80, isn_c=isn, isn_s=0x4c000000 + k * 0x00800000)
        a.seg(True, "S", dt=500000)
        b.ts_recent[False] = a.tsval(True, cap.t)
        b.seg(False, "SA", ack=isn + 1, dt=600, expect={"synack_src"})
        b.seg(True, "R", seq=isn + 1, win=0, opts=[], dt=25, note="client RST")

    app = Host("52:54:00:0b:00:1a", "10.11.2.10", ipid=0x1a00)
    svc = Host("52:54:00:0b:00:32", "10.11.2.50", ipid=0x3200)
    c = TcpConn(cap, app, svc, 50300, 8080, isn_c=0x50300000, isn_s=0x70300000)
    c.handshake(dt=20000, syn_synack=90, synack_ack=110)
    c.seg(True, "PA", http_get("orders.svc:8080", "/v1/orders"), dt=70)
    c.seg(False, "A", dt=95)
    c.seg(False, "R", win=0, opts=[], dt=2000, expect={"rst_first_data"},
          note="RST without ACK bit after the first request")
    c = TcpConn(cap, app, svc, 50302, 8080, isn_c=0x50310000, isn_s=0x70310000)
    c.rcv[True], c.rcv[False] = 0x70310000, 0x50310000
    c.seg(True, "PA", payload(rng, 1200), dt=20000, note="mid-stream: no handshake seen")
    c.seg(False, "A", dt=300)
    c.seg(True, "PA", payload(rng, 1200), dt=100)
    c.seg(False, "RA", win=0, dt=2000, note="server RST: not after the first data")

    guest = Host("52:54:00:0b:00:05", "10.11.3.5", ipid=0x0500)
    store = Host("52:54:00:0b:00:14", "10.11.3.20", ipid=0x1400)
    c = TcpConn(cap, guest, store, 51300, 873, ts=False, isn_c=0x5b000000,
                isn_s=0xab000000)
    c.handshake(dt=20000, syn_synack=300, synack_ack=250)
    c.seg(True, "PA", b"@RSYNCD: 31.0\n", dt=100)
    c.seg(False, "PA", b"@RSYNCD: 31.0\n", dt=300)
    c.seg(True, "A", dt=100)
    da, db = payload(rng, 1000), payload(rng, 1000)
    s = c.snd[True]
    c.seg(True, "A", da, l4v="bad", dt=2000, note="bad at the probe, taken intact")
    c._deliver(True, s, "A", len(da))
    c.seg(True, "PA", db, l4v="bad", dt=10, note="bad, dropped by the receiver")
    c.seg(False, "A", dt=120, note="ACKs A: A arrived")
    c.seg(True, "PA", db, seq=s + 1000, dt=210000, expect={"rto", "corruption"},
          note="B resent intact")
    c.seg(False, "A", dt=130)
    data = payload(rng, 3000)
    s = c.snd[True]
    for k in range(3):
        c.seg(True, "A", data[k * 1000:(k + 1) * 1000], l4v="bad", dt=2000 if k == 0 else 10)
    c.seg(False, "A", dt=120, expect={"dupack"})
    c.seg(True, "PA", data, seq=s, dt=210000, expect={"rto", "corruption"}, tso=True,
          note="the three resent as one (TSO) segment")
    c.seg(False, "A", dt=130)
    c.seg(True, "FA", dt=3000)
    c.seg(False, "FA", dt=200)
    c.seg(True, "A", dt=150)

    w = Host("52:54:00:0b:00:2a", "10.11.4.10", ipid=0x2a00)
    lin = Host("52:54:00:0b:00:2b", "10.11.4.20", ipid=0x2b00)
    body = b'{"sku":"B-77","qty":1}'
    resp = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
    c = TcpConn(cap, w, lin, 45300, 8080, isn_c=0x2f700001, isn_s=0x61d0a002)
    c.handshake(dt=20000, syn_synack=280, synack_ack=310)
    for i, stall in enumerate((33000, 40000, 27000, 45300, 200700)):
        c.seg(True, "PA", _post(i, len(body)), dt=5000 if i else 200, note="header")
        c.seg(False, "A", dt=stall, note="delayed ACK")
        c.seg(True, "PA", body, dt=60, expect={"stall"} if stall >= 30000 else (),
              note="body")
        c.seg(False, "PA", resp, dt=450)
    c.seg(True, "A", dt=40000)
    c.seg(True, "FA", dt=3000)
    c.seg(False, "FA", dt=300)
    c.seg(True, "A", dt=300)
    return {"synack_unexpected_source": 3, "rst_after_first_data": 1,
            "offload_corruption": 4, "ack_stall": 4, "rto_retransmission": 4}


# ---------------------------------------------------------------------------
# Driver

def build(case_):
    global CORRUPT
    seed = sum(ord(ch) for ch in case_.name) * 7919
    CORRUPT = Corruptor(seed)
    rng = random.Random(seed)
    cap = Cap()
    # flow cases return what they were built to produce (counts per
    # anomaly type); the reference flow model must reproduce it
    cap.declared = case_.fn(cap, rng) or {}
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


def check_flow_case(case_, cap, fm):
    """The flow model against what the case was built to be."""
    problems = []
    for i, fr in enumerate(cap.frames, 1):
        if not fr.expect <= set(TCP_LABELS):
            problems.append("frame %d: unknown labels %s" % (i, sorted(fr.expect - set(TCP_LABELS))))
        got = fm.labels[i - 1]
        if got != fr.expect:
            problems.append("frame %d: built %s, flow model %s (%s)"
                            % (i, sorted(fr.expect) or "-", sorted(got) or "-", fr.note))
    counts = fm.counts()
    for typ in DETECTORS:
        want = cap.declared.get(typ, 0)
        if counts[typ] != want:
            problems.append("%s: case declares %d, flow model %d" % (typ, want, counts[typ]))
    for k in cap.declared:
        if k not in DETECTORS:
            problems.append("declared %s is not a detector" % k)
    return problems


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
    fm = None
    if case_.flows:
        fm = FlowModel(cap, models)
        problems += check_flow_case(case_, cap, fm)
    exp = expected_for(case_, cap, models, fm)
    with open(os.path.join(d, "expected.json"), "w") as f:
        f.write(dump_expected(exp))
    info = []
    if tshark:
        tp, info = tshark_check(path, cap.frames, models)
        if tp:
            problems += ["tshark: " + x for x in tp]
        if fm is not None:
            tp, finfo, known = tshark_flow_check(path, cap, fm)
            problems += ["tshark: " + x for x in tp]
            info += finfo + ["known Wireshark difference: " + k for k in known]
    if fm is not None:
        c = {k: v for k, v in fm.counts().items() if v}
        info.append("flows %d, detectors %s" % (len(fm.flows), json.dumps(c, sort_keys=True)))
        if fm.notes:
            info.append("%d retransmissions within 3 ms of the previous segment of their "
                        "direction (not out-of-order: see README)" % len(fm.notes))
    if verbose:
        t = exp["stats"]["checksum"]
        summ = "  ".join("%s %s" % (l, "/".join(str(t[l][v]) for v in VERDICTS))
                         for l in LAYERS if any(t[l].values()))
        print("%-30s %4d frames  %s  tso=%d malformed=%d" % (
            case_.name, len(cap.frames), summ, exp["stats"]["anomalies"]["tso_superframe"],
            exp["stats"]["malformed"]["total"]))
        for x in info:
            print("%-30s   %s" % ("", x))
    return cap, models, problems


def explain(case_):
    cap = build(case_)
    models, problems = check_case(case_, cap)
    fm = FlowModel(cap, models) if case_.flows else None
    for i, (fr, m) in enumerate(zip(cap.frames, models), 1):
        vs = " ".join("%s:%s" % (v.layer, v.verdict) for v in m.verdicts)
        flags = (" TSO" if m.tso else "") + (" MALFORMED(%s)" % m.malformed if m.malformed else "")
        if fm is not None:
            flags += " " + ",".join(sorted(fm.labels[i - 1]))
        print("%4d %10.6f %5d/%-5d %-28s%s  %s" % (i, (fr.ts - T0_US) / 1e6, len(fr.data),
                                                  fr.wirelen, vs, flags, fr.note))
    if fm is not None:
        problems += check_flow_case(case_, cap, fm)
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
