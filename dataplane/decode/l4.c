/* SPDX-License-Identifier: BSD-3-Clause */
/* Upper layers: TCP (RFC 9293, options RFC 7323/2018), UDP (RFC 768),
 * ICMP (RFC 792), ICMPv6 (RFC 4443), and the hand-off to tunnels. */
#include <string.h>

#include "pkt.h"

#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define ICMP_MIN_HLEN 8

static void tcp_options(struct wc_tcp_info *t, const uint8_t *o, uint32_t len,
			struct wc_pkt *p)
{
	uint32_t i = 0;
	while (i < len) {
		uint8_t kind = o[i];
		if (kind == 0) /* end of options */
			return;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len) {
			wc_pkt_malformed(p, WC_MAL_TCP_OPTION);
			return;
		}
		uint8_t olen = o[i + 1];
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case 2:
			if (olen == 4)
				t->mss = wc_rd16(v);
			break;
		case 3:
			if (olen == 3)
				t->wscale = v[0] > 14 ? 14 : v[0]; /* RFC 7323 §2.3 */
			break;
		case 4:
			t->sack_perm = 1;
			break;
		case 5:
			for (uint32_t b = 0; b + 8 <= (uint32_t)olen - 2 &&
					     t->nsack < WC_MAX_SACK;
			     b += 8, t->nsack++) {
				t->sack[t->nsack][0] = wc_rd32(v + b);
				t->sack[t->nsack][1] = wc_rd32(v + b + 4);
			}
			break;
		case 8:
			if (olen == 10) {
				t->has_ts = 1;
				t->ts_val = wc_rd32(v);
				t->ts_ecr = wc_rd32(v + 4);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

/* h: start of the TCP header; avail: captured bytes from h; seglen: TCP
 * segment length from the IP layer. */
int wc_decode_tcp(struct wc_pkt *p, const uint8_t *h, uint32_t avail,
		  uint32_t seglen)
{
	struct wc_tcp_info *t = &p->l4.tcp;
	memset(t, 0, sizeof(*t));
	t->wscale = 0xff;
	p->sport = wc_rd16(h);
	p->dport = wc_rd16(h + 2);
	t->seq = wc_rd32(h + 4);
	t->ack = wc_rd32(h + 8);
	t->doff = (uint8_t)((h[12] >> 4) * 4);
	t->flags = h[13];
	t->ae = h[12] & 1;
	t->win = wc_rd16(h + 14);
	if (t->doff < TCP_MIN_HLEN || t->doff > seglen)
		return wc_pkt_malformed(p, WC_MAL_TCP_DOFF);
	t->payload_len = seglen - t->doff;
	if (t->doff <= avail)
		tcp_options(t, h + TCP_MIN_HLEN, t->doff - TCP_MIN_HLEN, p);
	return WC_MAL_NONE;
}

int wc_decode_l4(struct wc_pkt *p, struct wc_cursor *c, unsigned ip_idx,
		 const struct wc_decode_cfg *cfg)
{
	struct wc_ip_layer *ip = &p->ip[ip_idx];
	uint32_t cap = c->cap_end - c->off;
	uint32_t seglen = ip->l4_len;
	const uint8_t *h = p->data + c->off;
	int r;

	switch (ip->proto) {
	case 6: /* TCP */
		if (seglen < TCP_MIN_HLEN)
			return wc_pkt_malformed(p, WC_MAL_TCP_HEADER_CUT);
		if (cap < TCP_MIN_HLEN) {
			wc_verdict_l4(p, ip_idx, WC_LAYER_TCP, cap);
			return WC_MAL_NONE;
		}
		/* The checksum covers the whole segment whatever the data
		 * offset says, so the verdict comes before header checks. */
		wc_verdict_l4(p, ip_idx, WC_LAYER_TCP, cap);
		r = wc_decode_tcp(p, h, cap, seglen);
		ip->sport = p->sport;
		ip->dport = p->dport;
		if (r == WC_MAL_NONE) {
			p->has_l4 = 1;
			p->l4_ip_idx = (uint8_t)ip_idx;
			p->l4_proto = 6;
		}
		return r;
	case 17: { /* UDP */
		if (seglen < UDP_HLEN)
			return wc_pkt_malformed(p, WC_MAL_UDP_HEADER_CUT);
		if (cap < UDP_HLEN) {
			wc_verdict_l4(p, ip_idx, WC_LAYER_UDP, cap);
			return WC_MAL_NONE;
		}
		uint32_t ulen = wc_rd16(h + 4);
		p->sport = wc_rd16(h);
		p->dport = wc_rd16(h + 2);
		ip->sport = p->sport;
		ip->dport = p->dport;
		p->has_l4 = 1;
		p->l4_ip_idx = (uint8_t)ip_idx;
		p->l4_proto = 17;
		if (ulen == 0 && ip->family == 6 && (ip->flags & WC_IPF_JUMBO))
			ulen = seglen; /* RFC 2675 §4: jumbo UDP has length 0 */
		if (ip->flags & WC_IPF_FRAGMENT) {
			/* the UDP length covers the reassembled datagram */
			wc_verdict_l4(p, ip_idx, WC_LAYER_UDP, cap);
			return WC_MAL_NONE;
		}
		if (ulen < UDP_HLEN || ulen > seglen) {
			wc_pkt_add_verdict(p, WC_LAYER_UDP, WC_VERDICT_UNVERIFIABLE,
					   ip_idx, wc_rd16(h + 6), 0);
			return wc_pkt_malformed(p, WC_MAL_UDP_LEN);
		}
		/* Bytes past the UDP length are link padding, not data. */
		ip->l4_len = ulen;
		wc_verdict_l4(p, ip_idx, WC_LAYER_UDP, cap);
		struct wc_cursor in = *c;
		in.wire_end = c->off + ulen;
		if (in.cap_end > in.wire_end)
			in.cap_end = in.wire_end;
		return wc_decode_udp_tunnel(p, &in, ip_idx, cfg);
	}
	case 1: /* ICMP */
	case 58: /* ICMPv6 */
		if ((ip->proto == 1) != (ip->family == 4))
			return WC_MAL_NONE; /* ICMP over v6 / ICMPv6 over v4: not ours */
		if (seglen < 4)
			return wc_pkt_malformed(p, WC_MAL_ICMP_HEADER_CUT);
		if (cap < 4) {
			wc_verdict_l4(p, ip_idx, ip->family == 4 ? WC_LAYER_ICMP : WC_LAYER_ICMPV6, cap);
			return WC_MAL_NONE;
		}
		wc_verdict_l4(p, ip_idx,
			      ip->family == 4 ? WC_LAYER_ICMP : WC_LAYER_ICMPV6, cap);
		p->l4.icmp.type = h[0];
		p->l4.icmp.code = h[1];
		if (cap >= ICMP_MIN_HLEN) {
			p->l4.icmp.id = wc_rd16(h + 4);
			p->l4.icmp.seq = wc_rd16(h + 6);
		}
		p->has_l4 = 1;
		p->l4_ip_idx = (uint8_t)ip_idx;
		p->l4_proto = ip->proto;
		return WC_MAL_NONE;
	case 47: /* GRE */
		return wc_decode_gre(p, c, cfg);
	case 4:  /* IPv4 in IP */
	case 41: /* IPv6 in IP */
		if (c->depth + 1 >= WC_MAX_IP_LAYERS)
			return wc_pkt_malformed(p, WC_MAL_TUNNEL_DEPTH);
		c->depth++;
		p->tunnel_type = WC_TUN_IPIP;
		p->tunnel_id = 0;
		return ip->proto == 4 ? wc_decode_ipv4(p, c, cfg)
				      : wc_decode_ipv6(p, c, cfg);
	default:
		return WC_MAL_NONE;
	}
}
