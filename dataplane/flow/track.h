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

#include <stdatomic.h>
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
	uint32_t ack_stall_us;    /* ack_stall threshold (30 ms), in the direction
				   * timers' unit (flow.h) */
};

#define WC_PENDING_SYN_SLOTS 4096

/* A SYN waiting for its SYN-ACK, keyed by (client, client port, ISN + 1):
 * how a SYN-ACK from an unexpected address finds the SYN it answers.
 * Direct-mapped by tag: a newer SYN takes the slot of an older one.
 *
 * The two flows of a DNAT/VIP asymmetry (client <-> VIP, client <-> real
 * server) are two keys that symmetric RSS may give to two workers, so the
 * table is readable by the other workers of the process (wc_track_link):
 * its worker is its only writer, each slot under its own sequence lock
 * (the flow entry's pattern, wirecheck/flow.h): seq is odd while the slot
 * changes; the even value after a write names that write, i.e. that SYN
 * transmission (a resent SYN re-arms the slot with a new value). A reader
 * copies the slot and keeps the copy only if seq was even and unchanged. */
struct wc_pending_syn {
	_Atomic uint32_t seq;
	uint16_t server_port;
	uint8_t family;
	uint8_t used;
	uint64_t tag;
	uint8_t server[16];
	uint64_t flow_id;
	uint64_t ts_ns;
};

/* A peer's pending SYN that a SYN-ACK from an unexpected source on this
 * worker answered (synack_unexpected_source raised here, the SYN's flow
 * on the peer). Direct-mapped by the SYN flow's id; its worker is the only
 * writer, each slot under a sequence lock like the pending SYNs. Two uses:
 *  - here: once per attempt, as `used = 0` does for a SYN of this worker
 *    (a resent SYN-ACK finds the same (peer, tag, version) and is quiet;
 *    the client's next SYN rewrites the peer's slot: a new version);
 *  - by the peer, when the SYN's flow ends unanswered in its own table:
 *    it was answered from elsewhere (WC_FLOW_VIP_ASYMMETRY, no
 *    syn_unanswered). syn_ns tells that flow from a later one with the
 *    same key. */
#define WC_VIP_ANSWER_SLOTS 4096

struct wc_vip_answer {
	_Atomic uint32_t seq;
	uint32_t version; /* the peer slot's seq when it was answered */
	uint64_t tag;     /* the pending SYN's tag; 0 = free */
	uint64_t flow_id; /* the SYN's flow (on the peer) */
	uint64_t syn_ns;  /* the pending SYN's time */
	uint32_t peer;    /* the worker that holds the SYN */
	uint32_t pad;
};

/* What a worker reads of another one (wc_track_link): pointers copied
 * once before any worker runs, valid until every worker has stopped. */
struct wc_track_peer {
	unsigned id;
	const struct wc_pending_syn *pending;
	const struct wc_vip_answer *answers;
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
	struct wc_vip_answer *answers;  /* WC_VIP_ANSWER_SLOTS; NULL: no peers */
	struct wc_track_peer *peers;    /* the other workers (wc_track_link) */
	unsigned n_peers;
	struct wc_bad_seg *bad; /* WC_BAD_SEG_SETS * WC_BAD_SEG_WAYS */
	uint64_t now_ns;
	uint32_t expire_tick;
};

int wc_track_init(struct wc_worker *w, struct wc_flow *entries, uint64_t *index,
		  uint32_t capacity, uint32_t index_size, const struct wc_track_cfg *cfg);
/* Several workers over one capture (one thread each): let each read the
 * others' pending SYNs and answers (synack_unexpected_source across
 * workers). Called by the main thread after every worker's init and
 * before any of them runs; a single worker needs no call. 0 or -ENOMEM.
 * wc_track_fini of any of them only once all have stopped. */
int wc_track_link(struct wc_worker *workers, unsigned n);
void wc_track_fini(struct wc_worker *w);
/* Returns 1 when the packet is tracked (hint filled, index slot prefetched). */
int wc_track_prepare(struct wc_worker *w, const struct wc_pkt *p, struct wc_track_hint *h);
/* The flow_id of events about IP layer idx of p: a hash of the flow key
 * that layer has (the tracked layer: its flow's key), so it names one
 * flow of the table and is the same in every worker; 0 when p has no
 * such layer. */
uint64_t wc_track_flow_id(const struct wc_pkt *p, unsigned idx, uint16_t vlan_mask);
/* A few packets before wc_track_packet (the worker's prefetch distance):
 * prefetch the flow entry's lines the analysis of this packet reads (the
 * table's first line, the flow-wide line and each direction's hot line:
 * four of eight, flow.h). */
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
