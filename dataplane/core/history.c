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

unsigned wc_history_find(const struct wc_history *h, uint32_t tag,
			 const struct wc_hist_flow *fl, unsigned k, uint32_t *slots)
{
	if (k > WC_EVIDENCE_CONTEXT_MAX)
		k = WC_EVIDENCE_CONTEXT_MAX;
	if (!h->size || !k || !tag)
		return 0;
	unsigned n = 0;
	uint32_t i = h->next;
	/* newest first; every slot once at most; empty and exported slots
	 * hold tag 0 */
	for (uint32_t left = h->size; left && n < k; left--) {
		i = i ? i - 1 : h->size - 1;
		if (h->tags[i] == tag && wc_history_flow_eq(&h->ent[i].flow, fl))
			slots[n++] = i;
	}
	for (unsigned a = 0, b = n ? n - 1 : 0; a < b; a++, b--) { /* oldest first */
		uint32_t t = slots[a];
		slots[a] = slots[b];
		slots[b] = t;
	}
	return n;
}
