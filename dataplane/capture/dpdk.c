/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK ports (SPEC §2): `wirecheck --dpdk [--queues N] -- EAL-ARGS`.
 *
 * Every port EAL finds (a NIC bound to vfio-pci or a vdev: net_pcap,
 * net_af_packet, net_af_xdp, net_ring, net_null, net_memif) gets N RX
 * queues; worker q polls port q / N, queue q % N. Views point straight into
 * the mbufs (zero copy) and stay valid until release() frees the burst; a
 * frame chained over several mbufs (jumbo, TSO) is copied into a per-queue
 * bounce buffer, the pipeline wanting contiguous bytes. This is the only
 * file that includes rte_*.h.
 *
 * Both directions of a connection must meet in one worker, so with N > 1
 * the ports get symmetric RSS: Toeplitz with the key 0x6d5a repeated, which
 * hashes (src, dst) and (dst, src) alike (Woo and Park, "Scalable TCP
 * Session Monitoring with Symmetric Receive-side Scaling", 2012). A PMD
 * without RSS spreads packets its own way; open() warns that flows may be
 * one-sided then.
 *
 * Packet times: when a port stamps its packets (RTE_ETH_RX_OFFLOAD_TIMESTAMP
 * with a readable device clock, or net_pcap, which stamps what it reads with
 * the file's times in microseconds, but not its infinite_rx copies), the
 * mbuf's timestamp dynamic field is converted to wall-clock ns; otherwise
 * the TSC is read once per burst (wc_clock_ns()).
 *
 * Thread safety: open() and close() run in the main thread while no worker
 * polls; rx_burst()/release() of queue q come from worker q only and touch
 * nothing but that queue's cache-aligned state. stats() reads the ports'
 * counters (ethdev stats are safe to read while queues are polled).
 *
 * EAL can be initialised once per process, so the backend is a singleton.
 */
#define ALLOW_EXPERIMENTAL_API 1 /* rte_eth_read_clock */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_kvargs.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "capture.h"

#define DPDK_MAX_BURST 256      /* views per rx_burst() at most */
#define DPDK_RX_DESC 1024       /* RX ring size asked of each queue */
#define DPDK_TX_DESC 64         /* only for PMDs that insist on a TX queue */
#define DPDK_POOL_CACHE 256     /* per-lcore mempool cache */
#define DPDK_BOUNCE_SIZE (1u << 20) /* per queue, for multi-segment frames */
#define DPDK_RSS_KEY_MAX 64
#define DPDK_JUMBO_MTU 9000

/* How a port's mbuf timestamps become wall-clock nanoseconds. */
enum dpdk_ts_mode {
	DPDK_TS_NONE = 0,  /* TSC once per burst */
	DPDK_TS_PCAP_US,   /* net_pcap: file time in microseconds */
	DPDK_TS_NIC_TICKS, /* device clock, calibrated against CLOCK_REALTIME */
};

/* A port's packet clock. */
struct dpdk_clock {
	enum dpdk_ts_mode mode;
	double ns_per_tick;        /* DPDK_TS_NIC_TICKS: tick0 was at ns0 */
	uint64_t tick0, ns0;
};

/* One polled queue: written by its worker only, hence cache lines of its
 * own (no false sharing between workers). */
struct dpdk_queue {
	uint16_t port_id;
	uint16_t queue_id;
	uint16_t n_burst;          /* mbufs of the current burst, freed by release() */
	uint8_t lcore_registered;
	int ts_offset;             /* of the timestamp dynamic field */
	uint64_t ts_flag;          /* ol_flags bit: the timestamp field is valid */
	struct dpdk_clock clock;
	/* multi-segment frames beyond the bounce buffer, seen as their first
	 * segment (caplen < wirelen, like a snaplen); no stats field yet */
	uint64_t truncated;
	uint8_t *bounce;           /* DPDK_BOUNCE_SIZE, for multi-segment frames */
	struct rte_mbuf *burst[DPDK_MAX_BURST];
} __rte_cache_aligned;

struct wc_capture {
	unsigned n_ports;
	unsigned nq;               /* RX queues per port */
	unsigned n_queues;         /* n_ports * nq */
	uint16_t port_ids[RTE_MAX_ETHPORTS];
	uint8_t port_started[RTE_MAX_ETHPORTS];
	uint8_t port_configured[RTE_MAX_ETHPORTS];
	struct rte_mempool *pool;
	struct dpdk_queue *q;      /* n_queues, cache aligned */
	const char *clock_name;
	int open;
};

static struct wc_capture dpdk_cap;
static enum { EAL_NONE, EAL_UP, EAL_DOWN } eal_state;

/* Symmetric Toeplitz key: any 16-bit repeating pattern makes the hash of
 * (a, b) equal that of (b, a); 0x6d5a also spreads well. */
static void sym_rss_key(uint8_t *key, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		key[i] = (i & 1) ? 0x5a : 0x6d;
}

static int has_arg(int argc, char **argv, const char *name)
{
	for (int i = 1; i < argc; i++)
		if (argv[i] && !strcmp(argv[i], name))
			return 1;
	return 0;
}

/* EAL arguments that already decide what happens to hugepage files: an
 * explicit --huge-unlink[=...], none at all (--in-memory, --no-huge), or a
 * secondary process, which must find the primary's files. */
static int hugepage_files_decided(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (argv[i] && (!strncmp(argv[i], "--huge-unlink", 13) ||
				!strcmp(argv[i], "--in-memory") || !strcmp(argv[i], "--no-huge") ||
				!strncmp(argv[i], "--proc-type", 11)))
			return 1;
	return 0;
}

/* Hugepages usable by EAL: some free and a hugetlbfs mounted. */
static int hugepages_available(void)
{
	unsigned long free_pages = 0;
	char line[512];
	FILE *f = fopen("/proc/meminfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "HugePages_Free: %lu", &free_pages) == 1)
				break;
		fclose(f);
	}
	int mounted = 0;
	f = fopen("/proc/mounts", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (strstr(line, " hugetlbfs ")) {
				mounted = 1;
				break;
			}
		fclose(f);
	}
	return free_pages > 0 && mounted;
}

static int eal_init(const struct wc_capture_args *a, char *err, unsigned errlen)
{
	if (eal_state == EAL_UP)
		return 0;
	if (eal_state == EAL_DOWN) {
		snprintf(err, errlen, "DPDK cannot be initialised twice in one process");
		return -EALREADY;
	}
	if (a->eal_argc < 1 || !a->eal_argv) {
		snprintf(err, errlen, "no EAL arguments");
		return -EINVAL;
	}
	/* EAL's getopt permutes its argv: give it a copy of the pointers.
	 * Unless the arguments decide otherwise, EAL unlinks each hugepage
	 * file once mapped (--huge-unlink): the probe is a primary process
	 * nothing attaches to, and a probe killed by SIGKILL must not leave
	 * its pages reserved in /dev/hugepages until someone removes them. */
	char **argv = calloc((size_t)a->eal_argc + 2, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	int argc = 0;
	argv[argc++] = a->eal_argv[0];
	if (!hugepage_files_decided(a->eal_argc, a->eal_argv))
		argv[argc++] = (char *)"--huge-unlink";
	memcpy(argv + argc, a->eal_argv + 1, (size_t)(a->eal_argc - 1) * sizeof(*argv));
	argc += a->eal_argc - 1;
	int n = rte_eal_init(argc, argv);
	int e = rte_errno;
	if (n < 0) {
		free(argv);
		eal_state = EAL_DOWN; /* rte_eal_init() cannot be retried */
		int no_huge = has_arg(a->eal_argc, a->eal_argv, "--no-huge");
		if (!no_huge && !hugepages_available()) {
			snprintf(err, errlen, "EAL initialisation failed (%s); no hugepages: "
				 "run scripts/hugepages.sh, or pass --no-huge to EAL",
				 rte_strerror(e));
			return -ENOMEM;
		}
		snprintf(err, errlen, "EAL initialisation failed (%s)%s", rte_strerror(e),
			 e == EINVAL ? ": check the EAL arguments after --" : "");
		return e == EINVAL ? -EINVAL : -(e ? e : EIO);
	}
	eal_state = EAL_UP;
	if (n + 1 < argc) {
		snprintf(err, errlen, "unexpected argument '%s' after the EAL options",
			 argv[n + 1]);
		free(argv);
		return -EINVAL;
	}
	free(argv);
	return 0;
}

/* What a vdev's arguments say about the mbufs it needs beyond RX rings:
 *  - net_pcap infinite_rx=1 preloads every frame of its rx_pcap files into
 *    mbufs of our pool at queue setup, and cannot chain segments in that
 *    mode: the pool must hold them all, the data room the largest;
 *  - net_af_packet copies each kernel frame into one mbuf at receive time
 *    and drops, uncounted, a frame that does not fit: its framesz= (the
 *    kernel ring's frame, e.g. 9216 for jumbo frames, 32768 for most TSO
 *    super-frames on a veth) sets the data room; its ring holds no mbufs.
 * Capture files are read through the pcap backend, which knows them all. */
struct port_needs {
	int pcap_infinite;
	int ring_holds_mbufs;
	uint64_t frames;    /* held by the PMD for good */
	uint32_t max_frame; /* largest frame that must fit one mbuf */
};

/* An rx_pcap= file: DPDK ports carry Ethernet, so say so when the file
 * holds something else (it decodes as garbage: -r reads it right); count
 * its frames for infinite_rx. */
static int scan_rx_pcap(const char *key, const char *value, void *opaque)
{
	(void)key;
	struct port_needs *pn = opaque;
	struct wc_capture *pc;
	struct wc_capture_args pa = {.source = value, .n_queues = 1};
	struct wc_pkt_view v[64];
	char err[256];
	if (wc_capture_pcap.open(&pc, &pa, err, sizeof(err)) != 0)
		return 0; /* the PMD reports it */
	uint32_t lt = wc_capture_pcap.linktype(pc);
	if (lt != WC_DLT_EN10MB)
		fprintf(stderr, "wirecheck: warning: %s has link type %u, not Ethernet: "
			"a DPDK port delivers its frames as Ethernet (read the file "
			"with -r)\n", value, lt);
	int n;
	while (pn->pcap_infinite && (n = wc_capture_pcap.rx_burst(pc, 0, v, 64)) >= 0) {
		for (int i = 0; i < n; i++)
			if (v[i].caplen > pn->max_frame)
				pn->max_frame = v[i].caplen;
		pn->frames += (uint64_t)n;
	}
	wc_capture_pcap.close(pc);
	return 0;
}

/* scan: also read the capture files (once, for the pool) */
static void port_needs_get(const struct rte_eth_dev_info *info, int scan,
			   struct port_needs *pn)
{
	memset(pn, 0, sizeof(*pn));
	pn->ring_holds_mbufs = 1;
	const char *drv = info->driver_name ? info->driver_name : "";
	int pcap = !strcmp(drv, "net_pcap"), afp = !strcmp(drv, "net_af_packet");
	if ((!pcap && !afp) || !info->device)
		return;
	const struct rte_devargs *da = rte_dev_devargs(info->device);
	struct rte_kvargs *kv = da && da->args ? rte_kvargs_parse(da->args, NULL) : NULL;
	if (pcap && kv) {
		const char *inf = rte_kvargs_get(kv, "infinite_rx");
		pn->pcap_infinite = inf && atoi(inf) > 0;
		if (scan)
			rte_kvargs_process(kv, "rx_pcap", scan_rx_pcap, pn);
	}
	if (afp) {
		pn->ring_holds_mbufs = 0;
		const char *fs = kv ? rte_kvargs_get(kv, "framesz") : NULL;
		long v = fs ? strtol(fs, NULL, 0) : 0;
		if (v > 0) /* an mbuf holds < 64 KB: the PMD says so if too big */
			pn->max_frame = v < UINT16_MAX ? (uint32_t)v : UINT16_MAX;
	}
	rte_kvargs_free(kv);
}

static void warn_no_rss_once(uint16_t port, const char *driver)
{
	static int warned;
	if (warned)
		return;
	warned = 1;
	fprintf(stderr,
		"wirecheck: warning: DPDK port %u (%s) cannot do RSS; its queues are "
		"filled by the driver's own spreading, so the two directions of a "
		"connection may reach different workers (one-sided flows)\n",
		port, driver ? driver : "?");
}

/* Calibrate a device clock against CLOCK_REALTIME (20 ms). */
static int nic_clock_calibrate(uint16_t port, struct dpdk_clock *clk)
{
	uint64_t t0, t1;
	struct timespec r0, r1, nap = {0, 20 * 1000 * 1000};
	if (rte_eth_read_clock(port, &t0) != 0)
		return -ENOTSUP;
	clock_gettime(CLOCK_REALTIME, &r0);
	nanosleep(&nap, NULL);
	if (rte_eth_read_clock(port, &t1) != 0)
		return -ENOTSUP;
	clock_gettime(CLOCK_REALTIME, &r1);
	if (t1 <= t0)
		return -ENOTSUP;
	uint64_t ns0 = (uint64_t)r0.tv_sec * 1000000000ull + (uint64_t)r0.tv_nsec;
	uint64_t ns1 = (uint64_t)r1.tv_sec * 1000000000ull + (uint64_t)r1.tv_nsec;
	clk->ns_per_tick = (double)(ns1 - ns0) / (double)(t1 - t0);
	clk->tick0 = t1;
	clk->ns0 = ns1;
	return 0;
}

/* Configure, set up and start one port with nq RX queues; *clk says how
 * its packets are timed. */
static int port_start(struct wc_capture *c, uint16_t port, unsigned nq,
		      struct dpdk_clock *clk, char *err, unsigned errlen)
{
	struct rte_eth_dev_info info;
	uint8_t rss_key[DPDK_RSS_KEY_MAX];
	int r = rte_eth_dev_info_get(port, &info);
	if (r != 0) {
		snprintf(err, errlen, "DPDK port %u: device info: %s", port, strerror(-r));
		return r;
	}
	const char *drv = info.driver_name ? info.driver_name : "?";

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	if (nq > 1) {
		uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP |
			       RTE_ETH_RSS_SCTP) & info.flow_type_rss_offloads;
		if (hf) {
			unsigned klen = info.hash_key_size ? info.hash_key_size : 40;
			if (klen > sizeof(rss_key))
				klen = sizeof(rss_key);
			sym_rss_key(rss_key, klen);
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
			conf.rx_adv_conf.rss_conf.rss_key = rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = (uint8_t)klen;
			conf.rx_adv_conf.rss_conf.rss_hf = hf;
		} else if (strcmp(drv, "net_af_packet") != 0) {
			/* net_af_packet spreads with PACKET_FANOUT_HASH, the
			 * kernel's flow hash, which is symmetric */
			warn_no_rss_once(port, drv);
		}
	}
	struct port_needs pn;
	port_needs_get(&info, 0, &pn);
	int pcap_infinite = pn.pcap_infinite;
	clk->mode = DPDK_TS_NONE;
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
	/* A probe wants jumbo frames too: chain mbufs where the PMD can. */
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
		if (info.max_mtu >= DPDK_JUMBO_MTU)
			conf.rxmode.mtu = DPDK_JUMBO_MTU;
	}

	/* No TX queue unless the PMD insists (we never send): net_af_xdp
	 * wants queue pairs, others at least one. */
	const uint16_t tx_tries[] = {0, (uint16_t)nq, 1};
	uint16_t ntx = 0;
	r = -EINVAL;
	for (unsigned t = 0; t < RTE_DIM(tx_tries) && r != 0; t++) {
		if (t == 2 && nq == 1)
			break;
		ntx = tx_tries[t];
		if (ntx > info.max_tx_queues)
			continue;
		r = rte_eth_dev_configure(port, (uint16_t)nq, ntx, &conf);
	}
	if (r != 0) {
		snprintf(err, errlen, "DPDK port %u (%s): configure with %u RX queue(s): %s",
			 port, drv, nq, strerror(-r));
		return r;
	}
	c->port_configured[port] = 1;
	uint16_t nb_rxd = DPDK_RX_DESC, nb_txd = DPDK_TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	int socket = rte_eth_dev_socket_id(port);
	if (socket < 0)
		socket = (int)rte_socket_id();
	struct rte_eth_rxconf rxconf = info.default_rxconf;
	rxconf.offloads = conf.rxmode.offloads;
	for (unsigned q = 0; q < nq; q++) {
		r = rte_eth_rx_queue_setup(port, (uint16_t)q, nb_rxd, (unsigned)socket,
					   &rxconf, c->pool);
		if (r != 0) {
			snprintf(err, errlen, "DPDK port %u (%s): RX queue %u setup: %s%s",
				 port, drv, q, strerror(-r),
				 pcap_infinite ? " (infinite_rx needs every frame of the "
						 "file in memory: raise -m)" : "");
			return r;
		}
	}
	for (uint16_t q = 0; q < ntx; q++) {
		r = rte_eth_tx_queue_setup(port, q, nb_txd, (unsigned)socket, NULL);
		if (r != 0) {
			snprintf(err, errlen, "DPDK port %u (%s): TX queue setup: %s", port,
				 drv, strerror(-r));
			return r;
		}
	}
	r = rte_eth_dev_start(port);
	if (r != 0) {
		snprintf(err, errlen, "DPDK port %u (%s): start: %s", port, drv, strerror(-r));
		return r;
	}
	c->port_started[port] = 1;
	r = rte_eth_promiscuous_enable(port);
	if (r != 0 && r != -ENOTSUP)
		fprintf(stderr, "wirecheck: warning: DPDK port %u (%s): promiscuous mode: "
			"%s\n", port, drv, strerror(-r));

	/* net_pcap stamps every frame it reads with the file's time (µs),
	 * not the copies it replays in infinite_rx mode. */
	if (!strcmp(drv, "net_pcap") && !pcap_infinite)
		clk->mode = DPDK_TS_PCAP_US;
	else if ((conf.rxmode.offloads & RTE_ETH_RX_OFFLOAD_TIMESTAMP) &&
		 nic_clock_calibrate(port, clk) == 0)
		clk->mode = DPDK_TS_NIC_TICKS;
	return 0;
}

/* Mbufs for every queue's ring and burst, per-lcore caches, and what the
 * vdevs keep (port_needs); data room for the largest frame that must fit. */
static int pool_create(struct wc_capture *c, char *err, unsigned errlen)
{
	uint64_t need = 0;
	uint32_t max_frame = 0;
	int socket = SOCKET_ID_ANY;
	for (unsigned i = 0; i < c->n_ports; i++) {
		struct rte_eth_dev_info info;
		struct port_needs pn;
		uint16_t port = c->port_ids[i];
		if (rte_eth_dev_info_get(port, &info) != 0)
			continue;
		port_needs_get(&info, 1, &pn);
		uint16_t nb_rxd = DPDK_RX_DESC;
		if (info.rx_desc_lim.nb_max && nb_rxd > info.rx_desc_lim.nb_max)
			nb_rxd = info.rx_desc_lim.nb_max;
		if (!pn.ring_holds_mbufs)
			nb_rxd = 0;
		need += (uint64_t)c->nq * (nb_rxd + DPDK_MAX_BURST) + pn.frames;
		if (pn.max_frame > max_frame)
			max_frame = pn.max_frame;
		if (socket == SOCKET_ID_ANY)
			socket = rte_eth_dev_socket_id(port);
	}
	/* caches of the workers, the main lcore and a spare, 1.5x each */
	need += (uint64_t)(c->n_queues + 2) * DPDK_POOL_CACHE * 3 / 2;
	need += 1024; /* chained segments of jumbo frames, PMD internals */
	/* no rounding up to 2^k - 1: with infinite_rx the pool is big, and the
	 * EAL memory given with -m is all there is */
	uint64_t n = RTE_ALIGN_CEIL(need, DPDK_POOL_CACHE);
	if (n > UINT32_MAX)
		n = UINT32_MAX;
	uint32_t room = RTE_MBUF_DEFAULT_BUF_SIZE;
	if (max_frame + RTE_PKTMBUF_HEADROOM > room)
		room = max_frame + RTE_PKTMBUF_HEADROOM;
	if (room > UINT16_MAX)
		room = UINT16_MAX;
	c->pool = rte_pktmbuf_pool_create("wirecheck_rx", (unsigned)n, DPDK_POOL_CACHE, 0,
					  (uint16_t)room, socket);
	if (!c->pool && socket != SOCKET_ID_ANY)
		c->pool = rte_pktmbuf_pool_create("wirecheck_rx", (unsigned)n,
						  DPDK_POOL_CACHE, 0, (uint16_t)room,
						  SOCKET_ID_ANY);
	if (!c->pool) {
		snprintf(err, errlen, "cannot allocate %llu mbufs of %u bytes (%s): give EAL "
			 "more memory (-m MB, or more hugepages: scripts/hugepages.sh)",
			 (unsigned long long)n, room, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

static void dpdk_close(struct wc_capture *c);

static int dpdk_open(struct wc_capture **out, const struct wc_capture_args *a,
		     char *err, unsigned errlen)
{
	struct wc_capture *c = &dpdk_cap;
	if (c->open) {
		snprintf(err, errlen, "the DPDK backend is already open");
		return -EBUSY;
	}
	int r = eal_init(a, err, errlen);
	if (r) {
		if (eal_state == EAL_UP) {
			rte_eal_cleanup();
			eal_state = EAL_DOWN;
		}
		return r;
	}
	memset(c, 0, sizeof(*c));
	c->open = 1;

	uint16_t avail = rte_eth_dev_count_avail();
	if (avail == 0) {
		snprintf(err, errlen, "no DPDK port: pass --vdev ... (e.g. --vdev "
			 "net_pcap0,rx_pcap=FILE) or a device bound to vfio-pci "
			 "after --");
		r = -ENODEV;
		goto fail;
	}
	uint16_t port;
	RTE_ETH_FOREACH_DEV(port)
		c->port_ids[c->n_ports++] = port;
	c->nq = a->n_queues ? a->n_queues : 1;
	c->n_queues = c->n_ports * c->nq;
	if (c->n_queues > WC_MAX_WORKERS) {
		snprintf(err, errlen, "%u ports x %u queues = %u workers; at most %d",
			 c->n_ports, c->nq, c->n_queues, WC_MAX_WORKERS);
		r = -EINVAL;
		goto fail;
	}
	for (unsigned i = 0; i < c->n_ports; i++) {
		struct rte_eth_dev_info info;
		port = c->port_ids[i];
		if ((r = rte_eth_dev_info_get(port, &info)) != 0) {
			snprintf(err, errlen, "DPDK port %u: %s", port, strerror(-r));
			goto fail;
		}
		if (c->nq > info.max_rx_queues) {
			snprintf(err, errlen, "DPDK port %u (%s) has at most %u RX queue(s), "
				 "--queues asks for %u (net_pcap: one rx_pcap= per queue; "
				 "net_af_packet: qpairs=N)",
				 port, info.driver_name ? info.driver_name : "?",
				 info.max_rx_queues, c->nq);
			r = -EINVAL;
			goto fail;
		}
	}

	c->q = rte_zmalloc("wirecheck_queues", c->n_queues * sizeof(*c->q),
			   RTE_CACHE_LINE_SIZE);
	if (!c->q) {
		snprintf(err, errlen, "out of EAL memory for the queue state");
		r = -ENOMEM;
		goto fail;
	}
	int ts_offset = -1;
	uint64_t ts_flag = 0;
	if (rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag) != 0) {
		ts_offset = -1;
		ts_flag = 0;
	}
	if ((r = pool_create(c, err, errlen)) != 0)
		goto fail;

	unsigned stamped = 0;
	for (unsigned i = 0; i < c->n_ports; i++) {
		struct dpdk_clock clk = {.mode = DPDK_TS_NONE};
		port = c->port_ids[i];
		if ((r = port_start(c, port, c->nq, &clk, err, errlen)) != 0)
			goto fail;
		if (ts_offset < 0)
			clk.mode = DPDK_TS_NONE;
		stamped += clk.mode != DPDK_TS_NONE;
		for (unsigned qi = 0; qi < c->nq; qi++) {
			struct dpdk_queue *dq = &c->q[i * c->nq + qi];
			dq->port_id = port;
			dq->queue_id = (uint16_t)qi;
			dq->clock = clk;
			dq->ts_flag = ts_flag;
			dq->ts_offset = ts_offset;
			/* touched only if a frame spans several mbufs */
			dq->bounce = malloc(DPDK_BOUNCE_SIZE);
			if (!dq->bounce) {
				snprintf(err, errlen, "out of memory");
				r = -ENOMEM;
				goto fail;
			}
		}
	}
	c->clock_name = stamped == c->n_ports ? "nic-hw"
			: stamped ? "nic-hw+tsc-per-burst" : "tsc-per-burst";
	*out = c;
	return 0;
fail:
	dpdk_close(c);
	return r < 0 ? r : -EIO;
}

static inline uint64_t mbuf_ts_ns(const struct dpdk_queue *dq, const struct rte_mbuf *m,
				  uint64_t *burst_ns)
{
	const struct dpdk_clock *clk = &dq->clock;
	if (clk->mode != DPDK_TS_NONE && (m->ol_flags & dq->ts_flag)) {
		uint64_t t = *RTE_MBUF_DYNFIELD(m, dq->ts_offset, const rte_mbuf_timestamp_t *);
		if (clk->mode == DPDK_TS_PCAP_US)
			return t * 1000u;
		return clk->ns0 + (uint64_t)((double)(int64_t)(t - clk->tick0) * clk->ns_per_tick);
	}
	if (!*burst_ns)
		*burst_ns = wc_clock_ns();
	return *burst_ns;
}

static int dpdk_rx_burst(struct wc_capture *c, unsigned queue, struct wc_pkt_view *v,
			 unsigned max)
{
	struct dpdk_queue *dq = &c->q[queue];
	if (unlikely(!dq->lcore_registered)) {
		/* Once per worker thread: an lcore id gives this thread its own
		 * mempool cache (non-EAL threads go to the shared ring on every
		 * alloc and free). Failing only costs that speed. */
		dq->lcore_registered = 1;
		if (rte_lcore_id() == LCORE_ID_ANY)
			rte_thread_register();
	}
	if (max > DPDK_MAX_BURST)
		max = DPDK_MAX_BURST;
	uint16_t n = rte_eth_rx_burst(dq->port_id, dq->queue_id, dq->burst, (uint16_t)max);
	dq->n_burst = n;
	if (n == 0)
		return 0;
	for (unsigned i = 0; i < n && i < 8; i++)
		rte_prefetch0(rte_pktmbuf_mtod(dq->burst[i], void *));
	uint64_t burst_ns = 0;
	uint32_t bounce_used = 0;
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = dq->burst[i];
		if (i + 8 < n)
			rte_prefetch0(rte_pktmbuf_mtod(dq->burst[i + 8], void *));
		v[i].data = rte_pktmbuf_mtod(m, const uint8_t *);
		v[i].caplen = m->data_len;
		if (unlikely(m->nb_segs > 1)) {
			/* a jumbo frame chained over several mbufs: the pipeline
			 * wants one contiguous buffer */
			if (m->pkt_len <= DPDK_BOUNCE_SIZE - bounce_used) {
				uint8_t *dst = dq->bounce + bounce_used;
				const void *src = rte_pktmbuf_read(m, 0, m->pkt_len, dst);
				v[i].data = src;
				v[i].caplen = m->pkt_len;
				bounce_used += m->pkt_len;
			} else {
				dq->truncated++;
			}
		}
		v[i].wirelen = m->pkt_len;
		v[i].ts_ns = mbuf_ts_ns(dq, m, &burst_ns);
		v[i].frame_no = 0;
		v[i].port = dq->port_id;
		v[i].queue = dq->queue_id;
	}
	return (int)n;
}

static void dpdk_release(struct wc_capture *c, unsigned queue, struct wc_pkt_view *v,
			 unsigned n)
{
	(void)v, (void)n;
	struct dpdk_queue *dq = &c->q[queue];
	if (dq->n_burst) {
		rte_pktmbuf_free_bulk(dq->burst, dq->n_burst);
		dq->n_burst = 0;
	}
}

static int dpdk_stats(struct wc_capture *c, struct wc_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!c->open)
		return -EBADF;
	for (unsigned i = 0; i < c->n_ports; i++) {
		struct rte_eth_stats es;
		if (rte_eth_stats_get(c->port_ids[i], &es) != 0)
			continue;
		st->received += es.ipackets;
		st->dropped += es.imissed + es.rx_nombuf + es.ierrors;
	}
	return 0;
}

static uint32_t dpdk_linktype(struct wc_capture *c)
{
	(void)c;
	return WC_DLT_EN10MB;
}

static unsigned dpdk_n_queues(struct wc_capture *c)
{
	return c->n_queues;
}

static const char *dpdk_clock(struct wc_capture *c)
{
	return c->clock_name ? c->clock_name : "tsc-per-burst";
}

static void dpdk_close(struct wc_capture *c)
{
	if (!c || !c->open)
		return;
	for (unsigned i = 0; c->q && i < c->n_queues; i++) {
		struct dpdk_queue *dq = &c->q[i];
		if (dq->n_burst)
			rte_pktmbuf_free_bulk(dq->burst, dq->n_burst);
		dq->n_burst = 0;
		free(dq->bounce);
	}
	for (unsigned i = 0; i < c->n_ports; i++) {
		uint16_t port = c->port_ids[i];
		if (c->port_started[port])
			rte_eth_dev_stop(port);
		if (c->port_configured[port] || c->port_started[port])
			rte_eth_dev_close(port);
		c->port_started[port] = c->port_configured[port] = 0;
	}
	rte_free(c->q);
	c->q = NULL;
	/* after the ports: net_pcap frees its infinite_rx mbufs on close */
	rte_mempool_free(c->pool);
	c->pool = NULL;
	c->open = 0;
	if (eal_state == EAL_UP) {
		rte_eal_cleanup();
		eal_state = EAL_DOWN;
	}
}

const struct wc_capture_ops wc_capture_dpdk = {
	.name = "dpdk",
	.open = dpdk_open,
	.rx_burst = dpdk_rx_burst,
	.release = dpdk_release,
	.stats = dpdk_stats,
	.linktype = dpdk_linktype,
	.n_queues = dpdk_n_queues,
	.clock = dpdk_clock,
	.close = dpdk_close,
};
