/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksum verdicts (SPEC §3). Every checksum present gets exactly one of
 * good / bad / partial / zero / unverifiable.
 *
 * "partial" is what Linux leaves in the L4 field under CHECKSUM_PARTIAL:
 * the folded pseudo-header sum, not complemented (tcp_v4_send_check():
 * th->check = ~tcp_v4_check(len, saddr, daddr, 0)); for GSO/TSO
 * super-frames the sum is taken with a zero length (the length is added per
 * segment when the NIC or the GSO layer splits the frame). An IPv4 header
 * checksum of 0x0000 is left for the NIC the same way.
 */
#include "../csum/csum.h"
#include "pkt.h"

#define VXLAN_PORT 4789
#define GENEVE_PORT 6081

void wc_verdict_ipv4_header(struct wc_pkt *p, unsigned ip_idx,
			    const uint8_t *hdr, uint32_t ihl_bytes, bool captured)
{
	if (!captured) {
		wc_pkt_add_verdict(p, WC_LAYER_IPV4, WC_VERDICT_UNVERIFIABLE,
				   ip_idx, 0, 0);
		return;
	}
	uint16_t found = wc_rd16(hdr + 10);
	wc_csum16 sum = wc_sum_fold(wc_sum_add(wc_sum_zero(), hdr, ihl_bytes));
	uint16_t expected = (uint16_t)~wc_csum16_sub(sum, found);
	enum wc_verdict v;

	if (sum == 0xffff)
		v = WC_VERDICT_GOOD;
	else if (found == 0)
		v = WC_VERDICT_PARTIAL;
	else
		v = WC_VERDICT_BAD;
	wc_pkt_add_verdict(p, WC_LAYER_IPV4, v, ip_idx, found, expected);
}

/* Pseudo-header sum (RFC 793 §3.1, RFC 768, RFC 8200 §8.1): addresses,
 * upper-layer length (32 bits for IPv6 jumbograms), protocol. */
static wc_sum pseudo_sum(const struct wc_ip_layer *ip, uint32_t len)
{
	unsigned alen = ip->family == 4 ? 4 : 16;
	wc_sum s = wc_sum_add(wc_sum_zero(), ip->src, alen);
	s = wc_sum_add(s, ip->dst, alen);
	s = wc_sum_add_be16(s, (uint16_t)(len >> 16));
	s = wc_sum_add_be16(s, (uint16_t)len);
	return wc_sum_add_be16(s, ip->proto);
}

static unsigned csum_field_offset(enum wc_csum_layer layer)
{
	switch (layer) {
	case WC_LAYER_TCP:
		return 16;
	case WC_LAYER_UDP:
		return 6;
	default:
		return 2; /* ICMP, ICMPv6 */
	}
}

void wc_verdict_l4(struct wc_pkt *p, unsigned ip_idx, enum wc_csum_layer layer,
		   uint32_t cap_avail)
{
	const struct wc_ip_layer *ip = &p->ip[ip_idx];
	const uint8_t *seg = p->data + ip->l4_off;
	uint32_t len = ip->l4_len;
	unsigned foff = csum_field_offset(layer);

	if (cap_avail < foff + 2) {
		wc_pkt_add_verdict(p, layer, WC_VERDICT_UNVERIFIABLE, ip_idx, 0, 0);
		return;
	}
	uint16_t found = wc_rd16(seg + foff);

	if (layer == WC_LAYER_UDP && found == 0) {
		/* RFC 768: 0 = no checksum over IPv4. RFC 8200 §8.1 forbids it
		 * over IPv6, except for tunnels (RFC 6935/6936: VXLAN, GENEVE). */
		uint16_t dport = wc_rd16(seg + 2);
		bool ok = ip->family == 4 || dport == VXLAN_PORT || dport == GENEVE_PORT;
		wc_pkt_add_verdict(p, layer, ok ? WC_VERDICT_ZERO : WC_VERDICT_BAD,
				   ip_idx, 0, 0);
		return;
	}
	if ((ip->flags & WC_IPF_FRAGMENT) || len > cap_avail) {
		wc_pkt_add_verdict(p, layer, WC_VERDICT_UNVERIFIABLE, ip_idx,
				   found, 0);
		return;
	}

	wc_sum data = wc_sum_add(wc_sum_zero(), seg, len);
	wc_sum total = data;
	wc_sum pseudo = wc_sum_zero();
	if (layer != WC_LAYER_ICMP) {
		pseudo = pseudo_sum(ip, len);
		total = wc_sum_combine(data, pseudo);
	}
	wc_csum16 folded = wc_sum_fold(total);
	uint16_t expected = (uint16_t)~wc_csum16_sub(folded, found);
	if (layer == WC_LAYER_UDP && expected == 0)
		expected = 0xffff; /* RFC 768: a computed 0 is sent as all ones */

	enum wc_verdict v = WC_VERDICT_BAD;
	if (folded == 0xffff) {
		v = WC_VERDICT_GOOD;
	} else if (layer == WC_LAYER_TCP || layer == WC_LAYER_UDP) {
		if (found == wc_sum_fold(pseudo))
			v = WC_VERDICT_PARTIAL;
		else if ((ip->flags & WC_IPF_SUPERFRAME) &&
			 found == wc_sum_fold(pseudo_sum(ip, 0)))
			v = WC_VERDICT_PARTIAL;
	}
	wc_pkt_add_verdict(p, layer, v, ip_idx, found, expected);
}
