/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operator commands of wirecheckctl (SPEC §5): stats, flows, events and
 * top read a running instance live, through a read-only mapping of its
 * shared memory (read access to the file is all they need), without ever
 * writing to it or waiting on the workers. Human tables by default, --json
 * for scripts.
 */
#ifndef WC_CLI_H
#define WC_CLI_H

#include <stdint.h>
#include <stdio.h>

/* 1 when cmd is one of the operator commands cli_main runs. */
int cli_is_command(const char *cmd);
/* wirecheckctl stats|flows|events|top [options]: argv[1] is the command.
 * Returns the exit code (2: usage). */
int cli_main(int argc, char **argv);
/* The usage lines of these commands. */
void cli_usage(FILE *f);

/* One events.json line as `wirecheckctl events` prints it (stdout); any
 * bytes are accepted (fuzz_events). */
void cli_event_human(const char *line);

struct wc_flow;
/* Copy a live flow entry with the sequence-lock read protocol of flow.h,
 * retrying while it is being written for at most 2 ms and *budget_ns
 * (decremented by the time spent retrying). 1: dst is a consistent copy,
 * 0: the entry stayed busy. */
int cli_read_flow(const struct wc_flow *src, struct wc_flow *dst, uint64_t *budget_ns);

#endif
