/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet metadata filled by the decoders. One struct wc_pkt per packet in a
 * burst, reused; decoders never allocate and never read outside
 * [data, data + caplen).
 */
#ifndef WC_PKT_H
#define WC_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "wirecheck/anomaly.h"
#include "wirecheck/shm.h"

#define WC_MAX_IP_LAYERS 4 /* outer + nested tunnels */
#define WC_MAX_VLAN 2      /* tags kept; deeper stacks are decoded, not kept */
#define WC_MAX_VLAN_DECODE 8
#define WC_MAX_CSUM 12
#define WC_MAX_IPV6_EXT 8
#define WC_MAX_SACK 4
#define WC_NO_L3 UINT32_MAX

/* Link types (pcap LINKTYPE_ values). */
enum wc_linktype {
	WC_DLT_NULL = 0,
	WC_DLT_EN10MB = 1,
	WC_DLT_RAW = 12, /* OpenBSD/libpcap DLT_RAW alias */
	WC_DLT_PPP = 9,
	WC_DLT_LOOP = 108,
	WC_DLT_LINUX_SLL = 113,
	WC_DLT_LINKTYPE_RAW = 101,
	WC_DLT_IPV4 = 228,
	WC_DLT_IPV6 = 229,
	WC_DLT_LINUX_SLL2 = 276,
};

/* Zero-copy view handed by every capture backend (SPEC §2). */
struct wc_pkt_view {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_ns;
	uint64_t frame_no; /* 1-based in offline files, 0 live */
	uint16_t port;
	uint16_t queue;
};

enum wc_ip_flags {
	WC_IPF_FRAGMENT = 1 << 0,  /* part of a fragmented datagram */
	WC_IPF_LEN_FROM_FRAME = 1 << 1, /* IPv4 len 0 / IPv6 plen 0: TSO, BIG TCP */
	WC_IPF_JUMBO = 1 << 2,     /* IPv6 jumbo payload option */
	WC_IPF_TRUNCATED = 1 << 3, /* datagram not wholly captured */
	WC_IPF_SUPERFRAME = 1 << 4,
	WC_IPF_FIRST_FRAG = 1 << 5, /* holds the L4 header */
};

struct wc_ip_layer {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;  /* upper-layer protocol after extension headers */
	uint8_t depth;  /* tunnel depth, 0 = outermost */
	uint8_t flags;  /* enum wc_ip_flags */
	uint8_t ttl;
	uint8_t tos;    /* IPv4 TOS / IPv6 traffic class (ECN in low bits) */
	uint8_t has_mac;
	uint8_t nvlan;
	uint8_t mac_src[6];
	uint8_t mac_dst[6];
	uint16_t vlan[WC_MAX_VLAN];
	uint16_t sport, dport; /* of this layer's TCP/UDP header, if decoded */
	uint32_t l3_off;
	uint32_t l4_off;
	uint32_t dgram_len; /* IP datagram length (claimed or from frame) */
	uint32_t l4_len;    /* upper-layer length for the pseudo-header */
	uint8_t src[16];    /* pseudo-header source (after Home Address opt) */
	uint8_t dst[16];    /* pseudo-header destination (final, after RH) */
};

struct wc_tcp_info {
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags;
	uint8_t doff;       /* header length in bytes */
	uint32_t payload_len;
	uint16_t mss;
	uint8_t wscale;     /* 0xff when absent */
	uint8_t sack_perm;
	uint8_t has_ts;
	uint8_t nsack;
	uint8_t ae;         /* the AE (ex-NS) bit, RFC 9768's third ACE bit */
	uint32_t ts_val, ts_ecr;
	uint32_t sack[WC_MAX_SACK][2];
};

struct wc_icmp_info {
	uint8_t type, code;
	uint16_t id, seq;
};

struct wc_csum_check {
	uint8_t layer;   /* enum wc_csum_layer */
	uint8_t verdict; /* enum wc_verdict */
	uint8_t ip_idx;  /* which IP layer's header/payload */
	uint8_t pad;
	uint16_t found;
	uint16_t expected;
};

#define WC_MAX_PORTS 32 /* view ports that can have their own MTU */

struct wc_decode_cfg {
	uint32_t mtu; /* IP datagram size above which a frame is a superframe */
	/* per view port (capture.port_mtu), 0 = mtu: a hypervisor bridge
	 * mixes 1500-byte vNICs with a 9000-byte uplink */
	uint32_t port_mtu[WC_MAX_PORTS];
};

/* The MTU of the port a packet came in on: one bounded load. */
static inline uint32_t wc_decode_mtu(const struct wc_decode_cfg *cfg, uint16_t port)
{
	uint32_t m = port < WC_MAX_PORTS ? cfg->port_mtu[port] : 0;
	return m ? m : cfg->mtu;
}

struct wc_pkt {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	uint64_t ts_ns;
	uint64_t frame_no;
	uint16_t port, queue;

	uint8_t n_ip;
	uint8_t n_cs;
	uint8_t malformed; /* enum wc_malformed, first reason found */
	uint8_t superframe;
	int8_t superframe_ip; /* IP layer that makes it one, -1: the frame */
	uint8_t tunnel_type; /* innermost tunnel crossed */
	uint8_t has_l4;      /* l4_ip_idx / sport / dport valid */
	uint8_t l4_ip_idx;
	uint8_t l4_proto;
	uint32_t tunnel_id;
	uint32_t l3_start; /* offset past the outer link headers; WC_NO_L3 = none */
	uint16_t sport, dport;
	struct wc_ip_layer ip[WC_MAX_IP_LAYERS];
	struct wc_csum_check cs[WC_MAX_CSUM];
	union {
		struct wc_tcp_info tcp;
		struct wc_icmp_info icmp;
	} l4;
};

/* Decoding state carried between layers: where the current (sub)frame
 * ends in captured bytes and on the wire, and the link fields of the
 * Ethernet header that encloses the next IP layer. */
struct wc_cursor {
	uint32_t off;
	uint32_t cap_end;  /* bytes available: <= caplen */
	uint32_t wire_end; /* bytes that existed: may exceed cap_end */
	uint8_t depth;
	uint8_t has_mac;
	uint8_t nvlan;
	uint8_t mac_src[6];
	uint8_t mac_dst[6];
	uint16_t vlan[WC_MAX_VLAN];
};

/* Top-level entry: fills p from v. Always returns; p->malformed says
 * whether (and why) decoding stopped early. */
void wc_decode(struct wc_pkt *p, const struct wc_pkt_view *v, uint32_t linktype,
	       const struct wc_decode_cfg *cfg);

/* Layer decoders (decode/<layer>.c). Each reads within the cursor's bounds
 * and returns WC_MAL_NONE or the reason it stopped. */
int wc_decode_link(struct wc_pkt *p, struct wc_cursor *c, uint32_t linktype,
		   const struct wc_decode_cfg *cfg);
int wc_decode_ether(struct wc_pkt *p, struct wc_cursor *c,
		    const struct wc_decode_cfg *cfg);
int wc_decode_ethertype(struct wc_pkt *p, struct wc_cursor *c, uint16_t type,
			const struct wc_decode_cfg *cfg);
int wc_decode_ipv4(struct wc_pkt *p, struct wc_cursor *c,
		   const struct wc_decode_cfg *cfg);
int wc_decode_ipv6(struct wc_pkt *p, struct wc_cursor *c,
		   const struct wc_decode_cfg *cfg);
int wc_decode_l4(struct wc_pkt *p, struct wc_cursor *c, unsigned ip_idx,
		 const struct wc_decode_cfg *cfg);
int wc_decode_tcp(struct wc_pkt *p, const uint8_t *h, uint32_t avail,
		  uint32_t seglen);
int wc_decode_udp_tunnel(struct wc_pkt *p, struct wc_cursor *c,
			 unsigned ip_idx, const struct wc_decode_cfg *cfg);
int wc_decode_gre(struct wc_pkt *p, struct wc_cursor *c,
		  const struct wc_decode_cfg *cfg);

/* Checksum verdicts (decode/verdict.c). */
void wc_verdict_ipv4_header(struct wc_pkt *p, unsigned ip_idx,
			    const uint8_t *hdr, uint32_t ihl_bytes,
			    bool captured);
void wc_verdict_l4(struct wc_pkt *p, unsigned ip_idx, enum wc_csum_layer layer,
		   uint32_t cap_avail);

static inline uint16_t wc_rd16(const uint8_t *b)
{
	return (uint16_t)((b[0] << 8) | b[1]);
}

static inline uint32_t wc_rd32(const uint8_t *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
}

static inline void wc_pkt_add_verdict(struct wc_pkt *p, enum wc_csum_layer l,
				      enum wc_verdict v, unsigned ip_idx,
				      uint16_t found, uint16_t expected)
{
	if (p->n_cs >= WC_MAX_CSUM)
		return; /* bounded by WC_MAX_IP_LAYERS * 2 < WC_MAX_CSUM */
	struct wc_csum_check *cs = &p->cs[p->n_cs++];
	cs->layer = (uint8_t)l;
	cs->verdict = (uint8_t)v;
	cs->ip_idx = (uint8_t)ip_idx;
	cs->found = found;
	cs->expected = expected;
}

static inline int wc_pkt_malformed(struct wc_pkt *p, enum wc_malformed m)
{
	if (!p->malformed)
		p->malformed = (uint8_t)m;
	return m;
}

#endif
