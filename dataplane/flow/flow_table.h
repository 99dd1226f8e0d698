/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker flow table: preallocated entries (in the worker's shared
 * memory block, so the control plane can read them), an open-addressing
 * index with linear probing and backward-shift deletion, and one LRU list
 * per expiry class, so expiry and eviction look at list heads only.
 * No malloc after init, no locks: one worker owns one table.
 *
 * Cache behaviour, which dominates at a million flows: an index slot holds
 * the 32-bit hash next to the entry number, so probing never reads an
 * entry whose hash differs (and deletion never reads entries at all); a
 * flow moves to its list's tail at most once per relink granularity of
 * packet time (by default 1/16 of its class timeout: 18.75 s for an
 * established connection; expiry fixes up the heads that are stale), so a
 * packet almost never touches two random LRU neighbours, which is what a
 * relink costs (measured: a 1 s granularity made lookup+update 1.8x
 * slower at a million flows and 10 Mpps); and the prefetch calls let a
 * worker overlap the misses of a whole burst.
 *
 * What the granularity costs: expiry stays exact (a stale head is moved,
 * not ended), but eviction takes the head of the list whose head was seen
 * longest ago, which is the least recently seen flow to within the
 * granularity of its class. The per-packet check compares 16-bit stamps of
 * 16.8 ms in the entry's first line (the granularity is rounded down to
 * that unit and capped at 9 minutes); a flow silent for over 18 minutes
 * in between can miss one relink, which only loosens eviction order.
 */
#ifndef WC_FLOW_TABLE_H
#define WC_FLOW_TABLE_H

#include <stdint.h>

#include "wirecheck/flow.h"

enum wc_flow_list {
	WC_LIST_TCP_OPENING = 0, /* SYN seen, not established */
	WC_LIST_TCP_ACTIVE,      /* established, midstream */
	WC_LIST_TCP_CLOSED,      /* FIN both ways or RST: linger for stragglers */
	WC_LIST_OTHER,           /* UDP, ICMP, other protocols */
	WC_LIST_COUNT
};

struct wc_flow_table; /* opaque */

#define WC_FLOW_RELINK_DIV 16

/* The worker's default class timeouts (configurable; opening, active,
 * closed, other), indexed by enum wc_flow_list. */
#define WC_FLOW_TIMEOUTS_DEFAULT_NS \
	{30000000000ull, 300000000000ull, 10000000000ull, 60000000000ull}

/* Called for every flow that leaves the table (expiry, eviction, flush),
 * before its entry is reused. */
typedef void (*wc_flow_end_fn)(void *arg, struct wc_flow *f, enum wc_flow_end why);

struct wc_flow_table_cfg {
	struct wc_flow *entries; /* capacity entries, zeroed */
	uint64_t *index;         /* index_size slots (hash << 32 | entry + 1), zeroed */
	uint32_t capacity;
	uint32_t index_size;
	uint64_t timeout_ns[WC_LIST_COUNT];
	/* LRU position granularity per class; 0 = timeout / WC_FLOW_RELINK_DIV */
	uint64_t relink_ns[WC_LIST_COUNT];
	wc_flow_end_fn on_end;
	void *arg;
};

/* 0 or -errno (allocates the small private header only). */
int wc_flow_table_create(struct wc_flow_table **out, const struct wc_flow_table_cfg *cfg);
void wc_flow_table_destroy(struct wc_flow_table *t);

/* The key seen as WC_FLOW_KEY_WORDS 8-byte words in memory order (its
 * padding is zero, flow.h): what the hash mixes and lookups compare. A
 * caller that builds a key in registers hashes the words directly. */
#define WC_FLOW_KEY_WORDS 6
_Static_assert(sizeof(struct wc_flow_key) == 8 * WC_FLOW_KEY_WORDS, "key is whole words");

/* 64x64->128 multiply, halves folded (wyhash's "mum"). */
static inline uint64_t wc_flow_mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t wc_flow_key_hash64_words(const uint64_t w[WC_FLOW_KEY_WORDS])
{
	/* three independent multiplies over word pairs, then one to mix
	 * them: a short dependency chain (wyhash's construction) */
	uint64_t a = wc_flow_mum(w[0] ^ 0xa0761d6478bd642full, w[1] ^ 0xe7037ed1a0b428dbull);
	uint64_t b = wc_flow_mum(w[2] ^ 0x8ebc6af09c88c6e3ull, w[3] ^ 0x589965cc75374cc3ull);
	uint64_t c = wc_flow_mum(w[4] ^ 0x1d8e4e27c47d124full, w[5] ^ 0x9e3779b97f4a7c15ull);
	return wc_flow_mum(a ^ b ^ 0xa0761d6478bd642full, c ^ 0xe7037ed1a0b428dbull);
}

static inline uint32_t wc_flow_key_hash_words(const uint64_t w[WC_FLOW_KEY_WORDS])
{
	uint64_t h = wc_flow_key_hash64_words(w);
	return (uint32_t)(h ^ (h >> 32));
}

uint32_t wc_flow_key_hash(const struct wc_flow_key *k);
/* Prefetch the index slot of hash (first pass over a burst), then the
 * entry it names (second pass). Both only hint the cache. */
void wc_flow_table_prefetch_slot(const struct wc_flow_table *t, uint32_t hash);
/* Returns the entry the home slot names (a likely match, maybe NULL), whose
 * first line (key, lock, last_ns: all a lookup and touch read) is being
 * fetched; callers prefetch whatever else of it they will use. */
const struct wc_flow *wc_flow_table_prefetch_entry(const struct wc_flow_table *t,
						   uint32_t hash);
struct wc_flow *wc_flow_table_lookup(struct wc_flow_table *t,
				     const struct wc_flow_key *k, uint32_t hash);
/* Insert a new zeroed entry for k (the caller checked it is absent). When
 * full, the least recently seen flow of all lists is ended (evicted) first.
 * Never fails when capacity > 0. */
struct wc_flow *wc_flow_table_insert(struct wc_flow_table *t,
				     const struct wc_flow_key *k, uint32_t hash,
				     uint64_t now_ns, enum wc_flow_list list);
/* Mark f seen at now_ns (moves it to the tail of list). */
void wc_flow_table_touch(struct wc_flow_table *t, struct wc_flow *f,
			 enum wc_flow_list list, uint64_t now_ns);
/* End flows idle past their class timeout at packet time now_ns. Returns
 * how many ended (at most max). */
unsigned wc_flow_table_expire(struct wc_flow_table *t, uint64_t now_ns, unsigned max);
/* Has f been idle past its class timeout at packet time now_ns? */
int wc_flow_table_idle_expired(const struct wc_flow_table *t, const struct wc_flow *f,
			       uint64_t now_ns);
/* End one flow now (its own end reason if it has one, else why). */
void wc_flow_table_end(struct wc_flow_table *t, struct wc_flow *f, enum wc_flow_end why);
/* End every flow (shutdown). */
void wc_flow_table_flush(struct wc_flow_table *t, enum wc_flow_end why);
uint32_t wc_flow_table_count(const struct wc_flow_table *t);
uint64_t wc_flow_table_evictions(const struct wc_flow_table *t);

#endif
