/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AF_XDP capture (SPEC §2): `wirecheck -i IFACE[,IFACE...]`. The only file
 * that includes xsk.h / libxdp.h.
 *
 * Per interface: the project's XDP program (xdp/wirecheck.bpf.o, one
 * loaded instance per interface so that each has its own XSKMAP) attached
 * through libxdp, native mode first and SKB mode as fallback, and one
 * AF_XDP socket per RX queue, each with its own UMEM, inserted into the
 * program's XSKMAP under its queue id. Worker q polls socket q only.
 *
 * The passive problem. XDP cannot clone: a program that redirects a frame
 * to an XSK takes it away from the kernel stack. On a mirror/SPAN port
 * that is what we want; on an interface that carries host traffic it
 * would break the very connections we watch. So the backend picks one of
 * two attachments per interface:
 *
 *  - direct: XDP + XSKs on IFACE itself. Chosen when IFACE carries no host
 *    traffic: no IPv4 address, no IPv6 address other than link-local, not
 *    a bridge/bond, not enslaved to one, no upper device.
 *  - mirror: otherwise. A private veth pair wcm<ifindex>a / wcm<ifindex>b
 *    (no addresses, IPv6 and ARP off, multicast off, in no bridge) is
 *    created; a tiny tc program (wirecheck_tc, same object) on IFACE's
 *    clsact ingress and egress hooks bpf_clone_redirect()s every skb and
 *    returns TC_ACT_UNSPEC, so the original goes on untouched; XDP + XSK
 *    sit on the private veth, which only ever carries copies (frames no
 *    socket takes are dropped there, never handed to a stack). Both
 *    directions are seen as an AF_PACKET capture on IFACE sees them.
 *
 *    What the kernel does (verified on 6.18, see also wirecheck.bpf.c):
 *    generic XDP skips skbs marked "redirected" (netif_receive_generic_xdp:
 *    skb_is_redirected), and a clone sent *out* of a device by tc mirred or
 *    bpf_redirect is so marked: a mirred/egress mirror into a veth whose
 *    peer runs generic XDP delivers nothing (measured: 0 frames seen). A
 *    clone put straight into a device's RX path (BPF_F_INGRESS ->
 *    dev_forward_skb_nomtu -> netif_rx) is not marked and not segmented.
 *    So in --xdp-mode auto (and skb) the copies go into the RX path of
 *    wcm..b and generic XDP runs there: GSO super-frames arrive whole (as
 *    multi-buffer descriptor chains, see below), TCP checksums as the stack
 *    left them (CHECKSUM_PARTIAL: the pseudo-header sum, classed partial).
 *    Measured over real HTTP on a veth: every TCP checksum partial, none
 *    bad, 32..36 super-frames per 5 transfers; ~9 Gbit/s of 64 KB
 *    super-frames for 6 GB with 0.2 % counted drops (fill ring empty) and
 *    no frame leaked.
 *    With --xdp-mode native the copies go out of wcm..a so that native
 *    XDP on wcm..b (veth NAPI) runs; but a veth whose peer has an XDP
 *    program loses GSO (veth_fix_features), so wcm..a segments every
 *    super-frame in software first: partial checksums survive (segments
 *    stay CHECKSUM_PARTIAL), super-frames do not, and the probe says so at
 *    start. (The same kernel rule means native XDP attached directly to a
 *    veth turns TSO off on its peer.)
 *  --xdp-attach direct|mirror|auto (capture.xdp_attach) overrides the choice (see the
 *  report: a command-line option is the proper home for it), and
 *  --mgmt ADDR[:PORT] / [ADDR6]:PORT (capture.mgmt) names management traffic
 *  that a direct attachment passes to the stack.
 *
 * Sockets: zero-copy first, copy mode as fallback (zero_copy -1), bound
 * with XDP_USE_NEED_WAKEUP (a syscall only when the kernel asks, or every
 * empty poll with --busy-poll) and XDP_USE_SG: frames larger than a UMEM
 * frame (super-frames, jumbo frames) arrive as descriptor chains, which a
 * burst copies into a per-queue arena so that the view is contiguous;
 * every other frame is a zero-copy view into the UMEM. The fill ring holds
 * every UMEM frame not in a view: rx_burst() takes frames, release() puts
 * them back, nothing else. veth (and generic XDP) has no zero-copy: the
 * sockets fall back to copy mode there. The UMEM is MADV_DONTFORK (it is
 * pinned, and wirecheck forks its control plane).
 *
 * Cleanup: close() detaches and deletes everything (sockets, UMEM, XDP
 * program, tc filters, the clsact qdisc if we added it and it is empty,
 * the veth pair) and open() calls it on any failure half-way. A run killed
 * with SIGKILL leaves state behind; the next open() finds it by name
 * (program wirecheck_xdp on the interface, tc filter handle 0x5743 pref 1
 * running wirecheck_tc, veth wcm<ifindex>a) and removes it before it
 * starts; /run/wirecheck/afxdp.<netns>.<ifindex> remembers whether the
 * clsact qdisc was ours and which process owns the interface, so that a
 * second wirecheck on an interface already watched by a live one refuses
 * instead of tearing the first one's attachment down.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <linux/veth.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include <xdp/xsk.h>

#include "capture.h"
#include "xdp/wirecheck_shared.h"

#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

#define FRAME_SIZE 4096u
#define MAX_IFACES 8
#define HOLD_MAX 512u            /* descriptors held by one burst */
#define ARENA_SIZE (1u << 20)    /* per queue: multi-buffer frames copied here */
#define TC_HANDLE 0x5743u        /* "WC" */
#define TC_PRIO 1u
#define STATE_DIR "/run/wirecheck"
#define BUSY_POLL_USEC 20
#define BUSY_POLL_BUDGET 64

struct wc_xq {
	struct xsk_ring_cons rx;
	struct xsk_ring_prod fq;
	struct xsk_ring_cons cq;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	void *area;
	size_t area_size;
	int fd;
	int busy_poll;
	unsigned n_held;
	uint64_t received; /* written by the worker, read by stats() */
	uint64_t held[HOLD_MAX];
	uint8_t *arena;
	/* setup facts (open/close only) */
	unsigned iface;
	uint32_t qid;
	int zc, sg, huge;
} __attribute__((aligned(64)));

struct wc_iface {
	char name[IF_NAMESIZE];
	int ifindex;
	int mirror;
	/* where XDP and the sockets sit: name itself, or the private wcm..b */
	char cap_name[IF_NAMESIZE];
	int cap_ifindex;
	char mir_a[IF_NAMESIZE], mir_b[IF_NAMESIZE];
	int veth_created;
	int qdisc_created;
	int tc_ingress, tc_egress;
	char state_file[96];
	char why[96];
	int state_written;
	struct xdp_program *prog;
	enum xdp_attach_mode mode;
	int attached;
	int xsks_map_fd, counters_fd;
	unsigned n_queues;
};

struct wc_capture {
	unsigned n_ifaces;
	struct wc_iface ifc[MAX_IFACES];
	unsigned n_q;
	struct wc_xq *q;
	int ncpus;
};

/* ---------- messages ---------- */

static int debug_on(void)
{
	static int v = -1;
	if (v < 0) {
		const char *e = getenv("WIRECHECK_DEBUG");
		v = e && *e && strcmp(e, "0") != 0;
	}
	return v;
}

/* libbpf and libxdp talk only when asked to (WIRECHECK_DEBUG=1): the
 * dispatcher probe of libxdp, for one, warns on kernels where it cannot
 * load before falling back to a single program, which is what we use. */
static int lib_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!debug_on() || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	if (!debug_on() || level == LIBXDP_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("wirecheck: afxdp: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* ---------- small system helpers ---------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int r = n == (ssize_t)strlen(text) ? 0 : -errno;
	close(fd);
	return r;
}

static int path_exists(const char *fmt, const char *name)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof(p), fmt, name);
	return stat(p, &st) == 0;
}

static long read_long(const char *fmt, const char *name)
{
	char p[256], buf[64];
	snprintf(p, sizeof(p), fmt, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

static int if_set_up(const char *name, int noarp)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	int r = ioctl(s, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (noarp)
			ifr.ifr_flags |= IFF_NOARP;
		ifr.ifr_flags &= ~IFF_MULTICAST;
		r = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	r = r ? -errno : 0;
	close(s);
	return r;
}

static int if_mtu(const char *name)
{
	long v = read_long("/sys/class/net/%s/mtu", name);
	return v > 0 ? (int)v : 1500;
}

/* RX queues: ETHTOOL_GCHANNELS (combined + rx-only), else the count the
 * stack shows in /sys/class/net/IF/queues, else 1. */
static unsigned if_rx_queues(const char *name)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr;
	unsigned n = 0;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0) {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_data = (void *)&ch;
		if (ioctl(s, SIOCETHTOOL, &ifr) == 0)
			n = ch.combined_count + ch.rx_count;
		close(s);
	}
	if (n == 0) {
		char p[128];
		for (unsigned i = 0; i < WC_XDP_MAX_QUEUES; i++) {
			snprintf(p, sizeof(p), "/sys/class/net/%s/queues/rx-%u", name, i);
			if (access(p, F_OK) != 0)
				break;
			n = i + 1;
		}
	}
	return n ? n : 1;
}

/* Does IFACE carry host traffic (so that redirecting would steal it)? */
static int carries_host_traffic(const char *name, char *why, size_t wlen)
{
	struct ifaddrs *ifa0, *ifa;
	int found = 0;
	if (getifaddrs(&ifa0) == 0) {
		for (ifa = ifa0; ifa && !found; ifa = ifa->ifa_next) {
			if (!ifa->ifa_addr || strcmp(ifa->ifa_name, name) != 0)
				continue;
			if (ifa->ifa_addr->sa_family == AF_INET) {
				found = 1;
				snprintf(why, wlen, "has an IPv4 address");
			} else if (ifa->ifa_addr->sa_family == AF_INET6) {
				const struct sockaddr_in6 *s6 = (const void *)ifa->ifa_addr;
				if (!IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr)) {
					found = 1;
					snprintf(why, wlen, "has an IPv6 address");
				}
			}
		}
		freeifaddrs(ifa0);
	}
	if (found)
		return 1;
	if (path_exists("/sys/class/net/%s/master", name)) {
		snprintf(why, wlen, "is enslaved (bridge/bond port)");
		return 1;
	}
	if (path_exists("/sys/class/net/%s/bridge", name) ||
	    path_exists("/sys/class/net/%s/bonding", name)) {
		snprintf(why, wlen, "is a bridge or bond");
		return 1;
	}
	/* upper devices (VLAN, macvlan, ...) show as upper_<dev> links */
	char p[128];
	snprintf(p, sizeof(p), "/sys/class/net/%s", name);
	DIR *d = opendir(p);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL)
			if (strncmp(de->d_name, "upper_", 6) == 0) {
				snprintf(why, wlen, "has an upper device (%.40s)", de->d_name + 6);
				found = 1;
				break;
			}
		closedir(d);
	}
	return found;
}

/* ---------- rtnetlink: the private veth pair, tc filter dumps ---------- */

struct nl_msg {
	_Alignas(8) char buf[1024];
};

static struct rtattr *nla_put(struct nlmsghdr *n, int type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(n->nlmsg_len);
	size_t rl = RTA_LENGTH(len);
	if (off + RTA_ALIGN(rl) > sizeof(struct nl_msg))
		return NULL;
	struct rtattr *rta = (struct rtattr *)((char *)n + off);
	rta->rta_type = (unsigned short)type;
	rta->rta_len = (unsigned short)rl;
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = (uint32_t)(off + RTA_ALIGN(rl));
	return rta;
}

static void nla_end(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (unsigned short)((char *)n + n->nlmsg_len - (char *)nest);
}

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Send one request; with count != NULL it is a dump and *count receives
 * the number of reply messages of type count_type; else wait for the ACK.
 * Returns 0 or -errno from the kernel. */
static int nl_talk(struct nlmsghdr *n, int count_type, unsigned *count)
{
	static uint32_t seq;
	char rbuf[16384];
	int fd = nl_open();
	if (fd < 0)
		return fd;
	n->nlmsg_seq = ++seq;
	n->nlmsg_flags |= NLM_F_REQUEST | (count ? NLM_F_DUMP : NLM_F_ACK);
	int ret = -EIO;
	if (send(fd, n, n->nlmsg_len, 0) != (ssize_t)n->nlmsg_len) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t len = recv(fd, rbuf, sizeof(rbuf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)rbuf; NLMSG_OK(h, (size_t)len);
		     h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != n->nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				ret = e->error;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				ret = 0;
				goto out;
			}
			if (count && h->nlmsg_type == count_type)
				(*count)++;
		}
	}
out:
	close(fd);
	return ret;
}

static int veth_create(const char *a, const char *b, int mtu)
{
	struct nl_msg m;
	memset(&m, 0, sizeof(m));
	struct nlmsghdr *n = (struct nlmsghdr *)m.buf;
	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_NEWLINK;
	n->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	ifi->ifi_family = AF_UNSPEC;
	uint32_t one = 1, umtu = (uint32_t)mtu;
	nla_put(n, IFLA_IFNAME, a, strlen(a) + 1);
	nla_put(n, IFLA_MTU, &umtu, sizeof(umtu));
	nla_put(n, IFLA_NUM_TX_QUEUES, &one, sizeof(one));
	nla_put(n, IFLA_NUM_RX_QUEUES, &one, sizeof(one));
	struct rtattr *li = nla_put(n, IFLA_LINKINFO, NULL, 0);
	nla_put(n, IFLA_INFO_KIND, "veth", 4);
	struct rtattr *data = nla_put(n, IFLA_INFO_DATA, NULL, 0);
	struct rtattr *peer = nla_put(n, VETH_INFO_PEER, NULL, 0);
	if (!peer)
		return -ENOBUFS;
	/* the peer's payload is an ifinfomsg followed by its attributes */
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + (uint32_t)NLMSG_ALIGN(sizeof(struct ifinfomsg));
	nla_put(n, IFLA_IFNAME, b, strlen(b) + 1);
	nla_put(n, IFLA_MTU, &umtu, sizeof(umtu));
	nla_put(n, IFLA_NUM_TX_QUEUES, &one, sizeof(one));
	if (!nla_put(n, IFLA_NUM_RX_QUEUES, &one, sizeof(one)))
		return -ENOBUFS;
	nla_end(n, peer);
	nla_end(n, data);
	nla_end(n, li);
	return nl_talk(n, 0, NULL);
}

static int link_delete(int ifindex)
{
	struct nl_msg m;
	memset(&m, 0, sizeof(m));
	struct nlmsghdr *n = (struct nlmsghdr *)m.buf;
	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	n->nlmsg_type = RTM_DELLINK;
	struct ifinfomsg *ifi = NLMSG_DATA(n);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nl_talk(n, 0, NULL);
}

/* Filters on one clsact hook (ours included), or -errno. */
static int tc_count_filters(int ifindex, uint32_t parent)
{
	struct nl_msg m;
	unsigned count = 0;
	memset(&m, 0, sizeof(m));
	struct nlmsghdr *n = (struct nlmsghdr *)m.buf;
	n->nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg));
	n->nlmsg_type = RTM_GETTFILTER;
	struct tcmsg *t = NLMSG_DATA(n);
	t->tcm_family = AF_UNSPEC;
	t->tcm_ifindex = ifindex;
	t->tcm_parent = parent;
	int r = nl_talk(n, RTM_NEWTFILTER, &count);
	return r < 0 ? r : (int)count;
}

/* ---------- tc: the mirror filters ---------- */

static int prog_name_by_id(uint32_t id, char *name, size_t len)
{
	struct bpf_prog_info info;
	uint32_t ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof(info));
	int r = bpf_obj_get_info_by_fd(fd, &info, &ilen);
	close(fd);
	if (r)
		return r;
	snprintf(name, len, "%s", info.name);
	return 0;
}

static uint32_t clsact_parent(enum bpf_tc_attach_point p)
{
	return TC_H_MAKE(TC_H_CLSACT, p == BPF_TC_INGRESS ? TC_H_MIN_INGRESS : TC_H_MIN_EGRESS);
}

/* Remove our filter from one hook: 1 removed, 0 none there, -errno when
 * the handle/priority holds somebody else's program. */
static int tc_remove_ours(int ifindex, enum bpf_tc_attach_point p, const char *ifname,
			  char *err, unsigned errlen)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = p);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIO);
	if (bpf_tc_query(&hook, &opts) != 0)
		return 0; /* no clsact, or no such filter */
	char name[32] = "";
	prog_name_by_id(opts.prog_id, name, sizeof(name));
	if (strcmp(name, WC_TC_PROG_NAME) != 0) {
		snprintf(err, errlen, "%s: tc filter handle 0x%x pref %u (%s) runs '%s', not "
			 "wirecheck's mirror: remove it or use another interface", ifname,
			 TC_HANDLE, TC_PRIO, p == BPF_TC_INGRESS ? "ingress" : "egress", name);
		return -EBUSY;
	}
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, del, .handle = TC_HANDLE, .priority = TC_PRIO);
	int r = bpf_tc_detach(&hook, &del);
	return r == 0 || r == -ENOENT ? 1 : r;
}

/* Delete the clsact qdisc when no filter is left on it. */
static void clsact_remove_if_empty(int ifindex)
{
	int in = tc_count_filters(ifindex, clsact_parent(BPF_TC_INGRESS));
	int eg = tc_count_filters(ifindex, clsact_parent(BPF_TC_EGRESS));
	if (in != 0 || eg != 0)
		return; /* somebody else's filters, or no clsact at all */
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	bpf_tc_hook_destroy(&hook);
}

static void state_path(struct wc_iface *f)
{
	struct stat st;
	unsigned long ns = stat("/proc/self/ns/net", &st) == 0 ? (unsigned long)st.st_ino : 0;
	snprintf(f->state_file, sizeof(f->state_file), STATE_DIR "/afxdp.%lu.%d", ns,
		 f->ifindex);
}

/* /run/wirecheck/afxdp.<netns inode>.<ifindex>: which process owns what we
 * put on the interface, and whether the clsact qdisc was ours. */
static void state_write(struct wc_iface *f)
{
	mkdir(STATE_DIR, 0700);
	int fd = open(f->state_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "pid=%ld\nqdisc=%d\nmirror=%d\n", (long)getpid(),
			 f->qdisc_created, f->mirror);
	if (write(fd, buf, (size_t)n) != n) {
		/* best effort: only the cleanup after a kill -9 reads it */
	}
	close(fd);
	f->state_written = 1;
}

/* Reads the state file: the qdisc flag, and the owner's pid if that
 * process is still a running wirecheck (else 0). */
static int state_read(struct wc_iface *f, long *live_pid)
{
	char buf[128] = "";
	*live_pid = 0;
	int fd = open(f->state_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	const char *p = strstr(buf, "pid=");
	long pid = p ? strtol(p + 4, NULL, 10) : 0;
	if (pid > 0 && pid != (long)getpid()) {
		char path[64], comm[32] = "";
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		int cfd = open(path, O_RDONLY | O_CLOEXEC);
		if (cfd >= 0) {
			ssize_t m = read(cfd, comm, sizeof(comm) - 1);
			close(cfd);
			if (m > 0 && !strncmp(comm, "wirecheck", 9) && strncmp(comm, "wirecheckctl", 12))
				*live_pid = pid;
		}
	}
	return strstr(buf, "qdisc=1") != NULL;
}

/* ---------- stale state of a killed run ---------- */

static int remove_stale(struct wc_iface *f, char *err, unsigned errlen)
{
	int r, removed = 0;
	char what[160] = "";
	long owner;
	int qdisc_ours = state_read(f, &owner);
	if (owner) {
		snprintf(err, errlen, "%s: already watched by wirecheck (pid %ld)", f->name, owner);
		return -EBUSY;
	}
	/* the private veth pair (either end: deleting one deletes both) */
	int idx = (int)if_nametoindex(f->mir_a);
	if (!idx)
		idx = (int)if_nametoindex(f->mir_b);
	if (idx && link_delete(idx) == 0) {
		removed++;
		snprintf(what, sizeof(what), "veth %s", f->mir_a);
	}
	/* our tc filters on IFACE */
	for (int p = 0; p < 2; p++) {
		r = tc_remove_ours(f->ifindex, p ? BPF_TC_EGRESS : BPF_TC_INGRESS, f->name,
				   err, errlen);
		if (r < 0)
			return r;
		if (r > 0) {
			removed++;
			size_t l = strlen(what);
			snprintf(what + l, sizeof(what) - l, "%stc filter (%s)", l ? ", " : "",
				 p ? "egress" : "ingress");
		}
	}
	if (qdisc_ours)
		clsact_remove_if_empty(f->ifindex);
	unlink(f->state_file);
	/* our XDP program on IFACE (a direct run killed) */
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(f->ifindex);
	if (mp && !libxdp_get_error(mp)) {
		if (xdp_multiprog__is_legacy(mp)) {
			struct xdp_program *p = xdp_multiprog__main_prog(mp);
			if (p && !strcmp(xdp_program__name(p), WC_XDP_PROG_NAME) &&
			    xdp_multiprog__detach(mp) == 0) {
				removed++;
				size_t l = strlen(what);
				snprintf(what + l, sizeof(what) - l, "%sXDP program", l ? ", " : "");
			}
		} else {
			enum xdp_attach_mode m = xdp_multiprog__attach_mode(mp);
			for (struct xdp_program *p = xdp_multiprog__next_prog(NULL, mp); p;
			     p = xdp_multiprog__next_prog(p, mp))
				if (!strcmp(xdp_program__name(p), WC_XDP_PROG_NAME) &&
				    xdp_program__detach(p, f->ifindex, m, 0) == 0) {
					removed++;
					size_t l = strlen(what);
					snprintf(what + l, sizeof(what) - l,
						 "%sXDP program (dispatcher)", l ? ", " : "");
					break;
				}
		}
		xdp_multiprog__close(mp);
	}
	if (removed)
		note("%s: removed what a killed run left behind: %s", f->name, what);
	return 0;
}

/* ---------- the XDP program ---------- */

static int parse_mgmt(const char *s, struct wc_xdp_cfg *cfg, char *err, unsigned errlen)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, (size_t)(e - s - 1));
		host[e - s - 1] = 0;
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			goto bad;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* bare IPv6 address */
		size_t l = c ? (size_t)(c - s) : strlen(s);
		if (l >= sizeof(host))
			goto bad;
		memcpy(host, s, l);
		host[l] = 0;
		if (c)
			port = c + 1;
	}
	if (inet_pton(AF_INET, host, &cfg->mgmt_v4) == 1)
		cfg->flags |= WC_XDP_CFG_MGMT_V4;
	else if (inet_pton(AF_INET6, host, cfg->mgmt_v6) == 1)
		cfg->flags |= WC_XDP_CFG_MGMT_V6;
	else
		goto bad;
	if (port) {
		char *end;
		long v = strtol(port, &end, 10);
		if (*end || v < 1 || v > 65535)
			goto bad;
		cfg->mgmt_port = htons((uint16_t)v);
	}
	return 0;
bad:
	snprintf(err, errlen, "option --mgmt '%s': expected ADDR, ADDR:PORT or "
		 "[ADDR6]:PORT", s);
	return -EINVAL;
}

static const char *mode_name(enum xdp_attach_mode m)
{
	return m == XDP_MODE_NATIVE ? "native" : m == XDP_MODE_SKB ? "skb" : "?";
}

static int attach_xdp(struct wc_iface *f, const struct wc_capture_args *a,
		      const struct wc_xdp_cfg *cfg, char *err, unsigned errlen)
{
	enum xdp_attach_mode order[2];
	unsigned n = 0;
	if (a->xdp_mode == WC_XDP_NATIVE)
		order[n++] = XDP_MODE_NATIVE;
	else if (a->xdp_mode == WC_XDP_SKB)
		order[n++] = XDP_MODE_SKB;
	else if (f->mirror) {
		/* see the top comment: native XDP on the private veth strips
		 * GSO from its peer, so super-frames would be segmented */
		order[n++] = XDP_MODE_SKB;
		order[n++] = XDP_MODE_NATIVE;
	} else {
		order[n++] = XDP_MODE_NATIVE;
		order[n++] = XDP_MODE_SKB;
	}
	int r = 0;
	char tried[240] = "";
	for (unsigned i = 0; i < n; i++) {
		struct wc_xdp_cfg mcfg = *cfg;
		if (f->mirror) {
			/* generic XDP: copies go into wcm..b's RX path; native
			 * XDP: out of wcm..a (see wirecheck_tc) */
			int skb = order[i] == XDP_MODE_SKB;
			mcfg.mirror_ifindex = if_nametoindex(skb ? f->mir_b : f->mir_a);
			mcfg.mirror_ingress = (uint32_t)skb;
		}
		DECLARE_LIBXDP_OPTS(xdp_program_opts, po, .open_filename = a->xdp_obj,
				    .prog_name = WC_XDP_PROG_NAME);
		struct xdp_program *p = xdp_program__create(&po);
		r = (int)libxdp_get_error(p);
		if (r || !p) {
			r = r ? r : -ENOENT;
			snprintf(err, errlen, "cannot open the XDP object %s: %s (build it: "
				 "meson compile -C build; or give --xdp-obj FILE)",
				 a->xdp_obj ? a->xdp_obj : "(none)", strerror(-r));
			return r;
		}
		struct bpf_object *obj = xdp_program__bpf_obj(p);
		if ((r = wc_xdp_cfg_set(obj, &mcfg)) != 0) {
			xdp_program__close(p);
			snprintf(err, errlen, "%s: no '%s' configuration in %s (stale object?)",
				 f->name, WC_XDP_CFG_VAR, a->xdp_obj);
			return r;
		}
		r = xdp_program__attach(p, f->cap_ifindex, order[i], 0);
		if (r == 0) {
			f->prog = p;
			f->mode = order[i];
			f->attached = 1;
			f->xsks_map_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, WC_XDP_XSKMAP_NAME));
			f->counters_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, WC_XDP_COUNTERS_NAME));
			if (f->xsks_map_fd < 0 || f->counters_fd < 0) {
				snprintf(err, errlen, "%s: the XDP object has no %s/%s map",
					 f->name, WC_XDP_XSKMAP_NAME, WC_XDP_COUNTERS_NAME);
				return -ENOENT;
			}
			return 0;
		}
		xdp_program__close(p);
		size_t l = strlen(tried);
		snprintf(tried + l, sizeof(tried) - l, "%s%s mode: %s", l ? "; " : "",
			 mode_name(order[i]), strerror(-r));
	}
	if (r == -EEXIST || r == -EBUSY) {
		char name[32] = "?";
		struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(f->cap_ifindex);
		if (mp && !libxdp_get_error(mp)) {
			struct xdp_program *mainp = xdp_multiprog__main_prog(mp);
			if (mainp)
				snprintf(name, sizeof(name), "%s", xdp_program__name(mainp));
			xdp_multiprog__close(mp);
		}
		snprintf(err, errlen, "%s: has an XDP program already ('%s'), not "
			 "wirecheck's: detach it first (xdp-loader unload %s --all)",
			 f->cap_name, name, f->cap_name);
		return r;
	}
	snprintf(err, errlen, "%s: cannot attach the XDP program (%s)%s", f->cap_name, tried,
		 r == -EPERM ? ": needs root (CAP_NET_ADMIN, CAP_BPF)" : "");
	return r;
}

/* ---------- mirror attach ---------- */

static int setup_mirror(struct wc_iface *f, char *err, unsigned errlen)
{
	int mtu = 65535, r;
	r = veth_create(f->mir_a, f->mir_b, mtu);
	if (r == -EINVAL) { /* a kernel with a lower veth max MTU */
		mtu = if_mtu(f->name) > 1500 ? if_mtu(f->name) : 1500;
		r = veth_create(f->mir_a, f->mir_b, mtu);
	}
	if (r) {
		snprintf(err, errlen, "%s: cannot create the private veth pair %s/%s: %s%s",
			 f->name, f->mir_a, f->mir_b, strerror(-r),
			 r == -EPERM ? " (needs root: CAP_NET_ADMIN)" : "");
		return r;
	}
	f->veth_created = 1;
	/* no stack on either end: no IPv6 (no link-local, DAD, RS), no ARP */
	char p[128];
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
			 i ? f->mir_b : f->mir_a);
		if (access(p, F_OK) == 0)
			write_file(p, "1\n");
	}
	if ((r = if_set_up(f->mir_b, 1)) != 0 || (r = if_set_up(f->mir_a, 1)) != 0) {
		snprintf(err, errlen, "%s: cannot bring %s/%s up: %s", f->name, f->mir_a,
			 f->mir_b, strerror(-r));
		return r;
	}
	f->cap_ifindex = (int)if_nametoindex(f->mir_b);
	memcpy(f->cap_name, f->mir_b, sizeof(f->cap_name)); /* same size */
	if (!f->cap_ifindex) {
		snprintf(err, errlen, "%s: %s vanished", f->name, f->mir_b);
		return -ENODEV;
	}
	return 0;
}

/* The tc half, last: copies flow only once the sockets are there. */
static int attach_mirror_tc(struct wc_iface *f, char *err, unsigned errlen)
{
	struct bpf_object *obj = xdp_program__bpf_obj(f->prog);
	struct bpf_program *tp = bpf_object__find_program_by_name(obj, WC_TC_PROG_NAME);
	int fd = tp ? bpf_program__fd(tp) : -ENOENT;
	if (fd < 0) {
		snprintf(err, errlen, "%s: the XDP object has no loaded %s program", f->name,
			 WC_TC_PROG_NAME);
		return -ENOENT;
	}
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = f->ifindex,
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int r = bpf_tc_hook_create(&hook);
	if (r == 0)
		f->qdisc_created = 1;
	else if (r != -EEXIST) {
		snprintf(err, errlen, "%s: cannot add a clsact qdisc: %s%s", f->name,
			 strerror(-r), r == -EINVAL || r == -EOPNOTSUPP ?
			 " (an 'ingress' qdisc is in the way?)" : "");
		return r;
	}
	state_write(f);
	for (int p = 0; p < 2; p++) {
		hook.attach_point = p ? BPF_TC_EGRESS : BPF_TC_INGRESS;
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = TC_HANDLE, .priority = TC_PRIO,
				    .prog_fd = fd);
		r = bpf_tc_attach(&hook, &opts);
		if (r) {
			snprintf(err, errlen, "%s: cannot attach the tc mirror (%s, handle 0x%x "
				 "pref %u): %s", f->name, p ? "egress" : "ingress", TC_HANDLE,
				 TC_PRIO, strerror(-r));
			return r;
		}
		if (p)
			f->tc_egress = 1;
		else
			f->tc_ingress = 1;
	}
	return 0;
}

/* ---------- sockets ---------- */

static void *umem_area(size_t size, int *huge)
{
	void *p = MAP_FAILED;
	/* hugepages when the pool has room (the mmap reserves them, so it
	 * fails here, not with SIGBUS later) */
	if (size % (2u << 20) == 0)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	*huge = p != MAP_FAILED;
	if (p == MAP_FAILED)
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/* The UMEM is pinned (XDP_UMEM_REG): a fork() (wirecheck starts its
	 * control plane) would copy pinned pages eagerly into the child, and
	 * with hugepages fail with ENOMEM once the pool is used up. The child
	 * never needs it. */
	madvise(p, size, MADV_DONTFORK);
	return p;
}

static uint32_t pow2_at_least(uint32_t v, uint32_t min)
{
	uint32_t p = min;
	while (p < v && p < (1u << 20))
		p <<= 1;
	return p;
}

struct xsk_try {
	uint16_t flags;
	int zc, sg;
};

/* Try the bind modes in order (zero-copy first when possible, with and
 * without multi-buffer); returns 0 or the last error. */
static int socket_try_modes(struct wc_xq *x, const struct wc_iface *f,
			    const struct xsk_try *tries, unsigned nt, uint32_t frames)
{
	int r = -EOPNOTSUPP;
	for (unsigned i = 0; i < nt; i++) {
		struct xsk_umem_config ucfg = {
			.fill_size = frames,
			.comp_size = 64,
			.frame_size = FRAME_SIZE,
			.frame_headroom = 0,
			.flags = 0,
		};
		r = xsk_umem__create(&x->umem, x->area, x->area_size, &x->fq, &x->cq, &ucfg);
		if (r) {
			x->umem = NULL;
			return r;
		}
		struct xsk_socket_config scfg = {
			.rx_size = frames,
			.tx_size = 0,
			.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
			.xdp_flags = 0,
			.bind_flags = tries[i].flags,
		};
		r = xsk_socket__create(&x->xsk, f->cap_name, x->qid, x->umem, &x->rx, NULL, &scfg);
		if (r == 0) {
			x->zc = tries[i].zc;
			x->sg = tries[i].sg;
			return 0;
		}
		x->xsk = NULL;
		xsk_umem__delete(x->umem); /* a fresh UMEM for the next try */
		x->umem = NULL;
	}
	return r;
}

static int socket_create(struct wc_capture *c, struct wc_xq *x, const struct wc_capture_args *a,
			 char *err, unsigned errlen)
{
	struct wc_iface *f = &c->ifc[x->iface];
	uint32_t frames = pow2_at_least(a->frame_count ? a->frame_count : 4096, 64);
	x->area_size = (size_t)frames * FRAME_SIZE;
	x->area = umem_area(x->area_size, &x->huge);
	if (!x->area) {
		snprintf(err, errlen, "%s queue %u: cannot map %zu bytes of UMEM", f->name,
			 x->qid, x->area_size);
		return -ENOMEM;
	}
	x->arena = malloc(ARENA_SIZE);
	if (!x->arena)
		return -ENOMEM;
	struct xsk_try tries[4];
	unsigned nt = 0;
	const uint16_t nw = XDP_USE_NEED_WAKEUP;
	/* zero-copy needs driver support; generic XDP never has it */
	int zc_possible = f->mode == XDP_MODE_NATIVE && a->zero_copy != 0;
	if (zc_possible) {
		tries[nt++] = (struct xsk_try){XDP_ZEROCOPY | nw | XDP_USE_SG, 1, 1};
		tries[nt++] = (struct xsk_try){XDP_ZEROCOPY | nw, 1, 0};
	}
	if (a->zero_copy != 1) {
		tries[nt++] = (struct xsk_try){XDP_COPY | nw | XDP_USE_SG, 0, 1};
		tries[nt++] = (struct xsk_try){XDP_COPY | nw, 0, 0};
	}
	/* A socket of a run killed a moment ago is released by the kernel
	 * asynchronously: its queue answers EBUSY for a short while. */
	int r = socket_try_modes(x, f, tries, nt, frames);
	for (unsigned attempt = 1; r == -EBUSY && attempt < 20; attempt++) {
		struct timespec nap = {0, 100 * 1000 * 1000};
		nanosleep(&nap, NULL);
		r = socket_try_modes(x, f, tries, nt, frames);
	}
	if (r) {
		snprintf(err, errlen, "%s queue %u: cannot create the AF_XDP socket%s: %s%s",
			 f->cap_name, x->qid, a->zero_copy == 1 ? " in zero-copy mode" : "",
			 strerror(-r), r == -EPERM ? " (needs root)" : "");
		return r;
	}
	x->fd = xsk_socket__fd(x->xsk);
	/* every frame to the fill ring */
	uint32_t idx;
	if (xsk_ring_prod__reserve(&x->fq, frames, &idx) != frames) {
		snprintf(err, errlen, "%s queue %u: fill ring smaller than the UMEM", f->name,
			 x->qid);
		return -ENOSPC;
	}
	for (uint32_t i = 0; i < frames; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = (uint64_t)i * FRAME_SIZE;
	xsk_ring_prod__submit(&x->fq, frames);
	if (a->busy_poll) {
		int one = 1, usec = BUSY_POLL_USEC, budget = BUSY_POLL_BUDGET;
		if (setsockopt(x->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one, sizeof(one)) ||
		    setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof(usec)) ||
		    setsockopt(x->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget, sizeof(budget))) {
			r = -errno;
			snprintf(err, errlen, "%s queue %u: busy-poll socket options: %s", f->name,
				 x->qid, strerror(-r));
			return r;
		}
		x->busy_poll = 1;
	}
	r = xsk_socket__update_xskmap(x->xsk, f->xsks_map_fd);
	if (r) {
		snprintf(err, errlen, "%s queue %u: cannot insert the socket into %s: %s",
			 f->name, x->qid, WC_XDP_XSKMAP_NAME, strerror(-r));
		return r;
	}
	return 0;
}

/* ---------- ops ---------- */

static int afxdp_stats(struct wc_capture *c, struct wc_capture_stats *st);

static void afxdp_close(struct wc_capture *c)
{
	if (!c)
		return;
	struct wc_capture_stats st;
	if (debug_on() && c->q && afxdp_stats(c, &st) == 0)
		note("final: received %llu, dropped %llu, fill ring empty %llu; XDP seen %llu, "
		     "redirected %llu, passed %llu, no socket %llu",
		     (unsigned long long)st.received, (unsigned long long)st.dropped,
		     (unsigned long long)st.fill_empty, (unsigned long long)st.xdp_seen,
		     (unsigned long long)st.xdp_redirected, (unsigned long long)st.xdp_passed,
		     (unsigned long long)st.xdp_no_socket);
	/* the mirror first: no copy in flight once the sockets go */
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		struct wc_iface *f = &c->ifc[i];
		char ignore[160];
		if (f->tc_ingress || f->tc_egress) {
			tc_remove_ours(f->ifindex, BPF_TC_INGRESS, f->name, ignore, sizeof(ignore));
			tc_remove_ours(f->ifindex, BPF_TC_EGRESS, f->name, ignore, sizeof(ignore));
		}
		f->tc_ingress = f->tc_egress = 0;
		if (f->qdisc_created)
			clsact_remove_if_empty(f->ifindex);
		f->qdisc_created = 0;
	}
	for (unsigned i = 0; c->q && i < c->n_q; i++) {
		struct wc_xq *x = &c->q[i];
		if (x->xsk)
			xsk_socket__delete(x->xsk); /* also leaves the XSKMAP */
		x->xsk = NULL;
		if (x->umem)
			xsk_umem__delete(x->umem);
		x->umem = NULL;
		if (x->area)
			munmap(x->area, x->area_size);
		x->area = NULL;
		free(x->arena);
		x->arena = NULL;
	}
	free(c->q);
	c->q = NULL;
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		struct wc_iface *f = &c->ifc[i];
		if (f->prog) {
			if (f->attached)
				xdp_program__detach(f->prog, f->cap_ifindex, f->mode, 0);
			xdp_program__close(f->prog);
		}
		f->prog = NULL;
		f->attached = 0;
		if (f->veth_created) {
			int idx = (int)if_nametoindex(f->mir_a);
			if (idx)
				link_delete(idx);
		}
		f->veth_created = 0;
		if (f->state_written)
			unlink(f->state_file);
		f->state_written = 0;
	}
	free(c);
}

static int afxdp_open(struct wc_capture **out, const struct wc_capture_args *a, char *err,
		      unsigned errlen)
{
	struct wc_xdp_cfg cfg = {.miss_action = XDP_PASS};
	int r;

	libbpf_set_print(lib_print);
	libxdp_set_print(xdp_print);
	if (!a->source || !*a->source) {
		snprintf(err, errlen, "no interface given");
		return -EINVAL;
	}
	int force = a->xdp_attach; /* --xdp-attach: 1 direct, 2 mirror */
	if (force < 0 || force > 2) {
		snprintf(err, errlen, "option --xdp-attach: not one of auto, direct, mirror");
		return -EINVAL;
	}
	if (a->mgmt && *a->mgmt && (r = parse_mgmt(a->mgmt, &cfg, err, errlen)) != 0)
		return r;

	struct wc_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ncpus = libbpf_num_possible_cpus();
	if (c->ncpus <= 0)
		c->ncpus = 1;

	/* interfaces */
	char list[512];
	snprintf(list, sizeof(list), "%s", a->source);
	char *save = NULL;
	for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (c->n_ifaces == MAX_IFACES) {
			snprintf(err, errlen, "at most %d interfaces", MAX_IFACES);
			r = -EINVAL;
			goto fail;
		}
		struct wc_iface *f = &c->ifc[c->n_ifaces];
		if (strlen(tok) >= IF_NAMESIZE || !(f->ifindex = (int)if_nametoindex(tok))) {
			snprintf(err, errlen, "no such interface '%s'", tok);
			r = -EINVAL;
			goto fail;
		}
		for (unsigned j = 0; j < c->n_ifaces; j++)
			if (c->ifc[j].ifindex == f->ifindex) {
				snprintf(err, errlen, "interface '%s' given twice", tok);
				r = -EINVAL;
				goto fail;
			}
		/* Ethernet framing only (the link type we announce); loopback
		 * (772) carries a zeroed Ethernet header too. L3 devices (tun,
		 * wireguard: no MAC header) cannot be mirrored or decoded. */
		long type = read_long("/sys/class/net/%s/type", tok);
		if (type != 1 && type != 772) {
			snprintf(err, errlen, "'%s' is not an Ethernet interface (ARPHRD %ld): the "
				 "afxdp backend captures Ethernet frames only", tok, type);
			r = -EINVAL;
			goto fail;
		}
		snprintf(f->name, sizeof(f->name), "%s", tok);
		snprintf(f->mir_a, sizeof(f->mir_a), "wcm%da", f->ifindex);
		snprintf(f->mir_b, sizeof(f->mir_b), "wcm%db", f->ifindex);
		f->xsks_map_fd = f->counters_fd = -1;
		state_path(f);
		c->n_ifaces++;
	}
	if (geteuid() != 0)
		note("not running as root: attaching XDP needs CAP_NET_ADMIN, CAP_BPF and "
		     "CAP_SYS_ADMIN-equivalent rights");

	/* per interface: stale state, attachment, program */
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		struct wc_iface *f = &c->ifc[i];
		char why[96] = "forced by --xdp-attach";
		if ((r = remove_stale(f, err, errlen)) != 0)
			goto fail;
		f->mirror = force == 2 || (force == 0 && carries_host_traffic(f->name, why, sizeof(why)));
		struct wc_xdp_cfg icfg = cfg;
		if (f->mirror) {
			if ((r = setup_mirror(f, err, errlen)) != 0)
				goto fail;
			icfg.miss_action = XDP_DROP; /* copies never reach a stack */
			icfg.flags = 0;               /* nothing to pass: all copies */
		} else {
			memcpy(f->cap_name, f->name, sizeof(f->cap_name)); /* same size */
			f->cap_ifindex = f->ifindex;
		}
		if ((r = attach_xdp(f, a, &icfg, err, errlen)) != 0)
			goto fail;
		state_write(f); /* rewritten once the qdisc is known (mirror) */
		unsigned avail = f->mirror ? 1 : if_rx_queues(f->name);
		if (avail > WC_XDP_MAX_QUEUES)
			avail = WC_XDP_MAX_QUEUES;
		f->n_queues = avail;
		if (a->n_queues && !f->mirror) {
			if (a->n_queues > avail) {
				snprintf(err, errlen, "option --queues: %s has %u RX queue%s, %u "
					 "asked", f->name, avail, avail == 1 ? "" : "s", a->n_queues);
				r = -EINVAL;
				goto fail;
			}
			f->n_queues = a->n_queues;
		}
		snprintf(f->why, sizeof(f->why), "%s", why);
		c->n_q += f->n_queues;
	}
	if (c->n_q > WC_MAX_WORKERS) {
		snprintf(err, errlen, "%u queues in all: at most %d (use --queues)", c->n_q,
			 WC_MAX_WORKERS);
		r = -EINVAL;
		goto fail;
	}

	/* sockets, one per (interface, queue) */
	c->q = aligned_alloc(64, sizeof(*c->q) * c->n_q);
	if (!c->q) {
		r = -ENOMEM;
		goto fail;
	}
	memset(c->q, 0, sizeof(*c->q) * c->n_q);
	unsigned n = 0;
	for (unsigned i = 0; i < c->n_ifaces; i++)
		for (unsigned q = 0; q < c->ifc[i].n_queues; q++, n++) {
			c->q[n].iface = i;
			c->q[n].qid = q;
			c->q[n].fd = -1;
		}
	for (unsigned i = 0; i < c->n_q; i++)
		if ((r = socket_create(c, &c->q[i], a, err, errlen)) != 0)
			goto fail;
	for (unsigned i = 0; i < c->n_ifaces; i++)
		if (c->ifc[i].mirror && (r = attach_mirror_tc(&c->ifc[i], err, errlen)) != 0)
			goto fail;
	/* one line per interface: how it is watched (main prints the rest) */
	for (unsigned i = 0, qi = 0; i < c->n_ifaces; i++) {
		struct wc_iface *f = &c->ifc[i];
		int zc = c->q[qi].zc;
		qi += f->n_queues;
		if (f->mirror)
			note("%s %s: watching copies (tc clsact ingress+egress -> %s), XDP %s "
			     "mode, 1 queue, %s%s", f->name, f->why,
			     f->mode == XDP_MODE_SKB ? f->mir_b : f->mir_a, mode_name(f->mode),
			     zc ? "zero-copy" : "copy",
			     f->mode == XDP_MODE_NATIVE ? "; native XDP on a veth strips GSO from "
			     "its peer: super-frames are seen segmented" : "");
		else
			note("%s: direct attach (no host traffic on it: its frames go to the "
			     "probe only), XDP %s mode, %u queue%s, %s", f->name,
			     mode_name(f->mode), f->n_queues, f->n_queues == 1 ? "" : "s",
			     zc ? "zero-copy" : "copy");
	}
	if (debug_on())
		for (unsigned i = 0; i < c->n_q; i++)
			note("%s queue %u: %s%s, UMEM %zu KiB on %s pages",
			     c->ifc[c->q[i].iface].cap_name, c->q[i].qid,
			     c->q[i].zc ? "zero-copy" : "copy", c->q[i].sg ? "+sg" : "",
			     c->q[i].area_size >> 10, c->q[i].huge ? "huge" : "normal");
	*out = c;
	return 0;
fail:
	/* main prefixes the source ("eth0: ..."): with one interface, the
	 * interface name our message starts with would be said twice */
	if (c->n_ifaces == 1) {
		size_t l = strlen(c->ifc[0].name);
		if (!strncmp(err, c->ifc[0].name, l) && err[l] == ':' && err[l + 1] == ' ')
			memmove(err, err + l + 2, strlen(err + l + 2) + 1);
	}
	afxdp_close(c);
	return r;
}

/* Frames chained with XDP_PKT_CONTD (larger than a UMEM frame): copied
 * into the arena, up to what is left of it. */
static int afxdp_rx_burst(struct wc_capture *c, unsigned queue, struct wc_pkt_view *v,
			  unsigned max)
{
	struct wc_xq *x = &c->q[queue];
	uint32_t idx;
	unsigned room = HOLD_MAX - x->n_held;
	unsigned got = xsk_ring_cons__peek(&x->rx, room, &idx);
	if (got == 0) {
		if (x->busy_poll || xsk_ring_prod__needs_wakeup(&x->fq))
			recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
		return 0;
	}
	uint64_t ts = wc_clock_ns();
	uint8_t *umem = x->area;
	uint32_t arena_used = 0;
	unsigned n = 0, used = 0;
	while (n < max && used < got) {
		const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->rx, idx + used);
		struct wc_pkt_view *pv = &v[n];
		if (!(d->options & XDP_PKT_CONTD)) {
			x->held[x->n_held++] = d->addr;
			pv->data = umem + xsk_umem__add_offset_to_addr(d->addr);
			pv->caplen = pv->wirelen = d->len;
			used++;
		} else {
			/* the whole chain must be in the ring; the kernel publishes
			 * a frame's descriptors together, this is belt and braces */
			unsigned end = used;
			uint64_t total = 0;
			while (end < got) {
				const struct xdp_desc *e = xsk_ring_cons__rx_desc(&x->rx, idx + end);
				total += e->len;
				end++;
				if (!(e->options & XDP_PKT_CONTD))
					break;
			}
			const struct xdp_desc *last = xsk_ring_cons__rx_desc(&x->rx, idx + end - 1);
			if (last->options & XDP_PKT_CONTD)
				break; /* incomplete: next burst */
			uint32_t space = ARENA_SIZE - arena_used;
			if (total > space && n > 0)
				break; /* arena full: next burst */
			uint32_t cap = total < space ? (uint32_t)total : space;
			uint8_t *dst = x->arena + arena_used;
			uint32_t off = 0;
			for (unsigned k = used; k < end; k++) {
				const struct xdp_desc *e = xsk_ring_cons__rx_desc(&x->rx, idx + k);
				uint32_t l = e->len;
				if (off + l > cap)
					l = cap - off;
				memcpy(dst + off, umem + xsk_umem__add_offset_to_addr(e->addr), l);
				off += l;
				x->held[x->n_held++] = e->addr;
			}
			pv->data = dst;
			pv->caplen = cap;
			pv->wirelen = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
			arena_used += cap;
			used = end;
		}
		pv->ts_ns = ts;
		pv->frame_no = 0;
		pv->port = (uint16_t)x->iface;
		pv->queue = (uint16_t)x->qid;
		n++;
	}
	if (used < got)
		xsk_ring_cons__cancel(&x->rx, got - used);
	/* descriptors are copied out: the ring slots go back at once, the
	 * frames stay ours until release() */
	xsk_ring_cons__release(&x->rx, used);
	__atomic_store_n(&x->received, x->received + n, __ATOMIC_RELAXED);
	return (int)n;
}

static void afxdp_release(struct wc_capture *c, unsigned queue, struct wc_pkt_view *v,
			  unsigned n)
{
	(void)v, (void)n;
	struct wc_xq *x = &c->q[queue];
	uint32_t idx;
	if (!x->n_held)
		return;
	/* the fill ring has a slot for every UMEM frame: this never fails
	 * unless the kernel is behind; then the frames wait for next time */
	if (xsk_ring_prod__reserve(&x->fq, x->n_held, &idx) != x->n_held)
		return;
	for (unsigned i = 0; i < x->n_held; i++)
		*xsk_ring_prod__fill_addr(&x->fq, idx + i) = x->held[i];
	xsk_ring_prod__submit(&x->fq, x->n_held);
	x->n_held = 0;
	if (xsk_ring_prod__needs_wakeup(&x->fq))
		recvfrom(x->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

static int afxdp_stats(struct wc_capture *c, struct wc_capture_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; c->q && i < c->n_q; i++) {
		struct wc_xq *x = &c->q[i];
		st->received += __atomic_load_n(&x->received, __ATOMIC_RELAXED);
		struct xdp_statistics xs;
		socklen_t len = sizeof(xs);
		memset(&xs, 0, sizeof(xs));
		if (x->fd >= 0 && getsockopt(x->fd, SOL_XDP, XDP_STATISTICS, &xs, &len) == 0) {
			st->dropped += xs.rx_dropped + xs.rx_ring_full;
			st->fill_empty += xs.rx_fill_ring_empty_descs;
		}
	}
	struct wc_xdp_counters *pc = calloc((size_t)c->ncpus, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (unsigned i = 0; i < c->n_ifaces; i++) {
		struct wc_iface *f = &c->ifc[i];
		uint32_t key = 0;
		if (f->counters_fd < 0 || bpf_map_lookup_elem(f->counters_fd, &key, pc) != 0)
			continue;
		for (int k = 0; k < c->ncpus; k++) {
			st->xdp_seen += pc[k].seen;
			st->xdp_redirected += pc[k].redirected;
			st->xdp_passed += pc[k].passed;
			st->xdp_no_socket += pc[k].no_socket;
			/* the mirror lost these before XDP could see them */
			st->dropped += pc[k].mirror_failed;
		}
		if (f->mirror && f->mode == XDP_MODE_NATIVE) {
			/* copies sent out of wcm..a that its peer could not take
			 * (the RX path of the generic variant reports its drops
			 * to the tc program: mirror_failed) */
			long d = read_long("/sys/class/net/%s/statistics/tx_dropped", f->mir_a);
			if (d > 0)
				st->dropped += (uint64_t)d;
		}
	}
	free(pc);
	return 0;
}

static uint32_t afxdp_linktype(struct wc_capture *c)
{
	(void)c;
	return WC_DLT_EN10MB;
}

static unsigned afxdp_n_queues(struct wc_capture *c)
{
	return c->n_q;
}

static const char *afxdp_clock(struct wc_capture *c)
{
	(void)c;
	return "tsc-per-burst";
}

const struct wc_capture_ops wc_capture_afxdp = {
	.name = "afxdp",
	.open = afxdp_open,
	.rx_burst = afxdp_rx_burst,
	.release = afxdp_release,
	.stats = afxdp_stats,
	.linktype = afxdp_linktype,
	.n_queues = afxdp_n_queues,
	.clock = afxdp_clock,
	.close = afxdp_close,
};
