/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Live lab (scripts/lab.sh), incident 4: a VIP answered from the real
 * address. tc egress program for the server's veth: the SYN-ACKs the server
 * sends from the VIP (LAB_VIP:LAB_VIP_PORT) leave with the server's real
 * address (LAB_REAL) as source, IPv4 and TCP checksums updated (the TCP one
 * through the pseudo-header, which works whether the skb is still
 * CHECKSUM_PARTIAL or already summed). This is a DNAT whose return path
 * misses the NAT: the client sent its SYN to the VIP, gets a SYN-ACK from
 * an address it never called, resets it and tries again. wirecheck names it
 * synack_unexpected_source (expected_src VIP:port, actual_src REAL:port).
 * Every other packet, and the rest of such a connection, is left alone.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <stddef.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* 10.199.50.100:80 answered as 10.199.50.2 (the lab's addresses) */
#ifndef LAB_VIP
#define LAB_VIP 0x0ac73264
#endif
#ifndef LAB_REAL
#define LAB_REAL 0x0ac73202
#endif
#ifndef LAB_VIP_PORT
#define LAB_VIP_PORT 80
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 lab_rewritten = 0;

SEC("tc")
int lab_asym_nat(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct tcphdr th;
	__u32 ihl, l4;
	__be32 from = bpf_htonl(LAB_VIP), to = bpf_htonl(LAB_REAL);

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0)
		return TC_ACT_OK;
	if (ip.version != 4 || ip.protocol != IPPROTO_TCP || ip.saddr != from ||
	    (ip.frag_off & bpf_htons(0x3fff)))
		return TC_ACT_OK;
	ihl = ip.ihl * 4;
	if (ihl < 20)
		return TC_ACT_OK;
	l4 = ETH_HLEN + ihl;
	if (bpf_skb_load_bytes(skb, l4, &th, sizeof(th)) < 0)
		return TC_ACT_OK;
	if (th.source != bpf_htons(LAB_VIP_PORT) || !th.syn || !th.ack)
		return TC_ACT_OK;

	if (bpf_l4_csum_replace(skb, l4 + offsetof(struct tcphdr, check), from, to,
				BPF_F_PSEUDO_HDR | sizeof(to)) < 0)
		return TC_ACT_OK;
	if (bpf_l3_csum_replace(skb, ETH_HLEN + offsetof(struct iphdr, check), from, to,
				sizeof(to)) < 0)
		return TC_ACT_OK;
	if (bpf_skb_store_bytes(skb, ETH_HLEN + offsetof(struct iphdr, saddr), &to,
				sizeof(to), 0) < 0)
		return TC_ACT_OK;
	__sync_fetch_and_add(&lab_rewritten, 1);
	return TC_ACT_OK;
}
