/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the YAML configuration loader (config/yaml.c):
 * any file contents must be loaded or rejected with a file:line message,
 * never crash, hang or leak. The input is written to a memfd and loaded
 * through its /proc path, as -c FILE would.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config/options.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = memfd_create("fuzz_config", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct wc_config cfg;
	wc_config_defaults(&cfg);
	char err[512];
	err[0] = 0;
	int r = wc_config_load_yaml(&cfg, path, err, sizeof(err));
	/* a rejection names the file and the line */
	if (r != 0 && strncmp(err, path, strlen(path)) != 0)
		abort();
	if (r == 0 && memchr(err, 0, sizeof(err)) == NULL)
		abort();
	wc_config_free(&cfg);
	return 0;
}
