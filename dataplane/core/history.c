/* SPDX-License-Identifier: BSD-3-Clause */
#include "history.h"

#include <errno.h>
#include <stdlib.h>

#include "wirecheck/shm.h"

int wc_history_init(struct wc_history *h, uint32_t size)
{
	memset(h, 0, sizeof(*h));
	if (size > WC_HISTORY_MAX)
		return -EINVAL;
	if (!size)
		return 0;
	h->tags = calloc(size, sizeof(*h->tags));
	h->ent = calloc(size, sizeof(*h->ent));
	if (!h->tags || !h->ent) {
		wc_history_fini(h);
		return -ENOMEM;
	}
	h->size = size;
	return 0;
}

void wc_history_fini(struct wc_history *h)
{
	free(h->tags);
	free(h->ent);
	memset(h, 0, sizeof(*h));
}

#define BLOCK 16

/* Matches among slots [lo, hi), highest first, appended to slots[n..k). */
static unsigned scan_down(const struct wc_history *h, uint32_t lo, uint32_t hi,
			  uint32_t tag, const struct wc_hist_flow *fl, unsigned k,
			  uint32_t *slots, unsigned n)
{
	uint32_t i = hi;
	/* the unaligned top end one slot at a time */
	while (i > lo && (i % BLOCK) && n < k) {
		i--;
		if (h->tags[i] == tag && wc_history_flow_eq(&h->ent[i].flow, fl))
			slots[n++] = i;
	}
	while (i >= lo + BLOCK && n < k) {
		const uint32_t *t = &h->tags[i - BLOCK];
		uint32_t m = 0;
		for (unsigned j = 0; j < BLOCK; j++)
			m |= (uint32_t)(t[j] == tag) << j;
		while (m && n < k) {
			unsigned j = 31u - (unsigned)__builtin_clz(m); /* highest first */
			m &= ~(1u << j);
			if (wc_history_flow_eq(&h->ent[i - BLOCK + j].flow, fl))
				slots[n++] = i - BLOCK + j;
		}
		i -= BLOCK;
	}
	while (i > lo && n < k) {
		i--;
		if (h->tags[i] == tag && wc_history_flow_eq(&h->ent[i].flow, fl))
			slots[n++] = i;
	}
	return n;
}

unsigned wc_history_find(const struct wc_history *h, uint32_t tag,
			 const struct wc_hist_flow *fl, unsigned k, uint32_t *slots)
{
	if (k > WC_EVIDENCE_CONTEXT_MAX)
		k = WC_EVIDENCE_CONTEXT_MAX;
	if (!h->size || !k || !tag)
		return 0;
	/* newest first: slots next-1 .. 0, then size-1 .. next; every slot
	 * once at most; empty and exported slots hold tag 0. The tags are
	 * compared 16 at a time (one mask, vectorised), so a scan of the
	 * default 1024 slots costs 64 block compares, not 1024 branches. */
	unsigned n = 0;
	n = scan_down(h, 0, h->next, tag, fl, k, slots, n);
	if (n < k)
		n = scan_down(h, h->next, h->size, tag, fl, k, slots, n);
	for (unsigned a = 0, b = n ? n - 1 : 0; a < b; a++, b--) { /* oldest first */
		uint32_t t = slots[a];
		slots[a] = slots[b];
		slots[b] = t;
	}
	return n;
}
