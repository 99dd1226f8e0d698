/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus text exposition (format 0.0.4) of an instance's counters and of
 * the control plane's handshake/RTT histograms, served by libmicrohttpd from
 * its own thread (see metrics.h).
 *
 * Labels: packets, bytes, checksum verdicts, flows, drops and events written
 * carry worker="N" (sum() them for the instance); anomalies{type} and
 * malformed{reason} are summed over workers, one series per name of the
 * table in wirecheck/anomaly.h, zeros included, so every series exists from
 * the first scrape. Histograms count flows as their flow events are drained
 * (flows that ended since this serve started).
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "eve.h"
#include "wirecheck/hostport.h"
#include "ipfix.h"

/* dataplane_up: the main thread bumps the heartbeat every 100 ms live. */
#define HEARTBEAT_FRESH_NS (5ull * 1000000000ull)

/* Fixed buckets, 100 us .. 10 s (upper bounds, microseconds). */
static const uint64_t bucket_us[] = {
	100,    250,    500,     1000,    2500,    5000,    10000,   25000,
	50000,  100000, 250000,  500000,  1000000, 2500000, 5000000, 10000000,
};
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct hist {
	_Atomic uint64_t n[N_BUCKETS + 1]; /* per bucket (not cumulative), last = +Inf */
	_Atomic uint64_t sum_us;
};

/* flow_rtt_avg_seconds{proto}: the protocols that have RTT samples. */
static const uint8_t rtt_protos[] = {6, 1, 58};
#define N_RTT_PROTOS (sizeof(rtt_protos) / sizeof(rtt_protos[0]))

struct wc_metrics {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock; /* one scrape at a time: it owns the mapping */
	char instance[64];
	struct wc_shm shm;    /* our own read-only mapping of the instance */
	dev_t dev;            /* of the file mapped: a new instance replaces it */
	ino_t ino;
	struct hist hs_server; /* SYN -> SYN-ACK, as seen by the probe */
	struct hist hs_client; /* SYN-ACK -> ACK */
	struct hist rtt[N_RTT_PROTOS];
	/* serve --ipfix's exporter, or NULL; set once after start (release),
	 * read by scrapes (acquire) */
	const struct ipfix_exporter *_Atomic ipfix;
};

/* ---- histograms ---------------------------------------------------------- */

static void hist_observe(struct hist *h, uint64_t us)
{
	unsigned i = 0;
	while (i < N_BUCKETS && us > bucket_us[i])
		i++;
	atomic_fetch_add_explicit(&h->n[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void metrics_observe_flow(struct wc_metrics *m, const struct wc_flow *f)
{
	if (!m || !f)
		return;
	uint8_t proto = f->key.proto;
	if (proto == 6) {
		if (f->syn_to_synack_us != UINT32_MAX)
			hist_observe(&m->hs_server, f->syn_to_synack_us);
		if (f->synack_to_ack_us != UINT32_MAX)
			hist_observe(&m->hs_client, f->synack_to_ack_us);
	}
	if (!f->rtt_samples)
		return;
	for (unsigned p = 0; p < N_RTT_PROTOS; p++)
		if (rtt_protos[p] == proto) {
			hist_observe(&m->rtt[p], f->rtt_sum_us / f->rtt_samples);
			break;
		}
}

/* ---- output buffer ------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

__attribute__((format(printf, 2, 3))) static void bprintf(struct buf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap * 2 > b->len + (size_t)n + 1 ? b->cap * 2
								  : b->len + (size_t)n + 1;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
}

/* A label value, escaped per the exposition format: \ " and newline. */
static void blabel(struct buf *b, const char *s, size_t maxlen)
{
	for (size_t i = 0; i < maxlen && s[i]; i++) {
		char c = s[i];
		if (c == '\\')
			bprintf(b, "\\\\");
		else if (c == '"')
			bprintf(b, "\\\"");
		else if (c == '\n')
			bprintf(b, "\\n");
		else
			bprintf(b, "%c", c);
	}
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
	bprintf(b, "# HELP wirecheck_%s %s\n# TYPE wirecheck_%s %s\n", name, help, name, type);
}

/* ---- one scrape ---------------------------------------------------------- */

/* A worker's counters, read with plain (volatile) loads: a few packets old
 * maybe, never torn (64-bit stores, shm.h). */
static void read_counters(struct wc_shm_header *h, unsigned w, struct wc_counters *out)
{
	const volatile uint64_t *in =
		(const volatile uint64_t *)&wc_shm_worker(h, w)->counters;
	uint64_t *o = (uint64_t *)out;
	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] = in[i];
}

#define PER_WORKER(b, n, name, field)                                              \
	do {                                                                       \
		for (unsigned w_ = 0; w_ < (n); w_++)                              \
			bprintf((b), "wirecheck_" name "{worker=\"%u\"} %llu\n", w_,      \
				(unsigned long long)c[w_].field);                          \
	} while (0)
/* The same with one more label, label="value" (a literal pair). */
#define PER_WORKER_LABEL(b, n, name, label, field)                                 \
	do {                                                                       \
		for (unsigned w_ = 0; w_ < (n); w_++)                              \
			bprintf((b), "wirecheck_" name "{worker=\"%u\"," label "} %llu\n", \
				w_, (unsigned long long)c[w_].field);                      \
	} while (0)

static void render_shm(struct buf *b, struct wc_shm_header *h)
{
	static struct wc_counters zero;
	unsigned n = h->n_workers;
	if (n > WC_MAX_WORKERS)
		n = WC_MAX_WORKERS;
	struct wc_counters c[WC_MAX_WORKERS], sum = zero;
	for (unsigned w = 0; w < n; w++) {
		read_counters(h, w, &c[w]);
		for (int a = 0; a < WC_ANOM_COUNT; a++)
			sum.anomalies[a] += c[w].anomalies[a];
		for (int m = 0; m < WC_MAL_COUNT; m++)
			sum.malformed[m] += c[w].malformed[m];
		sum.anomaly_events_suppressed += c[w].anomaly_events_suppressed;
	}
	uint64_t now = wc_now_ns();
	uint64_t hb = atomic_load_explicit(&h->heartbeat_ns, memory_order_relaxed);
	uint32_t state = atomic_load_explicit(&h->state, memory_order_relaxed);
	double age = hb && now > hb ? (double)(now - hb) / 1e9 : 0.0;
	int up = state == WC_SHM_RUNNING && hb && (now <= hb || now - hb < HEARTBEAT_FRESH_NS);

	family(b, "info", "gauge", "Instance being read: name, capture source, packet clock.");
	bprintf(b, "wirecheck_info{instance=\"");
	blabel(b, h->instance, sizeof(h->instance));
	bprintf(b, "\",source=\"");
	blabel(b, h->source, sizeof(h->source));
	bprintf(b, "\",clock=\"");
	blabel(b, h->clock, sizeof(h->clock));
	bprintf(b, "\"} 1\n");
	family(b, "dataplane_up", "gauge",
	       "1 when the dataplane is running and its heartbeat is fresh (< 5 s), else 0.");
	bprintf(b, "wirecheck_dataplane_up %d\n", up);
	family(b, "heartbeat_age_seconds", "gauge",
	       "Seconds since the dataplane's last heartbeat.");
	bprintf(b, "wirecheck_heartbeat_age_seconds %.3f\n", age);
	family(b, "dataplane_start_time_seconds", "gauge",
	       "When the dataplane started, seconds since the Unix epoch.");
	bprintf(b, "wirecheck_dataplane_start_time_seconds %.3f\n", (double)h->start_ns / 1e9);
	family(b, "workers", "gauge", "Dataplane worker threads (one per capture queue).");
	bprintf(b, "wirecheck_workers %u\n", n);

	family(b, "packets_total", "counter", "Packets analysed, per worker.");
	PER_WORKER(b, n, "packets_total", packets);
	family(b, "bytes_total", "counter", "Bytes analysed (captured length), per worker.");
	PER_WORKER(b, n, "bytes_total", bytes);

	family(b, "checksum_verdicts_total", "counter",
	       "Checksum verdicts per worker, layer and verdict (inner headers included).");
	for (unsigned w = 0; w < n; w++)
		for (int l = 0; l < WC_LAYER_COUNT; l++)
			for (int v = 0; v < WC_VERDICT_COUNT; v++)
				bprintf(b, "wirecheck_checksum_verdicts_total{worker=\"%u\",layer=\"%s\","
					   "verdict=\"%s\"} %llu\n",
					w, wc_csum_layer_name(l), wc_verdict_name(v),
					(unsigned long long)c[w].csum[l][v]);

	family(b, "anomalies_total", "counter",
	       "Anomalies detected by type, summed over workers (rate-limited ones included).");
	for (int a = 0; a < WC_ANOM_COUNT; a++) {
		bprintf(b, "wirecheck_anomalies_total{type=\"");
		blabel(b, wc_anomaly_name(a), 64);
		bprintf(b, "\"} %llu\n", (unsigned long long)sum.anomalies[a]);
	}
	family(b, "anomaly_events_rate_limited_total", "counter",
	       "Anomalies counted but not written as events (per-flow rate limit).");
	bprintf(b, "wirecheck_anomaly_events_rate_limited_total %llu\n",
		(unsigned long long)sum.anomaly_events_suppressed);
	family(b, "malformed_total", "counter",
	       "Frames (or layers) that could not be decoded, by reason, summed over workers.");
	for (int m = 1; m < WC_MAL_COUNT; m++) {
		bprintf(b, "wirecheck_malformed_total{reason=\"");
		blabel(b, wc_malformed_name(m), 64);
		bprintf(b, "\"} %llu\n", (unsigned long long)sum.malformed[m]);
	}

	family(b, "flows_created_total", "counter", "Flows created, per worker.");
	PER_WORKER(b, n, "flows_created_total", flows_created);
	family(b, "flows_active", "gauge", "Flows in the flow table now, per worker.");
	PER_WORKER(b, n, "flows_active", flows_active);
	family(b, "flows_evicted_total", "counter",
	       "Flows evicted from a full flow table, per worker.");
	PER_WORKER(b, n, "flows_evicted_total", flows_evicted);
	family(b, "flows_ended_total", "counter",
	       "Flows ended (FIN, RST, timeout, shutdown), per worker.");
	PER_WORKER(b, n, "flows_ended_total", flows_ended);
	family(b, "flows_one_sided_total", "counter",
	       "TCP flows that ended with packets seen in one direction only, per worker.");
	PER_WORKER(b, n, "flows_one_sided_total", flows_one_sided);

	family(b, "drops_total", "counter",
	       "Packets dropped by the capture layer (where=\"capture\"), events dropped "
	       "on a full event ring (where=\"event_ring\") and evidence context packets "
	       "left out for lack of ring room (where=\"evidence_context\"), per worker.");
	PER_WORKER_LABEL(b, n, "drops_total", "where=\"capture\"", drops_capture);
	PER_WORKER_LABEL(b, n, "drops_total", "where=\"event_ring\"", drops_event_ring);
	PER_WORKER_LABEL(b, n, "drops_total", "where=\"evidence_context\"", drops_evidence);
	family(b, "tracking_lost_total", "counter",
	       "What fixed tables could not hold, per worker: senders past the sender table, "
	       "corrupt segments given up before their good copy, VIP answers overwritten "
	       "while their SYN's flow could be open, SYN-ACKs whose SYN no worker saw.");
	PER_WORKER_LABEL(b, n, "tracking_lost_total", "what=\"senders\"", senders_untracked);
	PER_WORKER_LABEL(b, n, "tracking_lost_total", "what=\"bad_segments\"", bad_segs_untracked);
	PER_WORKER_LABEL(b, n, "tracking_lost_total", "what=\"vip_answers\"", vip_answers_lost);
	PER_WORKER_LABEL(b, n, "tracking_lost_total", "what=\"synack_syn_unseen\"", synack_syn_unseen);
	family(b, "events_written_total", "counter",
	       "Events written to the event ring, per worker.");
	PER_WORKER(b, n, "events_written_total", events_written);
}

static void render_hist(struct buf *b, const char *name, const char *label,
			const struct hist *h)
{
	uint64_t cum = 0;
	for (unsigned i = 0; i <= N_BUCKETS; i++) {
		cum += atomic_load_explicit(&h->n[i], memory_order_relaxed);
		if (i < N_BUCKETS)
			bprintf(b, "wirecheck_%s_bucket{%s%sle=\"%g\"} %llu\n", name, label,
				*label ? "," : "", (double)bucket_us[i] / 1e6,
				(unsigned long long)cum);
		else
			bprintf(b, "wirecheck_%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label,
				*label ? "," : "", (unsigned long long)cum);
	}
	uint64_t sum = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
	const char *open = *label ? "{" : "", *close = *label ? "}" : "";
	bprintf(b, "wirecheck_%s_sum%s%s%s %llu.%06llu\n", name, open, label, close,
		(unsigned long long)(sum / 1000000), (unsigned long long)(sum % 1000000));
	/* the count is the +Inf bucket of this same read: always consistent */
	bprintf(b, "wirecheck_%s_count%s%s%s %llu\n", name, open, label, close,
		(unsigned long long)cum);
}

/* Keep the mapping current: drop it when the instance's file went away or
 * was replaced (dataplane ended or restarted), attach when it exists. */
static void refresh_shm(struct wc_metrics *m)
{
	struct stat st;
	if (m->shm.hdr && (stat(m->shm.path, &st) != 0 || st.st_dev != m->dev ||
			   st.st_ino != m->ino))
		wc_shm_detach(&m->shm);
	if (!m->shm.hdr && wc_shm_attach_ro(m->instance, &m->shm) == 0) {
		if (stat(m->shm.path, &st) == 0) {
			m->dev = st.st_dev;
			m->ino = st.st_ino;
		} else {
			wc_shm_detach(&m->shm);
		}
	}
}

char *metrics_render(struct wc_metrics *m, size_t *len)
{
	struct buf b = {.cap = 16384};
	b.p = malloc(b.cap);
	if (!b.p)
		return NULL;
	b.p[0] = 0;
	pthread_mutex_lock(&m->lock);
	refresh_shm(m);
	if (m->shm.hdr) {
		render_shm(&b, m->shm.hdr);
	} else {
		family(&b, "dataplane_up", "gauge",
		       "1 when the dataplane is running and its heartbeat is fresh (< 5 s), else 0.");
		bprintf(&b, "wirecheck_dataplane_up 0\n");
	}
	pthread_mutex_unlock(&m->lock);

	family(&b, "handshake_server_seconds", "histogram",
	       "TCP handshakes of ended flows: SYN to SYN-ACK as seen by the probe (server side).");
	render_hist(&b, "handshake_server_seconds", "", &m->hs_server);
	family(&b, "handshake_client_seconds", "histogram",
	       "TCP handshakes of ended flows: SYN-ACK to ACK as seen by the probe (client side).");
	render_hist(&b, "handshake_client_seconds", "", &m->hs_client);
	family(&b, "flow_rtt_avg_seconds", "histogram",
	       "Average RTT of each ended flow with RTT samples (TCP data/ACK, ICMP echo), by proto.");
	for (unsigned p = 0; p < N_RTT_PROTOS; p++) {
		char pb[16], label[32];
		snprintf(label, sizeof(label), "proto=\"%s\"",
			 eve_proto_name(rtt_protos[p], pb, sizeof(pb)));
		render_hist(&b, "flow_rtt_avg_seconds", label, &m->rtt[p]);
	}
	const struct ipfix_exporter *x = atomic_load_explicit(&m->ipfix, memory_order_acquire);
	if (x) {
		struct ipfix_stats xs;
		ipfix_get_stats(x, &xs);
		family(&b, "ipfix_messages_total", "counter", "IPFIX messages sent to the collector.");
		bprintf(&b, "wirecheck_ipfix_messages_total %llu\n", (unsigned long long)xs.messages);
		family(&b, "ipfix_records_total", "counter",
		       "IPFIX data records (ended flows) sent to the collector.");
		bprintf(&b, "wirecheck_ipfix_records_total %llu\n", (unsigned long long)xs.records);
		family(&b, "ipfix_templates_total", "counter", "IPFIX template sets sent.");
		bprintf(&b, "wirecheck_ipfix_templates_total %llu\n",
			(unsigned long long)xs.templates);
		family(&b, "ipfix_send_errors_total", "counter",
		       "IPFIX messages lost to a failed send (collector unreachable, buffer full).");
		bprintf(&b, "wirecheck_ipfix_send_errors_total %llu\n",
			(unsigned long long)xs.send_errors);
		family(&b, "ipfix_records_lost_total", "counter",
		       "IPFIX data records in the messages that could not be sent.");
		bprintf(&b, "wirecheck_ipfix_records_lost_total %llu\n",
			(unsigned long long)xs.records_lost);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.p;
}

/* ---- HTTP ---------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct wc_metrics *m = cls;
	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size) { /* a body nobody asked for: discard it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found: this endpoint serves /metrics\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	size_t len = 0;
	char *body = metrics_render(m, &len);
	if (!body)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	fprintf(stderr, "wirecheckctl: metrics: %s\n", msg);
}

/* ---- address and lifecycle ----------------------------------------------- */

int metrics_parse_addr(const char *spec, struct sockaddr_storage *out, socklen_t *outlen,
		       char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	char host[64];
	uint16_t port;
	socklen_t len = sizeof(*v4);

	if (wc_hostport_split(spec, WC_HOSTPORT_EMPTY_HOST, host, sizeof(host), &port) != 0)
		goto bad;
	if (spec[0] == '[') { /* [IPv6]:PORT */
		if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1)
			goto bad;
		v6->sin6_family = AF_INET6;
		len = sizeof(*v6);
	}
	if (ss.ss_family == AF_INET6) {
		v6->sin6_port = htons(port);
	} else {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		if (!host[0] || !strcmp(host, "localhost"))
			v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		else if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
			goto bad;
	}
	if (out)
		*out = ss;
	if (outlen)
		*outlen = len;
	return 0;
bad:
	snprintf(err, errlen,
		 "option --metrics: '%s' is not ADDR:PORT (a numeric IPv4 address, "
		 "[IPv6] or localhost, and a port 1-65535; a port alone binds 127.0.0.1)",
		 spec ? spec : "");
	return -1;
}

struct wc_metrics *metrics_start(const char *spec, const char *instance, char *err,
				 size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (metrics_parse_addr(spec, &ss, &sl, err, errlen) != 0)
		return NULL;
	/* our own listening socket: a precise error (in use, not local) */
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "option --metrics: cannot listen on %s: %s", spec,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct wc_metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		snprintf(err, errlen, "option --metrics: out of memory");
		return NULL;
	}
	pthread_mutex_init(&m->lock, NULL);
	snprintf(m->instance, sizeof(m->instance), "%s", instance);
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	m->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, m,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				     MHD_OPTION_CONNECTION_LIMIT, 64u,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				     MHD_OPTION_END);
	if (!m->daemon) {
		if (fcntl(fd, F_GETFD) != -1) /* MHD may have closed it already */
			close(fd);
		pthread_mutex_destroy(&m->lock);
		free(m);
		snprintf(err, errlen, "option --metrics: cannot start the HTTP server on %s", spec);
		return NULL;
	}
	return m;
}

void metrics_set_ipfix(struct wc_metrics *m, const struct ipfix_exporter *x)
{
	if (m)
		atomic_store_explicit(&m->ipfix, x, memory_order_release);
}

void metrics_stop(struct wc_metrics *m)
{
	if (!m)
		return;
	if (m->daemon)
		MHD_stop_daemon(m->daemon); /* joins its thread, closes the socket */
	wc_shm_detach(&m->shm);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
