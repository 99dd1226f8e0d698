/* SPDX-License-Identifier: BSD-3-Clause */
/* The SPSC event ring and the shm lifecycle: ordering under two threads,
 * drop-and-count when full, continuation after a consumer restart. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/worker.h"
#include "wirecheck/shm.h"

#define N_EVENTS 200000

static char instance[64];

static int setup(void **state)
{
	struct wc_shm *s = calloc(1, sizeof(*s));
	snprintf(instance, sizeof(instance), "test-ring-%ld", (long)getpid());
	struct wc_shm_params p = {.instance = instance, .n_workers = 2,
				  .ring_slots = 100, .ring_policy = WC_RING_DROP,
				  .linktype = 1, .mtu = 1500, .rate_limit = 10,
				  .source = "unit"};
	if (wc_shm_create(&p, s) != 0)
		return -1;
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	struct wc_shm *s = *state;
	wc_shm_detach(s);
	wc_shm_unlink(instance);
	free(s);
	return 0;
}

static void test_layout(void **state)
{
	struct wc_shm *s = *state;
	struct wc_shm_header *h = s->hdr;
	assert_int_equal(h->magic, WC_SHM_MAGIC);
	assert_int_equal(h->ring_slots, 128); /* rounded up to a power of two */
	assert_int_equal(wc_shm_worker(h, 0)->ring.mask, 127);
	/* worker blocks do not overlap and stay inside the mapping */
	assert_true(h->worker_offset[1] >= h->worker_offset[0] + h->worker_size);
	assert_true(h->worker_offset[1] + h->worker_size <= h->total_size);
	struct stat st;
	assert_int_equal(stat(s->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* SPEC §8 */

	/* a second mapping (the control plane) sees the same layout */
	struct wc_shm a;
	assert_int_equal(wc_shm_attach(instance, &a), 0);
	assert_int_equal(a.hdr->n_workers, 2);
	assert_string_equal(a.hdr->instance, instance);
	wc_shm_detach(&a);
	assert_int_equal(wc_shm_attach("no-such-instance-xyz", &a), -ENOENT);
	assert_int_equal(wc_shm_attach("../etc/passwd", &a), -EINVAL);
}

static void test_full_drops(void **state)
{
	struct wc_shm *s = *state;
	struct wc_worker_shm *w = wc_shm_worker(s->hdr, 1);
	uint64_t cached = 0, tail;
	unsigned ok = 0;
	for (unsigned i = 0; i < 200; i++) {
		struct wc_event *e = wc_ring_reserve(w, &cached);
		if (!e)
			continue;
		e->pcap_cnt = i;
		wc_ring_commit(w);
		ok++;
	}
	assert_int_equal(ok, 128);
	assert_int_equal(wc_ring_available(w, &tail), 128);
	assert_int_equal(wc_shm_ring_slots(w)[tail & w->ring.mask].pcap_cnt, 0);
	wc_ring_consume(w, 28);
	/* a restarted consumer continues from the shared tail */
	struct wc_shm again;
	assert_int_equal(wc_shm_attach(instance, &again), 0);
	struct wc_worker_shm *w2 = wc_shm_worker(again.hdr, 1);
	assert_int_equal(wc_ring_available(w2, &tail), 100);
	assert_int_equal(wc_shm_ring_slots(w2)[tail & w2->ring.mask].pcap_cnt, 28);
	wc_ring_consume(w2, 100);
	wc_shm_detach(&again);
	assert_non_null(wc_ring_reserve(w, &cached));
}

struct consumer_arg {
	struct wc_worker_shm *w;
	uint64_t seen;
	uint64_t errors;
};

static void *consumer(void *arg)
{
	struct consumer_arg *c = arg;
	while (c->seen < N_EVENTS) {
		uint64_t tail, n = wc_ring_available(c->w, &tail);
		for (uint64_t i = 0; i < n; i++) {
			const struct wc_event *e =
				&wc_shm_ring_slots(c->w)[(tail + i) & c->w->ring.mask];
			/* the payload written before the release must be visible */
			if (e->pcap_cnt != c->seen || e->flow_id != c->seen * 7 + 1)
				c->errors++;
			c->seen++;
		}
		if (n)
			wc_ring_consume(c->w, n);
	}
	return NULL;
}

static void test_two_threads_in_order(void **state)
{
	struct wc_shm *s = *state;
	struct wc_worker_shm *w = wc_shm_worker(s->hdr, 0);
	struct consumer_arg c = {.w = w};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, consumer, &c), 0);
	uint64_t cached = 0;
	for (uint64_t i = 0; i < N_EVENTS;) {
		struct wc_event *e = wc_ring_reserve(w, &cached);
		if (!e)
			continue; /* full: a real worker would count a drop */
		e->pcap_cnt = i;
		e->flow_id = i * 7 + 1;
		wc_ring_commit(w);
		i++;
	}
	pthread_join(t, NULL);
	assert_int_equal(c.seen, N_EVENTS);
	assert_int_equal(c.errors, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_full_drops),
		cmocka_unit_test(test_two_threads_in_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
