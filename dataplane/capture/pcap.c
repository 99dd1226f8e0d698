/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offline files through libpcap (pcap and pcapng, nanosecond timestamps).
 * libpcap reuses its buffer on every pcap_next_ex(), so a burst copies each
 * frame into a per-capture arena; the views point into the arena until the
 * next burst. The mem backend preloads the whole file instead (no copy per
 * burst) for benchmarks.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

#define ARENA_SIZE (4u << 20)

struct wc_capture {
	pcap_t *pc;
	uint32_t linktype;
	uint64_t frame_no;
	uint64_t received;
	uint8_t *arena;
	/* mem backend */
	uint8_t *blob;
	struct wc_pkt_view *views;
	uint64_t n_views, next;
	int loops_left;
};

static uint64_t ts_ns(const struct pcap_pkthdr *h)
{
	/* opened with PCAP_TSTAMP_PRECISION_NANO: tv_usec holds nanoseconds */
	return (uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec;
}

static int open_file(struct wc_capture **out, const struct wc_capture_args *a,
		     char *err, unsigned errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct wc_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->pc = pcap_open_offline_with_tstamp_precision(
		a->source, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!c->pc) {
		snprintf(err, errlen, "%s", ebuf);
		free(c);
		return -EINVAL;
	}
	c->linktype = (uint32_t)pcap_datalink(c->pc);
	if (!wc_link_supported(c->linktype)) {
		const char *n = pcap_datalink_val_to_name((int)c->linktype);
		snprintf(err, errlen, "unsupported link type %u (%s)", c->linktype,
			 n ? n : "unknown");
		pcap_close(c->pc);
		free(c);
		return -ENOTSUP;
	}
	*out = c;
	return 0;
}

static int pcap_open_backend(struct wc_capture **out,
			     const struct wc_capture_args *a, char *err,
			     unsigned errlen)
{
	int r = open_file(out, a, err, errlen);
	if (r)
		return r;
	(*out)->arena = malloc(ARENA_SIZE);
	if (!(*out)->arena) {
		pcap_close((*out)->pc);
		free(*out);
		return -ENOMEM;
	}
	return 0;
}

static int pcap_rx_burst(struct wc_capture *c, unsigned queue,
			 struct wc_pkt_view *v, unsigned max)
{
	(void)queue;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t used = 0;
	unsigned n = 0;

	while (n < max) {
		int r = pcap_next_ex(c->pc, &h, &data);
		if (r == PCAP_ERROR_BREAK || r == PCAP_ERROR) /* end / read error */
			return n ? (int)n : -ENODATA;
		if (r != 1)
			continue;
		uint32_t caplen = h->caplen;
		if (caplen > ARENA_SIZE)
			caplen = ARENA_SIZE;
		if (used + caplen > ARENA_SIZE) {
			/* cannot happen with n < max and ARENA_SIZE >= max * 64K,
			 * kept for hostile snaplens: give back what we have */
			caplen = ARENA_SIZE - used;
		}
		memcpy(c->arena + used, data, caplen);
		v[n].data = c->arena + used;
		v[n].caplen = caplen;
		v[n].wirelen = h->len;
		v[n].ts_ns = ts_ns(h);
		v[n].frame_no = ++c->frame_no;
		v[n].port = 0;
		v[n].queue = 0;
		used += caplen;
		n++;
		c->received++;
		if (used + 65536 > ARENA_SIZE)
			break;
	}
	return (int)n;
}

static void noop_release(struct wc_capture *c, unsigned q, struct wc_pkt_view *v,
			 unsigned n)
{
	(void)c, (void)q, (void)v, (void)n;
}

static int cap_stats(struct wc_capture *c, struct wc_capture_stats *st)
{
	st->received = c->received;
	st->dropped = 0; /* files lose nothing */
	return 0;
}

static uint32_t cap_linktype(struct wc_capture *c)
{
	return c->linktype;
}

static unsigned one_queue(struct wc_capture *c)
{
	(void)c;
	return 1;
}

static const char *file_clock(struct wc_capture *c)
{
	(void)c;
	return "file";
}

static void cap_close(struct wc_capture *c)
{
	if (!c)
		return;
	if (c->pc)
		pcap_close(c->pc);
	free(c->arena);
	free(c->blob);
	free(c->views);
	free(c);
}

const struct wc_capture_ops wc_capture_pcap = {
	.name = "pcap",
	.open = pcap_open_backend,
	.rx_burst = pcap_rx_burst,
	.release = noop_release,
	.stats = cap_stats,
	.linktype = cap_linktype,
	.n_queues = one_queue,
	.clock = file_clock,
	.close = cap_close,
};

/* mem: read the whole file once, then serve views into it, a->loop times. */
static int mem_open(struct wc_capture **out, const struct wc_capture_args *a,
		    char *err, unsigned errlen)
{
	int r = open_file(out, a, err, errlen);
	if (r)
		return r;
	struct wc_capture *c = *out;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t cap_views = 1024, blob_cap = 1 << 20, blob_len = 0;
	c->views = malloc(cap_views * sizeof(*c->views));
	c->blob = malloc(blob_cap);
	if (!c->views || !c->blob)
		goto nomem;
	while ((r = pcap_next_ex(c->pc, &h, &data)) >= 0) {
		if (r != 1)
			continue;
		if (c->n_views == cap_views) {
			void *nv = realloc(c->views, 2 * cap_views * sizeof(*c->views));
			if (!nv)
				goto nomem;
			c->views = nv;
			cap_views *= 2;
		}
		while (blob_len + h->caplen > blob_cap) {
			void *nb = realloc(c->blob, 2 * blob_cap);
			if (!nb)
				goto nomem;
			c->blob = nb;
			blob_cap *= 2;
		}
		memcpy(c->blob + blob_len, data, h->caplen);
		struct wc_pkt_view *v = &c->views[c->n_views++];
		v->data = (const uint8_t *)(uintptr_t)blob_len; /* rebased below */
		v->caplen = h->caplen;
		v->wirelen = h->len;
		v->ts_ns = ts_ns(h);
		v->frame_no = c->n_views;
		v->port = v->queue = 0;
		blob_len += h->caplen;
	}
	for (uint64_t i = 0; i < c->n_views; i++)
		c->views[i].data = c->blob + (uintptr_t)c->views[i].data;
	c->loops_left = a->loop > 0 ? a->loop : 1;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory preloading %s", a->source);
	cap_close(c);
	return -ENOMEM;
}

static int mem_rx_burst(struct wc_capture *c, unsigned queue,
			struct wc_pkt_view *v, unsigned max)
{
	(void)queue;
	if (c->next == c->n_views) {
		if (--c->loops_left <= 0 || c->n_views == 0)
			return -ENODATA;
		c->next = 0;
	}
	unsigned n = 0;
	while (n < max && c->next < c->n_views)
		v[n++] = c->views[c->next++];
	c->received += n;
	return (int)n;
}

uint64_t wc_capture_mem_count(struct wc_capture *c)
{
	return c->n_views;
}

/* The preloaded frames themselves (benchmarks rewrite them between laps). */
struct wc_pkt_view *wc_capture_mem_views(struct wc_capture *c)
{
	return c->views;
}

const struct wc_capture_ops wc_capture_mem = {
	.name = "mem",
	.open = mem_open,
	.rx_burst = mem_rx_burst,
	.release = noop_release,
	.stats = cap_stats,
	.linktype = cap_linktype,
	.n_queues = one_queue,
	.clock = file_clock,
	.close = cap_close,
};
