/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A worker's recent-packet history: the last N tracked packets (first
 * WC_HISTORY_SNAP bytes, time, frame number, flow tag), so that an anomaly
 * can publish the few packets of its flow that preceded its trigger as
 * evidence (SPEC §5 evidence.pcap) without any per-flow memory: the flow
 * table has a 128-byte-per-flow budget, a ring of N entries costs
 * N * 196 bytes per worker whatever the number of flows.
 *
 * Packet path: wc_history_push(), one copy of at most WC_HISTORY_SNAP bytes
 * and a few stores; no allocation, no lock, no syscall. Lookups run only
 * when an anomaly event is published: a backward scan of the 4-byte tags
 * (N at most), then a check of the addresses and ports of the candidates.
 * Not thread-safe: one worker owns one history.
 */
#ifndef WC_HISTORY_H
#define WC_HISTORY_H

#include <stdint.h>
#include <string.h>

#include "../decode/pkt.h"

#define WC_HISTORY_SNAP 152 /* Ethernet, 2 VLANs, IPv6, TCP with options, some payload */
#define WC_HISTORY_MAX (1u << 20)

/* What a tag match is checked against: the packet's IP layer folded
 * (addresses to 32 bits each, in either order: both directions of a flow
 * match). The tag alone is a 32-bit hash. */
struct wc_hist_flow {
	uint32_t addr[2];
	uint16_t port[2];
	uint8_t proto;
	uint8_t pad[3];
};

struct wc_hist_entry {
	uint64_t ts_ns;
	uint64_t frame_no;
	uint32_t wirelen;
	uint16_t snap; /* bytes in data[] */
	uint16_t pad;
	struct wc_hist_flow flow;
	uint8_t data[WC_HISTORY_SNAP];
};

struct wc_history {
	uint32_t size; /* entries; 0 = no history */
	uint32_t next; /* slot of the next push */
	uint32_t *tags;             /* per slot; 0 = empty or already exported */
	struct wc_hist_entry *ent;  /* per slot */
};

/* size entries (at most WC_HISTORY_MAX; 0 = none). 0 or -ENOMEM/-EINVAL. */
int wc_history_init(struct wc_history *h, uint32_t size);
void wc_history_fini(struct wc_history *h);

/* The tag of a flow: its flow-key hash, never 0 (0 marks an empty slot). */
static inline uint32_t wc_history_tag(uint32_t flow_hash)
{
	return flow_hash ? flow_hash : 1u;
}

static inline uint32_t wc_history_fold(const uint8_t a[16], uint8_t family)
{
	uint32_t w[4];
	memcpy(w, a, 16);
	return family == 4 ? w[0] : w[0] ^ w[1] ^ w[2] ^ w[3];
}

static inline void wc_history_flow_of(const struct wc_ip_layer *ip, struct wc_hist_flow *f)
{
	f->addr[0] = wc_history_fold(ip->src, ip->family);
	f->addr[1] = wc_history_fold(ip->dst, ip->family);
	f->port[0] = ip->sport;
	f->port[1] = ip->dport;
	f->proto = ip->proto;
	f->pad[0] = f->pad[1] = f->pad[2] = 0;
}

/* Same flow, either direction. */
static inline int wc_history_flow_eq(const struct wc_hist_flow *a,
				     const struct wc_hist_flow *b)
{
	if (a->proto != b->proto)
		return 0;
	return (a->addr[0] == b->addr[0] && a->addr[1] == b->addr[1] &&
		a->port[0] == b->port[0] && a->port[1] == b->port[1]) ||
	       (a->addr[0] == b->addr[1] && a->addr[1] == b->addr[0] &&
		a->port[0] == b->port[1] && a->port[1] == b->port[0]);
}

/* Record a packet of flow (tag, fl). */
static inline void wc_history_push(struct wc_history *h, uint32_t tag,
				   const struct wc_hist_flow *fl, const struct wc_pkt *p)
{
	if (!h->size)
		return;
	uint32_t i = h->next;
	struct wc_hist_entry *e = &h->ent[i];
	uint32_t snap = p->caplen < WC_HISTORY_SNAP ? p->caplen : WC_HISTORY_SNAP;
	e->ts_ns = p->ts_ns;
	e->frame_no = p->frame_no;
	e->wirelen = p->wirelen;
	e->snap = (uint16_t)snap;
	e->flow = *fl;
	memcpy(e->data, p->data, snap);
	h->tags[i] = tag;
	h->next = i + 1 == h->size ? 0 : i + 1;
}

/* Up to k (<= WC_EVIDENCE_CONTEXT_MAX) of the most recent entries of flow
 * (tag, fl) not exported yet, newest first in the scan, returned oldest
 * first in slots[]. Returns how many. */
unsigned wc_history_find(const struct wc_history *h, uint32_t tag,
			 const struct wc_hist_flow *fl, unsigned k, uint32_t *slots);

/* The entry was published: no later lookup returns it again. */
static inline void wc_history_mark_exported(struct wc_history *h, uint32_t slot)
{
	h->tags[slot] = 0;
}

#endif
