/* SPDX-License-Identifier: BSD-3-Clause */
#include "hostport.h"

#include <string.h>

static int parse_port(const char *s, uint16_t *port)
{
	if (!*s || strlen(s) > 5)
		return -1;
	unsigned v = 0;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -1;
		v = v * 10 + (unsigned)(*c - '0');
	}
	if (v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int wc_hostport_split(const char *spec, unsigned flags, char *host, size_t hostlen,
		      uint16_t *port)
{
	if (!spec || !*spec || !hostlen)
		return -1;
	const char *colon = strrchr(spec, ':'), *port_s, *h = spec;
	size_t n;
	if (!colon) { /* a port alone */
		if (!(flags & WC_HOSTPORT_EMPTY_HOST))
			return -1;
		n = 0;
		port_s = spec;
	} else if (spec[0] == '[') { /* [IPv6]:PORT */
		const char *rb = strchr(spec, ']');
		if (!rb || rb[1] != ':' || rb == spec + 1)
			return -1;
		h = spec + 1;
		n = (size_t)(rb - h);
		port_s = rb + 2;
	} else {
		n = (size_t)(colon - spec);
		if (memchr(spec, ':', n))
			return -1; /* a bare IPv6 address needs its brackets */
		if (!n && !(flags & WC_HOSTPORT_EMPTY_HOST))
			return -1;
		port_s = colon + 1;
	}
	if (n >= hostlen || parse_port(port_s, port) != 0)
		return -1;
	memcpy(host, h, n);
	host[n] = 0;
	return 0;
}
