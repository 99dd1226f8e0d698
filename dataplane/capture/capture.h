/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capture backends (SPEC §2). Every backend hands the pipeline bursts of
 * zero-copy views; the pipeline never knows which one it runs on. Only the
 * backend's own file includes pcap.h, rte_*.h or xsk.h.
 *
 * A backend is one const struct wc_capture_ops. Calls for one queue come
 * from one thread; different queues may be polled from different threads.
 */
#ifndef WC_CAPTURE_H
#define WC_CAPTURE_H

#include <stdint.h>

#include "../decode/pkt.h"

struct wc_capture; /* opaque, per backend */

struct wc_capture_args {
	const char *source;     /* file name, interface list, ... */
	unsigned n_queues;      /* queues (= workers) wanted */
	uint32_t snaplen;
	int loop;               /* mem backend: replay count, 0 = once */
};

struct wc_capture_stats {
	uint64_t received;
	uint64_t dropped; /* by the capture layer (NIC, ring, kernel) */
};

struct wc_capture_ops {
	const char *name;
	/* 0 or -errno; on error *err names the reason for the user */
	int (*open)(struct wc_capture **out, const struct wc_capture_args *a,
		    char *err, unsigned errlen);
	/* Number of views filled (>= 0), or -ENODATA at the end of a finite
	 * source. Views stay valid until release() of the same queue. */
	int (*rx_burst)(struct wc_capture *c, unsigned queue,
			struct wc_pkt_view *v, unsigned max);
	void (*release)(struct wc_capture *c, unsigned queue,
			struct wc_pkt_view *v, unsigned n);
	int (*stats)(struct wc_capture *c, struct wc_capture_stats *st);
	uint32_t (*linktype)(struct wc_capture *c);
	unsigned (*n_queues)(struct wc_capture *c);
	void (*close)(struct wc_capture *c);
};

extern const struct wc_capture_ops wc_capture_pcap; /* -r FILE */
extern const struct wc_capture_ops wc_capture_mem;  /* file preloaded, benchmarks */

int wc_link_supported(uint32_t linktype);

#endif
