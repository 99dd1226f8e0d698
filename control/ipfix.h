/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPFIX export of ended flows (RFC 7011 over UDP, SPEC §5): `wirecheckctl
 * serve --ipfix HOST:PORT` turns every `flow` event it drains into one data
 * record and sends them, batched, to a collector (nfcapd, pmacct, ...).
 *
 * One record per flow, oriented like events.json: the client (the side that
 * sent the SYN, else by heuristics) is the source. packetDeltaCount,
 * octetDeltaCount and tcpControlBits are the client's direction; the
 * server's packets and bytes travel in the RFC 5103 reverse elements
 * (PEN 29305), which nfdump shows as out packets/bytes. The wirecheck
 * elements (PEN IPFIX_PEN) count both directions, like the flow event's
 * `tcp` and `checksum` objects. tcpControlBits holds the flags the flow's
 * counters know: SYN, FIN, RST, ACK, ECE. Ports are those of TCP and UDP
 * (0 otherwise, as in events.json); vlanId the outer tag. Tunnelled flows
 * are exported by their inner addresses.
 *
 * octetDeltaCount carries the byte count of events.json (bytes_toserver):
 * frame lengths as captured, layer 2 header included, where RFC 7012 counts
 * from the IP header. A collector's byte totals thus match events.json.
 *
 * Transport rules (RFC 7011 §8.4, UDP): the templates go out in the first
 * message and again every template refresh interval (0: in every message
 * carrying data), also on their own when no flow ends meanwhile. Messages
 * stay under IPFIX_MAX_MESSAGE bytes. A send never blocks (MSG_DONTWAIT) and
 * a failure (collector down, no route, buffer full) is counted, the message
 * dropped; the sequence number still advances, so the collector sees the
 * loss as a gap.
 *
 * Threading: one thread (serve's drain loop) calls everything but
 * ipfix_get_stats, which any thread may call (relaxed atomic loads: the
 * Prometheus endpoint's).
 */
#ifndef WC_IPFIX_H
#define WC_IPFIX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "wirecheck/flow.h"

#define IPFIX_VERSION 10
#define IPFIX_SET_TEMPLATE 2
#define IPFIX_TEMPLATE_V4 256 /* data set ids: IPv4 and IPv6 flows */
#define IPFIX_TEMPLATE_V6 257
#define IPFIX_MAX_MESSAGE 1400 /* bytes: one unfragmented datagram on Ethernet */
#define IPFIX_HOLD_MS 1000     /* a record waits at most this long for company */
#define IPFIX_ENTERPRISE_BIT 0x8000

/* Private enterprise number of wirecheck's elements: 32473, the number
 * RFC 5612 reserves for documentation. A deployment that registers its own
 * PEN changes it here. */
#define IPFIX_PEN 32473u
/* RFC 5103 §6.1: reverse elements, same element id under this PEN */
#define IPFIX_REVERSE_PEN 29305u

/* wirecheck's enterprise-specific elements (PEN IPFIX_PEN), unsigned32 each,
 * both directions summed. The RTTs are UINT32_MAX when unknown (no
 * handshake seen, no RTT sample). Names are those of events.json. */
#define IPFIX_WC_ELEMENT_LIST(X)                                       \
	X(CHECKSUM_BAD, 1, "checksumBadCount")                         \
	X(CHECKSUM_PARTIAL, 2, "checksumPartialCount")                 \
	X(RETRANSMISSIONS, 3, "retransmissionCount")                   \
	X(FAST_RETRANSMISSIONS, 4, "fastRetransmissionCount")          \
	X(RTO_RETRANSMISSIONS, 5, "rtoRetransmissionCount")            \
	X(DUP_ACKS, 6, "dupAckCount")                                  \
	X(ZERO_WINDOWS, 7, "zeroWindowCount")                          \
	X(SYN_TO_SYNACK_US, 8, "synToSynAckMicroseconds")              \
	X(SYNACK_TO_ACK_US, 9, "synAckToAckMicroseconds")              \
	X(RTT_MIN_US, 10, "rttMinMicroseconds")                        \
	X(RTT_AVG_US, 11, "rttAvgMicroseconds")                        \
	X(RTT_MAX_US, 12, "rttMaxMicroseconds")

enum ipfix_wc_element {
#define WC_X(e, id, name) IPFIX_WC_##e = id,
	IPFIX_WC_ELEMENT_LIST(WC_X)
#undef WC_X
};

struct ipfix_exporter;

struct ipfix_stats {
	uint64_t messages;    /* sent */
	uint64_t records;     /* data records in the messages sent */
	uint64_t templates;   /* template sets sent */
	uint64_t bytes;       /* of the messages sent */
	uint64_t send_errors; /* messages lost to a failed send */
	uint64_t records_lost; /* data records in those */
};

/* Parse a collector address: "HOST:PORT", "[IPV6]:PORT"; HOST a name or a
 * numeric address, PORT 1..65535. Resolves names (getaddrinfo). 0, or -1
 * with a message for "option --ipfix: ..." in err. */
int ipfix_parse_collector(const char *spec, struct sockaddr_storage *out,
			  socklen_t *outlen, char *err, size_t errlen);

/* The observation domain id of an instance: FNV-1a of its name, never 0
 * (RFC 7011 §3.1 keeps 0 for the whole exporting process). */
uint32_t ipfix_domain_of(const char *instance);

/* Resolve the collector and open a UDP socket to it. template_refresh_s:
 * seconds between template sends (0: in every message with data). NULL on
 * failure with a message in err. */
struct ipfix_exporter *ipfix_open(const char *spec, uint32_t domain_id,
				  uint32_t template_refresh_s, char *err, size_t errlen);

/* Queue the data record of an ended flow; sends the pending message first
 * when the record does not fit. now_ms: wall clock (CLOCK_REALTIME) in
 * milliseconds, for the export time and the template refresh. 0, or -1 when
 * sending the pending message failed (counted, its records lost; this
 * record waits in the next message). NULL x: no-op. */
int ipfix_add_flow(struct ipfix_exporter *x, const struct wc_flow *f, uint64_t now_ms);

/* Send the pending message when its oldest record has waited max_hold_ms
 * (0: now), and the templates alone when their refresh is due. 0, or -1
 * when a send failed (counted). NULL x: no-op. */
int ipfix_flush(struct ipfix_exporter *x, uint64_t now_ms, uint32_t max_hold_ms);

/* Snapshot of the counters; safe from any thread. NULL x: zeros. */
void ipfix_get_stats(const struct ipfix_exporter *x, struct ipfix_stats *out);

/* Flush what is pending, close the socket, free. NULL: no-op. */
void ipfix_close(struct ipfix_exporter *x, uint64_t now_ms);

#endif
