/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef WC_SUMMARY_H
#define WC_SUMMARY_H

#include <stdio.h>

#include "wirecheck/shm.h"

/* Human summary of a finished instance: verdict table per protocol,
 * anomalies by type, malformed reasons, top offending senders. */
void wc_summary_print(FILE *f, struct wc_shm_header *h, const char *outdir,
		      double seconds);

/* Format an address of family 4/6 (also used by the control plane). */
const char *wc_addr_str(int family, const uint8_t *ip, char *buf, unsigned len);

#endif
