/* SPDX-License-Identifier: BSD-3-Clause */
#include "summary.h"

#include "../flow/track.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

const char *wc_addr_str(int family, const uint8_t *ip, char *buf, unsigned len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

static uint64_t sender_trouble(const struct wc_sender *s)
{
	return s->bad + s->superframes + s->confirmed * 4 + s->partial / 16;
}

static int by_trouble(const void *a, const void *b)
{
	uint64_t ta = sender_trouble(*(const struct wc_sender *const *)a);
	uint64_t tb = sender_trouble(*(const struct wc_sender *const *)b);
	return ta < tb ? 1 : ta > tb ? -1 : 0;
}

void wc_summary_print(FILE *f, struct wc_shm_header *h, const char *outdir,
		      double seconds)
{
	struct wc_counters c;
	wc_shm_sum_counters(h, &c);

	fprintf(f, "wirecheck: %s\n", h->source);
	fprintf(f, "  %llu packets, %llu bytes in %.3f s (%.2f Mpps)\n",
		(unsigned long long)c.packets, (unsigned long long)c.bytes, seconds,
		seconds > 0 ? (double)c.packets / seconds / 1e6 : 0.0);

	fprintf(f, "\n  checksums %12s %10s %10s %10s %12s\n", "good", "bad",
		"partial", "zero", "unverifiable");
	for (int l = 0; l < WC_LAYER_COUNT; l++)
		fprintf(f, "  %-9s %12llu %10llu %10llu %10llu %12llu\n",
			wc_csum_layer_name(l),
			(unsigned long long)c.csum[l][WC_VERDICT_GOOD],
			(unsigned long long)c.csum[l][WC_VERDICT_BAD],
			(unsigned long long)c.csum[l][WC_VERDICT_PARTIAL],
			(unsigned long long)c.csum[l][WC_VERDICT_ZERO],
			(unsigned long long)c.csum[l][WC_VERDICT_UNVERIFIABLE]);

	int any = 0;
	for (int a = 0; a < WC_ANOM_COUNT; a++) {
		if (!c.anomalies[a])
			continue;
		if (!any++)
			fprintf(f, "\n  anomalies\n");
		fprintf(f, "    %-26s %10llu  %s\n", wc_anomaly_name(a),
			(unsigned long long)c.anomalies[a], wc_anomaly_description(a));
	}
	if (!any)
		fprintf(f, "\n  no anomalies\n");

	uint64_t mal = 0;
	for (int m = 1; m < WC_MAL_COUNT; m++)
		mal += c.malformed[m];
	if (mal) {
		fprintf(f, "\n  malformed frames: %llu (", (unsigned long long)mal);
		const char *sep = "";
		for (int m = 1; m < WC_MAL_COUNT; m++)
			if (c.malformed[m]) {
				fprintf(f, "%s%s %llu", sep, wc_malformed_name(m),
					(unsigned long long)c.malformed[m]);
				sep = ", ";
			}
		fprintf(f, ")\n");
	}

	/* Top offending senders across workers. */
	unsigned n = 0, cap = h->n_workers * WC_SENDER_SLOTS;
	struct wc_sender **v = calloc(cap, sizeof(*v));
	if (v) {
		for (uint32_t w = 0; w < h->n_workers; w++)
			for (unsigned i = 0; i < WC_SENDER_SLOTS; i++) {
				struct wc_sender *s = &wc_shm_worker(h, w)->senders[i];
				if (s->family && sender_trouble(s) + s->partial)
					v[n++] = s;
			}
		qsort(v, n, sizeof(*v), by_trouble);
		if (n)
			fprintf(f, "\n  top offending senders %21s %8s %8s %11s %9s\n",
				"mac", "bad", "partial", "superframes", "confirmed");
		for (unsigned i = 0; i < n && i < 10; i++) {
			char ip[64], mac[24] = "-";
			const struct wc_sender *s = v[i];
			if (s->has_mac)
				snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x",
					 s->mac[0], s->mac[1], s->mac[2], s->mac[3],
					 s->mac[4], s->mac[5]);
			char who[96];
			snprintf(who, sizeof(who), "%s%s", wc_addr_str(s->family, s->ip, ip, sizeof(ip)),
				 s->vlan ? "" : "");
			if (s->vlan)
				snprintf(who + strlen(who), sizeof(who) - strlen(who),
					 " vlan %u", s->vlan);
			fprintf(f, "    %-28s %17s %8llu %8llu %11llu %9llu\n", who, mac,
				(unsigned long long)s->bad, (unsigned long long)s->partial,
				(unsigned long long)s->superframes,
				(unsigned long long)s->confirmed);
		}
		free(v);
	}
	if (c.senders_untracked)
		fprintf(f, "    (%llu verdicts from senders beyond the tally table)\n",
			(unsigned long long)c.senders_untracked);
	if (c.bad_segs_untracked)
		fprintf(f, "    (%llu corrupt segments no longer awaited: too many pending "
			"in one flow)\n", (unsigned long long)c.bad_segs_untracked);
	if (c.vip_answers_lost)
		fprintf(f, "    (%llu VIP SYN-ACKs answering another worker's SYN forgotten "
			"early: table full)\n", (unsigned long long)c.vip_answers_lost);
	if (c.synack_syn_unseen)
		fprintf(f, "    (%llu SYN-ACKs answering a SYN no worker had seen: handshakes "
			"picked up midway, or a SYN still queued on another worker)\n",
			(unsigned long long)c.synack_syn_unseen);

	/* Top flows by trouble, across workers. */
	const struct wc_flow *top[WC_MAX_WORKERS * WC_TOP_FLOWS];
	unsigned nt = 0;
	for (uint32_t w = 0; w < h->n_workers; w++) {
		struct wc_worker_shm *ws = wc_shm_worker(h, w);
		for (uint32_t i = 0; i < ws->n_top && i < WC_TOP_FLOWS; i++)
			top[nt++] = &ws->top[i];
	}
	for (unsigned i = 1; i < nt; i++) /* few entries: insertion sort */
		for (unsigned k = i; k > 0 && wc_flow_trouble(top[k]) > wc_flow_trouble(top[k - 1]); k--) {
			const struct wc_flow *t = top[k];
			top[k] = top[k - 1];
			top[k - 1] = t;
		}
	if (nt)
		fprintf(f, "\n  top flows by trouble %28s %6s %6s %6s %6s %6s %7s\n", "",
			"retx", "dupack", "zwin", "badck", "stalls", "end");
	for (unsigned i = 0; i < nt && i < 10; i++) {
		const struct wc_flow *fl = top[i];
		const struct wc_flow_tally *a = &fl->tally[0], *b = &fl->tally[1];
		char c[64], sv[64], who[160];
		wc_addr_str(fl->key.family, fl->key.addr[fl->client], c, sizeof(c));
		wc_addr_str(fl->key.family, fl->key.addr[!fl->client], sv, sizeof(sv));
		snprintf(who, sizeof(who), "%s:%u -> %s:%u", c, fl->key.port[fl->client], sv,
			 fl->key.port[!fl->client]);
		fprintf(f, "    %-45s %6u %6u %6u %6u %6u %7s\n", who, a->retx + b->retx,
			a->dupacks + b->dupacks, a->zero_win + b->zero_win,
			a->csum_bad + b->csum_bad, fl->ack_stalls, wc_flow_end_name(fl->end));
	}

	fprintf(f, "\n  flows:    %llu created, %llu ended, %llu evicted, %llu one-sided\n",
		(unsigned long long)c.flows_created, (unsigned long long)c.flows_ended,
		(unsigned long long)c.flows_evicted, (unsigned long long)c.flows_one_sided);
	if (c.flows_ended >= 10 && c.flows_one_sided * 2 > c.flows_ended)
		fprintf(f, "  warning: most TCP flows were seen in one direction only: the "
			   "capture is asymmetric (RSS not symmetric across workers, or only one "
			   "direction mirrored); TCP analysis needs both\n");
	fprintf(f, "  events:   %s/events.json (%llu anomaly events, %llu over the "
		   "rate limit, %llu dropped)\n",
		outdir, (unsigned long long)c.events_written,
		(unsigned long long)c.anomaly_events_suppressed,
		(unsigned long long)c.drops_event_ring);
	fprintf(f, "  evidence: %s/evidence.pcap\n", outdir);
}
