/* SPDX-License-Identifier: BSD-3-Clause */
/* Link layers: capture-file link types, Ethernet, 802.1Q/QinQ, MPLS. */
#include <string.h>

#include "pkt.h"

#define ETH_HLEN 14
#define SLL_HLEN 16
#define SLL2_HLEN 20
#define ARPHRD_ETHER 1

static int decode_by_ip_version(struct wc_pkt *p, struct wc_cursor *c,
				const struct wc_decode_cfg *cfg)
{
	if (c->off >= c->cap_end)
		return c->off >= c->wire_end ? wc_pkt_malformed(p, WC_MAL_RUNT)
					     : WC_MAL_NONE;
	switch (p->data[c->off] >> 4) {
	case 4:
		return wc_decode_ipv4(p, c, cfg);
	case 6:
		return wc_decode_ipv6(p, c, cfg);
	default:
		return wc_pkt_malformed(p, WC_MAL_IP_VERSION);
	}
}

/* BSD NULL/LOOP: a 4-byte address family, host order for NULL (so either
 * order here) and network order for LOOP. AF_INET6 differs between BSDs. */
static int decode_null(struct wc_pkt *p, struct wc_cursor *c,
		       const struct wc_decode_cfg *cfg)
{
	if (c->cap_end - c->off < 4)
		return wc_pkt_malformed(p, WC_MAL_RUNT);
	uint32_t fam;
	memcpy(&fam, p->data + c->off, 4);
	if (fam > 0xffff)
		fam = __builtin_bswap32(fam);
	c->off += 4;
	switch (fam) {
	case 2: /* AF_INET */
		return wc_decode_ipv4(p, c, cfg);
	case 10: /* Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD */
	case 30: /* macOS */
		return wc_decode_ipv6(p, c, cfg);
	default:
		return WC_MAL_NONE; /* not IP: nothing to verify */
	}
}

static int decode_ppp(struct wc_pkt *p, struct wc_cursor *c,
		      const struct wc_decode_cfg *cfg)
{
	if (c->cap_end - c->off >= 2 && p->data[c->off] == 0xff &&
	    p->data[c->off + 1] == 0x03)
		c->off += 2; /* HDLC address/control */
	if (c->cap_end - c->off < 2)
		return wc_pkt_malformed(p, WC_MAL_RUNT);
	uint16_t proto = wc_rd16(p->data + c->off);
	c->off += 2;
	if (proto == 0x0021)
		return wc_decode_ipv4(p, c, cfg);
	if (proto == 0x0057)
		return wc_decode_ipv6(p, c, cfg);
	return WC_MAL_NONE;
}

int wc_decode_link(struct wc_pkt *p, struct wc_cursor *c, uint32_t linktype,
		   const struct wc_decode_cfg *cfg)
{
	const uint8_t *d = p->data;

	switch (linktype) {
	case WC_DLT_EN10MB:
		return wc_decode_ether(p, c, cfg);
	case WC_DLT_LINUX_SLL:
		if (c->cap_end < SLL_HLEN)
			return wc_pkt_malformed(p, WC_MAL_RUNT);
		if (wc_rd16(d + 2) == ARPHRD_ETHER && wc_rd16(d + 4) == 6) {
			c->has_mac = 1;
			memcpy(c->mac_src, d + 6, 6);
		}
		c->off = SLL_HLEN;
		return wc_decode_ethertype(p, c, wc_rd16(d + 14), cfg);
	case WC_DLT_LINUX_SLL2:
		if (c->cap_end < SLL2_HLEN)
			return wc_pkt_malformed(p, WC_MAL_RUNT);
		if (wc_rd16(d + 8) == ARPHRD_ETHER && d[11] == 6) {
			c->has_mac = 1;
			memcpy(c->mac_src, d + 12, 6);
		}
		c->off = SLL2_HLEN;
		return wc_decode_ethertype(p, c, wc_rd16(d), cfg);
	case WC_DLT_NULL:
	case WC_DLT_LOOP:
		return decode_null(p, c, cfg);
	case WC_DLT_RAW:
	case WC_DLT_LINKTYPE_RAW:
	case 14: /* DLT_RAW on some BSDs */
		return decode_by_ip_version(p, c, cfg);
	case WC_DLT_IPV4:
		return wc_decode_ipv4(p, c, cfg);
	case WC_DLT_IPV6:
		return wc_decode_ipv6(p, c, cfg);
	case WC_DLT_PPP:
		return decode_ppp(p, c, cfg);
	default:
		return wc_pkt_malformed(p, WC_MAL_LINKTYPE);
	}
}

int wc_link_supported(uint32_t linktype)
{
	switch (linktype) {
	case WC_DLT_EN10MB:
	case WC_DLT_LINUX_SLL:
	case WC_DLT_LINUX_SLL2:
	case WC_DLT_NULL:
	case WC_DLT_LOOP:
	case WC_DLT_RAW:
	case WC_DLT_LINKTYPE_RAW:
	case 14:
	case WC_DLT_IPV4:
	case WC_DLT_IPV6:
	case WC_DLT_PPP:
		return 1;
	default:
		return 0;
	}
}

int wc_decode_ether(struct wc_pkt *p, struct wc_cursor *c,
		    const struct wc_decode_cfg *cfg)
{
	if (c->cap_end - c->off < ETH_HLEN)
		return c->wire_end - c->off < ETH_HLEN
			       ? wc_pkt_malformed(p, WC_MAL_RUNT)
			       : WC_MAL_NONE; /* snaplen below a header */
	const uint8_t *h = p->data + c->off;
	memcpy(c->mac_dst, h, 6);
	memcpy(c->mac_src, h + 6, 6);
	c->has_mac = 1;
	c->nvlan = 0;
	c->off += ETH_HLEN;
	return wc_decode_ethertype(p, c, wc_rd16(h + 12), cfg);
}

static int decode_mpls(struct wc_pkt *p, struct wc_cursor *c,
		       const struct wc_decode_cfg *cfg)
{
	for (int i = 0; i < WC_MAX_VLAN_DECODE; i++) {
		if (c->cap_end - c->off < 4)
			return wc_pkt_malformed(p, WC_MAL_VLAN_CUT);
		uint8_t bos = p->data[c->off + 2] & 1;
		c->off += 4;
		if (bos) {
			/* No type field under MPLS: guess by the IP version
			 * nibble, as every analyser does (RFC 4385 control
			 * words start with 0 and are left alone). */
			if (c->off < c->cap_end &&
			    ((p->data[c->off] >> 4) == 4 ||
			     (p->data[c->off] >> 4) == 6))
				return decode_by_ip_version(p, c, cfg);
			return WC_MAL_NONE;
		}
	}
	return wc_pkt_malformed(p, WC_MAL_VLAN_DEPTH);
}

int wc_decode_ethertype(struct wc_pkt *p, struct wc_cursor *c, uint16_t type,
			const struct wc_decode_cfg *cfg)
{
	for (int depth = 0;; depth++) {
		switch (type) {
		case 0x0800:
			return wc_decode_ipv4(p, c, cfg);
		case 0x86dd:
			return wc_decode_ipv6(p, c, cfg);
		case 0x8847:
		case 0x8848:
			return decode_mpls(p, c, cfg);
		case 0x8100:
		case 0x88a8:
		case 0x9100:
			if (depth >= WC_MAX_VLAN_DECODE)
				return wc_pkt_malformed(p, WC_MAL_VLAN_DEPTH);
			if (c->cap_end - c->off < 4)
				return c->wire_end - c->off < 4
					       ? wc_pkt_malformed(p, WC_MAL_VLAN_CUT)
					       : WC_MAL_NONE;
			if (c->nvlan < WC_MAX_VLAN)
				c->vlan[c->nvlan++] =
					wc_rd16(p->data + c->off) & 0x0fff;
			type = wc_rd16(p->data + c->off + 2);
			c->off += 4;
			break;
		default:
			if (c->depth == 0 && p->l3_start == WC_NO_L3)
				p->l3_start = c->off;
			return WC_MAL_NONE; /* ARP, LLDP, 802.3 length...: no checksum */
		}
	}
}
