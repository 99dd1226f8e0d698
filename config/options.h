/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One declarative table of options (STYLE 13): name, type, default, range
 * and help. Command-line parsing, validation and --help come from it, and
 * the YAML loader (issue 5) reads the same table.
 */
#ifndef WC_OPTIONS_H
#define WC_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

struct wc_config {
	const char *read_file;
	const char *outdir;
	const char *config_file;
	const char *instance;
	const char *ifaces;
	int dpdk;
	uint32_t mtu;
	uint32_t rate_limit;
	uint32_t ring_slots;
	uint32_t workers;
	uint32_t max_flows;
	uint32_t tcp_timeout_s;
	uint32_t ack_stall_ms;
	const char *xdp_mode;
	const char *xdp_obj;
	uint32_t queues;
	int no_control_plane;
	int busy_poll;
	int null_analysis;
	int quiet;
	int help;
	int version;
};

enum wc_opt_type { WC_OPT_STR, WC_OPT_U32, WC_OPT_FLAG };

struct wc_opt {
	const char *name;  /* long option, also the config key */
	char short_name;   /* 0 when none */
	enum wc_opt_type type;
	size_t offset;     /* into struct wc_config */
	const char *def;   /* default as text, NULL = unset */
	uint64_t min, max; /* for WC_OPT_U32 */
	const char *metavar;
	const char *help;
};

extern const struct wc_opt wc_options[];
extern const unsigned wc_n_options;

/* Fill defaults. */
void wc_config_defaults(struct wc_config *cfg);
/* Parse argv. Returns the index of the first non-option argument (after
 * "--", for EAL arguments), or -1 with a message naming the option in
 * err. */
int wc_config_parse_args(struct wc_config *cfg, int argc, char **argv,
			 char *err, size_t errlen);
/* Set one option from text (also used by the config file loader). 0 or -1
 * with err filled. */
int wc_config_set(struct wc_config *cfg, const struct wc_opt *o,
		  const char *value, char *err, size_t errlen);
void wc_config_usage(const char *prog, void *stream);

#endif
