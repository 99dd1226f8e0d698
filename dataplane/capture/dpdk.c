/* SPDX-License-Identifier: BSD-3-Clause */
/* Placeholder until the dpdk backend lands: answers "not built yet". */
#include <errno.h>
#include <stdio.h>

#include "capture.h"

static int stub_open(struct wc_capture **out, const struct wc_capture_args *a,
		     char *err, unsigned errlen)
{
	(void)out, (void)a;
	snprintf(err, errlen, "the dpdk backend is not built yet (see README)");
	return -ENOTSUP;
}

const struct wc_capture_ops wc_capture_dpdk = {
	.name = "dpdk",
	.open = stub_open,
};
