/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow tracking and TCP analysis (SPEC §4): per packet, find or create the
 * flow, follow the TCP state machine, count retransmissions (fast / RTO),
 * out-of-order, duplicate ACKs, zero windows, keep-alives, measure RTTs,
 * and run the detectors. Runs inside the worker; nothing here allocates or
 * blocks on the packet path.
 */
#ifndef WC_TRACK_H
#define WC_TRACK_H

#include <stdint.h>

#include "../decode/pkt.h"
#include "flow_table.h"

struct wc_worker;

struct wc_track_cfg {
	uint32_t capacity;        /* flows per worker */
	uint64_t tcp_timeout_ns;  /* established idle timeout (0 = default) */
	uint64_t syn_timeout_ns;  /* opening (SYN seen, not established) */
	uint64_t closed_timeout_ns; /* after FIN/RST */
	uint64_t other_timeout_ns;  /* UDP, ICMP, other protocols */
	uint64_t ack_stall_ns;    /* ack_stall threshold (30 ms) */
};

#define WC_PENDING_SYN_SLOTS 4096

/* A SYN waiting for its SYN-ACK, keyed by (client, client port, ISN + 1):
 * how a SYN-ACK from an unexpected address finds the SYN it answers. */
struct wc_pending_syn {
	uint64_t tag;
	uint8_t server[16];
	uint16_t server_port;
	uint8_t family;
	uint8_t used;
	uint64_t flow_id;
	uint64_t ts_ns;
};

/* A segment with a bad checksum waiting for its good copy (SPEC §4
 * offload_corruption). Each one is confirmed at most once, by the first good
 * copy overlapping its bytes; one kept per corrupt segment, so a resend
 * that covers several confirms each of them, and a good segment resent for
 * another reason (a loss past the probe) confirms none. Kept apart from the
 * flow entry: a set of WC_BAD_SEG_WAYS slots per (flow, sender side),
 * touched only by corrupt segments, by retransmissions and ACKs of a side
 * with some pending, and when such a flow ends. */
#define WC_BAD_SEG_SETS 128
#define WC_BAD_SEG_WAYS 32 /* a burst of corrupt TSO frames before the RTO */

struct wc_bad_seg {
	uint64_t flow_id; /* 0 = free */
	uint64_t frame;   /* pcap_cnt of the corrupt frame */
	uint32_t seq, end;
	uint8_t side;     /* key side of the sender */
};

/* Per packet, computed in a first pass over a burst so that the table's
 * cache misses of the whole burst overlap (wc_track_prepare), then used by
 * wc_track_packet. */
struct wc_track_hint {
	struct wc_flow_key key;
	uint32_t hash;
	uint8_t valid;
	uint8_t ip_idx;
	uint8_t from; /* key side that sent the packet */
};

struct wc_tracker {
	struct wc_flow_table *table;
	struct wc_track_cfg cfg;
	struct wc_pending_syn *pending; /* WC_PENDING_SYN_SLOTS */
	struct wc_bad_seg *bad; /* WC_BAD_SEG_SETS * WC_BAD_SEG_WAYS */
	uint64_t now_ns;
	uint32_t expire_tick;
};

int wc_track_init(struct wc_worker *w, struct wc_flow *entries, uint64_t *index,
		  uint32_t capacity, uint32_t index_size, const struct wc_track_cfg *cfg);
void wc_track_fini(struct wc_worker *w);
/* Returns 1 when the packet is tracked (hint filled, index slot prefetched). */
int wc_track_prepare(struct wc_worker *w, const struct wc_pkt *p, struct wc_track_hint *h);
/* Second pass over a burst: prefetch the flow entry's lines the analysis
 * of this packet reads (the table's first line, the flow-wide line, the
 * first line of each direction). */
void wc_track_prefetch(struct wc_worker *w, const struct wc_track_hint *h);
void wc_track_packet(struct wc_worker *w, const struct wc_pkt *p,
		     const struct wc_track_hint *h);
/* Expire idle flows at packet time (called once per burst). */
void wc_track_expire(struct wc_worker *w);
/* Live capture: advance packet time while idle (wall clock), so flows
 * still expire when traffic stops. */
void wc_track_tick(struct wc_worker *w, uint64_t now_ns);
/* End of capture: expire what is idle at the last packet time, then end
 * every remaining flow with reason shutdown. */
void wc_track_shutdown(struct wc_worker *w);

/* Trouble score used to rank flows in summaries. */
uint64_t wc_flow_trouble(const struct wc_flow *f);

#endif
