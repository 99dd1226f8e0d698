/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum engine (RFC 1071), see csum.h for the contract.
 *
 * Every implementation returns an accumulator that is only meaningful
 * modulo 0xffff (plus the "any non-zero data gives a non-zero sum" property
 * that keeps 0x0000 and 0xffff apart, as the reference loop does): since
 * 0xffff divides 2^32 - 1 and 2^64 - 1, sums kept in 32- or 64-bit words
 * with end-around carry are congruent to the 16-bit sum (RFC 1071 §2(C)),
 * and carries may be counted apart and added back later (§2(D)).  The
 * implementations may therefore leave different (congruent) values in
 * wc_sum.acc for the same data; wc_sum_fold() and wc_sum_combine() do not
 * care.
 */
#include "csum.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

/* -DWC_CSUM_NO_SIMD builds the portable path only, as on other
 * architectures (and lets the tests see wc_csum_select() refuse). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
	!defined(WC_CSUM_NO_SIMD)
#define WC_CSUM_X86 1
#include <immintrin.h>
#endif

typedef uint64_t (*wc_sum_fn)(uint64_t acc, const unsigned char *p,
				 size_t len);

struct wc_csum_ops {
	enum wc_csum_impl impl;
	const char *name;
	wc_sum_fn sum;
};

/* One's-complement add of two 64-bit words: a carry out of bit 63 is worth
 * 2^64 = 1 modulo 2^64 - 1, so it wraps around into bit 0 (RFC 1071 §1).
 * The result is never zero unless both inputs are, which is what lets the
 * folded sum distinguish all-zero data (0x0000) from data that sums to a
 * multiple of 0xffff (0xffff), exactly like the reference loop. */
static inline uint64_t add_eac(uint64_t a, uint64_t b)
{
	a += b;
	return a + (a < b);
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v)); /* packet data has no alignment promise */
	return v;
}

/*
 * Sum of the last 0..7 bytes of a piece, which start at an even offset of
 * the stream.  The 4- and 2-byte chunks are added as native words of their
 * own rather than assembled into one 64-bit word: only the 16-bit lanes
 * matter modulo 0xffff, and this avoids the store-forwarding stall of a
 * memcpy into a zeroed word.  An odd last byte is the first (on the wire:
 * high) byte of a zero-padded 16-bit word ([Z,0] in RFC 1071 §1): native
 * value b on little-endian and b << 8 on big-endian.  Result < 2^33.
 */
static inline uint64_t sum_tail(const unsigned char *p, size_t len)
{
	uint64_t t = 0;

	if (len & 4) {
		uint32_t v;

		memcpy(&v, p, sizeof(v));
		t += v;
		p += 4;
	}
	if (len & 2) {
		uint16_t v;

		memcpy(&v, p, sizeof(v));
		t += v;
		p += 2;
	}
	if (len & 1) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		t += (uint64_t)p[0] << 8;
#else
		t += p[0];
#endif
	}
	return t;
}

/*
 * Portable path: native-order 64-bit words (RFC 1071 §2(B), the swap is
 * done once in wc_sum_fold()).  Four independent sums so that the adds do
 * not form one serial dependency chain; carries out of bit 63 are counted in
 * separate registers and added back at the end (§2(D) deferred carries)
 * instead of being folded in after every add.  A carry counter can never
 * overflow: it grows by at most one per 8 bytes.
 */
static uint64_t sum_scalar(uint64_t acc, const unsigned char *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
	uint64_t t;

	while (len >= 32) {
		uint64_t w0 = load64(p);
		uint64_t w1 = load64(p + 8);
		uint64_t w2 = load64(p + 16);
		uint64_t w3 = load64(p + 24);

		a0 += w0;
		c0 += a0 < w0;
		a1 += w1;
		c1 += a1 < w1;
		a2 += w2;
		c2 += a2 < w2;
		a3 += w3;
		c3 += a3 < w3;
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w = load64(p);

		a0 += w;
		c0 += a0 < w;
		p += 8;
		len -= 8;
	}
	t = sum_tail(p, len);
	a0 += t;
	c0 += a0 < t;
	acc = add_eac(acc, a0);
	acc = add_eac(acc, a1);
	acc = add_eac(acc, a2);
	acc = add_eac(acc, a3);
	return add_eac(acc, c0 + c1 + c2 + c3);
}

/*
 * Short pieces (headers, pseudo-headers, small packets) are the common case
 * in a probe.  Below WC_SHORT_LEN the indirect call and the vector setup and
 * reduction cost more than the data (the crossover measured on Zen 4 is
 * around 100-130 bytes), so they take this inlined single chain whatever
 * implementation is selected; the vector paths only ever see longer pieces.
 */
#define WC_SHORT_LEN 128

static inline uint64_t sum_short(uint64_t acc, const unsigned char *p,
				 size_t len)
{
	uint64_t a1 = 0, c0 = 0, c1 = 0, t;

	/* Two chains: even a 64-byte piece is latency-bound otherwise. */
	for (; len >= 16; len -= 16, p += 16) {
		uint64_t w0 = load64(p);
		uint64_t w1 = load64(p + 8);

		acc += w0;
		c0 += acc < w0;
		a1 += w1;
		c1 += a1 < w1;
	}
	if (len >= 8) {
		uint64_t w = load64(p);

		acc += w;
		c0 += acc < w;
		p += 8;
		len -= 8;
	}
	t = sum_tail(p, len);
	acc += t;
	c0 += acc < t;
	acc = add_eac(acc, a1);
	return add_eac(acc, c0 + c1);
}

#ifdef WC_CSUM_X86
/*
 * Vector paths.  Each 64-bit lane keeps two sums of the words w = hi:lo it
 * sees:  A = sum(w) mod 2^64 (a plain wrapping add) and H = sum(hi) exactly
 * (one shift).  As long as fewer than 2^32 words went into a lane, the
 * exact sum(lo) < 2^64, so it is recovered as A - (H << 32) mod 2^64: the
 * carries lost out of bit 63 are deferred (RFC 1071 §2(D)) and recovered
 * at the end instead of being detected per add, which AVX2 has no cheap
 * unsigned compare for.  sum(lo) + sum(hi) is then congruent to the lane's
 * word sum modulo 2^32 - 1, hence modulo 0xffff (§2(C)).  This costs one
 * load, one shift and two adds per vector, against a mask (or two
 * zero-extending shuffles), a shift and two adds for widening both 32-bit
 * halves; the ALU ports are the limit, and on Zen 4 the widening variant
 * measured ~20% slower at 9000 bytes.
 *
 * WC_VEC_CHUNK bounds the words per lane between reductions (all the
 * accumulators of a lane together): far below 2^32, and small enough that
 * L + H summed over 8 lanes stays below 2^57, so the horizontal reduction
 * needs no carry handling either.
 *
 * Loads are unaligned: aligning p first would need a prologue of odd length
 * whenever p is odd, i.e. a byte-swapped partial sum; unaligned vector
 * loads from L1 are cheap enough that it is not worth it.
 */
#define WC_VEC_CHUNK ((size_t)1 << 20) /* vectors per reduction */

/* Each loaded vector has two users (the add and the shift).  Left alone,
 * gcc folds the load into both, and twice the loads makes them the
 * bottleneck (one 64-byte load per cycle on current cores); an empty asm
 * that "modifies" the register pins the vector to one load. */
#define WC_ONE_LOAD(v) __asm__("" : "+v"(v))

__attribute__((target("avx2")))
static inline __m256i loadu256(const unsigned char *p)
{
	return _mm256_loadu_si256((const __m256i *)(const void *)p);
}

__attribute__((target("avx2")))
static uint64_t reduce_avx2(__m256i a, __m256i h)
{
	__m256i l = _mm256_sub_epi64(a, _mm256_slli_epi64(h, 32));
	__m256i t = _mm256_add_epi64(l, h);
	__m128i x = _mm_add_epi64(_mm256_castsi256_si128(t),
				  _mm256_extracti128_si256(t, 1));

	return (uint64_t)_mm_cvtsi128_si64(x) +
	       (uint64_t)_mm_extract_epi64(x, 1);
}

__attribute__((target("avx2")))
static uint64_t sum_avx2(uint64_t acc, const unsigned char *p, size_t len)
{
	while (len >= 32) {
		size_t n = len / 32;
		__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
		__m256i h0 = a0, h1 = a0, h2 = a0, h3 = a0;

		if (n > WC_VEC_CHUNK)
			n = WC_VEC_CHUNK;
		len -= n * 32;
		/* Four accumulator pairs: independent dependency chains, and
		 * no register copies in the loop (with two pairs the compiler
		 * reassociates and adds moves). */
		for (; n >= 4; n -= 4, p += 128) {
			__m256i v0 = loadu256(p);
			__m256i v1 = loadu256(p + 32);
			__m256i v2 = loadu256(p + 64);
			__m256i v3 = loadu256(p + 96);

			WC_ONE_LOAD(v0);
			WC_ONE_LOAD(v1);
			WC_ONE_LOAD(v2);
			WC_ONE_LOAD(v3);
			a0 = _mm256_add_epi64(a0, v0);
			h0 = _mm256_add_epi64(h0, _mm256_srli_epi64(v0, 32));
			a1 = _mm256_add_epi64(a1, v1);
			h1 = _mm256_add_epi64(h1, _mm256_srli_epi64(v1, 32));
			a2 = _mm256_add_epi64(a2, v2);
			h2 = _mm256_add_epi64(h2, _mm256_srli_epi64(v2, 32));
			a3 = _mm256_add_epi64(a3, v3);
			h3 = _mm256_add_epi64(h3, _mm256_srli_epi64(v3, 32));
		}
		/* Wrapping adds of the A sums stay valid: only the total
		 * number of words per lane matters for the recovery. */
		a0 = _mm256_add_epi64(_mm256_add_epi64(a0, a1),
				      _mm256_add_epi64(a2, a3));
		h0 = _mm256_add_epi64(_mm256_add_epi64(h0, h1),
				      _mm256_add_epi64(h2, h3));
		for (; n; n--, p += 32) {
			__m256i v = loadu256(p);

			WC_ONE_LOAD(v);
			a0 = _mm256_add_epi64(a0, v);
			h0 = _mm256_add_epi64(h0, _mm256_srli_epi64(v, 32));
		}
		acc = add_eac(acc, reduce_avx2(a0, h0));
	}
	/* Whole 32-byte blocks were consumed, so the tail still starts at an
	 * even offset of the stream and the scalar path can take it as is. */
	return len ? sum_scalar(acc, p, len) : acc;
}

__attribute__((target("avx512f,avx512bw")))
static uint64_t sum_avx512(uint64_t acc, const unsigned char *p, size_t len)
{
	while (len) {
		size_t n = len / 64;
		__m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
		__m512i h0 = a0, h1 = a0, h2 = a0, h3 = a0;
		__m512i l, v;

		if (n > WC_VEC_CHUNK)
			n = WC_VEC_CHUNK;
		len -= n * 64;
		for (; n >= 4; n -= 4, p += 256) {
			__m512i v0 = _mm512_loadu_si512(p);
			__m512i v1 = _mm512_loadu_si512(p + 64);
			__m512i v2 = _mm512_loadu_si512(p + 128);
			__m512i v3 = _mm512_loadu_si512(p + 192);

			WC_ONE_LOAD(v0);
			WC_ONE_LOAD(v1);
			WC_ONE_LOAD(v2);
			WC_ONE_LOAD(v3);
			a0 = _mm512_add_epi64(a0, v0);
			h0 = _mm512_add_epi64(h0, _mm512_srli_epi64(v0, 32));
			a1 = _mm512_add_epi64(a1, v1);
			h1 = _mm512_add_epi64(h1, _mm512_srli_epi64(v1, 32));
			a2 = _mm512_add_epi64(a2, v2);
			h2 = _mm512_add_epi64(h2, _mm512_srli_epi64(v2, 32));
			a3 = _mm512_add_epi64(a3, v3);
			h3 = _mm512_add_epi64(h3, _mm512_srli_epi64(v3, 32));
		}
		/* Wrapping adds of the A sums stay valid: only the total
		 * number of words per lane matters for the recovery. */
		a0 = _mm512_add_epi64(_mm512_add_epi64(a0, a1),
				      _mm512_add_epi64(a2, a3));
		h0 = _mm512_add_epi64(_mm512_add_epi64(h0, h1),
				      _mm512_add_epi64(h2, h3));
		for (; n; n--, p += 64) {
			v = _mm512_loadu_si512(p);
			WC_ONE_LOAD(v);
			a0 = _mm512_add_epi64(a0, v);
			h0 = _mm512_add_epi64(h0, _mm512_srli_epi64(v, 32));
		}
		if (len && len < 64) {
			/* Tail of 1..63 bytes: a zero-masked byte load is the
			 * RFC 1071 zero padding (the block started at an even
			 * offset, so an odd last byte is a high byte), and
			 * masked-off bytes are never accessed, so this cannot
			 * fault past the end of the buffer. */
			__mmask64 m = ((__mmask64)1 << len) - 1;

			v = _mm512_maskz_loadu_epi8(m, p);
			a0 = _mm512_add_epi64(a0, v);
			h0 = _mm512_add_epi64(h0, _mm512_srli_epi64(v, 32));
			len = 0;
		}
		l = _mm512_sub_epi64(a0, _mm512_slli_epi64(h0, 32));
		acc = add_eac(acc, (uint64_t)_mm512_reduce_add_epi64(
					   _mm512_add_epi64(l, h0)));
	}
	return acc;
}
#endif /* WC_CSUM_X86 */

static const struct wc_csum_ops csum_ops[] = {
	[WC_CSUM_IMPL_SCALAR] = {WC_CSUM_IMPL_SCALAR, "scalar", sum_scalar},
#ifdef WC_CSUM_X86
	[WC_CSUM_IMPL_AVX2] = {WC_CSUM_IMPL_AVX2, "avx2", sum_avx2},
	[WC_CSUM_IMPL_AVX512] = {WC_CSUM_IMPL_AVX512, "avx512", sum_avx512},
#else
	[WC_CSUM_IMPL_AVX2] = {WC_CSUM_IMPL_AVX2, "avx2", NULL},
	[WC_CSUM_IMPL_AVX512] = {WC_CSUM_IMPL_AVX512, "avx512", NULL},
#endif
};

#define WC_CSUM_NIMPL (sizeof(csum_ops) / sizeof(csum_ops[0]))

/* The table entries are constant, so publishing a pointer to one needs no
 * ordering beyond atomicity: a relaxed load on the hot path is a plain
 * load, and a concurrent wc_csum_select() only changes which (equally
 * correct) implementation the next call uses. */
static _Atomic(const struct wc_csum_ops *) csum_cur =
	&csum_ops[WC_CSUM_IMPL_SCALAR];

static int cpu_supports(enum wc_csum_impl impl)
{
	switch (impl) {
	case WC_CSUM_IMPL_SCALAR:
		return 1;
#ifdef WC_CSUM_X86
	/* libgcc / compiler-rt also check XCR0, i.e. that the OS saves the
	 * YMM/ZMM state, not only the CPUID bits. */
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

enum wc_csum_impl wc_csum_init(void)
{
	enum wc_csum_impl best = WC_CSUM_IMPL_SCALAR;

	if (cpu_supports(WC_CSUM_IMPL_AVX512))
		best = WC_CSUM_IMPL_AVX512;
	else if (cpu_supports(WC_CSUM_IMPL_AVX2))
		best = WC_CSUM_IMPL_AVX2;
	atomic_store_explicit(&csum_cur, &csum_ops[best],
			      memory_order_relaxed);
	return best;
}

int wc_csum_select(enum wc_csum_impl impl)
{
	if ((unsigned)impl >= WC_CSUM_NIMPL)
		return -EINVAL;
	if (!cpu_supports(impl) || !csum_ops[impl].sum)
		return -ENOTSUP;
	atomic_store_explicit(&csum_cur, &csum_ops[impl],
			      memory_order_relaxed);
	return 0;
}

const char *wc_csum_impl_name(enum wc_csum_impl impl)
{
	if ((unsigned)impl >= WC_CSUM_NIMPL)
		return "unknown";
	return csum_ops[impl].name;
}

enum wc_csum_impl wc_csum_current(void)
{
	return atomic_load_explicit(&csum_cur, memory_order_relaxed)->impl;
}

wc_sum wc_sum_add(wc_sum s, const void *buf, size_t len)
{
	const struct wc_csum_ops *ops;

	if (len < WC_SHORT_LEN) {
		s.acc = sum_short(s.acc, buf, len);
		return s;
	}
	ops = atomic_load_explicit(&csum_cur, memory_order_relaxed);
	s.acc = ops->sum(s.acc, buf, len);
	return s;
}

wc_sum wc_sum_add_be16(wc_sum s, uint16_t v)
{
	/* Same as summing these two bytes from memory, so the value goes
	 * through the same native-order view as buffer data (RFC 1071
	 * §2(B)); the compiler turns this into a rotate on little-endian. */
	const unsigned char b[2] = {(unsigned char)(v >> 8),
				    (unsigned char)(v & 0xff)};
	uint16_t w;

	memcpy(&w, b, sizeof(w));
	s.acc = add_eac(s.acc, w);
	return s;
}

wc_csum16 wc_sum_fold(wc_sum s)
{
	uint64_t x = s.acc;
	uint32_t y;
	uint16_t r;

	/* Adding a word to itself rotated by half its width leaves, in the
	 * upper half, the end-around-carry sum of the two halves (the carry
	 * out of the lower half is the end-around carry; RFC 1071 §2(C)),
	 * in one short dependency chain.  The result is zero only if x was,
	 * so all-zero data stays 0x0000 and anything else lands in
	 * [1, 0xffff], like the reference loop. */
	x += (x >> 32) | (x << 32);
	y = (uint32_t)(x >> 32);
	y += (y >> 16) | (y << 16);
	r = (uint16_t)(y >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The words were summed byte-swapped; one swap of the result gives
	 * the big-endian sum (RFC 1071 §2(B)). */
	r = (uint16_t)((r >> 8) | (r << 8));
#endif
	return r;
}

wc_csum16 wc_csum_ref(const void *buf, size_t len)
{
	/* Deliberately the textbook loop (RFC 1071 §4.1), byte loads and
	 * all: it is what the fast paths are checked and measured against.
	 * A 64-bit sum cannot overflow for any buffer that fits in memory
	 * (< 2^48 words of at most 0xffff). */
	const unsigned char *p = buf;
	uint64_t sum = 0;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (wc_csum16)sum;
}
