/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wirecheckctl: the control plane. `serve` attaches to an instance's shared
 * memory and drains the workers' event rings into DIR/events.json and
 * DIR/evidence.pcap; it never writes to the dataplane except its ring
 * tails and ctl_pid. `stats` reads the live counters.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "eve.h"
#include "json.h"
#include "wirecheck/shm.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wirecheckctl serve [-n INSTANCE] [-o DIR] [--until-done]\n"
		"       wirecheckctl stats [-n INSTANCE] [--json]\n\n"
		"  -n, --instance NAME  instance to attach to (default: wirecheck)\n"
		"  -o, --output DIR     where serve writes events.json and evidence.pcap\n"
		"      --until-done     exit once the dataplane has finished (offline runs)\n"
		"      --json           machine-readable output\n"
		"      --metrics, --ipfix, flows, events, top: not built yet (README)\n");
}

struct serve_out {
	FILE *events;
	pcap_t *dead;
	pcap_dumper_t *evidence;
	uint64_t evidence_frames;
	/* the packet last written: events of one packet share its frame */
	uint32_t last_worker;
	uint64_t last_pcap_cnt, last_ts_ns;
};

static FILE *open_0640(const char *path, const char *mode, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0640);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, mode);
	if (!f)
		close(fd);
	return f;
}

static int serve_open(struct serve_out *o, const char *dir, uint32_t linktype)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/events.json", dir);
	o->events = open_0640(path, "w", O_TRUNC);
	if (!o->events) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	setvbuf(o->events, NULL, _IOFBF, 1 << 16);
	snprintf(path, sizeof(path), "%s/evidence.pcap", dir);
	FILE *ef = open_0640(path, "w", O_TRUNC);
	o->dead = pcap_open_dead_with_tstamp_precision((int)linktype, 262144,
						       PCAP_TSTAMP_PRECISION_MICRO);
	o->evidence = (ef && o->dead) ? pcap_dump_fopen(o->dead, ef) : NULL;
	if (!o->evidence) {
		fprintf(stderr, "wirecheckctl: %s: cannot write\n", path);
		if (ef)
			fclose(ef);
		return -1;
	}
	return 0;
}

static int serve_close(struct serve_out *o)
{
	int r = 0;
	if (o->evidence) {
		if (pcap_dump_flush(o->evidence) != 0)
			r = -1;
		pcap_dump_close(o->evidence);
	}
	if (o->dead)
		pcap_close(o->dead);
	if (o->events && fclose(o->events) != 0)
		r = -1;
	return r;
}

static void write_event(struct serve_out *o, const struct wc_event *e)
{
	if (e->kind == WC_EVENT_FLOW) {
		eve_write_flow(o->events, e);
		return;
	}
	if (e->kind != WC_EVENT_ANOMALY)
		return; /* unknown kind from a newer dataplane: skipped */
	uint64_t frame = 0;
	if (e->snap_len && o->evidence_frames && e->worker == o->last_worker &&
	    e->pcap_cnt == o->last_pcap_cnt && e->ts_ns == o->last_ts_ns) {
		frame = o->evidence_frames;
	} else if (e->snap_len) {
		struct pcap_pkthdr ph;
		ph.ts.tv_sec = (time_t)(e->ts_ns / 1000000000ull);
		ph.ts.tv_usec = (suseconds_t)((e->ts_ns % 1000000000ull) / 1000);
		ph.caplen = e->snap_len < WC_EVENT_SNAP ? e->snap_len : WC_EVENT_SNAP;
		ph.len = e->wirelen > ph.caplen ? e->wirelen : ph.caplen;
		pcap_dump((u_char *)o->evidence, &ph, e->data);
		frame = ++o->evidence_frames;
		o->last_worker = e->worker;
		o->last_pcap_cnt = e->pcap_cnt;
		o->last_ts_ns = e->ts_ns;
	}
	eve_write_anomaly(o->events, e, frame);
}

/* Drain every ring once; returns the number of events consumed. */
static uint64_t drain(struct wc_shm_header *h, struct serve_out *o)
{
	uint64_t total = 0;
	for (uint32_t w = 0; w < h->n_workers; w++) {
		struct wc_worker_shm *ws = wc_shm_worker(h, w);
		uint64_t tail, n = wc_ring_available(ws, &tail);
		if (n > ws->ring.slots)
			n = ws->ring.slots; /* corrupt index: never read past a lap */
		struct wc_event *slots = wc_shm_ring_slots(ws);
		for (uint64_t i = 0; i < n; i++)
			write_event(o, &slots[(tail + i) & ws->ring.mask]);
		if (n)
			wc_ring_consume(ws, n);
		total += n;
	}
	return total;
}

static int attach_retry(const char *instance, struct wc_shm *shm, int wait_ms)
{
	int r;
	for (int waited = 0;; waited += 10) {
		r = wc_shm_attach(instance, shm);
		if (r == 0 || waited >= wait_ms)
			return r;
		struct timespec ts = {0, 10 * 1000000};
		nanosleep(&ts, NULL);
	}
}

static int dataplane_alive(struct wc_shm_header *h)
{
	return h->dataplane_pid > 0 &&
	       (kill(h->dataplane_pid, 0) == 0 || errno == EPERM);
}

static int cmd_serve(const char *instance, const char *outdir, int until_done)
{
	struct wc_shm shm;
	int r = attach_retry(instance, &shm, 5000);
	if (r) {
		fprintf(stderr, "wirecheckctl: instance %s: %s\n", instance,
			r == -EPROTO ? "incompatible shared memory layout" : strerror(-r));
		return 1;
	}
	struct wc_shm_header *h = shm.hdr;
	struct serve_out o = {0};
	if (mkdir(outdir, 0750) != 0 && errno != EEXIST) {
		fprintf(stderr, "wirecheckctl: %s: %s\n", outdir, strerror(errno));
		return 1;
	}
	if (serve_open(&o, outdir, h->linktype) != 0) {
		serve_close(&o);
		wc_shm_detach(&shm);
		return 1;
	}
	atomic_store_explicit(&h->ctl_pid, (int32_t)getpid(), memory_order_relaxed);

	const char *end = "done";
	int rc = 0;
	unsigned idle = 0;
	for (;;) {
		if (drain(h, &o)) {
			idle = 0;
			continue;
		}
		/* acquire: pairs with the dataplane's release of DONE, so the
		 * drain below sees every event and final counter */
		uint32_t st = atomic_load_explicit(&h->state, memory_order_acquire);
		if (st == WC_SHM_DONE || st == WC_SHM_FAILED) {
			drain(h, &o);
			end = st == WC_SHM_DONE ? "done" : "dataplane_failed";
			rc = st == WC_SHM_DONE ? 0 : 1;
			break;
		}
		if (stop_requested) {
			drain(h, &o);
			end = "control_plane_stopped";
			break;
		}
		if ((++idle & 1023) == 0 && !dataplane_alive(h)) {
			drain(h, &o);
			fprintf(stderr, "wirecheckctl: dataplane of %s (pid %d) is gone\n",
				instance, h->dataplane_pid);
			end = "dataplane_lost";
			rc = 1;
			break;
		}
		if (idle > 64) {
			fflush(o.events);
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
	(void)until_done;
	eve_write_stats(o.events, h, end);
	atomic_store_explicit(&h->ctl_pid, 0, memory_order_relaxed);
	if (serve_close(&o) != 0) {
		fprintf(stderr, "wirecheckctl: writing %s failed\n", outdir);
		rc = 1;
	}
	wc_shm_detach(&shm);
	return rc;
}

static int cmd_stats(const char *instance, int as_json)
{
	struct wc_shm shm;
	int r = wc_shm_attach(instance, &shm);
	if (r) {
		fprintf(stderr, "wirecheckctl: instance %s: %s\n", instance,
			r == -EPROTO ? "incompatible shared memory layout" : strerror(-r));
		return 1;
	}
	if (as_json) {
		eve_write_stats(stdout, shm.hdr, "live");
	} else {
		struct wc_counters c;
		wc_shm_sum_counters(shm.hdr, &c);
		printf("instance %s (%s), %u workers\n", shm.hdr->instance,
		       shm.hdr->source, shm.hdr->n_workers);
		printf("packets %llu  bytes %llu\n", (unsigned long long)c.packets,
		       (unsigned long long)c.bytes);
		printf("%-8s %12s %10s %10s %10s %12s\n", "", "good", "bad", "partial",
		       "zero", "unverifiable");
		for (int l = 0; l < WC_LAYER_COUNT; l++)
			printf("%-8s %12llu %10llu %10llu %10llu %12llu\n",
			       wc_csum_layer_name(l),
			       (unsigned long long)c.csum[l][WC_VERDICT_GOOD],
			       (unsigned long long)c.csum[l][WC_VERDICT_BAD],
			       (unsigned long long)c.csum[l][WC_VERDICT_PARTIAL],
			       (unsigned long long)c.csum[l][WC_VERDICT_ZERO],
			       (unsigned long long)c.csum[l][WC_VERDICT_UNVERIFIABLE]);
		for (int a = 0; a < WC_ANOM_COUNT; a++)
			if (c.anomalies[a])
				printf("%-26s %llu\n", wc_anomaly_name(a),
				       (unsigned long long)c.anomalies[a]);
	}
	wc_shm_detach(&shm);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		usage(stdout);
		return 0;
	}
	const char *instance = "wirecheck", *outdir = "wirecheck-out";
	int until_done = 0, as_json = 0;
	static const struct option lopts[] = {
		{"instance", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"until-done", no_argument, NULL, 'd'},
		{"json", no_argument, NULL, 'j'},
		{"metrics", required_argument, NULL, 'm'},
		{"ipfix", required_argument, NULL, 'x'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	optind = 2;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":n:o:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			instance = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'd':
			until_done = 1;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'm':
		case 'x':
			fprintf(stderr, "wirecheckctl: option --%s is not built yet "
					"(see README: not done yet)\n",
				c == 'm' ? "metrics" : "ipfix");
			return 2;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "wirecheckctl: %s option %s\n",
				c == ':' ? "missing value for" : "unknown", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "wirecheckctl: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	char path[256];
	if (wc_shm_path(instance, path, sizeof(path)) != 0) {
		fprintf(stderr, "wirecheckctl: option -n: '%s' is not a valid instance "
				"name\n", instance);
		return 2;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (!strcmp(cmd, "serve"))
		return cmd_serve(instance, outdir, until_done);
	if (!strcmp(cmd, "stats"))
		return cmd_stats(instance, as_json);
	if (!strcmp(cmd, "flows") || !strcmp(cmd, "events") || !strcmp(cmd, "top")) {
		fprintf(stderr, "wirecheckctl %s: not built yet (see README)\n", cmd);
		return 2;
	}
	fprintf(stderr, "wirecheckctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
