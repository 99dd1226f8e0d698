/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the per-worker flow table (dataplane/flow/flow_table.c),
 * driven directly through its API, without the worker or the tracker.
 *
 * Every table sits on a plain calloc'd array of struct wc_flow and a
 * calloc'd index of the slot type the API declares (as the worker's
 * shared-memory block provides them). Keys are built by mk_key() from a
 * small integer, so that every test knows exactly which flows exist;
 * several tests pass their own hash values instead of wc_flow_key_hash()
 * to force collisions and long probe chains that wrap around the end of
 * the index. The on_end callback logs
 * every flow that leaves the table (key, reason, flags, seq, list) so the
 * tests can check who was ended, why, and in which order.
 *
 * The reference model of the stress test is a per-key "present / entry
 * pointer / last seen / list" array; a targeted delete is done the only way
 * the API allows: touch the flow into the CLOSED list, whose timeout is 0
 * there, and expire at the same time.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "flow/flow_table.h"

/* The index slot type, as the table's configuration declares it. */
typedef __typeof__(*((struct wc_flow_table_cfg *)0)->index) idx_t;

/* Times: whole seconds of packet time. The fixture sets a 1 s LRU
 * granularity (flow_table.h: a flow moves to its list's tail at most once
 * per granularity), so touches that must reorder a list are at least a
 * second apart; test_relink_default covers the default granularity. */
#define S(x) ((uint64_t)(x) * 1000000000ull)

/* ------------------------------------------------------------------ */
/* Fixture                                                             */

#define LOG_MAX 100000

struct ended {
	struct wc_flow_key key;
	enum wc_flow_end why;
	uint16_t flags;
	uint32_t seq;
	uint8_t list;
	uint64_t last_ns;
	struct wc_flow *ptr;
};

struct tbl {
	struct wc_flow *e;
	idx_t *idx;
	uint32_t cap, isz;
	struct wc_flow_table *t;
	struct ended *log;
	unsigned n_log;
};

static void on_end(void *arg, struct wc_flow *f, enum wc_flow_end why)
{
	struct tbl *x = arg;
	if (x->n_log >= LOG_MAX)
		abort();
	struct ended *l = &x->log[x->n_log++];
	l->key = f->key;
	l->why = why;
	l->flags = f->flags;
	l->seq = atomic_load(&f->seq);
	l->list = f->list;
	l->last_ns = f->last_ns;
	l->ptr = f;
}

static const uint64_t DEFAULT_TO[WC_LIST_COUNT] = {
	[WC_LIST_TCP_OPENING] = S(30),
	[WC_LIST_TCP_ACTIVE] = S(300),
	[WC_LIST_TCP_CLOSED] = S(10),
	[WC_LIST_OTHER] = S(60),
};

static struct tbl *cur; /* freed by the teardown when a test fails */
static uint64_t relink_ns = S(1); /* LRU granularity of tables made by tbl_new */

static struct tbl *tbl_new(uint32_t cap, uint32_t isz, const uint64_t *to)
{
	struct tbl *x = calloc(1, sizeof(*x));
	cur = x;
	assert_non_null(x);
	x->e = calloc(cap, sizeof(*x->e));
	x->idx = calloc(isz, sizeof(*x->idx));
	x->log = calloc(LOG_MAX, sizeof(*x->log));
	assert_non_null(x->e);
	assert_non_null(x->idx);
	assert_non_null(x->log);
	x->cap = cap;
	x->isz = isz;
	struct wc_flow_table_cfg cfg = {.entries = x->e, .index = x->idx,
					.capacity = cap, .index_size = isz,
					.on_end = on_end, .arg = x};
	memcpy(cfg.timeout_ns, to ? to : DEFAULT_TO, sizeof(cfg.timeout_ns));
	for (unsigned l = 0; l < WC_LIST_COUNT; l++)
		cfg.relink_ns[l] = relink_ns;
	assert_int_equal(wc_flow_table_create(&x->t, &cfg), 0);
	return x;
}

static void tbl_free(struct tbl *x)
{
	wc_flow_table_destroy(x->t);
	free(x->e);
	free(x->idx);
	free(x->log);
	free(x);
	if (cur == x)
		cur = NULL;
}

static int teardown(void **state)
{
	(void)state;
	if (cur)
		tbl_free(cur);
	return 0;
}

/* A distinct, fully zero-padded key for every id. */
static struct wc_flow_key mk_key(uint32_t id)
{
	struct wc_flow_key k;
	memset(&k, 0, sizeof(k));
	k.addr[0][0] = 10;
	k.addr[0][2] = (uint8_t)(id >> 8);
	k.addr[0][3] = (uint8_t)id;
	k.addr[1][0] = 192;
	k.addr[1][1] = 168;
	k.addr[1][3] = 1;
	k.port[0] = (uint16_t)(1024 + (id >> 16));
	k.port[1] = 80;
	k.family = 4;
	k.proto = 6;
	return k;
}

static void assert_seq_even(const struct tbl *x)
{
	for (uint32_t i = 0; i < x->cap; i++)
		if (atomic_load(&x->e[i].seq) & 1) {
			fail_msg("entry %u has an odd seq %u", i, atomic_load(&x->e[i].seq));
		}
}

static struct wc_flow *ins(struct tbl *x, uint32_t id, uint64_t now, enum wc_flow_list l)
{
	struct wc_flow_key k = mk_key(id);
	struct wc_flow *f = wc_flow_table_insert(x->t, &k, wc_flow_key_hash(&k), now, l);
	assert_non_null(f);
	assert_seq_even(x);
	return f;
}

static struct wc_flow *look(struct tbl *x, uint32_t id)
{
	struct wc_flow_key k = mk_key(id);
	return wc_flow_table_lookup(x->t, &k, wc_flow_key_hash(&k));
}

static int key_is(const struct wc_flow_key *k, uint32_t id)
{
	struct wc_flow_key r = mk_key(id);
	return memcmp(k, &r, sizeof(r)) == 0;
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

static void test_create_args(void **state)
{
	(void)state;
	struct wc_flow e[8];
	idx_t idx[16];
	struct wc_flow_table *t;
	struct wc_flow_table_cfg cfg = {.entries = e, .index = idx, .capacity = 8,
					.index_size = 16};
	memset(e, 0, sizeof(e));
	memset(idx, 0, sizeof(idx));
	cfg.capacity = 0;
	assert_int_equal(wc_flow_table_create(&t, &cfg), -EINVAL);
	cfg.capacity = 8;
	cfg.index_size = 4; /* smaller than the capacity */
	assert_int_equal(wc_flow_table_create(&t, &cfg), -EINVAL);
	cfg.index_size = 12; /* not a power of two */
	assert_int_equal(wc_flow_table_create(&t, &cfg), -EINVAL);
	cfg.index_size = 16;
	assert_int_equal(wc_flow_table_create(&t, &cfg), 0);
	assert_int_equal(wc_flow_table_count(t), 0);
	assert_int_equal(wc_flow_table_evictions(t), 0);
	wc_flow_table_destroy(t);
}

static void test_insert_lookup(void **state)
{
	(void)state;
	struct tbl *x = tbl_new(32, 64, NULL);
	struct wc_flow *p[20];
	for (uint32_t i = 0; i < 20; i++) {
		assert_null(look(x, i)); /* absent before its insert */
		uint32_t s0 = atomic_load(&x->e[i].seq);
		p[i] = ins(x, i, 1000 + i, WC_LIST_TCP_ACTIVE);
		assert_int_equal(wc_flow_table_count(x->t), i + 1);
		/* the new entry: key, hash, times, list; seq bumped by 2 */
		assert_true(key_is(&p[i]->key, i));
		struct wc_flow_key k = mk_key(i);
		assert_int_equal(p[i]->hash, wc_flow_key_hash(&k));
		assert_int_equal(p[i]->first_ns, 1000 + i);
		assert_int_equal(p[i]->last_ns, 1000 + i);
		assert_int_equal(p[i]->list, WC_LIST_TCP_ACTIVE);
		assert_int_equal(p[i]->flags, 0);
		assert_true(p[i] >= x->e && p[i] < x->e + x->cap);
		assert_int_equal(atomic_load(&p[i]->seq), s0 + 2);
	}
	for (uint32_t i = 0; i < 20; i++)
		assert_ptr_equal(look(x, i), p[i]);
	for (uint32_t i = 20; i < 200; i++)
		assert_null(look(x, i));
	/* a different hash for a present key never finds it by accident of
	 * the probe: the stored hash is compared too */
	struct wc_flow_key k0 = mk_key(0);
	uint32_t h0 = wc_flow_key_hash(&k0);
	assert_null(wc_flow_table_lookup(x->t, &k0, h0 ^ 0x80000000u));
	/* touch keeps the entry where it is and updates last_ns (never back) */
	wc_flow_table_touch(x->t, p[3], WC_LIST_OTHER, 5000);
	assert_int_equal(p[3]->last_ns, 5000);
	assert_int_equal(p[3]->list, WC_LIST_OTHER);
	wc_flow_table_touch(x->t, p[3], WC_LIST_OTHER, 4000);
	assert_int_equal(p[3]->last_ns, 5000);
	assert_ptr_equal(look(x, 3), p[3]);
	assert_seq_even(x);
	assert_int_equal(x->n_log, 0);
	tbl_free(x);
}

/* Keys that differ in a single field (one address byte, a port, a VLAN, the
 * tunnel id or type, proto, family) are different flows, whether their
 * hashes differ or are forced equal. */
static void test_key_fields(void **state)
{
	(void)state;
	enum { NV = 1 + 32 + 2 + 2 + 1 + 1 + 1 + 1 };
	struct wc_flow_key v[NV];
	unsigned n = 0;
	struct wc_flow_key base;
	memset(&base, 0, sizeof(base));
	for (int i = 0; i < 16; i++) {
		base.addr[0][i] = (uint8_t)(0x20 + i);
		base.addr[1][i] = (uint8_t)(0x60 + i);
	}
	base.port[0] = 1000;
	base.port[1] = 2000;
	base.vlan[0] = 10;
	base.vlan[1] = 20;
	base.tunnel_id = 77;
	base.tunnel_type = 1;
	base.family = 6;
	base.proto = 6;
	v[n++] = base;
	for (int s = 0; s < 2; s++)
		for (int i = 0; i < 16; i++) {
			v[n] = base;
			v[n++].addr[s][i] ^= 0x01;
		}
	for (int s = 0; s < 2; s++) {
		v[n] = base;
		v[n++].port[s]++;
	}
	for (int s = 0; s < 2; s++) {
		v[n] = base;
		v[n++].vlan[s]++;
	}
	v[n] = base;
	v[n++].tunnel_id++;
	v[n] = base;
	v[n++].tunnel_type++;
	v[n] = base;
	v[n++].proto = 17;
	v[n] = base;
	v[n++].family = 4;
	assert_int_equal(n, NV);

	/* 1: only the base present: no variant matches it */
	for (int forced = 0; forced < 2; forced++) {
		struct tbl *x = tbl_new(64, 128, NULL);
		uint32_t hb = forced ? 0x1234u : wc_flow_key_hash(&base);
		struct wc_flow *fb = wc_flow_table_insert(x->t, &base, hb, 1, WC_LIST_OTHER);
		assert_ptr_equal(wc_flow_table_lookup(x->t, &base, hb), fb);
		for (unsigned i = 1; i < n; i++) {
			uint32_t h = forced ? hb : wc_flow_key_hash(&v[i]);
			assert_null(wc_flow_table_lookup(x->t, &v[i], h));
		}
		tbl_free(x);
	}
	/* 2: all present, with real and with one forced hash (one chain of
	 * 42): each finds its own entry */
	for (int forced = 0; forced < 2; forced++) {
		struct tbl *x = tbl_new(64, 128, NULL);
		struct wc_flow *p[NV];
		for (unsigned i = 0; i < n; i++) {
			uint32_t h = forced ? 0x7fu : wc_flow_key_hash(&v[i]);
			assert_null(wc_flow_table_lookup(x->t, &v[i], h));
			p[i] = wc_flow_table_insert(x->t, &v[i], h, i + 1, WC_LIST_OTHER);
			assert_non_null(p[i]);
		}
		assert_int_equal(wc_flow_table_count(x->t), n);
		for (unsigned i = 0; i < n; i++) {
			uint32_t h = forced ? 0x7fu : wc_flow_key_hash(&v[i]);
			assert_ptr_equal(wc_flow_table_lookup(x->t, &v[i], h), p[i]);
			assert_memory_equal(&p[i]->key, &v[i], sizeof(v[i]));
		}
		tbl_free(x);
	}
}

/* Capacity N: the (N+1)th insert ends exactly the least recently touched
 * flow, flagged evicted, reason timeout, and reuses its entry. */
static void test_evict_lru(void **state)
{
	(void)state;
	enum { N = 8 };
	struct tbl *x = tbl_new(N, 16, NULL);
	struct wc_flow *p[N + 2];
	for (uint32_t i = 0; i < N; i++)
		p[i] = ins(x, i, S(100 + i), WC_LIST_TCP_ACTIVE);
	/* touch 0, 1 and 2 again: flow 3 (seen at 103) is now the oldest */
	wc_flow_table_touch(x->t, p[0], WC_LIST_TCP_ACTIVE, S(200));
	wc_flow_table_touch(x->t, p[2], WC_LIST_TCP_ACTIVE, S(201));
	wc_flow_table_touch(x->t, p[1], WC_LIST_TCP_ACTIVE, S(202));
	assert_int_equal(x->n_log, 0);

	p[N] = ins(x, N, S(300), WC_LIST_TCP_ACTIVE);
	assert_int_equal(x->n_log, 1);
	assert_true(key_is(&x->log[0].key, 3));
	assert_int_equal(x->log[0].why, WC_END_TIMEOUT);
	assert_true(x->log[0].flags & WC_FLOW_EVICTED);
	assert_int_equal(x->log[0].seq & 1, 0);
	assert_int_equal(x->log[0].last_ns, S(103));
	assert_ptr_equal(p[N], x->log[0].ptr); /* the victim's entry is reused */
	assert_int_equal(p[N]->flags, 0);      /* ... clean */
	assert_int_equal(wc_flow_table_count(x->t), N);
	assert_int_equal(wc_flow_table_evictions(x->t), 1);
	assert_null(look(x, 3));
	for (uint32_t i = 0; i <= N; i++)
		if (i != 3)
			assert_ptr_equal(look(x, i), p[i]);

	/* the next one goes: 4 (104) */
	p[N + 1] = ins(x, N + 1, S(301), WC_LIST_TCP_ACTIVE);
	assert_int_equal(x->n_log, 2);
	assert_true(key_is(&x->log[1].key, 4));
	assert_true(x->log[1].flags & WC_FLOW_EVICTED);
	assert_null(look(x, 4));
	assert_int_equal(wc_flow_table_evictions(x->t), 2);
	assert_int_equal(wc_flow_table_count(x->t), N);
	assert_seq_even(x);
	tbl_free(x);
}

/* The victim is the least recently seen flow of all expiry classes. */
static void test_evict_across_lists(void **state)
{
	(void)state;
	struct tbl *x = tbl_new(4, 8, NULL);
	struct wc_flow *a = ins(x, 0, S(10), WC_LIST_TCP_ACTIVE);
	ins(x, 1, S(20), WC_LIST_TCP_OPENING);
	ins(x, 2, S(30), WC_LIST_OTHER);
	ins(x, 3, S(40), WC_LIST_TCP_CLOSED);
	wc_flow_table_touch(x->t, a, WC_LIST_TCP_ACTIVE, S(50));
	const uint32_t expect[4] = {1, 2, 3, 0};
	for (uint32_t i = 0; i < 4; i++) {
		ins(x, 10 + i, S(60 + i), WC_LIST_OTHER);
		assert_int_equal(x->n_log, i + 1);
		assert_true(key_is(&x->log[i].key, expect[i]));
		assert_int_equal(x->log[i].why, WC_END_TIMEOUT);
		assert_true(x->log[i].flags & WC_FLOW_EVICTED);
		assert_null(look(x, expect[i]));
		assert_int_equal(wc_flow_table_count(x->t), 4);
	}
	for (uint32_t i = 0; i < 4; i++)
		assert_non_null(look(x, 10 + i));
	assert_int_equal(wc_flow_table_evictions(x->t), 4);
	tbl_free(x);
}

/* Expiry: per-class timeouts, LRU order within a class, f->end kept as
 * the reason, max honoured. Timeouts: opening 30 s, active 300 s,
 * closed 10 s, other 60 s; the comments give when each flow is due. */
static void test_expire(void **state)
{
	(void)state;
	struct tbl *x = tbl_new(16, 32, NULL);
	ins(x, 1, S(100), WC_LIST_TCP_OPENING);                   /* 130: ends */
	ins(x, 2, S(106), WC_LIST_TCP_OPENING);                   /* 136: stays */
	struct wc_flow *g = ins(x, 7, S(90), WC_LIST_TCP_OPENING); /* touched below */
	ins(x, 3, S(50), WC_LIST_TCP_ACTIVE);                     /* 350: stays */
	ins(x, 4, S(120), WC_LIST_TCP_CLOSED);                    /* 130: ends */
	struct wc_flow *e = ins(x, 5, S(124), WC_LIST_TCP_CLOSED); /* 134: ends, FIN */
	e->end = WC_END_FIN;
	ins(x, 8, S(126), WC_LIST_TCP_CLOSED);                    /* 136: stays */
	ins(x, 6, S(70), WC_LIST_OTHER);                          /* 130: ends */
	wc_flow_table_touch(x->t, g, WC_LIST_TCP_OPENING, S(128)); /* 158: stays */

	/* nothing is idle enough yet */
	assert_int_equal(wc_flow_table_expire(x->t, S(129), 100), 0);
	assert_int_equal(x->n_log, 0);

	assert_int_equal(wc_flow_table_expire(x->t, S(135), 100), 4);
	assert_int_equal(x->n_log, 4);
	int seen[9] = {0};
	int pos[9];
	for (unsigned i = 0; i < x->n_log; i++)
		for (uint32_t id = 0; id < 9; id++)
			if (key_is(&x->log[i].key, id)) {
				seen[id]++;
				pos[id] = (int)i;
			}
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[4], 1);
	assert_int_equal(seen[5], 1);
	assert_int_equal(seen[6], 1);
	assert_int_equal(seen[2] + seen[3] + seen[7] + seen[8], 0);
	assert_true(pos[4] < pos[5]); /* LRU order within a class */
	assert_int_equal(x->log[pos[1]].why, WC_END_TIMEOUT);
	assert_int_equal(x->log[pos[4]].why, WC_END_TIMEOUT);
	assert_int_equal(x->log[pos[5]].why, WC_END_FIN); /* its own reason */
	assert_int_equal(x->log[pos[6]].why, WC_END_TIMEOUT);
	for (unsigned i = 0; i < x->n_log; i++)
		assert_false(x->log[i].flags & WC_FLOW_EVICTED);
	assert_int_equal(wc_flow_table_count(x->t), 4);
	assert_null(look(x, 1));
	assert_null(look(x, 4));
	assert_null(look(x, 5));
	assert_null(look(x, 6));
	assert_non_null(look(x, 2));
	assert_non_null(look(x, 3));
	assert_non_null(look(x, 7));
	assert_non_null(look(x, 8));
	assert_seq_even(x);

	/* max: one at a time, oldest of the first class first (2 before 7,
	 * although 7 was inserted first: it was touched later) */
	assert_int_equal(wc_flow_table_expire(x->t, S(1000), 1), 1);
	assert_true(key_is(&x->log[4].key, 2));
	assert_int_equal(wc_flow_table_expire(x->t, S(1000), 1), 1);
	assert_true(key_is(&x->log[5].key, 7));
	/* the active flow (50 + 300 = 350) and flow 8 go at 1000 */
	assert_int_equal(wc_flow_table_expire(x->t, S(1000), 100), 2);
	assert_int_equal(wc_flow_table_count(x->t), 0);
	assert_int_equal(wc_flow_table_evictions(x->t), 0);
	assert_seq_even(x);

	/* ended entries read as free: zeroed, seq even */
	for (uint32_t i = 0; i < x->cap; i++) {
		assert_int_equal(x->e[i].state, 0);
		assert_int_equal(x->e[i].last_ns, 0);
	}
	tbl_free(x);
}

/* A flow seen again within a second keeps its list position (no relink on
 * the packet path); expiry must still end only what is idle: the stale
 * head seen recently is not ended, the flow behind it that is idle is. */
static void test_expire_stale_head(void **state)
{
	(void)state;
	struct tbl *x = tbl_new(8, 16, NULL);
	const uint64_t ms = 1000000ull;
	struct wc_flow *a = ins(x, 1, S(0), WC_LIST_OTHER);
	ins(x, 2, S(0) + 1 * ms, WC_LIST_OTHER);
	wc_flow_table_touch(x->t, a, WC_LIST_OTHER, S(0) + 500 * ms); /* a due at 60.5 s */
	/* 60.2 s: 2 (due 60.001 s) is idle past 60 s, a is not */
	assert_int_equal(wc_flow_table_expire(x->t, S(60) + 200 * ms, 100), 1);
	assert_int_equal(x->n_log, 1);
	assert_true(key_is(&x->log[0].key, 2));
	assert_ptr_equal(look(x, 1), a);
	assert_int_equal(wc_flow_table_expire(x->t, S(60) + 499 * ms, 100), 0);
	assert_int_equal(wc_flow_table_expire(x->t, S(60) + 500 * ms, 100), 1);
	assert_true(key_is(&x->log[1].key, 1));
	assert_int_equal(wc_flow_table_count(x->t), 0);
	assert_seq_even(x);
	tbl_free(x);
}

/* Touching a flow into another class makes it expire by that class's
 * timeout, and order within a class follows touches, not inserts. */
static void test_expire_class_move(void **state)
{
	(void)state;
	struct tbl *x = tbl_new(8, 16, NULL);
	struct wc_flow *a = ins(x, 1, S(10), WC_LIST_TCP_OPENING);
	ins(x, 2, S(20), WC_LIST_TCP_OPENING);
	ins(x, 3, S(30), WC_LIST_TCP_OPENING);
	wc_flow_table_touch(x->t, a, WC_LIST_TCP_OPENING, S(40)); /* a: 70 */
	assert_int_equal(wc_flow_table_expire(x->t, S(65), 100), 2); /* 2 (50), 3 (60) */
	assert_true(key_is(&x->log[0].key, 2));
	assert_true(key_is(&x->log[1].key, 3));
	assert_ptr_equal(look(x, 1), a);
	/* now active (300): survives 80, which would have ended it as opening */
	wc_flow_table_touch(x->t, a, WC_LIST_TCP_ACTIVE, S(41));
	assert_int_equal(wc_flow_table_expire(x->t, S(80), 100), 0);
	/* closed (10) */
	wc_flow_table_touch(x->t, a, WC_LIST_TCP_CLOSED, S(85));
	assert_int_equal(wc_flow_table_expire(x->t, S(94), 100), 0);
	assert_int_equal(wc_flow_table_expire(x->t, S(96), 100), 1);
	assert_true(key_is(&x->log[2].key, 1));
	assert_int_equal(x->log[2].list, WC_LIST_TCP_CLOSED);
	assert_int_equal(wc_flow_table_count(x->t), 0);
	tbl_free(x);
}

static void test_flush(void **state)
{
	(void)state;
	struct tbl *x = tbl_new(16, 32, NULL);
	for (uint32_t i = 0; i < 12; i++) {
		struct wc_flow *f = ins(x, i, 100 + i, (enum wc_flow_list)(i % WC_LIST_COUNT));
		if (i == 5)
			f->end = WC_END_RST;
	}
	wc_flow_table_flush(x->t, WC_END_SHUTDOWN);
	assert_int_equal(x->n_log, 12);
	assert_int_equal(wc_flow_table_count(x->t), 0);
	int seen[12] = {0};
	for (unsigned i = 0; i < 12; i++) {
		for (uint32_t id = 0; id < 12; id++)
			if (key_is(&x->log[i].key, id)) {
				seen[id]++;
				assert_int_equal(x->log[i].why, id == 5 ? WC_END_RST : WC_END_SHUTDOWN);
			}
		assert_false(x->log[i].flags & WC_FLOW_EVICTED);
	}
	for (uint32_t id = 0; id < 12; id++) {
		assert_int_equal(seen[id], 1);
		assert_null(look(x, id));
	}
	assert_seq_even(x);
	/* the table is reusable: all 16 entries free again, no eviction */
	for (uint32_t i = 100; i < 116; i++)
		ins(x, i, 1000 + i, WC_LIST_OTHER);
	assert_int_equal(wc_flow_table_count(x->t), 16);
	assert_int_equal(x->n_log, 12);
	assert_int_equal(wc_flow_table_evictions(x->t), 0);
	for (uint32_t i = 100; i < 116; i++)
		assert_non_null(look(x, i));
	tbl_free(x);
}

/* The default granularity is 1/16 of the class timeout (3.75 s for the
 * 60 s OTHER class): a touch within it leaves the flow in place, so a full
 * table evicts that flow although a flow behind it was seen earlier (by
 * less than the granularity); a touch after it moves the flow back, and
 * the least recently seen flow goes. */
static void test_relink_default(void **state)
{
	(void)state;
	const uint64_t ms = 1000000ull;
	relink_ns = 0;
	struct tbl *x = tbl_new(2, 4, NULL);
	relink_ns = S(1);
	struct wc_flow *a = ins(x, 1, S(0), WC_LIST_OTHER);
	ins(x, 2, S(1), WC_LIST_OTHER);
	wc_flow_table_touch(x->t, a, WC_LIST_OTHER, S(3) + 700 * ms); /* < 3.75 s: stays */
	assert_int_equal(a->lru_ns, S(0));
	ins(x, 3, S(4), WC_LIST_OTHER);
	assert_int_equal(x->n_log, 1);
	assert_true(key_is(&x->log[0].key, 1)); /* within the granularity of 2's age */
	assert_true(x->log[0].flags & WC_FLOW_EVICTED);
	/* now 2 (seen at 1 s) and 3 (4 s): touch 2 at 4.75 s, 3.75 s after
	 * its placement: it moves behind 3, which goes next */
	struct wc_flow *b = look(x, 2);
	assert_non_null(b);
	wc_flow_table_touch(x->t, b, WC_LIST_OTHER, S(4) + 750 * ms);
	assert_int_equal(b->lru_ns, S(4) + 750 * ms);
	ins(x, 4, S(5), WC_LIST_OTHER);
	assert_int_equal(x->n_log, 2);
	assert_true(key_is(&x->log[1].key, 3));
	assert_ptr_equal(look(x, 2), b);
	assert_int_equal(wc_flow_table_evictions(x->t), 2);
	assert_seq_even(x);
	tbl_free(x);
}

/* Randomised insert / delete / touch / lookup against a reference model,
 * with hashes forced into a few home slots (some at the end of the index,
 * so chains wrap) and some keys sharing the exact same hash. */
#define POOL 200
#define CAP 64
#define ISZ 128

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;
static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

static uint32_t forced_hash(uint32_t id)
{
	static const uint32_t homes[7] = {0, 1, 2, 64, 125, 126, 127};
	return homes[id % 7] | ((id % 3) << 20);
}

static void test_stress_model(void **state)
{
	(void)state;
	const uint64_t big = 1ull << 62;
	const uint64_t to[WC_LIST_COUNT] = {
		[WC_LIST_TCP_OPENING] = big, [WC_LIST_TCP_ACTIVE] = big,
		[WC_LIST_TCP_CLOSED] = 0, [WC_LIST_OTHER] = big,
	};
	static const enum wc_flow_list live_lists[3] = {
		WC_LIST_TCP_OPENING, WC_LIST_TCP_ACTIVE, WC_LIST_OTHER};
	struct tbl *x = tbl_new(CAP, ISZ, to);
	struct wc_flow_key keys[POOL];
	for (uint32_t i = 0; i < POOL; i++)
		keys[i] = mk_key(i);
	int present[POOL] = {0};
	struct wc_flow *ent[POOL] = {0};
	uint64_t last[POOL] = {0};
	uint32_t count = 0;
	uint64_t now = S(1), evictions = 0;
	unsigned n_ins = 0, n_del = 0, n_evict = 0;

	for (unsigned op = 0; op < 20000; op++) {
		now += S(1); /* touches a second apart always reorder */
		/* phases: fill up (and evict), then drain, and again */
		int filling = (op / 2500) % 2 == 0;
		uint32_t r = rnd(100);
		uint32_t k = rnd(POOL);
		int do_ins = filling ? r < 60 : r < 25;
		int do_del = filling ? r >= 60 && r < 75 : r >= 25 && r < 75;
		if (do_ins && !present[k]) {
			assert_null(wc_flow_table_lookup(x->t, &keys[k], forced_hash(k)));
			int victim = -1;
			if (count == CAP) {
				for (int i = 0; i < POOL; i++)
					if (present[i] && (victim < 0 || last[i] < last[victim]))
						victim = i;
			}
			unsigned before = x->n_log;
			struct wc_flow *f = wc_flow_table_insert(x->t, &keys[k], forced_hash(k), now,
								 live_lists[rnd(3)]);
			assert_non_null(f);
			if (victim >= 0) {
				assert_int_equal(x->n_log, before + 1);
				assert_memory_equal(&x->log[before].key, &keys[victim], sizeof(keys[0]));
				assert_true(x->log[before].flags & WC_FLOW_EVICTED);
				assert_int_equal(x->log[before].why, WC_END_TIMEOUT);
				present[victim] = 0;
				ent[victim] = NULL;
				count--;
				evictions++;
				n_evict++;
			} else {
				assert_int_equal(x->n_log, before);
			}
			present[k] = 1;
			ent[k] = f;
			last[k] = now;
			count++;
			n_ins++;
		} else if (do_del && count) {
			/* delete a random present flow */
			while (!present[k])
				k = (k + 1) % POOL;
			unsigned before = x->n_log;
			wc_flow_table_touch(x->t, ent[k], WC_LIST_TCP_CLOSED, now);
			assert_int_equal(wc_flow_table_expire(x->t, now, UINT32_MAX), 1);
			assert_int_equal(x->n_log, before + 1);
			assert_memory_equal(&x->log[before].key, &keys[k], sizeof(keys[0]));
			assert_false(x->log[before].flags & WC_FLOW_EVICTED);
			present[k] = 0;
			ent[k] = NULL;
			count--;
			n_del++;
		} else if (r < 90 && count) {
			while (!present[k])
				k = (k + 1) % POOL;
			wc_flow_table_touch(x->t, ent[k], live_lists[rnd(3)], now);
			last[k] = now;
		}
		/* invariants after every operation */
		assert_int_equal(wc_flow_table_count(x->t), count);
		assert_int_equal(wc_flow_table_evictions(x->t), evictions);
		for (uint32_t i = 0; i < POOL; i++) {
			struct wc_flow *f = wc_flow_table_lookup(x->t, &keys[i], forced_hash(i));
			if (f != ent[i])
				fail_msg("op %u: key %u: lookup %p, model %p", op, i, (void *)f,
					 (void *)ent[i]);
			if (f)
				assert_memory_equal(&f->key, &keys[i], sizeof(keys[i]));
		}
		assert_seq_even(x);
		/* the index holds exactly count entries */
		uint32_t used = 0;
		for (uint32_t i = 0; i < ISZ; i++)
			used += x->idx[i] != 0;
		assert_int_equal(used, count);
	}
	print_message("stress: %u inserts, %u deletes, %u evictions\n", n_ins, n_del, n_evict);
	/* the run exercised all three paths */
	assert_true(n_ins > 1000);
	assert_true(n_del > 1000);
	assert_true(n_evict > 200);
	tbl_free(x);
}

/* index_size == capacity is accepted by wc_flow_table_create (the contract
 * is index_size >= capacity); once the table is full, every index slot is
 * taken, and a lookup of an absent key must still return NULL (or create
 * must refuse the configuration). Run in a child with an alarm: a probe
 * loop that never meets an empty slot would hang. */
static void test_full_index_lookup_absent(void **state)
{
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(2);
		struct wc_flow e[4];
		idx_t idx[4];
		memset(e, 0, sizeof(e));
		memset(idx, 0, sizeof(idx));
		struct wc_flow_table *t;
		struct wc_flow_table_cfg cfg = {.entries = e, .index = idx, .capacity = 4,
						.index_size = 4};
		if (wc_flow_table_create(&t, &cfg) != 0)
			_exit(0); /* refusing the configuration is fine too */
		for (uint32_t i = 0; i < 4; i++) {
			struct wc_flow_key k = mk_key(i);
			wc_flow_table_insert(t, &k, wc_flow_key_hash(&k), i + 1, WC_LIST_OTHER);
		}
		struct wc_flow_key k = mk_key(99);
		struct wc_flow *f = wc_flow_table_lookup(t, &k, wc_flow_key_hash(&k));
		/* and a 5th insert (lookup first, as the tracker does) evicts */
		if (!f) {
			wc_flow_table_insert(t, &k, wc_flow_key_hash(&k), 10, WC_LIST_OTHER);
			struct wc_flow_key k0 = mk_key(0);
			if (wc_flow_table_lookup(t, &k0, wc_flow_key_hash(&k0)) == NULL &&
			    wc_flow_table_count(t) == 4)
				_exit(0);
		}
		_exit(1);
	}
	int st = 0;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("lookup of an absent key in a full table with index_size == "
			 "capacity did not return (killed by signal %d)", WTERMSIG(st));
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_args, teardown),
		cmocka_unit_test_teardown(test_insert_lookup, teardown),
		cmocka_unit_test_teardown(test_key_fields, teardown),
		cmocka_unit_test_teardown(test_evict_lru, teardown),
		cmocka_unit_test_teardown(test_evict_across_lists, teardown),
		cmocka_unit_test_teardown(test_expire, teardown),
		cmocka_unit_test_teardown(test_expire_stale_head, teardown),
		cmocka_unit_test_teardown(test_expire_class_move, teardown),
		cmocka_unit_test_teardown(test_flush, teardown),
		cmocka_unit_test_teardown(test_relink_default, teardown),
		cmocka_unit_test_teardown(test_stress_model, teardown),
		cmocka_unit_test_teardown(test_full_index_lookup_absent, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
