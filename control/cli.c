/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wirecheckctl stats|flows|events|top (SPEC §5): the operator's live view of
 * a running instance. Everything here maps the instance read-only and
 * never writes to it, so it can neither disturb nor slow the workers beyond
 * the cache lines it reads:
 *  - counters and sender tallies are plain 64-bit loads (a few packets old
 *    at most, never torn);
 *  - live flow entries are copied with the sequence-lock read protocol of
 *    flow.h, retried for a bounded time (READ_ENTRY_NS); an entry that
 *    stays busy is skipped and counted (the worker never waits for a
 *    reader);
 *  - events are not taken from the rings (they belong to `serve`): `events`
 *    reads the events.json that the instance's serve writes; serve records
 *    its absolute output directory in the header (wc_ctl_area.outdir), -o
 *    overrides it.
 */
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eve.h"
#include "json.h"
#include "serve_io.h"
#include "wirecheck/shm.h"

/* Seqlock reads are retried while an entry is being written: a flow a
 * worker updates millions of times a second leaves a copy (10 cache lines
 * from the writer's core) few windows. Bounded per entry and per snapshot,
 * so that a reader never spins for long nor keeps pulling a hot entry's
 * lines away from its worker; an entry still busy is skipped and counted. */
#define READ_ENTRY_NS 2000000ull     /* 2 ms per entry */
#define READ_SNAPSHOT_NS 50000000ull /* 50 ms of retries per snapshot */

static volatile sig_atomic_t cli_stop;

static void on_stop(int sig)
{
	(void)sig;
	cli_stop = 1;
}

enum sort_key { SORT_TROUBLE, SORT_BYTES, SORT_PKTS, SORT_AGE };

struct cli_opts {
	const char *cmd;
	const char *instance;
	const char *outdir;
	int json, once, follow;
	long limit; /* rows, -1: the command's default, 0: all */
	long last;  /* events: lines from the end */
	double interval;
	enum sort_key sort;
};

static const char *const commands[] = {"stats", "flows", "events", "top"};

int cli_is_command(const char *cmd)
{
	for (unsigned i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i]))
			return 1;
	return 0;
}

void cli_usage(FILE *f)
{
	fprintf(f,
		"       wirecheckctl stats  [-n INSTANCE] [--json]\n"
		"       wirecheckctl flows  [-n INSTANCE] [--json] [--sort trouble|bytes|pkts|age]\n"
		"                           [--limit N]\n"
		"       wirecheckctl events [-n INSTANCE | -o DIR] [--json] [--last N] [--follow]\n"
		"       wirecheckctl top    [-n INSTANCE] [--json] [--once] [--interval SECONDS]\n"
		"                           [--limit N]\n\n"
		"  stats   live counters of a running instance\n"
		"  flows   its live flows (every worker's flow table), most trouble first;\n"
		"          --limit rows (default 50 in tables, all in JSON; 0 = all)\n"
		"  events  the last N (default 20) events serve wrote to events.json (the\n"
		"          directory serve recorded in the instance; -o DIR to read another);\n"
		"          --follow keeps printing new ones\n"
		"  top     a view refreshed every second: rates, anomalies, the live flows\n"
		"          and the senders with the most trouble; --once prints one frame\n"
		"  --json  one JSON object per line (stats: the stats event, flows: one flow\n"
		"          record per live flow, events: the events.json lines, top: a frame)\n"
		"  These commands map the instance read-only: read access to its file\n"
		"  (/dev/shm/wirecheck.NAME or /dev/hugepages/wirecheck.NAME) suffices.\n");
}

/* ---- helpers ---------------------------------------------------------- */

/* Copy s for a terminal: control bytes and non-ASCII shown as \xNN, so a
 * hostile file or interface name cannot drive the terminal. */
static const char *term_safe(const char *s, size_t max, char *buf, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < max && s[i] && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = 0;
	return buf;
}

static const char *human(double v, char *buf, size_t len)
{
	static const char units[] = " KMGTP";
	unsigned u = 0;
	while (v >= 1000.0 && u + 1 < sizeof(units) - 1) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, v < 10 ? "%.2f%c" : v < 100 ? "%.1f%c" : "%.0f%c", v, units[u]);
	return buf;
}

static const char *addr_str(int family, const uint8_t *ip, char *buf, size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, ip, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static void endpoint(char *buf, size_t len, const struct wc_flow *f, int side)
{
	char a[INET6_ADDRSTRLEN];
	addr_str(f->key.family, f->key.addr[side], a, sizeof(a));
	if (f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132)
		snprintf(buf, len, f->key.family == 6 ? "[%s]:%u" : "%s:%u", a, f->key.port[side]);
	else
		snprintf(buf, len, "%s", a);
}

static void flow_who(char *buf, size_t len, const struct wc_flow *f)
{
	char c[64], s[64];
	unsigned cl = f->client & 1;
	endpoint(c, sizeof(c), f, (int)cl);
	endpoint(s, sizeof(s), f, (int)!cl);
	int n = snprintf(buf, len, "%s -> %s", c, s);
	if (n > 0 && (size_t)n < len && f->key.vlan[0])
		n += snprintf(buf + n, len - (size_t)n, " vlan %u", f->key.vlan[0]);
	if (n > 0 && (size_t)n < len && f->key.tunnel_type)
		snprintf(buf + n, len - (size_t)n, " tun %u", f->key.tunnel_id);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static const char *state_name(const struct wc_shm_header *h)
{
	switch (atomic_load_explicit(&h->state, memory_order_acquire)) {
	case WC_SHM_INIT:
		return "starting";
	case WC_SHM_RUNNING: /* its pid, not exiting, or a moving heartbeat */
		return serve_dataplane_alive(h) ? "running" : "lost";
	case WC_SHM_DONE:
		return "done";
	case WC_SHM_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

static int attach_ro(const char *instance, struct wc_shm *shm)
{
	int r = wc_shm_attach_ro(instance, shm);
	if (r) {
		char path[256] = "";
		wc_shm_path(instance, path, sizeof(path));
		fprintf(stderr, "wirecheckctl: instance %s: %s%s%s\n", instance,
			r == -EPROTO ? "incompatible shared memory layout" : strerror(-r),
			r == -EACCES ? "; reading it needs read access to " : "",
			r == -EACCES ? path : "");
	}
	return r;
}

/* ---- live flow snapshot (seqlock readers) --------------------------- */

struct snap_flow {
	struct wc_flow f;
	uint64_t trouble;
	uint32_t worker;
};

struct snapshot {
	struct snap_flow *v;
	size_t n, cap;
	uint64_t busy;   /* entries that stayed busy: skipped */
	uint64_t ref_ns; /* packet time "now": the latest packet seen */
};

int cli_read_flow(const struct wc_flow *src, struct wc_flow *dst, uint64_t *budget_ns)
{
	uint64_t t0 = 0, limit = *budget_ns < READ_ENTRY_NS ? *budget_ns : READ_ENTRY_NS;
	for (unsigned t = 0;; t++) {
		uint32_t s1 = atomic_load_explicit(&src->seq, memory_order_acquire);
		if (!(s1 & 1)) {
			memcpy(dst, (const void *)src, sizeof(*dst));
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&src->seq, memory_order_relaxed) == s1)
				break;
		}
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
		if ((t & 63) == 0) { /* the clock now and then */
			uint64_t now = mono_ns();
			if (!t0)
				t0 = now;
			if (now - t0 >= limit) {
				*budget_ns -= now - t0;
				return 0;
			}
		}
	}
	if (t0) {
		uint64_t spent = mono_ns() - t0;
		*budget_ns -= spent < *budget_ns ? spent : *budget_ns;
	}
	return 1;
}

static int snapshot_flows(struct wc_shm_header *h, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	struct wc_counters c;
	wc_shm_sum_counters(h, &c);
	s->ref_ns = c.last_ts_ns;
	struct wc_flow tmp;
	uint64_t budget = READ_SNAPSHOT_NS;
	for (uint32_t w = 0; w < h->n_workers; w++) {
		const struct wc_flow *e = wc_shm_flows(h, w);
		for (uint32_t i = 0; i < h->flow_capacity; i++) {
			/* one cache line tells a free entry (zeroed key) */
			if (!((const volatile struct wc_flow *)&e[i])->key.family)
				continue;
			if (!cli_read_flow(&e[i], &tmp, &budget)) {
				s->busy++;
				continue;
			}
			if (!tmp.key.family || !tmp.id)
				continue; /* freed, or created a moment ago */
			if (s->n == s->cap) {
				size_t cap = s->cap ? s->cap * 2 : 1024;
				struct snap_flow *v = realloc(s->v, cap * sizeof(*v));
				if (!v)
					return -1;
				s->v = v;
				s->cap = cap;
			}
			struct snap_flow *d = &s->v[s->n++];
			d->f = tmp;
			d->f.client &= 1;
			d->worker = w;
			d->trouble = wc_flow_trouble(&tmp);
			if (tmp.last_ns > s->ref_ns)
				s->ref_ns = tmp.last_ns;
		}
	}
	return 0;
}

static uint64_t flow_bytes(const struct wc_flow *f)
{
	return f->dir[0].bytes + f->dir[1].bytes;
}

static uint64_t flow_pkts(const struct wc_flow *f)
{
	return (uint64_t)f->dir[0].pkts + f->dir[1].pkts;
}

static enum sort_key sort_by;

static int cmp_flows(const void *pa, const void *pb)
{
	const struct snap_flow *a = pa, *b = pb;
	uint64_t ka, kb;
	switch (sort_by) {
	case SORT_PKTS:
		ka = flow_pkts(&a->f), kb = flow_pkts(&b->f);
		break;
	case SORT_AGE: /* oldest first */
		ka = UINT64_MAX - a->f.first_ns, kb = UINT64_MAX - b->f.first_ns;
		break;
	case SORT_BYTES:
		ka = flow_bytes(&a->f), kb = flow_bytes(&b->f);
		break;
	default:
		ka = a->trouble, kb = b->trouble;
		if (ka == kb)
			ka = flow_bytes(&a->f), kb = flow_bytes(&b->f);
		break;
	}
	if (ka != kb)
		return ka < kb ? 1 : -1;
	return a->f.id < b->f.id ? -1 : a->f.id > b->f.id;
}

static void sort_flows(struct snapshot *s, enum sort_key k)
{
	sort_by = k;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_flows);
}

static const char *proto_str(uint8_t p, char *buf, size_t len)
{
	return eve_proto_name(p, buf, len);
}

static void flow_table_head(FILE *o)
{
	fprintf(o, "%-47s %-5s %-12s %15s %17s %6s %6s %8s %8s %7s\n", "CLIENT -> SERVER",
		"PROTO", "STATE", "PKTS C>S/S>C", "BYTES C>S/S>C", "RETX", "BADCK", "RTT_MS",
		"AGE_S", "TROUBLE");
}

static void flow_row(FILE *o, const struct snap_flow *sf, uint64_t ref_ns)
{
	const struct wc_flow *f = &sf->f;
	const struct wc_flow_dir *cs = &f->dir[f->client], *sc = &f->dir[!f->client];
	char who[160], pb[8], pk[40], by[40], b1[16], b2[16], p1[16], p2[16], rtt[16];
	char rx[16], bad[16], tr[16];
	flow_who(who, sizeof(who), f);
	snprintf(pk, sizeof(pk), "%s/%s", human(cs->pkts, p1, sizeof(p1)),
		 human(sc->pkts, p2, sizeof(p2)));
	snprintf(by, sizeof(by), "%s/%s", human((double)cs->bytes, b1, sizeof(b1)),
		 human((double)sc->bytes, b2, sizeof(b2)));
	if (f->rtt_samples)
		snprintf(rtt, sizeof(rtt), "%.2f",
			 (double)f->rtt_sum_us / f->rtt_samples / 1000.0);
	else
		snprintf(rtt, sizeof(rtt), "-");
	double age = ref_ns > f->first_ns ? (double)(ref_ns - f->first_ns) / 1e9 : 0.0;
	fprintf(o, "%-47s %-5s %-12s %15s %17s %6s %6s %8s %8.1f %7s\n", who,
		proto_str(f->key.proto, pb, sizeof(pb)),
		f->key.proto == 6 ? wc_tcp_state_name(f->state) : "-", pk, by,
		human((double)f->tally[0].retx + f->tally[1].retx, rx, sizeof(rx)),
		human((double)f->tally[0].csum_bad + f->tally[1].csum_bad, bad, sizeof(bad)), rtt, age,
		human((double)sf->trouble, tr, sizeof(tr)));
}

/* ---- sender tallies --------------------------------------------------- */

/* the summary's ranking (dataplane/core/summary.c) */
static uint64_t sender_trouble(const struct wc_sender *s)
{
	return s->bad + s->superframes + s->confirmed * 4 + s->partial / 16;
}

static int cmp_sender_key(const void *pa, const void *pb)
{
	const struct wc_sender *a = pa, *b = pb;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	int r = memcmp(a->ip, b->ip, 16);
	if (r)
		return r;
	if (a->vlan != b->vlan)
		return a->vlan < b->vlan ? -1 : 1;
	if (a->has_mac != b->has_mac)
		return a->has_mac < b->has_mac ? -1 : 1;
	return memcmp(a->mac, b->mac, 6);
}

static int cmp_sender_trouble(const void *pa, const void *pb)
{
	uint64_t a = sender_trouble(pa) * 16 + ((const struct wc_sender *)pa)->partial % 16;
	uint64_t b = sender_trouble(pb) * 16 + ((const struct wc_sender *)pb)->partial % 16;
	return a < b ? 1 : a > b ? -1 : cmp_sender_key(pa, pb);
}

/* Every worker's tallies, one entry per sender (a sender seen by several
 * workers is summed), most trouble first. */
static size_t collect_senders(struct wc_shm_header *h, struct wc_sender **out)
{
	size_t n = 0, cap = (size_t)h->n_workers * WC_SENDER_SLOTS;
	struct wc_sender *v = calloc(cap ? cap : 1, sizeof(*v));
	*out = v;
	if (!v)
		return 0;
	for (uint32_t w = 0; w < h->n_workers; w++) {
		const struct wc_sender *t = wc_shm_worker(h, w)->senders;
		for (unsigned i = 0; i < WC_SENDER_SLOTS; i++) {
			struct wc_sender s;
			memcpy(&s, (const void *)&t[i], sizeof(s));
			if ((s.family != 4 && s.family != 6) || !(s.bad + s.partial + s.superframes +
								  s.confirmed))
				continue;
			if (s.family == 4)
				memset(s.ip + 4, 0, 12);
			if (!s.has_mac)
				memset(s.mac, 0, 6);
			memset(s.pad, 0, sizeof(s.pad));
			v[n++] = s;
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_sender_key);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && cmp_sender_key(&v[m - 1], &v[i]) == 0) {
			v[m - 1].bad += v[i].bad;
			v[m - 1].partial += v[i].partial;
			v[m - 1].superframes += v[i].superframes;
			v[m - 1].confirmed += v[i].confirmed;
		} else {
			v[m++] = v[i];
		}
	}
	if (m > 1)
		qsort(v, m, sizeof(*v), cmp_sender_trouble);
	return m;
}

static void sender_who(const struct wc_sender *s, char *ip, size_t iplen, char *mac,
		       size_t maclen)
{
	addr_str(s->family, s->ip, ip, iplen);
	if (s->has_mac)
		snprintf(mac, maclen, "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1],
			 s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
	else
		snprintf(mac, maclen, "-");
}

/* ---- stats ------------------------------------------------------------ */

static void header_lines(FILE *o, struct wc_shm_header *h)
{
	char inst[300], src[1100], clk[80], up[32];
	uint64_t now = wc_now_ns();
	double secs = now > h->start_ns ? (double)(now - h->start_ns) / 1e9 : 0.0;
	snprintf(up, sizeof(up), "%02u:%02u:%02u", (unsigned)(secs / 3600),
		 (unsigned)((uint64_t)secs / 60 % 60), (unsigned)((uint64_t)secs % 60));
	int32_t ctl = atomic_load_explicit(&h->ctl_pid, memory_order_relaxed);
	fprintf(o, "instance %s (%s), %u workers, clock %s, up %s\n",
		term_safe(h->instance, sizeof(h->instance), inst, sizeof(inst)),
		term_safe(h->source, sizeof(h->source), src, sizeof(src)), h->n_workers,
		term_safe(h->clock, sizeof(h->clock), clk, sizeof(clk)), up);
	fprintf(o, "dataplane pid %d %s; serve ", (int)h->dataplane_pid, state_name(h));
	if (ctl > 0 && pid_alive(ctl))
		fprintf(o, "pid %d", (int)ctl);
	else
		fprintf(o, "not attached (events drop and are counted)");
	fprintf(o, "\n");
}

static int cmd_stats(struct wc_shm_header *h, const struct cli_opts *op)
{
	if (op->json) {
		eve_write_stats(stdout, h, "live");
		return 0;
	}
	struct wc_counters c;
	wc_shm_sum_counters(h, &c);
	header_lines(stdout, h);
	printf("packets %llu  bytes %llu\n", (unsigned long long)c.packets,
	       (unsigned long long)c.bytes);
	printf("%-8s %12s %10s %10s %10s %12s\n", "", "good", "bad", "partial", "zero",
	       "unverifiable");
	for (int l = 0; l < WC_LAYER_COUNT; l++)
		printf("%-8s %12llu %10llu %10llu %10llu %12llu\n", wc_csum_layer_name(l),
		       (unsigned long long)c.csum[l][WC_VERDICT_GOOD],
		       (unsigned long long)c.csum[l][WC_VERDICT_BAD],
		       (unsigned long long)c.csum[l][WC_VERDICT_PARTIAL],
		       (unsigned long long)c.csum[l][WC_VERDICT_ZERO],
		       (unsigned long long)c.csum[l][WC_VERDICT_UNVERIFIABLE]);
	for (int a = 0; a < WC_ANOM_COUNT; a++)
		if (c.anomalies[a])
			printf("%-26s %llu\n", wc_anomaly_name(a), (unsigned long long)c.anomalies[a]);
	uint64_t mal = 0;
	for (int m = 1; m < WC_MAL_COUNT; m++)
		mal += c.malformed[m];
	if (mal)
		printf("%-26s %llu\n", "malformed", (unsigned long long)mal);
	printf("flows    %llu active, %llu created, %llu ended, %llu evicted, %llu one-sided\n",
	       (unsigned long long)c.flows_active, (unsigned long long)c.flows_created,
	       (unsigned long long)c.flows_ended, (unsigned long long)c.flows_evicted,
	       (unsigned long long)c.flows_one_sided);
	printf("events   %llu written, %llu over the rate limit\n",
	       (unsigned long long)c.events_written,
	       (unsigned long long)c.anomaly_events_suppressed);
	printf("drops    %llu capture, %llu event ring, %llu evidence context\n",
	       (unsigned long long)c.drops_capture, (unsigned long long)c.drops_event_ring,
	       (unsigned long long)c.drops_evidence);
	return 0;
}

/* ---- flows ------------------------------------------------------------ */

static int cmd_flows(struct wc_shm_header *h, const struct cli_opts *op)
{
	struct snapshot s;
	if (snapshot_flows(h, &s) != 0) {
		fprintf(stderr, "wirecheckctl: out of memory\n");
		free(s.v);
		return 1;
	}
	sort_flows(&s, op->sort);
	size_t limit = op->limit < 0 ? (op->json ? 0 : 50) : (size_t)op->limit;
	size_t shown = limit && limit < s.n ? limit : s.n;
	if (op->json) {
		for (size_t i = 0; i < shown; i++)
			eve_write_flow_entry(stdout, &s.v[i].f, s.v[i].worker);
	} else {
		static const char *const sort_names[] = {"trouble", "bytes", "pkts", "age"};
		char inst[300];
		printf("instance %s: %zu live flows, by %s",
		       term_safe(h->instance, sizeof(h->instance), inst, sizeof(inst)), s.n,
		       sort_names[op->sort]);
		if (shown < s.n)
			printf(" (%zu shown; --limit 0 for all)", shown);
		if (s.busy)
			printf("; %llu entries busy (skipped)", (unsigned long long)s.busy);
		printf("\n");
		flow_table_head(stdout);
		for (size_t i = 0; i < shown; i++)
			flow_row(stdout, &s.v[i], s.ref_ns);
	}
	if (op->json && s.busy)
		fprintf(stderr, "wirecheckctl: %llu flow entries stayed busy and were skipped\n",
			(unsigned long long)s.busy);
	free(s.v);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- events ----------------------------------------------------------- */

/* The value of "key" at the top level of a JSON line, or inside the object
 * "obj" (obj NULL: top level), unescaped into out. A reader for our own
 * lines (json.c), lenient: 1 when found. */
static int jget(const char *line, const char *obj, const char *key, char *out, size_t len)
{
	int depth = 0, in_obj = obj ? 0 : 1, obj_depth = -1;
	char name[64];
	const char *p = line;
	out[0] = 0;
	while (*p && *p != '\n') {
		if (*p == '{' || *p == '[') {
			depth++;
			p++;
			continue;
		}
		if (*p == '}' || *p == ']') {
			if (obj && depth == obj_depth + 1) /* obj itself closes */
				in_obj = 0, obj_depth = -1;
			depth--;
			p++;
			continue;
		}
		if (*p != '"') {
			p++;
			continue;
		}
		/* a string: a key when ':' follows */
		size_t n = 0;
		const char *q = p + 1;
		while (*q && *q != '"') {
			if (*q == '\\' && q[1])
				q++;
			if (n + 1 < sizeof(name))
				name[n++] = *q;
			q++;
		}
		name[n] = 0;
		if (!*q)
			return 0;
		p = q + 1;
		if (*p != ':')
			continue;
		p++;
		int at = in_obj && depth == (obj ? obj_depth + 1 : 1);
		if (obj && !in_obj && depth == 1 && !strcmp(name, obj) && *p == '{') {
			in_obj = 1;
			obj_depth = depth;
			continue;
		}
		if (!at || strcmp(name, key))
			continue;
		/* the value: a string or a token */
		size_t o = 0;
		if (*p == '"') {
			for (q = p + 1; *q && *q != '"' && o + 1 < len; q++) {
				if (*q == '\\' && q[1]) {
					q++;
					if (*q == 'u' && q[1] && q[2] && q[3] && q[4]) {
						out[o++] = '?';
						q += 4;
						continue;
					}
				}
				out[o++] = *q;
			}
		} else {
			for (q = p; *q && *q != ',' && *q != '}' && *q != ']' && o + 1 < len; q++)
				out[o++] = *q;
		}
		out[o] = 0;
		return 1;
	}
	return 0;
}

static void event_human(const char *line)
{
	char ts[40], type[16], a[128], b[128], c[128], d[160], proto[16], sp[8], dp[8], who[300];
	jget(line, NULL, "timestamp", ts, sizeof(ts));
	jget(line, NULL, "event_type", type, sizeof(type));
	who[0] = 0;
	if (jget(line, NULL, "src_ip", a, sizeof(a)) && jget(line, NULL, "dest_ip", b, sizeof(b))) {
		jget(line, NULL, "proto", proto, sizeof(proto));
		int ports = jget(line, NULL, "src_port", sp, sizeof(sp)) &&
			    jget(line, NULL, "dest_port", dp, sizeof(dp));
		int v6 = strchr(a, ':') != NULL;
		if (ports)
			snprintf(who, sizeof(who), v6 ? "%s [%s]:%s -> [%s]:%s" : "%s %s:%s -> %s:%s",
				 proto, a, sp, b, dp);
		else
			snprintf(who, sizeof(who), "%s %s -> %s", proto, a, b);
	}
	char safe_who[1300], detail[600] = "";
	term_safe(who, sizeof(who), safe_who, sizeof(safe_who));
	if (!strcmp(type, "anomaly")) {
		jget(line, "anomaly", "type", a, sizeof(a));
		jget(line, "anomaly", "severity", b, sizeof(b));
		if (jget(line, "evidence", "frame", c, sizeof(c)))
			snprintf(d, sizeof(d), " evidence #%s", c);
		else
			d[0] = 0;
		snprintf(detail, sizeof(detail), "%s (%s)%s", a, b, d);
	} else if (!strcmp(type, "flow")) {
		char ps[24], pc[24], bs[24], bc[24];
		jget(line, "flow", "reason", a, sizeof(a));
		jget(line, "flow", "pkts_toserver", ps, sizeof(ps));
		jget(line, "flow", "pkts_toclient", pc, sizeof(pc));
		jget(line, "flow", "bytes_toserver", bs, sizeof(bs));
		jget(line, "flow", "bytes_toclient", bc, sizeof(bc));
		char rx[24];
		c[0] = 0;
		if (jget(line, "tcp", "retransmissions", rx, sizeof(rx)))
			snprintf(c, sizeof(c), " retx %s", rx);
		snprintf(detail, sizeof(detail), "%s pkts %s/%s bytes %s/%s%s", a, ps, pc, bs, bc, c);
	} else if (!strcmp(type, "stats")) {
		char pk[24], dr[24];
		jget(line, NULL, "end", a, sizeof(a));
		jget(line, NULL, "packets", pk, sizeof(pk));
		jget(line, "drops", "event_ring", dr, sizeof(dr));
		snprintf(detail, sizeof(detail), "end %s, %s packets, %s events dropped", a, pk, dr);
	}
	char safe_detail[2500], safe_ts[200];
	printf("%-27s %-8s %-40s %s\n", term_safe(ts, sizeof(ts), safe_ts, sizeof(safe_ts)), type,
	       term_safe(detail, sizeof(detail), safe_detail, sizeof(safe_detail)), safe_who);
}

void cli_event_human(const char *line)
{
	event_human(line);
}

static void emit_line(const char *line, size_t n, const struct cli_opts *op)
{
	if (op->json) {
		fwrite(line, 1, n, stdout);
		return;
	}
	char *l = strndup(line, n);
	if (l) {
		event_human(l);
		free(l);
	}
}

/* Offset in fd of the start of the last `want` complete lines (ending at
 * *end, the end of the last complete line). */
static off_t last_lines(int fd, long want, off_t *end)
{
	struct stat st;
	*end = 0;
	if (fstat(fd, &st) != 0)
		return 0;
	char buf[8192];
	off_t pos = st.st_size;
	long seen = 0;
	*end = -1;
	while (pos > 0) {
		off_t from = pos > (off_t)sizeof(buf) ? pos - (off_t)sizeof(buf) : 0;
		ssize_t n = pread(fd, buf, (size_t)(pos - from), from);
		if (n <= 0)
			break;
		for (ssize_t i = n - 1; i >= 0; i--) {
			if (buf[i] != '\n')
				continue;
			if (*end < 0) {
				*end = from + i + 1; /* a partial last line is left out */
				continue;
			}
			if (++seen == want)
				return from + i + 1;
		}
		pos = from;
	}
	if (*end < 0)
		*end = 0;
	return 0;
}

static int print_range(int fd, off_t from, off_t to, const struct cli_opts *op)
{
	char *buf = NULL;
	size_t cap = 0, have = 0;
	while (from < to) {
		if (cap - have < 65536) {
			char *nb = realloc(buf, cap + 65536 * 2);
			if (!nb)
				break;
			buf = nb;
			cap += 65536 * 2;
		}
		size_t want = (size_t)(to - from) < cap - have ? (size_t)(to - from) : cap - have;
		ssize_t n = pread(fd, buf + have, want, from);
		if (n <= 0)
			break;
		from += n;
		have += (size_t)n;
		size_t s = 0;
		for (size_t i = 0; i < have; i++)
			if (buf[i] == '\n') {
				emit_line(buf + s, i + 1 - s, op);
				s = i + 1;
			}
		memmove(buf, buf + s, have - s);
		have -= s;
	}
	free(buf);
	return fflush(stdout) == 0 ? 0 : -1;
}

static int cmd_events(const struct cli_opts *op)
{
	char dir[PATH_MAX];
	if (op->outdir) {
		snprintf(dir, sizeof(dir), "%s", op->outdir);
	} else {
		struct wc_shm shm;
		if (attach_ro(op->instance, &shm) != 0)
			return 1;
		snprintf(dir, sizeof(dir), "%.*s", (int)sizeof(shm.hdr->ctl.outdir),
			 shm.hdr->ctl.outdir);
		wc_shm_detach(&shm);
		if (!dir[0]) {
			fprintf(stderr, "wirecheckctl: instance %s: no serve has written its "
					"events yet (give -o DIR to read a directory)\n", op->instance);
			return 1;
		}
	}
	char path[PATH_MAX + 16];
	snprintf(path, sizeof(path), "%s/events.json", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	off_t end;
	off_t from = last_lines(fd, op->last, &end);
	if (op->last > 0 && print_range(fd, from, end, op) != 0) {
		close(fd);
		return 1;
	}
	if (!op->follow) {
		close(fd);
		return 0;
	}
	/* follow: new complete lines as serve appends them; a file replaced
	 * (new inode) is read from its start, one cut shorter from the cut */
	struct stat st0;
	fstat(fd, &st0);
	while (!cli_stop) {
		struct timespec nap = {0, 200 * 1000 * 1000};
		nanosleep(&nap, NULL);
		struct stat st;
		if (stat(path, &st) == 0 && (st.st_ino != st0.st_ino || st.st_dev != st0.st_dev)) {
			int nfd = open(path, O_RDONLY | O_CLOEXEC);
			if (nfd >= 0) {
				close(fd);
				fd = nfd;
				fstat(fd, &st0);
				end = 0;
			}
		}
		if (fstat(fd, &st) != 0)
			break;
		if (st.st_size < end) /* cut back: a restarted serve rolled a batch back
					* (at a line end), or a new run started it anew */
			end = st.st_size;
		if (st.st_size == end)
			continue;
		/* up to the last complete line */
		off_t to = end;
		char buf[8192];
		for (off_t pos = st.st_size; pos > end;) {
			off_t f2 = pos - (off_t)sizeof(buf) > end ? pos - (off_t)sizeof(buf) : end;
			ssize_t n = pread(fd, buf, (size_t)(pos - f2), f2);
			if (n <= 0)
				break;
			ssize_t i = n - 1;
			while (i >= 0 && buf[i] != '\n')
				i--;
			if (i >= 0) {
				to = f2 + i + 1;
				break;
			}
			pos = f2;
		}
		if (to > end && print_range(fd, end, to, op) != 0)
			break;
		end = to;
	}
	close(fd);
	return 0;
}

/* ---- top -------------------------------------------------------------- */

struct sample {
	struct wc_counters c;
	uint64_t t_ns; /* monotonic */
};

static void take(struct wc_shm_header *h, struct sample *s)
{
	wc_shm_sum_counters(h, &s->c);
	s->t_ns = mono_ns();
}

static uint64_t verdicts(const struct wc_counters *c, int only)
{
	uint64_t n = 0;
	for (int l = 0; l < WC_LAYER_COUNT; l++)
		for (int v = 0; v < WC_VERDICT_COUNT; v++)
			if (only < 0 || v == only)
				n += c->csum[l][v];
	return n;
}

static uint64_t anomalies(const struct wc_counters *c)
{
	uint64_t n = 0;
	for (int a = 0; a < WC_ANOM_COUNT; a++)
		n += c->anomalies[a];
	return n;
}

struct rates {
	double secs, pkts, bits, verdicts, bad, partial, anomalies, events, ring_drops,
		capture_drops;
};

/* per second from two readings of a counter (0 if it went backwards) */
static double rate(uint64_t a, uint64_t b, double secs)
{
	return b >= a ? (double)(b - a) / secs : 0.0;
}

static void rates_of(const struct sample *a, const struct sample *b, struct rates *r)
{
	double s = b->t_ns > a->t_ns ? (double)(b->t_ns - a->t_ns) / 1e9 : 1.0;
	r->secs = s;
	r->pkts = rate(a->c.packets, b->c.packets, s);
	r->bits = rate(a->c.bytes, b->c.bytes, s) * 8;
	r->events = rate(a->c.events_written, b->c.events_written, s);
	r->ring_drops = rate(a->c.drops_event_ring, b->c.drops_event_ring, s);
	r->capture_drops = rate(a->c.drops_capture, b->c.drops_capture, s);
	r->verdicts = rate(verdicts(&a->c, -1), verdicts(&b->c, -1), s);
	r->bad = rate(verdicts(&a->c, WC_VERDICT_BAD), verdicts(&b->c, WC_VERDICT_BAD), s);
	r->partial = rate(verdicts(&a->c, WC_VERDICT_PARTIAL),
			  verdicts(&b->c, WC_VERDICT_PARTIAL), s);
	r->anomalies = rate(anomalies(&a->c), anomalies(&b->c), s);
}

static void top_text(struct wc_shm_header *h, const struct sample *a, const struct sample *b,
		     struct snapshot *fs, const struct wc_sender *snd, size_t nsnd, size_t rows)
{
	struct rates r;
	rates_of(a, b, &r);
	const struct wc_counters *c = &b->c;
	char t[64], x1[16], x2[16], x3[16], x4[16], x5[16];
	eve_timestamp(wc_now_ns(), t, sizeof(t));
	printf("wirecheck top  %s\n", t);
	header_lines(stdout, h);
	printf("\npackets/s %-8s bits/s %-8s verdicts/s %-8s bad/s %-8s partial/s %s\n",
	       human(r.pkts, x1, sizeof(x1)), human(r.bits, x2, sizeof(x2)),
	       human(r.verdicts, x3, sizeof(x3)), human(r.bad, x4, sizeof(x4)),
	       human(r.partial, x5, sizeof(x5)));
	printf("anomalies/s %-6s events/s %-6s ring drops %llu (%s/s)  capture drops %llu\n",
	       human(r.anomalies, x1, sizeof(x1)), human(r.events, x2, sizeof(x2)),
	       (unsigned long long)c->drops_event_ring, human(r.ring_drops, x3, sizeof(x3)),
	       (unsigned long long)c->drops_capture);
	printf("flows %llu active, %llu created, %llu ended; totals %llu packets, %llu bytes\n",
	       (unsigned long long)c->flows_active, (unsigned long long)c->flows_created,
	       (unsigned long long)c->flows_ended, (unsigned long long)c->packets,
	       (unsigned long long)c->bytes);

	int any = 0;
	for (int k = 0; k < WC_ANOM_COUNT; k++) {
		if (!c->anomalies[k])
			continue;
		if (!any++)
			printf("\n%-28s %14s %10s\n", "ANOMALY", "TOTAL", "PER_S");
		printf("%-28s %14llu %10s\n", wc_anomaly_name(k), (unsigned long long)c->anomalies[k],
		       human(rate(a->c.anomalies[k], c->anomalies[k], r.secs), x1, sizeof(x1)));
	}
	if (!any)
		printf("\nno anomalies\n");

	printf("\nTOP FLOWS BY TROUBLE (%zu live", fs->n);
	if (fs->busy)
		printf(", %llu busy skipped", (unsigned long long)fs->busy);
	printf(")\n");
	flow_table_head(stdout);
	for (size_t i = 0; i < fs->n && i < rows; i++)
		flow_row(stdout, &fs->v[i], fs->ref_ns);

	printf("\nTOP SENDERS BY TROUBLE\n%-40s %-17s %5s %10s %10s %11s %9s\n", "SENDER",
	       "MAC", "VLAN", "BAD", "PARTIAL", "SUPERFRAMES", "CONFIRMED");
	for (size_t i = 0; i < nsnd && i < rows; i++) {
		char ip[INET6_ADDRSTRLEN], mac[24];
		sender_who(&snd[i], ip, sizeof(ip), mac, sizeof(mac));
		printf("%-40s %-17s %5u %10llu %10llu %11llu %9llu\n", ip, mac, snd[i].vlan,
		       (unsigned long long)snd[i].bad, (unsigned long long)snd[i].partial,
		       (unsigned long long)snd[i].superframes, (unsigned long long)snd[i].confirmed);
	}
}

static void top_json(struct wc_shm_header *h, const struct sample *a, const struct sample *b,
		     struct snapshot *fs, const struct wc_sender *snd, size_t nsnd, size_t rows)
{
	struct rates r;
	rates_of(a, b, &r);
	const struct wc_counters *c = &b->c;
	struct wc_json j;
	char t[64], pb[8];
	eve_timestamp(wc_now_ns(), t, sizeof(t));
	json_begin(&j, stdout);
	json_str(&j, "timestamp", t);
	json_str(&j, "event_type", "top");
	json_strn(&j, "instance", h->instance, strnlen(h->instance, sizeof(h->instance)));
	json_strn(&j, "source", h->source, strnlen(h->source, sizeof(h->source)));
	json_u64(&j, "workers", h->n_workers);
	json_str(&j, "dataplane", state_name(h));
	json_double(&j, "interval_s", r.secs);
	json_obj(&j, "rates");
	json_double(&j, "packets", r.pkts);
	json_double(&j, "bits", r.bits);
	json_double(&j, "verdicts", r.verdicts);
	json_double(&j, "bad", r.bad);
	json_double(&j, "partial", r.partial);
	json_double(&j, "anomalies", r.anomalies);
	json_double(&j, "events", r.events);
	json_double(&j, "ring_drops", r.ring_drops);
	json_double(&j, "capture_drops", r.capture_drops);
	json_obj_end(&j);
	json_u64(&j, "packets", c->packets);
	json_u64(&j, "bytes", c->bytes);
	json_obj(&j, "flows");
	json_u64(&j, "active", c->flows_active);
	json_u64(&j, "created", c->flows_created);
	json_u64(&j, "ended", c->flows_ended);
	json_u64(&j, "live", fs->n);
	json_u64(&j, "busy_skipped", fs->busy);
	json_obj_end(&j);
	eve_losses(&j, c);
	json_obj(&j, "anomalies");
	for (int k = 0; k < WC_ANOM_COUNT; k++) {
		if (!c->anomalies[k])
			continue;
		json_obj(&j, wc_anomaly_name(k));
		json_u64(&j, "total", c->anomalies[k]);
		json_double(&j, "per_s", rate(a->c.anomalies[k], c->anomalies[k], r.secs));
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_arr(&j, "top_flows");
	for (size_t i = 0; i < fs->n && i < rows; i++) {
		const struct wc_flow *f = &fs->v[i].f;
		const struct wc_flow_dir *cs = &f->dir[f->client], *sc = &f->dir[!f->client];
		char ip[INET6_ADDRSTRLEN];
		json_obj(&j, NULL);
		json_u64(&j, "flow_id", f->id);
		json_str(&j, "src_ip", addr_str(f->key.family, f->key.addr[f->client], ip, sizeof(ip)));
		json_u64(&j, "src_port", f->key.port[f->client]);
		json_str(&j, "dest_ip", addr_str(f->key.family, f->key.addr[!f->client], ip, sizeof(ip)));
		json_u64(&j, "dest_port", f->key.port[!f->client]);
		json_str(&j, "proto", proto_str(f->key.proto, pb, sizeof(pb)));
		if (f->key.proto == 6)
			json_str(&j, "state", wc_tcp_state_name(f->state));
		json_u64(&j, "pkts_toserver", cs->pkts);
		json_u64(&j, "pkts_toclient", sc->pkts);
		json_u64(&j, "bytes_toserver", cs->bytes);
		json_u64(&j, "bytes_toclient", sc->bytes);
		json_u64(&j, "retransmissions", (uint64_t)f->tally[0].retx + f->tally[1].retx);
		json_u64(&j, "checksum_bad", (uint64_t)f->tally[0].csum_bad + f->tally[1].csum_bad);
		if (f->rtt_samples)
			json_u64(&j, "rtt_avg_us", f->rtt_sum_us / f->rtt_samples);
		else
			json_raw(&j, "rtt_avg_us", "null");
		json_u64(&j, "trouble", fs->v[i].trouble);
		json_u64(&j, "worker", fs->v[i].worker);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_arr(&j, "top_senders");
	for (size_t i = 0; i < nsnd && i < rows; i++) {
		char ip[INET6_ADDRSTRLEN], mac[24];
		sender_who(&snd[i], ip, sizeof(ip), mac, sizeof(mac));
		json_obj(&j, NULL);
		json_str(&j, "sender_ip", ip);
		if (snd[i].has_mac)
			json_str(&j, "sender_mac", mac);
		if (snd[i].vlan)
			json_u64(&j, "vlan", snd[i].vlan);
		json_u64(&j, "bad", snd[i].bad);
		json_u64(&j, "partial", snd[i].partial);
		json_u64(&j, "superframes", snd[i].superframes);
		json_u64(&j, "confirmed", snd[i].confirmed);
		json_u64(&j, "trouble", sender_trouble(&snd[i]));
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_end(&j);
}

static void sleep_s(double s)
{
	/* in slices, so SIGINT ends it at once */
	uint64_t until = mono_ns() + (uint64_t)(s * 1e9);
	while (!cli_stop) {
		uint64_t now = mono_ns();
		if (now >= until)
			break;
		uint64_t left = until - now;
		struct timespec ts = {0, (long)(left < 50000000 ? left : 50000000)};
		nanosleep(&ts, NULL);
	}
}

static int cmd_top(struct wc_shm_header *h, const struct cli_opts *op)
{
	size_t rows = op->limit < 0 ? 10 : op->limit == 0 ? SIZE_MAX : (size_t)op->limit;
	int tty = isatty(STDOUT_FILENO) && !op->once && !op->json;
	struct sample a, b;
	take(h, &a);
	for (;;) {
		sleep_s(op->interval);
		if (cli_stop)
			break;
		take(h, &b);
		struct snapshot fs;
		if (snapshot_flows(h, &fs) != 0) {
			free(fs.v);
			fprintf(stderr, "wirecheckctl: out of memory\n");
			return 1;
		}
		sort_flows(&fs, SORT_TROUBLE);
		struct wc_sender *snd;
		size_t nsnd = collect_senders(h, &snd);
		if (tty)
			fputs("\033[H\033[2J", stdout); /* home, clear: no curses */
		if (op->json)
			top_json(h, &a, &b, &fs, snd, nsnd, rows);
		else
			top_text(h, &a, &b, &fs, snd, nsnd, rows);
		free(fs.v);
		free(snd);
		if (fflush(stdout) != 0)
			return 1;
		a = b;
		uint32_t st = atomic_load_explicit(&h->state, memory_order_acquire);
		if (op->once)
			break;
		if (st == WC_SHM_DONE || st == WC_SHM_FAILED || !serve_dataplane_alive(h)) {
			fprintf(stderr, "wirecheckctl: the dataplane of %s is %s\n", op->instance,
				state_name(h));
			break;
		}
		if (!op->json && !tty)
			printf("\n");
	}
	return 0;
}

/* ---- main ------------------------------------------------------------- */

static int parse_long(const char *opt, const char *v, long min, long *out)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min) {
		fprintf(stderr, "wirecheckctl: option --%s: '%s' is not an integer >= %ld\n", opt, v,
			min);
		return -1;
	}
	*out = n;
	return 0;
}

int cli_main(int argc, char **argv)
{
	struct cli_opts op = {.cmd = argv[1], .instance = "wirecheck", .limit = -1, .last = 20,
			      .interval = 1.0, .sort = SORT_TROUBLE};
	static const struct option lopts[] = {
		{"instance", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"json", no_argument, NULL, 'j'},
		{"once", no_argument, NULL, '1'},
		{"follow", no_argument, NULL, 'f'},
		{"limit", required_argument, NULL, 'l'},
		{"last", required_argument, NULL, 'L'},
		{"sort", required_argument, NULL, 's'},
		{"interval", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	/* which options each command takes */
	const char *allowed = !strcmp(op.cmd, "stats")	  ? "nj"
			      : !strcmp(op.cmd, "flows")  ? "njls"
			      : !strcmp(op.cmd, "events") ? "nojfL"
							  : "njl1i";
	optind = 2;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":n:o:jfl:h", lopts, NULL)) != -1) {
		if (c == 'h') {
			printf("usage:\n");
			cli_usage(stdout);
			return 0;
		}
		if (c == '?' || c == ':') {
			fprintf(stderr, "wirecheckctl: %s option %s\n",
				c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return 2;
		}
		if (!strchr(allowed, c)) {
			fprintf(stderr, "wirecheckctl %s: option %s does not apply\n", op.cmd,
				argv[optind - 1]);
			return 2;
		}
		switch (c) {
		case 'n':
			op.instance = optarg;
			break;
		case 'o':
			op.outdir = optarg;
			break;
		case 'j':
			op.json = 1;
			break;
		case '1':
			op.once = 1;
			break;
		case 'f':
			op.follow = 1;
			break;
		case 'l':
			if (parse_long("limit", optarg, 0, &op.limit) != 0)
				return 2;
			break;
		case 'L':
			if (parse_long("last", optarg, 0, &op.last) != 0)
				return 2;
			break;
		case 's':
			if (!strcmp(optarg, "trouble"))
				op.sort = SORT_TROUBLE;
			else if (!strcmp(optarg, "bytes"))
				op.sort = SORT_BYTES;
			else if (!strcmp(optarg, "pkts") || !strcmp(optarg, "packets"))
				op.sort = SORT_PKTS;
			else if (!strcmp(optarg, "age"))
				op.sort = SORT_AGE;
			else {
				fprintf(stderr, "wirecheckctl: option --sort: '%s' is not one of "
						"trouble, bytes, pkts, age\n", optarg);
				return 2;
			}
			break;
		case 'i': {
			char *end;
			op.interval = strtod(optarg, &end);
			if (end == optarg || *end || !(op.interval >= 0.05 && op.interval <= 3600)) {
				fprintf(stderr, "wirecheckctl: option --interval: '%s' is not a "
						"number of seconds in [0.05, 3600]\n", optarg);
				return 2;
			}
			break;
		}
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wirecheckctl: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	char path[256];
	if (wc_shm_path(op.instance, path, sizeof(path)) != 0) {
		fprintf(stderr, "wirecheckctl: option -n: '%s' is not a valid instance name\n",
			op.instance);
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_stop};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (!strcmp(op.cmd, "events"))
		return cmd_events(&op);
	struct wc_shm shm;
	if (attach_ro(op.instance, &shm) != 0)
		return 1;
	int rc;
	if (!strcmp(op.cmd, "stats"))
		rc = cmd_stats(shm.hdr, &op);
	else if (!strcmp(op.cmd, "flows"))
		rc = cmd_flows(shm.hdr, &op);
	else
		rc = cmd_top(shm.hdr, &op);
	wc_shm_detach(&shm);
	return rc;
}
