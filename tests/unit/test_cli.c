/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator commands' flow reader (control/cli.c): the sequence-lock
 * read protocol of flow.h against a writer thread that rewrites an entry
 * as fast as it can. A copy it returns is never torn; an entry held odd is
 * given up within its time bound and the snapshot budget. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "control/cli.h"
#include "wirecheck/flow.h"

static struct wc_flow entry __attribute__((aligned(64)));
static atomic_int stop;

/* the worker side of flow.h: odd, release fence, update, release even */
static void *writer(void *arg)
{
	(void)arg;
	for (uint32_t v = 1; !atomic_load_explicit(&stop, memory_order_relaxed); v++) {
		uint32_t s = atomic_load_explicit(&entry.seq, memory_order_relaxed);
		atomic_store_explicit(&entry.seq, s + 1, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		entry.id = v;
		entry.first_ns = v;
		for (int d = 0; d < 2; d++) {
			entry.dir[d].pkts = v;
			entry.dir[d].bytes = v;
			entry.tally[d].retx = v;
			entry.tally[d].csum_bad = v;
		}
		entry.last_ns = v;
		atomic_store_explicit(&entry.seq, s + 2, memory_order_release);
	}
	return NULL;
}

static void test_never_torn(void **state)
{
	(void)state;
	memset(&entry, 0, sizeof(entry));
	atomic_store(&stop, 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, writer, NULL), 0);
	unsigned got = 0, busy = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < 200000; i++) {
		struct wc_flow c;
		uint64_t budget = 50000000;
		if (!cli_read_flow(&entry, &c, &budget)) {
			busy++;
			continue;
		}
		got++;
		uint64_t v = c.id;
		if (c.first_ns != v || c.last_ns != v || c.dir[0].pkts != v || c.dir[1].pkts != v ||
		    c.dir[0].bytes != v || c.dir[1].bytes != v || c.tally[0].retx != v ||
		    c.tally[1].csum_bad != v || (atomic_load(&c.seq) & 1))
			fail_msg("torn copy: id %llu first %llu last %llu pkts %u/%u",
				 (unsigned long long)v, (unsigned long long)c.first_ns,
				 (unsigned long long)c.last_ns, c.dir[0].pkts, c.dir[1].pkts);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec > 5)
			break; /* a slow machine: enough samples */
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	print_message("      %u consistent copies, %u busy\n", got, busy);
	assert_true(got > 0);
}

static void test_busy_entry_given_up(void **state)
{
	(void)state;
	memset(&entry, 0, sizeof(entry));
	atomic_store(&entry.seq, 7); /* a writer that stopped mid-update */
	struct wc_flow c;
	uint64_t budget = 50000000;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cli_read_flow(&entry, &c, &budget), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 100); /* 2 ms per entry, plus scheduling */
	assert_true(budget < 50000000 && budget >= 50000000 - 20000000);
	/* an exhausted snapshot budget: given up at once */
	budget = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(cli_read_flow(&entry, &c, &budget), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 1);
	/* even again: read at once */
	atomic_store(&entry.seq, 8);
	entry.id = 42;
	budget = 0;
	assert_int_equal(cli_read_flow(&entry, &c, &budget), 1);
	assert_int_equal(c.id, 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_never_torn),
		cmocka_unit_test(test_busy_entry_given_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
