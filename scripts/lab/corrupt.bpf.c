/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/*
 * Live lab (scripts/lab.sh), incident 2: a sender whose TCP segments are
 * damaged on the way. tc egress program for the server's veth: one byte in
 * the middle of the payload of every LAB_EVERY_N-th IPv4 TCP segment that
 * carries new data from port LAB_PORT is flipped (xor 0xff), and the
 * checksum is left as it was for the original bytes, as a faulty NIC, vNIC
 * or hypervisor would after the sender computed it. The receiving kernel
 * drops the segment, the sender retransmits it intact: what wirecheck
 * reports as tcp_checksum_bad, then offload_corruption. Retransmissions
 * (data below the highest sequence already sent on the connection, kept
 * per client address and port) are never touched, and a connection has at
 * most one damaged segment outstanding: the next is damaged only once that
 * one was resent. So every damaged segment has its intact copy, and the
 * two counts match (wirecheck keeps one pending bad segment per flow
 * direction: a second one before the first's good copy would replace it).
 *
 * Where the checksum is computed. tc egress runs in __dev_queue_xmit before
 * validate_xmit_skb(), and TCP hands every segment down CHECKSUM_PARTIAL: at
 * this hook the checksum field still holds the pseudo-header sum, and the
 * kernel (the device has tx checksumming off: `ethtool -K tx off`) sums the
 * segment after us. Flipping a byte there alone would be covered by that
 * sum. So when the field is the pseudo-header sum, the program also moves
 * the field by the opposite of the byte's change: the sum the kernel then
 * computes is the checksum of the original bytes, which the segment on the
 * wire no longer holds. When the field is already a complete checksum (an
 * skb that is not CHECKSUM_PARTIAL), the byte is flipped and nothing else.
 * GSO super-skbs are left alone (the lab turns GSO off on the device).
 *
 * Counters (.bss): new-data segments seen from LAB_PORT, segments flipped.
 * No vmlinux.h: UAPI headers, as xdp/wirecheck.bpf.c.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef LAB_EVERY_N
#define LAB_EVERY_N 40
#endif
#ifndef LAB_PORT
#define LAB_PORT 8080
#endif

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 lab_segments = 0;
__u64 lab_flipped = 0;

struct lab_conn {
	__u32 snd_max;     /* highest sequence sent + 1 */
	__u32 flipped_seq; /* the damaged segment not yet resent */
	__u32 pending;     /* flipped_seq is valid */
};

/* (client address << 16 | client port) -> its state */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct lab_conn);
} lab_conns SEC(".maps");

static __always_inline __u32 fold16(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

SEC("tc")
int lab_corrupt(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct tcphdr th;
	__u32 l4, ihl, doff, tot, plen, off;
	__u8 b, nb;
	__u16 check;

	if (skb->protocol != bpf_htons(ETH_P_IP) || skb->gso_segs > 1)
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)) < 0)
		return TC_ACT_OK;
	if (ip.version != 4 || ip.protocol != IPPROTO_TCP ||
	    (ip.frag_off & bpf_htons(0x3fff)))
		return TC_ACT_OK;
	ihl = ip.ihl * 4;
	if (ihl < 20)
		return TC_ACT_OK;
	l4 = ETH_HLEN + ihl;
	if (bpf_skb_load_bytes(skb, l4, &th, sizeof(th)) < 0)
		return TC_ACT_OK;
	if (th.source != bpf_htons(LAB_PORT))
		return TC_ACT_OK;
	doff = th.doff * 4;
	tot = bpf_ntohs(ip.tot_len);
	if (doff < 20 || tot <= ihl + doff)
		return TC_ACT_OK;
	plen = tot - ihl - doff;

	/* new data only: a retransmission stays intact (and clears the
	 * pending damaged segment it carries) */
	__u64 key = ((__u64)bpf_ntohl(ip.daddr) << 16) | bpf_ntohs(th.dest);
	__u32 seq = bpf_ntohl(th.seq), end = seq + plen;
	struct lab_conn *c = bpf_map_lookup_elem(&lab_conns, &key);
	if (c && (__s32)(end - c->snd_max) <= 0) {
		if (c->pending && (__s32)(c->flipped_seq - seq) >= 0 &&
		    (__s32)(c->flipped_seq - end) < 0)
			c->pending = 0;
		return TC_ACT_OK;
	}
	if (!c) {
		struct lab_conn n = {.snd_max = end};
		bpf_map_update_elem(&lab_conns, &key, &n, BPF_ANY);
		c = bpf_map_lookup_elem(&lab_conns, &key);
		if (!c)
			return TC_ACT_OK;
	}
	c->snd_max = end;
	if (__sync_fetch_and_add(&lab_segments, 1) % LAB_EVERY_N != LAB_EVERY_N - 1 ||
	    c->pending)
		return TC_ACT_OK;

	/* an even offset from the TCP header: the high byte of a 16-bit word */
	off = l4 + doff + ((plen / 2) & ~1u);
	if (off > 0xffff || bpf_skb_load_bytes(skb, off, &b, 1) < 0)
		return TC_ACT_OK;
	nb = b ^ 0xff;
	if (bpf_skb_store_bytes(skb, off, &nb, 1, 0) < 0)
		return TC_ACT_OK;

	/* CHECKSUM_PARTIAL: the field is the folded pseudo-header sum */
	__u32 ps = (bpf_ntohl(ip.saddr) >> 16) + (bpf_ntohl(ip.saddr) & 0xffff) +
		   (bpf_ntohl(ip.daddr) >> 16) + (bpf_ntohl(ip.daddr) & 0xffff) +
		   IPPROTO_TCP + (tot - ihl);
	check = bpf_ntohs(th.check);
	if (fold16(ps) == check) {
		/* field' = field + old - new (ones' complement): the sum the
		 * kernel computes over the changed bytes is the original one */
		__u32 s = (__u32)check + ((__u32)b << 8) + (0xffff & ~((__u32)nb << 8));
		__u16 nc = bpf_htons((__u16)fold16(s));
		bpf_skb_store_bytes(skb, l4 + 16, &nc, 2, 0);
	}
	c->flipped_seq = seq;
	c->pending = 1;
	__sync_fetch_and_add(&lab_flipped, 1);
	return TC_ACT_OK;
}
