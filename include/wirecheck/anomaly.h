/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one table of everything wirecheck reports (SPEC §5). The enum, the
 * stable names used in events.json and metrics, the layer, the severity and
 * the description all come from these lists; the dataplane, the control
 * plane, the docs and the tests read the same lists. Names are a contract:
 * never rename one, only add.
 */
#ifndef WIRECHECK_ANOMALY_H
#define WIRECHECK_ANOMALY_H

/* X(ENUM, "name", "layer", severity, "description") */
#define WC_ANOMALY_LIST(X)                                                          \
	X(IPV4_CHECKSUM_BAD, "ipv4_checksum_bad", "ipv4", WARNING,                  \
	  "IPv4 header checksum does not verify")                                   \
	X(TCP_CHECKSUM_BAD, "tcp_checksum_bad", "tcp", WARNING,                     \
	  "TCP checksum does not verify and is not an offload pattern")             \
	X(UDP_CHECKSUM_BAD, "udp_checksum_bad", "udp", WARNING,                     \
	  "UDP checksum does not verify (or is 0 over IPv6 outside a tunnel)")      \
	X(ICMP_CHECKSUM_BAD, "icmp_checksum_bad", "icmp", WARNING,                  \
	  "ICMP checksum does not verify")                                          \
	X(ICMPV6_CHECKSUM_BAD, "icmpv6_checksum_bad", "icmpv6", WARNING,            \
	  "ICMPv6 checksum does not verify")                                        \
	X(CHECKSUM_PARTIAL, "checksum_partial", "l4", INFO,                         \
	  "checksum left for the NIC (CHECKSUM_PARTIAL) seen on the wire")          \
	X(TSO_SUPERFRAME, "tso_superframe", "link", WARNING,                        \
	  "IP datagram larger than the port MTU: segmentation offload leaked")      \
	X(MALFORMED, "malformed", "decode", WARNING,                                \
	  "frame could not be decoded; see reason")                                 \
	X(OFFLOAD_CORRUPTION, "offload_corruption", "tcp", CRITICAL,                \
	  "bad-checksum segment later retransmitted intact by the same sender")     \
	X(ACK_STALL, "ack_stall", "tcp", WARNING,                                   \
	  "data waited for its ACK with nothing else in flight (Nagle/delayed ACK)") \
	X(SYNACK_UNEXPECTED_SOURCE, "synack_unexpected_source", "tcp", CRITICAL,    \
	  "SYN-ACK came from another address than the SYN was sent to")             \
	X(RST_AFTER_FIRST_DATA, "rst_after_first_data", "tcp", WARNING,             \
	  "connection reset right after its first data segment")                    \
	X(SYN_UNANSWERED, "syn_unanswered", "tcp", WARNING,                         \
	  "SYN retransmitted without a SYN-ACK")                                    \
	X(RTO_RETRANSMISSION, "rto_retransmission", "tcp", INFO,                    \
	  "segment retransmitted after a retransmission timeout")                   \
	X(FAST_RETRANSMISSION, "fast_retransmission", "tcp", INFO,                  \
	  "segment retransmitted after duplicate ACKs")                             \
	X(ZERO_WINDOW, "zero_window", "tcp", INFO,                                  \
	  "receiver advertised a zero window")                                      \
	X(MISSING_FIN, "missing_fin", "tcp", INFO,                                  \
	  "established flow ended by idle timeout without FIN or RST")

enum wc_anomaly {
#define WC_X(e, name, layer, sev, desc) WC_ANOM_##e,
	WC_ANOMALY_LIST(WC_X)
#undef WC_X
	WC_ANOM_COUNT
};

enum wc_severity { WC_SEV_INFO, WC_SEV_WARNING, WC_SEV_CRITICAL };

/* The detectors that name an incident (SPEC §4): each occurrence is its own
 * event, never rate-limited (a flow has few; the per-flow limit is for
 * per-packet anomalies such as bad checksums and retransmissions). */
static inline int wc_anomaly_is_incident(int t)
{
	return t == WC_ANOM_OFFLOAD_CORRUPTION || t == WC_ANOM_ACK_STALL ||
	       t == WC_ANOM_SYNACK_UNEXPECTED_SOURCE || t == WC_ANOM_RST_AFTER_FIRST_DATA ||
	       t == WC_ANOM_SYN_UNANSWERED || t == WC_ANOM_MISSING_FIN;
}

/* Why a frame (or a layer of it) could not be decoded. */
#define WC_MALFORMED_LIST(X)                                                  \
	X(RUNT, "runt", "frame shorter than its link header")                   \
	X(LINKTYPE, "unsupported_linktype", "link type wirecheck cannot decode") \
	X(VLAN_CUT, "vlan_cut", "VLAN/MPLS tag cut short")                      \
	X(VLAN_DEPTH, "vlan_depth", "more stacked tags than decoded")           \
	X(IP_VERSION, "ip_version", "IP version field does not match")          \
	X(IPV4_HEADER_CUT, "ipv4_header_cut", "IPv4 header cut short")          \
	X(IPV4_IHL, "ipv4_ihl", "IPv4 IHL below 5")                             \
	X(IPV4_LEN_SHORT, "ipv4_len_short", "IPv4 total length below IHL")      \
	X(IP_LEN_BEYOND_FRAME, "ip_len_beyond_frame",                           \
	  "IP length beyond the frame")                                         \
	X(IPV4_OPTION, "ipv4_option", "IPv4 option length invalid")             \
	X(IPV6_HEADER_CUT, "ipv6_header_cut", "IPv6 header cut short")          \
	X(IPV6_EXT_CUT, "ipv6_ext_cut", "IPv6 extension header cut short")      \
	X(IPV6_EXT_DEPTH, "ipv6_ext_depth", "too many IPv6 extension headers")  \
	X(IPV6_OPTION, "ipv6_option", "IPv6 option length invalid")             \
	X(IPV6_ROUTING, "ipv6_routing", "IPv6 routing header inconsistent")     \
	X(TCP_HEADER_CUT, "tcp_header_cut", "TCP header cut short")             \
	X(TCP_DOFF, "tcp_doff", "TCP data offset below 5 or beyond segment")    \
	X(TCP_OPTION, "tcp_option", "TCP option length invalid")                \
	X(UDP_HEADER_CUT, "udp_header_cut", "UDP header cut short")             \
	X(UDP_LEN, "udp_len", "UDP length field inconsistent")                  \
	X(ICMP_HEADER_CUT, "icmp_header_cut", "ICMP header cut short")          \
	X(TUNNEL_HEADER_CUT, "tunnel_header_cut", "tunnel header cut short")    \
	X(TUNNEL_DEPTH, "tunnel_depth", "tunnels nested deeper than decoded")

enum wc_malformed {
	WC_MAL_NONE = 0,
#define WC_X(e, name, desc) WC_MAL_##e,
	WC_MALFORMED_LIST(WC_X)
#undef WC_X
	WC_MAL_COUNT
};

/* Checksum layers and verdicts (SPEC §3), in stats order. */
#define WC_CSUM_LAYER_LIST(X) \
	X(IPV4, "ipv4")       \
	X(TCP, "tcp")         \
	X(UDP, "udp")         \
	X(ICMP, "icmp")       \
	X(ICMPV6, "icmpv6")

enum wc_csum_layer {
#define WC_X(e, name) WC_LAYER_##e,
	WC_CSUM_LAYER_LIST(WC_X)
#undef WC_X
	WC_LAYER_COUNT
};

#define WC_VERDICT_LIST(X)                                                    \
	X(GOOD, "good")                                                       \
	X(BAD, "bad")                                                         \
	X(PARTIAL, "partial")                                                 \
	X(ZERO, "zero")                                                       \
	X(UNVERIFIABLE, "unverifiable")

enum wc_verdict {
#define WC_X(e, name) WC_VERDICT_##e,
	WC_VERDICT_LIST(WC_X)
#undef WC_X
	WC_VERDICT_COUNT
};

/* Lookups generated from the lists (defined in anomaly.c). */
const char *wc_anomaly_name(enum wc_anomaly a);
const char *wc_anomaly_layer(enum wc_anomaly a);
const char *wc_anomaly_description(enum wc_anomaly a);
enum wc_severity wc_anomaly_severity(enum wc_anomaly a);
const char *wc_severity_name(enum wc_severity s);
/* Returns the enum for a name, or -1. */
int wc_anomaly_from_name(const char *name);
const char *wc_malformed_name(enum wc_malformed m);
const char *wc_csum_layer_name(enum wc_csum_layer l);
const char *wc_verdict_name(enum wc_verdict v);

#endif
