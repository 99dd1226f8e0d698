/* SPDX-License-Identifier: BSD-3-Clause */
/* The option table: defaults, parsing, and errors that name the option. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "config/options.h"

static int parse(struct wc_config *c, char *err, int argc, char **argv)
{
	wc_config_defaults(c);
	return wc_config_parse_args(c, argc, argv, err, 256);
}

static void test_defaults(void **state)
{
	(void)state;
	struct wc_config c;
	wc_config_defaults(&c);
	assert_int_equal(c.mtu, 1500);
	assert_int_equal(c.rate_limit, 10);
	assert_int_equal(c.workers, 1);
	assert_null(c.read_file);
	assert_string_equal(c.outdir, "wirecheck-out");
}

static void test_parse_ok(void **state)
{
	(void)state;
	struct wc_config c;
	char err[256];
	char *argv[] = {"wirecheck", "-r", "f.pcap", "-o", "out", "--mtu", "9000",
			"--rate-limit=0", "-q", "--", "extra"};
	int first = parse(&c, err, 11, argv);
	assert_int_equal(first, 10);
	assert_string_equal(c.read_file, "f.pcap");
	assert_string_equal(c.outdir, "out");
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.rate_limit, 0);
	assert_int_equal(c.quiet, 1);
}

static void test_errors_name_the_option(void **state)
{
	(void)state;
	struct wc_config c;
	char err[256];
	char *a1[] = {"wirecheck", "--mtu", "12"};
	assert_int_equal(parse(&c, err, 3, a1), -1);
	assert_non_null(strstr(err, "--mtu"));
	char *a2[] = {"wirecheck", "--mtu", "15x0"};
	assert_int_equal(parse(&c, err, 3, a2), -1);
	assert_non_null(strstr(err, "--mtu"));
	char *a3[] = {"wirecheck", "--bogus"};
	assert_int_equal(parse(&c, err, 2, a3), -1);
	assert_non_null(strstr(err, "--bogus"));
	char *a4[] = {"wirecheck", "-r"};
	assert_int_equal(parse(&c, err, 2, a4), -1);
	assert_non_null(strstr(err, "-r"));
	char *a5[] = {"wirecheck", "--rate-limit", "-1"};
	assert_int_equal(parse(&c, err, 3, a5), -1);
	assert_non_null(strstr(err, "--rate-limit"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_errors_name_the_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
