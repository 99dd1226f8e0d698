/* SPDX-License-Identifier: BSD-3-Clause */
#include "worker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const enum wc_anomaly bad_anomaly[WC_LAYER_COUNT] = {
	[WC_LAYER_IPV4] = WC_ANOM_IPV4_CHECKSUM_BAD,
	[WC_LAYER_TCP] = WC_ANOM_TCP_CHECKSUM_BAD,
	[WC_LAYER_UDP] = WC_ANOM_UDP_CHECKSUM_BAD,
	[WC_LAYER_ICMP] = WC_ANOM_ICMP_CHECKSUM_BAD,
	[WC_LAYER_ICMPV6] = WC_ANOM_ICMPV6_CHECKSUM_BAD,
};

int wc_worker_init(struct wc_worker *w, unsigned id, struct wc_shm_header *hdr,
		   uint32_t linktype, const struct wc_worker_cfg *cfg)
{
	memset(w, 0, sizeof(*w));
	if (id >= hdr->n_workers)
		return -EINVAL;
	w->id = id;
	w->hdr = hdr;
	w->shm = wc_shm_worker(hdr, id);
	w->ctr = &w->shm->counters;
	w->linktype = linktype;
	w->rate_limit = hdr->rate_limit;
	w->ring_policy = hdr->ring_policy;
	w->dcfg.mtu = cfg->mtu;
	if (cfg->port_mtu)
		memcpy(w->dcfg.port_mtu, cfg->port_mtu, sizeof(w->dcfg.port_mtu));
	w->rl = calloc(WC_RATELIMIT_SLOTS, sizeof(*w->rl));
	if (!w->rl)
		return -ENOMEM;
	unsigned n_rl = 0;
	for (unsigned t = 0; t < WC_ANOM_COUNT; t++)
		w->rl_index[t] = wc_anomaly_is_incident((int)t) ? 0xff : (uint8_t)n_rl++;
	if (n_rl > WC_FLOW_EVENT_TYPES) { /* a new per-packet type needs room */
		free(w->rl);
		w->rl = NULL;
		return -EOVERFLOW;
	}
	int hr = wc_history_init(&w->hist, cfg->history);
	if (hr) {
		free(w->rl);
		w->rl = NULL;
		return hr;
	}
	/* an anomaly and its context are reserved together: leave the ring
	 * room for a whole group (an offline worker waits for one) */
	w->vlan_mask = cfg->ignore_vlan ? 0 : 0xffff;
	w->context = cfg->context < WC_EVIDENCE_CONTEXT_MAX ? cfg->context
							     : WC_EVIDENCE_CONTEXT_MAX;
	if (w->shm->ring.slots && w->context > w->shm->ring.slots / 2)
		w->context = (uint32_t)(w->shm->ring.slots / 2);
	if (hdr->flow_capacity) {
		struct wc_track_cfg tc = {
			.capacity = hdr->flow_capacity,
			.tcp_timeout_ns = cfg->tcp_timeout_ns,
			.syn_timeout_ns = cfg->syn_timeout_ns,
			.closed_timeout_ns = cfg->closed_timeout_ns,
			.other_timeout_ns = cfg->other_timeout_ns,
			.ack_stall_us = (uint32_t)((cfg->ack_stall_ns ? cfg->ack_stall_ns
								: 30000000ull) / 1000),
		};
		int r = wc_track_init(w, wc_shm_flows(hdr, id), wc_shm_flow_index(hdr, id),
				      hdr->flow_capacity, hdr->flow_index_size, &tc);
		if (r) {
			free(w->rl);
			w->rl = NULL;
			wc_history_fini(&w->hist);
			return r;
		}
	}
	return 0;
}

void wc_worker_fini(struct wc_worker *w)
{
	wc_track_fini(w);
	wc_history_fini(&w->hist);
	free(w->rl);
	w->rl = NULL;
}

/* 64-bit mix (splitmix64 finaliser): cheap and well distributed. */
static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i + 8 <= n; i += 8) {
		uint64_t v;
		memcpy(&v, b + i, 8);
		h = mix64(h ^ v);
	}
	if (n & 7) {
		uint64_t v = 0;
		memcpy(&v, b + (n & ~7u), n & 7);
		h = mix64(h ^ v);
	}
	return h;
}

static struct wc_sender *sender_lookup(struct wc_worker *w,
				       const struct wc_ip_layer *ip)
{
	unsigned alen = ip->family == 4 ? 4 : 16;
	uint16_t vlan = ip->nvlan ? ip->vlan[0] : 0;
	uint64_t h = hash_bytes(mix64(vlan ^ ((uint64_t)ip->family << 20)), ip->src, alen);
	if (ip->has_mac)
		h = hash_bytes(h, ip->mac_src, 6);
	for (unsigned i = 0; i < 8; i++) { /* bounded linear probe */
		struct wc_sender *s = &w->shm->senders[(h + i) & (WC_SENDER_SLOTS - 1)];
		if (s->family == 0) {
			memcpy(s->ip, ip->src, alen);
			s->vlan = vlan;
			s->has_mac = ip->has_mac;
			if (ip->has_mac)
				memcpy(s->mac, ip->mac_src, 6);
			s->family = ip->family; /* last: marks the slot used */
			return s;
		}
		if (s->family == ip->family && s->vlan == vlan &&
		    s->has_mac == ip->has_mac && memcmp(s->ip, ip->src, alen) == 0 &&
		    (!ip->has_mac || memcmp(s->mac, ip->mac_src, 6) == 0))
			return s;
	}
	w->ctr->senders_untracked++;
	return NULL;
}

/* The tracked flow of the packet being accounted, looked up at its first
 * anomaly before the tracker has run (only an anomaly pays for it); NULL
 * when it has none (yet). */
static struct wc_flow *current_flow(struct wc_worker *w)
{
	if (!w->cur_flow_known) {
		const struct wc_track_hint *h = w->cur_hint;
		w->cur_flow = h && h->valid && w->track.table
				      ? wc_flow_table_lookup(w->track.table, &h->key, h->hash)
				      : NULL;
		w->cur_flow_known = 1;
	}
	return w->cur_flow;
}

void wc_worker_flow_current(struct wc_worker *w, struct wc_flow *f)
{
	w->cur_flow = f;
	w->cur_flow_known = 1;
}

/* Per flow and type: the first rate_limit events are emitted, the rest only
 * counted. A tracked flow keeps its counts in its entry (wc_flow.events),
 * exact for any number of flows. Anomalies of packets without one (not
 * tracked, an outer layer, the packet before its flow's first) count in a
 * direct-mapped table by flow id, where a slot taken over by another flow
 * starts from zero: collisions can only let more events through, never
 * hide a flow's first ones; a flow's entry adopts its slot's counts when
 * it is created (wc_worker_flow_adopt). */
static bool rate_limit_pass(struct wc_worker *w, uint64_t flow, enum wc_anomaly t)
{
	if (w->rate_limit == 0)
		return true;
	uint8_t *count;
	struct wc_flow *f = current_flow(w);
	if (f && f->id == flow) {
		count = &f->events[w->rl_index[t]];
	} else {
		struct wc_rl_slot *s = &w->rl[flow & (WC_RATELIMIT_SLOTS - 1)];
		if (s->key != flow) {
			s->key = flow;
			memset(s->count, 0, sizeof(s->count));
		}
		count = &s->count[t];
	}
	if (*count >= w->rate_limit) /* rate_limit <= 255 (options.c) */
		return false;
	(*count)++;
	return true;
}

void wc_worker_flow_adopt(struct wc_worker *w, struct wc_flow *f)
{
	struct wc_rl_slot *s = &w->rl[f->id & (WC_RATELIMIT_SLOTS - 1)];
	if (!w->rate_limit || s->key != f->id)
		return;
	for (unsigned t = 0; t < WC_ANOM_COUNT; t++)
		if (w->rl_index[t] != 0xff)
			f->events[w->rl_index[t]] = s->count[t];
	s->key = 0;
	memset(s->count, 0, sizeof(s->count));
}

static struct wc_event *event_slot(struct wc_worker *w)
{
	struct wc_event *e;
	while (!(e = wc_ring_reserve(w->shm, &w->cached_tail))) {
		if (w->ring_policy != WC_RING_WAIT || !w->ring_wait ||
		    w->ring_wait(w->ring_wait_arg) != 0) {
			w->ctr->drops_event_ring++;
			return NULL;
		}
	}
	return e;
}

static void fill_addresses(struct wc_event *e, const struct wc_pkt *p, int ip_idx)
{
	if (ip_idx < 0 || ip_idx >= p->n_ip) {
		e->family = 0;
		return;
	}
	const struct wc_ip_layer *ip = &p->ip[ip_idx];
	e->family = ip->family;
	e->proto = ip->proto;
	memcpy(e->src_ip, ip->src, 16);
	memcpy(e->dst_ip, ip->dst, 16);
	e->sport = ip->sport;
	e->dport = ip->dport;
	e->nvlan = ip->nvlan;
	memcpy(e->vlan, ip->vlan, sizeof(e->vlan));
	if (ip->depth) {
		e->tunnel_type = p->tunnel_type;
		e->tunnel_id = p->tunnel_id;
	}
}

/* Count an anomaly; false when over the per-flow rate limit (counted). */
static bool anomaly_pass(struct wc_worker *w, enum wc_anomaly t, uint64_t flow)
{
	w->ctr->anomalies[t]++;
	if (!wc_anomaly_is_incident(t) && !rate_limit_pass(w, flow, t)) {
		w->ctr->anomaly_events_suppressed++;
		return false;
	}
	return true;
}

/* Reserve an anomaly's event after *n_ctx slots for its context packets
 * (positions *head ..), the common fields set. When the ring has room for
 * the event alone, the context is dropped and counted (*n_ctx = 0). NULL
 * when even that does not fit (counted). The caller fills the rest and
 * calls anomaly_commit(), which publishes the whole group at once. */
static struct wc_event *anomaly_reserve(struct wc_worker *w, enum wc_anomaly t,
					uint64_t flow, const struct wc_anomaly_detail *detail,
					unsigned *n_ctx, uint64_t *head)
{
	unsigned n = *n_ctx;
	while (!wc_ring_reserve_n(w->shm, &w->cached_tail, n + 1u, head)) {
		if (w->ring_policy == WC_RING_WAIT && w->ring_wait &&
		    w->ring_wait(w->ring_wait_arg) == 0)
			continue;
		if (n) { /* the anomaly matters more than its context */
			w->ctr->drops_evidence += n;
			n = 0;
			continue;
		}
		*n_ctx = 0;
		w->ctr->drops_event_ring++;
		return NULL;
	}
	*n_ctx = n;
	struct wc_event *e = wc_ring_slot(w->shm, *head + n);
	memset(e, 0, offsetof(struct wc_event, u.data));
	e->kind = WC_EVENT_ANOMALY;
	e->worker = w->id;
	e->flow_id = flow;
	e->n_context = n;
	e->seq = w->event_seq++;
	if (detail)
		e->u.anomaly = *detail;
	e->u.anomaly.type = (uint16_t)t;
	w->group_n = n + 1u;
	return e;
}

static struct wc_event *anomaly_begin(struct wc_worker *w, enum wc_anomaly t,
				      uint64_t flow, const struct wc_anomaly_detail *detail)
{
	unsigned n = 0;
	uint64_t head;
	if (!anomaly_pass(w, t, flow))
		return NULL;
	return anomaly_reserve(w, t, flow, detail, &n, &head);
}

static void anomaly_commit(struct wc_worker *w)
{
	wc_ring_commit_n(w->shm, w->group_n);
	w->ctr->events_written++;
	w->ctr->evidence_packets += w->group_n - 1u;
}

/* The history's entries of the current packet's flow that no event
 * carried yet, oldest first (0 when p is not the tracked packet being
 * processed, or when an earlier event of this packet carried them: the
 * control plane gives its later events the same frames). */
static unsigned context_find(struct wc_worker *w, const struct wc_pkt *p, uint32_t *slots)
{
	const struct wc_track_hint *h = w->cur_hint;
	if (!w->context || !w->hist.size || p != w->cur_pkt || w->cur_exported || !h ||
	    !h->valid || h->ip_idx >= p->n_ip)
		return 0;
	struct wc_hist_flow fl;
	wc_history_flow_of(&p->ip[h->ip_idx], &fl);
	return wc_history_find(&w->hist, wc_history_tag(h->hash), &fl, w->context, slots);
}

/* Context packet records at positions head .. head+n-1: each is marked in
 * the history so that no later anomaly carries it again. */
static void context_fill(struct wc_worker *w, uint64_t head, const uint32_t *slots,
			 unsigned n, uint64_t flow)
{
	for (unsigned i = 0; i < n; i++) {
		const struct wc_hist_entry *h = &w->hist.ent[slots[i]];
		struct wc_event *c = wc_ring_slot(w->shm, head + i);
		memset(c, 0, offsetof(struct wc_event, u.data));
		c->kind = WC_EVENT_PACKET;
		c->worker = w->id;
		c->flow_id = flow;
		c->ts_ns = h->ts_ns;
		c->pcap_cnt = h->frame_no;
		c->caplen = h->snap;
		c->wirelen = h->wirelen;
		c->snap_len = h->snap;
		memcpy(c->u.data, h->data, h->snap);
		wc_history_mark_exported(&w->hist, slots[i]);
	}
}

void wc_worker_raise(struct wc_worker *w, const struct wc_pkt *p, enum wc_anomaly t,
		     int ip_idx, uint64_t flow_id, const struct wc_anomaly_detail *detail)
{
	uint64_t flow = flow_id ? flow_id : ip_idx >= 0 ? wc_track_flow_id(p, (unsigned)ip_idx, w->vlan_mask) : 0;
	if (!anomaly_pass(w, t, flow))
		return;
	uint32_t slots[WC_EVIDENCE_CONTEXT_MAX];
	uint64_t head;
	/* no history scan for an event that will be dropped (a full ring and
	 * nobody to wait for: an anomaly flood must not cost a scan each) */
	unsigned n_ctx = 0;
	if (wc_ring_reserve_n(w->shm, &w->cached_tail, 1, &head) ||
	    w->ring_policy == WC_RING_WAIT)
		n_ctx = context_find(w, p, slots);
	struct wc_event *e = anomaly_reserve(w, t, flow, detail, &n_ctx, &head);
	if (!e)
		return;
	context_fill(w, head, slots, n_ctx, flow);
	e->port = p->port;
	e->ts_ns = p->ts_ns;
	e->pcap_cnt = p->frame_no;
	fill_addresses(e, p, ip_idx);
	if (ip_idx >= 0 && p->ip[ip_idx].has_mac) {
		e->u.anomaly.sender_has_mac = 1;
		memcpy(e->u.anomaly.sender_mac, p->ip[ip_idx].mac_src, 6);
	}
	e->caplen = p->caplen;
	e->wirelen = p->wirelen;
	e->snap_len = p->caplen < WC_EVENT_SNAP ? p->caplen : WC_EVENT_SNAP;
	memcpy(e->u.data, p->data, e->snap_len);
	if (p == w->cur_pkt)
		w->cur_exported = 1;
	anomaly_commit(w);
}

/* Count an anomaly and, within the rate limit, publish its event. The
 * detail may be NULL. ip_idx: the IP layer it concerns, -1 for none. */
static void raise_anomaly(struct wc_worker *w, const struct wc_pkt *p,
			  enum wc_anomaly t, int ip_idx,
			  const struct wc_anomaly_detail *detail)
{
	wc_worker_raise(w, p, t, ip_idx, 0, detail);
}

static void fill_from_flow(struct wc_event *e, const struct wc_flow *f)
{
	uint8_t c = f->client;
	e->family = f->key.family;
	e->proto = f->key.proto;
	memcpy(e->src_ip, f->key.addr[c], 16);
	memcpy(e->dst_ip, f->key.addr[!c], 16);
	e->sport = f->key.port[c];
	e->dport = f->key.port[!c];
	e->nvlan = (uint8_t)(f->key.vlan[0] ? (f->key.vlan[1] ? 2 : 1) : 0);
	memcpy(e->vlan, f->key.vlan, sizeof(e->vlan));
	e->tunnel_type = f->key.tunnel_type;
	e->tunnel_id = f->key.tunnel_id;
	e->flow_id = f->id;
}

void wc_worker_raise_flow(struct wc_worker *w, const struct wc_flow *f,
			  enum wc_anomaly t, const struct wc_anomaly_detail *detail)
{
	struct wc_event *e = anomaly_begin(w, t, f->id, detail);
	if (!e)
		return;
	e->ts_ns = f->last_ns;
	e->pcap_cnt = f->first_frame;
	fill_from_flow(e, f);
	anomaly_commit(w);
}

static void top_flows_offer(struct wc_worker_shm *ws, const struct wc_flow *f)
{
	uint64_t score = wc_flow_trouble(f);
	if (!score)
		return;
	uint32_t n = ws->n_top;
	if (n == WC_TOP_FLOWS && wc_flow_trouble(&ws->top[n - 1]) >= score)
		return;
	uint32_t i = n < WC_TOP_FLOWS ? n : WC_TOP_FLOWS - 1;
	while (i > 0 && wc_flow_trouble(&ws->top[i - 1]) < score) {
		ws->top[i] = ws->top[i - 1];
		i--;
	}
	ws->top[i] = *f;
	if (n < WC_TOP_FLOWS)
		ws->n_top = n + 1;
}

void wc_worker_flow_ended(struct wc_worker *w, const struct wc_flow *f)
{
	w->ctr->flows_ended++;
	if (f->flags & WC_FLOW_EVICTED)
		w->ctr->flows_evicted++;
	/* a TCP flow whose packets all went one way past a handshake attempt:
	 * the capture sees one direction only (asymmetric RSS across workers,
	 * or a mirror of one direction) - a SYN nobody answered is not one */
	if (f->key.proto == 6 && (!f->dir[0].pkts || !f->dir[1].pkts) &&
	    (f->dir[0].pkts + f->dir[1].pkts) > f->tally[f->client].syns + 1)
		w->ctr->flows_one_sided++;
	top_flows_offer(w->shm, f);
	struct wc_event *e = event_slot(w);
	if (!e)
		return;
	memset(e, 0, offsetof(struct wc_event, u.data));
	e->kind = WC_EVENT_FLOW;
	e->worker = w->id;
	e->seq = w->event_seq++;
	e->ts_ns = f->last_ns;
	fill_from_flow(e, f);
	e->u.flow = *f;
	wc_ring_commit(w->shm);
}

void wc_worker_sender_confirmed(struct wc_worker *w, const struct wc_ip_layer *ip)
{
	struct wc_sender *s = sender_lookup(w, ip);
	if (s)
		s->confirmed++;
}

static void account_checksums(struct wc_worker *w, const struct wc_pkt *p)
{
	for (unsigned i = 0; i < p->n_cs; i++) {
		const struct wc_csum_check *cs = &p->cs[i];
		w->ctr->csum[cs->layer][cs->verdict]++;
		if (cs->verdict != WC_VERDICT_BAD && cs->verdict != WC_VERDICT_PARTIAL)
			continue;
		struct wc_sender *s = sender_lookup(w, &p->ip[cs->ip_idx]);
		struct wc_anomaly_detail d = {0};
		d.csum_layer = cs->layer;
		d.csum_found = cs->found;
		d.csum_expected = cs->expected;
		if (cs->verdict == WC_VERDICT_BAD) {
			if (s)
				s->bad++;
			raise_anomaly(w, p, bad_anomaly[cs->layer], cs->ip_idx, &d);
		} else {
			if (s)
				s->partial++;
			raise_anomaly(w, p, WC_ANOM_CHECKSUM_PARTIAL, cs->ip_idx, &d);
		}
	}
}

/* One per frame: the outermost oversized datagram, or the frame itself. */
static void account_superframe(struct wc_worker *w, const struct wc_pkt *p)
{
	struct wc_anomaly_detail d = {0};
	d.mtu = wc_decode_mtu(&w->dcfg, p->port);
	d.ip_len = p->l3_start != WC_NO_L3 ? p->wirelen - p->l3_start : 0;
	if (p->superframe_ip >= 0) {
		const struct wc_ip_layer *ip = &p->ip[p->superframe_ip];
		struct wc_sender *s = sender_lookup(w, ip);
		if (s)
			s->superframes++;
		if (ip->flags & WC_IPF_SUPERFRAME)
			d.ip_len = ip->dgram_len;
		d.aux[0] = ip->flags;
	}
	raise_anomaly(w, p, WC_ANOM_TSO_SUPERFRAME, p->superframe_ip, &d);
}

/* Packets between an entry's prefetch and its analysis: measured at 200k
 * flows (bench_pipeline), 8 beat 4 and 16. */
#define PREFETCH_AHEAD 8

/* Two passes over a burst so the flow table's cache misses overlap:
 * decode and hash (prefetching index slots), then account and track,
 * prefetching each entry PREFETCH_AHEAD packets before its turn. Bursts
 * longer than WC_BURST are taken in chunks. */
void wc_worker_process(struct wc_worker *w, const struct wc_pkt_view *v,
		       unsigned n)
{
	while (n > WC_BURST) {
		wc_worker_process(w, v, WC_BURST);
		v += WC_BURST;
		n -= WC_BURST;
	}
	struct wc_counters *ctr = w->ctr;
	for (unsigned i = 0; i < n; i++) {
		wc_decode(&w->pkts[i], &v[i], w->linktype, &w->dcfg);
		wc_track_prepare(w, &w->pkts[i], &w->hints[i]);
	}
	/* entries are fetched PREFETCH_AHEAD packets before their analysis:
	 * a whole burst's lines at once would queue behind the core's few
	 * outstanding misses and arrive no sooner */
	unsigned ahead = w->track.table ? PREFETCH_AHEAD : 0;
	for (unsigned i = 0; i < n && i < ahead; i++)
		if (w->hints[i].valid)
			wc_track_prefetch(w, &w->hints[i]);

	for (unsigned i = 0; i < n; i++) {
		const struct wc_pkt *p = &w->pkts[i];
		const struct wc_track_hint *hint = &w->hints[i];
		if (ahead && i + ahead < n && w->hints[i + ahead].valid)
			wc_track_prefetch(w, &w->hints[i + ahead]);
		w->cur_pkt = p;
		w->cur_hint = hint;
		w->cur_exported = 0;
		w->cur_flow_known = 0;
		ctr->packets++;
		ctr->bytes += p->wirelen;
		if (!ctr->first_ts_ns)
			ctr->first_ts_ns = p->ts_ns;
		ctr->last_ts_ns = p->ts_ns;
		account_checksums(w, p);
		if (p->superframe)
			account_superframe(w, p);
		if (p->malformed) {
			ctr->malformed[p->malformed]++;
			struct wc_anomaly_detail d = {0};
			d.reason = p->malformed;
			raise_anomaly(w, p, WC_ANOM_MALFORMED,
				      p->n_ip ? (int)p->n_ip - 1 : -1, &d);
		}
		wc_track_packet(w, p, hint);
		/* after its own anomalies: the history holds earlier packets only */
		if (w->hist.size && hint->valid && !w->cur_exported && hint->ip_idx < p->n_ip) {
			struct wc_hist_flow fl;
			wc_history_flow_of(&p->ip[hint->ip_idx], &fl);
			wc_history_push(&w->hist, wc_history_tag(hint->hash), &fl, p);
		}
	}
	w->cur_pkt = NULL;
	w->cur_hint = NULL;
	w->cur_flow = NULL;
	w->cur_flow_known = 1; /* none: anomalies after the burst (expiry)
				* are flow events, not rate-limited */
	if (w->track.table) {
		wc_track_expire(w);
		ctr->flows_active = wc_flow_table_count(w->track.table);
	}
}

void wc_worker_finish(struct wc_worker *w)
{
	if (!w->track.table)
		return;
	wc_track_shutdown(w);
	w->ctr->flows_active = wc_flow_table_count(w->track.table);
}
