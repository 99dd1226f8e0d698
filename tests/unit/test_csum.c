/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for the Internet checksum engine (dataplane/csum).
 *
 * Every implementation the CPU supports is checked against wc_csum_ref()
 * on every length 0..9000 at every start offset 0..63 (9001 * 64 sums per
 * implementation, about 0.2 s each at -O2, so no sampling was needed).  The
 * payload is the same at every offset (it is copied to buf + off), so the
 * reference is computed once per length; the bytes before and after it are
 * random, so a path that reads one byte too many or too few at the end gets
 * a wrong sum (and ASan builds catch reads past the end of the exact-size
 * allocations in test_engine_exact_alloc).  Fresh random content, skewed
 * content and split sums are covered by the other per-implementation tests.
 *
 * Pieces shorter than 128 bytes take a common inlined path whatever the
 * implementation (see WC_SHORT_LEN in csum.c); longer ones exercise the
 * selected vector loop, its remainder loop and every tail length.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"

#define MAX_LEN 9000
#define MAX_OFF 64

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: fixed seed, so a failure reproduces. */
static uint64_t rng(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void fill_random(unsigned char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)(rng() >> 56);
}

static wc_csum16 engine(const void *buf, size_t len)
{
	return wc_sum_fold(wc_sum_add(wc_sum_zero(), buf, len));
}

static int cpu_has(enum wc_csum_impl impl)
{
	switch (impl) {
	case WC_CSUM_IMPL_SCALAR:
		return 1;
#if defined(__x86_64__) && !defined(WC_CSUM_NO_SIMD)
	case WC_CSUM_IMPL_AVX2:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx2");
	case WC_CSUM_IMPL_AVX512:
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx512f") &&
		       __builtin_cpu_supports("avx512bw");
#endif
	default:
		return 0;
	}
}

static enum wc_csum_impl impl_scalar = WC_CSUM_IMPL_SCALAR;
static enum wc_csum_impl impl_avx2 = WC_CSUM_IMPL_AVX2;
static enum wc_csum_impl impl_avx512 = WC_CSUM_IMPL_AVX512;

/* Per-implementation tests get the implementation as prestate. */
static int impl_setup(void **state)
{
	enum wc_csum_impl impl = *(enum wc_csum_impl *)*state;

	if (!cpu_has(impl))
		return 0; /* the test itself skips */
	assert_int_equal(wc_csum_select(impl), 0);
	assert_int_equal(wc_csum_current(), impl);
	return 0;
}

static int impl_teardown(void **state)
{
	(void)state;
	wc_csum_init();
	return 0;
}

static enum wc_csum_impl impl_or_skip(void **state)
{
	enum wc_csum_impl impl = *(enum wc_csum_impl *)*state;

	if (!cpu_has(impl))
		skip();
	return impl;
}

/* Must run first: before wc_csum_init() the portable path is in use and
 * already gives correct sums. */
static void test_default_is_scalar(void **state)
{
	static const unsigned char b[] = {0x00, 0x01, 0xf2, 0x03,
					  0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(wc_csum_current(), WC_CSUM_IMPL_SCALAR);
	assert_int_equal(engine(b, sizeof(b)), 0xddf2);
}

/* ---- reference loop on known data ---- */

static void test_ref_rfc1071_example(void **state)
{
	/* RFC 1071 §3 numerical example: these 8 bytes sum to ddf2. */
	static const unsigned char b[] = {0x00, 0x01, 0xf2, 0x03,
					  0xf4, 0xf5, 0xf6, 0xf7};

	(void)state;
	assert_int_equal(wc_csum_ref(b, sizeof(b)), 0xddf2);
	/* An odd byte is the high byte of a zero-padded word. */
	assert_int_equal(wc_csum_ref(b + 2, 1), 0xf200);
	assert_int_equal(wc_csum_ref(b, 7), (0xddf2 - 0x00f7));
	/* Nothing sums to +0, not -0. */
	assert_int_equal(wc_csum_ref(b, 0), 0);
}

static void test_ref_all_ones_and_zeros(void **state)
{
	unsigned char b[1501];

	(void)state;
	memset(b, 0xff, sizeof(b));
	/* 0xffff words are -0: any number of them folds to 0xffff. */
	assert_int_equal(wc_csum_ref(b, 2), 0xffff);
	assert_int_equal(wc_csum_ref(b, 1500), 0xffff);
	/* ...plus a trailing 0xff00 is -0 + 0xff00. */
	assert_int_equal(wc_csum_ref(b, 1501), 0xff00);
	memset(b, 0, sizeof(b));
	assert_int_equal(wc_csum_ref(b, sizeof(b)), 0);
}

/* ---- engine against the reference ---- */

static unsigned char payload[MAX_LEN + 2 * MAX_OFF];
static unsigned char work[MAX_LEN + 3 * MAX_OFF];
static wc_csum16 ref_sum[MAX_LEN + 1];
static int ref_ready;

static void prepare_ref(void)
{
	if (ref_ready)
		return;
	fill_random(payload, sizeof(payload));
	for (size_t len = 0; len <= MAX_LEN; len++)
		ref_sum[len] = wc_csum_ref(payload, len);
	ref_ready = 1;
}

static void test_engine_all_lengths_offsets(void **state)
{
	enum wc_csum_impl impl = impl_or_skip(state);
	size_t bad = 0;

	prepare_ref();
	for (size_t off = 0; off < MAX_OFF; off++) {
		/* Junk before the payload, payload, then the bytes that
		 * followed it in the random stream: reading past len must
		 * change the sum. */
		fill_random(work, off);
		memcpy(work + off, payload, sizeof(payload));
		for (size_t len = 0; len <= MAX_LEN; len++) {
			wc_csum16 got = engine(work + off, len);

			if (got != ref_sum[len]) {
				if (bad++ < 10)
					print_error("%s: off %zu len %zu: "
						    "got %04x want %04x\n",
						    wc_csum_impl_name(impl),
						    off, len, got,
						    ref_sum[len]);
			}
		}
	}
	assert_int_equal(bad, 0);
}

static void test_engine_random(void **state)
{
	static unsigned char b[MAX_LEN + MAX_OFF];
	enum wc_csum_impl impl = impl_or_skip(state);

	/* Fresh content each round; also byte-skewed data (mostly 0xff or
	 * mostly 0x00) that drives the carry paths to their extremes. */
	for (int round = 0; round < 3000; round++) {
		size_t off = rng() % MAX_OFF;
		size_t len = rng() % (MAX_LEN + 1);
		int kind = round % 3;

		fill_random(b, sizeof(b));
		if (kind == 1)
			for (size_t i = 0; i < sizeof(b); i++)
				b[i] |= (rng() & 7) ? 0xff : 0;
		else if (kind == 2)
			for (size_t i = 0; i < sizeof(b); i++)
				b[i] &= (rng() & 7) ? 0 : 0xff;
		if (engine(b + off, len) != wc_csum_ref(b + off, len))
			fail_msg("%s: round %d off %zu len %zu",
				 wc_csum_impl_name(impl), round, off, len);
	}
}

static void test_engine_exact_alloc(void **state)
{
	enum wc_csum_impl impl = impl_or_skip(state);

	/* Buffers allocated to their exact length so that ASan/valgrind
	 * flag any read past the end (the AVX-512 tail uses masked loads,
	 * which ASan does not see, but they never touch masked-off bytes). */
	for (size_t len = 0; len <= 300; len++) {
		unsigned char *b = malloc(len ? len : 1);

		assert_non_null(b);
		fill_random(b, len);
		if (engine(b, len) != wc_csum_ref(b, len))
			fail_msg("%s: len %zu", wc_csum_impl_name(impl), len);
		free(b);
	}
}

static void test_engine_split(void **state)
{
	enum wc_csum_impl impl = impl_or_skip(state);
	static const size_t lens[] = {2, 20, 63, 64, 65, 127, 128, 129,
				      255, 256, 257, 1500, 1501, 4096};

	/* Adding to a non-zero running sum: the pieces start at even
	 * offsets, as the wc_sum_add() contract requires. */
	prepare_ref();
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		size_t len = lens[i];

		for (size_t k = 0; k <= len; k += 2) {
			wc_sum s = wc_sum_add(wc_sum_zero(), payload, k);

			s = wc_sum_add(s, payload + k, len - k);
			if (wc_sum_fold(s) != ref_sum[len])
				fail_msg("%s: len %zu split %zu",
					 wc_csum_impl_name(impl), len, k);
		}
	}
}

static void test_engine_known(void **state)
{
	static const unsigned char rfc[] = {0x00, 0x01, 0xf2, 0x03,
					    0xf4, 0xf5, 0xf6, 0xf7};
	static unsigned char ff[9000 + 64];
	enum wc_csum_impl impl = impl_or_skip(state);

	assert_int_equal(engine(rfc, sizeof(rfc)), 0xddf2);
	assert_int_equal(engine(rfc + 2, 1), 0xf200);
	assert_int_equal(engine(NULL, 0), 0);

	/* All ones: -0 everywhere, must come out as 0xffff (not 0) at any
	 * even length, 0xff00 at odd lengths, and 0 for no data. */
	memset(ff, 0xff, sizeof(ff));
	for (size_t len = 0; len <= 9000; len++) {
		size_t off = len % 64;
		wc_csum16 want = len == 0 ? 0 : (len & 1) ? 0xff00 : 0xffff;

		if (engine(ff + off, len) != want)
			fail_msg("%s: all-ones len %zu",
				 wc_csum_impl_name(impl), len);
	}
	memset(ff, 0, sizeof(ff));
	assert_int_equal(engine(ff + 3, 9000), 0);
}

static void test_engine_large(void **state)
{
	/* Larger than one vector-path reduction chunk (2^20 vectors = 64 MiB
	 * for AVX-512), and odd. */
	const size_t len = ((size_t)65 << 20) + 13;
	enum wc_csum_impl impl = impl_or_skip(state);
	unsigned char *b = malloc(len + 1);
	wc_csum16 got[2], want[2];

	assert_non_null(b);
	fill_random(b, len + 1);
	memset(b + (1 << 20), 0xff, 3 << 20); /* a long run of -0 words */
	got[0] = engine(b + 1, len);
	want[0] = wc_csum_ref(b + 1, len);
	got[1] = engine(b, len - 1);
	want[1] = wc_csum_ref(b, len - 1);
	free(b);
	if (got[0] != want[0] || got[1] != want[1])
		fail_msg("%s: %04x/%04x, want %04x/%04x",
			 wc_csum_impl_name(impl), got[0], got[1], want[0],
			 want[1]);
}

/* ---- folding and header-level checks ---- */

static void test_fold(void **state)
{
	static const uint64_t edge[] = {
		0, 1, 0xffff, 0x10000, 0xfffe, 0x1fffe, 0xffffffffull,
		0x100000000ull, 0xffff0000ffffull, 0xfffffffffffffffeull,
		UINT64_MAX, 0x8000000000000000ull, 0x0001000100010001ull,
	};
	const size_t nedge = sizeof(edge) / sizeof(edge[0]);

	(void)state;
	/* Against arithmetic modulo 0xffff (2^16 = 1 there, so any word
	 * width folds to the same residue), with 0 kept for zero and
	 * 0xffff standing for the non-zero multiples; then the one swap
	 * from native little-endian word order. */
	for (size_t i = 0; i < nedge + 100000; i++) {
		uint64_t x = i < nedge ? edge[i] : rng() >> (rng() & 63);
		wc_sum s = {x};
		uint16_t want = x == 0 ? 0 : (x % 0xffff ? x % 0xffff : 0xffff);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		want = (uint16_t)(want >> 8 | want << 8);
#endif
		if (wc_sum_fold(s) != want)
			fail_msg("fold %016llx: got %04x want %04x",
				 (unsigned long long)x, wc_sum_fold(s), want);
	}
}

static void test_ipv4_header(void **state)
{
	/* A real IPv4 header (20 bytes, UDP, 192.168.0.1 -> 192.168.0.199)
	 * with its checksum b861 filled in: the sum over the header including
	 * the checksum field folds to 0xffff. */
	static const unsigned char hdr[20] = {
		0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
		0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
	};
	unsigned char h[sizeof(hdr)];

	(void)state;
	wc_csum_init();
	assert_int_equal(wc_csum_ref(hdr, sizeof(hdr)), 0xffff);
	assert_int_equal(engine(hdr, sizeof(hdr)), 0xffff);

	/* Computing it from scratch gives the same field value. */
	memcpy(h, hdr, sizeof(h));
	h[10] = h[11] = 0;
	assert_int_equal((uint16_t)~engine(h, sizeof(h)), 0xb861);
	/* Any corruption is caught. */
	memcpy(h, hdr, sizeof(h));
	h[8] -= 1; /* TTL */
	assert_int_not_equal(engine(h, sizeof(h)), 0xffff);
}

static void test_combine(void **state)
{
	unsigned char b[4000];

	(void)state;
	wc_csum_init();
	fill_random(b, sizeof(b));
	for (int i = 0; i < 500; i++) {
		size_t len = (rng() % sizeof(b)) & ~(size_t)1;
		size_t k = (rng() % (len + 1)) & ~(size_t)1; /* even split */
		wc_sum a = wc_sum_add(wc_sum_zero(), b, k);
		wc_sum c = wc_sum_add(wc_sum_zero(), b + k, len - k);

		assert_int_equal(wc_sum_fold(wc_sum_combine(a, c)),
				 wc_csum_ref(b, len));
		assert_int_equal(wc_sum_fold(wc_sum_combine(c, a)),
				 wc_csum_ref(b, len));
	}
	/* End-around carry in combine itself. */
	{
		wc_sum x = {UINT64_MAX}, y = {1};

		assert_int_equal(wc_sum_combine(x, y).acc, 1);
		assert_int_equal(wc_sum_fold(wc_sum_combine(x, y)), 0x0100);
	}
	/* Zero is the identity, and does not turn -0 into +0. */
	{
		wc_sum m = {0xffff};

		assert_int_equal(
			wc_sum_fold(wc_sum_combine(m, wc_sum_zero())), 0xffff);
	}
}

static void test_add_be16(void **state)
{
	unsigned char b[64 + 2];

	(void)state;
	wc_csum_init();
	for (uint32_t v = 0; v <= 0xffff; v++) {
		unsigned char two[2] = {(unsigned char)(v >> 8),
					(unsigned char)v};

		if (wc_sum_fold(wc_sum_add_be16(wc_sum_zero(), (uint16_t)v)) !=
		    wc_csum_ref(two, 2))
			fail_msg("add_be16 %04x alone", v);
	}
	/* Mixed with buffer data, as in a pseudo-header: sum(data) +
	 * be16(v) == sum(data followed by the two bytes of v). */
	for (int i = 0; i < 2000; i++) {
		uint16_t v = (uint16_t)rng();
		size_t len = (rng() % 64) & ~(size_t)1;
		wc_sum s;

		fill_random(b, len);
		b[len] = (unsigned char)(v >> 8);
		b[len + 1] = (unsigned char)v;
		s = wc_sum_add_be16(wc_sum_add(wc_sum_zero(), b, len), v);
		assert_int_equal(wc_sum_fold(s), wc_csum_ref(b, len + 2));
	}
}

static void test_rfc1624_incremental(void **state)
{
	unsigned char h[20];

	(void)state;
	/* RFC 1624 §4: HC = 0xdd2f, field m = 0x5555 changes to 0x3285.
	 * Eqn. 3, HC' = ~(~HC + ~m + m'), gives 0x0000 (eqn. 2 would wrongly
	 * give 0xffff). */
	assert_int_equal((uint16_t)~wc_csum16_add(
				 wc_csum16_sub((wc_csum16)~0xdd2f, 0x5555),
				 0x3285),
			 0x0000);
	assert_int_equal(wc_csum16_add(0xffff, 0xffff), 0xffff);
	assert_int_equal(wc_csum16_sub(0x1234, 0x1234), 0xffff);
	assert_int_equal(wc_csum16_add(0x8000, 0x8000), 0x0001);

	/* Incremental update matches recomputation for random headers and
	 * random 16-bit field changes (data stays non-zero). */
	wc_csum_init();
	for (int i = 0; i < 10000; i++) {
		size_t f = (rng() % 10) * 2;
		wc_csum16 old_sum, m, mn, upd;

		fill_random(h, sizeof(h));
		h[0] |= 1;
		if (f == 0)
			f = 2;
		old_sum = engine(h, sizeof(h));
		m = (wc_csum16)(h[f] << 8 | h[f + 1]);
		mn = (wc_csum16)rng();
		h[f] = (unsigned char)(mn >> 8);
		h[f + 1] = (unsigned char)mn;
		upd = wc_csum16_add(wc_csum16_sub(old_sum, m), mn);
		assert_int_equal(upd, wc_csum_ref(h, sizeof(h)));
	}
}

/* ---- dispatch ---- */

static void test_select(void **state)
{
	static const enum wc_csum_impl all[] = {
		WC_CSUM_IMPL_SCALAR, WC_CSUM_IMPL_AVX2, WC_CSUM_IMPL_AVX512};
	int missing = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		enum wc_csum_impl impl = all[i];
		enum wc_csum_impl before = wc_csum_current();
		int rc = wc_csum_select(impl);

		if (cpu_has(impl)) {
			assert_int_equal(rc, 0);
			assert_int_equal(wc_csum_current(), impl);
		} else {
			/* Refused, and the current choice is untouched. */
			missing++;
			assert_int_equal(rc, -ENOTSUP);
			assert_int_equal(wc_csum_current(), before);
		}
	}
	/* On a CPU with everything, the -ENOTSUP branch above cannot run;
	 * every select then had to succeed, which was asserted.  Building
	 * with -DWC_CSUM_NO_SIMD exercises it on any machine. */
	if (!missing)
		print_message("    (CPU supports every implementation; "
			      "-ENOTSUP path not exercisable here)\n");
	assert_int_equal(wc_csum_select((enum wc_csum_impl)42), -EINVAL);
	assert_int_equal(wc_csum_select((enum wc_csum_impl)-1), -EINVAL);
}

static void test_init_and_names(void **state)
{
	enum wc_csum_impl best;

	(void)state;
	best = wc_csum_init();
	assert_int_equal(wc_csum_current(), best);
	assert_int_equal(wc_csum_init(), best); /* idempotent */
	assert_true(cpu_has(best));
	/* The best supported one is picked. */
	if (cpu_has(WC_CSUM_IMPL_AVX512))
		assert_int_equal(best, WC_CSUM_IMPL_AVX512);
	else if (cpu_has(WC_CSUM_IMPL_AVX2))
		assert_int_equal(best, WC_CSUM_IMPL_AVX2);
	else
		assert_int_equal(best, WC_CSUM_IMPL_SCALAR);
	assert_string_equal(wc_csum_impl_name(WC_CSUM_IMPL_SCALAR), "scalar");
	assert_string_equal(wc_csum_impl_name(WC_CSUM_IMPL_AVX2), "avx2");
	assert_string_equal(wc_csum_impl_name(WC_CSUM_IMPL_AVX512), "avx512");
	assert_string_equal(wc_csum_impl_name((enum wc_csum_impl)42),
			    "unknown");
}

/* One entry per implementation, named e.g. "test_engine_known/avx2". */
#define IMPL_TEST(fn, impl)                                              \
	{ #fn "/" #impl, fn, impl_setup, impl_teardown, &impl_##impl }
#define IMPL_TESTS(fn)                                                   \
	IMPL_TEST(fn, scalar), IMPL_TEST(fn, avx2), IMPL_TEST(fn, avx512)

/* A piece at an odd stream offset, summed fresh and rotated with
 * wc_sum_rotl8() (RFC 1071 §2(B)), combines to the sum of the whole. */
static void test_odd_split_rotl8(void **state)
{
	(void)state;
	uint8_t buf[257];
	uint32_t x = 12345;
	for (unsigned i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t len = 2; len <= sizeof(buf); len += 7) {
		for (size_t cut = 1; cut < len; cut += 2) { /* odd cuts */
			wc_sum a = wc_sum_add(wc_sum_zero(), buf, cut);
			wc_sum b = wc_sum_rotl8(wc_sum_add(wc_sum_zero(), buf + cut, len - cut));
			assert_int_equal(wc_sum_fold(wc_sum_combine(a, b)), wc_csum_ref(buf, len));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_is_scalar),
		cmocka_unit_test(test_ref_rfc1071_example),
		cmocka_unit_test(test_ref_all_ones_and_zeros),
		cmocka_unit_test(test_init_and_names),
		cmocka_unit_test(test_select),
		IMPL_TESTS(test_engine_known),
		IMPL_TESTS(test_engine_all_lengths_offsets),
		IMPL_TESTS(test_engine_random),
		IMPL_TESTS(test_engine_exact_alloc),
		IMPL_TESTS(test_engine_split),
		IMPL_TESTS(test_engine_large),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_ipv4_header),
		cmocka_unit_test(test_combine),
		cmocka_unit_test(test_add_be16),
		cmocka_unit_test(test_rfc1624_incremental),
		cmocka_unit_test(test_odd_split_rotl8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
