/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus endpoint of the control plane (SPEC §5): `wirecheckctl serve
 * --metrics ADDR:PORT` serves GET /metrics in the text exposition format
 * (version 0.0.4) from a libmicrohttpd thread of its own. A scrape reads the
 * live shared-memory counters (plain loads, never a lock or a write the
 * dataplane could wait on) and the RTT histograms the drain loop feeds from
 * flow events. Bound to 127.0.0.1 unless an address is given (SPEC §8).
 */
#ifndef WC_METRICS_H
#define WC_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#include "wirecheck/shm.h"

struct wc_metrics;

/* Parse the --metrics value: "PORT" or ":PORT" (loopback, 127.0.0.1),
 * "A.B.C.D:PORT", "[IPV6]:PORT" or "localhost:PORT"; numeric addresses
 * only, port 1..65535. out/outlen may be NULL (validation only). Returns 0,
 * or -1 with a message for "option --metrics: ..." in err. */
int metrics_parse_addr(const char *spec, struct sockaddr_storage *out,
		       socklen_t *outlen, char *err, size_t errlen);

/* Listen on spec and serve the counters of instance. NULL on failure with
 * a message in err (bad value, address in use, ...). The endpoint maps the
 * instance on its own (independent of serve's attach/detach): each scrape
 * attaches when the instance exists and follows it when it is replaced (a
 * restarted dataplane); without one it exposes wirecheck_dataplane_up 0 and
 * the histograms only. */
struct wc_metrics *metrics_start(const char *spec, const char *instance,
				 char *err, size_t errlen);

/* One call per flow event as it is drained: feeds the handshake and RTT
 * histograms. Lock-free (relaxed atomic adds); safe against a concurrent
 * scrape. NULL m: no-op. */
void metrics_observe_flow(struct wc_metrics *m, const struct wc_flow *f);

/* Also expose the counters of serve's IPFIX exporter (ipfix.h), which
 * must outlive metrics_stop(). NULL m or x: no-op / none. */
struct ipfix_exporter;
void metrics_set_ipfix(struct wc_metrics *m, const struct ipfix_exporter *x);

/* Stop serving (joins the HTTP thread, closes the socket) and free. NULL: no-op. */
void metrics_stop(struct wc_metrics *m);

/* The exposition text of one scrape, for tests: a malloc'd NUL-terminated
 * buffer (caller frees), NULL when out of memory. */
char *metrics_render(struct wc_metrics *m, size_t *len);

#endif
