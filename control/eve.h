/* SPDX-License-Identifier: BSD-3-Clause */
/* events.json records (SPEC §5, Suricata EVE conventions). */
#ifndef WC_EVE_H
#define WC_EVE_H

#include <stdio.h>

#include "wirecheck/shm.h"

/* One anomaly event line. evidence_frame: its frame in evidence.pcap, 0 if
 * it has none. */
void eve_write_anomaly(FILE *f, const struct wc_event *e, uint64_t evidence_frame);
/* One flow event line (a flow that ended). */
void eve_write_flow(FILE *f, const struct wc_event *e);
/* The same with "worker" and "event_seq": the event's position in its
 * worker's ring, contiguous from 0 for each worker of an instance, so in
 * events.json a repeated (worker, event_seq) is an event reported twice and
 * a gap one lost by the control plane (ring overflow drops never take a
 * position; they are counted in stats.drops.event_ring). */
void eve_write_anomaly_seq(FILE *f, const struct wc_event *e, uint64_t evidence_frame,
			   uint64_t seq);
void eve_write_flow_seq(FILE *f, const struct wc_event *e, uint64_t seq);
/* A live flow-table entry as a flow line (`wirecheckctl flows --json`):
 * the keys of a flow event, "reason" "active" while it has not ended. */
void eve_write_flow_entry(FILE *f, const struct wc_flow *fl, uint32_t worker);
/* The stats event: counters of every worker, summed. */
void eve_write_stats(FILE *f, struct wc_shm_header *h, const char *reason);
/* ISO 8601 UTC with microseconds. */
void eve_timestamp(uint64_t ts_ns, char *buf, size_t len);
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

#endif
