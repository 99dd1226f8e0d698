/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline benchmark (SPEC §7): a capture preloaded in memory (the mem
 * backend, no I/O), run through one worker repeatedly: decode, every
 * checksum verified, accounting, events into the ring (the ring is drained
 * by nobody: events beyond it are dropped and counted, as with a stalled
 * control plane). Prints Mpps, ns and TSC cycles per packet.
 *
 *   bench_pipeline gen FILE [PACKETS] [FLOWS]   write an IMIX TCP/UDP capture
 *   bench_pipeline run FILE [SECONDS] [FLOWS]   measure (FLOWS: table size)
 *
 * The generator computes checksums with the reference loop (wc_csum_ref),
 * not the engine under test, and damages 1 in 1000 of them.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "capture/capture.h"
#include "core/worker.h"
#include "csum/csum.h"
#include "wirecheck/shm.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* IMIX-like: 7 x 64 B, 4 x 594 B, 1 x 1514 B (frame sizes). */
static unsigned imix_len(void)
{
	unsigned r = (unsigned)(xorshift() % 12);
	return r < 7 ? 64 : r < 11 ? 594 : 1514;
}

static int gen(const char *file, unsigned packets, unsigned flows)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = pcap_dump_open(dead, file);
	if (!d) {
		fprintf(stderr, "gen: %s\n", pcap_geterr(dead));
		return 1;
	}
	uint8_t f[1514];
	for (unsigned i = 0; i < packets; i++) {
		unsigned len = imix_len(), flow = (unsigned)(xorshift() % flows);
		int tcp = (flow % 10) < 8, rev = (int)(xorshift() & 1);
		memset(f, 0, sizeof(f));
		memcpy(f, "\x52\x54\x00\x00\x00\x01\x52\x54\x00\x00\x00\x02", 12);
		put16(f + 12, 0x0800);
		uint8_t *ip = f + 14;
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(len - 14));
		ip[8] = 64;
		ip[9] = tcp ? 6 : 17;
		uint8_t a[4] = {10, (uint8_t)(flow >> 16), (uint8_t)(flow >> 8), (uint8_t)flow};
		uint8_t b[4] = {192, 0, 2, (uint8_t)(1 + flow % 200)};
		memcpy(ip + 12, rev ? b : a, 4);
		memcpy(ip + 16, rev ? a : b, 4);
		put16(ip + 10, (uint16_t)~wc_csum_ref(ip, 20));
		uint8_t *l4 = ip + 20;
		uint16_t cport = (uint16_t)(1024 + flow % 60000), sport = tcp ? 443 : 53;
		put16(l4, rev ? sport : cport);
		put16(l4 + 2, rev ? cport : sport);
		unsigned l4len = len - 34;
		for (unsigned k = tcp ? 20 : 8; k < l4len; k++)
			l4[k] = (uint8_t)(i + k);
		if (tcp) {
			put16(l4 + 4, (uint16_t)(i >> 16));
			put16(l4 + 6, (uint16_t)i);
			l4[12] = 0x50;
			l4[13] = 0x18;
			put16(l4 + 14, 65535);
		} else {
			put16(l4 + 4, (uint16_t)l4len);
		}
		/* pseudo-header + segment, reference loop */
		uint8_t buf[1600];
		memcpy(buf, ip + 12, 8);
		buf[8] = 0;
		buf[9] = ip[9];
		put16(buf + 10, (uint16_t)l4len);
		memcpy(buf + 12, l4, l4len);
		uint16_t c = (uint16_t)~wc_csum_ref(buf, 12 + l4len);
		if (!tcp && c == 0)
			c = 0xffff;
		if (xorshift() % 1000 == 0)
			c ^= 0x0101; /* damaged */
		put16(l4 + (tcp ? 16 : 6), c);
		struct pcap_pkthdr h = {.caplen = len, .len = len};
		h.ts.tv_sec = 1700000000 + i / 100000;
		h.ts.tv_usec = (suseconds_t)(i % 100000) * 10;
		pcap_dump((u_char *)d, &h, f);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	printf("gen: %u packets, %u flows -> %s\n", packets, flows, file);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t wc_capture_mem_count(struct wc_capture *c);

static int run(const char *file, double seconds, uint32_t flows)
{
	char err[256], inst[64];
	struct wc_capture *cap;
	struct wc_capture_args a = {.source = file, .n_queues = 1, .loop = 1 << 30};
	if (wc_capture_mem.open(&cap, &a, err, sizeof(err)) != 0) {
		fprintf(stderr, "run: %s: %s\n", file, err);
		return 1;
	}
	uint64_t n_file = wc_capture_mem_count(cap);
	snprintf(inst, sizeof(inst), "bench-%ld", (long)getpid());
	struct wc_shm shm;
	struct wc_shm_params sp = {.instance = inst, .n_workers = 1, .ring_slots = 4096,
				   .ring_policy = WC_RING_DROP,
				   .linktype = wc_capture_mem.linktype(cap), .mtu = 1500,
				   .rate_limit = 10, .flow_capacity = flows, .source = file};
	if (wc_shm_create(&sp, &shm) != 0) {
		fprintf(stderr, "run: cannot create shared memory\n");
		return 1;
	}
	struct wc_worker w;
	wc_csum_init();
	/* wirecheck's defaults: the evidence history costs its copy per packet */
	struct wc_worker_cfg wcfg = {.mtu = 1500, .history = 1024, .context = 4};
	if (wc_worker_init(&w, 0, shm.hdr, sp.linktype, &wcfg) != 0) {
		fprintf(stderr, "run: worker init failed\n");
		return 1;
	}

	struct wc_pkt_view v[WC_BURST];
	/* warm-up: one pass over the file */
	for (uint64_t done = 0; done < n_file;) {
		int n = wc_capture_mem.rx_burst(cap, 0, v, WC_BURST);
		if (n <= 0)
			break;
		wc_worker_process(&w, v, (unsigned)n);
		done += (uint64_t)n;
	}
	uint64_t pkts = 0, bytes = 0;
	double t0 = now_s(), t1;
	uint64_t c0 = __rdtsc();
	do {
		for (int k = 0; k < 256; k++) {
			int n = wc_capture_mem.rx_burst(cap, 0, v, WC_BURST);
			if (n <= 0)
				break;
			wc_worker_process(&w, v, (unsigned)n);
			pkts += (uint64_t)n;
			for (int i = 0; i < n; i++)
				bytes += v[i].wirelen;
		}
		t1 = now_s();
	} while (t1 - t0 < seconds);
	uint64_t c1 = __rdtsc();
	double el = t1 - t0;
	struct wc_counters *ctr = &wc_shm_worker(shm.hdr, 0)->counters;
	printf("pipeline: file %s, %llu packets in the file, checksum engine %s\n", file,
	       (unsigned long long)n_file, wc_csum_impl_name(wc_csum_current()));
	printf("pipeline: %llu packets, %.1f MB in %.2f s\n", (unsigned long long)pkts,
	       (double)bytes / 1e6, el);
	printf("pipeline: %.2f Mpps, %.1f ns/pkt, %.0f TSC cycles/pkt, %.2f Gbit/s\n",
	       (double)pkts / el / 1e6, el * 1e9 / (double)pkts,
	       (double)(c1 - c0) / (double)pkts, (double)bytes * 8 / el / 1e9);
	printf("pipeline: verdicts tcp good %llu bad %llu, udp good %llu bad %llu; "
	       "events %llu, ring drops %llu\n",
	       (unsigned long long)ctr->csum[WC_LAYER_TCP][WC_VERDICT_GOOD],
	       (unsigned long long)ctr->csum[WC_LAYER_TCP][WC_VERDICT_BAD],
	       (unsigned long long)ctr->csum[WC_LAYER_UDP][WC_VERDICT_GOOD],
	       (unsigned long long)ctr->csum[WC_LAYER_UDP][WC_VERDICT_BAD],
	       (unsigned long long)ctr->events_written,
	       (unsigned long long)ctr->drops_event_ring);
	printf("pipeline: flow table: %llu flows created (%llu live now, capacity %u), "
	       "%.0f bytes per flow (entry %zu B + index)\n",
	       (unsigned long long)ctr->flows_created, (unsigned long long)ctr->flows_active,
	       flows, ((double)flows * sizeof(struct wc_flow) +
		       (double)shm.hdr->flow_index_size * sizeof(uint64_t)) / flows,
	       sizeof(struct wc_flow));
	printf("RESULT pps=%.0f\n", (double)pkts / el);
	wc_worker_fini(&w);
	wc_shm_detach(&shm);
	wc_shm_unlink(inst);
	wc_capture_mem.close(cap);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "gen"))
		return gen(argv[2], argc > 3 ? (unsigned)atoi(argv[3]) : 200000,
			   argc > 4 ? (unsigned)atoi(argv[4]) : 50000);
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return run(argv[2], argc > 3 ? atof(argv[3]) : 3.0,
			   argc > 4 ? (uint32_t)atoi(argv[4]) : 262144);
	fprintf(stderr, "usage: bench_pipeline gen FILE [PACKETS] [FLOWS] | run FILE [SECONDS]\n");
	return 2;
}
