/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the packet decoders (dataplane/decode) and the checksum
 * verdicts they record (SPEC §3).
 *
 * How the packets are made: every frame is written byte by byte into a
 * struct fb by the put_* builders below (Ethernet, 802.1Q tags, IPv4 with
 * options, IPv6 and its extension headers, TCP with options, UDP, ICMP,
 * tunnel headers).  Lengths and checksums are filled in afterwards, from the
 * innermost layer outwards: ip4_fix() writes the total length and the header
 * checksum (~wc_csum_ref over the header with the field zero), ip6_fix()
 * the payload length, and l4_fix() the TCP/UDP/ICMP/ICMPv6 checksum, which
 * is ~wc_csum_ref over one buffer holding the pseudo-header (written out as
 * RFC 793 / RFC 768 / RFC 8200 §8.1 draw it; none for ICMPv4) followed by
 * the segment with its checksum field zero.  A test then overwrites a field
 * (a wrong checksum, the pseudo-header sum for "partial", a bad length...)
 * where it needs to.  None of this uses the decoder's own checksum path
 * (wc_sum_add & co.), only the textbook reference wc_csum_ref().
 *
 * Every frame is handed to wc_decode() in a malloc'd buffer of exactly its
 * captured length, so an ASan build catches any read past the end, and the
 * struct wc_pkt is filled with garbage before the first decode so that a
 * field wc_decode() forgets to reset shows up.  After every decode
 * check_pkt() verifies the structural invariants and re-checks every
 * good/bad/partial verdict against wc_csum_ref (see check_pkt()).
 *
 * Tests that may crash the process on a decoder bug (the random-frame
 * robustness run and a known out-of-bounds read) run in a forked child, so
 * a crash fails that one test instead of the whole run.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "csum/csum.h"
#include "decode/pkt.h"
#include "wirecheck/anomaly.h"

/* ------------------------------------------------------------------ */
/* Addresses and constants                                             */

static const uint8_t MAC_DST[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t MAC_SRC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_IN_DST[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x02};
static const uint8_t MAC_IN_SRC[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x01};

static const uint8_t V4_SRC[4] = {192, 0, 2, 10};
static const uint8_t V4_DST[4] = {198, 51, 100, 20};
static const uint8_t V4_VTEP_A[4] = {10, 0, 0, 1};
static const uint8_t V4_VTEP_B[4] = {10, 0, 0, 2};

#define V6(last) {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last}
static const uint8_t V6_SRC[16] = V6(0x01);
static const uint8_t V6_DST[16] = V6(0x02);
static const uint8_t V6_MID[16] = V6(0x03);   /* routing header, first hop */
static const uint8_t V6_FINAL[16] = V6(0x04); /* routing header, last hop */
static const uint8_t V6_HOME[16] = V6(0x05);  /* Mobile IPv6 home address */

#define TCP_SPORT 40000
#define TCP_DPORT 443
#define TCP_SEQ 0x11223344u
#define TCP_ACK 0x55667788u
#define TCP_FLAGS 0x18 /* PSH|ACK */
#define TCP_WIN 29200

/* MSS, SACK-permitted, timestamps, NOP, window scale, NOP NOP, SACK with
 * two blocks: 4 + 2 + 10 + 1 + 3 + 2 + 18 = 40 bytes, doff 60. */
static const uint8_t TCP_OPTS[40] = {
	2, 4, 0x05, 0xb4,                               /* MSS 1460 */
	4, 2,                                           /* SACK permitted */
	8, 10, 0xa1, 0xa2, 0xa3, 0xa4, 0xb1, 0xb2, 0xb3, 0xb4, /* TS */
	1,                                              /* NOP */
	3, 3, 7,                                        /* WS 7 */
	1, 1,                                           /* NOP NOP */
	5, 18,                                          /* SACK, 2 blocks */
	0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0x00,
	0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x40, 0x00,
};

static const struct wc_decode_cfg CFG = {.mtu = 1500};

/* ------------------------------------------------------------------ */
/* Frame builder                                                       */

#define FB_MAX 80000
struct fb {
	uint32_t n;
	uint8_t d[FB_MAX];
};
static struct fb F; /* the frame under test */
static struct fb G; /* a second frame for the stale-state tests */

static void fb_reset(struct fb *f)
{
	f->n = 0;
}

static void wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void wr32(uint8_t *b, uint32_t v)
{
	wr16(b, (uint16_t)(v >> 16));
	wr16(b + 2, (uint16_t)v);
}

static uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Append len bytes (zeros when src is NULL); returns their offset. */
static uint32_t put(struct fb *f, const void *src, uint32_t len)
{
	uint32_t off = f->n;

	if (off + len > FB_MAX) {
		fprintf(stderr, "frame builder overflow\n");
		abort();
	}
	if (src)
		memcpy(f->d + off, src, len);
	else
		memset(f->d + off, 0, len);
	f->n += len;
	return off;
}

static uint32_t put8(struct fb *f, uint8_t v)
{
	return put(f, &v, 1);
}

static uint32_t put16(struct fb *f, uint16_t v)
{
	uint8_t b[2];
	wr16(b, v);
	return put(f, b, 2);
}

static uint32_t put32(struct fb *f, uint32_t v)
{
	uint8_t b[4];
	wr32(b, v);
	return put(f, b, 4);
}

/* Deterministic payload bytes. */
static void put_payload(struct fb *f, uint32_t len)
{
	uint32_t off = put(f, NULL, len);
	for (uint32_t i = 0; i < len; i++)
		f->d[off + i] = (uint8_t)(i * 31 + 7);
}

static uint32_t put_eth_m(struct fb *f, const uint8_t *dst, const uint8_t *src,
			  uint16_t type)
{
	uint32_t off = put(f, dst, 6);
	put(f, src, 6);
	put16(f, type);
	return off;
}

static uint32_t put_eth(struct fb *f, uint16_t type)
{
	return put_eth_m(f, MAC_DST, MAC_SRC, type);
}

/* An 802.1Q/802.1ad tag: the previous type field holds the TPID. */
static uint32_t put_vlan(struct fb *f, uint16_t tci, uint16_t next)
{
	uint32_t off = put16(f, tci);
	put16(f, next);
	return off;
}

/* IPv4 header, TOS 0x10, DF, TTL 64; total length and checksum left 0
 * for ip4_fix(). */
static uint32_t put_ip4(struct fb *f, uint8_t proto, const uint8_t *src,
			const uint8_t *dst, const uint8_t *opt, uint32_t optlen)
{
	uint32_t off = put8(f, (uint8_t)(0x40 | (5 + optlen / 4)));
	put8(f, 0x10);
	put16(f, 0);      /* total length */
	put16(f, 0x1c46); /* id */
	put16(f, 0x4000); /* DF */
	put8(f, 64);
	put8(f, proto);
	put16(f, 0); /* checksum */
	put(f, src, 4);
	put(f, dst, 4);
	if (optlen)
		put(f, opt, optlen);
	return off;
}

/* The correct IPv4 header checksum for the header at h (field ignored). */
static uint16_t ip4_hdr_csum(const uint8_t *h)
{
	uint8_t tmp[60];
	uint32_t ihl = (uint32_t)(h[0] & 0x0f) * 4;
	memcpy(tmp, h, ihl);
	wr16(tmp + 10, 0);
	return (uint16_t)~wc_csum_ref(tmp, ihl);
}

static uint16_t ip4_recsum(struct fb *f, uint32_t off)
{
	uint16_t c = ip4_hdr_csum(f->d + off);
	wr16(f->d + off + 10, c);
	return c;
}

/* Total length = everything from the header to the end of the frame. */
static void ip4_fix(struct fb *f, uint32_t off)
{
	wr16(f->d + off + 2, (uint16_t)(f->n - off));
	ip4_recsum(f, off);
}

/* IPv6 header, traffic class 0xb8, flow label 0x12345, hop limit 64;
 * payload length left 0 for ip6_fix(). */
static uint32_t put_ip6(struct fb *f, uint8_t nh, const uint8_t *src,
			const uint8_t *dst)
{
	uint32_t off = put32(f, 0x6b812345);
	put16(f, 0);
	put8(f, nh);
	put8(f, 64);
	put(f, src, 16);
	put(f, dst, 16);
	return off;
}

static void ip6_fix(struct fb *f, uint32_t off)
{
	wr16(f->d + off + 4, (uint16_t)(f->n - off - 40));
}

static uint32_t put_tcp(struct fb *f, uint16_t sport, uint16_t dport,
			const uint8_t *opt, uint32_t optlen)
{
	uint32_t off = put16(f, sport);
	put16(f, dport);
	put32(f, TCP_SEQ);
	put32(f, TCP_ACK);
	put8(f, (uint8_t)((5 + optlen / 4) << 4));
	put8(f, TCP_FLAGS);
	put16(f, TCP_WIN);
	put16(f, 0); /* checksum */
	put16(f, 0); /* urgent */
	if (optlen)
		put(f, opt, optlen);
	return off;
}

/* UDP header; length (udp_fix_len) and checksum (l4_fix) come later. */
static uint32_t put_udp(struct fb *f, uint16_t sport, uint16_t dport)
{
	uint32_t off = put16(f, sport);
	put16(f, dport);
	put16(f, 0);
	put16(f, 0);
	return off;
}

static void udp_fix_len(struct fb *f, uint32_t off)
{
	wr16(f->d + off + 4, (uint16_t)(f->n - off));
}

static uint32_t put_icmp(struct fb *f, uint8_t type, uint16_t id, uint16_t seq)
{
	uint32_t off = put8(f, type);
	put8(f, 0);
	put16(f, 0);
	put16(f, id);
	put16(f, seq);
	return off;
}

/* ------------------------------------------------------------------ */
/* Reference checksums (wc_csum_ref only)                              */

static unsigned csum_foff(uint8_t proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : 2;
}

/* Writes the pseudo-header for family 4 or 6 into ph; returns its size. */
static uint32_t pseudo_hdr(uint8_t *ph, int fam, const uint8_t *src,
			   const uint8_t *dst, uint8_t proto, uint32_t len)
{
	if (fam == 4) { /* RFC 793 §3.1: src, dst, zero, proto, length */
		memcpy(ph, src, 4);
		memcpy(ph + 4, dst, 4);
		ph[8] = 0;
		ph[9] = proto;
		wr16(ph + 10, (uint16_t)len);
		return 12;
	}
	/* RFC 8200 §8.1: src, dst, 32-bit length, 3 zero bytes, next header */
	memcpy(ph, src, 16);
	memcpy(ph + 16, dst, 16);
	wr32(ph + 32, len);
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = proto;
	return 40;
}

/* Folded pseudo-header sum, NOT complemented: what Linux leaves in the
 * field under CHECKSUM_PARTIAL. */
static uint16_t pseudo_fold(int fam, const uint8_t *src, const uint8_t *dst,
			    uint8_t proto, uint32_t len)
{
	uint8_t ph[40];
	return wc_csum_ref(ph, pseudo_hdr(ph, fam, src, dst, proto, len));
}

/* ~(pseudo-header + segment with the checksum field taken as zero).
 * fam 0 = no pseudo-header (ICMPv4). The field value is not changed. */
static uint16_t seg_csum(int fam, const uint8_t *src, const uint8_t *dst,
			 uint8_t proto, const uint8_t *seg, uint32_t len,
			 unsigned foff)
{
	uint8_t *b = malloc(40 + (size_t)len);
	uint32_t phl = fam ? pseudo_hdr(b, fam, src, dst, proto, len) : 0;

	if (!b)
		abort();
	memcpy(b + phl, seg, len);
	if (foff + 2 <= len)
		wr16(b + phl + foff, 0);
	uint16_t c = (uint16_t)~wc_csum_ref(b, phl + (size_t)len);
	free(b);
	return c;
}

/* Fills in the checksum of the segment at l4 (to the end of the frame, or
 * the UDP length) with the given pseudo-header addresses; returns it. */
static uint16_t l4_fix(struct fb *f, uint32_t l4, int fam, const uint8_t *src,
		       const uint8_t *dst, uint8_t proto)
{
	uint32_t len = proto == 17 ? rd16(f->d + l4 + 4) : f->n - l4;
	uint16_t c = seg_csum(proto == 1 ? 0 : fam, src, dst, proto, f->d + l4,
			      len, csum_foff(proto));
	if (proto == 17 && c == 0)
		c = 0xffff; /* RFC 768 */
	wr16(f->d + l4 + csum_foff(proto), c);
	return c;
}

static uint16_t l4_fix_v4(struct fb *f, uint32_t ip, uint32_t l4)
{
	uint8_t src[4], dst[4];
	memcpy(src, f->d + ip + 12, 4);
	memcpy(dst, f->d + ip + 16, 4);
	return l4_fix(f, l4, 4, src, dst, f->d[ip + 9]);
}

static uint16_t l4_fix_v6(struct fb *f, uint32_t ip, uint32_t l4, uint8_t proto)
{
	uint8_t src[16], dst[16];
	memcpy(src, f->d + ip + 8, 16);
	memcpy(dst, f->d + ip + 24, 16);
	return l4_fix(f, l4, 6, src, dst, proto);
}

static uint16_t get_field(const struct fb *f, uint32_t l4, uint8_t proto)
{
	return rd16(f->d + l4 + csum_foff(proto));
}

static void set_field(struct fb *f, uint32_t l4, uint8_t proto, uint16_t v)
{
	wr16(f->d + l4 + csum_foff(proto), v);
}

/* ------------------------------------------------------------------ */
/* Whole packets (appended at the end of f, all checksums correct)     */

struct offs {
	uint32_t l3, l4;
};

static struct offs app_v4_tcp(struct fb *f, const uint8_t *opt, uint32_t optlen,
			      uint32_t paylen)
{
	struct offs o;
	o.l3 = put_ip4(f, 6, V4_SRC, V4_DST, NULL, 0);
	o.l4 = put_tcp(f, TCP_SPORT, TCP_DPORT, opt, optlen);
	put_payload(f, paylen);
	ip4_fix(f, o.l3);
	l4_fix_v4(f, o.l3, o.l4);
	return o;
}

static struct offs app_v4_udp(struct fb *f, uint16_t sport, uint16_t dport,
			      uint32_t paylen)
{
	struct offs o;
	o.l3 = put_ip4(f, 17, V4_SRC, V4_DST, NULL, 0);
	o.l4 = put_udp(f, sport, dport);
	put_payload(f, paylen);
	udp_fix_len(f, o.l4);
	ip4_fix(f, o.l3);
	l4_fix_v4(f, o.l3, o.l4);
	return o;
}

static struct offs app_v4_icmp(struct fb *f, uint32_t paylen)
{
	struct offs o;
	o.l3 = put_ip4(f, 1, V4_SRC, V4_DST, NULL, 0);
	o.l4 = put_icmp(f, 8 /* echo request */, 0x4242, 7);
	put_payload(f, paylen);
	ip4_fix(f, o.l3);
	l4_fix_v4(f, o.l3, o.l4);
	return o;
}

static struct offs app_v6_tcp(struct fb *f, uint32_t paylen)
{
	struct offs o;
	o.l3 = put_ip6(f, 6, V6_SRC, V6_DST);
	o.l4 = put_tcp(f, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(f, paylen);
	ip6_fix(f, o.l3);
	l4_fix_v6(f, o.l3, o.l4, 6);
	return o;
}

static struct offs app_v6_udp(struct fb *f, uint16_t sport, uint16_t dport,
			      uint32_t paylen)
{
	struct offs o;
	o.l3 = put_ip6(f, 17, V6_SRC, V6_DST);
	o.l4 = put_udp(f, sport, dport);
	put_payload(f, paylen);
	udp_fix_len(f, o.l4);
	ip6_fix(f, o.l3);
	l4_fix_v6(f, o.l3, o.l4, 17);
	return o;
}

static struct offs app_v6_icmp(struct fb *f, uint32_t paylen)
{
	struct offs o;
	o.l3 = put_ip6(f, 58, V6_SRC, V6_DST);
	o.l4 = put_icmp(f, 128 /* echo request */, 0x4343, 9);
	put_payload(f, paylen);
	ip6_fix(f, o.l3);
	l4_fix_v6(f, o.l3, o.l4, 58);
	return o;
}

/* Eth / IPv4 / TCP (no options), 64 bytes of payload: the "good frame"
 * decoded after malformed ones. */
static struct offs mk_plain(struct fb *f)
{
	fb_reset(f);
	put_eth(f, 0x0800);
	return app_v4_tcp(f, NULL, 0, 64);
}

/* Eth / IPv4 / UDP 49152->4789 (checksum 0) / VXLAN VNI 0x123456 /
 * Eth (inner MACs) / IPv4 / TCP with 50 bytes of payload; the inner TCP
 * checksum is wrong (xor 0x0f0f) when tcp_bad. */
#define VXLAN_VNI 0x123456u
static struct offs mk_vxlan(struct fb *f, bool tcp_bad, uint16_t *tcp_good)
{
	fb_reset(f);
	put_eth(f, 0x0800);
	uint32_t o = put_ip4(f, 17, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	uint32_t u = put_udp(f, 49152, 4789);
	put8(f, 0x08); /* I flag */
	put8(f, 0);
	put16(f, 0);
	put32(f, VXLAN_VNI << 8);
	put_eth_m(f, MAC_IN_DST, MAC_IN_SRC, 0x0800);
	struct offs in = app_v4_tcp(f, NULL, 0, 50);
	uint16_t good = get_field(f, in.l4, 6);
	if (tcp_good)
		*tcp_good = good;
	if (tcp_bad)
		set_field(f, in.l4, 6, good ^ 0x0f0f);
	udp_fix_len(f, u);
	wr16(f->d + u + 6, 0); /* no UDP checksum, as VTEPs send it */
	ip4_fix(f, o);
	return in;
}

/* ------------------------------------------------------------------ */
/* Decoding and checking                                               */

static void dirty(struct wc_pkt *p)
{
	memset(p, 0xa5, sizeof(*p));
}

/* Sum over an optional pseudo-header and a segment, folded: 0xffff when the
 * checksum in the segment verifies. */
static uint16_t verify_sum(int fam, const uint8_t *src, const uint8_t *dst,
			   uint8_t proto, const uint8_t *seg, uint32_t len,
			   int replace_foff, uint16_t replace)
{
	uint8_t *b = malloc(40 + (size_t)len);
	uint32_t phl = fam ? pseudo_hdr(b, fam, src, dst, proto, len) : 0;

	if (!b)
		abort();
	memcpy(b + phl, seg, len);
	if (replace_foff >= 0)
		wr16(b + phl + replace_foff, replace);
	uint16_t s = wc_csum_ref(b, phl + (size_t)len);
	free(b);
	return s;
}

/*
 * Invariants of any decode result, and an independent re-check of the
 * verdicts against the captured bytes:
 *  - counts within their arrays, enums within their ranges, every verdict
 *    names an existing IP layer of the right family, at most one verdict
 *    per (layer, IP layer);
 *  - IPv4 good  <=> the header sums to 0xffff; for bad/partial, writing
 *    `expected` into the field makes the header verify;
 *  - L4 good => pseudo-header (ip[].src/dst/proto/l4_len) + segment sums to
 *    0xffff; bad/partial => it does not, and `expected` would make it.
 * Returns NULL or a description of the first violation (no cmocka calls,
 * so the forked robustness run can use it too).
 */
static const char *check_pkt(const struct wc_pkt *p, const uint8_t *data,
			     uint32_t caplen)
{
	static char msg[256];

	if (p->n_ip > WC_MAX_IP_LAYERS)
		return "n_ip > WC_MAX_IP_LAYERS";
	if (p->n_cs > WC_MAX_CSUM)
		return "n_cs > WC_MAX_CSUM";
	if (p->malformed >= WC_MAL_COUNT)
		return "malformed out of range";
	if (p->superframe > 1 || p->has_l4 > 1)
		return "superframe/has_l4 not boolean";
	if (p->has_l4 && p->l4_ip_idx >= p->n_ip)
		return "l4_ip_idx >= n_ip";
	if (p->superframe_ip < -1 || p->superframe_ip >= (int)p->n_ip)
		return "superframe_ip out of range";
	if (!p->superframe && p->superframe_ip != -1)
		return "superframe_ip set on a frame that is not a super-frame";
	if (p->l3_start != WC_NO_L3 && p->l3_start > caplen)
		return "l3_start beyond the captured bytes";
	for (unsigned i = 0; i < p->n_ip; i++) {
		const struct wc_ip_layer *ip = &p->ip[i];
		if (ip->family != 4 && ip->family != 6)
			return "ip[].family not 4/6";
		if (ip->depth >= WC_MAX_IP_LAYERS || ip->depth > i)
			return "ip[].depth out of range";
		if (ip->nvlan > WC_MAX_VLAN)
			return "ip[].nvlan > WC_MAX_VLAN";
	}
	for (unsigned i = 0; i < p->n_cs; i++) {
		const struct wc_csum_check *cs = &p->cs[i];
		if (cs->layer >= WC_LAYER_COUNT)
			return "cs[].layer >= WC_LAYER_COUNT";
		if (cs->verdict >= WC_VERDICT_COUNT)
			return "cs[].verdict >= WC_VERDICT_COUNT";
		if (cs->ip_idx >= p->n_ip)
			return "cs[].ip_idx >= n_ip";
		for (unsigned j = 0; j < i; j++)
			if (p->cs[j].layer == cs->layer && p->cs[j].ip_idx == cs->ip_idx)
				return "two verdicts for one checksum";
		const struct wc_ip_layer *ip = &p->ip[cs->ip_idx];
		if ((cs->layer == WC_LAYER_IPV4 || cs->layer == WC_LAYER_ICMP) &&
		    ip->family != 4)
			return "IPv4/ICMP verdict on an IPv6 layer";
		if (cs->layer == WC_LAYER_ICMPV6 && ip->family != 6)
			return "ICMPv6 verdict on an IPv4 layer";
		if (cs->verdict == WC_VERDICT_UNVERIFIABLE ||
		    cs->verdict == WC_VERDICT_ZERO)
			continue;

		if (cs->layer == WC_LAYER_IPV4) {
			uint32_t ihl = (uint32_t)(data[ip->l3_off] & 0x0f) * 4;
			if (ip->l3_off + ihl > caplen)
				return "IPv4 verdict on a header not captured";
			uint16_t s = wc_csum_ref(data + ip->l3_off, ihl);
			if ((cs->verdict == WC_VERDICT_GOOD) != (s == 0xffff)) {
				snprintf(msg, sizeof(msg),
					 "IPv4 verdict %s but header sums to 0x%04x",
					 wc_verdict_name(cs->verdict), s);
				return msg;
			}
			if (cs->verdict != WC_VERDICT_GOOD &&
			    verify_sum(0, NULL, NULL, 0, data + ip->l3_off, ihl,
				       10, cs->expected) != 0xffff)
				return "IPv4 'expected' does not verify";
			continue;
		}
		uint8_t proto = cs->layer == WC_LAYER_TCP    ? 6
				: cs->layer == WC_LAYER_UDP  ? 17
				: cs->layer == WC_LAYER_ICMP ? 1
							     : 58;
		if ((uint64_t)ip->l4_off + ip->l4_len > caplen)
			return "L4 verdict on a segment not captured";
		if (ip->proto != proto)
			return "L4 verdict layer does not match ip[].proto";
		int fam = proto == 1 ? 0 : ip->family;
		uint16_t s = verify_sum(fam, ip->src, ip->dst, proto,
					data + ip->l4_off, ip->l4_len, -1, 0);
		if ((cs->verdict == WC_VERDICT_GOOD) != (s == 0xffff)) {
			snprintf(msg, sizeof(msg), "%s verdict %s but sum is 0x%04x",
				 wc_csum_layer_name(cs->layer),
				 wc_verdict_name(cs->verdict), s);
			return msg;
		}
		if (cs->layer == WC_LAYER_UDP && cs->found == 0)
			continue; /* bad zero over IPv6: nothing to expect */
		if (cs->verdict != WC_VERDICT_GOOD &&
		    verify_sum(fam, ip->src, ip->dst, proto, data + ip->l4_off,
			       ip->l4_len, (int)csum_foff(proto),
			       cs->expected) != 0xffff) {
			snprintf(msg, sizeof(msg), "%s 'expected' 0x%04x does not verify",
				 wc_csum_layer_name(cs->layer), cs->expected);
			return msg;
		}
	}
	return NULL;
}

static void dump_pkt(const struct wc_pkt *p)
{
	print_error("  n_ip %u n_cs %u malformed %s tunnel %u id 0x%x superframe %u"
		    " (ip %d) l3_start %u has_l4 %u\n",
		    p->n_ip, p->n_cs,
		    p->malformed < WC_MAL_COUNT ? wc_malformed_name(p->malformed) : "?",
		    p->tunnel_type, p->tunnel_id, p->superframe, p->superframe_ip,
		    p->l3_start, p->has_l4);
	for (unsigned i = 0; i < p->n_cs && i < WC_MAX_CSUM; i++)
		print_error("  cs[%u] %s ip[%u] %s found 0x%04x expected 0x%04x\n", i,
			    p->cs[i].layer < WC_LAYER_COUNT
				    ? wc_csum_layer_name(p->cs[i].layer) : "?",
			    p->cs[i].ip_idx,
			    p->cs[i].verdict < WC_VERDICT_COUNT
				    ? wc_verdict_name(p->cs[i].verdict) : "?",
			    p->cs[i].found, p->cs[i].expected);
}

/* Decodes the first caplen bytes of f (wirelen on the wire) from an
 * exact-size heap copy, then checks check_pkt(). */
static void decode_at(struct wc_pkt *p, const struct fb *f, uint32_t caplen,
		      uint32_t wirelen, uint32_t linktype, const char *file,
		      int line)
{
	uint8_t *copy = malloc(caplen);
	if (caplen) {
		if (!copy)
			abort();
		memcpy(copy, f->d, caplen);
	}
	struct wc_pkt_view v = {.data = copy, .caplen = caplen,
				.wirelen = wirelen, .ts_ns = 1, .frame_no = 1};
	wc_decode(p, &v, linktype, &CFG);
	const char *err = check_pkt(p, copy, caplen);
	free(copy);
	if (err) {
		print_error("%s:%d: decode result: %s\n", file, line, err);
		dump_pkt(p);
		_fail(file, line);
	}
}

#define DECODE(p, f) decode_at(p, f, (f)->n, (f)->n, WC_DLT_EN10MB, __FILE__, __LINE__)
#define DECODE_LT(p, f, lt) decode_at(p, f, (f)->n, (f)->n, lt, __FILE__, __LINE__)
#define DECODE_SNAP(p, f, cap) \
	decode_at(p, f, cap, (f)->n, WC_DLT_EN10MB, __FILE__, __LINE__)

static int cs_count(const struct wc_pkt *p, enum wc_csum_layer l, unsigned idx)
{
	int n = 0;
	for (unsigned i = 0; i < p->n_cs; i++)
		if (p->cs[i].layer == l && p->cs[i].ip_idx == idx)
			n++;
	return n;
}

/* The one verdict for (layer, ip layer), which must be v. */
static const struct wc_csum_check *expect_cs(const struct wc_pkt *p,
					     enum wc_csum_layer l, unsigned idx,
					     enum wc_verdict v, const char *file,
					     int line)
{
	const struct wc_csum_check *hit = NULL;
	for (unsigned i = 0; i < p->n_cs; i++)
		if (p->cs[i].layer == l && p->cs[i].ip_idx == idx)
			hit = &p->cs[i];
	if (!hit || cs_count(p, l, idx) != 1) {
		print_error("%s:%d: expected one %s verdict for ip[%u], got %d\n",
			    file, line, wc_csum_layer_name(l), idx, cs_count(p, l, idx));
		dump_pkt(p);
		_fail(file, line);
	}
	if (hit->verdict != v) {
		print_error("%s:%d: %s ip[%u]: verdict %s, expected %s\n", file, line,
			    wc_csum_layer_name(l), idx, wc_verdict_name(hit->verdict),
			    wc_verdict_name(v));
		dump_pkt(p);
		_fail(file, line);
	}
	return hit;
}

#define EXPECT_CS(p, l, idx, v) expect_cs(p, l, idx, v, __FILE__, __LINE__)

#define EXPECT_MALFORMED(p, m)                                                  \
	do {                                                                    \
		if ((p)->malformed != (m)) {                                    \
			print_error("malformed: got %s, expected %s\n",         \
				    wc_malformed_name((p)->malformed),          \
				    wc_malformed_name(m));                      \
			dump_pkt(p);                                            \
			fail();                                                 \
		}                                                               \
	} while (0)

static int group_setup(void **state)
{
	(void)state;
	wc_csum_init();
	return 0;
}

/* ------------------------------------------------------------------ */
/* 1. IPv4/TCP good, header and options parsed                          */

static void test_ipv4_tcp_good(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / TCP with TCP_OPTS (doff 60) / 100 bytes payload */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_tcp(&F, TCP_OPTS, sizeof(TCP_OPTS), 100);
	DECODE(&p, &F);

	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 1);
	assert_int_equal(p.n_cs, 2);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(cs->found, get_field(&F, o.l4, 6));
	assert_int_equal(p.superframe, 0);
	assert_int_equal(p.superframe_ip, -1);
	assert_int_equal(p.l3_start, 14);
	assert_int_equal(p.tunnel_type, WC_TUN_NONE);
	assert_int_equal(p.tunnel_id, 0);
	assert_int_equal(p.caplen, F.n);
	assert_int_equal(p.wirelen, F.n);

	const struct wc_ip_layer *ip = &p.ip[0];
	assert_int_equal(ip->family, 4);
	assert_int_equal(ip->proto, 6);
	assert_int_equal(ip->depth, 0);
	assert_int_equal(ip->ttl, 64);
	assert_int_equal(ip->tos, 0x10);
	assert_int_equal(ip->flags, 0);
	assert_int_equal(ip->has_mac, 1);
	assert_int_equal(ip->nvlan, 0);
	assert_memory_equal(ip->mac_src, MAC_SRC, 6);
	assert_memory_equal(ip->mac_dst, MAC_DST, 6);
	assert_memory_equal(ip->src, V4_SRC, 4);
	assert_memory_equal(ip->dst, V4_DST, 4);
	assert_int_equal(ip->l3_off, 14);
	assert_int_equal(ip->l4_off, 34);
	assert_int_equal(ip->dgram_len, 20 + 60 + 100);
	assert_int_equal(ip->l4_len, 60 + 100);
	assert_int_equal(ip->sport, TCP_SPORT);
	assert_int_equal(ip->dport, TCP_DPORT);

	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.l4_ip_idx, 0);
	assert_int_equal(p.l4_proto, 6);
	assert_int_equal(p.sport, TCP_SPORT);
	assert_int_equal(p.dport, TCP_DPORT);
	const struct wc_tcp_info *t = &p.l4.tcp;
	assert_int_equal(t->seq, TCP_SEQ);
	assert_int_equal(t->ack, TCP_ACK);
	assert_int_equal(t->flags, TCP_FLAGS);
	assert_int_equal(t->win, TCP_WIN);
	assert_int_equal(t->doff, 60);
	assert_int_equal(t->payload_len, 100);
	assert_int_equal(t->mss, 1460);
	assert_int_equal(t->wscale, 7);
	assert_int_equal(t->sack_perm, 1);
	assert_int_equal(t->has_ts, 1);
	assert_int_equal(t->ts_val, 0xa1a2a3a4u);
	assert_int_equal(t->ts_ecr, 0xb1b2b3b4u);
	assert_int_equal(t->nsack, 2);
	assert_int_equal(t->sack[0][0], 0x1000);
	assert_int_equal(t->sack[0][1], 0x2000);
	assert_int_equal(t->sack[1][0], 0x3000);
	assert_int_equal(t->sack[1][1], 0x4000);

	/* Same without options: absent options read as absent. Odd payload
	 * (101 bytes) so the last byte is padded in the sum. */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	app_v4_tcp(&F, NULL, 0, 101);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.l4.tcp.doff, 20);
	assert_int_equal(p.l4.tcp.payload_len, 101);
	assert_int_equal(p.l4.tcp.wscale, 0xff);
	assert_int_equal(p.l4.tcp.mss, 0);
	assert_int_equal(p.l4.tcp.sack_perm, 0);
	assert_int_equal(p.l4.tcp.has_ts, 0);
	assert_int_equal(p.l4.tcp.nsack, 0);
}

/* Ethernet padding: a short datagram in a 60-byte minimum frame; the
 * padding is not part of the segment (IP total / UDP length say so). */
static void test_ethernet_padding(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / TCP, no payload (54 bytes) + 6 bytes of 0xee padding */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	app_v4_tcp(&F, NULL, 0, 0);
	memset(F.d + put(&F, NULL, 6), 0xee, 6);
	assert_int_equal(F.n, 60);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.ip[0].l4_len, 20);

	/* Eth / IPv4 / UDP with 3 bytes payload (45 bytes) + 15 bytes pad */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	app_v4_udp(&F, 1234, 53, 3);
	memset(F.d + put(&F, NULL, 15), 0xee, 15);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.ip[0].l4_len, 11);

	/* UDP length shorter than the IP payload: the bytes after it are not
	 * covered by the checksum. IP says 8+11+5, UDP says 8+11. */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	uint32_t ip = put_ip4(&F, 17, V4_SRC, V4_DST, NULL, 0);
	uint32_t u = put_udp(&F, 1234, 53);
	put_payload(&F, 11);
	udp_fix_len(&F, u);
	memset(F.d + put(&F, NULL, 5), 0x77, 5);
	ip4_fix(&F, ip);
	l4_fix_v4(&F, ip, u);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.ip[0].l4_len, 19);
}

/* ------------------------------------------------------------------ */
/* 2. Bad checksums                                                     */

static void test_ipv4_tcp_bad(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / TCP / 80 bytes; TCP checksum xor 0x1234 */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_tcp(&F, NULL, 0, 80);
	uint16_t good = get_field(&F, o.l4, 6);
	uint16_t badv = good ^ 0x1234;
	set_field(&F, o.l4, 6, badv);
	DECODE(&p, &F);

	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_cs, 2);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, badv);
	assert_int_equal(cs->expected, good);
	assert_int_equal(p.has_l4, 1); /* a bad checksum does not stop parsing */
	assert_int_equal(p.sport, TCP_SPORT);

	/* A one-bit error in the payload instead of the field. */
	set_field(&F, o.l4, 6, good);
	F.d[o.l4 + 20 + 40] ^= 0x01;
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, good);
	assert_int_not_equal(cs->expected, good);

	/* UDP over IPv4 with a wrong checksum */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_udp(&F, 5000, 5001, 33);
	good = get_field(&F, o.l4, 17);
	set_field(&F, o.l4, 17, (uint16_t)(good + 1));
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, (uint16_t)(good + 1));
	assert_int_equal(cs->expected, good);
}

/* Checksums whose correct value computes to 0x0000 (one's-complement
 * "negative zero" cases). Each packet gets a 16-bit adjust word at an even
 * offset, set to the checksum computed with the adjust word 0: the sum then
 * becomes 0xffff and the correct checksum 0x0000. */
static void test_csum_edge_values(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / UDP 7777->7778 / [adjust word] + 20 bytes */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_udp(&F, 7777, 7778, 22);
	wr16(F.d + o.l4 + 8, 0);
	set_field(&F, o.l4, 17, 0);
	uint16_t adj = seg_csum(4, V4_SRC, V4_DST, 17, F.d + o.l4, 30, 6);
	wr16(F.d + o.l4 + 8, adj);
	assert_int_equal(seg_csum(4, V4_SRC, V4_DST, 17, F.d + o.l4, 30, 6), 0);
	/* RFC 768: a computed 0 is sent as 0xffff -> good */
	set_field(&F, o.l4, 17, 0xffff);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);
	/* field 0 is "no checksum" over IPv4 */
	set_field(&F, o.l4, 17, 0);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_ZERO);
	/* any other value is bad, and the value to expect is 0xffff */
	set_field(&F, o.l4, 17, 0x1357);
	DECODE(&p, &F);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->expected, 0xffff);

	/* Eth / IPv4 / TCP / [adjust word] + 10 bytes: TCP sends 0x0000 */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_tcp(&F, NULL, 0, 12);
	wr16(F.d + o.l4 + 20, 0);
	set_field(&F, o.l4, 6, 0);
	adj = seg_csum(4, V4_SRC, V4_DST, 6, F.d + o.l4, 32, 16);
	wr16(F.d + o.l4 + 20, adj);
	set_field(&F, o.l4, 6, 0);
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(cs->found, 0);
	set_field(&F, o.l4, 6, 0x0001);
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_BAD);
	assert_true(cs->expected == 0x0000 || cs->expected == 0xffff);

	/* IPv4 header whose correct checksum is 0x0000 (id chosen for it):
	 * field 0 there is a good checksum, not "partial" */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_tcp(&F, NULL, 0, 4);
	wr16(F.d + o.l3 + 4, 0);
	wr16(F.d + o.l3 + 4, ip4_hdr_csum(F.d + o.l3));
	assert_int_equal(ip4_hdr_csum(F.d + o.l3), 0);
	wr16(F.d + o.l3 + 10, 0);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
}

/* ------------------------------------------------------------------ */
/* 3. CHECKSUM_PARTIAL                                                  */

static void test_partial(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* TCP field = folded pseudo-header sum with the real length (120) */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_tcp(&F, NULL, 0, 100);
	uint16_t good = get_field(&F, o.l4, 6);
	uint16_t ps = pseudo_fold(4, V4_SRC, V4_DST, 6, 120);
	set_field(&F, o.l4, 6, ps);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_PARTIAL);
	assert_int_equal(cs->found, ps);
	assert_int_equal(cs->expected, good);
	assert_int_equal(p.superframe, 0);

	/* The same length-0 value on this normal-size frame is just bad */
	uint16_t ps0 = pseudo_fold(4, V4_SRC, V4_DST, 6, 0);
	set_field(&F, o.l4, 6, ps0);
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, ps0);
	assert_int_equal(cs->expected, good);
	assert_int_equal(p.superframe, 0);

	/* Complemented pseudo-header sum (a common driver bug) is bad too */
	set_field(&F, o.l4, 6, (uint16_t)~ps);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_BAD);

	/* UDP over IPv4: field = pseudo-header sum with the UDP length (8+41) */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_udp(&F, 5000, 5001, 41);
	good = get_field(&F, o.l4, 17);
	ps = pseudo_fold(4, V4_SRC, V4_DST, 17, 49);
	set_field(&F, o.l4, 17, ps);
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_PARTIAL);
	assert_int_equal(cs->found, ps);
	assert_int_equal(cs->expected, good);

	/* UDP over IPv6, same idea with the IPv6 pseudo-header */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	o = app_v6_udp(&F, 5000, 5001, 20);
	ps = pseudo_fold(6, V6_SRC, V6_DST, 17, 28);
	set_field(&F, o.l4, 17, ps);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_PARTIAL);

	/* 4000-byte super-frame (IPv4 total 3986 > mtu 1500), TCP field =
	 * pseudo-header sum with length 0, as GSO/TSO leave it */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_tcp(&F, NULL, 0, 4000 - 14 - 20 - 20);
	assert_int_equal(F.n, 4000);
	good = get_field(&F, o.l4, 6);
	set_field(&F, o.l4, 6, ps0);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.superframe_ip, 0);
	assert_true(p.ip[0].flags & WC_IPF_SUPERFRAME);
	assert_int_equal(p.ip[0].dgram_len, 3986);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_PARTIAL);
	assert_int_equal(cs->found, ps0);
	assert_int_equal(cs->expected, good);

	/* ... and with the real length (3966) on the super-frame: partial */
	set_field(&F, o.l4, 6, pseudo_fold(4, V4_SRC, V4_DST, 6, 3966));
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_PARTIAL);
	/* ... correct checksum on the super-frame: good, still a super-frame */
	set_field(&F, o.l4, 6, good);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.superframe, 1);

	/* IPv4 total length 0 (presumed TSO) on a small frame: length from
	 * the frame, super-frame, length-0 partial accepted */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_tcp(&F, NULL, 0, 100);
	wr16(F.d + o.l3 + 2, 0);
	ip4_recsum(&F, o.l3);
	set_field(&F, o.l4, 6, ps0);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_true(p.ip[0].flags & WC_IPF_LEN_FROM_FRAME);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.ip[0].l4_len, 120);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_PARTIAL);

	/* IPv6 payload length 0 (BIG TCP, hop-by-hop stripped), 3000 bytes */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	o = app_v6_tcp(&F, 3000);
	wr16(F.d + o.l3 + 4, 0);
	set_field(&F, o.l4, 6, pseudo_fold(6, V6_SRC, V6_DST, 6, 0));
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.ip[0].l4_len, 3020);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_PARTIAL);
}

/* IPv6 jumbogram (RFC 2675): payload length 0, hop-by-hop Jumbo Payload
 * option, 32-bit upper-layer length in the pseudo-header. */
static void test_ipv6_jumbo(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv6 (plen 0, nh 0) / HBH [nh 6, len 0, C2 04 <jumbo>] /
	 * TCP / 70000 bytes: jumbo = 8 + 20 + 70000 */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	uint32_t ip = put_ip6(&F, 0, V6_SRC, V6_DST);
	put8(&F, 6);
	put8(&F, 0);
	put8(&F, 0xc2);
	put8(&F, 4);
	put32(&F, 8 + 20 + 70000);
	uint32_t l4 = put_tcp(&F, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(&F, 70000);
	uint16_t good = l4_fix(&F, l4, 6, V6_SRC, V6_DST, 6);
	(void)ip;
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_true(p.ip[0].flags & WC_IPF_JUMBO);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.ip[0].l4_len, 70020);
	assert_int_equal(p.ip[0].dgram_len, 40 + 8 + 70020);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* length-0 partial on the jumbogram */
	set_field(&F, l4, 6, pseudo_fold(6, V6_SRC, V6_DST, 6, 0));
	DECODE(&p, &F);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_PARTIAL);
	assert_int_equal(cs->expected, good);
}

/* ------------------------------------------------------------------ */
/* 4. IPv4 header checksum                                              */

static void test_ipv4_header(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / TCP; header checksum field 0x0000 -> partial */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_tcp(&F, NULL, 0, 10);
	uint16_t good = rd16(F.d + o.l3 + 10);
	wr16(F.d + o.l3 + 10, 0);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_PARTIAL);
	assert_int_equal(cs->found, 0);
	assert_int_equal(cs->expected, good);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* corrupted -> bad, with the right expected value */
	wr16(F.d + o.l3 + 10, good ^ 0x0101);
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, good ^ 0x0101);
	assert_int_equal(cs->expected, good);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD); /* independent */

	/* header right, TTL changed without updating it -> bad */
	wr16(F.d + o.l3 + 10, good);
	F.d[o.l3 + 8]--;
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_BAD);

	/* IPv4 with 8 bytes of options: NOP + Record Route (type 7, len 7,
	 * pointer 4, one empty slot); IHL 7 */
	static const uint8_t opts[8] = {1, 7, 7, 4, 0, 0, 0, 0};
	fb_reset(&F);
	put_eth(&F, 0x0800);
	uint32_t ip = put_ip4(&F, 6, V4_SRC, V4_DST, opts, sizeof(opts));
	uint32_t l4 = put_tcp(&F, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(&F, 30);
	ip4_fix(&F, ip);
	l4_fix_v4(&F, ip, l4);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.ip[0].l4_off, 14 + 28);
	assert_int_equal(p.ip[0].l4_len, 50);
	assert_int_equal(p.has_l4, 1);

	/* an option whose length runs past the header: malformed option,
	 * but the header checksum is still checked (and good) */
	static const uint8_t badopt[8] = {1, 7, 9, 4, 0, 0, 0, 0};
	fb_reset(&F);
	put_eth(&F, 0x0800);
	ip = put_ip4(&F, 6, V4_SRC, V4_DST, badopt, sizeof(badopt));
	l4 = put_tcp(&F, TCP_SPORT, TCP_DPORT, NULL, 0);
	ip4_fix(&F, ip);
	l4_fix_v4(&F, ip, l4);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_IPV4_OPTION);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
}

/* ------------------------------------------------------------------ */
/* 5. UDP checksum 0                                                    */

static void test_udp_zero(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / UDP 5000->53 with checksum 0 -> zero */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_udp(&F, 5000, 53, 20);
	set_field(&F, o.l4, 17, 0);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_ZERO);
	assert_int_equal(cs->found, 0);
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.l4_proto, 17);
	assert_int_equal(p.sport, 5000);
	assert_int_equal(p.dport, 53);

	/* Eth / IPv6 / UDP 5000->53 with checksum 0 -> bad (RFC 8200 §8.1) */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	o = app_v6_udp(&F, 5000, 53, 20);
	set_field(&F, o.l4, 17, 0);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	cs = EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, 0);

	/* a tunnel source port is not enough: 4789 -> 53 over IPv6 is bad */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	o = app_v6_udp(&F, 4789, 53, 20);
	set_field(&F, o.l4, 17, 0);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_BAD);

	/* Eth / IPv6 / UDP 5000->4789 checksum 0 / VXLAN VNI 77 /
	 * Eth (ARP, 28 bytes): tunnel exception (RFC 6935) -> zero */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	uint32_t ip = put_ip6(&F, 17, V6_SRC, V6_DST);
	uint32_t u = put_udp(&F, 5000, 4789);
	put32(&F, 0x08000000);
	put32(&F, 77u << 8);
	put_eth_m(&F, MAC_IN_DST, MAC_IN_SRC, 0x0806);
	put_payload(&F, 28);
	udp_fix_len(&F, u);
	ip6_fix(&F, ip);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_ZERO);
	assert_int_equal(p.n_cs, 1);
	assert_int_equal(p.tunnel_type, WC_TUN_VXLAN);
	assert_int_equal(p.tunnel_id, 77);

	/* same over IPv6 to GENEVE 6081 (no options, Ethernet inside) */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	ip = put_ip6(&F, 17, V6_SRC, V6_DST);
	u = put_udp(&F, 5000, 6081);
	put32(&F, 0x00006558);
	put32(&F, 78u << 8);
	put_eth_m(&F, MAC_IN_DST, MAC_IN_SRC, 0x0806);
	put_payload(&F, 28);
	udp_fix_len(&F, u);
	ip6_fix(&F, ip);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_ZERO);
	assert_int_equal(p.tunnel_type, WC_TUN_GENEVE);
	assert_int_equal(p.tunnel_id, 78);
}

/* ------------------------------------------------------------------ */
/* 6. ICMP and ICMPv6                                                   */

static void test_icmp(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / ICMP echo request id 0x4242 seq 7 / 56 bytes */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_icmp(&F, 56);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_cs, 2);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_ICMP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.l4_proto, 1);
	assert_int_equal(p.l4.icmp.type, 8);
	assert_int_equal(p.l4.icmp.code, 0);
	assert_int_equal(p.l4.icmp.id, 0x4242);
	assert_int_equal(p.l4.icmp.seq, 7);

	uint16_t good = get_field(&F, o.l4, 1);
	set_field(&F, o.l4, 1, good ^ 0x8000);
	DECODE(&p, &F);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_ICMP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->found, good ^ 0x8000);
	assert_int_equal(cs->expected, good);

	/* ICMPv4 has no pseudo-header: a value that would be right with
	 * one is bad */
	set_field(&F, o.l4, 1,
		  seg_csum(4, V4_SRC, V4_DST, 1, F.d + o.l4, F.n - o.l4, 2));
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_ICMP, 0, WC_VERDICT_BAD);

	/* Eth / IPv6 / ICMPv6 echo request id 0x4343 seq 9 / 57 bytes */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	o = app_v6_icmp(&F, 57);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_cs, 1);
	EXPECT_CS(&p, WC_LAYER_ICMPV6, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.l4_proto, 58);
	assert_int_equal(p.l4.icmp.type, 128);
	assert_int_equal(p.l4.icmp.id, 0x4343);
	assert_int_equal(p.l4.icmp.seq, 9);

	good = get_field(&F, o.l4, 58);
	set_field(&F, o.l4, 58, (uint16_t)(good - 3));
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_ICMPV6, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->expected, good);

	/* ICMPv6 computed without the pseudo-header (as for ICMPv4) is bad */
	set_field(&F, o.l4, 58, seg_csum(0, NULL, NULL, 58, F.d + o.l4, F.n - o.l4, 2));
	DECODE(&p, &F);
	cs = EXPECT_CS(&p, WC_LAYER_ICMPV6, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->expected, good);
}

/* ------------------------------------------------------------------ */
/* 7. IPv6 pseudo-header: routing header and Home Address option        */

/* Eth / IPv6 (nh 43, dst V6_DST) / RH type 0 [V6_MID, V6_FINAL] with the
 * given segments left / TCP / 40 bytes; checksum with pseudo dst pdst. */
static struct offs mk_rh0(struct fb *f, uint8_t segs_left, const uint8_t *pdst)
{
	struct offs o;
	fb_reset(f);
	put_eth(f, 0x86dd);
	o.l3 = put_ip6(f, 43, V6_SRC, V6_DST);
	put8(f, 6);  /* next header: TCP */
	put8(f, 4);  /* 2 addresses */
	put8(f, 0);  /* type 0 */
	put8(f, segs_left);
	put32(f, 0);
	put(f, V6_MID, 16);
	put(f, V6_FINAL, 16);
	o.l4 = put_tcp(f, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(f, 40);
	ip6_fix(f, o.l3);
	l4_fix(f, o.l4, 6, V6_SRC, pdst, 6);
	return o;
}

static void test_ipv6_pseudo_header(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* RH0, segments left 1: final destination = last listed address */
	mk_rh0(&F, 1, V6_FINAL);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_memory_equal(p.ip[0].dst, V6_FINAL, 16);
	assert_memory_equal(p.ip[0].src, V6_SRC, 16);
	assert_int_equal(p.ip[0].proto, 6);
	assert_int_equal(p.ip[0].l4_off, 14 + 40 + 40);
	assert_int_equal(p.ip[0].l4_len, 60);

	/* computed with the outer destination -> bad; expected is the value
	 * computed with the final one */
	struct offs o = mk_rh0(&G, 1, V6_FINAL);
	uint16_t right = get_field(&G, o.l4, 6);
	o = mk_rh0(&F, 1, V6_DST);
	DECODE(&p, &F);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_BAD);
	assert_int_equal(cs->expected, right);

	/* segments left 0: the outer destination is already final */
	mk_rh0(&F, 0, V6_DST);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_memory_equal(p.ip[0].dst, V6_DST, 16);

	/* RH type 2 (Mobile IPv6), one address = home address, segments
	 * left 1: pseudo dst = V6_HOME */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	uint32_t ip = put_ip6(&F, 43, V6_SRC, V6_DST);
	put8(&F, 6);
	put8(&F, 2);
	put8(&F, 2);
	put8(&F, 1);
	put32(&F, 0);
	put(&F, V6_HOME, 16);
	uint32_t l4 = put_tcp(&F, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(&F, 9);
	ip6_fix(&F, ip);
	l4_fix(&F, l4, 6, V6_SRC, V6_HOME, 6);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_memory_equal(p.ip[0].dst, V6_HOME, 16);

	/* Destination Options with Home Address (0xC9): 24-byte header
	 * [nh 6, len 2, PadN(2), C9 16 <V6_HOME>] (option at 8n+6).
	 * Checksum with the home address as source -> good */
	for (int with_home = 1; with_home >= 0; with_home--) {
		fb_reset(&F);
		put_eth(&F, 0x86dd);
		ip = put_ip6(&F, 60, V6_SRC /* care-of */, V6_DST);
		put8(&F, 6);
		put8(&F, 2);
		put8(&F, 1); /* PadN */
		put8(&F, 2);
		put16(&F, 0);
		put8(&F, 0xc9);
		put8(&F, 16);
		put(&F, V6_HOME, 16);
		l4 = put_tcp(&F, TCP_SPORT, TCP_DPORT, NULL, 0);
		put_payload(&F, 17);
		ip6_fix(&F, ip);
		l4_fix(&F, l4, 6, with_home ? V6_HOME : V6_SRC, V6_DST, 6);
		DECODE(&p, &F);
		EXPECT_MALFORMED(&p, WC_MAL_NONE);
		assert_memory_equal(p.ip[0].src, V6_HOME, 16);
		/* with the care-of (outer) source -> bad */
		EXPECT_CS(&p, WC_LAYER_TCP, 0,
			  with_home ? WC_VERDICT_GOOD : WC_VERDICT_BAD);
	}

	/* ICMPv6 through a type 0 routing header uses the final address too */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	ip = put_ip6(&F, 43, V6_SRC, V6_MID);
	put8(&F, 58);
	put8(&F, 2);
	put8(&F, 0);
	put8(&F, 1);
	put32(&F, 0);
	put(&F, V6_FINAL, 16);
	l4 = put_icmp(&F, 128, 1, 1);
	ip6_fix(&F, ip);
	l4_fix(&F, l4, 6, V6_SRC, V6_FINAL, 58);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_ICMPV6, 0, WC_VERDICT_GOOD);
}

/* ------------------------------------------------------------------ */
/* 8. Fragments                                                         */

/* Eth / IPv6 (nh 44) / Fragment header [nh 6, 0, fo, id] / TCP / 30
 * bytes; the TCP checksum is computed as if the segment were whole. */
static struct offs mk_v6_frag(struct fb *f, uint16_t fo)
{
	struct offs o;
	fb_reset(f);
	put_eth(f, 0x86dd);
	o.l3 = put_ip6(f, 44, V6_SRC, V6_DST);
	put8(f, 6);
	put8(f, 0);
	put16(f, fo);
	put32(f, 0xcafef00d);
	o.l4 = put_tcp(f, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(f, 30);
	ip6_fix(f, o.l3);
	l4_fix(f, o.l4, 6, V6_SRC, V6_DST, 6);
	return o;
}

static void test_fragments(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 MF, offset 0 / TCP (checksum right as if whole) */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	struct offs o = app_v4_tcp(&F, NULL, 0, 64);
	wr16(F.d + o.l3 + 6, 0x2000);
	ip4_recsum(&F, o.l3);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_UNVERIFIABLE);
	assert_true(p.ip[0].flags & WC_IPF_FRAGMENT);
	assert_true(p.ip[0].flags & WC_IPF_FIRST_FRAG);
	assert_int_equal(p.has_l4, 1); /* the header is there */
	assert_int_equal(p.sport, TCP_SPORT);

	/* same with a wrong TCP checksum: still unverifiable, not bad */
	set_field(&F, o.l4, 6, get_field(&F, o.l4, 6) ^ 0xffff);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_UNVERIFIABLE);

	/* non-first fragment (offset 185*8, MF clear): no L4 header, no L4
	 * verdict */
	wr16(F.d + o.l3 + 6, 185);
	ip4_recsum(&F, o.l3);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_cs, 1);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	assert_int_equal(cs_count(&p, WC_LAYER_TCP, 0), 0);
	assert_int_equal(p.has_l4, 0);
	assert_true(p.ip[0].flags & WC_IPF_FRAGMENT);
	assert_false(p.ip[0].flags & WC_IPF_FIRST_FRAG);

	/* DF alone is not a fragment */
	wr16(F.d + o.l3 + 6, 0x4000);
	ip4_recsum(&F, o.l3);
	set_field(&F, o.l4, 6, get_field(&F, o.l4, 6) ^ 0xffff);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* IPv4 first fragment of a UDP datagram: the UDP length (1000)
	 * covers the reassembled datagram, not this 100-byte fragment ->
	 * unverifiable, not malformed */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = app_v4_udp(&F, 3000, 3001, 92);
	wr16(F.d + o.l4 + 4, 1000);
	wr16(F.d + o.l3 + 6, 0x2000);
	ip4_recsum(&F, o.l3);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_UNVERIFIABLE);
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.dport, 3001);
	/* ... and with checksum 0 it is "no checksum" as for any UDP/IPv4 */
	set_field(&F, o.l4, 17, 0);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_ZERO);

	/* IPv6 first fragment (offset 0, M=1) -> unverifiable */
	mk_v6_frag(&F, 0x0001);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_UNVERIFIABLE);
	assert_true(p.ip[0].flags & WC_IPF_FRAGMENT);
	assert_int_equal(p.ip[0].proto, 6);
	assert_int_equal(p.has_l4, 1);

	/* IPv6 atomic fragment (offset 0, M=0, RFC 6946) -> verified */
	mk_v6_frag(&F, 0x0000);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_false(p.ip[0].flags & WC_IPF_FRAGMENT);

	/* IPv6 first fragment carrying UDP with the datagram's length */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	uint32_t ip6 = put_ip6(&F, 44, V6_SRC, V6_DST);
	put32(&F, 0x11000001); /* nh UDP, offset 0, M=1 */
	put32(&F, 0xcafef00d);
	uint32_t u = put_udp(&F, 3000, 3001);
	put_payload(&F, 40);
	wr16(F.d + u + 4, 1500);
	ip6_fix(&F, ip6);
	set_field(&F, u, 17, 0x1234);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_UNVERIFIABLE);

	/* IPv6 non-first fragment (offset 185, M=0): no L4 verdict */
	mk_v6_frag(&F, 185 << 3);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_cs, 0);
	assert_int_equal(p.has_l4, 0);
	assert_int_equal(p.n_ip, 1);
}

/* ------------------------------------------------------------------ */
/* 9. Snaplen truncation                                                */

static void test_snaplen(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / TCP / 200 bytes = 254 on the wire, captured 64 */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	app_v4_tcp(&F, NULL, 0, 200);
	DECODE_SNAP(&p, &F, 64);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.caplen, 64);
	assert_int_equal(p.wirelen, 254);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_UNVERIFIABLE);
	assert_true(p.ip[0].flags & WC_IPF_TRUNCATED);
	assert_int_equal(p.ip[0].dgram_len, 240);
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.sport, TCP_SPORT);
	assert_int_equal(p.l4.tcp.seq, TCP_SEQ);
	assert_int_equal(p.l4.tcp.payload_len, 200);

	/* cut inside the TCP header (6 bytes of it): still not malformed */
	DECODE_SNAP(&p, &F, 14 + 20 + 6);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_UNVERIFIABLE);

	/* cut inside the IPv4 header: its checksum is unverifiable */
	DECODE_SNAP(&p, &F, 14 + 12);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_UNVERIFIABLE);
	assert_int_equal(p.n_cs, 1);

	/* cut inside the Ethernet header */
	DECODE_SNAP(&p, &F, 10);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_cs, 0);

	/* UDP over IPv6, 300 bytes of payload, captured 96 */
	fb_reset(&F);
	put_eth(&F, 0x86dd);
	app_v6_udp(&F, 1000, 2000, 300);
	DECODE_SNAP(&p, &F, 96);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_UNVERIFIABLE);
	assert_int_equal(p.dport, 2000);

	/* the whole datagram captured but the Ethernet FCS not: verifiable */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	app_v4_tcp(&F, NULL, 0, 30);
	uint32_t cap = F.n;
	put32(&F, 0xdeadbeef); /* FCS */
	DECODE_SNAP(&p, &F, cap);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
}

/* ------------------------------------------------------------------ */
/* 10. VLAN tags                                                        */

static void test_vlan(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth (0x8100) / 802.1Q PCP 5 VID 100 / IPv4 / TCP */
	fb_reset(&F);
	put_eth(&F, 0x8100);
	put_vlan(&F, 0xa000 | 100, 0x0800);
	app_v4_tcp(&F, NULL, 0, 20);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].nvlan, 1);
	assert_int_equal(p.ip[0].vlan[0], 100);
	assert_int_equal(p.ip[0].l3_off, 18);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* QinQ: Eth (0x88a8) / S-tag VID 10 / C-tag (0x8100) VID 20 / IPv6/UDP */
	fb_reset(&F);
	put_eth(&F, 0x88a8);
	put_vlan(&F, 10, 0x8100);
	put_vlan(&F, 0x2000 | 20, 0x86dd);
	app_v6_udp(&F, 1111, 2222, 10);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].nvlan, 2);
	assert_int_equal(p.ip[0].vlan[0], 10);
	assert_int_equal(p.ip[0].vlan[1], 20);
	assert_int_equal(p.ip[0].l3_off, 22);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);

	/* untagged frame after tagged ones: no tags left over */
	mk_plain(&F);
	DECODE(&p, &F);
	assert_int_equal(p.ip[0].nvlan, 0);
}

/* Tag stacks: 8 tags decode (two kept), a 9th is one too many. */
static void test_vlan_depth(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	for (unsigned ntags = 8; ntags <= 9; ntags++) {
		fb_reset(&F);
		put_eth(&F, 0x8100);
		for (unsigned i = 0; i < ntags; i++)
			put_vlan(&F, (uint16_t)(100 + i), i + 1 < ntags ? 0x8100 : 0x0800);
		app_v4_tcp(&F, NULL, 0, 8);
		DECODE(&p, &F);
		if (ntags == 8) {
			EXPECT_MALFORMED(&p, WC_MAL_NONE);
			assert_int_equal(p.ip[0].nvlan, 2);
			assert_int_equal(p.ip[0].vlan[0], 100);
			assert_int_equal(p.ip[0].vlan[1], 101);
			EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
		} else {
			EXPECT_MALFORMED(&p, WC_MAL_VLAN_DEPTH);
			assert_int_equal(p.n_ip, 0);
		}
	}
}

/* ------------------------------------------------------------------ */
/* 11. Tunnels                                                          */

static void test_vxlan(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	uint16_t good;
	struct offs in = mk_vxlan(&F, true, &good);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 2);
	assert_int_equal(p.n_cs, 4);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_ZERO);
	EXPECT_CS(&p, WC_LAYER_IPV4, 1, WC_VERDICT_GOOD);
	const struct wc_csum_check *cs = EXPECT_CS(&p, WC_LAYER_TCP, 1, WC_VERDICT_BAD);
	assert_int_equal(cs->found, good ^ 0x0f0f);
	assert_int_equal(cs->expected, good);
	assert_int_equal(p.tunnel_type, WC_TUN_VXLAN);
	assert_int_equal(p.tunnel_id, VXLAN_VNI);

	assert_int_equal(p.ip[0].depth, 0);
	assert_int_equal(p.ip[0].proto, 17);
	assert_int_equal(p.ip[0].dport, 4789);
	assert_memory_equal(p.ip[0].src, V4_VTEP_A, 4);
	assert_memory_equal(p.ip[0].mac_src, MAC_SRC, 6);
	assert_int_equal(p.ip[1].depth, 1);
	assert_int_equal(p.ip[1].family, 4);
	assert_int_equal(p.ip[1].has_mac, 1);
	assert_memory_equal(p.ip[1].mac_src, MAC_IN_SRC, 6);
	assert_memory_equal(p.ip[1].mac_dst, MAC_IN_DST, 6);
	assert_memory_equal(p.ip[1].src, V4_SRC, 4);
	assert_int_equal(p.ip[1].l3_off, in.l3);
	assert_int_equal(p.ip[1].l4_off, in.l4);
	assert_int_equal(p.has_l4, 1);
	assert_int_equal(p.l4_ip_idx, 1);
	assert_int_equal(p.l4_proto, 6);
	assert_int_equal(p.sport, TCP_SPORT);
	assert_int_equal(p.dport, TCP_DPORT);

	/* VXLAN with the I flag clear is not decoded as VXLAN */
	mk_vxlan(&F, false, NULL);
	F.d[14 + 20 + 8] = 0;
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 1);
	assert_int_equal(p.tunnel_type, WC_TUN_NONE);
}

static void test_geneve(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 / UDP 50000->6081 (checksum right) / GENEVE ver 0,
	 * optlen 2 (8 bytes), proto 0x86dd, VNI 0xabcdef / option [class
	 * 0x0102, type 0x80, len 1, 4 bytes] / IPv6 / UDP 5353->5353 / 33 */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	uint32_t o = put_ip4(&F, 17, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	uint32_t u = put_udp(&F, 50000, 6081);
	put8(&F, 0x02);
	put8(&F, 0x00);
	put16(&F, 0x86dd);
	put32(&F, 0xabcdefu << 8);
	put16(&F, 0x0102);
	put8(&F, 0x80);
	put8(&F, 0x01);
	put32(&F, 0x01020304);
	struct offs in = app_v6_udp(&F, 5353, 5353, 33);
	udp_fix_len(&F, u);
	ip4_fix(&F, o);
	l4_fix_v4(&F, o, u);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 2);
	assert_int_equal(p.n_cs, 3);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_UDP, 1, WC_VERDICT_GOOD);
	assert_int_equal(p.tunnel_type, WC_TUN_GENEVE);
	assert_int_equal(p.tunnel_id, 0xabcdef);
	assert_int_equal(p.ip[1].family, 6);
	assert_int_equal(p.ip[1].depth, 1);
	assert_int_equal(p.ip[1].has_mac, 0);
	assert_int_equal(p.ip[1].nvlan, 0);
	assert_int_equal(p.ip[1].l3_off, in.l3);
	assert_int_equal(in.l3, 14 + 20 + 8 + 8 + 8);
	assert_int_equal(p.l4_ip_idx, 1);
	assert_int_equal(p.sport, 5353);

	/* inner UDP bad */
	set_field(&F, in.l4, 17, get_field(&F, in.l4, 17) ^ 0x00ff);
	l4_fix_v4(&F, o, u);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_UDP, 1, WC_VERDICT_BAD);
}

static void test_gre(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Eth / IPv4 proto 47 / GRE [K, proto 0x0800, key 0xabcd] / IPv4 /
	 * UDP 7000->7001 / 25 bytes */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	uint32_t o = put_ip4(&F, 47, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	put8(&F, 0x20);
	put8(&F, 0x00);
	put16(&F, 0x0800);
	put32(&F, 0xabcd);
	struct offs in = app_v4_udp(&F, 7000, 7001, 25);
	ip4_fix(&F, o);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 2);
	assert_int_equal(p.n_cs, 3);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_IPV4, 1, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_UDP, 1, WC_VERDICT_GOOD);
	assert_int_equal(p.tunnel_type, WC_TUN_GRE);
	assert_int_equal(p.tunnel_id, 0xabcd);
	assert_int_equal(p.ip[0].proto, 47);
	assert_int_equal(p.ip[1].depth, 1);
	assert_int_equal(p.ip[1].has_mac, 0);
	assert_int_equal(p.ip[1].l3_off, in.l3);
	assert_int_equal(p.l4_ip_idx, 1);

	/* plain GRE (no key) with an inner TCP that is bad */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = put_ip4(&F, 47, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	put16(&F, 0);
	put16(&F, 0x0800);
	in = app_v4_tcp(&F, NULL, 0, 12);
	set_field(&F, in.l4, 6, 0x1234);
	ip4_fix(&F, o);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.tunnel_type, WC_TUN_GRE);
	assert_int_equal(p.tunnel_id, 0);
	EXPECT_CS(&p, WC_LAYER_TCP, 1, WC_VERDICT_BAD);

	/* IP-in-IP: IPv4 proto 4 / IPv4 / ICMP */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	o = put_ip4(&F, 4, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	app_v4_icmp(&F, 8);
	ip4_fix(&F, o);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.tunnel_type, WC_TUN_IPIP);
	assert_int_equal(p.ip[1].depth, 1);
	EXPECT_CS(&p, WC_LAYER_IPV4, 1, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_ICMP, 1, WC_VERDICT_GOOD);
}

static void test_erspan(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Type II: Eth / IPv4 proto 47 / GRE [S, proto 0x88be, seq 1] /
	 * ERSPAN II [ver 1, VLAN 0, session 0x155, index 0] / Eth (inner
	 * MACs) / IPv4 / TCP / 16 */
	fb_reset(&F);
	put_eth(&F, 0x0800);
	uint32_t o = put_ip4(&F, 47, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	put8(&F, 0x10);
	put8(&F, 0x00);
	put16(&F, 0x88be);
	put32(&F, 1);
	put16(&F, 0x1000);     /* ver 1, VLAN 0 */
	put16(&F, 0x0155);     /* COS 0, En 0, T 0, session 0x155 */
	put32(&F, 0);          /* reserved, index */
	put_eth_m(&F, MAC_IN_DST, MAC_IN_SRC, 0x0800);
	struct offs in = app_v4_tcp(&F, NULL, 0, 16);
	ip4_fix(&F, o);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.tunnel_type, WC_TUN_ERSPAN2);
	assert_int_equal(p.tunnel_id, 0x155);
	assert_int_equal(p.n_ip, 2);
	assert_int_equal(p.ip[1].l3_off, in.l3);
	assert_int_equal(in.l3, 14 + 20 + 8 + 8 + 14);
	assert_int_equal(p.ip[1].depth, 1);
	assert_int_equal(p.ip[1].has_mac, 1);
	assert_memory_equal(p.ip[1].mac_src, MAC_IN_SRC, 6);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_IPV4, 1, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 1, WC_VERDICT_GOOD);

	/* Type III: GRE [S, proto 0x22eb, seq 2] / ERSPAN III [ver 2,
	 * session 0x2aa, timestamp, SGT, flags with O as given] (+ 8-byte
	 * platform subheader when O) / Eth / IPv6 / TCP / 21 */
	for (int o_flag = 0; o_flag <= 1; o_flag++) {
		fb_reset(&F);
		put_eth(&F, 0x0800);
		o = put_ip4(&F, 47, V4_VTEP_A, V4_VTEP_B, NULL, 0);
		put8(&F, 0x10);
		put8(&F, 0x00);
		put16(&F, 0x22eb);
		put32(&F, 2);
		put16(&F, 0x2000);     /* ver 2, VLAN 0 */
		put16(&F, 0x02aa);     /* session 0x2aa */
		put32(&F, 0x12345678); /* timestamp */
		put16(&F, 0);          /* SGT */
		put16(&F, (uint16_t)(0x0000 | o_flag)); /* P FT HW D Gra O */
		if (o_flag) { /* platform-specific subheader */
			put32(&F, 0x0f0f0f0f);
			put32(&F, 0xf0f0f0f0);
		}
		put_eth_m(&F, MAC_IN_DST, MAC_IN_SRC, 0x86dd);
		in = app_v6_tcp(&F, 21);
		ip4_fix(&F, o);
		DECODE(&p, &F);
		EXPECT_MALFORMED(&p, WC_MAL_NONE);
		assert_int_equal(p.tunnel_type, WC_TUN_ERSPAN3);
		assert_int_equal(p.tunnel_id, 0x2aa);
		assert_int_equal(p.n_ip, 2);
		assert_int_equal(p.ip[1].family, 6);
		assert_int_equal(p.ip[1].l3_off, in.l3);
		assert_int_equal(p.ip[1].has_mac, 1);
		assert_memory_equal(p.ip[1].mac_dst, MAC_IN_DST, 6);
		EXPECT_CS(&p, WC_LAYER_TCP, 1, WC_VERDICT_GOOD);
	}
}

/* ------------------------------------------------------------------ */
/* 12. Link types                                                       */

static void test_linktypes(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* Linux cooked v1: [pkttype 0, ARPHRD_ETHER, addr len 6, addr (8),
	 * protocol 0x0800] / IPv4 / TCP */
	fb_reset(&F);
	put16(&F, 0);
	put16(&F, 1);
	put16(&F, 6);
	put(&F, MAC_SRC, 6);
	put16(&F, 0);
	put16(&F, 0x0800);
	app_v4_tcp(&F, NULL, 0, 10);
	DECODE_LT(&p, &F, WC_DLT_LINUX_SLL);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].l3_off, 16);
	assert_int_equal(p.ip[0].has_mac, 1);
	assert_memory_equal(p.ip[0].mac_src, MAC_SRC, 6);
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* Linux cooked v2: [protocol 0x86dd, reserved, ifindex 3,
	 * ARPHRD_ETHER, pkttype 0, addr len 6, addr (8)] / IPv6 / UDP */
	fb_reset(&F);
	put16(&F, 0x86dd);
	put16(&F, 0);
	put32(&F, 3);
	put16(&F, 1);
	put8(&F, 0);
	put8(&F, 6);
	put(&F, MAC_SRC, 6);
	put16(&F, 0);
	app_v6_udp(&F, 1, 2, 3);
	DECODE_LT(&p, &F, WC_DLT_LINUX_SLL2);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].l3_off, 20);
	assert_int_equal(p.ip[0].family, 6);
	assert_memory_equal(p.ip[0].mac_src, MAC_SRC, 6);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);

	/* BSD loopback (NULL): AF_INET = 2 in host byte order / IPv4 / TCP */
	fb_reset(&F);
	uint32_t fam = 2;
	put(&F, &fam, 4);
	app_v4_tcp(&F, NULL, 0, 10);
	DECODE_LT(&p, &F, WC_DLT_NULL);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].l3_off, 4);
	assert_int_equal(p.ip[0].has_mac, 0);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* NULL written by a host of the other byte order still works */
	fam = __builtin_bswap32(2);
	memcpy(F.d, &fam, 4);
	DECODE_LT(&p, &F, WC_DLT_NULL);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* OpenBSD LOOP: family 24 (AF_INET6) in network order / IPv6 / ICMPv6 */
	fb_reset(&F);
	put32(&F, 24);
	app_v6_icmp(&F, 4);
	DECODE_LT(&p, &F, WC_DLT_LOOP);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	EXPECT_CS(&p, WC_LAYER_ICMPV6, 0, WC_VERDICT_GOOD);

	/* RAW (12): IPv6 / TCP straight away */
	fb_reset(&F);
	app_v6_tcp(&F, 15);
	DECODE_LT(&p, &F, WC_DLT_RAW);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].family, 6);
	assert_int_equal(p.ip[0].l3_off, 0);
	assert_int_equal(p.ip[0].has_mac, 0);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* LINKTYPE_RAW (101) and LINKTYPE_IPV4 (228) with IPv4 */
	fb_reset(&F);
	app_v4_udp(&F, 9, 10, 11);
	DECODE_LT(&p, &F, WC_DLT_LINKTYPE_RAW);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);
	DECODE_LT(&p, &F, WC_DLT_IPV4);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_GOOD);

	/* PPP: [ff 03, protocol 0x0021] / IPv4 / TCP */
	fb_reset(&F);
	put16(&F, 0xff03);
	put16(&F, 0x0021);
	app_v4_tcp(&F, NULL, 0, 3);
	DECODE_LT(&p, &F, WC_DLT_PPP);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.ip[0].l3_off, 4);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* unsupported link type (147, USER0) */
	mk_plain(&F);
	DECODE_LT(&p, &F, 147);
	EXPECT_MALFORMED(&p, WC_MAL_LINKTYPE);
	assert_int_equal(p.n_ip, 0);
	assert_int_equal(p.n_cs, 0);
	assert_int_equal(p.has_l4, 0);

	/* a non-IP ethertype (ARP) decodes to nothing, cleanly */
	fb_reset(&F);
	put_eth(&F, 0x0806);
	put_payload(&F, 28);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 0);
	assert_int_equal(p.n_cs, 0);
}

/* ------------------------------------------------------------------ */
/* 13. Malformed frames and stale state                                 */

/* Each builder writes one malformed frame into f. */
static void mal_runt(struct fb *f)
{
	/* 10 bytes of an Ethernet header */
	mk_plain(f);
	f->n = 10;
}

static void mal_ihl(struct fb *f)
{
	/* Eth / IPv4 with IHL 3 (header checksum recomputed over 20 bytes) */
	struct offs o = mk_plain(f);
	f->d[o.l3] = 0x43;
}

static void mal_len_beyond(struct fb *f)
{
	/* Eth / IPv4 total length 100 more than the frame / TCP */
	struct offs o = mk_plain(f);
	wr16(f->d + o.l3 + 2, (uint16_t)(rd16(f->d + o.l3 + 2) + 100));
	ip4_recsum(f, o.l3);
}

static void mal_len_short(struct fb *f)
{
	/* Eth / IPv4 total length 12 (< IHL) */
	struct offs o = mk_plain(f);
	wr16(f->d + o.l3 + 2, 12);
	ip4_recsum(f, o.l3);
}

static void mal_doff(struct fb *f)
{
	/* Eth / IPv4 / TCP with data offset 2 (checksum recomputed) */
	struct offs o = mk_plain(f);
	f->d[o.l4 + 12] = 0x20;
	l4_fix_v4(f, o.l3, o.l4);
}

static void mal_tcp_option(struct fb *f)
{
	/* Eth / IPv4 / TCP with an option of length 1 */
	static const uint8_t opt[4] = {2, 1, 0, 0};
	fb_reset(f);
	put_eth(f, 0x0800);
	app_v4_tcp(f, opt, sizeof(opt), 0);
}

static void mal_udp_len(struct fb *f)
{
	/* Eth / IPv4 / UDP with length field 4 */
	fb_reset(f);
	put_eth(f, 0x0800);
	struct offs o = app_v4_udp(f, 1, 2, 20);
	wr16(f->d + o.l4 + 4, 4);
}

static void mal_udp_len_long(struct fb *f)
{
	/* Eth / IPv4 / UDP with length field beyond the IP payload */
	fb_reset(f);
	put_eth(f, 0x0800);
	struct offs o = app_v4_udp(f, 1, 2, 20);
	wr16(f->d + o.l4 + 4, 29);
}

/* Eth / IPv6 / n Destination Options headers chained (8 bytes each:
 * [nh, 0, PadN 4]) / TCP / 16 bytes, checksum right */
static struct offs mk_v6_dstopts_chain(struct fb *f, unsigned n)
{
	struct offs o;
	fb_reset(f);
	put_eth(f, 0x86dd);
	o.l3 = put_ip6(f, 60, V6_SRC, V6_DST);
	for (unsigned i = 0; i < n; i++) {
		put8(f, i + 1 < n ? 60 : 6);
		put8(f, 0);
		put8(f, 1);
		put8(f, 4);
		put32(f, 0);
	}
	o.l4 = put_tcp(f, TCP_SPORT, TCP_DPORT, NULL, 0);
	put_payload(f, 16);
	ip6_fix(f, o.l3);
	l4_fix_v6(f, o.l3, o.l4, 6);
	return o;
}

static void mal_ext_depth(struct fb *f)
{
	mk_v6_dstopts_chain(f, 9);
}

static void mal_ip_version(struct fb *f)
{
	/* ethertype IPv4, version nibble 6 */
	struct offs o = mk_plain(f);
	f->d[o.l3] = 0x65;
}

static void mal_ipv6_cut(struct fb *f)
{
	/* ethertype IPv6, 30 bytes of IPv6 header, nothing missing */
	fb_reset(f);
	put_eth(f, 0x86dd);
	put_ip6(f, 6, V6_SRC, V6_DST);
	f->n = 14 + 30;
}

static void mal_tunnel_cut(struct fb *f)
{
	/* VXLAN frame cut after 4 bytes of the VXLAN header (lengths fixed) */
	mk_vxlan(f, false, NULL);
	f->n = 14 + 20 + 8 + 4;
	wr16(f->d + 14 + 20 + 4, 12);
	ip4_fix(f, 14);
}

static const struct {
	const char *name;
	void (*build)(struct fb *f);
	enum wc_malformed want;
} MALFORMED[] = {
	{"runt", mal_runt, WC_MAL_RUNT},
	{"ihl", mal_ihl, WC_MAL_IPV4_IHL},
	{"len_beyond", mal_len_beyond, WC_MAL_IP_LEN_BEYOND_FRAME},
	{"len_short", mal_len_short, WC_MAL_IPV4_LEN_SHORT},
	{"doff", mal_doff, WC_MAL_TCP_DOFF},
	{"tcp_option", mal_tcp_option, WC_MAL_TCP_OPTION},
	{"udp_len", mal_udp_len, WC_MAL_UDP_LEN},
	{"udp_len_long", mal_udp_len_long, WC_MAL_UDP_LEN},
	{"ext_depth", mal_ext_depth, WC_MAL_IPV6_EXT_DEPTH},
	{"ip_version", mal_ip_version, WC_MAL_IP_VERSION},
	{"ipv6_cut", mal_ipv6_cut, WC_MAL_IPV6_HEADER_CUT},
	{"tunnel_cut", mal_tunnel_cut, WC_MAL_TUNNEL_HEADER_CUT},
};

static void check_plain(const struct wc_pkt *p)
{
	EXPECT_MALFORMED(p, WC_MAL_NONE);
	assert_int_equal(p->n_ip, 1);
	assert_int_equal(p->n_cs, 2);
	EXPECT_CS(p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	EXPECT_CS(p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p->tunnel_type, WC_TUN_NONE);
	assert_int_equal(p->tunnel_id, 0);
	assert_int_equal(p->superframe, 0);
	assert_int_equal(p->superframe_ip, -1);
	assert_int_equal(p->l3_start, 14);
	assert_int_equal(p->has_l4, 1);
	assert_int_equal(p->l4_ip_idx, 0);
	assert_int_equal(p->l4_proto, 6);
	assert_int_equal(p->sport, TCP_SPORT);
	assert_int_equal(p->ip[0].nvlan, 0);
	assert_int_equal(p->ip[0].depth, 0);
	assert_int_equal(p->ip[0].flags, 0);
	assert_int_equal(p->l4.tcp.wscale, 0xff);
	assert_int_equal(p->l4.tcp.nsack, 0);
}

static void test_malformed(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	for (size_t i = 0; i < sizeof(MALFORMED) / sizeof(MALFORMED[0]); i++) {
		print_message("  malformed case %s\n", MALFORMED[i].name);
		/* a tunnelled frame first, so tunnel fields are set */
		mk_vxlan(&G, true, NULL);
		DECODE(&p, &G);
		assert_int_equal(p.tunnel_type, WC_TUN_VXLAN);
		assert_int_equal(p.n_cs, 4);

		MALFORMED[i].build(&F);
		DECODE(&p, &F);
		EXPECT_MALFORMED(&p, MALFORMED[i].want);
		if (MALFORMED[i].build != mal_tunnel_cut) {
			assert_int_equal(p.tunnel_type, WC_TUN_NONE);
			assert_int_equal(p.tunnel_id, 0);
		}
		assert_true(p.n_ip <= 1);

		/* then a good frame: nothing left over */
		mk_plain(&G);
		DECODE(&p, &G);
		check_plain(&p);
	}

	/* specifics of some of them */
	mal_runt(&F);
	DECODE(&p, &F);
	assert_int_equal(p.n_ip, 0);
	assert_int_equal(p.n_cs, 0);

	mal_ihl(&F);
	DECODE(&p, &F);
	assert_int_equal(p.n_ip, 0);

	mal_len_beyond(&F);
	DECODE(&p, &F); /* header verdict given, no L4 verdict */
	EXPECT_CS(&p, WC_LAYER_IPV4, 0, WC_VERDICT_GOOD);
	assert_int_equal(cs_count(&p, WC_LAYER_TCP, 0), 0);
	assert_int_equal(p.has_l4, 0);

	mal_doff(&F);
	DECODE(&p, &F); /* the checksum covers the segment whatever doff says */
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	assert_int_equal(p.has_l4, 0);

	mal_udp_len(&F);
	DECODE(&p, &F);
	EXPECT_CS(&p, WC_LAYER_UDP, 0, WC_VERDICT_UNVERIFIABLE);

	mal_ext_depth(&F);
	DECODE(&p, &F);
	assert_int_equal(cs_count(&p, WC_LAYER_TCP, 0), 0);

	/* super-frame then a normal frame: superframe cleared */
	fb_reset(&G);
	put_eth(&G, 0x0800);
	app_v4_tcp(&G, NULL, 0, 2000);
	DECODE(&p, &G);
	assert_int_equal(p.superframe, 1);
	mk_plain(&G);
	DECODE(&p, &G);
	check_plain(&p);

	/* options then no options: TCP option fields cleared */
	fb_reset(&G);
	put_eth(&G, 0x0800);
	app_v4_tcp(&G, TCP_OPTS, sizeof(TCP_OPTS), 1);
	DECODE(&p, &G);
	assert_int_equal(p.l4.tcp.nsack, 2);
	mk_plain(&G);
	DECODE(&p, &G);
	check_plain(&p);
}

/* ------------------------------------------------------------------ */
/* Super-frames: per IP layer, and for the frame as a whole            */

/* Eth / IPv4 / TCP with IPv4 total length tot, then `trailing` bytes of
 * 0x55 after the datagram (lying header / trailer). */
static struct offs mk_trailing(struct fb *f, uint32_t tot, uint32_t trailing)
{
	fb_reset(f);
	put_eth(f, 0x0800);
	struct offs o = app_v4_tcp(f, NULL, 0, tot - 40);
	memset(f->d + put(f, NULL, trailing), 0x55, trailing);
	return o;
}

static void test_superframe(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	/* IPv4 total 1500 = mtu: not a super-frame (1514-byte frame) */
	mk_trailing(&F, 1500, 0);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.superframe, 0);
	assert_int_equal(p.superframe_ip, -1);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* IPv4 total 1501: the datagram is one */
	mk_trailing(&F, 1501, 0);
	DECODE(&p, &F);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.superframe_ip, 0);
	assert_true(p.ip[0].flags & WC_IPF_SUPERFRAME);

	/* 802.1Q + QinQ tags are link headers: IPv4 total 1500 in a
	 * 1522-byte frame is not a super-frame */
	fb_reset(&F);
	put_eth(&F, 0x88a8);
	put_vlan(&F, 10, 0x8100);
	put_vlan(&F, 20, 0x0800);
	app_v4_tcp(&F, NULL, 0, 1460);
	DECODE(&p, &F);
	assert_int_equal(p.l3_start, 22);
	assert_int_equal(p.superframe, 0);

	/* IPv4 says 100 bytes but the frame carries 3000 more after it: the
	 * frame is a super-frame, blamed on IP layer 0; the TCP checksum is
	 * still taken over the 80 bytes the header claims */
	mk_trailing(&F, 100, 3000);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.superframe_ip, 0);
	assert_false(p.ip[0].flags & WC_IPF_SUPERFRAME);
	assert_int_equal(p.ip[0].l4_len, 80);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);

	/* the same frame captured with snaplen 96: wirelen decides */
	DECODE_SNAP(&p, &F, 96);
	assert_int_equal(p.superframe, 1);

	/* a non-IP frame (ARP ethertype) with 1600 bytes after the header:
	 * the frame itself, no IP layer */
	fb_reset(&F);
	put_eth(&F, 0x0806);
	put_payload(&F, 1600);
	DECODE(&p, &F);
	assert_int_equal(p.n_ip, 0);
	assert_int_equal(p.superframe, 1);
	assert_int_equal(p.superframe_ip, -1);

	/* Linux cooked capture: the 16-byte SLL header is not payload */
	fb_reset(&F);
	put16(&F, 0);
	put16(&F, 1);
	put16(&F, 6);
	put(&F, MAC_SRC, 6);
	put16(&F, 0);
	put16(&F, 0x0800);
	app_v4_tcp(&F, NULL, 0, 1460);
	DECODE_LT(&p, &F, WC_DLT_LINUX_SLL);
	assert_int_equal(p.l3_start, 16);
	assert_int_equal(p.superframe, 0);
}

/* MPLS labels are link headers too: an IPv4 datagram of exactly the MTU
 * under one label must not make a super-frame.
 * Eth (0x8847) / MPLS [label 16, BoS, TTL 64] / IPv4 total 1500 / TCP. */
static void test_superframe_mpls(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	fb_reset(&F);
	put_eth(&F, 0x8847);
	put32(&F, (16u << 12) | 0x100 | 64);
	app_v4_tcp(&F, NULL, 0, 1460);
	assert_int_equal(F.n, 14 + 4 + 1500);
	DECODE(&p, &F);
	EXPECT_MALFORMED(&p, WC_MAL_NONE);
	assert_int_equal(p.n_ip, 1);
	assert_int_equal(p.ip[0].l3_off, 18);
	EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
	if (p.superframe) {
		print_error("MPLS frame with a 1500-byte datagram flagged as a "
			    "super-frame (l3_start %u, wirelen %u)\n",
			    p.l3_start, p.wirelen);
		fail();
	}
}

/* On the link types without a link header (RAW, IPV4, IPV6) the frame
 * starts at offset 0 and the frame-level rule must apply as it does on
 * Ethernet: IPv4 total 100 followed by 3000 trailing bytes. */
static void test_superframe_raw(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	static const uint32_t lts[] = {WC_DLT_RAW, WC_DLT_LINKTYPE_RAW, WC_DLT_IPV4};
	for (size_t i = 0; i < sizeof(lts) / sizeof(lts[0]); i++) {
		fb_reset(&F);
		app_v4_tcp(&F, NULL, 0, 60);
		memset(F.d + put(&F, NULL, 3000), 0x55, 3000);
		DECODE_LT(&p, &F, lts[i]);
		EXPECT_MALFORMED(&p, WC_MAL_NONE);
		EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
		if (!p.superframe) {
			print_error("linktype %u: 3100-byte frame (IPv4 total 100) not "
				    "a super-frame; Ethernet would say it is "
				    "(l3_start %u)\n", lts[i], p.l3_start);
			fail();
		}
	}
}

/* The extension header limit: 7 and 8 chained headers followed by TCP
 * decode (WC_MAX_IPV6_EXT is 8), 9 are too many. */
static void test_ipv6_ext_limit(void **state)
{
	(void)state;
	struct wc_pkt p;
	dirty(&p);

	for (unsigned n = 7; n <= 9; n++) {
		print_message("  %u destination-options headers\n", n);
		mk_v6_dstopts_chain(&F, n);
		DECODE(&p, &F);
		if (n <= WC_MAX_IPV6_EXT) {
			EXPECT_MALFORMED(&p, WC_MAL_NONE);
			assert_int_equal(p.ip[0].proto, 6);
			assert_int_equal(p.ip[0].l4_off, 14 + 40 + 8 * n);
			EXPECT_CS(&p, WC_LAYER_TCP, 0, WC_VERDICT_GOOD);
		} else {
			EXPECT_MALFORMED(&p, WC_MAL_IPV6_EXT_DEPTH);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Crash-isolated runs                                                  */

/* Runs fn in a child process: returns its wait status. The child resets
 * cmocka's signal handlers so that a crash ends the child rather than
 * longjmp-ing back into a copy of the test runner. */
static int run_in_child(int (*fn)(void *), void *arg)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGSYS, SIGABRT};
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		int rc = fn(arg);
		fflush(stdout);
		fflush(stderr);
		_exit(rc);
	}
	int st = 0;
	while (waitpid(pid, &st, 0) < 0)
		;
	return st;
}

static void expect_child_ok(int st, const char *what)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	if (WIFSIGNALED(st))
		print_error("%s: child killed by signal %d\n", what, WTERMSIG(st));
	else
		print_error("%s: child exited with %d (1 = sanitizer report)\n", what,
			    WEXITSTATUS(st));
	fail();
}

/* IPv6 Jumbo Payload option whose length (1) is smaller than the
 * extension headers already walked (8 bytes of hop-by-hop): RFC 2675 says
 * a jumbo length <= 65535 is an error. Frame: Eth / IPv6 (plen 0, nh 0) /
 * HBH [nh 6, 0, C2 04 00000001] / TCP (20 bytes, no payload), 82 bytes.
 * The decoder must stay within the frame and call it malformed. */
static int child_jumbo_short(void *arg)
{
	(void)arg;
	struct fb *f = &F;
	fb_reset(f);
	put_eth(f, 0x86dd);
	put_ip6(f, 0, V6_SRC, V6_DST);
	put8(f, 6);
	put8(f, 0);
	put8(f, 0xc2);
	put8(f, 4);
	put32(f, 1);
	uint32_t l4 = put_tcp(f, TCP_SPORT, TCP_DPORT, NULL, 0);
	l4_fix(f, l4, 6, V6_SRC, V6_DST, 6);

	uint8_t *copy = malloc(f->n);
	if (!copy)
		return 9;
	memcpy(copy, f->d, f->n);
	struct wc_pkt p;
	memset(&p, 0xa5, sizeof(p));
	struct wc_pkt_view v = {.data = copy, .caplen = f->n, .wirelen = f->n};
	wc_decode(&p, &v, WC_DLT_EN10MB, &CFG);
	const char *err = check_pkt(&p, copy, f->n);
	free(copy);
	if (err) {
		fprintf(stderr, "jumbo_short: %s\n", err);
		return 2;
	}
	if (p.malformed == WC_MAL_NONE) {
		fprintf(stderr, "jumbo_short: not flagged malformed (l4_len %u)\n",
			p.ip[0].l4_len);
		return 3;
	}
	return 0;
}

static void test_ipv6_jumbo_shorter_than_headers(void **state)
{
	(void)state;
	expect_child_ok(run_in_child(child_jumbo_short, NULL),
			"IPv6 jumbo length 1 < hop-by-hop header");
}

/* ------------------------------------------------------------------ */
/* 14. Robustness: random and mutated frames on every link type         */

#define FUZZ_FRAMES 200000
#define FUZZ_MAXLEN 300

static const uint32_t FUZZ_LT[] = {
	WC_DLT_EN10MB, WC_DLT_LINUX_SLL, WC_DLT_LINUX_SLL2, WC_DLT_NULL,
	WC_DLT_LOOP,   WC_DLT_RAW,       WC_DLT_LINKTYPE_RAW, 14,
	WC_DLT_IPV4,   WC_DLT_IPV6,      WC_DLT_PPP,       147 /* unsupported */,
};
#define N_FUZZ_LT (sizeof(FUZZ_LT) / sizeof(FUZZ_LT[0]))

static uint64_t fz_rng_state;

/* xorshift64*, fixed seed */
static uint64_t fz_rng(void)
{
	uint64_t x = fz_rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fz_rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Valid L3 packets (IPv4 or IPv6 header first), mutated by the run. */
struct tmpl {
	uint8_t d[FUZZ_MAXLEN];
	uint32_t n;
	uint16_t ethertype;
};
#define N_TMPL 8
static struct tmpl TMPL[N_TMPL];

static void tmpl_save(struct tmpl *t, const struct fb *f, uint16_t ethertype)
{
	if (f->n > FUZZ_MAXLEN) {
		fprintf(stderr, "template too long\n");
		abort();
	}
	memcpy(t->d, f->d, f->n);
	t->n = f->n;
	t->ethertype = ethertype;
}

static void build_templates(void)
{
	unsigned k = 0;

	/* IPv4 (options) / TCP (options) / 30 */
	static const uint8_t opts[8] = {1, 7, 7, 4, 0, 0, 0, 0};
	fb_reset(&F);
	uint32_t ip = put_ip4(&F, 6, V4_SRC, V4_DST, opts, sizeof(opts));
	uint32_t l4 = put_tcp(&F, TCP_SPORT, TCP_DPORT, TCP_OPTS, sizeof(TCP_OPTS));
	put_payload(&F, 30);
	ip4_fix(&F, ip);
	l4_fix_v4(&F, ip, l4);
	tmpl_save(&TMPL[k++], &F, 0x0800);

	/* IPv6 / RH0 / TCP */
	mk_rh0(&G, 1, V6_FINAL);
	fb_reset(&F);
	put(&F, G.d + 14, G.n - 14);
	tmpl_save(&TMPL[k++], &F, 0x86dd);

	/* IPv4 / UDP / VXLAN / Eth / IPv4 / TCP */
	mk_vxlan(&G, false, NULL);
	fb_reset(&F);
	put(&F, G.d + 14, G.n - 14);
	tmpl_save(&TMPL[k++], &F, 0x0800);

	/* IPv4 / UDP / GENEVE (option) / IPv6 / UDP */
	fb_reset(&F);
	ip = put_ip4(&F, 17, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	uint32_t u = put_udp(&F, 50000, 6081);
	put32(&F, 0x020086dd);
	put32(&F, 0xabcdef00);
	put32(&F, 0x01028001);
	put32(&F, 0x01020304);
	app_v6_udp(&F, 5353, 5353, 13);
	udp_fix_len(&F, u);
	ip4_fix(&F, ip);
	l4_fix_v4(&F, ip, u);
	tmpl_save(&TMPL[k++], &F, 0x0800);

	/* IPv4 / GRE / ERSPAN III / Eth / IPv6 / ICMPv6 */
	fb_reset(&F);
	ip = put_ip4(&F, 47, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	put32(&F, 0x100022eb);
	put32(&F, 2);
	put32(&F, 0x200002aa);
	put32(&F, 0x12345678);
	put32(&F, 0);
	put_eth_m(&F, MAC_IN_DST, MAC_IN_SRC, 0x86dd);
	app_v6_icmp(&F, 8);
	ip4_fix(&F, ip);
	tmpl_save(&TMPL[k++], &F, 0x0800);

	/* IPv6 / HBH (PadN) / DST (Home Address) / Fragment (first) / UDP */
	fb_reset(&F);
	ip = put_ip6(&F, 0, V6_SRC, V6_DST);
	put32(&F, 0x3c000104); /* nh 60, len 0, PadN 4 */
	put32(&F, 0);
	put32(&F, 0x2c020102); /* nh 44, len 2, PadN 2 */
	put16(&F, 0);
	put8(&F, 0xc9);
	put8(&F, 16);
	put(&F, V6_HOME, 16);
	put32(&F, 0x11000001); /* nh 17, first fragment */
	put32(&F, 0x01020304);
	u = put_udp(&F, 1000, 2000);
	put_payload(&F, 9);
	udp_fix_len(&F, u);
	ip6_fix(&F, ip);
	l4_fix(&F, u, 6, V6_HOME, V6_DST, 17);
	tmpl_save(&TMPL[k++], &F, 0x86dd);

	/* IPv4 / IPv4 (IP-in-IP) / ICMP */
	fb_reset(&F);
	ip = put_ip4(&F, 4, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	app_v4_icmp(&F, 12);
	ip4_fix(&F, ip);
	tmpl_save(&TMPL[k++], &F, 0x0800);

	/* IPv4 / GRE (key, seq) / IPv6 / TCP */
	fb_reset(&F);
	ip = put_ip4(&F, 47, V4_VTEP_A, V4_VTEP_B, NULL, 0);
	put32(&F, 0x300086dd);
	put32(&F, 0xabcd);
	put32(&F, 7);
	app_v6_tcp(&F, 20);
	ip4_fix(&F, ip);
	tmpl_save(&TMPL[k++], &F, 0x0800);

	if (k != N_TMPL)
		abort();
}

/* Writes a link header for an L3 packet of the given ethertype;
 * kind 0..4 = Ethernet (sometimes tagged), SLL, SLL2, NULL, none. */
static uint32_t put_link(uint8_t *b, unsigned kind, uint16_t ethertype)
{
	uint32_t fam;
	switch (kind) {
	case 0:
		memcpy(b, MAC_DST, 6);
		memcpy(b + 6, MAC_SRC, 6);
		if (fz_rng() & 1) {
			wr16(b + 12, 0x8100);
			wr16(b + 14, 42);
			wr16(b + 16, ethertype);
			return 18;
		}
		wr16(b + 12, ethertype);
		return 14;
	case 1:
		memset(b, 0, 16);
		wr16(b + 2, 1);
		wr16(b + 4, 6);
		memcpy(b + 6, MAC_SRC, 6);
		wr16(b + 14, ethertype);
		return 16;
	case 2:
		memset(b, 0, 20);
		wr16(b, ethertype);
		wr16(b + 8, 1);
		b[11] = 6;
		memcpy(b + 12, MAC_SRC, 6);
		return 20;
	case 3:
		fam = ethertype == 0x0800 ? 2 : 10;
		memcpy(b, &fam, 4);
		return 4;
	default:
		return 0;
	}
}

/* Eth / IPv4 / UDP -> 4789 / VXLAN prefix for a frame of len bytes whose
 * tail is random; lengths and the IPv4 checksum made consistent, UDP
 * checksum 0; sometimes an inner Ethernet header with an IP type and an
 * IP version nibble. */
static void vxlan_prefix(uint8_t *b, uint32_t len)
{
	uint8_t pre[50 + 15];
	uint32_t n = 0;
	memcpy(pre, MAC_DST, 6);
	memcpy(pre + 6, MAC_SRC, 6);
	wr16(pre + 12, 0x0800);
	uint8_t *ip = pre + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)(len > 14 ? len - 14 : 0));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, V4_VTEP_A, 4);
	memcpy(ip + 16, V4_VTEP_B, 4);
	wr16(ip + 10, ip4_hdr_csum(ip));
	uint8_t *u = ip + 20;
	wr16(u, 49152);
	wr16(u + 2, 4789);
	wr16(u + 4, (uint16_t)(len > 34 ? len - 34 : 0));
	wr16(u + 6, 0);
	wr32(u + 8, 0x08000000);
	wr32(u + 12, (uint32_t)(fz_rng() & 0xffffff00));
	n = 50;
	if (fz_rng() & 1) {
		memcpy(pre + 50, MAC_IN_DST, 6);
		memcpy(pre + 56, MAC_IN_SRC, 6);
		bool v6 = fz_rng() & 1;
		wr16(pre + 62, v6 ? 0x86dd : 0x0800);
		pre[64] = v6 ? 0x60 : (uint8_t)(0x45 + (fz_rng() % 3));
		n = 65;
	}
	memcpy(b, pre, len < n ? len : n);
}

static struct {
	unsigned frame;
	uint32_t linktype, caplen, wirelen;
	const uint8_t *data;
} fz_cur;

static void fz_report_current(void)
{
	fprintf(stderr, "robustness: frame %u linktype %u caplen %u wirelen %u:\n",
		fz_cur.frame, fz_cur.linktype, fz_cur.caplen, fz_cur.wirelen);
	for (uint32_t i = 0; fz_cur.data && i < fz_cur.caplen; i++)
		fprintf(stderr, "%02x%s", fz_cur.data[i], (i % 32 == 31) ? "\n" : "");
	fprintf(stderr, "\n");
}

/* ASan calls this before it exits on an error: show which frame it was. */
extern void __asan_set_death_callback(void (*cb)(void)) __attribute__((weak));

struct fuzz_stats {
	unsigned long decodes, verdicts, malformed, good;
};

static int child_fuzz(void *arg)
{
	struct fuzz_stats *st = arg;
	if (__asan_set_death_callback)
		__asan_set_death_callback(fz_report_current);
	fz_rng_state = 0x5eed0fdecafbadull;

	struct wc_pkt p;
	memset(&p, 0xa5, sizeof(p));
	for (unsigned i = 0; i < FUZZ_FRAMES; i++) {
		uint32_t len = (uint32_t)(fz_rng() % (FUZZ_MAXLEN + 1));
		uint8_t buf[FUZZ_MAXLEN + 32];
		for (uint32_t j = 0; j < FUZZ_MAXLEN; j += 8) {
			uint64_t r = fz_rng();
			memcpy(buf + j, &r, 8);
		}
		unsigned mode = (unsigned)(fz_rng() % 8);
		if (mode >= 3 && mode <= 4) {
			vxlan_prefix(buf, len);
		} else if (mode >= 5) {
			/* a template in a random link envelope, a few bytes
			 * mutated, maybe cut short */
			const struct tmpl *t = &TMPL[fz_rng() % N_TMPL];
			uint32_t h = put_link(buf, (unsigned)(fz_rng() % 5), t->ethertype);
			uint32_t n = h + t->n;
			if (n > FUZZ_MAXLEN)
				n = FUZZ_MAXLEN;
			memcpy(buf + h, t->d, n - h);
			len = (fz_rng() & 3) ? n : (uint32_t)(fz_rng() % (n + 1));
			unsigned flips = (unsigned)(fz_rng() % 5);
			for (unsigned k = 0; k < flips && len; k++) {
				uint64_t r = fz_rng();
				buf[r % len] = (r >> 32) & 1 ? (uint8_t)(r >> 40)
							     : (uint8_t)(buf[r % len] ^ (1u << ((r >> 40) & 7)));
			}
		}
		uint32_t wire = len;
		if ((fz_rng() & 3) == 0)
			wire += (uint32_t)(fz_rng() % 2000);

		uint8_t *frame = malloc(len); /* exactly len: ASan sees over-reads */
		if (len && !frame)
			return 9;
		if (len)
			memcpy(frame, buf, len);
		for (unsigned l = 0; l < N_FUZZ_LT; l++) {
			struct wc_pkt_view v = {.data = frame, .caplen = len,
						.wirelen = wire, .frame_no = i + 1};
			fz_cur.frame = i;
			fz_cur.linktype = FUZZ_LT[l];
			fz_cur.caplen = len;
			fz_cur.wirelen = wire;
			fz_cur.data = frame;
			wc_decode(&p, &v, FUZZ_LT[l], &CFG);
			const char *err = check_pkt(&p, frame, len);
			if (err) {
				fprintf(stderr, "robustness: %s\n", err);
				fz_report_current();
				return 3;
			}
			st->decodes++;
			st->verdicts += p.n_cs;
			st->malformed += p.malformed != WC_MAL_NONE;
			for (unsigned c = 0; c < p.n_cs; c++)
				st->good += p.cs[c].verdict == WC_VERDICT_GOOD;
		}
		free(frame);
	}
	fz_cur.data = NULL;
	fprintf(stderr, "  robustness: %lu decodes, %lu verdicts (%lu good), %lu malformed\n",
		st->decodes, st->verdicts, st->good, st->malformed);
	/* the run must actually reach the checksum code */
	if (st->good < 1000 || st->verdicts < 50000)
		return 4;
	return 0;
}

static void test_robustness(void **state)
{
	(void)state;
	struct fuzz_stats st = {0};
	build_templates();
	/* the templates are valid before mutation */
	struct wc_pkt p;
	for (unsigned i = 0; i < N_TMPL; i++) {
		fb_reset(&F);
		put(&F, TMPL[i].d, TMPL[i].n);
		DECODE_LT(&p, &F, TMPL[i].d[0] >> 4 == 4 ? WC_DLT_IPV4 : WC_DLT_IPV6);
		EXPECT_MALFORMED(&p, WC_MAL_NONE);
		assert_true(p.n_cs > 0);
		for (unsigned c = 0; c < p.n_cs; c++)
			assert_true(p.cs[c].verdict == WC_VERDICT_GOOD ||
				    p.cs[c].verdict == WC_VERDICT_ZERO ||
				    p.cs[c].verdict == WC_VERDICT_UNVERIFIABLE);
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_child_ok(run_in_child(child_fuzz, &st), "robustness run");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("  robustness: %.2f s\n",
		      (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_tcp_good),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_ipv4_tcp_bad),
		cmocka_unit_test(test_csum_edge_values),
		cmocka_unit_test(test_partial),
		cmocka_unit_test(test_ipv6_jumbo),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_udp_zero),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_ipv6_pseudo_header),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_vlan_depth),
		cmocka_unit_test(test_vxlan),
		cmocka_unit_test(test_geneve),
		cmocka_unit_test(test_gre),
		cmocka_unit_test(test_erspan),
		cmocka_unit_test(test_linktypes),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_superframe),
		cmocka_unit_test(test_superframe_mpls),
		cmocka_unit_test(test_superframe_raw),
		cmocka_unit_test(test_ipv6_ext_limit),
		cmocka_unit_test(test_ipv6_jumbo_shorter_than_headers),
		cmocka_unit_test(test_robustness),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
