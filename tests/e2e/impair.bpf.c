/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Network impairments for tests/e2e/test_tcp_kernel.sh, which has no netem
 * (sch_netem is not in this kernel): each program drops or duplicates
 * IMPAIR_PER_MILLE of the TCP segments (IPv4 or IPv6) it sees, chosen with
 * bpf_get_prandom_u32(). SYNs are never touched (a lost SYN costs a 1 s
 * timeout and tests nothing here). Where each program runs decides what
 * the capture (tcpdump on the receiving veth) shows:
 *
 *   xdp/drop          XDP on the receiving veth, before the packet taps:
 *                     loss BEFORE the probe (it never sees the segment).
 *   tc/drop           tc ingress on the receiving veth, after the taps:
 *                     loss AFTER the probe (it saw the segment, the
 *                     receiver did not).
 *   tc/dup_late       tc ingress: a copy is re-injected into the same
 *                     ingress (BPF_F_INGRESS) and reaches the taps again
 *                     from the backlog, after newer segments: a late
 *                     duplicate, as a SPAN port or a bridge loop makes.
 *   tc/dup_wire       tc egress on the sending veth: both copies go on the
 *                     wire back to back.
 *   tc/ce             tc egress on the sending veth: CE ("congestion
 *                     experienced", RFC 3168) on CE_PER_MILLE of the
 *                     ECN-capable packets, as an AQM on the path marks
 *                     them: the receiver echoes ECE, the sender answers CWR.
 *
 * A copy carries skb->mark DUP_MARK so that it is not impaired again. No
 * vmlinux.h: UAPI headers, as xdp/wirecheck.bpf.c.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef IMPAIR_PER_MILLE
#define IMPAIR_PER_MILLE 20
#endif
#define DUP_MARK 0x5743
#define IP_PROTO_OFF (ETH_HLEN + 9)
#define TCP_FLAGS_OFF (ETH_HLEN + 20 + 13) /* IPv4 without options */
#define IP6_NEXT_OFF (ETH_HLEN + 6)
#define TCP6_FLAGS_OFF (ETH_HLEN + 40 + 13) /* IPv6 without extension headers */
#define TCP_SYN 0x02

/* tc/ce: its egress hook sees the stack's GSO packets (TCP builds them
 * whatever the device's offloads; they are cut into segments after the
 * qdisc), about 60 for a 2 MB transfer, and a mark lands on every segment
 * of one: at 2 % a run marked nothing one time in three. */
#define CE_PER_MILLE 200

static __always_inline int chosen_per_mille(__u32 n)
{
	return bpf_get_prandom_u32() % 1000 < n;
}

static __always_inline int chosen(void)
{
	return chosen_per_mille(IMPAIR_PER_MILLE);
}

/* a TCP segment that is not a SYN (IPv4 without options, IPv6 without
 * extension headers: what the tests send) */
static __always_inline int tcp_not_syn(struct __sk_buff *skb)
{
	__u8 vihl, proto, flags;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN, &vihl, 1) || vihl != 0x45 ||
		    bpf_skb_load_bytes(skb, IP_PROTO_OFF, &proto, 1) || proto != 6 ||
		    bpf_skb_load_bytes(skb, TCP_FLAGS_OFF, &flags, 1))
			return 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, IP6_NEXT_OFF, &proto, 1) || proto != 6 ||
		    bpf_skb_load_bytes(skb, TCP6_FLAGS_OFF, &flags, 1))
			return 0;
	} else {
		return 0;
	}
	return !(flags & TCP_SYN);
}

static __always_inline int dup(struct __sk_buff *skb, __u64 flags)
{
	if (skb->mark != DUP_MARK && tcp_not_syn(skb) && chosen()) {
		skb->mark = DUP_MARK;
		bpf_clone_redirect(skb, skb->ifindex, flags);
		skb->mark = 0;
	}
	return TC_ACT_OK;
}

SEC("tc/drop")
int impair_drop(struct __sk_buff *skb)
{
	return tcp_not_syn(skb) && chosen() ? TC_ACT_SHOT : TC_ACT_OK;
}

SEC("tc/dup_late")
int impair_dup_late(struct __sk_buff *skb)
{
	return dup(skb, BPF_F_INGRESS);
}

SEC("tc/dup_wire")
int impair_dup_wire(struct __sk_buff *skb)
{
	return dup(skb, 0);
}

SEC("tc/ce")
int impair_ce(struct __sk_buff *skb)
{
	__u8 w[2], v[2];
	if (bpf_skb_load_bytes(skb, ETH_HLEN, w, 2))
		return TC_ACT_OK;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		/* version/IHL and TOS: one word of the header checksum */
		if (!(w[1] & 3) || (w[1] & 3) == 3 || !chosen_per_mille(CE_PER_MILLE))
			return TC_ACT_OK; /* not ECN-capable, or already CE */
		v[0] = w[0];
		v[1] = w[1] | 3;
		__u16 from, to;
		__builtin_memcpy(&from, w, 2);
		__builtin_memcpy(&to, v, 2);
		bpf_l3_csum_replace(skb, ETH_HLEN + 10, from, to, 2);
		bpf_skb_store_bytes(skb, ETH_HLEN, v, 2, 0);
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		/* the traffic class's ECN bits are bits 4-5 of the second
		 * byte; no header checksum, and TCP's does not cover them */
		__u8 ecn = (w[1] >> 4) & 3;
		if (!ecn || ecn == 3 || !chosen_per_mille(CE_PER_MILLE))
			return TC_ACT_OK;
		v[1] = w[1] | 0x30;
		bpf_skb_store_bytes(skb, ETH_HLEN + 1, &v[1], 1, 0);
	}
	return TC_ACT_OK;
}

SEC("xdp/drop")
int impair_xdp_drop(struct xdp_md *ctx)
{
	const __u8 *d = (const void *)(long)ctx->data, *end = (const void *)(long)ctx->data_end;
	__u8 flags;
	if (d + ETH_HLEN > end)
		return XDP_PASS;
	if (d[12] == 0x08 && d[13] == 0x00) {
		if (d + TCP_FLAGS_OFF + 1 > end || d[ETH_HLEN] != 0x45 || d[IP_PROTO_OFF] != 6)
			return XDP_PASS;
		flags = d[TCP_FLAGS_OFF];
	} else if (d[12] == 0x86 && d[13] == 0xdd) {
		if (d + TCP6_FLAGS_OFF + 1 > end || d[IP6_NEXT_OFF] != 6)
			return XDP_PASS;
		flags = d[TCP6_FLAGS_OFF];
	} else {
		return XDP_PASS;
	}
	if (flags & TCP_SYN)
		return XDP_PASS;
	return chosen() ? XDP_DROP : XDP_PASS;
}

char _license[] SEC("license") = "Dual BSD/GPL";
