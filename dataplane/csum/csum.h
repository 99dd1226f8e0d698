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
 * The summing functions are pure and thread-safe. wc_csum_init() and
 * wc_csum_select() set the process-wide implementation (call them before
 * the workers start); without them the portable path is used. The value of
 * wc_sum.acc differs between implementations (only its value modulo 0xffff
 * means anything): never compare accumulators, only folded sums.
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
/* Force an implementation (tests, benchmarks). Returns 0, -ENOTSUP when
 * the CPU lacks it, -EINVAL for a value outside enum wc_csum_impl. */
int wc_csum_select(enum wc_csum_impl impl);
const char *wc_csum_impl_name(enum wc_csum_impl impl);
enum wc_csum_impl wc_csum_current(void);

static inline wc_sum wc_sum_zero(void)
{
	wc_sum s = {0};
	return s;
}

/* Add len bytes at buf to s. buf may have any alignment; len may be odd
 * (an odd trailing byte is padded with zero as RFC 1071 says). A piece that
 * starts at an odd offset of the logical stream must be summed on a fresh
 * sum, rotated with wc_sum_rotl8() (RFC 1071 §2(B): its bytes sit in the
 * other half of every 16-bit word) and then combined. wirecheck's callers
 * only sum pieces that start at even offsets. */
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

/* Byte-swap a sum's 16-bit words: for a piece at an odd stream offset. */
static inline wc_sum wc_sum_rotl8(wc_sum s)
{
	wc_sum r;
	r.acc = (s.acc << 8) | (s.acc >> 56);
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
