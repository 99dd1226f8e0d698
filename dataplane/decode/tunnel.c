/* SPDX-License-Identifier: BSD-3-Clause */
/* Tunnels that hypervisors and mirror sessions use: VXLAN (RFC 7348),
 * GENEVE (RFC 8926), GRE (RFC 2784/2890), ERSPAN type II and III. Inner
 * frames are decoded and verified like outer ones. */
#include "pkt.h"

#define VXLAN_PORT 4789
#define GENEVE_PORT 6081
#define VXLAN_HLEN 8
#define GENEVE_HLEN 8
#define ERSPAN2_HLEN 8
#define ERSPAN3_HLEN 12
#define ERSPAN3_PLATFORM_HLEN 8

static int enter_tunnel(struct wc_pkt *p, struct wc_cursor *c, uint32_t hlen,
			uint8_t type, uint32_t id)
{
	if (c->cap_end - c->off < hlen) {
		if (c->wire_end - c->off < hlen)
			return wc_pkt_malformed(p, WC_MAL_TUNNEL_HEADER_CUT);
		return -1; /* cut by snaplen: stop quietly */
	}
	if (c->depth + 1 >= WC_MAX_IP_LAYERS)
		return wc_pkt_malformed(p, WC_MAL_TUNNEL_DEPTH);
	c->off += hlen;
	c->depth++;
	c->has_mac = 0;
	c->nvlan = 0;
	p->tunnel_type = type;
	p->tunnel_id = id;
	return WC_MAL_NONE;
}

static int inner_by_type(struct wc_pkt *p, struct wc_cursor *c, uint16_t type,
			 const struct wc_decode_cfg *cfg)
{
	switch (type) {
	case 0x6558: /* transparent Ethernet bridging */
		return wc_decode_ether(p, c, cfg);
	case 0x0800:
		return wc_decode_ipv4(p, c, cfg);
	case 0x86dd:
		return wc_decode_ipv6(p, c, cfg);
	default:
		return WC_MAL_NONE;
	}
}

int wc_decode_udp_tunnel(struct wc_pkt *p, struct wc_cursor *c,
			 unsigned ip_idx, const struct wc_decode_cfg *cfg)
{
	(void)ip_idx;
	const uint8_t *h = p->data + c->off + 8; /* past the UDP header */
	int r;

	c->off += 8;
	if (p->dport == VXLAN_PORT) {
		if (c->cap_end - c->off >= VXLAN_HLEN && !(h[0] & 0x08))
			return WC_MAL_NONE; /* VNI flag clear: not VXLAN */
		uint32_t vni = c->cap_end - c->off >= VXLAN_HLEN ? wc_rd32(h + 4) >> 8 : 0;
		r = enter_tunnel(p, c, VXLAN_HLEN, WC_TUN_VXLAN, vni);
		return r ? (r < 0 ? WC_MAL_NONE : r) : wc_decode_ether(p, c, cfg);
	}
	if (p->dport == GENEVE_PORT) {
		if (c->cap_end - c->off < GENEVE_HLEN)
			return c->wire_end - c->off < GENEVE_HLEN
				       ? wc_pkt_malformed(p, WC_MAL_TUNNEL_HEADER_CUT)
				       : WC_MAL_NONE;
		if ((h[0] >> 6) != 0)
			return WC_MAL_NONE; /* unknown GENEVE version */
		uint32_t hlen = GENEVE_HLEN + (uint32_t)(h[0] & 0x3f) * 4;
		uint16_t proto = wc_rd16(h + 2);
		r = enter_tunnel(p, c, hlen, WC_TUN_GENEVE, wc_rd32(h + 4) >> 8);
		return r ? (r < 0 ? WC_MAL_NONE : r) : inner_by_type(p, c, proto, cfg);
	}
	return WC_MAL_NONE;
}

int wc_decode_gre(struct wc_pkt *p, struct wc_cursor *c,
		  const struct wc_decode_cfg *cfg)
{
	const uint8_t *h = p->data + c->off;
	if (c->cap_end - c->off < 4)
		return c->wire_end - c->off < 4
			       ? wc_pkt_malformed(p, WC_MAL_TUNNEL_HEADER_CUT)
			       : WC_MAL_NONE;
	uint8_t flags = h[0];
	if ((h[1] & 0x07) != 0 || (flags & 0x40))
		return WC_MAL_NONE; /* PPTP GRE v1, or RFC 1701 source routing */
	uint16_t proto = wc_rd16(h + 2);
	uint32_t hlen = 4, key = 0;
	if (flags & 0x80) /* checksum present (not one of the verdict layers) */
		hlen += 4;
	if (flags & 0x20) { /* key: the tunnel id */
		if (c->cap_end - c->off >= hlen + 4)
			key = wc_rd32(h + hlen);
		hlen += 4;
	}
	bool seq = flags & 0x10;
	if (seq)
		hlen += 4;

	int r;
	switch (proto) {
	case 0x88be: /* ERSPAN: type II carries a sequence number, type I not */
		if (!seq) {
			r = enter_tunnel(p, c, hlen, WC_TUN_ERSPAN2, key);
			return r ? (r < 0 ? WC_MAL_NONE : r) : wc_decode_ether(p, c, cfg);
		}
		if (c->cap_end - c->off < hlen + ERSPAN2_HLEN)
			return c->wire_end - c->off < hlen + ERSPAN2_HLEN
				       ? wc_pkt_malformed(p, WC_MAL_TUNNEL_HEADER_CUT)
				       : WC_MAL_NONE;
		r = enter_tunnel(p, c, hlen + ERSPAN2_HLEN, WC_TUN_ERSPAN2,
				 wc_rd16(h + hlen + 2) & 0x03ff);
		return r ? (r < 0 ? WC_MAL_NONE : r) : wc_decode_ether(p, c, cfg);
	case 0x22eb: { /* ERSPAN type III */
		if (c->cap_end - c->off < hlen + ERSPAN3_HLEN)
			return c->wire_end - c->off < hlen + ERSPAN3_HLEN
				       ? wc_pkt_malformed(p, WC_MAL_TUNNEL_HEADER_CUT)
				       : WC_MAL_NONE;
		const uint8_t *e = h + hlen;
		uint32_t elen = ERSPAN3_HLEN;
		if (e[11] & 0x01) /* O flag: platform-specific subheader */
			elen += ERSPAN3_PLATFORM_HLEN;
		r = enter_tunnel(p, c, hlen + elen, WC_TUN_ERSPAN3,
				 wc_rd16(e + 2) & 0x03ff);
		return r ? (r < 0 ? WC_MAL_NONE : r) : wc_decode_ether(p, c, cfg);
	}
	default:
		r = enter_tunnel(p, c, hlen, WC_TUN_GRE, key);
		return r ? (r < 0 ? WC_MAL_NONE : r) : inner_by_type(p, c, proto, cfg);
	}
}
