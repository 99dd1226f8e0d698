/* SPDX-License-Identifier: BSD-3-Clause */
/* The one anomaly table: every SPEC §5 name present, names unique and
 * stable, lookups consistent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wirecheck/anomaly.h"

/* SPEC §5 and §4, literally: renaming one breaks tools outside the project. */
static const char *const spec_names[] = {
	"ipv4_checksum_bad", "tcp_checksum_bad", "udp_checksum_bad",
	"icmp_checksum_bad", "icmpv6_checksum_bad", "checksum_partial",
	"tso_superframe", "malformed", "offload_corruption", "ack_stall",
	"synack_unexpected_source", "rst_after_first_data", "syn_unanswered",
	"rto_retransmission", "fast_retransmission", "zero_window", "missing_fin",
};

static void test_spec_names_present(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(spec_names) / sizeof(spec_names[0]); i++) {
		int a = wc_anomaly_from_name(spec_names[i]);
		assert_true(a >= 0);
		assert_string_equal(wc_anomaly_name(a), spec_names[i]);
	}
	assert_int_equal(WC_ANOM_COUNT, sizeof(spec_names) / sizeof(spec_names[0]));
	assert_int_equal(wc_anomaly_from_name("no_such_anomaly"), -1);
}

static void test_unique_and_complete(void **state)
{
	(void)state;
	for (int a = 0; a < WC_ANOM_COUNT; a++) {
		assert_true(strlen(wc_anomaly_name(a)) > 0);
		assert_true(strlen(wc_anomaly_layer(a)) > 0);
		assert_true(strlen(wc_anomaly_description(a)) > 0);
		assert_true(wc_anomaly_severity(a) <= WC_SEV_CRITICAL);
		for (int b = a + 1; b < WC_ANOM_COUNT; b++)
			assert_string_not_equal(wc_anomaly_name(a), wc_anomaly_name(b));
	}
	for (int m = 1; m < WC_MAL_COUNT; m++)
		for (int n = m + 1; n < WC_MAL_COUNT; n++)
			assert_string_not_equal(wc_malformed_name(m), wc_malformed_name(n));
	assert_string_equal(wc_anomaly_name(WC_ANOM_COUNT), "unknown");
}

static void test_layers_and_verdicts(void **state)
{
	(void)state;
	static const char *const layers[] = {"ipv4", "tcp", "udp", "icmp", "icmpv6"};
	static const char *const verdicts[] = {"good", "bad", "partial", "zero",
					       "unverifiable"};
	assert_int_equal(WC_LAYER_COUNT, 5);
	assert_int_equal(WC_VERDICT_COUNT, 5);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(wc_csum_layer_name(i), layers[i]);
		assert_string_equal(wc_verdict_name(i), verdicts[i]);
	}
	assert_string_equal(wc_severity_name(WC_SEV_CRITICAL), "critical");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_names_present),
		cmocka_unit_test(test_unique_and_complete),
		cmocka_unit_test(test_layers_and_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
