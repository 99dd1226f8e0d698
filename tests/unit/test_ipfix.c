/* SPDX-License-Identifier: BSD-3-Clause */
/* IPFIX export (RFC 7011, SPEC §5): the exporter sends to a UDP socket of
 * the test on loopback, and the test decodes the datagrams with a decoder
 * of its own, driven by the templates it receives (as a collector would):
 * message header, set ids and lengths, template field specifiers
 * (enterprise bit and PEN), data record values, sequence numbers across
 * messages, batching under the MTU, the hold time, template refresh, and
 * failed sends counted. The flows are built field by field below. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control/ipfix.h"

#define T0_MS 1709251200123ull /* 2024-03-01T00:00:00.123Z */

/* ---- a collector of our own -------------------------------------------- */

struct collector {
	int fd;
	char spec[64];
};

static void collector_open(struct collector *c)
{
	c->fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(c->fd >= 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(c->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	socklen_t l = sizeof(a);
	assert_int_equal(getsockname(c->fd, (struct sockaddr *)&a, &l), 0);
	snprintf(c->spec, sizeof(c->spec), "127.0.0.1:%u", ntohs(a.sin_port));
}

/* One datagram, or -1 when none is waiting (loopback delivers at once). */
static ssize_t collector_recv(struct collector *c, uint8_t *buf, size_t len)
{
	return recv(c->fd, buf, len, MSG_DONTWAIT);
}

/* ---- decoding ---------------------------------------------------------- */

static uint64_t get(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < len; i++)
		v = v << 8 | p[i];
	return v;
}

struct spec {
	uint16_t ie; /* enterprise bit cleared */
	uint16_t len;
	uint32_t pen;
};

struct tmpl {
	uint16_t id, n;
	struct spec f[64];
};

struct record {
	uint16_t tid;
	const uint8_t *p; /* into the message buffer */
};

struct msg {
	uint16_t version, length;
	uint32_t export_time, seq, domain;
	unsigned n_sets;
	uint16_t set_ids[16];
	unsigned n_templates;
	unsigned n_records;
	struct record rec[32];
};

/* Templates persist across messages, like a collector's per-domain cache. */
static struct tmpl templates[4];
static unsigned n_templates;

static const struct tmpl *template_of(uint16_t id)
{
	for (unsigned i = 0; i < n_templates; i++)
		if (templates[i].id == id)
			return &templates[i];
	return NULL;
}

static unsigned tmpl_record_len(const struct tmpl *t)
{
	unsigned n = 0;
	for (unsigned i = 0; i < t->n; i++)
		n += t->f[i].len;
	return n;
}

/* Decode one message fully, checking every length on the way. */
static void decode(const uint8_t *b, size_t len, struct msg *m)
{
	memset(m, 0, sizeof(*m));
	assert_true(len >= 16);
	assert_true(len <= IPFIX_MAX_MESSAGE);
	m->version = (uint16_t)get(b, 2);
	m->length = (uint16_t)get(b + 2, 2);
	m->export_time = (uint32_t)get(b + 4, 4);
	m->seq = (uint32_t)get(b + 8, 4);
	m->domain = (uint32_t)get(b + 12, 4);
	assert_int_equal(m->version, 10);
	assert_int_equal(m->length, len);
	size_t off = 16;
	while (off < len) {
		assert_true(off + 4 <= len);
		uint16_t sid = (uint16_t)get(b + off, 2), slen = (uint16_t)get(b + off + 2, 2);
		assert_true(slen >= 4 && off + slen <= len);
		assert_true(m->n_sets < 16);
		m->set_ids[m->n_sets++] = sid;
		size_t p = off + 4, end = off + slen;
		if (sid == IPFIX_SET_TEMPLATE) {
			while (p + 4 <= end) {
				struct tmpl t = {.id = (uint16_t)get(b + p, 2),
						 .n = (uint16_t)get(b + p + 2, 2)};
				p += 4;
				assert_true(t.id >= 256 && t.n <= 64);
				for (unsigned i = 0; i < t.n; i++) {
					assert_true(p + 4 <= end);
					uint16_t ie = (uint16_t)get(b + p, 2);
					t.f[i].ie = ie & 0x7fff;
					t.f[i].len = (uint16_t)get(b + p + 2, 2);
					p += 4;
					if (ie & 0x8000) {
						assert_true(p + 4 <= end);
						t.f[i].pen = (uint32_t)get(b + p, 4);
						p += 4;
					}
				}
				unsigned k = 0;
				while (k < n_templates && templates[k].id != t.id)
					k++;
				assert_true(k < 4);
				templates[k] = t;
				if (k == n_templates)
					n_templates++;
				m->n_templates++;
			}
			assert_int_equal(p, end);
		} else {
			assert_true(sid >= 256);
			const struct tmpl *t = template_of(sid);
			assert_non_null(t); /* never data before its template */
			unsigned rl = tmpl_record_len(t);
			while (p + rl <= end) {
				assert_true(m->n_records < 32);
				m->rec[m->n_records].tid = sid;
				m->rec[m->n_records++].p = b + p;
				p += rl;
			}
			assert_int_equal(p, end); /* no padding, no partial record */
		}
		off = end;
	}
	assert_int_equal(off, len);
}

/* The bytes of element (pen, ie) in a record; *len its length. */
static const uint8_t *field(const struct record *r, uint32_t pen, uint16_t ie, unsigned *len)
{
	const struct tmpl *t = template_of(r->tid);
	assert_non_null(t);
	const uint8_t *p = r->p;
	for (unsigned i = 0; i < t->n; i++) {
		if (t->f[i].ie == ie && t->f[i].pen == pen) {
			*len = t->f[i].len;
			return p;
		}
		p += t->f[i].len;
	}
	fail_msg("element %u/%u not in template %u", pen, ie, r->tid);
	return NULL;
}

static uint64_t value(const struct record *r, uint32_t pen, uint16_t ie)
{
	unsigned len;
	const uint8_t *p = field(r, pen, ie, &len);
	assert_true(len >= 1 && len <= 8);
	return get(p, len);
}

static void recv_msg(struct collector *c, uint8_t *buf, struct msg *m)
{
	ssize_t n = collector_recv(c, buf, 65536);
	assert_true(n > 0);
	decode(buf, (size_t)n, m);
}

static void no_msg(struct collector *c)
{
	uint8_t b[64];
	assert_true(collector_recv(c, b, sizeof(b)) < 0);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* ---- flows ------------------------------------------------------------- */

/* A TCP flow 10.0.0.9:443 (key side 0) <- 10.0.0.20:50000 (side 1, the
 * client): the key order is not the client order, so orientation shows. */
static void flow_v4(struct wc_flow *f, uint64_t id)
{
	memset(f, 0, sizeof(*f));
	f->key.family = 4;
	f->key.proto = 6;
	memcpy(f->key.addr[0], (uint8_t[]){10, 0, 0, 9}, 4);
	memcpy(f->key.addr[1], (uint8_t[]){10, 0, 0, 20}, 4);
	f->key.port[0] = 443;
	f->key.port[1] = 50000;
	f->key.vlan[0] = 100;
	f->id = id;
	f->client = 1;
	f->first_ns = 1709251200001000000ull;
	f->last_ns = 1709251200034450000ull;
	f->end = WC_END_FIN;
	f->syn_to_synack_us = 1500;
	f->synack_to_ack_us = 250;
	f->rtt_samples = 4;
	f->rtt_sum_us = 4000;
	f->rtt_min_us = 700;
	f->rtt_max_us = 1600;
	f->flags = WC_FLOW_ECN_SETUP | WC_FLOW_ECN_CLASSIC; /* RFC 3168 ECN agreed */
	struct wc_flow_dir *cs = &f->dir[1], *sc = &f->dir[0];
	struct wc_flow_tally *ct = &f->tally[1], *st = &f->tally[0];
	cs->pkts = 10;
	cs->bytes = 798;
	ct->syns = 1;
	ct->fins = 1;
	cs->flags = WC_DIR_ACK_KNOWN;
	ct->retx = 2;
	ct->fast_retx = 1;
	ct->rto_retx = 1;
	ct->dupacks = 3;
	ct->csum_bad = 5;
	ct->csum_partial = 7;
	sc->pkts = 5;
	sc->bytes = 3226;
	st->syns = 1;
	st->rsts = 1;
	sc->flags = WC_DIR_ACK_KNOWN;
	st->retx = 1;
	st->rto_retx = 1;
	st->zero_win = 4;
	st->dupacks = 1;
	st->csum_bad = 1;
	st->ece = 2;
	ct->cwr = 1;
}

/* A UDP flow over IPv6, client on key side 0, no RTT, no handshake. */
static void flow_v6(struct wc_flow *f, uint64_t id)
{
	memset(f, 0, sizeof(*f));
	f->key.family = 6;
	f->key.proto = 17;
	inet_pton(AF_INET6, "2001:db8::a", f->key.addr[0]);
	inet_pton(AF_INET6, "2001:db8::50", f->key.addr[1]);
	f->key.port[0] = 5353;
	f->key.port[1] = 53;
	f->id = id;
	f->client = 0;
	f->first_ns = 1709251201000000000ull;
	f->last_ns = 1709251262000000000ull;
	f->end = WC_END_TIMEOUT;
	f->syn_to_synack_us = UINT32_MAX;
	f->synack_to_ack_us = UINT32_MAX;
	f->dir[0].pkts = 3;
	f->dir[0].bytes = 300;
	f->dir[1].pkts = 2;
	f->dir[1].bytes = 5000000000ull; /* beyond 32 bits: 64-bit counters */
}

/* ---- tests ------------------------------------------------------------- */

static void test_templates_and_record(void **state)
{
	(void)state;
	struct collector c;
	collector_open(&c);
	char err[256];
	struct ipfix_exporter *x = ipfix_open(c.spec, 0x1234, 60, err, sizeof(err));
	assert_non_null(x);
	n_templates = 0;

	struct wc_flow f;
	flow_v4(&f, 77);
	assert_int_equal(ipfix_add_flow(x, &f, T0_MS), 0);
	no_msg(&c); /* held for company */
	assert_int_equal(ipfix_flush(x, T0_MS, 0), 0);

	static uint8_t buf[65536];
	struct msg m;
	recv_msg(&c, buf, &m);
	assert_int_equal(m.export_time, T0_MS / 1000);
	assert_int_equal(m.seq, 0);
	assert_int_equal(m.domain, 0x1234);
	assert_int_equal(m.n_sets, 2);
	assert_int_equal(m.set_ids[0], IPFIX_SET_TEMPLATE);
	assert_int_equal(m.set_ids[1], IPFIX_TEMPLATE_V4);
	assert_int_equal(m.n_templates, 2);

	/* field specifiers: IANA ids and lengths, enterprise bit + PEN */
	const struct tmpl *t4 = template_of(IPFIX_TEMPLATE_V4), *t6 = template_of(IPFIX_TEMPLATE_V6);
	assert_non_null(t4);
	assert_non_null(t6);
	assert_int_equal(t4->n, t6->n);
	static const struct spec want4[] = {
		{8, 4, 0}, {12, 4, 0}, {7, 2, 0}, {11, 2, 0}, {4, 1, 0}, {6, 2, 0}, {58, 2, 0},
		{152, 8, 0}, {153, 8, 0}, {136, 1, 0}, {2, 8, 0}, {1, 8, 0}, {148, 8, 0},
		{2, 8, 29305}, {1, 8, 29305},
	};
	for (unsigned w = 0; w < sizeof(want4) / sizeof(want4[0]); w++) {
		unsigned i = 0;
		while (i < t4->n && !(t4->f[i].ie == want4[w].ie && t4->f[i].pen == want4[w].pen))
			i++;
		assert_true(i < t4->n);
		assert_int_equal(t4->f[i].len, want4[w].len);
	}
	unsigned v6_addrs = 0, v4_addrs = 0;
	for (unsigned i = 0; i < t6->n; i++) {
		v6_addrs += t6->f[i].pen == 0 && (t6->f[i].ie == 27 || t6->f[i].ie == 28) &&
			    t6->f[i].len == 16;
		v4_addrs += t6->f[i].pen == 0 && (t6->f[i].ie == 8 || t6->f[i].ie == 12);
	}
	assert_int_equal(v6_addrs, 2);
	assert_int_equal(v4_addrs, 0);
	/* wirecheck's elements 1..12 under PEN 32473, 4 bytes each */
	for (uint16_t ie = IPFIX_WC_CHECKSUM_BAD; ie <= IPFIX_WC_RTT_MAX_US; ie++) {
		unsigned i = 0;
		while (i < t4->n && !(t4->f[i].ie == ie && t4->f[i].pen == 32473))
			i++;
		assert_true(i < t4->n);
		assert_int_equal(t4->f[i].len, 4);
	}

	/* the data record, client as the source */
	assert_int_equal(m.n_records, 1);
	const struct record *r = &m.rec[0];
	unsigned len;
	const uint8_t *a = field(r, 0, 8, &len);
	assert_memory_equal(a, ((uint8_t[]){10, 0, 0, 20}), 4);
	a = field(r, 0, 12, &len);
	assert_memory_equal(a, ((uint8_t[]){10, 0, 0, 9}), 4);
	assert_int_equal(value(r, 0, 7), 50000);
	assert_int_equal(value(r, 0, 11), 443);
	assert_int_equal(value(r, 0, 4), 6);
	assert_int_equal(value(r, 0, 58), 100);
	assert_int_equal(value(r, 0, 148), 77);
	assert_int_equal(value(r, 0, 152), 1709251200001ull);
	assert_int_equal(value(r, 0, 153), 1709251200034ull);
	assert_int_equal(value(r, 0, 136), 3); /* end of flow detected */
	assert_int_equal(value(r, 0, 2), 10);
	assert_int_equal(value(r, 0, 1), 798);
	/* client: SYN FIN ACK, and its SYN's ECE CWR (asking for ECN) */
	assert_int_equal(value(r, 0, 6), 0xd3);
	assert_int_equal(value(r, 29305, 2), 5);
	assert_int_equal(value(r, 29305, 1), 3226);
	assert_int_equal(value(r, 32473, IPFIX_WC_CHECKSUM_BAD), 6);
	assert_int_equal(value(r, 32473, IPFIX_WC_CHECKSUM_PARTIAL), 7);
	assert_int_equal(value(r, 32473, IPFIX_WC_RETRANSMISSIONS), 3);
	assert_int_equal(value(r, 32473, IPFIX_WC_FAST_RETRANSMISSIONS), 1);
	assert_int_equal(value(r, 32473, IPFIX_WC_RTO_RETRANSMISSIONS), 2);
	assert_int_equal(value(r, 32473, IPFIX_WC_DUP_ACKS), 4);
	assert_int_equal(value(r, 32473, IPFIX_WC_ZERO_WINDOWS), 4);
	assert_int_equal(value(r, 32473, IPFIX_WC_SYN_TO_SYNACK_US), 1500);
	assert_int_equal(value(r, 32473, IPFIX_WC_SYNACK_TO_ACK_US), 250);
	assert_int_equal(value(r, 32473, IPFIX_WC_RTT_MIN_US), 700);
	assert_int_equal(value(r, 32473, IPFIX_WC_RTT_AVG_US), 1000);
	assert_int_equal(value(r, 32473, IPFIX_WC_RTT_MAX_US), 1600);

	struct ipfix_stats s;
	ipfix_get_stats(x, &s);
	assert_int_equal(s.messages, 1);
	assert_int_equal(s.records, 1);
	assert_int_equal(s.templates, 1);
	assert_int_equal(s.bytes, m.length);
	assert_int_equal(s.send_errors, 0);
	ipfix_close(x, T0_MS);
	close(c.fd);
}

static void test_sequence_and_refresh(void **state)
{
	(void)state;
	struct collector c;
	collector_open(&c);
	char err[256];
	struct ipfix_exporter *x = ipfix_open(c.spec, 7, 60, err, sizeof(err));
	assert_non_null(x);
	n_templates = 0;
	static uint8_t buf[65536];
	struct msg m;
	struct wc_flow f4, f6;
	flow_v4(&f4, 1);
	flow_v6(&f6, 2);

	/* message 1: templates + one record */
	ipfix_add_flow(x, &f4, T0_MS);
	ipfix_flush(x, T0_MS, 0);
	recv_msg(&c, buf, &m);
	assert_int_equal(m.seq, 0);
	assert_int_equal(m.n_templates, 2);

	/* message 2, 10 s later: no templates, a v4 and a v6 set */
	ipfix_add_flow(x, &f4, T0_MS + 10000);
	ipfix_add_flow(x, &f6, T0_MS + 10000);
	ipfix_add_flow(x, &f6, T0_MS + 10000);
	assert_int_equal(ipfix_flush(x, T0_MS + 10500, IPFIX_HOLD_MS), 0);
	no_msg(&c); /* held: younger than IPFIX_HOLD_MS */
	ipfix_flush(x, T0_MS + 11000, IPFIX_HOLD_MS);
	recv_msg(&c, buf, &m);
	assert_int_equal(m.seq, 1);
	assert_int_equal(m.n_templates, 0);
	assert_int_equal(m.n_sets, 2);
	assert_int_equal(m.set_ids[0], IPFIX_TEMPLATE_V4);
	assert_int_equal(m.set_ids[1], IPFIX_TEMPLATE_V6);
	assert_int_equal(m.n_records, 3);
	const struct record *r = &m.rec[1];
	unsigned len;
	const uint8_t *a = field(r, 0, 27, &len);
	assert_int_equal(len, 16);
	uint8_t want[16];
	inet_pton(AF_INET6, "2001:db8::a", want);
	assert_memory_equal(a, want, 16);
	a = field(r, 0, 28, &len);
	inet_pton(AF_INET6, "2001:db8::50", want);
	assert_memory_equal(a, want, 16);
	assert_int_equal(value(r, 0, 7), 5353);
	assert_int_equal(value(r, 0, 11), 53);
	assert_int_equal(value(r, 0, 4), 17);
	assert_int_equal(value(r, 0, 6), 0);
	assert_int_equal(value(r, 0, 136), 1); /* idle timeout */
	assert_int_equal(value(r, 29305, 1), 5000000000ull);
	assert_int_equal(value(r, 32473, IPFIX_WC_SYN_TO_SYNACK_US), UINT32_MAX);
	assert_int_equal(value(r, 32473, IPFIX_WC_RTT_AVG_US), UINT32_MAX);

	/* nothing for a while: the templates alone when the refresh is due */
	ipfix_flush(x, T0_MS + 30000, IPFIX_HOLD_MS);
	no_msg(&c);
	ipfix_flush(x, T0_MS + 60000, IPFIX_HOLD_MS);
	recv_msg(&c, buf, &m);
	assert_int_equal(m.seq, 4);
	assert_int_equal(m.n_templates, 2);
	assert_int_equal(m.n_records, 0);
	assert_int_equal(m.n_sets, 1);

	/* a refresh due while records flow: the templates lead the message */
	ipfix_add_flow(x, &f4, T0_MS + 125000);
	ipfix_flush(x, T0_MS + 125000, 0);
	recv_msg(&c, buf, &m);
	assert_int_equal(m.seq, 4);
	assert_int_equal(m.n_templates, 2);
	assert_int_equal(m.set_ids[0], IPFIX_SET_TEMPLATE);
	assert_int_equal(m.n_records, 1);

	/* batching: records fill messages up to IPFIX_MAX_MESSAGE, sequence
	 * numbers count the records of the messages before */
	uint32_t expect_seq = 5, got = 0;
	for (unsigned i = 0; i < 40; i++)
		ipfix_add_flow(x, i % 3 ? &f4 : &f6, T0_MS + 126000);
	ipfix_flush(x, T0_MS + 126000, 0);
	unsigned msgs = 0;
	ssize_t n;
	while ((n = collector_recv(&c, buf, sizeof(buf))) > 0) {
		decode(buf, (size_t)n, &m);
		assert_int_equal(m.seq, expect_seq);
		assert_true(m.n_records >= 1);
		expect_seq += m.n_records;
		got += m.n_records;
		msgs++;
		/* full messages: the next record would not have fit */
		assert_true(m.length > IPFIX_MAX_MESSAGE - 160 || got == 40);
	}
	assert_int_equal(got, 40);
	assert_true(msgs >= 4);

	/* refresh 0: templates in every message with data */
	ipfix_close(x, T0_MS + 126000);
	x = ipfix_open(c.spec, 7, 0, err, sizeof(err));
	assert_non_null(x);
	for (int i = 0; i < 2; i++) {
		ipfix_add_flow(x, &f4, T0_MS + (uint64_t)i);
		ipfix_flush(x, T0_MS + (uint64_t)i, 0);
		recv_msg(&c, buf, &m);
		assert_int_equal(m.n_templates, 2);
		assert_int_equal(m.seq, (uint32_t)i);
	}
	ipfix_flush(x, T0_MS + 1000000, 0); /* nothing pending: nothing sent */
	no_msg(&c);
	ipfix_close(x, T0_MS);
	close(c.fd);
}

static void test_send_errors_counted(void **state)
{
	(void)state;
	char err[256];
	/* sendto the broadcast address without SO_BROADCAST fails (EACCES):
	 * the exporter counts it and goes on */
	struct ipfix_exporter *x = ipfix_open("255.255.255.255:4739", 1, 60, err, sizeof(err));
	assert_non_null(x);
	struct wc_flow f;
	flow_v4(&f, 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(ipfix_add_flow(x, &f, T0_MS), 0);
	assert_int_equal(ipfix_flush(x, T0_MS, 0), -1);
	struct ipfix_stats s;
	ipfix_get_stats(x, &s);
	assert_int_equal(s.messages, 0);
	assert_int_equal(s.send_errors, 1);
	assert_int_equal(s.records_lost, 3);
	assert_int_equal(s.templates, 0);
	/* idle drain loops do not hammer an unreachable collector with
	 * template-only messages: one try per refresh interval */
	for (uint64_t t = 0; t < 59000; t += 100)
		ipfix_flush(x, T0_MS + t, 0);
	ipfix_get_stats(x, &s);
	assert_int_equal(s.send_errors, 1);
	assert_int_equal(ipfix_flush(x, T0_MS + 60000, 0), -1);
	ipfix_get_stats(x, &s);
	assert_int_equal(s.send_errors, 2);
	assert_int_equal(s.records_lost, 3);
	ipfix_close(x, T0_MS);
	/* NULL exporter: every call is a no-op */
	assert_int_equal(ipfix_add_flow(NULL, &f, T0_MS), 0);
	assert_int_equal(ipfix_flush(NULL, T0_MS, 0), 0);
	ipfix_get_stats(NULL, &s);
	assert_int_equal(s.messages, 0);
	ipfix_close(NULL, T0_MS);
}

static void test_collector_syntax(void **state)
{
	(void)state;
	char err[256];
	struct sockaddr_storage ss;
	socklen_t sl;
	assert_int_equal(ipfix_parse_collector("127.0.0.1:4739", &ss, &sl, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 4739);
	assert_int_equal(ipfix_parse_collector("[::1]:2055", &ss, &sl, err, sizeof(err)), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ipfix_parse_collector("localhost:9995", NULL, NULL, err, sizeof(err)), 0);
	static const char *const bad[] = {"", "4739", ":4739", "127.0.0.1", "127.0.0.1:",
					  "127.0.0.1:0", "127.0.0.1:65536", "::1:4739",
					  "[::1]4739", "[]:4739", "127.0.0.1:47x9"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(ipfix_parse_collector(bad[i], NULL, NULL, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "--ipfix"));
	}
	assert_int_not_equal(ipfix_domain_of("wirecheck"), 0);
	assert_int_not_equal(ipfix_domain_of("a"), ipfix_domain_of("b"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_templates_and_record),
		cmocka_unit_test(test_sequence_and_refresh),
		cmocka_unit_test(test_send_errors_counted),
		cmocka_unit_test(test_collector_syntax),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
