/* SPDX-License-Identifier: BSD-3-Clause */
#include "track.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../core/worker.h"

#define US_PER_MS 1000u
/* direction timers are microseconds (struct wc_flow_dir) */
#define FAST_RETX_WINDOW_US (20 * US_PER_MS) /* Wireshark: within 20 ms of the dup ACKs */
#define OOO_WINDOW_US (3 * US_PER_MS)        /* Wireshark's default threshold */
#define STALL_RESUME_US (10 * US_PER_MS)     /* sender resumes right after the late ACK */

enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PSH = 0x08, TH_ACK = 0x10,
       TH_ECE = 0x40, TH_CWR = 0x80 };
#define WC_DIR_FIN_ACKED 0x80

static const uint64_t timeout_defaults_ns[WC_LIST_COUNT] = WC_FLOW_TIMEOUTS_DEFAULT_NS;

/* RFC 1982 serial-number arithmetic on 32-bit sequence numbers. */
static inline int seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline int seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline int seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

static void on_flow_end(void *arg, struct wc_flow *f, enum wc_flow_end why);

int wc_track_init(struct wc_worker *w, struct wc_flow *entries, uint64_t *index,
		  uint32_t capacity, uint32_t index_size, const struct wc_track_cfg *cfg)
{
	struct wc_tracker *t = &w->track;
	memset(t, 0, sizeof(*t));
	t->cfg = *cfg;
	struct wc_flow_table_cfg tc = {
		.entries = entries, .index = index, .capacity = capacity,
		.index_size = index_size, .on_end = on_flow_end, .arg = w,
	};
	memcpy(tc.timeout_ns, timeout_defaults_ns, sizeof(tc.timeout_ns));
	if (cfg->tcp_timeout_ns)
		tc.timeout_ns[WC_LIST_TCP_ACTIVE] = cfg->tcp_timeout_ns;
	if (cfg->syn_timeout_ns)
		tc.timeout_ns[WC_LIST_TCP_OPENING] = cfg->syn_timeout_ns;
	if (cfg->closed_timeout_ns)
		tc.timeout_ns[WC_LIST_TCP_CLOSED] = cfg->closed_timeout_ns;
	if (cfg->other_timeout_ns)
		tc.timeout_ns[WC_LIST_OTHER] = cfg->other_timeout_ns;
	t->pending = calloc(WC_PENDING_SYN_SLOTS, sizeof(*t->pending));
	t->bad = calloc((size_t)WC_BAD_SEG_SETS * WC_BAD_SEG_WAYS, sizeof(*t->bad));
	int r = t->pending && t->bad ? wc_flow_table_create(&t->table, &tc) : -ENOMEM;
	if (r) {
		free(t->pending);
		free(t->bad);
		t->pending = NULL;
		t->bad = NULL;
	}
	return r;
}

void wc_track_fini(struct wc_worker *w)
{
	wc_flow_table_destroy(w->track.table);
	free(w->track.pending);
	free(w->track.bad);
	free(w->track.answers);
	free(w->track.peers);
	w->track.table = NULL;
	w->track.pending = NULL;
	w->track.bad = NULL;
	w->track.answers = NULL;
	w->track.peers = NULL;
	w->track.n_peers = 0;
}

int wc_track_link(struct wc_worker *workers, unsigned n)
{
	if (n < 2)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct wc_tracker *t = &workers[i].track;
		if (!t->answers)
			t->answers = calloc(WC_VIP_ANSWER_SLOTS, sizeof(*t->answers));
		if (!t->peers)
			t->peers = calloc(n - 1, sizeof(*t->peers));
		if (!t->answers || !t->peers)
			return -ENOMEM; /* wc_track_fini frees what was taken */
	}
	for (unsigned i = 0; i < n; i++) {
		struct wc_tracker *t = &workers[i].track;
		t->n_peers = 0;
		for (unsigned k = 0; k < n; k++)
			if (k != i)
				t->peers[t->n_peers++] = (struct wc_track_peer){
					.id = workers[k].id, .pending = workers[k].track.pending,
					.answers = workers[k].track.answers};
	}
	/* the threads that run the workers start after this (pthread_create
	 * orders these plain stores before anything the threads do) */
	return 0;
}

/* wc_flow_trouble: include/wirecheck/flow.c (the control plane ranks live
 * flows with it too) */

/* ---- keys ---------------------------------------------------------- */

/* Place two endpoints in the key's normalised order (side 0 is the lower
 * address, then port; both directions of a flow give the same key).
 * Returns the side endpoint a landed on. The key's unused address bytes
 * must already be zero. */
static int key_set_ends(struct wc_flow_key *k, const uint8_t *a, uint16_t pa,
			const uint8_t *b, uint16_t pb, unsigned alen)
{
	int c = memcmp(a, b, alen);
	int swap = c > 0 || (c == 0 && pa > pb);
	memcpy(k->addr[swap], a, alen);
	memcpy(k->addr[!swap], b, alen);
	k->port[swap] = pa;
	k->port[!swap] = pb;
	return swap;
}

/* Network-order address bytes as big-endian integers: their order is
 * memcmp's. */
static inline uint64_t addr_be64(const uint8_t *b)
{
	return ((uint64_t)wc_rd32(b) << 32) | wc_rd32(b + 4);
}

/* n (<= 8) bytes at b as a key word in memory order, the rest zero. */
static inline uint64_t key_word(const uint8_t *b, unsigned n)
{
	uint8_t t[8] = {0};
	uint64_t v;
	memcpy(t, b, n);
	memcpy(&v, t, sizeof(v));
	return v;
}

/* The key's last two words (ports, VLANs, tunnel, family, protocol), laid
 * out as in struct wc_flow_key. */
struct key_tail {
	uint16_t port[2];
	uint16_t vlan[2];
	uint32_t tunnel_id;
	uint8_t family, proto, tunnel_type, pad;
};
_Static_assert(sizeof(struct key_tail) == 16 &&
	       __builtin_offsetof(struct wc_flow_key, port) == 32 &&
	       __builtin_offsetof(struct wc_flow_key, pad) == 47,
	       "key_tail is the key's last 16 bytes");

/* Build the normalised key of the packet's tracked layer as the key's
 * words (flow_table.h), in registers: the same bytes as key_set_ends()
 * with zeroed padding would give, without library calls or narrow stores
 * that the hash's wide loads would have to wait for. *from is the key side
 * that sent the packet. vlan_mask 0 leaves the VLAN ids out (--ignore-vlan). */
static void build_key(const struct wc_pkt *p, unsigned idx, uint16_t vlan_mask,
		      uint64_t w[WC_FLOW_KEY_WORDS], int *from)
{
	const struct wc_ip_layer *ip = &p->ip[idx];
	uint16_t sp = 0, dp = 0;

	if (p->has_l4 && p->l4_ip_idx == idx) {
		if (p->l4_proto == 6 || p->l4_proto == 17) {
			sp = ip->sport;
			dp = ip->dport;
		} else if (p->l4_proto == 1 || p->l4_proto == 58) {
			uint8_t t = p->l4.icmp.type;
			if (t == 8 || t == 0 || t == 128 || t == 129) /* echo: id both ways */
				sp = dp = p->l4.icmp.id;
		}
	}
	/* side 0 is the lower address (memcmp order), then port */
	uint64_t s0, s1, d0, d1;
	int swap;
	if (ip->family == 4) {
		uint32_t sa = wc_rd32(ip->src), da = wc_rd32(ip->dst);
		swap = sa > da || (sa == da && sp > dp);
		s0 = key_word(ip->src, 4);
		d0 = key_word(ip->dst, 4);
		s1 = d1 = 0;
	} else {
		uint64_t sh = addr_be64(ip->src), dh = addr_be64(ip->dst);
		uint64_t sl = addr_be64(ip->src + 8), dl = addr_be64(ip->dst + 8);
		swap = sh > dh || (sh == dh && (sl > dl || (sl == dl && sp > dp)));
		s0 = key_word(ip->src, 8);
		s1 = key_word(ip->src + 8, 8);
		d0 = key_word(ip->dst, 8);
		d1 = key_word(ip->dst + 8, 8);
	}
	w[0] = swap ? d0 : s0;
	w[1] = swap ? d1 : s1;
	w[2] = swap ? s0 : d0;
	w[3] = swap ? s1 : d1;

	struct key_tail t = {
		.port = {swap ? dp : sp, swap ? sp : dp},
		/* VLAN ids of the outermost Ethernet, tunnel of the tracked layer */
		.vlan = {(uint16_t)((p->ip[0].nvlan > 0 ? p->ip[0].vlan[0] : 0) & vlan_mask),
			 (uint16_t)((p->ip[0].nvlan > 1 ? p->ip[0].vlan[1] : 0) & vlan_mask)},
		.tunnel_id = ip->depth ? p->tunnel_id : 0,
		.family = ip->family,
		.proto = ip->proto,
		.tunnel_type = ip->depth ? p->tunnel_type : 0,
	};
	memcpy(&w[4], &t, sizeof(t));
	*from = swap;
}

uint64_t wc_track_flow_id(const struct wc_pkt *p, unsigned idx, uint16_t vlan_mask)
{
	if (idx >= p->n_ip)
		return 0;
	uint64_t kw[WC_FLOW_KEY_WORDS];
	int from;
	build_key(p, idx, vlan_mask, kw, &from);
	/* 51 bits: exact in JSON numbers read as doubles; never 0 */
	return (wc_flow_key_hash64_words(kw) & ((1ULL << 51) - 1)) | 1;
}

/* Time in the current state, up to now, into its total. */
static void state_account(struct wc_flow *f, uint64_t now)
{
	f->state_us[f->state] += now > f->state_since_ns ? (now - f->state_since_ns) / 1000 : 0;
	f->state_since_ns = now;
}

static void set_state(struct wc_flow *f, unsigned st, uint64_t now)
{
	if (f->state == st)
		return;
	state_account(f, now);
	f->state = (uint8_t)st;
	if (st == WC_TCP_ESTABLISHED)
		f->flags |= WC_FLOW_ESTABLISHED_ONCE;
}

static enum wc_flow_list list_of(const struct wc_flow *f)
{
	if (f->key.proto != 6)
		return WC_LIST_OTHER;
	switch (f->state) {
	case WC_TCP_NONE:
	case WC_TCP_SYN_SENT:
	case WC_TCP_SYN_RECEIVED:
		return WC_LIST_TCP_OPENING;
	case WC_TCP_CLOSED:
		return WC_LIST_TCP_CLOSED;
	default:
		return WC_LIST_TCP_ACTIVE;
	}
}

/* Server by port when no SYN says: the well-known (lower) port serves. */
static uint8_t client_by_ports(const struct wc_flow *f, int from)
{
	uint16_t p0 = f->key.port[0], p1 = f->key.port[1];
	if (p0 != p1)
		return p0 < p1 ? 1 : 0;
	return (uint8_t)from; /* the first sender */
}

static void add_rtt(struct wc_flow *f, uint64_t us)
{
	uint32_t u = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	if (!f->rtt_samples || u < f->rtt_min_us)
		f->rtt_min_us = u;
	if (u > f->rtt_max_us)
		f->rtt_max_us = u;
	f->rtt_sum_us += u;
	f->rtt_samples++;
}

/* ---- pending SYNs (synack_unexpected_source) ------------------------- */

static uint64_t pending_tag(const uint8_t *client, unsigned alen, uint16_t cport,
			    uint32_t ack)
{
	uint64_t h = ((uint64_t)cport << 32) ^ ack ^ 0x51ed270b27e9f3c5ull;
	for (unsigned i = 0; i < alen; i++)
		h = (h ^ client[i]) * 0x100000001b3ull;
	return h | 1;
}

/* Sequence lock of a slot that other workers read (wc_pending_syn,
 * wc_vip_answer), the flow entry's pattern (wc_flow_write_begin/end):
 * plain stores, no read-modify-write. begin: the odd value is visible
 * (release fence) before any field changes; end: store-release of the next
 * even value publishes the fields with it. */
static inline uint32_t slot_write_begin(_Atomic uint32_t *seq)
{
	uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);
	atomic_store_explicit(seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return s;
}

static inline void slot_write_end(_Atomic uint32_t *seq, uint32_t s)
{
	atomic_store_explicit(seq, s + 2, memory_order_release);
}

/* Reader side, another worker's slot: the acquire load of an even seq
 * orders the copy after the write that published it; the acquire fence
 * orders the copy before the second load of seq. A slot being written
 * (odd, or changed meanwhile) is skipped, not waited for: the caller
 * treats it as not found. Returns the even seq of the copy, or 1. */
static uint32_t slot_read(const _Atomic uint32_t *seq, void *dst, const void *src, size_t n)
{
	uint32_t s1 = atomic_load_explicit(seq, memory_order_acquire);
	if (s1 & 1)
		return 1;
	memcpy(dst, src, n);
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(seq, memory_order_relaxed) == s1 ? s1 : 1;
}

static void pending_add(struct wc_tracker *t, const struct wc_ip_layer *ip,
			uint32_t isn, uint64_t flow_id, uint64_t now)
{
	unsigned alen = ip->family == 4 ? 4 : 16;
	uint64_t tag = pending_tag(ip->src, alen, ip->sport, isn + 1);
	struct wc_pending_syn *s = &t->pending[tag & (WC_PENDING_SYN_SLOTS - 1)];
	uint32_t q = slot_write_begin(&s->seq);
	s->tag = tag;
	memcpy(s->server, ip->dst, 16);
	s->server_port = ip->dport;
	s->family = ip->family;
	s->used = 1;
	s->flow_id = flow_id;
	s->ts_ns = now;
	slot_write_end(&s->seq, q);
}

/* This worker's own pending SYN answered: a resent SYN-ACK finds nothing
 * until the client sends the SYN again (pending_add re-arms it). */
static void pending_consume(struct wc_pending_syn *s)
{
	uint32_t q = slot_write_begin(&s->seq);
	s->used = 0;
	slot_write_end(&s->seq, q);
}

static struct wc_pending_syn *pending_find(struct wc_tracker *t,
					   const struct wc_ip_layer *ip, uint32_t ack)
{
	unsigned alen = ip->family == 4 ? 4 : 16;
	uint64_t tag = pending_tag(ip->dst, alen, ip->dport, ack);
	struct wc_pending_syn *s = &t->pending[tag & (WC_PENDING_SYN_SLOTS - 1)];
	return s->used && s->tag == tag && s->family == ip->family ? s : NULL;
}

/* ---- TCP ------------------------------------------------------------- */

static void raise_flow_pkt(struct wc_worker *w, const struct wc_pkt *p, unsigned idx,
			   struct wc_flow *f, enum wc_anomaly t,
			   const struct wc_anomaly_detail *d)
{
	wc_worker_raise(w, p, t, (int)idx, f->id, d);
}

/* ---- synack_unexpected_source across workers ------------------------- */

static unsigned answer_index(uint64_t flow_id)
{
	return (unsigned)((flow_id * 0x9e3779b97f4a7c15ull) >> 40) & (WC_VIP_ANSWER_SLOTS - 1);
}

static uint64_t syn_timeout_ns(const struct wc_tracker *t)
{
	return t->cfg.syn_timeout_ns ? t->cfg.syn_timeout_ns
				     : timeout_defaults_ns[WC_LIST_TCP_OPENING];
}

/* A SYN-ACK for a SYN its flow never saw and this worker's pending SYNs
 * do not hold: symmetric RSS may have given the SYN's flow (client <->
 * VIP) to another worker. Look at each peer's slot for the tag (a copy
 * under its sequence lock) and raise as for a SYN of this worker. The
 * peer's slot is not written (one writer per memory): the answer is kept
 * here, by the SYN's flow id, with the slot's version, which both keeps
 * one event per attempt and tells the peer its SYN was answered.
 *
 * Race accepted: the queues are not ordered with each other. If this
 * SYN-ACK is processed before the peer has processed the SYN (its queue
 * lags by more than the SYN -> SYN-ACK time at the probe), nothing is
 * found: no event for this attempt, counted in synack_syn_unseen (with the
 * SYN-ACKs of handshakes picked up midway); the SYN's flow may then end as
 * syn_unanswered. The next attempt (the client's resent SYN re-arms its
 * slot, a resent SYN-ACK after it) is caught. */
static void vip_from_peers(struct wc_worker *w, const struct wc_pkt *p, unsigned idx,
			   struct wc_flow *f, uint32_t ack)
{
	struct wc_tracker *t = &w->track;
	const struct wc_ip_layer *ip = &p->ip[idx];
	unsigned alen = ip->family == 4 ? 4 : 16;
	uint64_t tag = pending_tag(ip->dst, alen, ip->dport, ack);
	for (unsigned i = 0; i < t->n_peers; i++) {
		const struct wc_track_peer *peer = &t->peers[i];
		const struct wc_pending_syn *slot = &peer->pending[tag & (WC_PENDING_SYN_SLOTS - 1)];
		struct wc_pending_syn s;
		uint32_t version = slot_read(&slot->seq, &s, slot, sizeof(s));
		if ((version & 1) || !s.used || s.tag != tag || s.family != ip->family)
			continue;
		if (!memcmp(s.server, ip->src, alen) && s.server_port == ip->sport)
			return; /* from the address the SYN went to */
		struct wc_vip_answer *a = &t->answers[answer_index(s.flow_id)];
		if (a->tag == tag && a->flow_id == s.flow_id && a->peer == peer->id &&
		    a->version == version)
			return; /* this attempt already raised: a resent SYN-ACK */
		if (a->tag && a->flow_id != s.flow_id && a->syn_ns + syn_timeout_ns(t) > t->now_ns)
			w->ctr->vip_answers_lost++; /* its SYN's flow may still be open */
		uint32_t q = slot_write_begin(&a->seq);
		a->tag = tag;
		a->version = version;
		a->flow_id = s.flow_id;
		a->syn_ns = s.ts_ns;
		a->peer = peer->id;
		slot_write_end(&a->seq, q);

		struct wc_anomaly_detail d = {0};
		d.alt_family = s.family;
		memcpy(d.alt_ip, s.server, 16);
		d.alt_port = s.server_port;
		d.aux[0] = s.flow_id;
		f->flags |= WC_FLOW_VIP_ASYMMETRY;
		raise_flow_pkt(w, p, idx, f, WC_ANOM_SYNACK_UNEXPECTED_SOURCE, &d);
		return;
	}
	w->ctr->synack_syn_unseen++;
}

/* A flow of this worker ends with its SYN unanswered in its own entry:
 * did a peer see the SYN-ACK from another address (vip_from_peers)? Read
 * at flow end only, when syn_unanswered or a VIP flag is at stake. The
 * answer must be for a SYN of this flow's lifetime (not an older flow
 * with the same key). */
static int answered_elsewhere(const struct wc_tracker *t, const struct wc_flow *f)
{
	for (unsigned i = 0; i < t->n_peers; i++) {
		const struct wc_vip_answer *slot = &t->peers[i].answers[answer_index(f->id)];
		struct wc_vip_answer a;
		if (slot_read(&slot->seq, &a, slot, sizeof(a)) & 1)
			continue;
		if (a.tag && a.flow_id == f->id && a.syn_ns >= f->first_ns &&
		    a.syn_ns <= f->last_ns)
			return 1;
	}
	return 0;
}

static void tcp_handshake(struct wc_worker *w, const struct wc_pkt *p, unsigned idx,
			  struct wc_flow *f, int from, const struct wc_tcp_info *th)
{
	struct wc_flow_dir *dir = &f->dir[from], *rev = &f->dir[!from];
	struct wc_flow_tally *dt = &f->tally[from], *rt = &f->tally[!from];
	uint64_t now = p->ts_ns;
	uint32_t seglen = th->payload_len + 1 + ((th->flags & TH_FIN) ? 1 : 0);

	if (!(th->flags & TH_ACK)) { /* SYN */
		if ((dir->flags & WC_DIR_SYN) && th->seq == dt->isn) {
			/* retransmitted SYN: counted by the sequence analysis */
		} else {
			dt->isn = th->seq;
			dir->next_seq = th->seq + seglen;
			dir->flags |= WC_DIR_SEQ_KNOWN;
		}
		dir->flags |= WC_DIR_SYN;
		if (th->wscale != 0xff) {
			dir->flags |= WC_DIR_WS;
			dir->wscale = th->wscale;
		}
		if (f->state == WC_TCP_NONE || f->state == WC_TCP_SYN_SENT) {
			f->client = (uint8_t)from;
			f->flags |= WC_FLOW_CLIENT_BY_SYN;
			f->flags &= (uint16_t)~WC_FLOW_MIDSTREAM;
			set_state(f, WC_TCP_SYN_SENT, now);
		}
		f->syn_ns = now;
		pending_add(&w->track, &p->ip[idx], th->seq, f->id, now);
		return;
	}
	/* SYN-ACK */
	if (th->wscale != 0xff) {
		dir->flags |= WC_DIR_WS;
		dir->wscale = th->wscale;
	}
	int answers = (rev->flags & WC_DIR_SYN) && th->ack == rt->isn + 1;
	if (!(dir->flags & WC_DIR_SYN) || th->seq != dt->isn) {
		dt->isn = th->seq;
		dir->next_seq = th->seq + seglen;
		dir->flags |= WC_DIR_SEQ_KNOWN;
	}
	dir->flags |= WC_DIR_SYN;
	if (answers) {
		if (!f->synack_ns) {
			f->synack_ns = now;
			uint64_t us = (now - f->syn_ns) / 1000;
			f->syn_to_synack_us = us > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)us;
		}
		if (f->state == WC_TCP_SYN_SENT)
			set_state(f, WC_TCP_SYN_RECEIVED, now);
		return;
	}
	if (!(rev->flags & WC_DIR_SYN)) {
		/* A SYN-ACK for a SYN this flow never saw: was the SYN sent to
		 * another address (DNAT/VIP asymmetry)? */
		struct wc_pending_syn *s = pending_find(&w->track, &p->ip[idx], th->ack);
		const struct wc_ip_layer *ip = &p->ip[idx];
		unsigned alen = ip->family == 4 ? 4 : 16;
		f->client = (uint8_t)!from;
		f->flags |= WC_FLOW_CLIENT_BY_SYNACK;
		if (f->state == WC_TCP_NONE)
			set_state(f, WC_TCP_SYN_RECEIVED, now);
		if (s && (memcmp(s->server, ip->src, alen) != 0 || s->server_port != ip->sport)) {
			struct wc_anomaly_detail d = {0};
			d.alt_family = s->family;
			memcpy(d.alt_ip, s->server, 16);
			d.alt_port = s->server_port;
			d.aux[0] = s->flow_id;
			f->flags |= WC_FLOW_VIP_ASYMMETRY;
			/* one event per attempt */
			pending_consume(s);
			raise_flow_pkt(w, p, idx, f, WC_ANOM_SYNACK_UNEXPECTED_SOURCE, &d);
			/* the SYN's own flow is part of the same incident */
			struct wc_flow_key k = f->key;
			uint8_t client[16];
			memcpy(client, f->key.addr[f->client], 16);
			memset(k.addr, 0, sizeof(k.addr));
			key_set_ends(&k, client, f->key.port[f->client], s->server,
				     s->server_port, 16); /* zero-padded for IPv4 */
			struct wc_flow *orig = wc_flow_table_lookup(w->track.table, &k,
								    wc_flow_key_hash(&k));
			if (orig && orig != f) {
				uint32_t s = wc_flow_write_begin(orig);
				orig->flags |= WC_FLOW_VIP_ASYMMETRY;
				wc_flow_write_end(orig, s);
			}
		} else if (!s && w->track.n_peers) {
			vip_from_peers(w, p, idx, f, th->ack);
		}
	}
}

/* ---- corrupt segments awaiting their good copy (offload_corruption) ---- */

static struct wc_bad_seg *bad_set(struct wc_tracker *t, uint64_t flow_id, unsigned side)
{
	uint64_t h = (flow_id ^ ((uint64_t)side << 63)) * 0x9e3779b97f4a7c15ull;
	return &t->bad[(h >> 40) % WC_BAD_SEG_SETS * WC_BAD_SEG_WAYS];
}

/* A corrupt segment of side `side`: remember it until a good copy of its
 * bytes (confirmed damage) or an ACK past it (the receiver had it intact:
 * the damage was on the probe's side of the tap) or the end of the flow.
 * A full set gives up its oldest segment, counted. */
static void bad_seg_add(struct wc_worker *w, struct wc_flow *f, unsigned side,
			uint32_t seq, uint32_t end, uint64_t frame)
{
	struct wc_bad_seg *set = bad_set(&w->track, f->id, side), *slot = &set[0];
	for (unsigned i = 0; i < WC_BAD_SEG_WAYS; i++) {
		if (!set[i].flow_id) {
			slot = &set[i];
			break;
		}
		if (set[i].frame < slot->frame)
			slot = &set[i];
	}
	if (slot->flow_id)
		w->ctr->bad_segs_untracked++;
	slot->flow_id = f->id;
	slot->frame = frame;
	slot->seq = seq;
	slot->end = end;
	slot->side = (uint8_t)side;
	struct wc_flow_dir *dir = &f->dir[side];
	dir->n_bad += dir->n_bad < 255;
}

enum bad_seg_op { BAD_SEG_RESENT, BAD_SEG_ACKED, BAD_SEG_FORGET };

/* Walk side's pending corrupt segments: RESENT confirms (and forgets) each
 * one a good copy [seq, end) overlaps, ACKED forgets those wholly below the
 * cumulative ACK `seq`, FORGET all of them. Returns how many RESENT
 * confirmed; the side's n_bad becomes the exact count left. */
static unsigned bad_seg_walk(struct wc_worker *w, const struct wc_pkt *p, unsigned idx,
			     struct wc_flow *f, unsigned side, enum bad_seg_op op,
			     uint32_t seq, uint32_t end)
{
	struct wc_bad_seg *set = bad_set(&w->track, f->id, side);
	unsigned left = 0, confirmed = 0;
	for (unsigned i = 0; i < WC_BAD_SEG_WAYS; i++) {
		struct wc_bad_seg *b = &set[i];
		if (b->flow_id != f->id || b->side != side)
			continue;
		int drop = op == BAD_SEG_FORGET ||
			   (op == BAD_SEG_ACKED && seq_le(b->end, seq)) ||
			   (op == BAD_SEG_RESENT && seq_lt(b->seq, end) && seq_lt(seq, b->end));
		if (!drop) {
			left++;
			continue;
		}
		if (op == BAD_SEG_RESENT) {
			struct wc_anomaly_detail d = {0};
			d.aux[0] = b->frame;
			d.aux[1] = b->seq;
			d.aux[2] = b->end - b->seq;
			wc_worker_sender_confirmed(w, &p->ip[idx]);
			wc_worker_raise(w, p, WC_ANOM_OFFLOAD_CORRUPTION, (int)idx, f->id, &d);
			confirmed++;
		}
		b->flow_id = 0;
	}
	f->dir[side].n_bad = (uint8_t)(left > 255 ? 255 : left);
	return confirmed;
}

/* Wireshark's out-of-order threshold: the handshake RTT seen at the probe
 * when known, else 3 ms. */
static uint64_t ooo_window_us(const struct wc_flow *f)
{
	if (f->syn_to_synack_us != UINT32_MAX && f->synack_to_ack_us != UINT32_MAX)
		return (uint64_t)f->syn_to_synack_us + f->synack_to_ack_us;
	return OOO_WINDOW_US;
}

static void tcp_segment(struct wc_worker *w, const struct wc_pkt *p, unsigned idx,
			struct wc_flow *f, int from, int bad)
{
	const struct wc_tcp_info *th = &p->l4.tcp;
	struct wc_flow_dir *dir = &f->dir[from], *rev = &f->dir[!from];
	struct wc_flow_tally *dt = &f->tally[from], *rt = &f->tally[!from];
	uint64_t now = p->ts_ns;
	uint32_t now_us = wc_flow_us(now);
	uint8_t fl = th->flags;
	uint32_t seglen = th->payload_len + ((fl & TH_SYN) ? 1 : 0) + ((fl & TH_FIN) ? 1 : 0);
	uint32_t seq = th->seq, end = th->seq + seglen;

	if (bad) {
		/* A receiver drops it: it was sent (its good copy will be a
		 * retransmission) but it changes nothing else. */
		if (seglen) {
			if (!(dir->flags & WC_DIR_SEQ_KNOWN)) {
				dir->next_seq = end;
				dir->flags |= WC_DIR_SEQ_KNOWN;
			} else if (seq_gt(end, dir->next_seq)) {
				dir->next_seq = end;
			}
			bad_seg_add(w, f, (unsigned)from, seq, end, p->frame_no);
			dir->last_seg_us = now_us;
		}
		return;
	}

	const struct wc_ip_layer *ip = &p->ip[idx];
	if ((ip->tos & 3) == 3)
		dt->ecn_ce++;
	else if (ip->tos & 3)
		dt->ecn_ect++;
	if (fl & TH_SYN) {
		/* ECN negotiation (RFC 3168 §6.1.1; AccECN, RFC 9768 §3.1.1:
		 * its SYN sets AE, CWR and ECE, and a SYN-ACK agreeing to it
		 * sets AE or CWR, where an RFC 3168 one sets ECE alone) */
		if (!(fl & TH_ACK)) {
			if ((fl & (TH_ECE | TH_CWR)) == (TH_ECE | TH_CWR))
				f->flags |= WC_FLOW_ECN_SETUP;
		} else if (f->flags & WC_FLOW_ECN_SETUP) {
			if (th->ae || (fl & TH_CWR))
				f->flags |= WC_FLOW_ACCECN;
			else if (fl & TH_ECE)
				f->flags |= WC_FLOW_ECN_CLASSIC;
		}
	} else if ((fl & (TH_ECE | TH_CWR)) && !(f->flags & WC_FLOW_ACCECN)) {
		/* congestion echoed, and the sender's reaction (the tally's
		 * line is written only when one is set) */
		dt->ece += !!(fl & TH_ECE);
		dt->cwr += !!(fl & TH_CWR);
	}

	/* a SYN repeating the ISN already seen is a retransmission; a SYN with
	 * a new ISN is a new attempt (port reuse, SYN floods) */
	int syn_again = (fl & TH_SYN) && (dir->flags & WC_DIR_SYN) && seq == dt->isn;
	if (fl & TH_SYN) {
		dt->syns++;
		tcp_handshake(w, p, idx, f, from, th);
	} else if (f->state == WC_TCP_NONE) {
		/* picked up mid-stream: no handshake to wait for */
		f->flags |= WC_FLOW_MIDSTREAM;
		f->client = client_by_ports(f, from);
		set_state(f, WC_TCP_ESTABLISHED, now);
	}

	/* window scaling applies only when both SYNs offered it (RFC 7323 §2.2) */
	unsigned scale = (dir->flags & WC_DIR_WS) && (rev->flags & WC_DIR_WS) ? dir->wscale : 0;
	uint32_t win = (fl & TH_SYN) ? th->win : (uint32_t)th->win << scale;

	if (fl & TH_RST) {
		dt->rsts++;
		if (f->state != WC_TCP_CLOSED) {
			/* a flow picked up mid-stream never showed its handshake
			 * nor, so, which data came first */
			if (!(f->flags & (WC_FLOW_VIP_ASYMMETRY | WC_FLOW_RST_FIRST_DATA |
					  WC_FLOW_MIDSTREAM)) &&
			    (f->flags & WC_FLOW_ESTABLISHED_ONCE) && from != f->client &&
			    (f->dir[f->client].timers & WC_TM_DATA) && !(dir->timers & WC_TM_DATA)) {
				struct wc_anomaly_detail d = {0};
				d.aux[0] = f->dir[f->client].bytes;
				f->flags |= WC_FLOW_RST_FIRST_DATA;
				raise_flow_pkt(w, p, idx, f, WC_ANOM_RST_AFTER_FIRST_DATA, &d);
			}
			f->end = WC_END_RST;
			set_state(f, WC_TCP_CLOSED, now);
		}
		return;
	}

	/* ---- sequence analysis (Wireshark's tcp.analysis order) ---- */
	int keepalive = 0, zwp = 0;
	if (!(dir->flags & WC_DIR_SEQ_KNOWN)) {
		dir->next_seq = end;
		dir->flags |= WC_DIR_SEQ_KNOWN;
		if (th->payload_len)
			dir->last_seg_us = now_us;
	} else if (!(fl & TH_SYN) || syn_again) {
		if (seglen == 1 && seq == dir->next_seq && (rev->flags & WC_DIR_WIN_KNOWN) &&
		    rev->win == 0 && th->payload_len == 1) {
			zwp = 1;
			dt->zwp++;
		}
		if (!zwp && seglen <= 1 && !(fl & (TH_SYN | TH_FIN)) &&
		    seq == dir->next_seq - 1) {
			keepalive = 1;
			dt->keepalive++;
		}
		if (th->payload_len && (rev->flags & (WC_DIR_WIN_KNOWN | WC_DIR_ACK_KNOWN)) ==
					       (WC_DIR_WIN_KNOWN | WC_DIR_ACK_KNOWN) &&
		    end == rev->max_ack + rev->win)
			dt->window_full++;
		/* the answer to a keep-alive or a zero-window probe repeats the
		 * last ACK by design: not a duplicate ACK (Wireshark agrees) */
		if (!th->payload_len && !(fl & (TH_SYN | TH_FIN)) && (fl & TH_ACK) &&
		    th->win && th->win == dir->raw_win && seq == dir->next_seq &&
		    (dir->flags & WC_DIR_ACK_KNOWN) && th->ack == dir->max_ack &&
		    (dir->flags & WC_DIR_WIN_KNOWN) && !rev->last_probe) {
			dt->dupacks++;
			dir->dupack_run += dir->dupack_run < 255; /* saturates: 256 must not read as 0 */
			dt->last_dupack_us = now_us;
		} else if ((fl & TH_ACK) && (!(dir->flags & WC_DIR_ACK_KNOWN) ||
					      th->ack != dir->max_ack)) {
			dir->dupack_run = 0; /* a new ACK value ends the run */
		}
		/* more than one byte from next_seq - 1 adds data after a probe
		 * byte: new data, not a resend (Wireshark's exception) */
		int probe_then_data = th->payload_len > 1 && seq == dir->next_seq - 1;
		if (seglen && !keepalive && !zwp && !probe_then_data &&
		    seq_lt(seq, dir->next_seq)) {
			/* a retransmission of some kind. Data the receiver has
			 * already acknowledged is a (spurious) retransmission
			 * whatever its timing: Wireshark tests that first, so a
			 * late duplicate is never out-of-order. */
			enum wc_anomaly kind = WC_ANOM_RTO_RETRANSMISSION;
			int acked = th->payload_len && (rev->flags & WC_DIR_ACK_KNOWN) &&
				    seq_le(seq + th->payload_len, rev->max_ack);
			if (acked) {
				/* kind stays RTO: neither fast nor out-of-order */
			} else if (rev->dupack_run >= 2 && rev->max_ack == seq &&
			    (uint32_t)(now_us - rt->last_dupack_us) < FAST_RETX_WINDOW_US) {
				kind = WC_ANOM_FAST_RETRANSMISSION;
			} else if ((uint32_t)(now_us - dir->last_seg_us) < ooo_window_us(f) &&
				   dir->next_seq != end) {
				dt->ooo++;
				kind = WC_ANOM_COUNT;
			}
			if (kind != WC_ANOM_COUNT) {
				dt->retx++;
				dt->spurious_retx += (uint32_t)acked;
				if (kind == WC_ANOM_FAST_RETRANSMISSION)
					dt->fast_retx++;
				else
					dt->rto_retx++;
				struct wc_anomaly_detail d = {0};
				d.aux[0] = seq;
				d.aux[1] = seglen;
				d.aux[2] = (uint64_t)acked;
				raise_flow_pkt(w, p, idx, f, kind, &d);
			}
			/* Karn: a retransmitted range gives no RTT sample */
			if ((dir->timers & WC_TM_RTT) && seq_lt(seq, dir->rtt_end))
				dir->timers &= (uint8_t)~WC_TM_RTT;
			if ((dir->timers & WC_TM_STALL) && seq_lt(seq, dir->stall_end))
				dir->timers &= (uint8_t)~WC_TM_STALL;
			if (dir->n_bad)
				bad_seg_walk(w, p, idx, f, (unsigned)from, BAD_SEG_RESENT, seq, end);
			if (seq_gt(end, dir->next_seq)) {
				/* the out-of-order window runs from the segment
				 * that last raised next_seq, whatever it was */
				dir->next_seq = end;
				dir->last_seg_us = now_us;
			}
		} else if (seglen && !keepalive && !zwp) {
			/* new data (a gap means segments the probe did not see) */
			if (th->payload_len) {
				if (dir->timers & WC_TM_STALL_ACK) {
					/* data right after a late ACK: the sender was
					 * waiting for it (Nagle meeting a delayed ACK) */
					if ((uint32_t)(now_us - dir->stall_ack_us) <= STALL_RESUME_US) {
						uint64_t us = dt->stall_delay_us;
						struct wc_anomaly_detail d = {0};
						d.value_us = us;
						f->ack_stalls++;
						if (us > f->max_ack_stall_us)
							f->max_ack_stall_us = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
						raise_flow_pkt(w, p, idx, f, WC_ANOM_ACK_STALL, &d);
					}
					dir->timers &= (uint8_t)~WC_TM_STALL_ACK;
				}
				/* nothing unacknowledged before it: a stall candidate;
				 * anything already in flight: not one */
				if ((rev->flags & WC_DIR_ACK_KNOWN) && rev->max_ack == seq &&
				    seq == dir->next_seq && !(dir->timers & WC_TM_STALL)) {
					dir->timers |= WC_TM_STALL;
					dir->stall_us = now_us;
					dir->stall_end = end;
				} else {
					dir->timers &= (uint8_t)~WC_TM_STALL;
				}
				if (!(dir->timers & WC_TM_RTT)) {
					dir->timers |= WC_TM_RTT;
					dir->rtt_us = now_us;
					dir->rtt_end = end;
				}
			}
			dir->next_seq = end;
			dir->last_seg_us = now_us;
		}
	}
	if (zwp)
		dir->last_seg_us = now_us;
	dir->last_probe = (uint8_t)(keepalive || zwp);

	if (!th->win && !(fl & (TH_SYN | TH_FIN | TH_RST))) {
		dt->zero_win++;
		raise_flow_pkt(w, p, idx, f, WC_ANOM_ZERO_WINDOW, NULL);
	}

	/* first payload bytes each way: time to first byte */
	if (th->payload_len && !(dir->timers & WC_TM_DATA)) {
		dir->timers |= WC_TM_DATA;
		f->first_data_ns[from] = now;
		if (from != f->client && (f->dir[f->client].timers & WC_TM_DATA)) {
			uint64_t us = (now - f->first_data_ns[f->client]) / 1000;
			f->ttfb_us = us > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)us;
		}
	}

	/* ---- ACK processing ---- */
	if (fl & TH_ACK) {
		uint32_t ack = th->ack;
		int advances = !(dir->flags & WC_DIR_ACK_KNOWN) || seq_gt(ack, dir->max_ack);
		if (advances) {
			if (!(f->flags & WC_FLOW_TS_BOTH) && (rev->timers & WC_TM_RTT) &&
			    seq_le(rev->rtt_end, ack)) {
				add_rtt(f, (uint32_t)(now_us - rev->rtt_us));
				rev->timers &= (uint8_t)~WC_TM_RTT;
			}
			if ((rev->timers & WC_TM_STALL) && seq_le(rev->stall_end, ack)) {
				uint32_t delay = now_us - rev->stall_us;
				if (delay >= w->track.cfg.ack_stall_us && !th->payload_len) {
					rev->timers |= WC_TM_STALL_ACK;
					rev->stall_ack_us = now_us;
					rt->stall_delay_us = delay;
				}
				rev->timers &= (uint8_t)~WC_TM_STALL;
			}
		}
		/* the handshake completes with an ACK of the SYN-ACK whose
		 * sequence number is in the window the SYN-ACK offered (RFC 793
		 * §3.9; Linux's tcp_check_req), so also with data after a hole
		 * when the bare ACK and the first segment were lost before the
		 * probe, as Wireshark's initial_rtt counts it; the server drops
		 * one whose sequence number is elsewhere */
		uint32_t off = seq - (dt->isn + 1);
		if (f->state == WC_TCP_SYN_RECEIVED && from == f->client &&
		    (rev->flags & WC_DIR_SYN) && ack == rt->isn + 1 && !(fl & TH_SYN) &&
		    (!(dir->flags & WC_DIR_SYN) || off == 0 || off < rev->win)) {
			if (f->synack_ns) {
				uint64_t us = (now - f->synack_ns) / 1000;
				f->synack_to_ack_us = us > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)us;
			}
			set_state(f, WC_TCP_ESTABLISHED, now);
		}
		if ((rev->flags & WC_DIR_FIN) && seq_gt(ack, rt->fin_seq))
			rev->flags |= WC_DIR_FIN_ACKED;
		if (advances) {
			dir->max_ack = ack;
			if (rev->n_bad)
				bad_seg_walk(w, p, idx, f, (unsigned)!from, BAD_SEG_ACKED, ack, ack);
		}
		dir->flags |= WC_DIR_ACK_KNOWN;
	}
	dir->win = win;
	dir->raw_win = th->win;
	dir->flags |= WC_DIR_WIN_KNOWN;

	/* ---- timestamps: RTT from TSecr echoes (RFC 7323 §4) ---- */
	if (th->has_ts) {
		dir->flags |= WC_DIR_TS;
		if ((rev->flags & WC_DIR_TS) && (dir->flags & WC_DIR_TS))
			f->flags |= WC_FLOW_TS_BOTH;
		if ((f->flags & WC_FLOW_TS_BOTH) && (rev->timers & WC_TM_TS) && (fl & TH_ACK)) {
			if (th->ts_ecr == rev->ts_val) {
				add_rtt(f, (uint32_t)(now_us - rev->ts_us));
				rev->timers &= (uint8_t)~WC_TM_TS;
			} else if ((int32_t)(th->ts_ecr - rev->ts_val) > 0) {
				/* a newer TSval is echoed: the timed one was lost
				 * (or its ACK was): time the next one instead */
				rev->timers &= (uint8_t)~WC_TM_TS;
			}
		}
		if (th->payload_len && !(dir->timers & WC_TM_TS) && th->ts_val != dir->ts_val) {
			dir->timers |= WC_TM_TS;
			dir->ts_val = th->ts_val;
			dir->ts_us = now_us;
		}
	}

	/* ---- FIN and the close ---- */
	if (fl & TH_FIN) {
		if (!(dir->flags & WC_DIR_FIN)) {
			dir->flags |= WC_DIR_FIN;
			dt->fin_seq = seq + th->payload_len;
			dt->fins++;
			f->end = WC_END_FIN;
			set_state(f, (rev->flags & WC_DIR_FIN) ? WC_TCP_CLOSING : WC_TCP_FIN_WAIT, now);
		}
	}
	if (f->state == WC_TCP_CLOSING && (f->dir[0].flags & WC_DIR_FIN_ACKED) &&
	    (f->dir[1].flags & WC_DIR_FIN_ACKED))
		set_state(f, WC_TCP_CLOSED, now);
}

/* ---- ICMP echo RTT per host pair -------------------------------------- */

static void icmp_echo(struct wc_flow *f, const struct wc_pkt *p)
{
	uint8_t t = p->l4.icmp.type;
	if (t == 8 || t == 128) {
		f->echo_seq = p->l4.icmp.seq;
		f->echo_ns = p->ts_ns;
	} else if ((t == 0 || t == 129) && f->echo_ns && p->l4.icmp.seq == f->echo_seq) {
		add_rtt(f, (p->ts_ns - f->echo_ns) / 1000);
		f->echo_ns = 0;
	}
}

/* ---- entry points ------------------------------------------------------ */

/* Would a receiver drop this packet? Any bad checksum on its way says yes,
 * except an L4 checksum in a datagram whose IPv4 header checksum is still
 * 0 (partial): that frame was captured before the NIC filled its checksums
 * in (the sender's own outgoing traffic), so its L4 field is not final
 * either and proves no damage. */
static int packet_is_bad(const struct wc_pkt *p)
{
	for (unsigned i = 0; i < p->n_cs; i++) {
		const struct wc_csum_check *c = &p->cs[i];
		if (c->verdict != WC_VERDICT_BAD)
			continue;
		int hdr_pending = 0;
		for (unsigned k = 0; k < p->n_cs; k++)
			if (p->cs[k].layer == WC_LAYER_IPV4 && p->cs[k].ip_idx == c->ip_idx &&
			    p->cs[k].verdict == WC_VERDICT_PARTIAL)
				hdr_pending = 1;
		if (!hdr_pending || c->layer == WC_LAYER_IPV4)
			return 1;
	}
	return 0;
}

int wc_track_prepare(struct wc_worker *w, const struct wc_pkt *p, struct wc_track_hint *h)
{
	struct wc_tracker *t = &w->track;
	h->valid = 0;
	if (!t->table || !p->n_ip)
		return 0;
	unsigned idx = p->has_l4 ? p->l4_ip_idx : p->n_ip - 1u;
	const struct wc_ip_layer *ip = &p->ip[idx];
	if ((ip->flags & WC_IPF_FRAGMENT) && !(ip->flags & WC_IPF_FIRST_FRAG))
		return 0; /* no ports: cannot be placed in its flow */
	if (ip->proto == 6 && !(p->has_l4 && p->l4_proto == 6))
		return 0; /* TCP header unusable (malformed or cut) */
	int from;
	uint64_t kw[WC_FLOW_KEY_WORDS];
	build_key(p, idx, w->vlan_mask, kw, &from);
	memcpy(&h->key, kw, sizeof(h->key));
	h->from = (uint8_t)from;
	h->ip_idx = (uint8_t)idx;
	h->hash = wc_flow_key_hash_words(kw);
	h->valid = 1;
	wc_flow_table_prefetch_slot(t->table, h->hash);
	return 1;
}

void wc_track_prefetch(struct wc_worker *w, const struct wc_track_hint *h)
{
	const struct wc_flow *f = wc_flow_table_prefetch_entry(w->track.table, h->hash);
	if (!f)
		return;
	/* line 1, and the directions' hot lines (flow.h) */
	__builtin_prefetch((const char *)f + 64);
	__builtin_prefetch(&f->dir[0]);
	__builtin_prefetch(&f->dir[1]);
}

void wc_track_packet(struct wc_worker *w, const struct wc_pkt *p,
		     const struct wc_track_hint *hint)
{
	struct wc_tracker *t = &w->track;
	if (!hint->valid)
		return;
	t->now_ns = p->ts_ns > t->now_ns ? p->ts_ns : t->now_ns;
	unsigned idx = hint->ip_idx;
	const struct wc_flow_key k = hint->key;
	int from = hint->from;
	uint32_t h = hint->hash;
	int bad = packet_is_bad(p);
	/* an anomaly of this packet before the tracker may have looked its
	 * flow up already (the worker's rate limit): nothing has changed the
	 * table since */
	struct wc_flow *f = w->cur_hint == hint && w->cur_flow_known
				    ? w->cur_flow
				    : wc_flow_table_lookup(t->table, &k, h);
	if (f && wc_flow_table_idle_expired(t->table, f, p->ts_ns)) {
		/* idle past its timeout before this packet: it ended then, the
		 * same whether or not a burst boundary fell in between */
		wc_flow_table_end(t->table, f, WC_END_TIMEOUT);
		f = NULL;
	}
	if (f && k.proto == 6 && !bad && (p->l4.tcp.flags & 0x12) == 0x02 &&
	    (f->state == WC_TCP_CLOSED || f->state == WC_TCP_CLOSING) &&
	    (f->dir[from].flags & WC_DIR_SYN) && p->l4.tcp.seq != f->tally[from].isn) {
		/* a SYN with a new ISN on a closed connection: the ports were
		 * reused; the old flow ends here and a new one starts */
		wc_flow_table_end(t->table, f, WC_END_FIN);
		f = NULL;
	}
	if (!f) {
		if (bad)
			return; /* a packet the receiver drops opens no connection */
		f = wc_flow_table_insert(t->table, &k, h, p->ts_ns,
					 k.proto == 6 ? WC_LIST_TCP_OPENING : WC_LIST_OTHER);
		if (!f)
			return;
		f->id = wc_track_flow_id(p, idx, w->vlan_mask);
		wc_worker_flow_adopt(w, f);
		f->first_frame = p->frame_no;
		f->syn_to_synack_us = f->synack_to_ack_us = UINT32_MAX;
		f->ttfb_us = UINT32_MAX;
		if (k.proto != 6)
			f->client = client_by_ports(f, from);
		w->ctr->flows_created++;
	}
	wc_worker_flow_current(w, f);

	/* sequence lock: odd while the entry changes */
	uint32_t s = wc_flow_write_begin(f);

	struct wc_flow_dir *dir = &f->dir[from];
	dir->pkts++;
	dir->bytes += p->wirelen;
	for (unsigned i = 0; i < p->n_cs; i++) {
		if (p->cs[i].ip_idx != idx)
			continue;
		/* the counters' line is written only when one moves */
		if (p->cs[i].verdict == WC_VERDICT_BAD)
			f->tally[from].csum_bad++;
		else if (p->cs[i].verdict == WC_VERDICT_PARTIAL)
			f->tally[from].csum_partial++;
	}
	if (k.proto == 6)
		tcp_segment(w, p, idx, f, from, bad);
	else if (!bad && p->has_l4 && (p->l4_proto == 1 || p->l4_proto == 58))
		icmp_echo(f, p);

	wc_flow_table_touch(t->table, f, list_of(f), p->ts_ns);
	wc_flow_write_end(f, s);
}

void wc_track_expire(struct wc_worker *w)
{
	struct wc_tracker *t = &w->track;
	if (t->table)
		wc_flow_table_expire(t->table, t->now_ns, 64);
}

void wc_track_tick(struct wc_worker *w, uint64_t now_ns)
{
	struct wc_tracker *t = &w->track;
	if (now_ns > t->now_ns)
		t->now_ns = now_ns;
	wc_track_expire(w);
	if (t->table)
		w->ctr->flows_active = wc_flow_table_count(t->table);
}

void wc_track_shutdown(struct wc_worker *w)
{
	struct wc_tracker *t = &w->track;
	if (!t->table)
		return;
	wc_flow_table_expire(t->table, t->now_ns, UINT32_MAX);
	wc_flow_table_flush(t->table, WC_END_SHUTDOWN);
}

static void on_flow_end(void *arg, struct wc_flow *f, enum wc_flow_end why)
{
	struct wc_worker *w = arg;
	uint64_t end_ns = f->last_ns;
	state_account(f, end_ns);
	f->end = (uint8_t)why;

	if (f->key.proto == 6) {
		for (unsigned side = 0; side < 2; side++)
			if (f->dir[side].n_bad)
				bad_seg_walk(w, NULL, 0, f, side, BAD_SEG_FORGET, 0, 0);
		const struct wc_flow_tally *c = &f->tally[f->client];
		if (why == WC_END_TIMEOUT && !(f->flags & WC_FLOW_EVICTED) &&
		    (f->flags & (WC_FLOW_ESTABLISHED_ONCE | WC_FLOW_MIDSTREAM)) &&
		    !(f->dir[0].flags & WC_DIR_FIN) && !(f->dir[1].flags & WC_DIR_FIN) &&
		    !f->tally[0].rsts && !f->tally[1].rsts) {
			struct wc_anomaly_detail d = {0};
			d.value_us = (w->track.now_ns - f->last_ns) / 1000;
			wc_worker_raise_flow(w, f, WC_ANOM_MISSING_FIN, &d);
		}
		/* its SYN answered by another worker's flow: as when one
		 * worker holds both flows, part of the VIP incident */
		if (w->track.n_peers && (f->flags & WC_FLOW_CLIENT_BY_SYN) && !f->synack_ns &&
		    !(f->flags & WC_FLOW_VIP_ASYMMETRY) &&
		    !(f->dir[!f->client].flags & WC_DIR_SYN) && answered_elsewhere(&w->track, f))
			f->flags |= WC_FLOW_VIP_ASYMMETRY;
		if (c->syns >= 2 && !f->synack_ns && !(f->flags & WC_FLOW_VIP_ASYMMETRY) &&
		    !(f->dir[!f->client].flags & WC_DIR_SYN)) {
			struct wc_anomaly_detail d = {0};
			d.aux[0] = c->syns;
			wc_worker_raise_flow(w, f, WC_ANOM_SYN_UNANSWERED, &d);
		}
	}
	wc_worker_flow_ended(w, f);
}
