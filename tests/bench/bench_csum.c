/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksum engine benchmark.
 *
 * For 64, 1500 and 9000 byte buffers that stay in L1, measures in one run:
 *   engine      wc_sum_add()+wc_sum_fold() with the dispatched (default)
 *               implementation, then each implementation the CPU supports
 *   addreduce   a plain sum of the buffer as uint64_t words, written to be
 *               auto-vectorised: the read-bandwidth reference of the machine
 *               (it reads len/8*8 bytes and ignores carries, so it is an
 *               upper bound for any checksum loop)
 *   ref         wc_csum_ref(), the byte-at-a-time RFC 1071 loop
 * Every kernel is an out-of-line call per buffer, as in real use.
 *
 * Spec targets at 1500 B: engine >= 0.5 x addreduce, engine >= 2 x ref.
 *
 * Build: gcc -O3 -march=native -I dataplane/csum dataplane/csum/csum.c \
 *            tests/bench/bench_csum.c -o bench_csum
 * Usage: bench_csum [--quick] [SCALE]   (SCALE multiplies the time spent
 *        per measurement, default 1 = ~0.3 s; --quick = 0.1)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC 1
#endif

#include "csum.h"

#define MAX_LEN 9000
#define NREPEAT 25 /* best of, to shrug off VM/scheduler noise */

typedef uint64_t (*kernel_fn)(const unsigned char *p, size_t len);

/* uint64_t storage so the add-reduce reads it as what it is; the checksum
 * code sees it through unsigned char, which may alias anything. */
static uint64_t buf_words[(MAX_LEN + 7) / 8] __attribute__((aligned(64)));
static volatile uint64_t sink;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tsc(void)
{
#ifdef HAVE_TSC
	return __rdtsc();
#else
	return 0;
#endif
}

__attribute__((noinline)) static uint64_t add_reduce(const uint64_t *w,
						     size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s += w[i];
	return s;
}

static uint64_t k_addreduce(const unsigned char *p, size_t len)
{
	return add_reduce((const uint64_t *)(const void *)p, len / 8);
}

static uint64_t k_engine(const unsigned char *p, size_t len)
{
	return wc_sum_fold(wc_sum_add(wc_sum_zero(), p, len));
}

static uint64_t k_ref(const unsigned char *p, size_t len)
{
	return wc_csum_ref(p, len);
}

struct result {
	double ns_per_call;
	double tsc_per_call;
};

static void run_loop(kernel_fn k, const unsigned char *p, size_t len,
		     uint64_t iters, struct result *r)
{
	uint64_t s = 0, t0, t1, c0, c1;

	t0 = now_ns();
	c0 = tsc();
	for (uint64_t i = 0; i < iters; i++) {
		/* The buffer "may have changed": no hoisting of the
		 * loop-invariant call, no merging of iterations. */
		__asm__ volatile("" : : "r"(p) : "memory");
		s += k(p, len);
	}
	c1 = tsc();
	t1 = now_ns();
	sink = s;
	r->ns_per_call = (double)(t1 - t0) / (double)iters;
	r->tsc_per_call = (double)(c1 - c0) / (double)iters;
}

struct bench_case {
	char name[32];
	kernel_fn k;
	int impl; /* wc_csum_impl to select first, or -1 */
	uint64_t iters;
	struct result best;
};

static void run_case(struct bench_case *c, const unsigned char *p,
		     size_t len, uint64_t iters, struct result *r)
{
	if (c->impl >= 0)
		wc_csum_select((enum wc_csum_impl)c->impl);
	run_loop(c->k, p, len, iters, r);
}

/*
 * Calibrate each case to about target_ns / NREPEAT per run, then do
 * NREPEAT rounds that run every case once, keeping each case's best run.
 * Interleaving means a slow phase of the (shared, virtualised) machine
 * hits all cases alike instead of skewing the ratios.
 */
static void measure(struct bench_case *cases, size_t ncases,
		    const unsigned char *p, size_t len, double target_ns)
{
	struct result r;

	for (size_t i = 0; i < ncases; i++) {
		uint64_t iters = 16;
		double min_ns = target_ns / NREPEAT / 4;

		for (;;) {
			run_case(&cases[i], p, len, iters, &r);
			if (r.ns_per_call * (double)iters >= min_ns)
				break;
			iters *= 4;
		}
		cases[i].iters =
			(uint64_t)(target_ns / NREPEAT / r.ns_per_call) + 1;
	}
	for (int rep = 0; rep < NREPEAT; rep++) {
		for (size_t i = 0; i < ncases; i++) {
			struct result *b = &cases[i].best;

			run_case(&cases[i], p, len, cases[i].iters, &r);
			if (rep == 0 || r.ns_per_call < b->ns_per_call)
				*b = r;
		}
	}
}

static void print_row(size_t len, const struct bench_case *c)
{
	printf("%6zu  %-18s %9.2f %10.3f %11.1f\n", len, c->name,
	       (double)len / c->best.ns_per_call,
	       c->best.tsc_per_call / (double)len, c->best.ns_per_call);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = {64, 1500, 9000};
	static const enum wc_csum_impl impls[] = {
		WC_CSUM_IMPL_SCALAR, WC_CSUM_IMPL_AVX2, WC_CSUM_IMPL_AVX512};
	unsigned char *buf = (unsigned char *)buf_words;
	double scale = 1.0, target_ns;
	double ratio_add = 0, ratio_ref = 0;
	enum wc_csum_impl best;
	uint64_t x = 0x243f6a8885a308d3ull;
	struct bench_case cases[8];
	size_t ncases = 0, i_add, i_ref;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			scale = 0.1;
		} else {
			char *end;

			scale = strtod(argv[i], &end);
			if (*end || scale <= 0) {
				fprintf(stderr,
					"usage: %s [--quick] [SCALE]\n",
					argv[0]);
				return 2;
			}
		}
	}
	target_ns = 0.3e9 * scale;

	for (size_t i = 0; i < MAX_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)x;
	}

	best = wc_csum_init();
	/* Case 0 is the engine as dispatched; ratios are taken against it. */
	snprintf(cases[ncases].name, sizeof(cases[0].name), "engine (%s)",
		 wc_csum_impl_name(best));
	cases[ncases].k = k_engine;
	cases[ncases++].impl = (int)best;
	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		if (wc_csum_select(impls[i]))
			continue;
		/* A benchmark of wrong answers is worthless. */
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			if (k_engine(buf, sizes[s]) !=
			    wc_csum_ref(buf, sizes[s])) {
				fprintf(stderr, "MISMATCH: %s at %zu B\n",
					wc_csum_impl_name(impls[i]),
					sizes[s]);
				return 1;
			}
		}
		snprintf(cases[ncases].name, sizeof(cases[0].name),
			 "  impl %s", wc_csum_impl_name(impls[i]));
		cases[ncases].k = k_engine;
		cases[ncases++].impl = (int)impls[i];
	}
	i_add = ncases;
	snprintf(cases[ncases].name, sizeof(cases[0].name), "addreduce u64");
	cases[ncases].k = k_addreduce;
	cases[ncases++].impl = -1;
	i_ref = ncases;
	snprintf(cases[ncases].name, sizeof(cases[0].name),
		 "ref (wc_csum_ref)");
	cases[ncases].k = k_ref;
	cases[ncases++].impl = -1;

	/* Let the core leave its idle clock before the first size. */
	measure(cases, 1, buf, 1500, 2e8 * scale);

	printf("csum benchmark: buffer in L1, kernels interleaved, best of "
	       "%d, ~%.2f s per row\n", NREPEAT, target_ns / 1e9);
	printf("default implementation: %s\n", wc_csum_impl_name(best));
#ifdef HAVE_TSC
	printf("cyc/B are TSC (reference) cycles, not core clock cycles\n");
#else
	printf("no TSC on this architecture: cyc/B column is 0\n");
#endif
	printf("\n%6s  %-18s %9s %10s %11s\n", "bytes", "kernel", "GB/s",
	       "TSCcyc/B", "ns/call");

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t len = sizes[s];
		double ra, rr;

		measure(cases, ncases, buf, len, target_ns);
		for (size_t i = 0; i < ncases; i++)
			print_row(len, &cases[i]);
		ra = cases[i_add].best.ns_per_call / cases[0].best.ns_per_call;
		rr = cases[i_ref].best.ns_per_call / cases[0].best.ns_per_call;
		printf("%6zu  ratios: engine/addreduce=%.2f "
		       "engine/ref=%.2f\n\n", len, ra, rr);
		if (len == 1500) {
			ratio_add = ra;
			ratio_ref = rr;
		}
	}
	wc_csum_select(best);
#ifdef HAVE_TSC
	printf("TSC frequency ~%.3f GHz\n",
	       cases[0].best.tsc_per_call / cases[0].best.ns_per_call);
#endif
	printf("targets at 1500 B: engine/addreduce >= 0.5: %s, "
	       "engine/ref >= 2: %s\n",
	       ratio_add >= 0.5 ? "met" : "MISSED",
	       ratio_ref >= 2.0 ? "met" : "MISSED");
	printf("csum ratios: engine/addreduce=%.2f engine/ref=%.1f\n",
	       ratio_add, ratio_ref);
	return 0;
}
