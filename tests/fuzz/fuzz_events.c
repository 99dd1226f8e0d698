/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the operator CLI's reader of events.json lines
 * (`wirecheckctl events`, control/cli.c): a line may be cut, corrupt or
 * written by another tool; any bytes must print or be skipped, never
 * crash. stdout goes to /dev/null.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/cli.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	if (!freopen("/dev/null", "w", stdout))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size NUL-terminated copy so any over-read is caught */
	char *line = malloc(size + 1);
	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = 0;
	cli_event_human(line);
	free(line);
	return 0;
}
