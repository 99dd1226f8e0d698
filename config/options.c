/* SPDX-License-Identifier: BSD-3-Clause */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wirecheck/hostport.h"
#include "wirecheck/shm.h"

#define OFF(f) offsetof(struct wc_config, f)

const char *const wc_xdp_mode_names[] = {"auto", "native", "skb", NULL};
const char *const wc_xdp_attach_names[] = {"auto", "direct", "mirror", NULL};

static int check_instance(const char *value, char *why, size_t len)
{
	char path[256];
	if (wc_shm_path(value, path, sizeof(path)) != 0) {
		snprintf(why, len, "'%s' is not a valid instance name ([A-Za-z0-9_.-], < 64)",
			 value);
		return -1;
	}
	return 0;
}

/* --ipfix HOST:PORT: the shape only; the control plane resolves the name
 * (control/ipfix.c). A bare IPv6 address needs brackets: [::1]:4739. */
static int check_collector(const char *value, char *why, size_t len)
{
	char host[256]; /* control/ipfix.c's limit */
	uint16_t port;
	if (wc_hostport_split(value, 0, host, sizeof(host), &port) != 0) {
		snprintf(why, len, "'%s' is not HOST:PORT (a name, an IPv4 address or [IPv6], "
			 "and a UDP port 1-65535)", value);
		return -1;
	}
	return 0;
}

int wc_group_id(const char *name, uint32_t *gid)
{
	const struct group *g = getgrnam(name);
	if (!g) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(name, &end, 10);
		if (!isdigit((unsigned char)name[0]) || *end || errno || v > 0x7fffffff ||
		    !(g = getgrgid((gid_t)v)))
			return -1;
	}
	*gid = (uint32_t)g->gr_gid;
	return 0;
}

/* --shm-group: an existing group, by name or number */
static int check_group(const char *value, char *why, size_t len)
{
	uint32_t gid;
	if (wc_group_id(value, &gid) != 0) {
		snprintf(why, len, "'%s' is not a group of this system", value);
		return -1;
	}
	return 0;
}

/* The order is the order of --help: capture, flows, detectors, events,
 * output, then the options that only make sense on a command line. */
const struct wc_opt wc_options[] = {
	/* capture */
	{.name = "read", .short_name = 'r', .type = WC_OPT_STR, .offset = OFF(read_file),
	 .flags = WC_OPTF_MODE, .metavar = "FILE",
	 .help = "read packets from a pcap/pcapng file (offline; exits when done)"},
	{.name = "interface", .short_name = 'i', .key = "capture.interfaces",
	 .type = WC_OPT_STR, .offset = OFF(ifaces), .flags = WC_OPTF_MODE,
	 .metavar = "IFACE[,IFACE]",
	 .help = "capture live with AF_XDP and wirecheck's XDP program"},
	{.name = "dpdk", .key = "dpdk.enabled", .type = WC_OPT_BOOL, .offset = OFF(dpdk),
	 .def = "0", .flags = WC_OPTF_MODE,
	 .help = "capture live with DPDK; EAL arguments follow -- (tests: always --no-pci)"},
	{.key = "dpdk.eal_args", .type = WC_OPT_STRLIST, .offset = OFF(eal_args),
	 .metavar = "[ARG, ...]",
	 .help = "EAL arguments for --dpdk when none follow -- on the command line"},
	{.name = "xdp-mode", .key = "capture.xdp_mode", .type = WC_OPT_ENUM,
	 .offset = OFF(xdp_mode), .def = "auto", .choices = wc_xdp_mode_names,
	 .metavar = "native|skb|auto",
	 .help = "XDP attach mode for -i: driver mode first, SKB mode as fallback"},
	{.name = "xdp-attach", .key = "capture.xdp_attach", .type = WC_OPT_ENUM,
	 .offset = OFF(xdp_attach), .def = "auto", .choices = wc_xdp_attach_names,
	 .metavar = "auto|direct|mirror",
	 .help = "-i: direct = XDP on the interface (mirror/SPAN ports, takes the frames); "
		 "mirror = passive copies via tc into a private veth (host interfaces); "
		 "auto = mirror when the interface carries host traffic"},
	{.name = "mgmt", .key = "capture.mgmt", .type = WC_OPT_STR, .offset = OFF(mgmt),
	 .metavar = "ADDR[:PORT]",
	 .help = "-i direct mode: management traffic to pass to the host stack"},
	{.name = "xdp-obj", .key = "capture.xdp_obj", .type = WC_OPT_STR,
	 .offset = OFF(xdp_obj), .metavar = "FILE",
	 .help = "the XDP program object (default: wirecheck.bpf.o next to the binary)"},
	{.name = "queues", .key = "capture.queues", .type = WC_OPT_U32, .offset = OFF(queues),
	 .def = "0", .min = 0, .max = 32, .metavar = "N",
	 .help = "live: queues per interface/port, one worker each (0 = all / 1 for DPDK)"},
	{.name = "cores", .key = "capture.cores", .type = WC_OPT_CPULIST, .offset = OFF(cores),
	 .max = WC_CFG_MAX_CPU, .metavar = "LIST",
	 .help = "live: CPUs for the workers, e.g. 1-3,5: worker q on the q-th listed "
		 "(unset: worker q on CPU q+1)"},
	{.name = "busy-poll", .key = "capture.busy_poll", .type = WC_OPT_BOOL,
	 .offset = OFF(busy_poll), .def = "0",
	 .help = "AF_XDP: prefer busy polling (SO_PREFER_BUSY_POLL)"},
	{.name = "mtu", .key = "capture.mtu", .type = WC_OPT_U32, .offset = OFF(mtu),
	 .def = "1500", .min = 68, .max = 65535, .metavar = "N",
	 .help = "port MTU: larger IP datagrams are TSO/GSO super-frames"},
	{.name = "port-mtu", .key = "capture.port_mtu", .type = WC_OPT_PORTMAP,
	 .offset = OFF(port_mtu), .min = 68, .max = 65535, .metavar = "PORT=N[,PORT=N]",
	 .help = "MTU of one port (number, or an -i interface name) instead of --mtu"},
	{.name = "null-analysis", .type = WC_OPT_BOOL, .offset = OFF(null_analysis),
	 .def = "0",
	 .help = "benchmarks: same capture I/O, packets only counted (no decode/analysis)"},
	{.name = "workers", .short_name = 'w', .type = WC_OPT_U32, .offset = OFF(workers),
	 .def = "1", .min = 1, .max = 32, .metavar = "N",
	 .help = "dataplane workers (offline files use one)"},
	/* flow table */
	{.name = "max-flows", .key = "flows.max", .type = WC_OPT_U32, .offset = OFF(max_flows),
	 .def = "131072", .min = 1024, .max = 1u << 26, .metavar = "N",
	 .help = "flow table entries per worker (oldest idle flows are evicted when full)"},
	{.name = "tcp-timeout", .key = "flows.tcp_timeout", .type = WC_OPT_U32,
	 .offset = OFF(tcp_timeout_s), .def = "300", .min = 1, .max = 86400,
	 .metavar = "SECONDS",
	 .help = "idle time after which an established TCP flow ends (missing_fin)"},
	{.name = "syn-timeout", .key = "flows.syn_timeout", .type = WC_OPT_U32,
	 .offset = OFF(syn_timeout_s), .def = "30", .min = 1, .max = 86400,
	 .metavar = "SECONDS",
	 .help = "idle time after which a TCP flow still opening ends"},
	{.name = "closed-timeout", .key = "flows.closed_timeout", .type = WC_OPT_U32,
	 .offset = OFF(closed_timeout_s), .def = "10", .min = 1, .max = 86400,
	 .metavar = "SECONDS",
	 .help = "time a TCP flow stays after its FIN/RST (late segments still match)"},
	{.name = "udp-timeout", .key = "flows.udp_timeout", .type = WC_OPT_U32,
	 .offset = OFF(udp_timeout_s), .def = "60", .min = 1, .max = 86400,
	 .metavar = "SECONDS",
	 .help = "idle time after which a UDP, ICMP or other non-TCP flow ends"},
	{.name = "ignore-vlan", .key = "flows.ignore_vlan", .type = WC_OPT_BOOL,
	 .offset = OFF(ignore_vlan), .def = "0",
	 .help = "leave VLAN ids out of the flow key: a connection whose directions carry "
		 "different tags (a SPAN port that tags one direction only) is one flow, "
		 "whose record then names no vlan"},
	/* detectors */
	{.name = "ack-stall-ms", .key = "detectors.ack_stall_ms", .type = WC_OPT_U32,
	 .offset = OFF(ack_stall_ms), .def = "30", .min = 1, .max = 60000, .metavar = "MS",
	 .help = "ACK delay that makes an ack_stall (Nagle meeting a delayed ACK)"},
	/* events */
	{.name = "rate-limit", .key = "events.rate_limit", .type = WC_OPT_U32,
	 .offset = OFF(rate_limit), .def = "10", .min = 0, .max = 255, .metavar = "N",
	 .help = "anomaly events per flow and type (0 = unlimited); counters stay exact"},
	{.name = "ring-slots", .key = "events.ring_slots", .type = WC_OPT_U32,
	 .offset = OFF(ring_slots), .def = "4096", .min = 8, .max = 1u << 20, .metavar = "N",
	 .help = "event ring slots per worker (rounded up to a power of two)"},
	{.name = "evidence-history", .key = "evidence.history", .type = WC_OPT_U32,
	 .offset = OFF(evidence_history), .def = "1024", .min = 0, .max = 1u << 20,
	 .metavar = "N",
	 .help = "recent packets each worker keeps (first 152 bytes) so that an anomaly's "
		 "evidence holds the packets of its flow before it (0 = none)"},
	{.name = "evidence-context", .key = "evidence.context", .type = WC_OPT_U32,
	 .offset = OFF(evidence_context), .def = "4", .min = 0,
	 .max = WC_EVIDENCE_CONTEXT_MAX, .metavar = "N",
	 .help = "earlier packets of its flow written to the evidence before an "
		 "anomaly's packet (context_frames)"},
	/* output */
	{.name = "output", .short_name = 'o', .key = "output.dir", .type = WC_OPT_STR,
	 .offset = OFF(outdir), .def = "wirecheck-out", .metavar = "DIR",
	 .help = "directory for events.json and evidence.pcap"},
	{.name = "evidence-max-bytes", .key = "evidence.max_bytes", .type = WC_OPT_U32,
	 .offset = OFF(evidence_max_bytes), .def = "0", .min = 0, .max = UINT32_MAX,
	 .metavar = "N",
	 .help = "rotate the evidence pcap before it passes N bytes: evidence.pcap, then "
		 "evidence-000001.pcap, ... (0 = one file)"},
	{.name = "evidence-files", .key = "evidence.files", .type = WC_OPT_U32,
	 .offset = OFF(evidence_files), .def = "10", .min = 0, .max = 999999,
	 .metavar = "N",
	 .help = "rotated evidence files kept, the oldest removed (0 = all)"},
	{.name = "quiet", .short_name = 'q', .key = "output.quiet", .type = WC_OPT_BOOL,
	 .offset = OFF(quiet), .def = "0", .help = "do not print the summary"},
	{.name = "metrics", .key = "output.metrics", .type = WC_OPT_STR,
	 .offset = OFF(metrics), .metavar = "[ADDR:]PORT",
	 .help = "Prometheus /metrics on the control plane wirecheck starts "
		 "(127.0.0.1 unless an address is given)"},
	{.name = "ipfix", .key = "output.ipfix", .type = WC_OPT_STR, .offset = OFF(ipfix),
	 .check = check_collector, .metavar = "HOST:PORT",
	 .help = "IPFIX (RFC 7011, UDP): the control plane wirecheck starts sends one record "
		 "per ended flow to this collector"},
	{.name = "ipfix-template-refresh", .key = "output.ipfix_template_refresh",
	 .type = WC_OPT_U32, .offset = OFF(ipfix_template_refresh_s), .def = "60", .min = 0,
	 .max = 86400, .metavar = "SECONDS",
	 .help = "IPFIX: resend the templates this often (0: in every message)"},
	{.name = "shm-group", .key = "output.shm_group", .type = WC_OPT_STR,
	 .offset = OFF(shm_group), .check = check_group, .metavar = "GROUP",
	 .help = "create the shared memory 0640 owned by this group (default 0600): its "
		 "members run wirecheckctl stats|flows|events|top without root"},
	{.name = "no-control-plane", .key = "output.no_control_plane", .type = WC_OPT_BOOL,
	 .offset = OFF(no_control_plane), .def = "0",
	 .help = "live: do not start wirecheckctl serve (run it yourself with -n)"},
	{.name = "instance", .short_name = 'n', .key = "instance", .type = WC_OPT_STR,
	 .offset = OFF(instance), .check = check_instance, .metavar = "NAME",
	 .help = "instance name of the shared memory (default: derived from the pid)"},
	/* command line only */
	{.name = "config", .short_name = 'c', .type = WC_OPT_STR, .offset = OFF(config_file),
	 .metavar = "FILE",
	 .help = "YAML configuration file; the command line overrides it"},
	{.name = "help", .short_name = 'h', .type = WC_OPT_BOOL, .offset = OFF(help),
	 .def = "0", .help = "this help"},
	{.name = "version", .short_name = 'V', .type = WC_OPT_BOOL, .offset = OFF(version),
	 .def = "0", .help = "print the version"},
};
const unsigned wc_n_options = sizeof(wc_options) / sizeof(wc_options[0]);
_Static_assert(sizeof(wc_options) / sizeof(wc_options[0]) < WC_MAX_OPTIONS,
	       "getopt's table and the loader's duplicate check have room");

struct wc_cfg_string {
	struct wc_cfg_string *next;
	char s[];
};

const char *wc_config_keep(struct wc_config *cfg, const char *s, size_t n)
{
	struct wc_cfg_string *k = malloc(sizeof(*k) + n + 1);
	if (!k)
		return NULL;
	memcpy(k->s, s, n);
	k->s[n] = 0;
	k->next = cfg->strings;
	cfg->strings = k;
	return k->s;
}

void wc_config_free(struct wc_config *cfg)
{
	while (cfg->strings) {
		struct wc_cfg_string *k = cfg->strings;
		cfg->strings = k->next;
		free(k);
	}
}

const struct wc_opt *wc_option_by_key(const char *key)
{
	for (unsigned i = 0; i < wc_n_options; i++)
		if (wc_options[i].key && !strcmp(wc_options[i].key, key))
			return &wc_options[i];
	return NULL;
}

/* Decimal or 0x hex, no sign, no trailing bytes, within [min, max]. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (*end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (unsigned i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = 1, 0;
		if (!strcasecmp(s, no[i]))
			return *out = 0, 0;
	}
	return -1;
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int cpu_number(const char **pp, unsigned long *out)
{
	const char *p = *pp;
	if (!isdigit((unsigned char)*p))
		return -1;
	unsigned long v = 0;
	while (isdigit((unsigned char)*p)) {
		if (v > 100000)
			return -1; /* far beyond any CPU: stop before overflow */
		v = v * 10 + (unsigned long)(*p++ - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

int wc_parse_cpulist(const char *s, unsigned max_cpu, uint64_t *mask, char *err,
		     size_t errlen)
{
	uint64_t m = 0;
	const char *p = s ? skip_ws(s) : "";
	if (!*p)
		goto syntax;
	for (;;) {
		unsigned long a, b;
		if (cpu_number(&p, &a))
			goto syntax;
		b = a;
		p = skip_ws(p);
		if (*p == '-') {
			p = skip_ws(p + 1);
			if (cpu_number(&p, &b))
				goto syntax;
			p = skip_ws(p);
		}
		if (a > max_cpu || b > max_cpu) {
			snprintf(err, errlen, "CPU %lu in '%s' is out of range [0, %u]",
				 a > max_cpu ? a : b, s, max_cpu);
			return -1;
		}
		if (b < a) {
			snprintf(err, errlen, "'%s': range %lu-%lu goes backwards (write %lu-%lu)",
				 s, a, b, b, a);
			return -1;
		}
		for (unsigned long c = a; c <= b; c++)
			m |= 1ull << c;
		if (*p == ',') {
			p = skip_ws(p + 1);
			continue;
		}
		if (!*p)
			break;
		goto syntax;
	}
	*mask = m;
	return 0;
syntax:
	snprintf(err, errlen, "'%s' is not a CPU list like 1-3,5", s ? s : "");
	return -1;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int wc_port_mtu_index(const struct wc_port_mtu *e, const char *ifaces)
{
	if (all_digits(e->port))
		return atoi(e->port);
	size_t n = strlen(e->port);
	int idx = 0;
	for (const char *p = ifaces; p && *p; idx++) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == n && !memcmp(p, e->port, n))
			return idx;
		if (!comma)
			break;
		p = comma + 1;
	}
	return -1;
}

/* One "PORT=N" entry; a later entry for the same port replaces it. */
static int set_port_mtu(struct wc_config *cfg, const struct wc_opt *o, const char *s,
			size_t len, char *err, size_t errlen)
{
	char item[128], port[WC_CFG_PORT_NAME];
	if (len >= sizeof(item)) {
		snprintf(err, errlen, "'%.*s...' is too long", 32, s);
		return -1;
	}
	memcpy(item, s, len);
	item[len] = 0;
	char *eq = strrchr(item, '=');
	if (!eq) {
		snprintf(err, errlen, "'%s' is not PORT=MTU", item);
		return -1;
	}
	*eq = 0;
	const char *name = skip_ws(item);
	char *tail = eq;
	while (tail > name && (tail[-1] == ' ' || tail[-1] == '\t'))
		*--tail = 0;
	const char *val = skip_ws(eq + 1);
	if (!*name || strlen(name) >= 16 || strpbrk(name, " \t/:,=")) {
		snprintf(err, errlen, "'%s' is not a port number or interface name", name);
		return -1;
	}
	if (all_digits(name) && (strlen(name) > 2 || atoi(name) >= WC_CFG_MAX_PORTS)) {
		snprintf(err, errlen, "port %s is not in [0, %d]", name, WC_CFG_MAX_PORTS - 1);
		return -1;
	}
	uint64_t mtu;
	if (parse_u64(val, o->min, o->max, &mtu)) {
		snprintf(err, errlen, "port %s: '%s' is not an integer in [%llu, %llu]", name,
			 val, (unsigned long long)o->min, (unsigned long long)o->max);
		return -1;
	}
	snprintf(port, sizeof(port), "%s", name);
	unsigned i;
	for (i = 0; i < cfg->n_port_mtu; i++)
		if (!strcmp(cfg->port_mtu[i].port, port))
			break;
	if (i == WC_CFG_MAX_PORTS) {
		snprintf(err, errlen, "at most %d ports can have their own MTU",
			 WC_CFG_MAX_PORTS);
		return -1;
	}
	if (i == cfg->n_port_mtu)
		cfg->n_port_mtu++;
	memcpy(cfg->port_mtu[i].port, port, sizeof(port));
	cfg->port_mtu[i].mtu = (uint32_t)mtu;
	return 0;
}

int wc_config_set(struct wc_config *cfg, const struct wc_opt *o,
		  const char *value, char *err, size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	if (!value && o->type != WC_OPT_BOOL) {
		snprintf(err, errlen, "needs a value");
		return -1;
	}
	switch (o->type) {
	case WC_OPT_STR:
		if (!*value) {
			snprintf(err, errlen, "needs a value");
			return -1;
		}
		if (o->check && o->check(value, err, errlen))
			return -1;
		*(const char **)field = value;
		return 0;
	case WC_OPT_BOOL: {
		int b = 1;
		if (value && parse_bool(value, &b)) {
			snprintf(err, errlen, "'%s' is not a boolean (true/false, yes/no, 1/0)",
				 value);
			return -1;
		}
		*(int *)field = b;
		return 0;
	}
	case WC_OPT_U32: {
		uint64_t v;
		if (parse_u64(value, o->min, o->max, &v)) {
			snprintf(err, errlen, "'%s' is not an integer in [%llu, %llu]", value,
				 (unsigned long long)o->min, (unsigned long long)o->max);
			return -1;
		}
		*(uint32_t *)field = (uint32_t)v;
		return 0;
	}
	case WC_OPT_ENUM: {
		for (uint32_t i = 0; o->choices[i]; i++)
			if (!strcmp(value, o->choices[i])) {
				*(uint32_t *)field = i;
				return 0;
			}
		int n = snprintf(err, errlen, "'%s' is not one of ", value);
		for (unsigned i = 0; o->choices[i] && n >= 0 && (size_t)n < errlen; i++)
			n += snprintf(err + n, errlen - (size_t)n, "%s%s", i ? ", " : "",
				      o->choices[i]);
		return -1;
	}
	case WC_OPT_CPULIST:
		return wc_parse_cpulist(value, (unsigned)o->max, (uint64_t *)field, err, errlen);
	case WC_OPT_PORTMAP:
		for (const char *p = value;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma ? (size_t)(comma - p) : strlen(p);
			if (set_port_mtu(cfg, o, p, len, err, errlen))
				return -1;
			if (!comma)
				return 0;
			p = comma + 1;
		}
	case WC_OPT_STRLIST:
		if (cfg->n_eal_args == WC_CFG_MAX_LIST) {
			snprintf(err, errlen, "at most %d items", WC_CFG_MAX_LIST);
			return -1;
		}
		cfg->eal_args[cfg->n_eal_args++] = value;
		return 0;
	}
	snprintf(err, errlen, "unknown option type");
	return -1;
}

void wc_config_defaults(struct wc_config *cfg)
{
	char err[128];
	memset(cfg, 0, sizeof(*cfg));
	for (unsigned i = 0; i < wc_n_options; i++)
		if (wc_options[i].def)
			wc_config_set(cfg, &wc_options[i], wc_options[i].def, err,
				      sizeof(err));
}

int wc_config_parse_args(struct wc_config *cfg, int argc, char **argv,
			 char *err, size_t errlen)
{
	struct option lopts[WC_MAX_OPTIONS];
	char sopts[128];
	unsigned ns = 0, nl = 0;
	sopts[ns++] = ':'; /* report missing arguments distinctly */
	for (unsigned i = 0; i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		if (!o->name)
			continue; /* configuration file only */
		if (nl + 1 >= sizeof(lopts) / sizeof(lopts[0]) || ns + 3 >= sizeof(sopts)) {
			snprintf(err, errlen, "too many options");
			return -1;
		}
		lopts[nl].name = o->name;
		/* --busy-poll alone is true; --busy-poll=no undoes a file's yes */
		lopts[nl].has_arg = o->type == WC_OPT_BOOL ? optional_argument
							   : required_argument;
		lopts[nl].flag = NULL;
		lopts[nl].val = 256 + (int)i;
		nl++;
		if (o->short_name) {
			sopts[ns++] = o->short_name;
			if (o->type != WC_OPT_BOOL)
				sopts[ns++] = ':';
		}
	}
	memset(&lopts[nl], 0, sizeof(lopts[0]));
	sopts[ns] = 0;

	optind = 1;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, sopts, lopts, NULL)) != -1) {
		const struct wc_opt *o = NULL;
		if (c >= 256) {
			o = &wc_options[c - 256];
		} else if (c == '?' || c == ':') {
			/* optopt: the short option, a long one's val, 0 for an
			 * unknown long option (then argv names it) */
			char bad[80];
			if (optopt >= 256)
				snprintf(bad, sizeof(bad), "--%s", wc_options[optopt - 256].name);
			else if (optopt)
				snprintf(bad, sizeof(bad), "-%c", optopt);
			else
				snprintf(bad, sizeof(bad), "%s", argv[optind - 1]);
			snprintf(err, errlen, c == ':' ? "option %s needs a value"
						       : "unknown option %s", bad);
			return -1;
		} else {
			for (unsigned i = 0; i < wc_n_options; i++)
				if (wc_options[i].short_name == c)
					o = &wc_options[i];
		}
		if (!o)
			return -1;
		char why[200];
		if (wc_config_set(cfg, o, optarg, why, sizeof(why))) {
			if (o->short_name)
				snprintf(err, errlen, "option -%c/--%s: %s", o->short_name,
					 o->name, why);
			else
				snprintf(err, errlen, "option --%s: %s", o->name, why);
			return -1;
		}
	}
	return optind;
}

static size_t field_size(const struct wc_opt *o)
{
	switch (o->type) {
	case WC_OPT_STR: return sizeof(const char *);
	case WC_OPT_BOOL: return sizeof(int);
	case WC_OPT_U32:
	case WC_OPT_ENUM: return sizeof(uint32_t);
	case WC_OPT_CPULIST: return sizeof(uint64_t);
	default: return 0; /* lists: not capture modes */
	}
}

int wc_config_from_args(struct wc_config *cfg, int argc, char **argv,
			char *err, size_t errlen)
{
	struct wc_config cli, def;
	wc_config_defaults(&cli);
	int first = wc_config_parse_args(&cli, argc, argv, err, errlen);
	if (first < 0)
		return -1;
	if (!cli.config_file || cli.help || cli.version) {
		*cfg = cli;
		return first;
	}
	wc_config_defaults(cfg);
	if (wc_config_load_yaml(cfg, cli.config_file, err, errlen))
		return -2;
	/* a capture mode on the command line replaces the file's: an AF_XDP
	 * deployment's file can audit a capture file with -r */
	wc_config_defaults(&def);
	int cli_mode = 0;
	for (unsigned i = 0; i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		if ((o->flags & WC_OPTF_MODE) &&
		    memcmp((char *)&cli + o->offset, (char *)&def + o->offset, field_size(o)))
			cli_mode = 1;
	}
	for (unsigned i = 0; cli_mode && i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		if (o->flags & WC_OPTF_MODE)
			memcpy((char *)cfg + o->offset, (char *)&def + o->offset, field_size(o));
	}
	return wc_config_parse_args(cfg, argc, argv, err, errlen);
}

static const char *type_metavar(const struct wc_opt *o)
{
	if (o->metavar)
		return o->metavar;
	return o->type == WC_OPT_BOOL ? "true|false" : "VALUE";
}

void wc_config_usage(const char *prog, void *stream)
{
	FILE *f = stream;
	fprintf(f,
		"usage: %s -r FILE [-o DIR] [-c CONFIG] [--mtu N]\n"
		"       %s -i IFACE[,IFACE] [-o DIR] [-c CONFIG] [-n INSTANCE]\n"
		"       %s --dpdk [-o DIR] [-c CONFIG] [-n INSTANCE] -- EAL-ARGS\n\n"
		"Options, each with its key in a -c YAML file (nested mappings: capture:\n"
		"  mtu: 9000 is capture.mtu); the command line overrides the file\n"
		"  (--busy-poll=no turns off what the file turned on):\n\n",
		prog, prog, prog);
	for (unsigned i = 0; i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		char left[64];
		const char *mv = o->type != WC_OPT_BOOL ? o->metavar : o->key ? "[=BOOL]" : NULL;
		const char *sep = o->type == WC_OPT_BOOL ? "" : " ";
		if (!o->name)
			snprintf(left, sizeof(left), "    (file only)");
		else if (o->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name, o->name,
				 mv ? sep : "", mv ? mv : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name, mv ? sep : "",
				 mv ? mv : "");
		if (o->key)
			fprintf(f, "  %-34s %s: %s\n", left, o->key, type_metavar(o));
		else
			fprintf(f, "  %-34s (command line only)\n", left);
		fprintf(f, "        %s", o->help);
		if (o->def && o->type != WC_OPT_BOOL)
			fprintf(f, " (default %s)", o->def);
		fputc('\n', f);
	}
}
