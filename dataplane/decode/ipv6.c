/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv6 (RFC 8200) with extension headers. The pseudo-header uses the final
 * destination of a routing header (RFC 8200 §8.1) and the Home Address
 * option as source (RFC 6275 §6.3). */
#include <string.h>

#include "pkt.h"

#define IPV6_HLEN 40

struct wc_ip_layer *wc_ip_layer_push(struct wc_pkt *p, const struct wc_cursor *c);

enum {
	NH_HOPOPTS = 0,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_AH = 51,
	NH_DSTOPTS = 60,
};

/* Walk the TLVs of a hop-by-hop or destination options header. */
static int ipv6_options(struct wc_ip_layer *ip, const uint8_t *o, uint32_t len,
			uint32_t *jumbo)
{
	uint32_t i = 2;
	while (i < len) {
		uint8_t type = o[i];
		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > len)
			return WC_MAL_IPV6_OPTION;
		uint8_t olen = o[i + 1];
		if (i + 2 + olen > len)
			return WC_MAL_IPV6_OPTION;
		if (type == 0xc2 && olen == 4) /* Jumbo Payload, RFC 2675 */
			*jumbo = wc_rd32(o + i + 2);
		else if (type == 0xc9 && olen == 16) /* Home Address */
			memcpy(ip->src, o + i + 2, 16);
		i += 2 + olen;
	}
	return WC_MAL_NONE;
}

static int ipv6_routing(struct wc_ip_layer *ip, const uint8_t *r, uint32_t len)
{
	uint8_t type = r[2], segs_left = r[3];
	uint32_t naddr = (len - 8) / 16;

	if (segs_left == 0)
		return WC_MAL_NONE; /* destination already final */
	switch (type) {
	case 0: /* RFC 2460 type 0: the last address is the final hop */
		if (naddr == 0)
			return WC_MAL_IPV6_ROUTING;
		memcpy(ip->dst, r + 8 + (naddr - 1) * 16, 16);
		return WC_MAL_NONE;
	case 2: /* RFC 6275: the home address */
		if (naddr != 1)
			return WC_MAL_IPV6_ROUTING;
		memcpy(ip->dst, r + 8, 16);
		return WC_MAL_NONE;
	case 4: /* RFC 8754 SRH: segment list[0] is the final segment */
		if (naddr == 0)
			return WC_MAL_IPV6_ROUTING;
		memcpy(ip->dst, r + 8, 16);
		return WC_MAL_NONE;
	default:
		return WC_MAL_NONE;
	}
}

int wc_decode_ipv6(struct wc_pkt *p, struct wc_cursor *c,
		   const struct wc_decode_cfg *cfg)
{
	uint32_t cap = c->cap_end - c->off;
	uint32_t wire = c->wire_end - c->off;
	const uint8_t *h = p->data + c->off;

	if (wire < IPV6_HLEN)
		return wc_pkt_malformed(p, WC_MAL_IPV6_HEADER_CUT);
	if (cap < IPV6_HLEN)
		return WC_MAL_NONE; /* snaplen: no checksum reachable */
	if ((h[0] >> 4) != 6)
		return wc_pkt_malformed(p, WC_MAL_IP_VERSION);

	if (c->depth == 0 && p->l3_start == WC_NO_L3)
		p->l3_start = c->off;
	struct wc_ip_layer *ip = wc_ip_layer_push(p, c);
	if (!ip)
		return wc_pkt_malformed(p, WC_MAL_TUNNEL_DEPTH);
	unsigned idx = (unsigned)(ip - p->ip);
	ip->family = 6;
	ip->tos = (uint8_t)(((h[0] & 0x0f) << 4) | (h[1] >> 4));
	ip->ttl = h[7];
	memcpy(ip->src, h + 8, 16);
	memcpy(ip->dst, h + 24, 16);
	ip->l3_off = c->off;

	uint32_t plen = wc_rd16(h + 4);
	uint32_t dgram = IPV6_HLEN + plen;
	if (plen == 0 && wire > IPV6_HLEN && h[6] != 59 /* no next header */) {
		/* jumbogram (set below from the option) or BIG TCP with the
		 * hop-by-hop header already stripped: length from the frame */
		ip->flags |= WC_IPF_LEN_FROM_FRAME;
		dgram = wire;
	} else if (dgram > wire) {
		ip->dgram_len = dgram;
		return wc_pkt_malformed(p, WC_MAL_IP_LEN_BEYOND_FRAME);
	}
	uint32_t cap_end = dgram < cap ? dgram : cap; /* relative to h */

	uint8_t nh = h[6];
	uint32_t off = IPV6_HLEN, jumbo = 0;
	int n;
	for (n = 0;; n++) {
		if (nh != NH_HOPOPTS && nh != NH_ROUTING && nh != NH_FRAGMENT &&
		    nh != NH_AH && nh != NH_DSTOPTS)
			break;
		if (n == WC_MAX_IPV6_EXT)
			return wc_pkt_malformed(p, WC_MAL_IPV6_EXT_DEPTH);
		if (off + 8 > cap_end) {
			if (off + 8 > dgram)
				return wc_pkt_malformed(p, WC_MAL_IPV6_EXT_CUT);
			ip->flags |= WC_IPF_TRUNCATED;
			return WC_MAL_NONE;
		}
		const uint8_t *e = h + off;
		uint32_t elen = nh == NH_FRAGMENT ? 8
				: nh == NH_AH	  ? ((uint32_t)e[1] + 2) * 4
						  : ((uint32_t)e[1] + 1) * 8;
		if (off + elen > cap_end) {
			if (off + elen > dgram)
				return wc_pkt_malformed(p, WC_MAL_IPV6_EXT_CUT);
			ip->flags |= WC_IPF_TRUNCATED;
			return WC_MAL_NONE;
		}
		int r = WC_MAL_NONE;
		if (nh == NH_HOPOPTS || nh == NH_DSTOPTS) {
			r = ipv6_options(ip, e, elen, nh == NH_HOPOPTS ? &jumbo
								      : &(uint32_t){0});
		} else if (nh == NH_ROUTING) {
			r = ipv6_routing(ip, e, elen);
		} else if (nh == NH_FRAGMENT) {
			uint16_t fo = wc_rd16(e + 2);
			if ((fo & 0xfff8) || (fo & 1)) { /* RFC 6946: atomic ones are whole */
				ip->flags |= WC_IPF_FRAGMENT;
				if (!(fo & 0xfff8))
					ip->flags |= WC_IPF_FIRST_FRAG;
			}
		}
		if (r != WC_MAL_NONE)
			return wc_pkt_malformed(p, (enum wc_malformed)r);
		nh = e[0];
		off += elen;
		if ((ip->flags & WC_IPF_FRAGMENT) && !(ip->flags & WC_IPF_FIRST_FRAG))
			break;
	}
	if (jumbo) {
		/* RFC 2675 §3: a jumbo length must exceed 65535, and it must
		 * at least cover the extension headers already walked */
		if (jumbo <= 65535 || IPV6_HLEN + (uint64_t)jumbo < off)
			return wc_pkt_malformed(p, WC_MAL_IPV6_OPTION);
		if (IPV6_HLEN + (uint64_t)jumbo > wire)
			return wc_pkt_malformed(p, WC_MAL_IP_LEN_BEYOND_FRAME);
		ip->flags = (uint8_t)((ip->flags & ~WC_IPF_LEN_FROM_FRAME) | WC_IPF_JUMBO);
		dgram = IPV6_HLEN + jumbo;
	}
	ip->proto = nh;
	ip->dgram_len = dgram;
	ip->l4_off = c->off + off;
	ip->l4_len = dgram - off;
	if (dgram > wc_decode_mtu(cfg, p->port) ||
	    (ip->flags & (WC_IPF_JUMBO | WC_IPF_LEN_FROM_FRAME)))
		ip->flags |= WC_IPF_SUPERFRAME;
	if (dgram > cap)
		ip->flags |= WC_IPF_TRUNCATED;
	if ((ip->flags & WC_IPF_FRAGMENT) && !(ip->flags & WC_IPF_FIRST_FRAG))
		return WC_MAL_NONE;

	struct wc_cursor in = *c;
	in.off = ip->l4_off;
	in.wire_end = c->off + dgram;
	in.cap_end = c->cap_end < in.wire_end ? c->cap_end : in.wire_end;
	return wc_decode_l4(p, &in, idx, cfg);
}
