/* SPDX-License-Identifier: BSD-3-Clause */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OFF(f) offsetof(struct wc_config, f)

const struct wc_opt wc_options[] = {
	{"read", 'r', WC_OPT_STR, OFF(read_file), NULL, 0, 0, "FILE",
	 "read packets from a pcap/pcapng file (offline; exits when done)"},
	{"interface", 'i', WC_OPT_STR, OFF(ifaces), NULL, 0, 0, "IFACE[,IFACE]",
	 "capture live with AF_XDP and wirecheck's XDP program"},
	{"dpdk", 0, WC_OPT_FLAG, OFF(dpdk), "0", 0, 1, NULL,
	 "capture live with DPDK; EAL arguments follow -- (tests: always --no-pci)"},
	{"xdp-mode", 0, WC_OPT_STR, OFF(xdp_mode), "auto", 0, 0, "native|skb|auto",
	 "XDP attach mode for -i: driver mode first, SKB mode as fallback"},
	{"xdp-obj", 0, WC_OPT_STR, OFF(xdp_obj), NULL, 0, 0, "FILE",
	 "the XDP program object (default: wirecheck.bpf.o next to the binary)"},
	{"queues", 0, WC_OPT_U32, OFF(queues), "0", 0, 32, "N",
	 "live: queues per interface/port, one worker each (0 = all / 1 for DPDK)"},
	{"busy-poll", 0, WC_OPT_FLAG, OFF(busy_poll), "0", 0, 1, NULL,
	 "AF_XDP: prefer busy polling (SO_PREFER_BUSY_POLL)"},
	{"null-analysis", 0, WC_OPT_FLAG, OFF(null_analysis), "0", 0, 1, NULL,
	 "benchmarks: same capture I/O, packets only counted (no decode/analysis)"},
	{"no-control-plane", 0, WC_OPT_FLAG, OFF(no_control_plane), "0", 0, 1, NULL,
	 "live: do not start wirecheckctl serve (run it yourself with -n)"},
	{"output", 'o', WC_OPT_STR, OFF(outdir), "wirecheck-out", 0, 0, "DIR",
	 "directory for events.json and evidence.pcap"},
	{"config", 'c', WC_OPT_STR, OFF(config_file), NULL, 0, 0, "FILE",
	 "YAML configuration file (not built yet: see README)"},
	{"instance", 'n', WC_OPT_STR, OFF(instance), NULL, 0, 0, "NAME",
	 "instance name of the shared memory (default: derived from the pid)"},
	{"mtu", 0, WC_OPT_U32, OFF(mtu), "1500", 68, 65535, "N",
	 "port MTU: larger IP datagrams are TSO/GSO super-frames"},
	{"rate-limit", 0, WC_OPT_U32, OFF(rate_limit), "10", 0, 1000000, "N",
	 "anomaly events per flow and type (0 = unlimited); counters stay exact"},
	{"ring-slots", 0, WC_OPT_U32, OFF(ring_slots), "4096", 8, 1u << 20, "N",
	 "event ring slots per worker (rounded up to a power of two)"},
	{"max-flows", 0, WC_OPT_U32, OFF(max_flows), "131072", 1024, 1u << 26, "N",
	 "flow table entries per worker (oldest idle flows are evicted when full)"},
	{"tcp-timeout", 0, WC_OPT_U32, OFF(tcp_timeout_s), "300", 1, 86400, "SECONDS",
	 "idle time after which an established TCP flow ends (missing_fin)"},
	{"ack-stall-ms", 0, WC_OPT_U32, OFF(ack_stall_ms), "30", 1, 60000, "MS",
	 "ACK delay that makes an ack_stall (Nagle meeting a delayed ACK)"},
	{"workers", 'w', WC_OPT_U32, OFF(workers), "1", 1, 32, "N",
	 "dataplane workers (offline files use one)"},
	{"quiet", 'q', WC_OPT_FLAG, OFF(quiet), "0", 0, 1, NULL,
	 "do not print the summary"},
	{"help", 'h', WC_OPT_FLAG, OFF(help), "0", 0, 1, NULL, "this help"},
	{"version", 'V', WC_OPT_FLAG, OFF(version), "0", 0, 1, NULL,
	 "print the version"},
};
const unsigned wc_n_options = sizeof(wc_options) / sizeof(wc_options[0]);

int wc_config_set(struct wc_config *cfg, const struct wc_opt *o,
		  const char *value, char *err, size_t errlen)
{
	char *base = (char *)cfg;
	switch (o->type) {
	case WC_OPT_STR:
		if (!value || !*value) {
			snprintf(err, errlen, "option --%s needs a value", o->name);
			return -1;
		}
		*(const char **)(base + o->offset) = value;
		return 0;
	case WC_OPT_FLAG:
		*(int *)(base + o->offset) = value ? atoi(value) != 0 : 1;
		return 0;
	case WC_OPT_U32: {
		char *end;
		errno = 0;
		unsigned long long v = value ? strtoull(value, &end, 0) : 0;
		if (!value || !*value || *end || errno || value[0] == '-' ||
		    v < o->min || v > o->max) {
			snprintf(err, errlen,
				 "option --%s: '%s' is not an integer in [%llu, %llu]",
				 o->name, value ? value : "", (unsigned long long)o->min,
				 (unsigned long long)o->max);
			return -1;
		}
		*(uint32_t *)(base + o->offset) = (uint32_t)v;
		return 0;
	}
	}
	return -1;
}

void wc_config_defaults(struct wc_config *cfg)
{
	char err[64];
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned i = 0; i < wc_n_options; i++)
		if (wc_options[i].def)
			wc_config_set(cfg, &wc_options[i], wc_options[i].def, err,
				      sizeof(err));
}

int wc_config_parse_args(struct wc_config *cfg, int argc, char **argv,
			 char *err, size_t errlen)
{
	struct option lopts[64];
	char sopts[128];
	unsigned ns = 0;
	sopts[ns++] = ':'; /* report missing arguments distinctly */
	for (unsigned i = 0; i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		lopts[i].name = o->name;
		lopts[i].has_arg = o->type == WC_OPT_FLAG ? no_argument : required_argument;
		lopts[i].flag = NULL;
		lopts[i].val = 256 + (int)i;
		if (o->short_name) {
			sopts[ns++] = o->short_name;
			if (o->type != WC_OPT_FLAG)
				sopts[ns++] = ':';
		}
	}
	memset(&lopts[wc_n_options], 0, sizeof(lopts[0]));
	sopts[ns] = 0;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		const struct wc_opt *o = NULL;
		if (c >= 256) {
			o = &wc_options[c - 256];
		} else if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			snprintf(err, errlen, c == ':' ? "option %s needs a value"
						       : "unknown option %s",
				 bad ? bad : "?");
			return -1;
		} else {
			for (unsigned i = 0; i < wc_n_options; i++)
				if (wc_options[i].short_name == c)
					o = &wc_options[i];
		}
		if (!o || wc_config_set(cfg, o, o->type == WC_OPT_FLAG ? NULL : optarg,
					err, errlen))
			return -1;
	}
	return optind;
}

void wc_config_usage(const char *prog, void *stream)
{
	FILE *f = stream;
	fprintf(f,
		"usage: %s -r FILE [-o DIR] [-c CONFIG] [--mtu N]\n"
		"       %s -i IFACE[,IFACE] [-o DIR] [-c CONFIG] [-n INSTANCE]\n"
		"       %s --dpdk [-o DIR] [-c CONFIG] [-n INSTANCE] -- EAL-ARGS\n\n",
		prog, prog, prog);
	for (unsigned i = 0; i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		char left[64];
		if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
				 o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
				 o->metavar ? " " : "", o->metavar ? o->metavar : "");
		fprintf(f, "  %-28s %s", left, o->help);
		if (o->def && o->type != WC_OPT_FLAG)
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
	}
}
