/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "pkt.h"

void wc_decode(struct wc_pkt *p, const struct wc_pkt_view *v, uint32_t linktype,
	       const struct wc_decode_cfg *cfg)
{
	p->data = v->data;
	p->caplen = v->caplen;
	p->wirelen = v->wirelen < v->caplen ? v->caplen : v->wirelen;
	p->ts_ns = v->ts_ns;
	p->frame_no = v->frame_no;
	p->port = v->port;
	p->queue = v->queue;
	p->n_ip = 0;
	p->n_cs = 0;
	p->malformed = WC_MAL_NONE;
	p->superframe = 0;
	p->superframe_ip = -1;
	p->l3_start = WC_NO_L3;
	p->tunnel_type = WC_TUN_NONE;
	p->tunnel_id = 0;
	p->has_l4 = 0;
	p->l4_proto = 0;
	p->sport = p->dport = 0;

	struct wc_cursor c;
	memset(&c, 0, sizeof(c));
	c.cap_end = p->caplen;
	c.wire_end = p->wirelen;
	wc_decode_link(p, &c, linktype, cfg);

	for (unsigned i = 0; i < p->n_ip; i++)
		if (p->ip[i].flags & WC_IPF_SUPERFRAME) {
			p->superframe = 1;
			p->superframe_ip = (int8_t)i;
			return;
		}
	/* A frame carrying more than the MTU past its link headers is a
	 * super-frame even when its IP length field says otherwise (trailing
	 * bytes, a lying header): it should not exist on this port. */
	if (p->l3_start != WC_NO_L3 && p->wirelen > p->l3_start &&
	    p->wirelen - p->l3_start > wc_decode_mtu(cfg, p->port)) {
		p->superframe = 1;
		p->superframe_ip = p->n_ip ? 0 : -1;
	}
}
