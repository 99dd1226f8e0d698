/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dataplane worker: decode -> checksum verdicts -> detectors -> events.
 * One per core; everything it writes is its own (its shm block, its rate
 * limiter), so nothing here takes a lock or makes a syscall per packet.
 * Not thread-safe: one thread drives one worker.
 */
#ifndef WC_WORKER_H
#define WC_WORKER_H

#include <stdint.h>

#include "../decode/pkt.h"
#include "../flow/track.h"
#include "history.h"
#include "wirecheck/shm.h"

#define WC_BURST 64
#define WC_RATELIMIT_SLOTS 65536 /* power of two */

struct wc_rl_slot {
	uint64_t key;
	uint8_t count[WC_ANOM_COUNT];
};

/* Called when the event ring is full under WC_RING_WAIT. Returns 0 to try
 * again, non-zero to give up and drop (the consumer is gone). */
typedef int (*wc_ring_wait_fn)(void *arg);

struct wc_worker_cfg {
	uint32_t mtu;
	const uint32_t *port_mtu; /* WC_MAX_PORTS MTUs by view port (0 = mtu), or NULL */
	uint64_t tcp_timeout_ns; /* 0 = default (each timeout) */
	uint64_t syn_timeout_ns;
	uint64_t closed_timeout_ns;
	uint64_t other_timeout_ns;
	uint64_t ack_stall_ns;   /* 0 = default 30 ms */
	int ignore_vlan;         /* VLAN ids left out of the flow key */
	uint32_t history;        /* recent-packet history entries, 0 = none */
	uint32_t context;        /* earlier packets of its flow published with an
				  * anomaly (at most WC_EVIDENCE_CONTEXT_MAX) */
};

struct wc_worker {
	unsigned id;
	struct wc_shm_header *hdr;
	struct wc_worker_shm *shm;
	struct wc_counters *ctr;
	uint64_t cached_tail;
	uint32_t linktype;
	uint32_t rate_limit;
	uint32_t ring_policy;
	wc_ring_wait_fn ring_wait;
	void *ring_wait_arg;
	struct wc_decode_cfg dcfg;
	struct wc_rl_slot *rl; /* WC_RATELIMIT_SLOTS, allocated at init */
	/* a rate-limited type's index in wc_flow.events, 0xff for the others */
	uint8_t rl_index[WC_ANOM_COUNT];
	struct wc_tracker track;
	struct wc_history hist; /* the last tracked packets (history.h) */
	uint32_t context;       /* cfg.context, bounded by the ring */
	uint16_t vlan_mask;     /* VLAN id bits in flow keys and ids: 0 with cfg.ignore_vlan */
	uint32_t group_n;       /* records reserved by anomaly_reserve() */
	uint64_t event_seq;     /* events published (wc_event.seq) */
	/* the packet being accounted and its hint: an anomaly about it finds
	 * its flow's earlier packets; exported: its own bytes are in an
	 * event, so it is no context for a later one */
	const struct wc_pkt *cur_pkt;
	const struct wc_track_hint *cur_hint;
	uint8_t cur_exported;
	/* its tracked flow, once looked up (cur_flow_known): where its
	 * anomalies are rate-limited */
	uint8_t cur_flow_known;
	struct wc_flow *cur_flow;
	struct wc_pkt pkts[WC_BURST];
	struct wc_track_hint hints[WC_BURST];
} __attribute__((aligned(64))); /* workers side by side share no line */

/* 0 or -errno. Allocates the rate-limit table and the packet history
 * (never on the packet path). */
int wc_worker_init(struct wc_worker *w, unsigned id, struct wc_shm_header *hdr,
		   uint32_t linktype, const struct wc_worker_cfg *cfg);
void wc_worker_fini(struct wc_worker *w);
void wc_worker_process(struct wc_worker *w, const struct wc_pkt_view *v,
		       unsigned n);
/* End of input: expire and flush every flow (flow events, reason
 * timeout/shutdown) so the counters are final. */
void wc_worker_finish(struct wc_worker *w);

/* For the flow tracker: count an anomaly and, within the per-flow rate
 * limit, publish its event with the addresses of IP layer ip_idx (flow_id
 * 0: derived from the packet). When p is the packet being processed and
 * is tracked, up to cfg.context earlier packets of its flow from the
 * history that no event carried yet are published just before it
 * (WC_EVENT_PACKET records, in the same commit). */
void wc_worker_raise(struct wc_worker *w, const struct wc_pkt *p, enum wc_anomaly t,
		     int ip_idx, uint64_t flow_id, const struct wc_anomaly_detail *d);
/* Same for an anomaly about a whole flow (client as source, no packet). */
void wc_worker_raise_flow(struct wc_worker *w, const struct wc_flow *f,
			  enum wc_anomaly t, const struct wc_anomaly_detail *d);
/* For the flow tracker: f is the tracked flow of the packet being
 * processed (its anomalies' rate limit is kept in it). */
void wc_worker_flow_current(struct wc_worker *w, struct wc_flow *f);
/* For the flow tracker: a new flow f takes over the rate-limit counts its
 * id gathered before it had an entry. */
void wc_worker_flow_adopt(struct wc_worker *w, struct wc_flow *f);
/* A flow left the table: its flow event, the top-flows list, counters. */
void wc_worker_flow_ended(struct wc_worker *w, const struct wc_flow *f);
/* An offload_corruption confirmed for the sender of this layer. */
void wc_worker_sender_confirmed(struct wc_worker *w, const struct wc_ip_layer *ip);

#endif
