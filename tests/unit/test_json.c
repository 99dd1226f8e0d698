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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_timestamp_and_proto),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
