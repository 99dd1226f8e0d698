/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wirecheck: the dataplane process. It creates the instance's shared memory,
 * starts the control plane (wirecheckctl serve) as a separate process unless
 * told not to, and runs one poll-mode worker per capture queue:
 *  -r FILE: one worker over the file; the run ends at its end, the
 *           instance is marked DONE and wirecheck waits until the control
 *           plane has written events.json and evidence.pcap completely.
 *  -i / --dpdk: one pinned worker thread per queue until SIGINT/SIGTERM;
 *           flows are then flushed (reason shutdown), programs detached,
 *           shared memory released, exit 0.
 * Only this main thread prints.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture.h"
#include "config/options.h"
#include "core/summary.h"
#include "core/worker.h"
#include "csum/csum.h"
#include "wirecheck/shm.h"

#define WC_VERSION "0.1.0"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct ctl_child {
	pid_t pid; /* 0: none started */
	int status;
	int exited;
};

struct run {
	const struct wc_config *cfg;
	const struct wc_capture_ops *ops;
	struct wc_capture *cap;
	struct wc_shm shm;
	char instance[64];
	struct ctl_child ctl;
	unsigned n_workers;
	struct wc_worker *workers;
	int live;
	uint32_t port_mtu[WC_MAX_PORTS]; /* capture.port_mtu by view port, 0 = --mtu */
};

/* Offline runs wait for the control plane instead of dropping events; give
 * up (and count drops) only if it died. */
static int wait_for_consumer(void *arg)
{
	struct ctl_child *c = arg;
	if (!c->exited && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->exited = 1;
	if (c->exited)
		return -1;
	struct timespec ts = {0, 50000};
	nanosleep(&ts, NULL);
	return 0;
}

static int mkdir_p(const char *dir)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0750) != 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	}
	if (mkdir(buf, 0750) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Directory of this executable: wirecheckctl and the XDP object sit there. */
static void self_dir(const char *argv0, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		snprintf(self, sizeof(self), "%s", argv0);
	else
		self[n] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(out, len, "%s", slash ? self : ".");
}

static int spawn_control_plane(const char *argv0, struct run *r)
{
	char dir[PATH_MAX], ctl[PATH_MAX + 16];
	self_dir(argv0, dir, sizeof(dir));
	snprintf(ctl, sizeof(ctl), "%s/wirecheckctl", dir);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* the control plane stops on its own when the dataplane is DONE;
		 * a terminal's SIGINT must not cut its final flush short */
		signal(SIGINT, SIG_IGN);
		const char *args[16] = {"wirecheckctl", "serve", "-n", r->instance, "-o",
					r->cfg->outdir, "--until-done"};
		unsigned n = 7;
		char refresh[16];
		if (r->cfg->metrics) {
			args[n++] = "--metrics";
			args[n++] = r->cfg->metrics;
		}
		if (r->cfg->ipfix) {
			snprintf(refresh, sizeof(refresh), "%u", r->cfg->ipfix_template_refresh_s);
			args[n++] = "--ipfix";
			args[n++] = r->cfg->ipfix;
			args[n++] = "--ipfix-template-refresh";
			args[n++] = refresh;
		}
		args[n] = NULL;
		execv(ctl, (char *const *)args);
		fprintf(stderr, "wirecheck: cannot run %s: %s\n", ctl, strerror(errno));
		_exit(127);
	}
	r->ctl.pid = pid;
	r->ctl.exited = 0;
	return 0;
}

/* Shutdown of a live run: the flows still in the table become flow events
 * all at once. Rather than drop what does not fit in the ring, wait for an
 * attached control plane (any: spawned or `wirecheckctl serve -n`), for at
 * most 10 s in all; with none attached the events are dropped and counted. */
struct shutdown_wait {
	struct wc_shm_header *hdr;
	uint64_t deadline_ns;
};

static int wait_for_attached_consumer(void *arg)
{
	struct shutdown_wait *s = arg;
	int32_t pid = atomic_load_explicit(&s->hdr->ctl_pid, memory_order_relaxed);
	if (pid <= 0 || (kill(pid, 0) != 0 && errno != EPERM) || wc_now_ns() > s->deadline_ns)
		return -1;
	struct timespec ts = {0, 50000};
	nanosleep(&ts, NULL);
	return 0;
}

/* The capture layer's counters, published while the run goes on (the main
 * thread owns these fields of worker 0's block). */
static void publish_capture_stats(struct run *r)
{
	struct wc_capture_stats cst = {0};
	if (!r->cap || !r->ops->stats || r->ops->stats(r->cap, &cst) != 0)
		return;
	struct wc_counters *c0 = &wc_shm_worker(r->shm.hdr, 0)->counters;
	c0->drops_capture = cst.dropped;
	c0->capture_received = cst.received;
	c0->capture_fill_empty = cst.fill_empty;
	c0->xdp_seen = cst.xdp_seen;
	c0->xdp_redirected = cst.xdp_redirected;
	c0->xdp_passed = cst.xdp_passed;
	c0->xdp_no_socket = cst.xdp_no_socket;
}

struct worker_thread {
	struct run *run;
	unsigned q;
	pthread_t tid;
};

/* A live worker: poll its queue, never block, never print. */
static void *worker_main(void *arg)
{
	struct worker_thread *t = arg;
	struct run *r = t->run;
	struct wc_worker *w = &r->workers[t->q];
	struct wc_pkt_view views[WC_BURST];
	unsigned idle = 0;

	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t cores = r->cfg->cores;
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cores) {
		/* capture.cores: worker q on the q-th listed CPU, wrapping when
		 * there are more queues than CPUs (main() checked they exist) */
		unsigned k = t->q % (unsigned)__builtin_popcountll(cores);
		while (k--)
			cores &= cores - 1;
		CPU_SET((unsigned)__builtin_ctzll(cores), &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	} else if (ncpu > 1) { /* dedicated cores: keep core 0 for the main thread */
		CPU_SET((t->q + 1) % (unsigned)ncpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	uint64_t idle_wall = 0, idle_pkt_ns = 0;
	while (!stop_requested) {
		int n = r->ops->rx_burst(r->cap, t->q, views, WC_BURST);
		if (n > 0 && r->cfg->null_analysis) {
			w->ctr->packets += (unsigned)n; /* I/O cost only (benchmarks) */
			r->ops->release(r->cap, t->q, views, (unsigned)n);
			idle = 0;
		} else if (n > 0) {
			wc_worker_process(w, views, (unsigned)n);
			r->ops->release(r->cap, t->q, views, (unsigned)n);
			idle = 0;
		} else if (++idle == 1) {
			/* going idle: remember the last packet time and the wall
			 * clock now (packet times may come from a file or a NIC
			 * clock, not from this host's) */
			idle_wall = wc_clock_ns();
			idle_pkt_ns = w->track.now_ns;
		} else if (idle % 4096 == 0) {
			/* flows expire while idle: packet time advances by the
			 * wall time spent idle */
			wc_track_tick(w, idle_pkt_ns + (wc_clock_ns() - idle_wall));
		}
		if (n <= 0 && idle > 65536)
			sched_yield(); /* long idle: give the core away briefly */
	}
	struct shutdown_wait sw = {.hdr = r->shm.hdr, .deadline_ns = wc_now_ns() + 10000000000ull};
	w->ring_policy = WC_RING_WAIT;
	w->ring_wait = wait_for_attached_consumer;
	w->ring_wait_arg = &sw;
	wc_worker_finish(w);
	return NULL;
}

static int setup(struct run *r, const char *argv0)
{
	const struct wc_config *cfg = r->cfg;
	int rc;
	if (cfg->instance)
		snprintf(r->instance, sizeof(r->instance), "%s", cfg->instance);
	else if (r->live)
		snprintf(r->instance, sizeof(r->instance), "wirecheck");
	else
		snprintf(r->instance, sizeof(r->instance), "r%ld", (long)getpid());

	if ((rc = mkdir_p(cfg->outdir)) != 0) {
		fprintf(stderr, "wirecheck: output directory %s: %s\n", cfg->outdir,
			strerror(-rc));
		return -1;
	}
	r->n_workers = r->ops->n_queues(r->cap);
	if (r->n_workers == 0 || r->n_workers > WC_MAX_WORKERS) {
		fprintf(stderr, "wirecheck: %u capture queues (1..%d supported)\n",
			r->n_workers, WC_MAX_WORKERS);
		return -1;
	}
	struct wc_shm_params sp = {
		.instance = r->instance,
		.n_workers = r->n_workers,
		.ring_slots = cfg->ring_slots,
		.ring_policy = r->live ? WC_RING_DROP : WC_RING_WAIT,
		.linktype = r->ops->linktype(r->cap),
		.mtu = cfg->mtu,
		.rate_limit = cfg->rate_limit,
		.flow_capacity = cfg->max_flows,
		.source = r->live ? (cfg->ifaces ? cfg->ifaces : "dpdk") : cfg->read_file,
	};
	/* SPEC §8: 0600, or 0640 for a group of operators (--shm-group) */
	if (cfg->shm_group && wc_group_id(cfg->shm_group, &sp.group) != 0) {
		fprintf(stderr, "wirecheck: option --shm-group: '%s' is not a group of this "
				"system\n", cfg->shm_group);
		return -1;
	}
	sp.group_readable = cfg->shm_group != NULL;
	if ((rc = wc_shm_create(&sp, &r->shm)) != 0) {
		fprintf(stderr, "wirecheck: shared memory for instance %s: %s\n",
			r->instance, strerror(-rc));
		return -1;
	}
	snprintf(r->shm.hdr->clock, sizeof(r->shm.hdr->clock), "%s", r->ops->clock(r->cap));
	/* for the control plane that writes the evidence (serve_io.c) */
	r->shm.hdr->evidence_max_bytes = cfg->evidence_max_bytes;
	r->shm.hdr->evidence_files = cfg->evidence_files;
	/* line-aligned (struct wc_worker is): two workers' hot fields never
	 * share a cache line */
	r->workers = aligned_alloc(64, r->n_workers * sizeof(*r->workers));
	if (r->workers)
		memset(r->workers, 0, r->n_workers * sizeof(*r->workers));
	if (!r->workers)
		return -1;
	struct wc_worker_cfg wcfg = {
		.mtu = cfg->mtu,
		.port_mtu = r->port_mtu,
		.tcp_timeout_ns = (uint64_t)cfg->tcp_timeout_s * 1000000000ull,
		.syn_timeout_ns = (uint64_t)cfg->syn_timeout_s * 1000000000ull,
		.closed_timeout_ns = (uint64_t)cfg->closed_timeout_s * 1000000000ull,
		.other_timeout_ns = (uint64_t)cfg->udp_timeout_s * 1000000000ull,
		.ack_stall_ns = (uint64_t)cfg->ack_stall_ms * 1000000ull,
		.ignore_vlan = cfg->ignore_vlan,
		.history = cfg->evidence_history,
		.context = cfg->evidence_context,
	};
	for (unsigned i = 0; i < r->n_workers; i++) {
		if (wc_worker_init(&r->workers[i], i, r->shm.hdr, sp.linktype, &wcfg) != 0) {
			fprintf(stderr, "wirecheck: out of memory\n");
			return -1;
		}
		r->workers[i].ring_wait = wait_for_consumer;
		r->workers[i].ring_wait_arg = &r->ctl;
	}
	/* the workers read each other's pending SYNs (a SYN and its SYN-ACK
	 * from another address are two flows, maybe on two queues); before
	 * any worker thread starts */
	if (wc_track_link(r->workers, r->n_workers) != 0) {
		fprintf(stderr, "wirecheck: out of memory\n");
		return -1;
	}
	if (!(r->live && cfg->no_control_plane) &&
	    (rc = spawn_control_plane(argv0, r)) != 0) {
		fprintf(stderr, "wirecheck: cannot start the control plane: %s\n",
			strerror(-rc));
		return -1;
	}
	return 0;
}

/* Publish DONE, wait for the control plane, release everything. Returns
 * 0 when the outputs are complete. */
static int teardown(struct run *r, int ok)
{
	int rc = ok ? 0 : 1;
	if (r->shm.hdr) {
		publish_capture_stats(r);
		/* release: every counter and event is final for the consumer */
		atomic_store_explicit(&r->shm.hdr->state, ok ? WC_SHM_DONE : WC_SHM_FAILED,
				      memory_order_release);
	}
	if (r->ctl.pid && !r->ctl.exited) {
		if (waitpid(r->ctl.pid, &r->ctl.status, 0) == r->ctl.pid)
			r->ctl.exited = 1;
	}
	if (r->ctl.pid && ok &&
	    (!r->ctl.exited || !WIFEXITED(r->ctl.status) || WEXITSTATUS(r->ctl.status) != 0)) {
		fprintf(stderr, "wirecheck: the control plane failed (status %d); "
				"%s/events.json is incomplete\n",
			r->ctl.status, r->cfg->outdir);
		rc = 1;
	}
	if (r->cap)
		r->ops->close(r->cap); /* detaches XDP programs, stops ports */
	r->cap = NULL;
	for (unsigned i = 0; r->workers && i < r->n_workers; i++)
		wc_worker_fini(&r->workers[i]);
	free(r->workers);
	r->workers = NULL;
	return rc;
}

static void print_summary(struct run *r, double secs)
{
	if (!r->cfg->quiet && r->shm.hdr)
		wc_summary_print(stdout, r->shm.hdr, r->cfg->outdir, secs);
}

static void release_shm(struct run *r)
{
	if (r->shm.hdr) {
		wc_shm_detach(&r->shm);
		wc_shm_unlink(r->instance);
	}
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int run_offline(struct run *r, const char *argv0)
{
	struct timespec t0;
	if (setup(r, argv0) != 0) {
		teardown(r, 0);
		release_shm(r);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct wc_worker *w = &r->workers[0];
	struct wc_pkt_view views[WC_BURST];
	unsigned bursts = 0;
	while (!stop_requested) {
		int n = r->ops->rx_burst(r->cap, 0, views, WC_BURST);
		if (n < 0)
			break;
		wc_worker_process(w, views, (unsigned)n);
		r->ops->release(r->cap, 0, views, (unsigned)n);
		if ((++bursts & 63) == 0)
			atomic_store_explicit(&r->shm.hdr->heartbeat_ns, wc_now_ns(),
					      memory_order_relaxed);
	}
	wc_worker_finish(w); /* remaining flows end: flow events, final counters */
	double secs = elapsed(&t0);
	int rc = teardown(r, 1);
	if (rc == 0)
		print_summary(r, secs);
	release_shm(r);
	return rc ? rc : (stop_requested ? 1 : 0);
}

static int run_live(struct run *r, const char *argv0)
{
	struct timespec t0;
	if (setup(r, argv0) != 0) {
		teardown(r, 0);
		release_shm(r);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct worker_thread *t = calloc(r->n_workers, sizeof(*t));
	unsigned started = 0;
	for (unsigned q = 0; t && q < r->n_workers; q++, started++) {
		t[q].run = r;
		t[q].q = q;
		if (pthread_create(&t[q].tid, NULL, worker_main, &t[q]) != 0)
			break;
	}
	if (started != r->n_workers)
		stop_requested = 1;
	if (!r->cfg->quiet)
		printf("wirecheck: capturing on %s (%s), %u workers, instance %s, "
		       "packet clock %s; Ctrl-C to stop\n",
		       r->cfg->ifaces ? r->cfg->ifaces : "DPDK ports", r->ops->name,
		       r->n_workers, r->instance, r->ops->clock(r->cap));
	fflush(stdout);
	unsigned ticks = 0;
	while (!stop_requested) {
		struct timespec nap = {0, 100 * 1000 * 1000};
		nanosleep(&nap, NULL);
		atomic_store_explicit(&r->shm.hdr->heartbeat_ns, wc_now_ns(),
				      memory_order_relaxed);
		if (++ticks % 10 == 0)
			publish_capture_stats(r); /* once a second */
		if (r->ctl.pid && !r->ctl.exited &&
		    waitpid(r->ctl.pid, &r->ctl.status, WNOHANG) == r->ctl.pid) {
			r->ctl.exited = 1;
			fprintf(stderr, "wirecheck: the control plane exited (status %d); "
					"the dataplane keeps running (events drop and are "
					"counted until `wirecheckctl serve -n %s` attaches)\n",
				r->ctl.status, r->instance);
			r->ctl.pid = 0;
		}
	}
	for (unsigned q = 0; q < started; q++)
		pthread_join(t[q].tid, NULL); /* each flushed its flows */
	free(t);
	double secs = elapsed(&t0);
	int rc = teardown(r, started == r->n_workers);
	if (rc == 0)
		print_summary(r, secs);
	release_shm(r);
	return rc;
}

/* capture.port_mtu by view port: a number is the port itself, a name is
 * its position in the -i list (the AF_XDP backend numbers ports so). */
static int resolve_port_mtu(const struct wc_config *cfg, uint32_t *port_mtu)
{
	_Static_assert(WC_CFG_MAX_PORTS == WC_MAX_PORTS, "one port limit");
	for (unsigned i = 0; i < cfg->n_port_mtu; i++) {
		const struct wc_port_mtu *e = &cfg->port_mtu[i];
		int idx = wc_port_mtu_index(e, cfg->ifaces);
		if (idx < 0 || idx >= WC_MAX_PORTS) {
			fprintf(stderr, "wirecheck: option --port-mtu / capture.port_mtu: '%s' "
					"is not one of the -i interfaces (%s); use port numbers "
					"with -r and --dpdk\n",
				e->port, cfg->ifaces ? cfg->ifaces : "none");
			return -1;
		}
		port_mtu[idx] = e->mtu;
	}
	return 0;
}

/* capture.cores must name CPUs this process may run on. */
static int check_cores(uint64_t cores)
{
	cpu_set_t allowed;
	if (!cores || sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		return 0;
	for (unsigned c = 0; c <= WC_CFG_MAX_CPU; c++)
		if (((cores >> c) & 1) && !CPU_ISSET(c, &allowed)) {
			char list[256];
			size_t n = 0;
			for (unsigned a = 0; a < CPU_SETSIZE && n < sizeof(list) - 24; a++) {
				if (!CPU_ISSET(a, &allowed))
					continue;
				unsigned b = a;
				while (b + 1 < CPU_SETSIZE && CPU_ISSET(b + 1, &allowed))
					b++;
				n += (size_t)snprintf(list + n, sizeof(list) - n,
						      b > a ? "%s%u-%u" : "%s%u", n ? "," : "", a, b);
				a = b;
			}
			list[n] = 0;
			fprintf(stderr, "wirecheck: option --cores / capture.cores: CPU %u is "
					"not available to this process (it may use %s)\n",
				c, n ? list : "none");
			return -1;
		}
	return 0;
}

int main(int argc, char **argv)
{
	/* static: the strings a config file left in it stay reachable until
	 * exit (LeakSanitizer), nothing to free on each return path */
	static struct wc_config cfg;
	char err[512];

	int first = wc_config_from_args(&cfg, argc, argv, err, sizeof(err));
	if (first == -1) {
		fprintf(stderr, "wirecheck: %s (see --help)\n", err);
		return 2;
	}
	if (first < 0) { /* the configuration file: file:line: key: reason */
		fprintf(stderr, "wirecheck: %s\n", err);
		return 2;
	}
	if (cfg.help) {
		wc_config_usage("wirecheck", stdout);
		return 0;
	}
	if (cfg.version) {
		printf("wirecheck %s\n", WC_VERSION);
		return 0;
	}
	int modes = !!cfg.read_file + !!cfg.ifaces + !!cfg.dpdk;
	if (modes != 1) {
		fprintf(stderr, "wirecheck: give exactly one of -r FILE, -i IFACE, "
				"--dpdk (see --help)\n");
		return 2;
	}
	if (first < argc && !cfg.dpdk) {
		fprintf(stderr, "wirecheck: unexpected argument '%s'\n", argv[first]);
		return 2;
	}
	/* the table validated every value (the instance name too); what is
	 * left depends on the mode */
	static const enum wc_xdp_mode xdp_modes[] = {WC_XDP_AUTO, WC_XDP_NATIVE, WC_XDP_SKB};
	enum wc_xdp_mode xm = xdp_modes[cfg.xdp_mode];
	struct run r = {.cfg = &cfg};
	if (resolve_port_mtu(&cfg, r.port_mtu) != 0)
		return 2;
	if (!cfg.read_file && check_cores(cfg.cores) != 0)
		return 2;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	wc_csum_init();

	char xdp_obj[PATH_MAX + 32];
	struct wc_capture_args ca = {.n_queues = cfg.queues, .xdp_mode = xm,
				     .zero_copy = -1, .busy_poll = cfg.busy_poll,
				     .xdp_attach = (int)cfg.xdp_attach, .mgmt = cfg.mgmt};
	if (cfg.read_file) {
		r.ops = &wc_capture_pcap;
		ca.source = cfg.read_file;
		ca.n_queues = 1;
	} else {
		r.live = 1;
		wc_clock_init();
		if (cfg.ifaces) {
			r.ops = &wc_capture_afxdp;
			ca.source = cfg.ifaces;
			if (cfg.xdp_obj) {
				snprintf(xdp_obj, sizeof(xdp_obj), "%s", cfg.xdp_obj);
			} else {
				char dir[PATH_MAX];
				self_dir(argv[0], dir, sizeof(dir));
				snprintf(xdp_obj, sizeof(xdp_obj), "%s/xdp/wirecheck.bpf.o", dir);
			}
			ca.xdp_obj = xdp_obj;
		} else {
			r.ops = &wc_capture_dpdk;
			ca.source = "dpdk";
			/* EAL gets its own argv[0] followed by what came after --,
			 * or else the file's dpdk.eal_args */
			int from_cli = first < argc;
			ca.eal_argc = 1 + (from_cli ? argc - first : (int)cfg.n_eal_args);
			ca.eal_argv = calloc((size_t)ca.eal_argc + 1, sizeof(char *));
			if (!ca.eal_argv)
				return 1;
			ca.eal_argv[0] = argv[0];
			for (int i = 1; i < ca.eal_argc; i++)
				ca.eal_argv[i] = from_cli ? argv[first + i - 1]
							  : (char *)cfg.eal_args[i - 1];
		}
	}
	int rc = r.ops->open(&r.cap, &ca, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "wirecheck: %s: %s\n", ca.source, err);
		free(ca.eal_argv);
		return rc == -EINVAL && r.live ? 2 : 1;
	}
	rc = r.live ? run_live(&r, argv[0]) : run_offline(&r, argv[0]);
	free(ca.eal_argv);
	return rc;
}
