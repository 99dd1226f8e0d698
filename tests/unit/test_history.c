/* SPDX-License-Identifier: BSD-3-Clause */
/* The worker's recent-packet history (dataplane/core/history.h): push and
 * wrap, lookup by flow tag bounded by k and by the ring, both directions
 * of a flow, a tag collision told apart by addresses and ports, entries
 * already exported skipped. Packets are wc_pkt structs filled by hand: the
 * history reads only the frame bytes, times and the IP layer given. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/history.h"
#include "wirecheck/shm.h"

static uint8_t frame_bytes[256];

/* Frame number n of the flow 10.0.0.1:port_a <-> 10.0.0.2:port_b (dir 1:
 * the reply); its first byte is n, so the copy can be checked. */
static void make_pkt(struct wc_pkt *p, struct wc_ip_layer *ip, uint64_t n,
		     uint16_t port_a, uint16_t port_b, int dir, uint32_t caplen)
{
	memset(p, 0, sizeof(*p));
	memset(ip, 0, sizeof(*ip));
	for (unsigned i = 0; i < sizeof(frame_bytes); i++)
		frame_bytes[i] = (uint8_t)(i ^ 0x5a);
	frame_bytes[0] = (uint8_t)n;
	p->data = frame_bytes;
	p->caplen = caplen;
	p->wirelen = caplen + 1000;
	p->ts_ns = n * 1000;
	p->frame_no = n;
	ip->family = 4;
	ip->proto = 6;
	uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
	memcpy(dir ? ip->dst : ip->src, a, 4);
	memcpy(dir ? ip->src : ip->dst, b, 4);
	ip->sport = dir ? port_b : port_a;
	ip->dport = dir ? port_a : port_b;
}

static void push(struct wc_history *h, uint32_t tag, uint64_t n, uint16_t pa, uint16_t pb,
		 int dir)
{
	struct wc_pkt p;
	struct wc_ip_layer ip;
	struct wc_hist_flow fl;
	make_pkt(&p, &ip, n, pa, pb, dir, 100);
	wc_history_flow_of(&ip, &fl);
	wc_history_push(h, wc_history_tag(tag), &fl, &p);
}

static struct wc_hist_flow flow_ab(uint16_t pa, uint16_t pb, int dir)
{
	struct wc_pkt p;
	struct wc_ip_layer ip;
	struct wc_hist_flow fl;
	make_pkt(&p, &ip, 0, pa, pb, dir, 100);
	wc_history_flow_of(&ip, &fl);
	return fl;
}

static void expect_frames(const struct wc_history *h, const uint32_t *slots, unsigned n,
			  const uint64_t *want, unsigned n_want)
{
	assert_int_equal(n, n_want);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(h->ent[slots[i]].frame_no, want[i]);
		assert_int_equal(h->ent[slots[i]].data[0], (uint8_t)want[i]);
		assert_int_equal(h->ent[slots[i]].ts_ns, want[i] * 1000);
	}
}

static void test_push_wrap_k(void **state)
{
	(void)state;
	struct wc_history h;
	assert_int_equal(wc_history_init(&h, 8), 0);
	uint32_t slots[WC_EVIDENCE_CONTEXT_MAX];
	struct wc_hist_flow fl = flow_ab(40000, 80, 0);
	assert_int_equal(wc_history_find(&h, wc_history_tag(7), &fl, 4, slots), 0);
	for (uint64_t n = 1; n <= 20; n++) /* 2.5 laps of the ring */
		push(&h, 7, n, 40000, 80, (int)(n & 1));
	/* the k most recent, oldest first; both directions of the flow */
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(7), &fl, 4, slots),
		      (const uint64_t[]){17, 18, 19, 20}, 4);
	/* more than the ring holds: what it holds */
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(7), &fl, 16, slots),
		      (const uint64_t[]){13, 14, 15, 16, 17, 18, 19, 20}, 8);
	/* k is capped at WC_EVIDENCE_CONTEXT_MAX; k 0 finds nothing */
	assert_int_equal(wc_history_find(&h, wc_history_tag(7), &fl, 1000, slots), 8);
	assert_int_equal(wc_history_find(&h, wc_history_tag(7), &fl, 0, slots), 0);
	/* the copy: caplen bytes, at most WC_HISTORY_SNAP */
	struct wc_pkt p;
	struct wc_ip_layer ip;
	make_pkt(&p, &ip, 21, 40000, 80, 0, 250);
	struct wc_hist_flow f21;
	wc_history_flow_of(&ip, &f21);
	wc_history_push(&h, wc_history_tag(7), &f21, &p);
	assert_int_equal(wc_history_find(&h, wc_history_tag(7), &fl, 1, slots), 1);
	assert_int_equal(h.ent[slots[0]].snap, WC_HISTORY_SNAP);
	assert_int_equal(h.ent[slots[0]].wirelen, 1250);
	assert_memory_equal(h.ent[slots[0]].data, frame_bytes, WC_HISTORY_SNAP);
	wc_history_fini(&h);
}

/* The block scan (16 tags per compare) against a one-slot-at-a-time model,
 * on a ring whose size is no multiple of 16, at every write position of
 * two laps, with few tags so that matches are dense and sparse. */
static void test_scan_model(void **state)
{
	(void)state;
	struct wc_history h;
	const uint32_t size = 1000;
	assert_int_equal(wc_history_init(&h, size), 0);
	uint32_t slots[WC_EVIDENCE_CONTEXT_MAX], want[WC_EVIDENCE_CONTEXT_MAX];
	struct wc_hist_flow fl = flow_ab(40000, 80, 0);
	uint64_t rng = 88172645463325252ull;
	for (uint64_t n = 1; n <= 2 * size + 7; n++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint32_t tag = (uint32_t)(rng % 5) + 1;
		push(&h, tag, n, 40000, 80, 0);
		if (rng % 7 == 0)
			wc_history_mark_exported(&h, (h.next + size - 1) % size);
		for (uint32_t t = 1; t <= 5; t += 2) {
			unsigned k = (unsigned)(rng >> 20) % WC_EVIDENCE_CONTEXT_MAX + 1, m = 0;
			for (uint32_t left = size, i = h.next; left && m < k; left--) {
				i = i ? i - 1 : size - 1;
				if (h.tags[i] == wc_history_tag(t))
					want[m++] = i;
			}
			unsigned got = wc_history_find(&h, wc_history_tag(t), &fl, k, slots);
			assert_int_equal(got, m);
			for (unsigned j = 0; j < m; j++) /* found newest first, given oldest first */
				assert_int_equal(slots[j], want[m - 1 - j]);
		}
	}
	wc_history_fini(&h);
}

static void test_flows_apart(void **state)
{
	(void)state;
	struct wc_history h;
	assert_int_equal(wc_history_init(&h, 64), 0);
	uint32_t slots[WC_EVIDENCE_CONTEXT_MAX];
	/* A (tag 7), B (tag 9), and C: another flow whose hash collides with A's */
	for (uint64_t n = 1; n <= 30; n++) {
		if (n % 3 == 0)
			push(&h, 7, n, 40000, 80, 0);        /* A */
		else if (n % 3 == 1)
			push(&h, 9, n, 40001, 80, 1);        /* B */
		else
			push(&h, 7, n, 40002, 443, 0);       /* C, same tag as A */
	}
	struct wc_hist_flow a = flow_ab(40000, 80, 1), c = flow_ab(40002, 443, 0);
	struct wc_hist_flow b = flow_ab(40001, 80, 0);
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(7), &a, 3, slots),
		      (const uint64_t[]){24, 27, 30}, 3);
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(7), &c, 2, slots),
		      (const uint64_t[]){26, 29}, 2);
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(9), &b, 2, slots),
		      (const uint64_t[]){25, 28}, 2);
	/* right addresses under the wrong tag: nothing */
	assert_int_equal(wc_history_find(&h, wc_history_tag(9), &a, 4, slots), 0);
	/* tag 0 never matches an empty slot */
	assert_int_equal(wc_history_tag(0), 1u);
	wc_history_fini(&h);
}

static void test_skip_exported(void **state)
{
	(void)state;
	struct wc_history h;
	assert_int_equal(wc_history_init(&h, 16), 0);
	uint32_t slots[WC_EVIDENCE_CONTEXT_MAX];
	for (uint64_t n = 1; n <= 10; n++)
		push(&h, 7, n, 40000, 80, 0);
	struct wc_hist_flow fl = flow_ab(40000, 80, 0);
	unsigned n = wc_history_find(&h, wc_history_tag(7), &fl, 3, slots);
	expect_frames(&h, slots, n, (const uint64_t[]){8, 9, 10}, 3);
	for (unsigned i = 0; i < n; i++)
		wc_history_mark_exported(&h, slots[i]);
	/* a later anomaly of the flow gets the packets before those */
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(7), &fl, 3, slots),
		      (const uint64_t[]){5, 6, 7}, 3);
	/* new packets after the export come first again */
	push(&h, 7, 11, 40000, 80, 1);
	expect_frames(&h, slots, wc_history_find(&h, wc_history_tag(7), &fl, 3, slots),
		      (const uint64_t[]){6, 7, 11}, 3);
	wc_history_fini(&h);
}

static void test_disabled(void **state)
{
	(void)state;
	struct wc_history h;
	assert_int_equal(wc_history_init(&h, 0), 0);
	push(&h, 7, 1, 40000, 80, 0); /* no-op */
	uint32_t slots[WC_EVIDENCE_CONTEXT_MAX];
	struct wc_hist_flow fl = flow_ab(40000, 80, 0);
	assert_int_equal(wc_history_find(&h, wc_history_tag(7), &fl, 4, slots), 0);
	wc_history_fini(&h);
	assert_int_equal(wc_history_init(&h, WC_HISTORY_MAX + 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_wrap_k),
		cmocka_unit_test(test_flows_apart),
		cmocka_unit_test(test_scan_model),
		cmocka_unit_test(test_skip_exported),
		cmocka_unit_test(test_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
