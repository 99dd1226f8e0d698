/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP and tc programs of xdp/wirecheck.bpf.o, run by the kernel on
 * crafted frames through BPF_PROG_TEST_RUN (no interface is touched).
 *
 * Table-driven: each case names a frame, a configuration (the read-only
 * wc_cfg set before load, as the loader does), whether an AF_XDP socket is
 * bound to the frame's RX queue, the XDP action expected and the counter
 * deltas expected (summed over the per-CPU slots).
 *
 * What test_run allows: without BPF_F_TEST_XDP_LIVE_FRAMES the kernel runs
 * the program and reports its return value without carrying out a
 * redirect, so XDP_REDIRECT is observable but no frame reaches a socket.
 * bpf_redirect_map() still looks the queue up in the XSKMAP, which holds
 * AF_XDP sockets only: the test binds a real one (copy mode, raw
 * syscalls), as the loader does, to queue 0 of the loopback device of a
 * private network namespace (unshare(CLONE_NEWNET)), and passes
 * ingress_ifindex / rx_queue_index in the xdp_md context, so the lookup
 * sees that queue.
 *
 * Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN for the namespace):
 * without it every case is skipped with a message saying so; a missing or
 * unloadable object is a failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp/wirecheck_shared.h"

#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC (-1)
#endif

static char obj_path[PATH_MAX + 64];
static int have_priv;
static const char *no_priv_why = "";

/* ---------- frames ----------
 * Built field by field here from the header layouts (Ethernet, 802.1Q,
 * RFC 791, RFC 8200, RFC 768/793, RFC 826), addresses in 10.199.0.0/24 and
 * fd00:199::/64. Checksums are left zero: the programs never read them. */

static const uint8_t MAC_DST[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t MAC_SRC[6] = {0x02, 0, 0, 0, 0, 0x02};

struct frame {
	uint8_t b[256];
	uint32_t len;
};

static uint32_t put_eth(uint8_t *p, uint16_t type, int vlan)
{
	memcpy(p, MAC_DST, 6);
	memcpy(p + 6, MAC_SRC, 6);
	uint32_t o = 12;
	if (vlan) {
		p[o++] = 0x81, p[o++] = 0x00;
		p[o++] = 0x00, p[o++] = 0x64; /* VLAN 100 */
	}
	p[o++] = (uint8_t)(type >> 8);
	p[o++] = (uint8_t)type;
	return o;
}

static void v4_tcp(struct frame *f, const char *src, const char *dst, uint16_t sport,
		   uint16_t dport, int vlan)
{
	memset(f, 0, sizeof(*f));
	uint8_t *p = f->b;
	uint32_t o = put_eth(p, 0x0800, vlan);
	uint8_t *ip = p + o;
	ip[0] = 0x45;
	ip[3] = 40; /* total length */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	uint8_t *tcp = ip + 20;
	tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
	tcp[2] = (uint8_t)(dport >> 8), tcp[3] = (uint8_t)dport;
	tcp[12] = 0x50;
	tcp[13] = 0x02; /* SYN */
	f->len = o + 40;
	if (f->len < 60)
		f->len = 60;
}

static void v6_l4(struct frame *f, const char *src, const char *dst, uint8_t proto,
		  uint16_t sport, uint16_t dport)
{
	memset(f, 0, sizeof(*f));
	uint8_t *p = f->b;
	uint32_t o = put_eth(p, 0x86dd, 0);
	uint8_t *ip6 = p + o;
	ip6[0] = 0x60;
	uint16_t plen = proto == 6 ? 20 : 12;
	ip6[4] = (uint8_t)(plen >> 8), ip6[5] = (uint8_t)plen;
	ip6[6] = proto;
	ip6[7] = 64;
	inet_pton(AF_INET6, src, ip6 + 8);
	inet_pton(AF_INET6, dst, ip6 + 24);
	uint8_t *l4 = ip6 + 40;
	l4[0] = (uint8_t)(sport >> 8), l4[1] = (uint8_t)sport;
	l4[2] = (uint8_t)(dport >> 8), l4[3] = (uint8_t)dport;
	if (proto == 6)
		l4[12] = 0x50;
	else
		l4[4] = 0, l4[5] = 12; /* UDP length */
	f->len = o + 40 + plen;
}

static void arp(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	uint32_t o = put_eth(f->b, 0x0806, 0);
	static const uint8_t req[28] = {0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 2,
					10, 199, 0, 5, 0, 0, 0, 0, 0, 0, 10, 199, 0, 1};
	memcpy(f->b + o, req, sizeof(req));
	f->len = o + 28 + 18;
}

/* An Ethernet header that announces IPv4 and stops there. */
static void runt(struct frame *f)
{
	memset(f, 0, sizeof(*f));
	f->len = put_eth(f->b, 0x0800, 0);
}

/* IPv4 with a header cut after 8 bytes: the management check must not
 * read past the end. */
static void v4_cut(struct frame *f)
{
	v4_tcp(f, "10.199.0.5", "10.199.0.1", 40000, 22, 0);
	f->len = 14 + 8;
}

/* ---------- configurations ---------- */

enum cfg_id { CFG_DIRECT, CFG_MGMT4, CFG_MGMT4_ANYPORT, CFG_MGMT6, CFG_MIRROR, CFG_N };

static void make_cfg(enum cfg_id id, struct wc_xdp_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->miss_action = XDP_PASS;
	switch (id) {
	case CFG_DIRECT:
		break;
	case CFG_MGMT4:
		c->flags = WC_XDP_CFG_MGMT_V4;
		inet_pton(AF_INET, "10.199.0.1", &c->mgmt_v4);
		c->mgmt_port = htons(22);
		break;
	case CFG_MGMT4_ANYPORT:
		c->flags = WC_XDP_CFG_MGMT_V4;
		inet_pton(AF_INET, "10.199.0.1", &c->mgmt_v4);
		break;
	case CFG_MGMT6:
		c->flags = WC_XDP_CFG_MGMT_V6;
		inet_pton(AF_INET6, "fd00:199::1", c->mgmt_v6);
		c->mgmt_port = htons(22);
		break;
	case CFG_MIRROR:
		c->miss_action = XDP_DROP;
		break;
	case CFG_N:
		break;
	}
}

struct loaded {
	struct bpf_object *obj;
	int xdp_fd, tc_fd, xsks_fd, ctr_fd;
};

static struct loaded objs[CFG_N];
static int lo_index;
static int xsk_fd = -1;
static void *xsk_umem;

static int load_cfg(enum cfg_id id, struct loaded *l)
{
	struct wc_xdp_cfg cfg;
	make_cfg(id, &cfg);
	l->obj = bpf_object__open_file(obj_path, NULL);
	if (!l->obj || libbpf_get_error(l->obj)) {
		print_message("cannot open %s\n", obj_path);
		l->obj = NULL;
		return -1;
	}
	int r = wc_xdp_cfg_set(l->obj, &cfg);
	if (r) {
		print_message("no %s in %s: %s\n", WC_XDP_CFG_VAR, obj_path, strerror(-r));
		return -1;
	}
	r = bpf_object__load(l->obj);
	if (r) {
		print_message("cannot load %s: %s\n", obj_path, strerror(-r));
		return -1;
	}
	l->xdp_fd = bpf_program__fd(bpf_object__find_program_by_name(l->obj, WC_XDP_PROG_NAME));
	l->tc_fd = bpf_program__fd(bpf_object__find_program_by_name(l->obj, WC_TC_PROG_NAME));
	l->xsks_fd = bpf_map__fd(bpf_object__find_map_by_name(l->obj, WC_XDP_XSKMAP_NAME));
	l->ctr_fd = bpf_map__fd(bpf_object__find_map_by_name(l->obj, WC_XDP_COUNTERS_NAME));
	return l->xdp_fd >= 0 && l->tc_fd >= 0 && l->xsks_fd >= 0 && l->ctr_fd >= 0 ? 0 : -1;
}

static void read_counters(int fd, struct wc_xdp_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct wc_xdp_counters *v = calloc((size_t)ncpu, sizeof(*v));
	uint32_t key = 0;
	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, v), 0);
	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < ncpu; i++) {
		sum->seen += v[i].seen;
		sum->redirected += v[i].redirected;
		sum->passed += v[i].passed;
		sum->dropped += v[i].dropped;
		sum->no_socket += v[i].no_socket;
		sum->mgmt += v[i].mgmt;
		sum->mirror_copied += v[i].mirror_copied;
		sum->mirror_failed += v[i].mirror_failed;
	}
	free(v);
}

/* A bound AF_XDP socket on lo queue 0 (copy mode), for the XSKMAP. */
static int make_xsk(int ifindex)
{
	const size_t sz = 64 * 4096;
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	xsk_umem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (xsk_umem == MAP_FAILED)
		return -errno;
	struct xdp_umem_reg mr = {.addr = (uintptr_t)xsk_umem, .len = sz, .chunk_size = 4096};
	int n = 64;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof(n)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &n, sizeof(n)))
		return -errno;
	struct sockaddr_xdp sx = {.sxdp_family = AF_XDP, .sxdp_ifindex = (uint32_t)ifindex,
				  .sxdp_queue_id = 0, .sxdp_flags = XDP_COPY};
	if (bind(fd, (struct sockaddr *)&sx, sizeof(sx)))
		return -errno;
	return fd;
}

static int lo_up(int up)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (!r) {
		if (up)
			ifr.ifr_flags |= IFF_UP;
		else
			ifr.ifr_flags &= ~IFF_UP;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	r = r ? -errno : 0;
	close(s);
	return r;
}

/* ---------- XDP cases ---------- */

enum frame_id { F_V4_TCP, F_V4_TCP_MGMT, F_V4_TCP_MGMT_SPORT, F_V4_TCP_MGMT_OTHERPORT,
		F_V4_VLAN_MGMT, F_V6_UDP, F_V6_TCP_MGMT, F_ARP, F_RUNT, F_V4_CUT };

static void build(enum frame_id id, struct frame *f)
{
	switch (id) {
	case F_V4_TCP: v4_tcp(f, "10.199.0.5", "10.199.0.9", 40000, 80, 0); break;
	case F_V4_TCP_MGMT: v4_tcp(f, "10.199.0.5", "10.199.0.1", 40000, 22, 0); break;
	case F_V4_TCP_MGMT_SPORT: v4_tcp(f, "10.199.0.1", "10.199.0.5", 22, 40000, 0); break;
	case F_V4_TCP_MGMT_OTHERPORT: v4_tcp(f, "10.199.0.5", "10.199.0.1", 40000, 80, 0); break;
	case F_V4_VLAN_MGMT: v4_tcp(f, "10.199.0.5", "10.199.0.1", 40000, 22, 1); break;
	case F_V6_UDP: v6_l4(f, "fd00:199::5", "fd00:199::9", 17, 5000, 53); break;
	case F_V6_TCP_MGMT: v6_l4(f, "fd00:199::5", "fd00:199::1", 6, 40000, 22); break;
	case F_ARP: arp(f); break;
	case F_RUNT: runt(f); break;
	case F_V4_CUT: v4_cut(f); break;
	}
}

struct xdp_case {
	const char *name;
	enum frame_id frame;
	enum cfg_id cfg;
	int socket; /* an XSK bound to queue 0 and in the XSKMAP */
	uint32_t action;
	/* expected deltas */
	unsigned redirected, passed, dropped, no_socket, mgmt;
};

static const struct xdp_case XDP_CASES[] = {
	{"ipv4/tcp, no socket: to the stack", F_V4_TCP, CFG_DIRECT, 0, XDP_PASS, 0, 1, 0, 1, 0},
	{"ipv4/tcp, socket: redirected", F_V4_TCP, CFG_DIRECT, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"ipv6/udp, no socket: to the stack", F_V6_UDP, CFG_DIRECT, 0, XDP_PASS, 0, 1, 0, 1, 0},
	{"ipv6/udp, socket: redirected", F_V6_UDP, CFG_DIRECT, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"arp, no socket: to the stack", F_ARP, CFG_DIRECT, 0, XDP_PASS, 0, 1, 0, 1, 0},
	{"arp, socket: redirected", F_ARP, CFG_DIRECT, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"runt (ethernet only), socket: redirected", F_RUNT, CFG_MGMT4, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"runt (ethernet only), no socket", F_RUNT, CFG_MGMT4, 0, XDP_PASS, 0, 1, 0, 1, 0},
	{"ipv4 header cut, mgmt configured: no overread", F_V4_CUT, CFG_MGMT4, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"mgmt ipv4 tcp/22 to us: passed despite socket", F_V4_TCP_MGMT, CFG_MGMT4, 1, XDP_PASS, 0, 1, 0, 0, 1},
	{"mgmt ipv4 tcp/22 from us: passed", F_V4_TCP_MGMT_SPORT, CFG_MGMT4, 1, XDP_PASS, 0, 1, 0, 0, 1},
	{"mgmt address, other port: redirected", F_V4_TCP_MGMT_OTHERPORT, CFG_MGMT4, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"mgmt address, any port configured: passed", F_V4_TCP_MGMT_OTHERPORT, CFG_MGMT4_ANYPORT, 1, XDP_PASS, 0, 1, 0, 0, 1},
	{"mgmt ipv4 behind a VLAN tag: passed", F_V4_VLAN_MGMT, CFG_MGMT4, 1, XDP_PASS, 0, 1, 0, 0, 1},
	{"mgmt ipv6 tcp/22: passed", F_V6_TCP_MGMT, CFG_MGMT6, 1, XDP_PASS, 0, 1, 0, 0, 1},
	{"ipv6 mgmt config, ipv4 frame: redirected", F_V4_TCP_MGMT, CFG_MGMT6, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
	{"mirror copy, no socket: dropped, never to a stack", F_V4_TCP, CFG_MIRROR, 0, XDP_DROP, 0, 0, 1, 1, 0},
	{"mirror copy, socket: redirected", F_V4_TCP, CFG_MIRROR, 1, XDP_REDIRECT, 1, 0, 0, 0, 0},
};

static void set_socket(struct loaded *l, int on)
{
	uint32_t key = 0;
	if (on) {
		assert_int_equal(bpf_map_update_elem(l->xsks_fd, &key, &xsk_fd, 0), 0);
	} else {
		int r = bpf_map_delete_elem(l->xsks_fd, &key);
		assert_true(r == 0 || errno == ENOENT);
	}
}

static void test_xdp_table(void **state)
{
	(void)state;
	if (!have_priv) {
		print_message("SKIPPED: %s\n", no_priv_why);
		skip();
	}
	for (size_t i = 0; i < sizeof(XDP_CASES) / sizeof(XDP_CASES[0]); i++) {
		const struct xdp_case *tc = &XDP_CASES[i];
		struct loaded *l = &objs[tc->cfg];
		struct frame f;
		uint8_t out[512];
		struct wc_xdp_counters before, after;
		build(tc->frame, &f);
		set_socket(l, tc->socket);
		read_counters(l->ctr_fd, &before);
		struct xdp_md ctx = {.data = 0, .data_end = f.len, .ingress_ifindex = (uint32_t)lo_index,
				     .rx_queue_index = 0};
		DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b, .data_size_in = f.len,
				    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
				    .ctx_size_in = sizeof(ctx), .repeat = 1);
		int r = bpf_prog_test_run_opts(l->xdp_fd, &opts);
		if (r)
			print_message("case '%s': test_run: %s\n", tc->name, strerror(errno));
		assert_int_equal(r, 0);
		read_counters(l->ctr_fd, &after);
		if (opts.retval != tc->action ||
		    after.seen - before.seen != 1 ||
		    after.redirected - before.redirected != tc->redirected ||
		    after.passed - before.passed != tc->passed ||
		    after.dropped - before.dropped != tc->dropped ||
		    after.no_socket - before.no_socket != tc->no_socket ||
		    after.mgmt - before.mgmt != tc->mgmt) {
			print_message("case '%s': action %u (want %u), seen +%llu, redirected +%llu, "
				      "passed +%llu, dropped +%llu, no_socket +%llu, mgmt +%llu\n",
				      tc->name, opts.retval, tc->action,
				      (unsigned long long)(after.seen - before.seen),
				      (unsigned long long)(after.redirected - before.redirected),
				      (unsigned long long)(after.passed - before.passed),
				      (unsigned long long)(after.dropped - before.dropped),
				      (unsigned long long)(after.no_socket - before.no_socket),
				      (unsigned long long)(after.mgmt - before.mgmt));
			fail();
		}
		print_message("  ok: %s\n", tc->name);
	}
	for (int c = 0; c < CFG_N; c++)
		set_socket(&objs[c], 0);
}

/* A frame shorter than an Ethernet header never reaches the program:
 * the kernel refuses it (documents what test_run allows). */
static void test_xdp_too_short(void **state)
{
	(void)state;
	if (!have_priv) {
		print_message("SKIPPED: %s\n", no_priv_why);
		skip();
	}
	uint8_t b[10] = {0};
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = b, .data_size_in = sizeof(b));
	assert_int_not_equal(bpf_prog_test_run_opts(objs[CFG_DIRECT].xdp_fd, &opts), 0);
}

/* The XSKMAP takes AF_XDP sockets only: a redirect can only ever go to
 * one (whether an unbound one is accepted depends on the kernel; 6.18
 * takes it, and the redirect then fails at delivery, so it is not
 * asserted here). */
static void test_xskmap_takes_only_xsks(void **state)
{
	(void)state;
	if (!have_priv) {
		print_message("SKIPPED: %s\n", no_priv_why);
		skip();
	}
	uint32_t key = 0;
	int udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(udp >= 0);
	assert_int_not_equal(bpf_map_update_elem(objs[CFG_DIRECT].xsks_fd, &key, &udp, 0), 0);
	close(udp);
	assert_int_equal(bpf_map_update_elem(objs[CFG_DIRECT].xsks_fd, &key, &xsk_fd, 0), 0);
	assert_int_equal(bpf_map_delete_elem(objs[CFG_DIRECT].xsks_fd, &key), 0);
}

/* ---------- tc mirror program ---------- */

static void run_tc(int fd, uint32_t *retval)
{
	struct frame f;
	v4_tcp(&f, "10.199.0.5", "10.199.0.9", 40000, 80, 0);
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f.b, .data_size_in = f.len,
			    .repeat = 1);
	assert_int_equal(bpf_prog_test_run_opts(fd, &opts), 0);
	*retval = opts.retval;
}

static void test_tc_mirror(void **state)
{
	(void)state;
	if (!have_priv) {
		print_message("SKIPPED: %s\n", no_priv_why);
		skip();
	}
	/* no mirror target configured: nothing happens, the skb continues */
	struct wc_xdp_counters b, a;
	uint32_t rv;
	read_counters(objs[CFG_DIRECT].ctr_fd, &b);
	run_tc(objs[CFG_DIRECT].tc_fd, &rv);
	read_counters(objs[CFG_DIRECT].ctr_fd, &a);
	assert_int_equal((int32_t)rv, TC_ACT_UNSPEC);
	assert_true(a.mirror_copied == b.mirror_copied && a.mirror_failed == b.mirror_failed);

	/* a target (this namespace's lo, RX path): one copy per skb while
	 * it is up, a counted failure while it is down; the skb itself
	 * always continues (TC_ACT_UNSPEC) */
	struct loaded l;
	struct wc_xdp_cfg cfg;
	make_cfg(CFG_MIRROR, &cfg);
	cfg.mirror_ifindex = (uint32_t)lo_index;
	cfg.mirror_ingress = 1;
	l.obj = bpf_object__open_file(obj_path, NULL);
	assert_non_null(l.obj);
	assert_int_equal(wc_xdp_cfg_set(l.obj, &cfg), 0);
	assert_int_equal(bpf_object__load(l.obj), 0);
	int tc_fd = bpf_program__fd(bpf_object__find_program_by_name(l.obj, WC_TC_PROG_NAME));
	int ctr = bpf_map__fd(bpf_object__find_map_by_name(l.obj, WC_XDP_COUNTERS_NAME));
	assert_true(tc_fd >= 0 && ctr >= 0);

	assert_int_equal(lo_up(1), 0);
	read_counters(ctr, &b);
	run_tc(tc_fd, &rv);
	read_counters(ctr, &a);
	assert_int_equal((int32_t)rv, TC_ACT_UNSPEC);
	assert_int_equal(a.mirror_copied - b.mirror_copied, 1);
	assert_int_equal(a.mirror_failed - b.mirror_failed, 0);

	assert_int_equal(lo_up(0), 0);
	read_counters(ctr, &b);
	run_tc(tc_fd, &rv);
	read_counters(ctr, &a);
	assert_int_equal((int32_t)rv, TC_ACT_UNSPEC);
	assert_int_equal(a.mirror_copied - b.mirror_copied, 0);
	assert_int_equal(a.mirror_failed - b.mirror_failed, 1);
	bpf_object__close(l.obj);
}

/* ---------- setup ---------- */

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	const char *env = getenv("WC_XDP_OBJ");
	if (env && *env) {
		snprintf(obj_path, sizeof(obj_path), "%s", env);
	} else {
		/* build/tests/test_xdp_prog -> build/xdp/wirecheck.bpf.o */
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0)
			return -1;
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash)
			*slash = 0;
		snprintf(obj_path, sizeof(obj_path), "%s/../xdp/wirecheck.bpf.o", self);
	}
	if (access(obj_path, R_OK) != 0) {
		fprintf(stderr, "test_xdp_prog: %s: %s (build it: meson compile -C build)\n",
			obj_path, strerror(errno));
		return -1;
	}
	libbpf_set_print(quiet);
	if (geteuid() != 0) {
		no_priv_why = "needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN): "
			      "BPF_PROG_TEST_RUN, AF_XDP and a private network namespace";
		fprintf(stderr, "\n*** test_xdp_prog: NOT RUN: %s ***\n\n", no_priv_why);
		return 0;
	}
	if (unshare(CLONE_NEWNET) != 0) {
		no_priv_why = "cannot create a private network namespace (unshare: no "
			      "CAP_SYS_ADMIN?)";
		fprintf(stderr, "\n*** test_xdp_prog: NOT RUN: %s ***\n\n", no_priv_why);
		return 0;
	}
	lo_index = (int)if_nametoindex("lo");
	for (int c = 0; c < CFG_N; c++)
		if (load_cfg((enum cfg_id)c, &objs[c]) != 0) {
			if (errno == EPERM) {
				no_priv_why = "loading BPF programs is not permitted here (EPERM)";
				fprintf(stderr, "\n*** test_xdp_prog: NOT RUN: %s ***\n\n", no_priv_why);
				return 0;
			}
			return -1;
		}
	xsk_fd = make_xsk(lo_index);
	if (xsk_fd < 0) {
		fprintf(stderr, "test_xdp_prog: cannot bind an AF_XDP socket to lo: %s\n",
			strerror(-xsk_fd));
		return -1;
	}
	have_priv = 1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (xsk_fd >= 0)
		close(xsk_fd);
	for (int c = 0; c < CFG_N; c++)
		if (objs[c].obj)
			bpf_object__close(objs[c].obj);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xdp_table),
		cmocka_unit_test(test_xdp_too_short),
		cmocka_unit_test(test_xskmap_takes_only_xsks),
		cmocka_unit_test(test_tc_mirror),
	};
	int r = cmocka_run_group_tests(tests, group_setup, group_teardown);
	/* 77: meson reports SKIP, so a run without privileges is visible */
	return r == 0 && !have_priv ? 77 : r;
}
