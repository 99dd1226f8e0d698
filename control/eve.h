/* SPDX-License-Identifier: BSD-3-Clause */
/* events.json records (SPEC §5, Suricata EVE conventions). */
#ifndef WC_EVE_H
#define WC_EVE_H

#include <stdio.h>

#include "wirecheck/shm.h"

/* Where an anomaly's packets are in the evidence files: "evidence":
 * {"file": file, "frame": frame, "context_frames": [context...]}, the
 * frames of the earlier packets of its flow (oldest first) in the same
 * file. file NULL: no evidence. */
struct eve_evidence {
	const char *file;
	uint64_t frame; /* the anomaly's own packet, 0 if none */
	unsigned n_context;
	uint64_t context[WC_EVIDENCE_CONTEXT_MAX];
};

/* One anomaly event line. evidence_frame: its frame in evidence.pcap, 0 if
 * it has none. */
void eve_write_anomaly(FILE *f, const struct wc_event *e, uint64_t evidence_frame);
/* One flow event line (a flow that ended). */
void eve_write_flow(FILE *f, const struct wc_event *e);
/* The same with "worker" and "event_seq": the event's number among its
 * worker's events (wc_event.seq), contiguous from 0 for each worker of an
 * instance, so in events.json a repeated (worker, event_seq) is an event
 * reported twice and a gap one lost by the control plane (ring overflow
 * drops never take a number; they are counted in stats.drops.event_ring).
 * ev may be NULL (no evidence). */
void eve_write_anomaly_seq(FILE *f, const struct wc_event *e, const struct eve_evidence *ev,
			   uint64_t seq);
void eve_write_flow_seq(FILE *f, const struct wc_event *e, uint64_t seq);
/* A live flow-table entry as a flow line (`wirecheckctl flows --json`):
 * the keys of a flow event, "reason" "active" while it has not ended. */
void eve_write_flow_entry(FILE *f, const struct wc_flow *fl, uint32_t worker);
/* The stats event: counters of every worker, summed. */
void eve_write_stats(FILE *f, struct wc_shm_header *h, const char *reason);
/* The "drops" and "tracking" objects (what was lost, and where), as the
 * stats event and `wirecheckctl top --json` both write them. */
struct wc_json;
struct wc_counters;
void eve_losses(struct wc_json *j, const struct wc_counters *c);
/* ISO 8601 UTC with microseconds. */
void eve_timestamp(uint64_t ts_ns, char *buf, size_t len);
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

#endif
