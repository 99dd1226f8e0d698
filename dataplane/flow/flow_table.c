/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct wc_flow_table {
	struct wc_flow *e;
	uint64_t *index;
	uint32_t capacity;
	uint32_t mask;
	uint32_t count;
	uint32_t free_head; /* entry index + 1, chained through lru_next */
	uint32_t head[WC_LIST_COUNT], tail[WC_LIST_COUNT]; /* index + 1 */
	uint64_t timeout_ns[WC_LIST_COUNT];
	uint64_t relink_ns[WC_LIST_COUNT];
	uint16_t relink_units[WC_LIST_COUNT]; /* the same in lru_stamp units */
	uint64_t evictions;
	wc_flow_end_fn on_end;
	void *arg;
};

int wc_flow_table_create(struct wc_flow_table **out, const struct wc_flow_table_cfg *cfg)
{
	if (!cfg->capacity || cfg->index_size < cfg->capacity ||
	    (cfg->index_size & (cfg->index_size - 1)))
		return -EINVAL;
	struct wc_flow_table *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->e = cfg->entries;
	t->index = cfg->index;
	t->capacity = cfg->capacity;
	t->mask = cfg->index_size - 1;
	memcpy(t->timeout_ns, cfg->timeout_ns, sizeof(t->timeout_ns));
	for (unsigned l = 0; l < WC_LIST_COUNT; l++)
		t->relink_ns[l] = cfg->relink_ns[l] ? cfg->relink_ns[l]
						    : cfg->timeout_ns[l] / WC_FLOW_RELINK_DIV;
	for (unsigned l = 0; l < WC_LIST_COUNT; l++) {
		/* at most half the stamp's range, so a difference of stamps
		 * is unambiguous for any gap up to 9 minutes */
		uint64_t u = t->relink_ns[l] >> WC_FLOW_STAMP_SHIFT;
		t->relink_units[l] = (uint16_t)(u > 0x7fff ? 0x7fff : u);
	}
	t->on_end = cfg->on_end;
	t->arg = cfg->arg;
	for (uint32_t i = 0; i < t->capacity; i++)
		t->e[i].lru_next = i + 2 <= t->capacity ? i + 2 : 0;
	t->free_head = 1;
	*out = t;
	return 0;
}

void wc_flow_table_destroy(struct wc_flow_table *t)
{
	free(t);
}

uint32_t wc_flow_key_hash(const struct wc_flow_key *k)
{
	uint64_t w[WC_FLOW_KEY_WORDS];
	memcpy(w, k, sizeof(w));
	return wc_flow_key_hash_words(w);
}

/* 48 key bytes as six 8-byte words: branch-free, no library call (the
 * keys' padding is zeroed, flow.h). */
static inline int key_eq(const struct wc_flow_key *a, const struct wc_flow_key *b)
{
	uint64_t x[6], y[6], d = 0;
	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	for (unsigned i = 0; i < 6; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}
_Static_assert(sizeof(struct wc_flow_key) == 48, "key_eq compares 48 bytes");

static inline struct wc_flow *ent(struct wc_flow_table *t, uint32_t idx1)
{
	return &t->e[idx1 - 1];
}

static inline void set_lru(struct wc_flow *f, uint64_t ns)
{
	f->lru_ns = ns;
	f->lru_stamp = (uint16_t)(ns >> WC_FLOW_STAMP_SHIFT);
}

static void list_unlink(struct wc_flow_table *t, struct wc_flow *f)
{
	uint32_t me = (uint32_t)(f - t->e) + 1;
	if (f->lru_prev)
		ent(t, f->lru_prev)->lru_next = f->lru_next;
	else if (t->head[f->list] == me)
		t->head[f->list] = f->lru_next;
	if (f->lru_next)
		ent(t, f->lru_next)->lru_prev = f->lru_prev;
	else if (t->tail[f->list] == me)
		t->tail[f->list] = f->lru_prev;
	f->lru_prev = f->lru_next = 0;
}

static void list_append(struct wc_flow_table *t, struct wc_flow *f, unsigned list)
{
	uint32_t me = (uint32_t)(f - t->e) + 1;
	f->list = (uint8_t)list;
	f->lru_next = 0;
	f->lru_prev = t->tail[list];
	if (t->tail[list])
		ent(t, t->tail[list])->lru_next = me;
	else
		t->head[list] = me;
	t->tail[list] = me;
}

static inline uint64_t mkslot(uint32_t hash, uint32_t idx1)
{
	return ((uint64_t)hash << 32) | idx1;
}

void wc_flow_table_prefetch_slot(const struct wc_flow_table *t, uint32_t hash)
{
	__builtin_prefetch(&t->index[hash & t->mask]);
}

const struct wc_flow *wc_flow_table_prefetch_entry(const struct wc_flow_table *t,
						   uint32_t hash)
{
	uint64_t s = t->index[hash & t->mask];
	if (!s || (uint32_t)(s >> 32) != hash)
		return NULL;
	const struct wc_flow *f = &t->e[(uint32_t)s - 1];
	__builtin_prefetch(f);
	return f;
}

struct wc_flow *wc_flow_table_lookup(struct wc_flow_table *t,
				     const struct wc_flow_key *k, uint32_t hash)
{
	/* bounded: an index sized exactly to the capacity can be full */
	for (uint32_t n = 0, i = hash & t->mask; n <= t->mask; n++, i = (i + 1) & t->mask) {
		uint64_t s = t->index[i];
		if (!s)
			return NULL;
		if ((uint32_t)(s >> 32) != hash)
			continue;
		struct wc_flow *f = ent(t, (uint32_t)s);
		if (key_eq(&f->key, k))
			return f;
	}
	return NULL;
}

/* Remove f from the index (backward-shift deletion keeps probe chains
 * intact without tombstones) and from its list, and free it. */
static void remove_entry(struct wc_flow_table *t, struct wc_flow *f)
{
	uint32_t me = (uint32_t)(f - t->e) + 1;
	uint32_t i = f->hash & t->mask;
	while ((uint32_t)t->index[i] != me)
		i = (i + 1) & t->mask;
	/* the hole is cleared first: in a full index it is the only empty
	 * slot, and the scan must stop there */
	t->index[i] = 0;
	for (uint32_t j = (i + 1) & t->mask;; j = (j + 1) & t->mask) {
		uint64_t s = t->index[j];
		if (!s)
			break;
		uint32_t home = (uint32_t)(s >> 32) & t->mask;
		/* move j back into the hole at i unless its home lies in (i, j] */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->index[i] = s;
			t->index[j] = 0;
			i = j;
		}
	}
	list_unlink(t, f);
	/* the entry is free: readers see state NONE with an even seq */
	uint32_t s = wc_flow_write_begin(f);
	memset((char *)f + sizeof(f->seq), 0, sizeof(*f) - sizeof(f->seq));
	f->lru_next = t->free_head;
	wc_flow_write_end(f, s);
	t->free_head = me;
	t->count--;
}

static void end_flow(struct wc_flow_table *t, struct wc_flow *f, enum wc_flow_end why)
{
	if (t->on_end)
		t->on_end(t->arg, f, why);
	remove_entry(t, f);
}

int wc_flow_table_idle_expired(const struct wc_flow_table *t, const struct wc_flow *f,
			       uint64_t now_ns)
{
	return f->last_ns + t->timeout_ns[f->list] <= now_ns;
}

void wc_flow_table_end(struct wc_flow_table *t, struct wc_flow *f, enum wc_flow_end why)
{
	end_flow(t, f, f->end ? (enum wc_flow_end)f->end : why);
}

static struct wc_flow *oldest(struct wc_flow_table *t)
{
	struct wc_flow *best = NULL;
	for (unsigned l = 0; l < WC_LIST_COUNT; l++) {
		if (!t->head[l])
			continue;
		struct wc_flow *f = ent(t, t->head[l]);
		if (!best || f->last_ns < best->last_ns)
			best = f;
	}
	return best;
}

struct wc_flow *wc_flow_table_insert(struct wc_flow_table *t,
				     const struct wc_flow_key *k, uint32_t hash,
				     uint64_t now_ns, enum wc_flow_list list)
{
	if (!t->free_head) {
		struct wc_flow *victim = oldest(t);
		if (!victim)
			return NULL;
		victim->flags |= WC_FLOW_EVICTED;
		t->evictions++;
		end_flow(t, victim, WC_END_TIMEOUT);
	}
	uint32_t me = t->free_head;
	struct wc_flow *f = ent(t, me);
	t->free_head = f->lru_next;
	uint32_t s = wc_flow_write_begin(f);
	f->key = *k;
	f->hash = hash;
	f->first_ns = f->last_ns = f->state_since_ns = now_ns;
	set_lru(f, now_ns);
	f->lru_next = f->lru_prev = 0;
	list_append(t, f, list);
	wc_flow_write_end(f, s);
	uint32_t i = hash & t->mask;
	while (t->index[i])
		i = (i + 1) & t->mask;
	t->index[i] = mkslot(hash, me);
	t->count++;
	return f;
}

void wc_flow_table_touch(struct wc_flow_table *t, struct wc_flow *f,
			 enum wc_flow_list list, uint64_t now_ns)
{
	if (now_ns > f->last_ns)
		f->last_ns = now_ns;
	if (f->list == list &&
	    (uint16_t)((f->last_ns >> WC_FLOW_STAMP_SHIFT) - f->lru_stamp) < t->relink_units[list])
		return; /* position still right to within the granularity */
	list_unlink(t, f);
	list_append(t, f, list);
	set_lru(f, f->last_ns);
}

unsigned wc_flow_table_expire(struct wc_flow_table *t, uint64_t now_ns, unsigned max)
{
	unsigned n = 0;
	for (unsigned l = 0; l < WC_LIST_COUNT; l++) {
		unsigned relinked = 0;
		while (n < max && t->head[l]) {
			struct wc_flow *f = ent(t, t->head[l]);
			if (f->last_ns + t->timeout_ns[l] <= now_ns) {
				end_flow(t, f, f->end ? (enum wc_flow_end)f->end : WC_END_TIMEOUT);
				n++;
			} else if (f->lru_ns < f->last_ns && relinked < 64) {
				/* seen since it was placed: its place is further back */
				list_unlink(t, f);
				list_append(t, f, l);
				set_lru(f, f->last_ns);
				relinked++;
			} else {
				break;
			}
		}
	}
	return n;
}

void wc_flow_table_flush(struct wc_flow_table *t, enum wc_flow_end why)
{
	for (unsigned l = 0; l < WC_LIST_COUNT; l++)
		while (t->head[l]) {
			struct wc_flow *f = ent(t, t->head[l]);
			end_flow(t, f, f->end ? (enum wc_flow_end)f->end : why);
		}
}

uint32_t wc_flow_table_count(const struct wc_flow_table *t)
{
	return t->count;
}

uint64_t wc_flow_table_evictions(const struct wc_flow_table *t)
{
	return t->evictions;
}
