/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON output escapes everything that could break a line or a parser
 * (SPEC §8: hostile bytes in every field that can carry them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/eve.h"
#include "control/json.h"

static char *escaped(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_write_escaped(f, s, n);
	fclose(f);
	return buf;
}

static void test_escapes(void **state)
{
	(void)state;
	char *o = escaped("a\"b\\c\nd\te\r", 10);
	assert_string_equal(o, "\"a\\\"b\\\\c\\nd\\te\\r\"");
	free(o);
	const char ctl[] = {'x', 0x01, 0x1f, 0x7f, 0x00, 'y'};
	o = escaped(ctl, sizeof(ctl));
	assert_string_equal(o, "\"x\\u0001\\u001f\\u007f\\u0000y\"");
	free(o);
}

static void test_utf8(void **state)
{
	(void)state;
	char *o = escaped("caf\xc3\xa9 \xe2\x82\xac", 9); /* valid: kept */
	assert_string_equal(o, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	free(o);
	/* invalid lead, truncated sequence, overlong '/', surrogate */
	o = escaped("\xff\xc3\xc0\xaf\xed\xa0\x80", 7);
	assert_string_equal(o, "\"\\u00ff\\u00c3\\u00c0\\u00af\\u00ed\\u00a0\\u0080\"");
	free(o);
}

static void test_structure(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct wc_json j;
	json_begin(&j, f);
	json_str(&j, "k\"ey", "v");
	json_arr(&j, "a");
	json_u64(&j, NULL, 1);
	json_u64(&j, NULL, 2);
	json_arr_end(&j);
	json_obj(&j, "o");
	json_bool(&j, "t", 1);
	json_i64(&j, "n", -5);
	json_obj_end(&j);
	json_end(&j);
	fclose(f);
	assert_string_equal(buf, "{\"k\\\"ey\":\"v\",\"a\":[1,2],\"o\":{\"t\":true,\"n\":-5}}\n");
	free(buf);
}

static void test_timestamp_and_proto(void **state)
{
	(void)state;
	char ts[64], pb[8];
	eve_timestamp(1700000000123456789ull, ts, sizeof(ts));
	assert_string_equal(ts, "2023-11-14T22:13:20.123456Z");
	assert_string_equal(eve_proto_name(6, pb, sizeof(pb)), "TCP");
	assert_string_equal(eve_proto_name(58, pb, sizeof(pb)), "IPv6-ICMP");
	assert_string_equal(eve_proto_name(132, pb, sizeof(pb)), "132");
}

/* The flow record's ECN keys: the handshake's negotiation as tcp.ecn and
 * each direction's marks and flags (the flags of a flow as track.c sets
 * them). */
static void test_flow_ecn_keys(void **state)
{
	(void)state;
	static const struct {
		uint16_t flags;
		const char *want;
	} cases[] = {
		{0, "\"ecn\":\"none\""},
		{WC_FLOW_ECN_SETUP, "\"ecn\":\"refused\""},
		{WC_FLOW_ECN_SETUP | WC_FLOW_ECN_CLASSIC, "\"ecn\":\"rfc3168\""},
		{WC_FLOW_ECN_SETUP | WC_FLOW_ACCECN, "\"ecn\":\"accecn\""},
	};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct wc_event e;
		memset(&e, 0, sizeof(e));
		e.kind = WC_EVENT_FLOW;
		e.family = 4;
		e.proto = 6;
		e.u.flow.key.family = 4;
		e.u.flow.key.proto = 6;
		e.u.flow.flags = cases[i].flags;
		e.u.flow.client = 1;
		e.u.flow.tally[1].ecn_ect = 300;
		e.u.flow.tally[1].ecn_ce = 7;
		e.u.flow.tally[1].cwr = 2;
		e.u.flow.tally[0].ece = 5;
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		eve_write_flow(f, &e);
		fclose(f);
		if (!strstr(buf, cases[i].want))
			fail_msg("%s not in %s", cases[i].want, buf);
		assert_non_null(strstr(buf, "\"toserver\":{"));
		const char *ts = strstr(buf, "\"toserver\":{"), *tc = strstr(buf, "\"toclient\":{");
		assert_non_null(tc);
		assert_non_null(strstr(ts, "\"ecn_ect\":300,\"ecn_ce\":7,\"ece\":0,\"cwr\":2"));
		assert_non_null(strstr(tc, "\"ecn_ect\":0,\"ecn_ce\":0,\"ece\":5,\"cwr\":0"));
		free(buf);
	}
}

/* ---- hostile bytes through the EVE writers ---------------------------
 * A strict RFC 8259 validator of its own (not json.c's logic): one value
 * per line, strings without raw control bytes, valid escapes, valid UTF-8
 * (no overlongs, surrogates or code points past U+10FFFF). */
struct jv {
	const unsigned char *p, *end;
	int depth;
};

static void jv_ws(struct jv *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\r' || *s->p == '\n'))
		s->p++;
}

static size_t jv_utf8(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static int jv_value(struct jv *s);

static int jv_string(struct jv *s)
{
	if (s->p >= s->end || *s->p != '"')
		return 0;
	s->p++;
	while (s->p < s->end) {
		unsigned char c = *s->p;
		if (c == '"') {
			s->p++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++s->p >= s->end)
				return 0;
			c = *s->p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, s->p++)
					if (s->p >= s->end || !strchr("0123456789abcdefABCDEF", *s->p) ||
					    !*s->p)
						return 0;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return 0;
			}
			continue;
		}
		if (c < 0x80) {
			s->p++;
			continue;
		}
		size_t n = jv_utf8(s->p, (size_t)(s->end - s->p));
		if (!n)
			return 0;
		s->p += n;
	}
	return 0;
}

static int jv_digits(struct jv *s)
{
	const unsigned char *b = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > b;
}

static int jv_number(struct jv *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!jv_digits(s))
		return 0;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!jv_digits(s))
			return 0;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!jv_digits(s))
			return 0;
	}
	return 1;
}

static int jv_lit(struct jv *s, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n))
		return 0;
	s->p += n;
	return 1;
}

static int jv_container(struct jv *s, char open, char close)
{
	if (++s->depth > 64)
		return 0;
	s->p++; /* open */
	jv_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 1;
	}
	for (;;) {
		if (open == '{') {
			if (!jv_string(s))
				return 0;
			jv_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return 0;
		}
		if (!jv_value(s))
			return 0;
		jv_ws(s);
		if (s->p >= s->end)
			return 0;
		if (*s->p == close) {
			s->p++;
			s->depth--;
			return 1;
		}
		if (*s->p++ != ',')
			return 0;
		jv_ws(s);
	}
}

static int jv_value(struct jv *s)
{
	jv_ws(s);
	if (s->p >= s->end)
		return 0;
	switch (*s->p) {
	case '{':
		return jv_container(s, '{', '}');
	case '[':
		return jv_container(s, '[', ']');
	case '"':
		return jv_string(s);
	case 't':
		return jv_lit(s, "true");
	case 'f':
		return jv_lit(s, "false");
	case 'n':
		return jv_lit(s, "null");
	default:
		return jv_number(s);
	}
}

/* buf is exactly one JSON object followed by one '\n' */
static int one_json_line(const char *buf, size_t len)
{
	if (len < 3 || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1) || buf[0] != '{')
		return 0;
	struct jv s = {(const unsigned char *)buf, (const unsigned char *)buf + len - 1, 0};
	return jv_value(&s) && s.p == s.end;
}

/* Bytes that have broken JSON writers: every control byte, quote,
 * backslash, DEL, lone continuation bytes, truncated, overlong and
 * surrogate sequences, 0xf5..0xff, a code point past U+10FFFF. */
static void hostile_fill(char *dst, size_t n, unsigned seed)
{
	static const unsigned char bad[] = {
		'"', '\\', 0x7f, 0x80, 0xbf, 0xc0, 0xaf, 0xc1, 0xbf, 0xe0, 0x80, 0x80,
		0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xf5, 0xfe, 0xff, 0xc3, '"',
		0xe2, 0x82, '\\', 'u', '0', 0xf0, 0x9f, 0x98, '\n', '\r', '\t', 0x08,
		'/', '}', ']', ',', ':', '{', 0xc3, 0xa9, 0xe2, 0x82, 0xac,
	};
	for (size_t i = 0; i < n; i++) {
		unsigned k = (unsigned)(i + seed);
		dst[i] = (char)(k % 3 == 0 ? 1 + k % 0x1f : bad[k % sizeof(bad)]);
	}
}

static void capture(void (*fn)(FILE *, void *), void *arg, char **buf, size_t *len)
{
	*buf = NULL;
	FILE *f = open_memstream(buf, len);
	fn(f, arg);
	fclose(f);
}

static void write_stats_cb(FILE *f, void *arg)
{
	eve_write_stats(f, arg, "dataplane_lost");
}

static void test_hostile_header_strings(void **state)
{
	(void)state;
	size_t size = 4096 + sizeof(struct wc_worker_shm);
	struct wc_shm_header *h = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	assert_non_null(h);
	for (unsigned seed = 0; seed < 64; seed++) {
		memset(h, 0, size);
		h->n_workers = 1;
		h->worker_offset[0] = 4096;
		wc_shm_worker(h, 0)->counters.packets = seed;
		/* instance, source (file name or interface list) and clock
		 * filled to the last byte: no NUL to stop a reader */
		hostile_fill(h->instance, sizeof(h->instance), seed);
		hostile_fill(h->source, sizeof(h->source), seed * 7);
		hostile_fill(h->clock, sizeof(h->clock), seed * 13);
		if (seed & 1) /* and a NUL inside: the string ends there */
			h->source[seed % sizeof(h->source)] = 0;
		size_t len;
		char *out;
		capture(write_stats_cb, h, &out, &len);
		if (!one_json_line(out, len))
			fail_msg("stats event with hostile strings is not one JSON line "
				 "(seed %u): %s", seed, out);
		/* nothing after the header's strings leaked in: the instance
		 * value holds at most 64 source bytes (6 output bytes each) */
		const char *v = strstr(out, "\"instance\":\"");
		const char *e = strstr(out, "\",\"source\":\"");
		assert_non_null(v);
		assert_non_null(e);
		assert_true(e - v < 16 + 64 * 6);
		free(out);
	}
	free(h);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

struct ev_arg {
	struct wc_event *e;
	int how;
};

static void write_event_cb(FILE *f, void *arg)
{
	struct ev_arg *a = arg;
	switch (a->how) {
	case 0:
		eve_write_anomaly(f, a->e, rng() & 0xffff);
		break;
	case 1: {
		/* evidence with context frames, or none (NULL) */
		struct eve_evidence ev = {.file = "evidence-000001.pcap", .frame = rng() & 0xffff,
					  .n_context = (unsigned)(rng() % (WC_EVIDENCE_CONTEXT_MAX + 1))};
		for (unsigned i = 0; i < ev.n_context; i++)
			ev.context[i] = rng();
		eve_write_anomaly_seq(f, a->e, rng() & 1 ? &ev : NULL, rng());
		break;
	}
	case 2:
		eve_write_flow(f, a->e);
		break;
	case 3:
		eve_write_flow_seq(f, a->e, rng());
		break;
	default:
		eve_write_flow_entry(f, &a->e->u.flow, (uint32_t)rng());
		break;
	}
}

/* Events as they come from shared memory may hold anything: every field
 * random (types, reasons, states, families, client side out of range). */
static void test_hostile_events(void **state)
{
	(void)state;
	struct wc_event *e = aligned_alloc(64, sizeof(*e));
	assert_non_null(e);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t *w = (uint64_t *)e;
		for (size_t k = 0; k < sizeof(*e) / 8; k++)
			w[k] = rng();
		if (i & 1) { /* plausible families and small enums, too */
			e->family = (i & 2) ? 4 : 6;
			e->proto = (uint8_t)((uint8_t[]){6, 17, 1, 58, 47, 132}[i % 6]);
			e->u.anomaly.type = (uint16_t)(i % 40);
			e->nvlan = (uint8_t)(i % 4);
			e->tunnel_type = (uint8_t)(i % 9);
		}
		struct ev_arg a = {e, (int)(i % 5)};
		size_t len;
		char *out;
		capture(write_event_cb, &a, &out, &len);
		if (!one_json_line(out, len))
			fail_msg("event %u (writer %d) is not one JSON line: %s", i, a.how, out);
		free(out);
	}
	free(e);
}

#define LINE_OK(lit) one_json_line(lit, sizeof(lit) - 1)

static void test_validator(void **state)
{
	(void)state;
	/* the validator itself rejects what it must */
	assert_true(LINE_OK("{\"a\":[1,-2.5e3,true,null,\"\\u00ff\xc3\xa9\"]}\n"));
	assert_false(LINE_OK("{\"a\":\"\x01\"}\n"));
	assert_false(LINE_OK("{\"a\":\"\xff\"}\n"));
	assert_false(LINE_OK("{\"a\":\"\xed\xa0\x80\"}\n"));
	assert_false(LINE_OK("{\"a\":\"\\x\"}\n"));
	assert_false(LINE_OK("{\"a\":1}{\n"));
	assert_false(LINE_OK("{\"a\":01}\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_timestamp_and_proto),
		cmocka_unit_test(test_flow_ecn_keys),
		cmocka_unit_test(test_validator),
		cmocka_unit_test(test_hostile_header_strings),
		cmocka_unit_test(test_hostile_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
