/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one reader of HOST:PORT option values (--ipfix, --metrics and the
 * option table's check): where the host ends and the port begins, and the
 * port's range. What a host may be (a name to resolve, a numeric address)
 * is the caller's business.
 */
#ifndef WIRECHECK_HOSTPORT_H
#define WIRECHECK_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>

enum wc_hostport_flags {
	/* "PORT" and ":PORT" are accepted with an empty host */
	WC_HOSTPORT_EMPTY_HOST = 1 << 0,
};

/* Split spec into host (unbracketed, NUL-terminated, shorter than
 * hostlen) and a port 1-65535 of at most 5 digits. A bare IPv6 address
 * needs its brackets ([::1]:9109); "[]" is never a host. 0, or -1 when
 * spec has not that shape. */
int wc_hostport_split(const char *spec, unsigned flags, char *host, size_t hostlen,
		      uint16_t *port);

#endif
