/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One declarative table of options (STYLE 13): command-line name, YAML key,
 * type, default, range and help. Command-line parsing, the YAML loader
 * (config/yaml.c), validation and --help all come from wc_options[].
 *
 * Precedence: defaults < configuration file (-c FILE) < command line.
 */
#ifndef WC_OPTIONS_H
#define WC_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define WC_CFG_MAX_PORTS 32    /* ports that can have their own MTU (0..31) */
#define WC_CFG_PORT_NAME 32    /* interface name or port number, as text */
#define WC_CFG_MAX_LIST 64     /* items of a list option (EAL arguments) */
#define WC_CFG_MAX_CPU 63      /* capture.cores is a 64-bit mask */
#define WC_MAX_OPTIONS 64      /* rows of wc_options[] (checked at build) */

/* One capture.port_mtu entry: a port number ("0") or an interface name
 * ("vnet3", resolved against -i when the capture starts). */
struct wc_port_mtu {
	char port[WC_CFG_PORT_NAME];
	uint32_t mtu;
};

struct wc_cfg_string; /* strings copied from a configuration file */

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
	uint32_t evidence_history;   /* recent packets kept per worker */
	uint32_t evidence_context;   /* earlier packets of the flow per anomaly */
	uint32_t evidence_max_bytes; /* evidence file rotation size, 0 = none */
	uint32_t evidence_files;     /* evidence files kept, 0 = all */
	uint32_t workers;
	uint32_t max_flows;
	uint32_t tcp_timeout_s;
	uint32_t syn_timeout_s;
	uint32_t closed_timeout_s;
	uint32_t udp_timeout_s;
	int ignore_vlan;         /* VLAN ids left out of the flow key */
	uint32_t ack_stall_ms;
	uint32_t xdp_mode;       /* index into wc_xdp_mode_names */
	uint32_t xdp_attach;     /* index into wc_xdp_attach_names */
	const char *mgmt;
	const char *xdp_obj;
	uint32_t queues;
	uint64_t cores;          /* CPUs for the workers, bit n = CPU n; 0 = default */
	int no_control_plane;
	const char *metrics; /* passed to the control plane it starts */
	const char *ipfix;   /* collector HOST:PORT, passed on likewise */
	uint32_t ipfix_template_refresh_s;
	const char *shm_group; /* group that may read the shm (0640), NULL = 0600 */
	int busy_poll;
	int null_analysis;
	int quiet;
	int help;
	int version;
	unsigned n_port_mtu;
	struct wc_port_mtu port_mtu[WC_CFG_MAX_PORTS];
	unsigned n_eal_args;
	const char *eal_args[WC_CFG_MAX_LIST]; /* used when nothing follows -- */
	struct wc_cfg_string *strings;         /* owned; wc_config_free() */
};

enum wc_opt_type {
	WC_OPT_STR,     /* const char * */
	WC_OPT_U32,     /* uint32_t in [min, max] */
	WC_OPT_BOOL,    /* int; bare on the command line, true/false/yes/no/1/0 */
	WC_OPT_ENUM,    /* uint32_t index into choices */
	WC_OPT_CPULIST, /* uint64_t mask from "1-3,5"; CPUs up to max */
	WC_OPT_PORTMAP, /* port_mtu[]: "PORT=N[,PORT=N]" or a YAML mapping */
	WC_OPT_STRLIST, /* eal_args[]: one item per call, or a YAML list */
};

enum wc_opt_flags {
	/* One of the capture modes (-r, -i, --dpdk): one given on the command
	 * line replaces whichever mode the configuration file chose. */
	WC_OPTF_MODE = 1 << 0,
};

struct wc_opt {
	const char *name;  /* long option; NULL: configuration file only */
	char short_name;   /* 0 when none */
	const char *key;   /* dotted YAML key; NULL: command line only */
	enum wc_opt_type type;
	size_t offset;     /* into struct wc_config */
	const char *def;   /* default as text, NULL = unset */
	uint64_t min, max; /* U32 and PORTMAP values; CPULIST: highest CPU */
	const char *const *choices; /* ENUM: NULL-terminated */
	/* STR: extra validation, 0 or -1 with the reason in why */
	int (*check)(const char *value, char *why, size_t len);
	unsigned flags;    /* enum wc_opt_flags */
	const char *metavar;
	const char *help;
};

extern const struct wc_opt wc_options[];
extern const unsigned wc_n_options;
/* capture.xdp_mode, in the order of enum wc_xdp_mode (capture/capture.h) */
extern const char *const wc_xdp_mode_names[];
/* capture.xdp_attach: auto, direct, mirror (wc_capture_args.xdp_attach) */
extern const char *const wc_xdp_attach_names[];

/* Fill defaults (forgets, without freeing, anything cfg held). */
void wc_config_defaults(struct wc_config *cfg);
/* Release the strings a configuration file left in cfg. */
void wc_config_free(struct wc_config *cfg);

/* Parse argv over what cfg holds. Returns the index of the first
 * non-option argument (after "--", for EAL arguments), or -1 with a
 * message naming the option in err. */
int wc_config_parse_args(struct wc_config *cfg, int argc, char **argv,
			 char *err, size_t errlen);
/* Defaults, then the file named by -c (if any), then argv again so the
 * command line wins. --help and --version skip the file. Returns the
 * first non-option index, -1 for a command-line error or -2 for a
 * configuration-file error (err names the option, or file:line: key). */
int wc_config_from_args(struct wc_config *cfg, int argc, char **argv,
			char *err, size_t errlen);
/* Load a YAML file over what cfg holds: nested mappings are dotted keys of
 * wc_options[], each value validated by wc_config_set(). 0, or -1 with
 * "FILE:LINE: KEY: reason" in err. Strings are copied into cfg. */
int wc_config_load_yaml(struct wc_config *cfg, const char *path, char *err,
			size_t errlen);

/* Set one option from text, the path shared by the command line and the
 * file. 0, or -1 with the bare reason in err ("'12' is not an integer in
 * [68, 65535]"); the caller names the option or the file line. value NULL
 * means a bare command-line flag. STR values are kept by pointer. */
int wc_config_set(struct wc_config *cfg, const struct wc_opt *o,
		  const char *value, char *err, size_t errlen);
/* A copy of s[0..n) owned by cfg (NULL when out of memory). */
const char *wc_config_keep(struct wc_config *cfg, const char *s, size_t n);

const struct wc_opt *wc_option_by_key(const char *key);
/* Parse a CPU list ("1-3,5") into a mask of CPUs 0..max_cpu. */
int wc_parse_cpulist(const char *s, unsigned max_cpu, uint64_t *mask, char *err,
		     size_t errlen);
/* Port index of a capture.port_mtu entry: its number, or the position of
 * the name in the comma-separated interface list ifaces. -1 if neither. */
int wc_port_mtu_index(const struct wc_port_mtu *e, const char *ifaces);

/* The id of a group given by name or number: 0, or -1 when there is none. */
int wc_group_id(const char *name, uint32_t *gid);

void wc_config_usage(const char *prog, void *stream);

#endif
