/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wirecheckctl: the control plane. `serve` attaches to an instance's shared
 * memory and drains the workers' event rings into DIR/events.json and
 * DIR/evidence.pcap; it never writes to the dataplane except its ring
 * tails, ctl_pid and the header's control area (serve_io.h). The operator
 * commands (stats, flows, events, top) are in cli.c.
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
#include "ipfix.h"
#include "json.h"
#include "cli.h"
#include "metrics.h"
#include "serve_io.h"
#include "wirecheck/shm.h"

static volatile sig_atomic_t stop_requested;
static int serve_follow; /* serve --follow */
/* serve --metrics ADDR:PORT: the Prometheus endpoint (metrics.c), or NULL */
static const char *metrics_addr;
static struct wc_metrics *metrics;
/* serve --ipfix HOST:PORT: flow records to a collector (ipfix.c), or NULL */
static const char *ipfix_addr;
static uint32_t ipfix_refresh_s = 60;
/* serve --evidence-max-bytes / --evidence-files, else the instance's */
static uint64_t evidence_max_bytes;
static uint32_t evidence_keep;
static int evidence_cli; /* struct serve_out.evidence_cfg_cli */
static struct ipfix_exporter *ipfix;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wirecheckctl serve [-n INSTANCE] [-o DIR] [--until-done | --follow]\n"
		"                          [--metrics ADDR:PORT] [--ipfix HOST:PORT]\n\n"
		"  -n, --instance NAME  instance to attach to (default: wirecheck)\n"
		"  -o, --output DIR     where serve writes events.json and evidence.pcap\n"
		"                       (appended to: a restarted serve continues them)\n"
		"      --until-done     exit once the dataplane has finished (offline runs;\n"
		"                       starts the files anew for a new instance); without\n"
		"                       it, when the dataplane is lost (killed), serve\n"
		"                       writes its stats and waits for the next instance\n"
		"                       of the name\n"
		"      --follow         wait for the next instance after a clean end too\n"
		"      --metrics ADDR:PORT  Prometheus endpoint, GET /metrics (a port alone\n"
		"                       binds 127.0.0.1; [IPv6]:PORT too)\n"
		"      --ipfix HOST:PORT  IPFIX (RFC 7011, UDP): one record per ended flow\n"
		"                       to a collector (nfcapd, pmacct, ...)\n"
		"      --ipfix-template-refresh SECONDS  resend the templates this often\n"
		"                       (default 60; 0: in every message)\n"
		"      --evidence-max-bytes N  start a new evidence file before one passes N\n"
		"                       bytes: evidence.pcap, evidence-000001.pcap, ... (0: one\n"
		"                       file; default: as the dataplane was configured)\n"
		"      --evidence-files N  rotated evidence files kept, the oldest removed\n"
		"                       (0: all; default: as the dataplane was configured)\n\n");
	cli_usage(f);
}

/* Wall clock in ms: IPFIX export times and template refresh. */
static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Does this anomaly's packet repeat the frame written last (one packet,
 * several anomalies)? */
static int same_frame(const struct serve_out *o, const struct wc_event *e, uint32_t snap)
{
	return snap && o->evidence_frames && o->last_snap && e->worker == o->last_worker &&
	       e->pcap_cnt == o->last_pcap_cnt && e->ts_ns == o->last_ts_ns &&
	       snap == o->last_snap && !memcmp(e->u.data, o->last_data, snap);
}

static uint32_t snap_of(const struct wc_event *e)
{
	return e->snap_len < WC_EVENT_SNAP ? e->snap_len : WC_EVENT_SNAP;
}

/* Evidence bytes (pcap record headers included) of the records from pos
 * on that go into one file: an anomaly's context packets and its own.
 * The worker publishes them in one commit, so they are all below end. */
static uint64_t group_bytes(const struct serve_out *o, struct wc_worker_shm *ws,
			    uint64_t pos, uint64_t end)
{
	uint64_t b = 0;
	for (; pos < end; pos++) {
		const struct wc_event *e = wc_ring_slot(ws, pos);
		uint32_t snap = snap_of(e);
		if (e->kind == WC_EVENT_PACKET) {
			b += 16 + snap;
			continue;
		}
		if (e->kind == WC_EVENT_ANOMALY && snap && (b || !same_frame(o, e, snap)))
			b += 16 + snap;
		break;
	}
	return b;
}

/* One event into the files; seq: its number among its worker's events. */
static void write_event(struct serve_out *o, const struct wc_event *e, uint64_t seq)
{
	if (e->kind == WC_EVENT_FLOW) {
		metrics_observe_flow(metrics, &e->u.flow);
		ipfix_add_flow(ipfix, &e->u.flow, wall_ms());
		eve_write_flow_seq(o->events, e, seq);
		return;
	}
	uint32_t snap = snap_of(e);
	if (e->kind == WC_EVENT_PACKET) {
		/* a packet of the flow before the anomaly that follows */
		uint64_t frame = serve_evidence_write(o, e->ts_ns, snap, e->wirelen, e->u.data);
		o->last_snap = 0; /* the last frame is no anomaly's own now */
		if (o->n_ctx < WC_EVIDENCE_CONTEXT_MAX)
			o->ctx[o->n_ctx++] = frame;
		return;
	}
	if (e->kind != WC_EVENT_ANOMALY)
		return; /* unknown kind from a newer dataplane: skipped */
	struct eve_evidence ev = {.file = o->evidence_name};
	if (!o->n_ctx && same_frame(o, e, snap)) {
		ev.frame = o->evidence_frames;
		ev.n_context = o->last_n_ctx;
		memcpy(ev.context, o->last_ctx, sizeof(ev.context));
	} else {
		if (snap)
			ev.frame = serve_evidence_write(o, e->ts_ns, snap, e->wirelen, e->u.data);
		ev.n_context = o->n_ctx;
		memcpy(ev.context, o->ctx, sizeof(ev.context));
		o->last_worker = e->worker;
		o->last_pcap_cnt = e->pcap_cnt;
		o->last_ts_ns = e->ts_ns;
		o->last_snap = snap;
		memcpy(o->last_data, e->u.data, snap);
		o->last_n_ctx = o->n_ctx;
		memcpy(o->last_ctx, o->ctx, sizeof(o->last_ctx));
	}
	o->n_ctx = 0;
	eve_write_anomaly_seq(o->events, e, &ev, seq);
}

/* Drain every ring once as one journaled batch (serve_io.h: exactly once
 * across a kill of serve); returns the number of events consumed. */
static uint64_t drain(struct wc_shm_header *h, struct serve_out *o)
{
	uint64_t total = 0, pos[WC_MAX_WORKERS];
	if (o->error)
		return 0;
	for (uint32_t w = 0; w < h->n_workers; w++) {
		struct wc_worker_shm *ws = wc_shm_worker(h, w);
		uint64_t tail, n = wc_ring_available(ws, &tail);
		if (n > ws->ring.slots)
			n = ws->ring.slots; /* corrupt index: never read past a lap */
		if (n && !total)
			serve_batch_begin(o, h, 0);
		o->n_ctx = 0; /* an anomaly and its context packets are drained together */
		for (uint64_t i = 0; i < n && !o->error; i++) {
			const struct wc_event *e = wc_ring_slot(ws, tail + i);
			/* a new evidence file (rotation) between groups, never
			 * inside one: the event names one file for all its frames */
			if (!o->n_ctx && serve_evidence_room(o, group_bytes(o, ws, tail + i,
									  tail + n)) != 0)
				break;
			write_event(o, e, e->seq);
		}
		pos[w] = tail + n;
		total += n;
	}
	/* IPFIX: records wait for company at most IPFIX_HOLD_MS, none once idle */
	ipfix_flush(ipfix, wall_ms(), total ? IPFIX_HOLD_MS : 0);
	if (total && serve_batch_commit(o, h, pos) != 0) {
		fprintf(stderr, "wirecheckctl: writing %s failed: %s\n", o->dir, strerror(errno));
		return 0;
	}
	return total;
}

/* The instance's stats event, journaled like events; final: its last. */
static void write_stats(struct serve_out *o, struct wc_shm_header *h, const char *end,
			int final)
{
	if (o->error)
		return;
	serve_batch_begin(o, h, final);
	eve_write_stats(o->events, h, end);
	serve_batch_commit(o, h, NULL);
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

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Serve one instance until it ends (DONE, FAILED, its dataplane lost or
 * replaced) or we are stopped; returns the stats event's "end". */
static const char *serve_instance(const char *instance, struct wc_shm *shm,
				  struct serve_out *o, int *rc)
{
	struct wc_shm_header *h = shm->hdr;
	struct serve_ident id;
	serve_ident_of(shm, &id);
	unsigned idle = 0;
	uint64_t next_check = 0; /* at once: the instance may be a dead one */
	for (;;) {
		uint64_t n = drain(h, o);
		if (o->error) {
			*rc = 1;
			return NULL; /* nothing more can be written */
		}
		/* acquire: pairs with the dataplane's release of DONE, so the
		 * drain below sees every event and final counter */
		uint32_t st = atomic_load_explicit(&h->state, memory_order_acquire);
		if (st == WC_SHM_DONE || st == WC_SHM_FAILED) {
			drain(h, o);
			*rc = st == WC_SHM_DONE ? 0 : 1;
			return st == WC_SHM_DONE ? "done" : "dataplane_failed";
		}
		if (stop_requested) {
			drain(h, o);
			return "control_plane_stopped";
		}
		/* time-based, busy or idle: a dead dataplane is noticed within
		 * 200 ms of its heartbeat going stale (serve_dataplane_alive) */
		uint64_t now = mono_ms();
		if (now >= next_check) {
			next_check = now + 200;
			int replaced = serve_instance_replaced(instance, &id);
			if (replaced || !serve_dataplane_alive(h)) {
				drain(h, o);
				fprintf(stderr, "wirecheckctl: dataplane of %s (pid %d) is %s\n",
					instance, h->dataplane_pid,
					replaced ? "replaced by a new instance" : "gone");
				*rc = 1;
				return replaced ? "instance_replaced" : "dataplane_lost";
			}
		}
		if (n) {
			idle = 0;
			continue;
		}
		if (++idle > 64) {
			struct timespec ts = {0, 200000};
			nanosleep(&ts, NULL);
		}
	}
}

/* serve: drain the instance's rings into DIR until it ends. When its
 * dataplane was lost (killed) or replaced, wait for the next instance of the
 * same name and continue the same files (SPEC §8), unless --until-done (one
 * instance, today's offline runs); with --follow after a clean end too.
 * SIGINT/SIGTERM end it. */
static int cmd_serve(const char *instance, const char *outdir, int until_done)
{
	struct wc_shm shm;
	int r = attach_retry(instance, &shm, 5000);
	if (r) {
		fprintf(stderr, "wirecheckctl: instance %s: %s\n", instance,
			r == -EPROTO ? "incompatible shared memory layout" : strerror(-r));
		return 1;
	}
	struct serve_out o = {0};
	o.evidence_cfg_cli = evidence_cli;
	o.evidence_max_bytes = evidence_max_bytes;
	o.evidence_keep = evidence_keep;
	if (serve_outdir(&o, outdir) != 0) {
		wc_shm_detach(&shm);
		return 1;
	}
	int rc = 0;
	for (int first = 1;; first = 0) {
		struct wc_shm_header *h = shm.hdr;
		struct serve_ident id;
		serve_ident_of(&shm, &id);
		int32_t holder = 0;
		/* a dead instance whose final stats a serve wrote: nothing left */
		int finished = h->ctl.final_written && !serve_dataplane_alive(h);
		int lost = finished;
		if (finished && first && until_done) {
			fprintf(stderr, "wirecheckctl: the dataplane of %s is gone and its "
					"outputs are complete\n", instance);
			rc = 1;
			break;
		}
		if (!finished) {
			/* an offline run starts its files; anything else continues them */
			r = serve_attach(&o, h, until_done && serve_instance_fresh(h), &holder);
			if (r == -EBUSY && first) {
				fprintf(stderr, "wirecheckctl: instance %s is already served by "
						"pid %d\n", instance, (int)holder);
				rc = 1;
				break;
			}
			if (r && r != -EBUSY) {
				rc = 1;
				break;
			}
			lost |= r == -EBUSY; /* another serve has it: wait for the next */
			if (r == 0) {
				const char *end = serve_instance(instance, &shm, &o, &rc);
				if (!end)
					break; /* output error */
				lost = !strcmp(end, "dataplane_lost") ||
				       !strcmp(end, "instance_replaced");
				write_stats(&o, h, end, strcmp(end, "control_plane_stopped") != 0);
				serve_detach(h);
			}
		}
		if (until_done || stop_requested || (!serve_follow && !lost))
			break;
		fprintf(stderr, "wirecheckctl: waiting for the next instance %s\n", instance);
		fflush(stderr);
		struct wc_shm next;
		if (serve_wait_next(instance, &id, &next, &stop_requested) != 0) {
			rc = 0; /* stopped while waiting: every instance was written */
			break;
		}
		wc_shm_detach(&shm);
		shm = next;
		rc = 0;
		fprintf(stderr, "wirecheckctl: attached to the next instance %s (pid %d)\n",
			instance, shm.hdr->dataplane_pid);
	}
	if (serve_out_close(&o) != 0) {
		fprintf(stderr, "wirecheckctl: writing %s failed\n", o.dir);
		rc = 1;
	}
	wc_shm_detach(&shm);
	return rc;
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
	if (cli_is_command(cmd)) /* stats, flows, events, top: cli.c */
		return cli_main(argc, argv);
	const char *instance = "wirecheck", *outdir = "wirecheck-out";
	int until_done = 0;
	static const struct option lopts[] = {
		{"instance", required_argument, NULL, 'n'},
		{"output", required_argument, NULL, 'o'},
		{"until-done", no_argument, NULL, 'd'},
		{"follow", no_argument, NULL, 'F'},
		{"json", no_argument, NULL, 'j'},
		{"metrics", required_argument, NULL, 'm'},
		{"ipfix", required_argument, NULL, 'x'},
		{"ipfix-template-refresh", required_argument, NULL, 'X'},
		{"evidence-max-bytes", required_argument, NULL, 'E'},
		{"evidence-files", required_argument, NULL, 'K'},
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
		case 'F':
			serve_follow = 1;
			break;
		case 'j':
			break; /* serve writes JSON files; --json is for the commands of cli.c */
		case 'm': {
			char merr[256];
			if (metrics_parse_addr(optarg, NULL, NULL, merr, sizeof(merr)) != 0) {
				fprintf(stderr, "wirecheckctl: %s\n", merr);
				return 2;
			}
			metrics_addr = optarg;
			break;
		}
		case 'x': {
			char xerr[256];
			if (ipfix_parse_collector(optarg, NULL, NULL, xerr, sizeof(xerr)) != 0) {
				fprintf(stderr, "wirecheckctl: %s\n", xerr);
				return 2;
			}
			ipfix_addr = optarg;
			break;
		}
		case 'X': {
			char *end;
			errno = 0;
			unsigned long v = strtoul(optarg, &end, 10);
			if (!*optarg || *optarg == '-' || *end || errno || v > 86400) {
				fprintf(stderr, "wirecheckctl: option --ipfix-template-refresh: "
						"'%s' is not a number of seconds in [0, 86400]\n",
					optarg);
				return 2;
			}
			ipfix_refresh_s = (uint32_t)v;
			break;
		}
		case 'E':
		case 'K': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			unsigned long long max = c == 'E' ? UINT32_MAX : 999999;
			if (!*optarg || *optarg == '-' || *end || errno || v > max) {
				fprintf(stderr, "wirecheckctl: option --%s: '%s' is not an integer "
						"in [0, %llu]\n",
					c == 'E' ? "evidence-max-bytes" : "evidence-files", optarg, max);
				return 2;
			}
			if (c == 'E')
				evidence_max_bytes = v;
			else
				evidence_keep = (uint32_t)v;
			evidence_cli |= c == 'E' ? 1 : 2;
			break;
		}
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

	if (!strcmp(cmd, "serve")) {
		char merr[256];
		if (metrics_addr &&
		    !(metrics = metrics_start(metrics_addr, instance, merr, sizeof(merr)))) {
			fprintf(stderr, "wirecheckctl: %s\n", merr);
			return 1;
		}
		if (ipfix_addr &&
		    !(ipfix = ipfix_open(ipfix_addr, ipfix_domain_of(instance), ipfix_refresh_s,
					 merr, sizeof(merr)))) {
			fprintf(stderr, "wirecheckctl: %s\n", merr);
			metrics_stop(metrics);
			return 1;
		}
		metrics_set_ipfix(metrics, ipfix);
		int rc = cmd_serve(instance, outdir, until_done);
		metrics_stop(metrics); /* after serve's last drain and detach */
		ipfix_flush(ipfix, wall_ms(), 0);
		struct ipfix_stats xs;
		ipfix_get_stats(ipfix, &xs);
		ipfix_close(ipfix, wall_ms()); /* after the metrics thread that reads it */
		if (xs.send_errors)
			fprintf(stderr, "wirecheckctl: ipfix: %llu of %llu messages to %s not "
					"sent (%llu records)\n",
				(unsigned long long)xs.send_errors,
				(unsigned long long)(xs.send_errors + xs.messages), ipfix_addr,
				(unsigned long long)xs.records_lost);
		return rc;
	}
	fprintf(stderr, "wirecheckctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
