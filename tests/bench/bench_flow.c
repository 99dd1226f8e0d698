/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table benchmark (SPEC §7: "Flow table: lookup+update at least as
 * fast as rte_hash_lookup_bulk with the same key count; <= 128 B per flow
 * at 1M flows"). One run measures, on the same keys and the same access
 * sequence:
 *
 *   wirecheck  the worker's flow table (dataplane/flow/flow_table.c, as
 *              built into the dataplane library) through its public API:
 *              wc_flow_key_hash, wc_flow_table_lookup, then the per-packet
 *              update of the worker (sequence lock bump, a packet counter,
 *              wc_flow_table_touch to the entry's list, which sets last_ns
 *              and moves the entry to the tail of its LRU list);
 *              one key at a time, and in bursts of 32 (hash the 32 keys,
 *              then look each up and update it)
 *   rte_hash   DPDK's cuckoo hash (rte_hash_crc, single writer) with the
 *              same 48 key bytes, indexing the same struct wc_flow records:
 *              rte_hash_lookup_bulk_data (data = record pointer) and
 *              rte_hash_lookup_bulk (positions -> record table) in bursts
 *              of 32, then the same update of the record minus the LRU
 *              move (rte_hash has no LRU: sequence lock, counter, last_ns)
 *
 * plus wirecheck bursts with the table's prefetch calls (index slots, then
 * entries: what the worker does per burst), and one breakdown row that is
 * not part of the ratio: wirecheck bursts without the LRU move (exactly
 * the rte_hash update). The packet clock advances 100 ns per operation
 * (10 Mpps, the SPEC's per-core rate), which decides how often a flow's
 * LRU position (1 s granularity) is refreshed.
 *
 * Keys: FLOWS distinct IPv4 5-tuples, direction-normalised as track.c does
 * (clients in 10.0.0.0/12 with ephemeral ports, 1024 servers in
 * 172.16.0.0/22 on a few well-known ports, 80 % TCP). Access sequence:
 * 16M keys drawn uniformly at random (no locality: the worst case for the
 * caches, the same for both tables), materialised as a stream of key
 * copies read sequentially, as a worker reads keys built from packets.
 * Entries are 64-byte aligned like the shared memory block that holds
 * them in the dataplane; both tables live in 2 MiB hugepages when enough
 * are free (tests/bench/run.sh reserves them), else both in 4 KiB pages
 * (EAL --no-huge); the first line of output says which.
 *
 * Each variant gets SECONDS of CPU time in total, as 5 interleaved
 * rounds; the best round is reported (the machine is shared: see
 * measure_all and slice).
 *
 * Memory: about 1.5 GB at 1M flows (768 MB key stream, 600 MB entries).
 * Bursts are 32 keys (RTE_HASH_LOOKUP_BULK_MAX is 64 in DPDK 22.11).
 *
 * Usage: bench_flow [FLOWS=1000000] [SECONDS=2]   (SECONDS per variant)
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "flow/flow_table.h"
#include "wirecheck/flow.h"

#define SEQ_OPS (1u << 24) /* access sequence length, a multiple of BURST */
#define BURST 32
#define CHUNK (1u << 16)   /* ops between clock reads */
#define WARMUP_OPS (1u << 19)
#define ROUNDS 5

static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- shared state ------------------------------------------------------ */

static uint32_t n_flows;
static struct wc_flow_key *keys;   /* n_flows distinct keys */
static struct wc_flow_key *stream; /* SEQ_OPS keys, the access sequence */
static struct wc_flow *entries;    /* the table's records, used by both */
static uint64_t *wc_index;
static uint32_t index_size;
static struct wc_flow_table *tbl;
static struct rte_hash *rh;
static struct wc_flow **pos_rec; /* rte_hash position -> record */
static uint64_t now_ns = 1;      /* packet clock: +100 ns per operation (10 Mpps) */
static uint64_t misses;          /* lookups that found nothing (must be 0) */
static uint64_t total_ops;       /* every update done, for the final check */

/* The worker's per-packet update around the analysis (track.c): odd
 * sequence while writing, a counter, the LRU move, even sequence. */
static inline void update_wc(struct wc_flow *f)
{
	uint32_t s = atomic_load_explicit(&f->seq, memory_order_relaxed);
	atomic_store_explicit(&f->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	f->dir[0].pkts++;
	wc_flow_table_touch(tbl, f, (enum wc_flow_list)f->list, (now_ns += 100));
	atomic_store_explicit(&f->seq, s + 2, memory_order_release);
}

/* The same without the LRU move (what a plain hash table offers). */
static inline void update_plain(struct wc_flow *f)
{
	uint32_t s = atomic_load_explicit(&f->seq, memory_order_relaxed);
	atomic_store_explicit(&f->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	f->dir[0].pkts++;
	f->last_ns = (now_ns += 100);
	atomic_store_explicit(&f->seq, s + 2, memory_order_release);
}

/* ---- the measured loops: n ops from stream position pos ---------------- */

typedef void (*run_fn)(uint32_t pos, uint32_t n);

static void run_wc_scalar(uint32_t pos, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const struct wc_flow_key *k = &stream[(pos + i) & (SEQ_OPS - 1)];
		struct wc_flow *f = wc_flow_table_lookup(tbl, k, wc_flow_key_hash(k));
		if (!f) {
			misses++;
			continue;
		}
		update_wc(f);
	}
}

static void run_wc_burst(uint32_t pos, uint32_t n)
{
	uint32_t h[BURST];
	for (uint32_t b = 0; b < n; b += BURST) {
		const struct wc_flow_key *k = &stream[(pos + b) & (SEQ_OPS - 1)];
		for (unsigned j = 0; j < BURST; j++)
			h[j] = wc_flow_key_hash(&k[j]);
		for (unsigned j = 0; j < BURST; j++) {
			struct wc_flow *f = wc_flow_table_lookup(tbl, &k[j], h[j]);
			if (!f) {
				misses++;
				continue;
			}
			update_wc(f);
		}
	}
}

static void run_wc_burst_nolru(uint32_t pos, uint32_t n)
{
	uint32_t h[BURST];
	for (uint32_t b = 0; b < n; b += BURST) {
		const struct wc_flow_key *k = &stream[(pos + b) & (SEQ_OPS - 1)];
		for (unsigned j = 0; j < BURST; j++)
			h[j] = wc_flow_key_hash(&k[j]);
		for (unsigned j = 0; j < BURST; j++) {
			struct wc_flow *f = wc_flow_table_lookup(tbl, &k[j], h[j]);
			if (!f) {
				misses++;
				continue;
			}
			update_plain(f);
		}
	}
}

/* What the worker does per burst: hash all keys and prefetch their index
 * slots, prefetch the entries the slots name (public prefetch API), then
 * look up and update. */
static void run_wc_burst_prefetch(uint32_t pos, uint32_t n)
{
	uint32_t h[BURST];
	struct wc_flow *fs[BURST];
	for (uint32_t b = 0; b < n; b += BURST) {
		const struct wc_flow_key *k = &stream[(pos + b) & (SEQ_OPS - 1)];
		for (unsigned j = 0; j < BURST; j++) {
			h[j] = wc_flow_key_hash(&k[j]);
			wc_flow_table_prefetch_slot(tbl, h[j]);
		}
		/* the table fetches the entry's first line; like the worker's
		 * wc_track_prefetch, the caller adds the line its update uses */
		for (unsigned j = 0; j < BURST; j++) {
			const struct wc_flow *f = wc_flow_table_prefetch_entry(tbl, h[j]);
			if (f)
				__builtin_prefetch(&f->dir[0].pkts, 1);
		}
		for (unsigned j = 0; j < BURST; j++)
			fs[j] = wc_flow_table_lookup(tbl, &k[j], h[j]);
		for (unsigned j = 0; j < BURST; j++) {
			if (!fs[j]) {
				misses++;
				continue;
			}
			update_wc(fs[j]);
		}
	}
}

static void run_rte_bulk_data(uint32_t pos, uint32_t n)
{
	const void *kp[BURST];
	void *data[BURST];
	for (uint32_t b = 0; b < n; b += BURST) {
		const struct wc_flow_key *k = &stream[(pos + b) & (SEQ_OPS - 1)];
		for (unsigned j = 0; j < BURST; j++)
			kp[j] = &k[j];
		uint64_t hit = 0;
		rte_hash_lookup_bulk_data(rh, kp, BURST, &hit, data);
		for (unsigned j = 0; j < BURST; j++) {
			if (!(hit >> j & 1)) {
				misses++;
				continue;
			}
			update_plain(data[j]);
		}
	}
}

static void run_rte_bulk_pos(uint32_t pos, uint32_t n)
{
	const void *kp[BURST];
	int32_t p[BURST];
	for (uint32_t b = 0; b < n; b += BURST) {
		const struct wc_flow_key *k = &stream[(pos + b) & (SEQ_OPS - 1)];
		for (unsigned j = 0; j < BURST; j++)
			kp[j] = &k[j];
		rte_hash_lookup_bulk(rh, kp, BURST, p);
		for (unsigned j = 0; j < BURST; j++) {
			if (p[j] < 0) {
				misses++;
				continue;
			}
			update_plain(pos_rec[p[j]]);
		}
	}
}

struct result {
	double ns, cycles, mops, cpu_share;
	double round_ns[ROUNDS];
};

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One timed slice of a variant: warm-up, then CHUNKs until `seconds` of
 * this thread's CPU time. The cost is CPU time per op (time the thread was
 * preempted by other processes is not counted); TSC cycles are that time
 * at the TSC rate measured over the slice. */
static void slice(run_fn fn, double seconds, double *ns, double *cycles, double *share)
{
	static uint32_t pos;
	fn(pos, WARMUP_OPS);
	pos = (pos + WARMUP_OPS) & (SEQ_OPS - 1);
	total_ops += WARMUP_OPS;
	uint64_t ops = 0;
	double t0 = now_s(), p0 = cpu_s(), p1;
	uint64_t c0 = __rdtsc();
	do {
		fn(pos, CHUNK);
		pos = (pos + CHUNK) & (SEQ_OPS - 1);
		ops += CHUNK;
		p1 = cpu_s();
	} while (p1 - p0 < seconds);
	uint64_t c1 = __rdtsc();
	double t1 = now_s();
	total_ops += ops;
	*ns = (p1 - p0) * 1e9 / (double)ops;
	*cycles = (double)(c1 - c0) / (t1 - t0) * (p1 - p0) / (double)ops;
	*share = (p1 - p0) / (t1 - t0);
}

struct variant {
	const char *name;
	run_fn fn;
	struct result r;
};

/* The variants run interleaved, ROUNDS times each for seconds/ROUNDS, and
 * each keeps its best round: the machine is shared (2 cores), so a slice
 * that lost the CPU or the memory bus to another process is discarded
 * rather than averaged in, and drift hits every variant alike. */
static void measure_all(struct variant *v, unsigned n, double seconds)
{
	for (unsigned i = 0; i < n; i++)
		v[i].r.ns = 1e300;
	for (unsigned round = 0; round < ROUNDS; round++)
		for (unsigned i = 0; i < n; i++) {
			double ns, cyc, share;
			slice(v[i].fn, seconds / ROUNDS, &ns, &cyc, &share);
			v[i].r.round_ns[round] = ns;
			if (ns < v[i].r.ns) {
				v[i].r.ns = ns;
				v[i].r.cycles = cyc;
				v[i].r.mops = 1e3 / ns;
				v[i].r.cpu_share = share;
			}
		}
	for (unsigned i = 0; i < n; i++) {
		printf("  %-42s %6.1f ns/op %5.0f TSC cycles/op %6.2f Mops  (rounds:", v[i].name,
		       v[i].r.ns, v[i].r.cycles, v[i].r.mops);
		for (unsigned round = 0; round < ROUNDS; round++)
			printf(" %.0f", v[i].r.round_ns[round]);
		printf("; on CPU %.0f %%)\n", v[i].r.cpu_share * 100);
	}
	fflush(stdout);
}

/* ---- setup --------------------------------------------------------------- */

static void make_key(struct wc_flow_key *k)
{
	static const uint16_t tcp_ports[8] = {443, 443, 443, 443, 80, 80, 8080, 22};
	static const uint16_t udp_ports[4] = {53, 53, 123, 443};
	uint64_t r = xorshift();
	uint8_t proto = (r % 10) < 8 ? 6 : 17;
	uint32_t client = 0x0a000000u | (uint32_t)(r >> 8 & 0xfffff);  /* 10.0.0.0/12 */
	uint32_t server = 0xac100000u | (uint32_t)(r >> 28 & 0x3ff);   /* 172.16.0.0/22 */
	uint16_t cport = (uint16_t)(32768 + (r >> 38) % 28232);
	uint16_t sport = proto == 6 ? tcp_ports[r >> 56 & 7] : udp_ports[r >> 56 & 3];
	uint8_t ca[4] = {(uint8_t)(client >> 24), (uint8_t)(client >> 16), (uint8_t)(client >> 8),
			 (uint8_t)client};
	uint8_t sa[4] = {(uint8_t)(server >> 24), (uint8_t)(server >> 16), (uint8_t)(server >> 8),
			 (uint8_t)server};
	/* direction-normalised as build_key() in track.c: side 0 is lower */
	int c = memcmp(ca, sa, 4);
	int swap = c > 0 || (c == 0 && cport > sport);
	memset(k, 0, sizeof(*k));
	memcpy(k->addr[swap], ca, 4);
	memcpy(k->addr[!swap], sa, 4);
	k->port[swap] = cport;
	k->port[!swap] = sport;
	k->family = 4;
	k->proto = proto;
}

/* Free hugepage memory (bytes) as /proc/meminfo reports it. */
static uint64_t huge_free_bytes(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	uint64_t pages = 0, kb = 0;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;
		if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
			pages = v;
		else if (sscanf(line, "Hugepagesize: %llu kB", &v) == 1)
			kb = v;
	}
	fclose(f);
	return pages * kb * 1024;
}

/* Both tables on the same kind of pages: 2 MiB hugepages when enough are
 * free (the dataplane puts its flow table on hugepages when it can, and a
 * DPDK deployment has them), else 4 KiB pages for both (EAL --no-huge). */
static int use_huge;

static int eal_init(uint64_t need)
{
	use_huge = huge_free_bytes() >= need;
	static char *huge[] = {"bench_flow", "--no-pci", "-l", "0", "--log-level=error",
			       "--in-memory"};
	static char *small[] = {"bench_flow", "--no-pci", "-l", "0", "--log-level=error",
				"--no-huge", "-m", "2048"};
	char **argv = use_huge ? huge : small;
	int n = use_huge ? (int)(sizeof(huge) / sizeof(*huge)) : (int)(sizeof(small) / sizeof(*small));
	if (rte_eal_init(n, argv) < 0) {
		fprintf(stderr, "bench_flow: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;
	int socket = (int)rte_socket_id();
	if (socket < 0)
		socket = 0;
	if (rte_malloc_get_socket_stats(socket, &st) != 0)
		return 0;
	return st.heap_allocsz_bytes;
}

/* rte_hash with `entries` = n_flows first; its bucket array is sized for
 * align32pow2(entries) so at a power of two the buckets would be 100 % full
 * and cuckoo adds can fail: then retry with more entries. */
static int rte_build(uint32_t *entries_used, size_t *mem)
{
	static const double grow[] = {1.0, 1.25, 1.5, 2.0};
	for (unsigned g = 0; g < sizeof(grow) / sizeof(grow[0]); g++) {
		uint32_t entries = (uint32_t)((double)n_flows * grow[g]);
		if (entries < 64)
			entries = 64;
		size_t before = heap_used();
		struct rte_hash_parameters p = {
			.name = "bench_flow",
			.entries = entries,
			.key_len = sizeof(struct wc_flow_key),
			.hash_func = rte_hash_crc,
			.hash_func_init_val = 0,
			.socket_id = (int)rte_socket_id(),
			.extra_flag = 0,
		};
		rh = rte_hash_create(&p);
		if (!rh) {
			fprintf(stderr, "bench_flow: rte_hash_create(%u): %s\n", entries,
				rte_strerror(rte_errno));
			return -1;
		}
		*mem = heap_used() - before;
		free(pos_rec);
		pos_rec = calloc((size_t)entries + 1, sizeof(*pos_rec));
		if (!pos_rec)
			return -1;
		uint32_t i;
		for (i = 0; i < n_flows; i++) {
			struct wc_flow *f = wc_flow_table_lookup(tbl, &keys[i],
								 wc_flow_key_hash(&keys[i]));
			int32_t pos = rte_hash_add_key_data(rh, &keys[i], f) == 0
					      ? rte_hash_lookup(rh, &keys[i])
					      : -ENOSPC;
			if (pos < 0 || (uint32_t)pos > entries)
				break;
			pos_rec[pos] = f;
		}
		if (i == n_flows) {
			*entries_used = entries;
			return 0;
		}
		printf("  rte_hash: entries=%u full after %u keys, retrying larger\n", entries, i);
		rte_hash_free(rh);
		rh = NULL;
	}
	return -1;
}

int main(int argc, char **argv)
{
	n_flows = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 1000000;
	double seconds = argc > 2 ? atof(argv[2]) : 2.0;
	if (n_flows < 64 || n_flows > (1u << 27) || seconds <= 0) {
		fprintf(stderr, "usage: bench_flow [FLOWS=1000000] [SECONDS=2]\n");
		return 2;
	}
	index_size = 1;
	while (index_size < 2 * n_flows)
		index_size <<= 1;
	size_t ent_bytes = ((size_t)n_flows * sizeof(struct wc_flow) + 63) & ~(size_t)63;
	/* EAL first: it pins this thread to core 0 for every measurement.
	 * Hugepages must hold both tables: ours, rte_hash's (~100 B/flow
	 * with its retries) and the heap's own overhead. */
	if (eal_init(ent_bytes + (uint64_t)index_size * 8 + (uint64_t)n_flows * 200 +
		     (256ull << 20)) != 0)
		return 1;
	if (use_huge) {
		entries = rte_zmalloc("wc_entries", ent_bytes, 64);
		wc_index = rte_zmalloc("wc_index", (size_t)index_size * sizeof(uint64_t), 64);
	} else {
		entries = aligned_alloc(64, ent_bytes);
		wc_index = calloc(index_size, sizeof(uint64_t));
	}
	keys = malloc((size_t)n_flows * sizeof(*keys));
	stream = malloc((size_t)SEQ_OPS * sizeof(*stream));
	if (!entries || !wc_index || !keys || !stream) {
		fprintf(stderr, "bench_flow: out of memory\n");
		return 1;
	}
	memset(entries, 0, ent_bytes);
	struct wc_flow_table_cfg cfg = {
		.entries = entries, .index = wc_index,
		.capacity = n_flows, .index_size = index_size,
		/* the worker's defaults: they set the LRU granularity (no
		 * expiry runs here, so none of these flows ends) */
		.timeout_ns = WC_FLOW_TIMEOUTS_DEFAULT_NS,
	};
	int r = wc_flow_table_create(&tbl, &cfg);
	if (r) {
		fprintf(stderr, "bench_flow: wc_flow_table_create: %s\n", strerror(-r));
		return 1;
	}
	/* distinct keys: draw until absent, insert */
	for (uint32_t i = 0; i < n_flows; i++) {
		uint32_t h;
		do {
			make_key(&keys[i]);
			h = wc_flow_key_hash(&keys[i]);
		} while (wc_flow_table_lookup(tbl, &keys[i], h));
		wc_flow_table_insert(tbl, &keys[i], h, (now_ns += 100),
				     keys[i].proto == 6 ? WC_LIST_TCP_ACTIVE : WC_LIST_OTHER);
	}
	if (wc_flow_table_count(tbl) != n_flows || wc_flow_table_evictions(tbl)) {
		fprintf(stderr, "bench_flow: table holds %u flows, %llu evictions\n",
			wc_flow_table_count(tbl),
			(unsigned long long)wc_flow_table_evictions(tbl));
		return 1;
	}
	/* Entries were taken from the free list in key order, so the LRU lists
	 * are in memory order and a touch's neighbours would sit next to it.
	 * Touch every flow once in random order, as traffic would leave them. */
	uint32_t *perm = malloc((size_t)n_flows * sizeof(*perm));
	if (!perm) {
		fprintf(stderr, "bench_flow: out of memory\n");
		return 1;
	}
	for (uint32_t i = 0; i < n_flows; i++)
		perm[i] = i;
	for (uint32_t i = n_flows - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(xorshift() % (i + 1)), x = perm[i];
		perm[i] = perm[j];
		perm[j] = x;
	}
	for (uint32_t i = 0; i < n_flows; i++) {
		struct wc_flow *f = &entries[perm[i]];
		wc_flow_table_touch(tbl, f, (enum wc_flow_list)f->list, (now_ns += 100));
	}
	free(perm);
	for (uint32_t i = 0; i < SEQ_OPS; i++)
		stream[i] = keys[xorshift() % n_flows];

	uint32_t rte_entries = 0;
	size_t rte_mem = 0;
	if (rte_build(&rte_entries, &rte_mem) != 0) {
		fprintf(stderr, "bench_flow: cannot build the rte_hash reference\n");
		return 1;
	}

	printf("flow table benchmark: %u flows (IPv4 5-tuples), %u-key uniform random access "
	       "sequence, %.1f s per variant, bursts of %u\n",
	       n_flows, SEQ_OPS, seconds, BURST);
	printf("  wirecheck: %u entries x %zu B + index %u slots x 8 B; rte_hash: entries=%u, "
	       "key_len=%zu, rte_hash_crc, single writer; both on %s pages\n",
	       n_flows, sizeof(struct wc_flow), index_size, rte_entries,
	       sizeof(struct wc_flow_key), use_huge ? "2 MiB huge" : "4 KiB");
	enum { V_SCALAR, V_BURST, V_RTE_DATA, V_RTE_POS, V_NOLRU, V_PREFETCH, V_COUNT };
	struct variant v[V_COUNT] = {
		[V_SCALAR] = {"wirecheck scalar hash+lookup+update", run_wc_scalar, {0}},
		[V_BURST] = {"wirecheck burst32 hash+lookup+update", run_wc_burst, {0}},
		[V_RTE_DATA] = {"rte_hash_lookup_bulk_data+update", run_rte_bulk_data, {0}},
		[V_RTE_POS] = {"rte_hash_lookup_bulk+positions+update", run_rte_bulk_pos, {0}},
		[V_NOLRU] = {"[breakdown] wirecheck burst32, no LRU move", run_wc_burst_nolru, {0}},
		[V_PREFETCH] = {"wirecheck burst32 + prefetch (the worker's way)", run_wc_burst_prefetch,
				{0}},
	};
	printf("  CPU time per op, best of %u interleaved rounds of %.2f s each:\n", ROUNDS,
	       seconds / ROUNDS);
	measure_all(v, V_COUNT, seconds);
	struct result s = v[V_SCALAR].r, b = v[V_BURST].r, rd = v[V_RTE_DATA].r,
		      rp = v[V_RTE_POS].r, nl = v[V_NOLRU].r, pf = v[V_PREFETCH].r;

	/* nothing optimised away: every update landed in a record */
	uint64_t pkts = 0;
	for (uint32_t i = 0; i < n_flows; i++)
		pkts += entries[i].dir[0].pkts;
	printf("  check: %llu updates counted in the records, %llu expected, %llu misses: %s\n",
	       (unsigned long long)pkts, (unsigned long long)total_ops,
	       (unsigned long long)misses, pkts == total_ops && !misses ? "ok" : "MISMATCH");

	/* Diagnostic from the index layout (slot = hash << 32 | entry + 1):
	 * slots a successful lookup probes (entries are read only on a hash
	 * match). */
	uint64_t probes = 0;
	for (uint32_t i = 0; i < n_flows; i++) {
		uint32_t me = i + 1, slot = entries[i].hash & (index_size - 1);
		for (probes++; (uint32_t)wc_index[slot] != me; probes++)
			slot = (slot + 1) & (index_size - 1);
	}
	printf("  wirecheck index: load %.2f, %.2f slots probed per successful lookup\n",
	       (double)n_flows / index_size, (double)probes / n_flows);

	double wc_bytes = ((double)n_flows * sizeof(struct wc_flow) + (double)index_size * 8) /
			  n_flows;
	printf("  memory: wirecheck %.1f B/flow (entry %zu B + index %.1f B); rte_hash %.1f B/flow "
	       "(its buckets, key store and free-slot ring, from the DPDK heap; records extra)\n",
	       wc_bytes, sizeof(struct wc_flow), (double)index_size * 8 / n_flows,
	       (double)rte_mem / n_flows);
	printf("  the LRU move (burst32 row - no-LRU row): %.1f ns/op\n", b.ns - nl.ns);
	{
		const uint64_t to[WC_LIST_COUNT] = WC_FLOW_TIMEOUTS_DEFAULT_NS;
		double g_tcp = (double)to[WC_LIST_TCP_ACTIVE] / WC_FLOW_RELINK_DIV / 1e9;
		double g_oth = (double)to[WC_LIST_OTHER] / WC_FLOW_RELINK_DIV / 1e9;
		printf("  LRU granularity (class timeout / %d): %.2f s TCP, %.2f s other; packet time "
		       "covered %.1f s; at steady state %.2f %% of updates relink a flow "
		       "(flows / granularity / 10 Mpps)\n",
		       WC_FLOW_RELINK_DIV, g_tcp, g_oth, (double)now_ns / 1e9,
		       100.0 * (0.8 * n_flows / g_tcp + 0.2 * n_flows / g_oth) / 1e7);
	}
	/* the ratio: the fastest wirecheck mode (public API) against the
	 * faster rte_hash bulk call */
	double wc = s.ns < b.ns ? s.ns : b.ns;
	const char *wcn = s.ns < b.ns ? "scalar" : "burst32";
	if (pf.ns < wc) {
		wc = pf.ns;
		wcn = "burst32+prefetch";
	}
	double rte = rd.ns < rp.ns ? rd.ns : rp.ns;
	printf("  ratio rows: wirecheck %s, rte_hash %s\n", wcn,
	       rd.ns < rp.ns ? "lookup_bulk_data" : "lookup_bulk+positions");
	printf("flow: wirecheck lookup+update %.1f ns/op, rte_hash_lookup_bulk+update %.1f ns/op, "
	       "ratio rte/wirecheck = %.2f (target >= 1.0)\n",
	       wc, rte, rte / wc);
	printf("flow: bytes per flow %.1f (target <= 128)\n", wc_bytes);

	rte_hash_free(rh);
	free(pos_rec);
	wc_flow_table_destroy(tbl);
	free(stream);
	free(keys);
	if (use_huge) {
		rte_free(wc_index);
		rte_free(entries);
	} else {
		free(wc_index);
		free(entries);
	}
	rte_eal_cleanup();
	return pkts == total_ops && !misses ? 0 : 1;
}
