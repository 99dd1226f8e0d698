/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wirecheck: the dataplane process. For `-r FILE` it runs the whole chain:
 * creates the instance's shared memory, starts the control plane
 * (wirecheckctl serve) as a separate process, runs a worker over the file,
 * marks the instance DONE and waits until the control plane has written
 * events.json and evidence.pcap completely, then prints a summary.
 */
#include <errno.h>
#include <limits.h>
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
	pid_t pid;
	int status;
	int exited;
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

static int spawn_control_plane(const char *argv0, const char *instance,
			       const char *outdir, struct ctl_child *child)
{
	char self[PATH_MAX], ctl[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		snprintf(self, sizeof(self), "%s", argv0);
	else
		self[n] = 0;
	char *slash = strrchr(self, '/');
	if (slash)
		*slash = 0;
	snprintf(ctl, sizeof(ctl), "%s/wirecheckctl", slash ? self : ".");

	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl(ctl, "wirecheckctl", "serve", "-n", instance, "-o", outdir,
		      "--until-done", (char *)NULL);
		fprintf(stderr, "wirecheck: cannot run %s: %s\n", ctl, strerror(errno));
		_exit(127);
	}
	child->pid = pid;
	child->exited = 0;
	return 0;
}

static int run_offline(const struct wc_config *cfg, const char *argv0)
{
	char err[256] = "";
	struct wc_capture *cap = NULL;
	struct wc_capture_args ca = {.source = cfg->read_file, .n_queues = 1};
	const struct wc_capture_ops *ops = &wc_capture_pcap;
	int rc = 1;

	int r = ops->open(&cap, &ca, err, sizeof(err));
	if (r) {
		fprintf(stderr, "wirecheck: %s: %s\n", cfg->read_file, err);
		return 1;
	}
	char instance[64];
	if (cfg->instance)
		snprintf(instance, sizeof(instance), "%s", cfg->instance);
	else
		snprintf(instance, sizeof(instance), "r%ld", (long)getpid());

	if ((r = mkdir_p(cfg->outdir)) != 0) {
		fprintf(stderr, "wirecheck: output directory %s: %s\n", cfg->outdir,
			strerror(-r));
		ops->close(cap);
		return 1;
	}
	struct wc_shm shm;
	struct wc_shm_params sp = {
		.instance = instance,
		.n_workers = 1,
		.ring_slots = cfg->ring_slots,
		.ring_policy = WC_RING_WAIT,
		.linktype = ops->linktype(cap),
		.mtu = cfg->mtu,
		.rate_limit = cfg->rate_limit,
		.flow_capacity = cfg->max_flows,
		.source = cfg->read_file,
	};
	if ((r = wc_shm_create(&sp, &shm)) != 0) {
		fprintf(stderr, "wirecheck: shared memory for instance %s: %s\n",
			instance, strerror(-r));
		ops->close(cap);
		return 1;
	}
	struct ctl_child child = {0};
	if ((r = spawn_control_plane(argv0, instance, cfg->outdir, &child)) != 0) {
		fprintf(stderr, "wirecheck: cannot start the control plane: %s\n",
			strerror(-r));
		goto out_shm;
	}

	struct wc_worker w;
	struct wc_worker_cfg wcfg = {
		.mtu = cfg->mtu,
		.tcp_timeout_ns = (uint64_t)cfg->tcp_timeout_s * 1000000000ull,
		.ack_stall_ns = (uint64_t)cfg->ack_stall_ms * 1000000ull,
	};
	if (wc_worker_init(&w, 0, shm.hdr, ops->linktype(cap), &wcfg) != 0) {
		fprintf(stderr, "wirecheck: out of memory\n");
		goto out_child;
	}
	w.ring_wait = wait_for_consumer;
	w.ring_wait_arg = &child;

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct wc_pkt_view views[WC_BURST];
	unsigned bursts = 0;
	while (!stop_requested) {
		int n = ops->rx_burst(cap, 0, views, WC_BURST);
		if (n < 0)
			break;
		wc_worker_process(&w, views, (unsigned)n);
		ops->release(cap, 0, views, (unsigned)n);
		if ((++bursts & 63) == 0)
			atomic_store_explicit(&shm.hdr->heartbeat_ns, wc_now_ns(),
					      memory_order_relaxed);
	}
	wc_worker_finish(&w); /* remaining flows end: flow events, final counters */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	wc_worker_fini(&w);
	struct wc_capture_stats cst;
	ops->stats(cap, &cst);
	wc_shm_worker(shm.hdr, 0)->counters.drops_capture = cst.dropped;

	/* release: every counter and event above is final for the consumer */
	atomic_store_explicit(&shm.hdr->state, WC_SHM_DONE, memory_order_release);

	if (!child.exited && waitpid(child.pid, &child.status, 0) == child.pid)
		child.exited = 1;
	if (!child.exited || !WIFEXITED(child.status) || WEXITSTATUS(child.status) != 0) {
		fprintf(stderr, "wirecheck: the control plane failed (status %d); "
				"%s/events.json is incomplete\n",
			child.status, cfg->outdir);
		goto out_shm;
	}
	if (!cfg->quiet) {
		double secs = (double)(t1.tv_sec - t0.tv_sec) +
			      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		wc_summary_print(stdout, shm.hdr, cfg->outdir, secs);
	}
	rc = stop_requested ? 1 : 0;
	goto out_shm;

out_child:
	kill(child.pid, SIGTERM);
	waitpid(child.pid, NULL, 0);
out_shm:
	wc_shm_detach(&shm);
	wc_shm_unlink(instance);
	ops->close(cap);
	return rc;
}

int main(int argc, char **argv)
{
	struct wc_config cfg;
	char err[256];

	wc_config_defaults(&cfg);
	int first = wc_config_parse_args(&cfg, argc, argv, err, sizeof(err));
	if (first < 0) {
		fprintf(stderr, "wirecheck: %s (see --help)\n", err);
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
	if (cfg.config_file) {
		fprintf(stderr, "wirecheck: option -c/--config: configuration files are "
				"not supported yet\n");
		return 2;
	}
	if (cfg.ifaces || cfg.dpdk) {
		fprintf(stderr, "wirecheck: option %s: live capture is not built yet "
				"(see README: not done yet)\n",
			cfg.ifaces ? "-i" : "--dpdk");
		return 2;
	}
	if (cfg.instance) {
		char path[256];
		if (wc_shm_path(cfg.instance, path, sizeof(path)) != 0) {
			fprintf(stderr, "wirecheck: option -n: '%s' is not a valid "
					"instance name ([A-Za-z0-9_.-], < 64)\n",
				cfg.instance);
			return 2;
		}
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	wc_csum_init();
	return run_offline(&cfg, argv[0]);
}
