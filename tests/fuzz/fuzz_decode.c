/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the whole per-packet path: decoders, checksum
 * verdicts, worker accounting, event ring, and the control plane's JSON
 * formatting of whatever events come out. Input layout:
 *   byte 0: link type selector, byte 1: bytes missing from the capture
 *   (caplen < wirelen), rest: the frame.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/eve.h"
#include "core/worker.h"
#include "csum/csum.h"
#include "wirecheck/shm.h"

static const uint32_t linktypes[] = {
	WC_DLT_EN10MB, WC_DLT_LINUX_SLL, WC_DLT_LINUX_SLL2, WC_DLT_NULL,
	WC_DLT_RAW,    WC_DLT_IPV4,      WC_DLT_IPV6,       WC_DLT_PPP,
	WC_DLT_LOOP,   147,
};
#define N_LINKTYPES (sizeof(linktypes) / sizeof(linktypes[0]))

/* one worker per link type, each with its own slot of the shared memory
 * (flow table, ring): two workers on one table would corrupt it, as two
 * threads would */
static struct wc_shm shm;
static struct wc_worker workers[N_LINKTYPES];
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	char name[64];
	snprintf(name, sizeof(name), "fuzz-%ld", (long)getpid());
	struct wc_shm_params p = {.instance = name, .n_workers = N_LINKTYPES,
				  .ring_slots = 64,
				  .ring_policy = WC_RING_DROP, .linktype = 1,
				  .mtu = 1500, .rate_limit = 10, .flow_capacity = 1024,
				  .source = "fuzz"};
	wc_csum_init();
	if (wc_shm_create(&p, &shm) != 0)
		abort();
	wc_shm_unlink(name); /* the mapping stays; nothing left on exit */
	for (unsigned i = 0; i < N_LINKTYPES; i++)
		if (wc_worker_init(&workers[i], i, shm.hdr, linktypes[i],
				   &(struct wc_worker_cfg){.mtu = 1500, .history = 64,
							    .context = 4}) != 0)
			abort();
	devnull = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned wi = data[0] % N_LINKTYPES;
	struct wc_worker *w = &workers[wi];
	uint32_t missing = data[1];
	/* an exact-size copy so any over-read is caught by ASan */
	size_t n = size - 2;
	uint8_t *frame = malloc(n ? n : 1);
	memcpy(frame, data + 2, n);
	struct wc_pkt_view v = {.data = frame, .caplen = (uint32_t)n,
				.wirelen = (uint32_t)n + missing, .ts_ns = 1,
				.frame_no = 1};
	wc_worker_process(w, &v, 1);

	struct wc_worker_shm *ws = wc_shm_worker(shm.hdr, wi);
	uint64_t tail, avail = wc_ring_available(ws, &tail);
	for (uint64_t i = 0; i < avail; i++) {
		const struct wc_event *e = &wc_shm_ring_slots(ws)[(tail + i) & ws->ring.mask];
		if (e->kind == WC_EVENT_FLOW)
			eve_write_flow(devnull, e);
		else if (e->kind == WC_EVENT_ANOMALY)
			eve_write_anomaly(devnull, e, 1);
	}
	wc_ring_consume(ws, avail);
	free(frame);
	return 0;
}
