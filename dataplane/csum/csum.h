/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum engine (RFC 1071, incremental update per RFC 1624).
 *
 * Two types keep the running sum and the folded value apart:
 *   wc_sum     - an unfolded one's-complement accumulator (64 bits, so that
 *                many buffers can be added before folding; never compared)
 *   wc_csum16  - a folded 16-bit one's-complement sum in network byte order
 *                semantics (i.e. the value as it appears on the wire when
 *                read big-endian), what is compared against header fields.
 *
 * Byte order: RFC 1071 §2(B) - the one's-complement sum is independent of
 * byte order up to a final swap, so the engine sums native words and swaps
 * once in wc_sum_fold().
 *
 * Every function here is pure and thread-safe; wc_csum_init() must run once
 * before wc_sum_add() (it selects the vector implementation for this CPU);
 * without it the portable path is used.
 */
#ifndef WC_CSUM_H
#define WC_CSUM_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t acc; /* unfolded native-order accumulator */
} wc_sum;

typedef uint16_t wc_csum16; /* folded sum, host-order integer of the BE value */

enum wc_csum_impl {
	WC_CSUM_IMPL_SCALAR = 0, /* portable 64-bit word loop */
	WC_CSUM_IMPL_AVX2,
	WC_CSUM_IMPL_AVX512,
};

/* Select the fastest implementation this CPU supports (runtime dispatch).
 * Returns the implementation chosen. Idempotent. */
enum wc_csum_impl wc_csum_init(void);
/* Force an implementation (tests, benchmarks). Returns 0, or -ENOTSUP when
 * the CPU lacks it. */
int wc_csum_select(enum wc_csum_impl impl);
const char *wc_csum_impl_name(enum wc_csum_impl impl);
enum wc_csum_impl wc_csum_current(void);

static inline wc_sum wc_sum_zero(void)
{
	wc_sum s = {0};
	return s;
}

/* Add len bytes at buf to s. buf may have any alignment; len may be odd
 * (an odd trailing byte is padded with zero as RFC 1071 says), but a buffer
 * that follows an odd-length one must be added with wc_sum_add() on a
 * fresh sum and combined by the caller - the engine only ever sums pieces
 * that start at an even offset of the logical stream. */
wc_sum wc_sum_add(wc_sum s, const void *buf, size_t len);

/* Add a 16-bit big-endian field value (e.g. a length or protocol number in
 * a pseudo-header) given as a host integer. */
wc_sum wc_sum_add_be16(wc_sum s, uint16_t v);

/* Combine two sums. */
static inline wc_sum wc_sum_combine(wc_sum a, wc_sum b)
{
	wc_sum r;
	r.acc = a.acc + b.acc;
	r.acc += (r.acc < a.acc); /* end-around carry */
	return r;
}

/* Fold to 16 bits (not complemented). Result in [0, 0xffff]. */
wc_csum16 wc_sum_fold(wc_sum s);

/* Reference: the plain RFC 1071 loop over big-endian 16-bit words, folded,
 * not complemented. Unit tests and benchmarks compare the engine to it. */
wc_csum16 wc_csum_ref(const void *buf, size_t len);

/* One's-complement helpers on folded values (RFC 1624). */
static inline wc_csum16 wc_csum16_add(wc_csum16 a, wc_csum16 b)
{
	uint32_t r = (uint32_t)a + b;
	return (wc_csum16)((r & 0xffff) + (r >> 16));
}

static inline wc_csum16 wc_csum16_sub(wc_csum16 a, wc_csum16 b)
{
	return wc_csum16_add(a, (wc_csum16)~b);
}

#endif
