/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 (RFC 791) with options; header checksum verdict; TSO detection. */
#include <string.h>

#include "pkt.h"

#define IPV4_MIN_HLEN 20

/* Option TLVs must stay inside the header (RFC 791 §3.1). A bad option is
 * counted but does not stop the checksum work: the sum covers it anyway. */
static bool ipv4_options_valid(const uint8_t *opt, uint32_t len)
{
	uint32_t i = 0;
	while (i < len) {
		uint8_t type = opt[i];
		if (type == 0) /* end of option list */
			return true;
		if (type == 1) { /* no-operation */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		uint8_t olen = opt[i + 1];
		if (olen < 2 || i + olen > len)
			return false;
		i += olen;
	}
	return true;
}

/* Claim the next IP layer slot, recording the enclosing link fields. */
struct wc_ip_layer *wc_ip_layer_push(struct wc_pkt *p, const struct wc_cursor *c)
{
	if (p->n_ip >= WC_MAX_IP_LAYERS)
		return NULL;
	struct wc_ip_layer *ip = &p->ip[p->n_ip++];
	memset(ip, 0, sizeof(*ip));
	ip->depth = c->depth;
	ip->has_mac = c->has_mac;
	memcpy(ip->mac_src, c->mac_src, 6);
	memcpy(ip->mac_dst, c->mac_dst, 6);
	ip->nvlan = c->nvlan;
	memcpy(ip->vlan, c->vlan, sizeof(ip->vlan));
	return ip;
}

int wc_decode_ipv4(struct wc_pkt *p, struct wc_cursor *c,
		   const struct wc_decode_cfg *cfg)
{
	uint32_t cap = c->cap_end - c->off;
	uint32_t wire = c->wire_end - c->off;
	const uint8_t *h = p->data + c->off;

	if (cap < 1)
		return wire ? WC_MAL_NONE : wc_pkt_malformed(p, WC_MAL_IPV4_HEADER_CUT);
	if ((h[0] >> 4) != 4)
		return wc_pkt_malformed(p, WC_MAL_IP_VERSION);
	uint32_t ihl = (uint32_t)(h[0] & 0x0f) * 4;
	if (ihl < IPV4_MIN_HLEN)
		return wc_pkt_malformed(p, WC_MAL_IPV4_IHL);
	if (wire < ihl)
		return wc_pkt_malformed(p, WC_MAL_IPV4_HEADER_CUT);

	if (c->depth == 0 && p->l3_start == WC_NO_L3)
		p->l3_start = c->off;
	struct wc_ip_layer *ip = wc_ip_layer_push(p, c);
	if (!ip)
		return wc_pkt_malformed(p, WC_MAL_TUNNEL_DEPTH);
	unsigned idx = (unsigned)(ip - p->ip);
	ip->family = 4;
	if (cap < ihl) {
		/* snaplen cut the header: the checksum cannot be checked */
		wc_verdict_ipv4_header(p, idx, h, ihl, false);
		ip->flags |= WC_IPF_TRUNCATED;
		return WC_MAL_NONE;
	}
	wc_verdict_ipv4_header(p, idx, h, ihl, true);

	ip->tos = h[1];
	ip->ttl = h[8];
	ip->proto = h[9];
	memcpy(ip->src, h + 12, 4);
	memcpy(ip->dst, h + 16, 4);
	ip->l3_off = c->off;
	ip->l4_off = c->off + ihl;

	if (ihl > IPV4_MIN_HLEN && !ipv4_options_valid(h + 20, ihl - 20))
		wc_pkt_malformed(p, WC_MAL_IPV4_OPTION);

	uint32_t tot = wc_rd16(h + 2);
	if (tot == 0 && wire > ihl) {
		/* "presumed TSO" (tcpdump): the NIC fills the length in; so
		 * does Linux BIG TCP for IPv4 beyond 64 KiB. */
		ip->flags |= WC_IPF_LEN_FROM_FRAME;
		tot = wire;
	} else if (tot < ihl) {
		return wc_pkt_malformed(p, WC_MAL_IPV4_LEN_SHORT);
	} else if (tot > wire) {
		return wc_pkt_malformed(p, WC_MAL_IP_LEN_BEYOND_FRAME);
	}
	ip->dgram_len = tot;
	ip->l4_len = tot - ihl;
	if (tot > wc_decode_mtu(cfg, p->port) || (ip->flags & WC_IPF_LEN_FROM_FRAME))
		ip->flags |= WC_IPF_SUPERFRAME;
	if (tot > cap)
		ip->flags |= WC_IPF_TRUNCATED;

	uint16_t frag = wc_rd16(h + 6);
	uint16_t frag_off = frag & 0x1fff;
	if ((frag & 0x2000) || frag_off) {
		ip->flags |= WC_IPF_FRAGMENT;
		if (frag_off)
			return WC_MAL_NONE; /* no upper-layer header here */
		ip->flags |= WC_IPF_FIRST_FRAG;
	}

	struct wc_cursor in = *c;
	in.off = ip->l4_off;
	in.wire_end = c->off + tot;
	in.cap_end = c->cap_end < in.wire_end ? c->cap_end : in.wire_end;
	return wc_decode_l4(p, &in, idx, cfg);
}
