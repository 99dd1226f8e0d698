/* SPDX-License-Identifier: BSD-3-Clause */
/* IPFIX exporter (RFC 7011 over UDP): see ipfix.h. Control plane only: one
 * sendto per message, nothing here runs per packet. */
#include "ipfix.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wirecheck/hostport.h"

/* What a field's value is computed from (field_value()). */
enum ipfix_src {
	SRC_FLOW_ID,
	SRC_SADDR,
	SRC_DADDR,
	SRC_SPORT,
	SRC_DPORT,
	SRC_PROTO,
	SRC_TCP_FLAGS,
	SRC_VLAN,
	SRC_START_MS,
	SRC_END_MS,
	SRC_END_REASON,
	SRC_PKTS,
	SRC_BYTES,
	SRC_REV_PKTS,
	SRC_REV_BYTES,
#define WC_X(e, id, name) SRC_WC_##e,
	IPFIX_WC_ELEMENT_LIST(WC_X)
#undef WC_X
};

/* One field specifier of the templates, and how to fill it: the template
 * set and the data records come from this one table. ie4/ie6: element id
 * in the IPv4 and IPv6 template (they differ for addresses only). */
struct ipfix_field {
	uint16_t ie4, ie6;
	uint16_t len4, len6;
	uint32_t pen; /* 0: IANA element */
	uint8_t src;  /* enum ipfix_src */
};

static const struct ipfix_field ipfix_fields[] = {
	{148, 148, 8, 8, 0, SRC_FLOW_ID},    /* flowId: events.json flow_id */
	{8, 27, 4, 16, 0, SRC_SADDR},        /* source{IPv4,IPv6}Address */
	{12, 28, 4, 16, 0, SRC_DADDR},       /* destination{IPv4,IPv6}Address */
	{7, 7, 2, 2, 0, SRC_SPORT},          /* sourceTransportPort */
	{11, 11, 2, 2, 0, SRC_DPORT},        /* destinationTransportPort */
	{4, 4, 1, 1, 0, SRC_PROTO},          /* protocolIdentifier */
	{6, 6, 2, 2, 0, SRC_TCP_FLAGS},      /* tcpControlBits (RFC 7125: 16 bits) */
	{58, 58, 2, 2, 0, SRC_VLAN},         /* vlanId: the outer tag, 0 = none */
	{152, 152, 8, 8, 0, SRC_START_MS},   /* flowStartMilliseconds */
	{153, 153, 8, 8, 0, SRC_END_MS},     /* flowEndMilliseconds */
	{136, 136, 1, 1, 0, SRC_END_REASON}, /* flowEndReason */
	{2, 2, 8, 8, 0, SRC_PKTS},           /* packetDeltaCount */
	{1, 1, 8, 8, 0, SRC_BYTES},          /* octetDeltaCount */
	/* no reverseTcpControlBits: nfdump 1.7 stores it over the forward
	 * flags (its reverse counters it reads right) */
	{2, 2, 8, 8, IPFIX_REVERSE_PEN, SRC_REV_PKTS},
	{1, 1, 8, 8, IPFIX_REVERSE_PEN, SRC_REV_BYTES},
#define WC_X(e, id, name) {id, id, 4, 4, IPFIX_PEN, SRC_WC_##e},
	IPFIX_WC_ELEMENT_LIST(WC_X)
#undef WC_X
};
#define N_FIELDS (sizeof(ipfix_fields) / sizeof(ipfix_fields[0]))

#define HDR_LEN 16
#define SET_HDR_LEN 4

struct ipfix_exporter {
	int fd;
	struct sockaddr_storage dst;
	socklen_t dst_len;
	uint32_t domain_id;
	uint32_t refresh_ms;
	uint32_t seq;           /* data records sent before the pending message */
	int templates_sent;     /* ever, successfully */
	uint64_t templates_ms;  /* when last sent */
	int templates_tried;    /* a message with them was ever attempted */
	uint64_t tried_ms;      /* when last attempted, sent or not */
	/* the pending message */
	uint8_t msg[IPFIX_MAX_MESSAGE];
	uint32_t len;           /* 0: none started */
	uint32_t set_off;       /* open data set's offset, 0 = none */
	uint16_t set_id;
	uint32_t n_records;
	int has_templates;
	uint64_t first_ms;      /* when its first record was queued */
	/* counters: written by the drain loop only, read by any thread */
	_Atomic uint64_t messages, records, templates, bytes, send_errors, records_lost;
};

/* ---- encoding -------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put_uint(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = len; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static unsigned record_len(int v6)
{
	unsigned n = 0;
	for (unsigned i = 0; i < N_FIELDS; i++)
		n += v6 ? ipfix_fields[i].len6 : ipfix_fields[i].len4;
	return n;
}

/* The template set with both templates at p; returns its length. */
static unsigned put_template_set(uint8_t *p)
{
	unsigned off = SET_HDR_LEN;
	for (int v6 = 0; v6 <= 1; v6++) {
		put16(p + off, v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4);
		put16(p + off + 2, (uint16_t)N_FIELDS);
		off += 4;
		for (unsigned i = 0; i < N_FIELDS; i++) {
			const struct ipfix_field *fd = &ipfix_fields[i];
			uint16_t ie = v6 ? fd->ie6 : fd->ie4;
			put16(p + off, fd->pen ? (uint16_t)(ie | IPFIX_ENTERPRISE_BIT) : ie);
			put16(p + off + 2, v6 ? fd->len6 : fd->len4);
			off += 4;
			if (fd->pen) {
				put32(p + off, fd->pen);
				off += 4;
			}
		}
	}
	put16(p, IPFIX_SET_TEMPLATE);
	put16(p + 2, (uint16_t)off);
	return off;
}

/* TCP flags a side sent, from the flow's counters: only SYN, FIN, RST, ACK
 * and ECE are tracked (PSH, URG, CWR read as 0). */
static uint16_t tcp_flags(const struct wc_flow *f, unsigned side)
{
	if (f->key.proto != 6)
		return 0;
	const struct wc_flow_dir *d = &f->dir[side];
	const struct wc_flow_tally *t = &f->tally[side];
	uint16_t v = 0;
	if (t->fins || (d->flags & WC_DIR_FIN))
		v |= 0x01;
	if (t->syns || (d->flags & WC_DIR_SYN))
		v |= 0x02;
	if (t->rsts)
		v |= 0x04;
	if (d->flags & WC_DIR_ACK_KNOWN)
		v |= 0x10;
	/* ECE and CWR: seen after the handshake, or in this side's SYN
	 * (the client's asks for ECN with both, an RFC 3168 server's SYN-ACK
	 * agrees with ECE) */
	int asked = side == f->client && (f->flags & WC_FLOW_ECN_SETUP);
	if (t->ece || asked ||
	    (side != f->client && (f->flags & WC_FLOW_ECN_CLASSIC)))
		v |= 0x40;
	if (t->cwr || asked)
		v |= 0x80;
	return v;
}

/* RFC 7012 flowEndReason */
static uint8_t end_reason(const struct wc_flow *f)
{
	if (f->flags & WC_FLOW_EVICTED)
		return 0x05; /* lack of resources: table full */
	switch (f->end) {
	case WC_END_TIMEOUT:
		return 0x01; /* idle timeout */
	case WC_END_FIN:
	case WC_END_RST:
		return 0x03; /* end of flow detected */
	case WC_END_SHUTDOWN:
		return 0x04; /* forced end */
	default:
		return 0x00;
	}
}

static int has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17; /* the flow key has ports for these only */
}

static uint64_t field_value(const struct wc_flow *f, const struct wc_flow_dir *cs,
			    const struct wc_flow_dir *sc, unsigned c, enum ipfix_src src)
{
	switch (src) {
	case SRC_FLOW_ID:
		return f->id;
	case SRC_SPORT:
		return has_ports(f->key.proto) ? f->key.port[c] : 0;
	case SRC_DPORT:
		return has_ports(f->key.proto) ? f->key.port[!c] : 0;
	case SRC_PROTO:
		return f->key.proto;
	case SRC_TCP_FLAGS:
		return tcp_flags(f, c);
	case SRC_VLAN:
		return f->key.vlan[0] & 0x0fff;
	case SRC_START_MS:
		return f->first_ns / 1000000;
	case SRC_END_MS:
		return f->last_ns / 1000000;
	case SRC_END_REASON:
		return end_reason(f);
	case SRC_PKTS:
		return cs->pkts;
	case SRC_BYTES:
		return cs->bytes;
	case SRC_REV_PKTS:
		return sc->pkts;
	case SRC_REV_BYTES:
		return sc->bytes;
	case SRC_WC_CHECKSUM_BAD:
		return (uint64_t)f->tally[0].csum_bad + f->tally[1].csum_bad;
	case SRC_WC_CHECKSUM_PARTIAL:
		return (uint64_t)f->tally[0].csum_partial + f->tally[1].csum_partial;
	case SRC_WC_RETRANSMISSIONS:
		return (uint64_t)f->tally[0].retx + f->tally[1].retx;
	case SRC_WC_FAST_RETRANSMISSIONS:
		return (uint64_t)f->tally[0].fast_retx + f->tally[1].fast_retx;
	case SRC_WC_RTO_RETRANSMISSIONS:
		return (uint64_t)f->tally[0].rto_retx + f->tally[1].rto_retx;
	case SRC_WC_DUP_ACKS:
		return (uint64_t)f->tally[0].dupacks + f->tally[1].dupacks;
	case SRC_WC_ZERO_WINDOWS:
		return (uint64_t)f->tally[0].zero_win + f->tally[1].zero_win;
	case SRC_WC_SYN_TO_SYNACK_US:
		return f->syn_to_synack_us;
	case SRC_WC_SYNACK_TO_ACK_US:
		return f->synack_to_ack_us;
	case SRC_WC_RTT_MIN_US:
		return f->rtt_samples ? f->rtt_min_us : UINT32_MAX;
	case SRC_WC_RTT_AVG_US:
		return f->rtt_samples ? f->rtt_sum_us / f->rtt_samples : UINT32_MAX;
	case SRC_WC_RTT_MAX_US:
		return f->rtt_samples ? f->rtt_max_us : UINT32_MAX;
	case SRC_SADDR:
	case SRC_DADDR:
		break; /* bytes, not a number: encode_record() */
	}
	return 0;
}

/* One data record of f at p (record_len() bytes). */
static void encode_record(uint8_t *p, const struct wc_flow *f, int v6)
{
	/* the record came through shared memory: never index past dir[1] */
	unsigned c = f->client & 1;
	const struct wc_flow_dir *cs = &f->dir[c], *sc = &f->dir[!c];
	for (unsigned i = 0; i < N_FIELDS; i++) {
		const struct ipfix_field *fd = &ipfix_fields[i];
		unsigned len = v6 ? fd->len6 : fd->len4;
		if (fd->src == SRC_SADDR || fd->src == SRC_DADDR) {
			memcpy(p, f->key.addr[fd->src == SRC_SADDR ? c : !c], len);
		} else {
			uint64_t v = field_value(f, cs, sc, c, (enum ipfix_src)fd->src);
			if (len < 8 && v >> (len * 8)) /* saturate, never wrap */
				v = (1ull << (len * 8)) - 1;
			put_uint(p, v, len);
		}
		p += len;
	}
}

/* ---- messages -------------------------------------------------------- */

/* Single writer (the drain loop): a relaxed load and store, no RMW needed;
 * a concurrent reader sees the old or the new value, never a torn one. */
static void bump(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static int templates_due(const struct ipfix_exporter *x, uint64_t now_ms)
{
	return !x->templates_sent || x->refresh_ms == 0 || now_ms < x->templates_ms ||
	       now_ms - x->templates_ms >= x->refresh_ms;
}

static void msg_start(struct ipfix_exporter *x, uint64_t now_ms)
{
	x->len = HDR_LEN;
	x->set_off = 0;
	x->n_records = 0;
	x->first_ms = now_ms;
	x->has_templates = templates_due(x, now_ms);
	if (x->has_templates)
		x->len += put_template_set(x->msg + x->len);
}

static void set_close(struct ipfix_exporter *x)
{
	if (x->set_off)
		put16(x->msg + x->set_off + 2, (uint16_t)(x->len - x->set_off));
	x->set_off = 0;
}

/* Send the pending message (if any): 0, or -1 when the send failed. */
static int msg_send(struct ipfix_exporter *x, uint64_t now_ms)
{
	if (!x->len)
		return 0;
	set_close(x);
	put16(x->msg, IPFIX_VERSION);
	put16(x->msg + 2, (uint16_t)x->len);
	put32(x->msg + 4, (uint32_t)(now_ms / 1000)); /* export time, seconds */
	/* RFC 7011 §3.1: data records sent before this message, modulo 2^32 */
	put32(x->msg + 8, x->seq);
	put32(x->msg + 12, x->domain_id);
	if (x->has_templates) {
		x->templates_tried = 1;
		x->tried_ms = now_ms;
	}
	ssize_t n = sendto(x->fd, x->msg, x->len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&x->dst, x->dst_len);
	/* the records count as sent either way: a lost message leaves a gap in
	 * the sequence numbers the collector can see */
	x->seq += x->n_records;
	int ok = n == (ssize_t)x->len;
	if (ok) {
		bump(&x->messages, 1);
		bump(&x->records, x->n_records);
		bump(&x->bytes, x->len);
		if (x->has_templates) {
			bump(&x->templates, 1);
			x->templates_sent = 1;
			x->templates_ms = now_ms;
		}
	} else {
		bump(&x->send_errors, 1);
		bump(&x->records_lost, x->n_records);
	}
	x->len = 0;
	x->set_off = 0;
	x->n_records = 0;
	return ok ? 0 : -1;
}

int ipfix_add_flow(struct ipfix_exporter *x, const struct wc_flow *f, uint64_t now_ms)
{
	if (!x || !f)
		return 0;
	int v6 = f->key.family == 6;
	uint16_t tid = v6 ? IPFIX_TEMPLATE_V6 : IPFIX_TEMPLATE_V4;
	unsigned rlen = record_len(v6);
	int rc = 0;
	if (x->len) {
		unsigned need = rlen + (x->set_off && x->set_id == tid ? 0 : SET_HDR_LEN);
		if (x->len + need > IPFIX_MAX_MESSAGE)
			rc = msg_send(x, now_ms);
	}
	if (!x->len)
		msg_start(x, now_ms);
	if (!x->set_off || x->set_id != tid) {
		set_close(x);
		x->set_off = x->len;
		x->set_id = tid;
		put16(x->msg + x->len, tid);
		x->len += SET_HDR_LEN;
	}
	encode_record(x->msg + x->len, f, v6);
	x->len += rlen;
	x->n_records++;
	return rc;
}

int ipfix_flush(struct ipfix_exporter *x, uint64_t now_ms, uint32_t max_hold_ms)
{
	if (!x)
		return 0;
	if (x->len) {
		if (now_ms >= x->first_ms && now_ms - x->first_ms < max_hold_ms)
			return 0;
		return msg_send(x, now_ms);
	}
	/* no flow ended lately: the templates alone when their time comes
	 * (refresh 0 means "with every data message" only). Paced by the last
	 * attempt, so an unreachable collector costs one send per interval,
	 * not one per drain loop. */
	if (x->refresh_ms && templates_due(x, now_ms) &&
	    (!x->templates_tried || now_ms < x->tried_ms ||
	     now_ms - x->tried_ms >= x->refresh_ms)) {
		msg_start(x, now_ms);
		return msg_send(x, now_ms);
	}
	return 0;
}

void ipfix_get_stats(const struct ipfix_exporter *x, struct ipfix_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!x)
		return;
	out->messages = atomic_load_explicit(&x->messages, memory_order_relaxed);
	out->records = atomic_load_explicit(&x->records, memory_order_relaxed);
	out->templates = atomic_load_explicit(&x->templates, memory_order_relaxed);
	out->bytes = atomic_load_explicit(&x->bytes, memory_order_relaxed);
	out->send_errors = atomic_load_explicit(&x->send_errors, memory_order_relaxed);
	out->records_lost = atomic_load_explicit(&x->records_lost, memory_order_relaxed);
}

/* ---- lifecycle ------------------------------------------------------- */

uint32_t ipfix_domain_of(const char *instance)
{
	uint32_t h = 2166136261u;
	for (const char *c = instance ? instance : ""; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return h ? h : 1;
}

int ipfix_parse_collector(const char *spec, struct sockaddr_storage *out,
			  socklen_t *outlen, char *err, size_t errlen)
{
	char host[256], port_s[8];
	uint16_t port;
	if (wc_hostport_split(spec, 0, host, sizeof(host), &port) != 0)
		goto bad;
	snprintf(port_s, sizeof(port_s), "%u", port);
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int r = getaddrinfo(host, port_s, &hints, &res);
	if (r != 0 || !res) {
		snprintf(err, errlen, "option --ipfix: cannot resolve '%s': %s", host,
			 r ? gai_strerror(r) : "no address");
		return -1;
	}
	if (out)
		memcpy(out, res->ai_addr, res->ai_addrlen);
	if (outlen)
		*outlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen,
		 "option --ipfix: '%s' is not HOST:PORT (a name, an IPv4 address or "
		 "[IPv6], and a UDP port 1-65535)",
		 spec ? spec : "");
	return -1;
}

struct ipfix_exporter *ipfix_open(const char *spec, uint32_t domain_id,
				  uint32_t template_refresh_s, char *err, size_t errlen)
{
	struct sockaddr_storage dst;
	socklen_t dst_len;
	if (ipfix_parse_collector(spec, &dst, &dst_len, err, errlen) != 0)
		return NULL;
	struct ipfix_exporter *x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(err, errlen, "option --ipfix: out of memory");
		return NULL;
	}
	x->fd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		snprintf(err, errlen, "option --ipfix: socket: %s", strerror(errno));
		free(x);
		return NULL;
	}
	x->dst = dst;
	x->dst_len = dst_len;
	x->domain_id = domain_id;
	x->refresh_ms = template_refresh_s > UINT32_MAX / 1000 ? UINT32_MAX
							       : template_refresh_s * 1000;
	return x;
}

void ipfix_close(struct ipfix_exporter *x, uint64_t now_ms)
{
	if (!x)
		return;
	msg_send(x, now_ms);
	close(x->fd);
	free(x);
}
