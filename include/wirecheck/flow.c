/* SPDX-License-Identifier: BSD-3-Clause */
#include "flow.h"

static const char *const state_names[WC_TCP_STATE_COUNT] = {
#define WC_X(e, n) [WC_TCP_##e] = n,
	WC_TCP_STATE_LIST(WC_X)
#undef WC_X
};

static const char *const end_names[] = {
#define WC_X(e, n) [WC_END_##e] = n,
	WC_FLOW_END_LIST(WC_X)
#undef WC_X
};

const char *wc_tcp_state_name(unsigned s)
{
	return s < WC_TCP_STATE_COUNT ? state_names[s] : "unknown";
}

const char *wc_flow_end_name(unsigned e)
{
	return e < sizeof(end_names) / sizeof(end_names[0]) ? end_names[e] : "unknown";
}

uint64_t wc_flow_trouble(const struct wc_flow *f)
{
	uint64_t s = 0;
	for (int d = 0; d < 2; d++) {
		const struct wc_flow_tally *x = &f->tally[d];
		s += 4ull * x->csum_bad + x->retx + x->dupacks / 4 + x->zero_win + x->ooo;
	}
	s += 8ull * f->ack_stalls;
	if (f->flags & (WC_FLOW_VIP_ASYMMETRY | WC_FLOW_RST_FIRST_DATA))
		s += 16;
	return s;
}
