/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * wirecheck's XDP program (SPEC §2): every frame of an RX queue goes to the
 * AF_XDP socket bound to that queue (XSKMAP keyed by rx_queue_index), with
 * per-CPU counters of what it saw, redirected, passed and dropped.
 *
 *  - Direct attach (a mirror/SPAN port): frames are redirected; with no
 *    socket on the queue they go on to the stack (miss_action XDP_PASS).
 *    Management traffic (an address and optional TCP port set by the
 *    loader) is always passed to the stack.
 *  - Mirror attach (an interface that carries host traffic): the loader
 *    puts wirecheck_tc on the watched interface's clsact ingress and
 *    egress hooks; it clones every skb to a private veth pair and lets the
 *    original continue untouched, and this XDP program runs on the private
 *    end, which only ever carries copies: those never reach a stack
 *    (miss_action XDP_DROP). See wirecheck_tc for the path the copies take.
 *
 * Declared frags-aware ("xdp.frags"): GSO super-frames and jumbo frames
 * arrive as multi-buffer xdp_buffs (native veth) or linear skbs larger than
 * a page (generic XDP); the program reads only the headers in the first
 * buffer, and the AF_XDP socket is bound with XDP_USE_SG so that the kernel
 * hands the whole frame over as a chain of descriptors instead of dropping
 * it. Configuration is read-only data (const volatile), fixed at load time.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "wirecheck_shared.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wc_xdp_counters);
} wc_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, WC_XDP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* Set by the loader before load (see struct wc_xdp_cfg). */
const volatile struct wc_xdp_cfg wc_cfg = {
	.miss_action = XDP_PASS,
};

/* Minimal header layouts (no vmlinux.h, no libc headers on the BPF side). */
struct wc_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct wc_ipv4_hdr {
	__u8 vihl;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__sum16 check;
	__be32 saddr;
	__be32 daddr;
};

struct wc_ipv6_hdr {
	__be32 vtc_flow;
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct wc_ports {
	__be16 source;
	__be16 dest;
};

static __always_inline int v6_eq(const __u8 *a, const volatile __u8 *b)
{
	int eq = 1;
#pragma unroll
	for (int i = 0; i < 16; i++)
		eq &= a[i] == b[i];
	return eq;
}

static __always_inline int port_match(void *l4, void *end)
{
	struct wc_ports *p = l4;
	if (!wc_cfg.mgmt_port)
		return 1;
	if ((void *)(p + 1) > end)
		return 0;
	return p->source == wc_cfg.mgmt_port || p->dest == wc_cfg.mgmt_port;
}

/* Management traffic: to or from the management address (and, when a
 * port is set, TCP with that source or destination port). Up to two VLAN
 * tags; IPv6 extension headers are not walked (TCP must follow directly). */
static __always_inline int is_mgmt(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end)
		return 0;
	__be16 proto = eth->h_proto;
	void *l3 = eth + 1;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		struct wc_vlan_hdr *vh = l3;
		if ((void *)(vh + 1) > end)
			return 0;
		proto = vh->proto;
		l3 = vh + 1;
	}
	if ((wc_cfg.flags & WC_XDP_CFG_MGMT_V4) && proto == bpf_htons(ETH_P_IP)) {
		struct wc_ipv4_hdr *ip = l3;
		if ((void *)(ip + 1) > end)
			return 0;
		if (ip->saddr != wc_cfg.mgmt_v4 && ip->daddr != wc_cfg.mgmt_v4)
			return 0;
		if (!wc_cfg.mgmt_port)
			return 1;
		if (ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(0x1fff)))
			return 0;
		__u32 ihl = (ip->vihl & 0xf) * 4u;
		if (ihl < sizeof(*ip))
			return 0;
		return port_match(l3 + ihl, end);
	}
	if ((wc_cfg.flags & WC_XDP_CFG_MGMT_V6) && proto == bpf_htons(ETH_P_IPV6)) {
		struct wc_ipv6_hdr *ip6 = l3;
		if ((void *)(ip6 + 1) > end)
			return 0;
		if (!v6_eq(ip6->saddr, wc_cfg.mgmt_v6) && !v6_eq(ip6->daddr, wc_cfg.mgmt_v6))
			return 0;
		if (!wc_cfg.mgmt_port)
			return 1;
		if (ip6->nexthdr != IPPROTO_TCP)
			return 0;
		return port_match(ip6 + 1, end);
	}
	return 0;
}

SEC("xdp.frags")
int wirecheck_xdp(struct xdp_md *ctx)
{
	__u32 key = 0;
	struct wc_xdp_counters *c = bpf_map_lookup_elem(&wc_counters, &key);
	if (!c)
		return XDP_PASS; /* cannot happen: array slot 0 always exists */
	c->seen++;

	if ((wc_cfg.flags & (WC_XDP_CFG_MGMT_V4 | WC_XDP_CFG_MGMT_V6)) && is_mgmt(ctx)) {
		c->mgmt++;
		c->passed++;
		return XDP_PASS;
	}
	__u32 miss = wc_cfg.miss_action == XDP_DROP ? XDP_DROP : XDP_PASS;
	__u32 q = ctx->rx_queue_index;
	if (!bpf_map_lookup_elem(&xsks_map, &q)) {
		c->no_socket++;
		if (miss == XDP_DROP)
			c->dropped++;
		else
			c->passed++;
		return miss;
	}
	long act = bpf_redirect_map(&xsks_map, q, miss);
	if (act == XDP_REDIRECT)
		c->redirected++;
	else if (act == XDP_DROP)
		c->dropped++;
	else
		c->passed++;
	return (int)act;
}

/* clsact ingress and egress of a watched interface that carries host
 * traffic: one clone per skb to the private veth, as the skb is at this
 * hook: GSO super-frames whole, checksums as the stack left them
 * (CHECKSUM_PARTIAL fields hold the pseudo-header sum). The original goes
 * on untouched; TC_ACT_UNSPEC lets any other filter on the hook decide as
 * if we were not there.
 *
 * Where the clone goes matters (verified on 6.18):
 *  - mirror_ingress: straight into the RX path of the private end
 *    (BPF_F_INGRESS -> dev_forward_skb -> netif_rx), where generic XDP
 *    runs. This path does not mark the skb as redirected, and nothing
 *    segments it. A clone sent out of a device instead (bpf_redirect
 *    without BPF_F_INGRESS, or tc mirred) is marked redirected, and
 *    generic XDP skips redirected skbs (netif_receive_generic_xdp).
 *  - else out of the first end, for native XDP on the second: veth runs
 *    native XDP on what its peer transmits, but a peer with XDP loses
 *    GSO, so super-frames get segmented in software on the way.
 * The clone's queue_mapping is cleared for the trip (the private end has
 * one RX queue; a stale recorded queue would land on a queue with no
 * socket and warn) and the original's is put back. */
SEC("tc")
int wirecheck_tc(struct __sk_buff *skb)
{
	__u32 key = 0;
	struct wc_xdp_counters *c = bpf_map_lookup_elem(&wc_counters, &key);
	if (!wc_cfg.mirror_ifindex)
		return TC_ACT_UNSPEC;
	__u32 qm = skb->queue_mapping;
	if (qm)
		skb->queue_mapping = 0;
	long r = bpf_clone_redirect(skb, wc_cfg.mirror_ifindex,
				    wc_cfg.mirror_ingress ? BPF_F_INGRESS : 0);
	if (qm)
		skb->queue_mapping = qm;
	if (c) {
		if (r == 0)
			c->mirror_copied++;
		else
			c->mirror_failed++;
	}
	return TC_ACT_UNSPEC;
}
