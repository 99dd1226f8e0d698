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
 * not the engine under test, and damages 1 in 1000 of them. Its TCP flows
 * are healthy conversations picked up mid-stream: each direction's
 * sequence numbers advance by its payload and every segment ACKs what the
 * other side sent.
 *
 * Laps: the run replays the file again and again. Replayed as is, every
 * segment of the second lap would be a retransmission (the anomaly path
 * on every packet, not the steady state being measured), so between laps,
 * with the clock stopped, each TCP segment's sequence and ACK numbers move
 * on by what its flow sent in a lap (checksums updated incrementally, RFC
 * 1624, so damaged ones stay damaged) and every timestamp by the file's
 * duration: each lap continues the conversations of the one before.
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

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- laps ------------------------------------------------------------- */

/* A generated TCP frame's flow number and direction (gen's layout: the
 * client is 10.F.F.F); -1 for anything else. */
static long tcp_flow_of(const struct wc_pkt_view *v, int *rev)
{
	const uint8_t *ip = v->data + 14;
	if (v->caplen < 54 || ip[9] != 6)
		return -1;
	*rev = ip[12] != 10;
	const uint8_t *a = *rev ? ip + 16 : ip + 12;
	return (long)a[1] << 16 | (long)a[2] << 8 | a[3];
}

/* RFC 1624 eqn. 3: the checksum field after a 16-bit word changes. */
static uint16_t csum_update(uint16_t hc, uint16_t m, uint16_t m2)
{
	uint32_t s = (uint16_t)~hc + (uint32_t)(uint16_t)~m + m2;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void add32_csum(uint8_t *field, uint32_t add, uint8_t *csum)
{
	uint32_t old = get32(field), neu = old + add;
	uint16_t c = (uint16_t)(csum[0] << 8 | csum[1]);
	c = csum_update(c, (uint16_t)(old >> 16), (uint16_t)(neu >> 16));
	c = csum_update(c, (uint16_t)old, (uint16_t)neu);
	put32(field, neu);
	put16(csum, c);
}

struct laps {
	uint32_t *sent; /* per flow and direction: payload bytes in one lap */
	uint64_t span_ns;
};

static int laps_init(struct laps *l, struct wc_pkt_view *v, uint64_t n)
{
	long max = -1;
	int rev;
	for (uint64_t i = 0; i < n; i++) {
		long f = tcp_flow_of(&v[i], &rev);
		if (f > max)
			max = f;
	}
	l->sent = calloc(2 * (size_t)(max + 1) + 2, sizeof(*l->sent));
	if (!l->sent)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		long f = tcp_flow_of(&v[i], &rev);
		if (f >= 0) {
			const uint8_t *ip = v[i].data + 14;
			l->sent[2 * f + rev] += (uint32_t)((ip[2] << 8 | ip[3]) - 40);
		}
	}
	l->span_ns = n ? v[n - 1].ts_ns - v[0].ts_ns + 10000 : 0;
	return 0;
}

/* Move every frame on by one lap (see the top of the file). */
static void laps_next(const struct laps *l, struct wc_pkt_view *v, uint64_t n)
{
	int rev;
	for (uint64_t i = 0; i < n; i++) {
		v[i].ts_ns += l->span_ns;
		long f = tcp_flow_of(&v[i], &rev);
		if (f < 0)
			continue;
		uint8_t *tcp = (uint8_t *)(uintptr_t)v[i].data + 34;
		add32_csum(tcp + 4, l->sent[2 * f + rev], tcp + 16);
		add32_csum(tcp + 8, l->sent[2 * f + !rev], tcp + 16);
	}
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
	uint32_t *next_seq = malloc(2 * (size_t)flows * sizeof(*next_seq));
	if (!next_seq)
		return 1;
	for (unsigned k = 0; k < 2 * flows; k++)
		next_seq[k] = (uint32_t)xorshift();
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
			uint32_t *mine = &next_seq[2 * flow + (unsigned)rev];
			uint32_t peer = next_seq[2 * flow + (unsigned)!rev];
			put32(l4 + 4, *mine);
			put32(l4 + 8, peer);
			*mine += l4len - 20;
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
	free(next_seq);
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
struct wc_pkt_view *wc_capture_mem_views(struct wc_capture *c);

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
	struct wc_pkt_view *views = wc_capture_mem_views(cap);
	struct laps laps;
	if (laps_init(&laps, views, n_file) != 0) {
		fprintf(stderr, "run: out of memory\n");
		return 1;
	}
	/* warm-up: one lap over the file */
	for (uint64_t done = 0; done < n_file;) {
		int n = wc_capture_mem.rx_burst(cap, 0, v, WC_BURST);
		if (n <= 0)
			break;
		wc_worker_process(&w, v, (unsigned)n);
		done += (uint64_t)n;
	}
	laps_next(&laps, views, n_file);
	/* a burst never spans two laps (the mem backend stops at the end) */
	uint64_t pkts = 0, bytes = 0, in_lap = 0, cyc = 0;
	double el = 0, t0 = now_s(), t1;
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
			if ((in_lap += (uint64_t)n) == n_file) {
				/* the clock stops while the next lap is prepared */
				cyc += __rdtsc() - c0;
				el += now_s() - t0;
				laps_next(&laps, views, n_file);
				in_lap = 0;
				t0 = now_s();
				c0 = __rdtsc();
			}
		}
		t1 = now_s();
	} while (el + (t1 - t0) < seconds);
	cyc += __rdtsc() - c0;
	el += t1 - t0;
	free(laps.sent);
	struct wc_counters *ctr = &wc_shm_worker(shm.hdr, 0)->counters;
	printf("pipeline: file %s, %llu packets in the file, checksum engine %s\n", file,
	       (unsigned long long)n_file, wc_csum_impl_name(wc_csum_current()));
	printf("pipeline: %llu packets, %.1f MB in %.2f s\n", (unsigned long long)pkts,
	       (double)bytes / 1e6, el);
	printf("pipeline: %.2f Mpps, %.1f ns/pkt, %.0f TSC cycles/pkt, %.2f Gbit/s\n",
	       (double)pkts / el / 1e6, el * 1e9 / (double)pkts,
	       (double)cyc / (double)pkts, (double)bytes * 8 / el / 1e9);
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
