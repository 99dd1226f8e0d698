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

enum wc_xdp_mode { WC_XDP_AUTO = 0, WC_XDP_NATIVE, WC_XDP_SKB };

struct wc_capture_args {
	const char *source;     /* file name, "eth0,eth1", ... */
	unsigned n_queues;      /* AF_XDP: queues per interface (0 = all it has);
				   DPDK: RX queues per port (0 = 1) */
	uint32_t snaplen;
	int loop;               /* mem backend: replay count, 0 = once */
	/* AF_XDP */
	enum wc_xdp_mode xdp_mode;
	int zero_copy;          /* -1 auto (try, fall back to copy), 0 copy, 1 require */
	int busy_poll;          /* SO_PREFER_BUSY_POLL + SO_BUSY_POLL budget */
	int xdp_attach;         /* 0 auto, 1 direct on the interface, 2 passive mirror */
	const char *mgmt;       /* direct mode: ADDR[:PORT] passed to the stack */
	const char *xdp_obj;    /* the compiled xdp/wirecheck.bpf.o */
	uint32_t frame_count;   /* UMEM frames per socket (0 = 4096) */
	/* DPDK: EAL arguments, passed through unchanged (tests add --no-pci) */
	int eal_argc;
	char **eal_argv;
};

struct wc_capture_stats {
	uint64_t received;
	uint64_t dropped;     /* by the capture layer: NIC imissed, XSK rx_dropped */
	uint64_t fill_empty;  /* AF_XDP: fill ring empty (UMEM exhausted) */
	uint64_t xdp_seen, xdp_redirected, xdp_passed, xdp_no_socket; /* XDP program */
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
	/* Queues to poll after open: queue q in [0, n) is polled by worker q
	 * only (the backend maps q to its interface/port and queue id). */
	unsigned (*n_queues)(struct wc_capture *c);
	/* Where packet times come from, e.g. "file", "nic-hw", "tsc-per-burst". */
	const char *(*clock)(struct wc_capture *c);
	/* Detach programs, free UMEM/mbufs, stop ports. Idempotent; also
	 * called from the signal-driven shutdown path. */
	void (*close)(struct wc_capture *c);
};

extern const struct wc_capture_ops wc_capture_pcap;  /* -r FILE */
extern const struct wc_capture_ops wc_capture_mem;   /* file preloaded, benchmarks */
extern const struct wc_capture_ops wc_capture_afxdp; /* -i IFACE[,IFACE] */
extern const struct wc_capture_ops wc_capture_dpdk;  /* --dpdk -- EAL-ARGS */

/* Nanoseconds from the TSC, calibrated once (capture/clock.c): backends
 * without hardware timestamps read it once per burst. */
uint64_t wc_clock_ns(void);
int wc_clock_init(void);

int wc_link_supported(uint32_t linktype);

#endif
