/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet time for live backends without hardware timestamps: the TSC, read
 * once per burst, converted to wall-clock nanoseconds with a factor
 * calibrated against CLOCK_REALTIME at start. No syscall per packet or per
 * burst (rdtsc is an instruction); precision is the burst's duration.
 */
#include <stdint.h>
#include <time.h>
#include <x86intrin.h>

#include "capture.h"

static double ns_per_tick;
static uint64_t tsc0, real0;

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int wc_clock_init(void)
{
	struct timespec nap = {0, 20 * 1000 * 1000};
	uint64_t r0 = real_ns(), t0 = __rdtsc();
	nanosleep(&nap, NULL);
	uint64_t r1 = real_ns(), t1 = __rdtsc();
	if (t1 <= t0)
		return -1;
	ns_per_tick = (double)(r1 - r0) / (double)(t1 - t0);
	tsc0 = t1;
	real0 = r1;
	return 0;
}

uint64_t wc_clock_ns(void)
{
	if (ns_per_tick == 0.0)
		return real_ns();
	return real0 + (uint64_t)((double)(__rdtsc() - tsc0) * ns_per_tick);
}
