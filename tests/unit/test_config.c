/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration file: values land where the option table says,
 * the command line wins over the file, and every kind of mistake names the
 * file, the line and the key. Test files are written to a fresh temporary
 * directory; the three example files of config/ are loaded as shipped.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/options.h"
#include "decode/pkt.h"

static char tmpdir[64];
static char err[512];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wc-config-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write text to tmpdir/name; returns the path (static buffer per call). */
static const char *write_file(const char *name, const char *text)
{
	static char path[8][256];
	static unsigned k;
	char *p = path[k++ % 8];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* Defaults, then the file: 0 or -1 with err. */
static int load(struct wc_config *c, const char *name, const char *text)
{
	wc_config_defaults(c);
	memset(err, 0, sizeof(err));
	return wc_config_load_yaml(c, write_file(name, text), err, sizeof(err));
}

/* The load fails and err holds every fragment given. */
static void expect_error(const char *name, const char *text, ...)
{
	struct wc_config c;
	int rc = load(&c, name, text);
	wc_config_free(&c);
	if (rc != -1)
		fail_msg("%s loaded but should not have:\n%s", name, text);
	va_list ap;
	va_start(ap, text);
	for (const char *frag; (frag = va_arg(ap, const char *));)
		if (!strstr(err, frag))
			fail_msg("error for %s lacks '%s': %s", name, frag, err);
	va_end(ap);
}

static void test_valid_file(void **state)
{
	(void)state;
	struct wc_config c;
	int rc = load(&c, "ok.yaml",
		      "# a comment\n"
		      "capture:\n"
		      "  interfaces: vnet0,vnet1\n"
		      "  xdp_mode: skb\n"
		      "  queues: 2\n"
		      "  cores: \"1-2,5\"\n"
		      "  busy_poll: yes\n"
		      "  mtu: 9000\n"
		      "flows:\n"
		      "  max: 4096\n"
		      "  tcp_timeout: 120\n"
		      "  syn_timeout: 5\n"
		      "  closed_timeout: 2\n"
		      "  udp_timeout: 30\n"
		      "detectors:\n"
		      "  ack_stall_ms: 35\n"
		      "events:\n"
		      "  rate_limit: 0\n"
		      "  ring_slots: 64\n"
		      "output:\n"
		      "  dir: 'out dir'\n"
		      "  quiet: true\n"
		      "instance: probe-1\n");
	if (rc)
		fail_msg("%s", err);
	assert_string_equal(c.ifaces, "vnet0,vnet1");
	assert_int_equal(c.xdp_mode, 2); /* skb */
	assert_int_equal(c.queues, 2);
	assert_int_equal(c.cores, (1u << 1) | (1u << 2) | (1u << 5));
	assert_int_equal(c.busy_poll, 1);
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.max_flows, 4096);
	assert_int_equal(c.tcp_timeout_s, 120);
	assert_int_equal(c.syn_timeout_s, 5);
	assert_int_equal(c.closed_timeout_s, 2);
	assert_int_equal(c.udp_timeout_s, 30);
	assert_int_equal(c.ack_stall_ms, 35);
	assert_int_equal(c.rate_limit, 0);
	assert_int_equal(c.ring_slots, 64);
	assert_string_equal(c.outdir, "out dir");
	assert_int_equal(c.quiet, 1);
	assert_string_equal(c.instance, "probe-1");
	/* untouched options keep their defaults */
	assert_int_equal(c.dpdk, 0);
	assert_null(c.read_file);
	wc_config_free(&c);
	assert_null(c.strings);
}

/* Strings outlive the parser: they are the config's own copies. */
static void test_strings_owned(void **state)
{
	(void)state;
	struct wc_config c;
	const char *path = write_file("own.yaml", "output:\n  dir: /var/tmp/wc\n");
	wc_config_defaults(&c);
	assert_int_equal(wc_config_load_yaml(&c, path, err, sizeof(err)), 0);
	unlink(path);
	assert_string_equal(c.outdir, "/var/tmp/wc");
	wc_config_free(&c);
}

static void test_flat_and_empty(void **state)
{
	(void)state;
	struct wc_config c;
	/* a dotted key is the same option as its nested form */
	assert_int_equal(load(&c, "flat.yaml", "capture.mtu: 4000\nflows:\n  max: 2048\n"), 0);
	assert_int_equal(c.mtu, 4000);
	assert_int_equal(c.max_flows, 2048);
	wc_config_free(&c);
	/* an empty file or one with only comments: defaults */
	assert_int_equal(load(&c, "empty.yaml", ""), 0);
	assert_int_equal(c.mtu, 1500);
	assert_int_equal(load(&c, "comments.yaml", "# nothing yet\n---\n"), 0);
	assert_int_equal(c.mtu, 1500);
	wc_config_free(&c);
}

static void test_cli_overrides_file(void **state)
{
	(void)state;
	struct wc_config c;
	const char *path = write_file("prec.yaml",
				      "capture:\n"
				      "  interfaces: vnet0\n"
				      "  mtu: 4000\n"
				      "flows:\n"
				      "  max: 2048\n"
				      "events:\n"
				      "  rate_limit: 3\n");
	char *a1[] = {"wirecheck", "-c", (char *)path, "--mtu", "9000", "--rate-limit=7"};
	int first = wc_config_from_args(&c, 6, a1, err, sizeof(err));
	if (first < 0)
		fail_msg("%s", err);
	assert_int_equal(first, 6);
	assert_int_equal(c.mtu, 9000);          /* command line */
	assert_int_equal(c.rate_limit, 7);      /* command line */
	assert_int_equal(c.max_flows, 2048);    /* file */
	assert_string_equal(c.ifaces, "vnet0"); /* file's capture mode */
	assert_string_equal(c.config_file, path);
	wc_config_free(&c);

	/* a capture mode on the command line replaces the file's */
	char *a2[] = {"wirecheck", "-r", "x.pcap", "-c", (char *)path};
	assert_true(wc_config_from_args(&c, 5, a2, err, sizeof(err)) >= 0);
	assert_string_equal(c.read_file, "x.pcap");
	assert_null(c.ifaces);
	assert_int_equal(c.mtu, 4000);
	wc_config_free(&c);

	/* errors: the command line's name the option, the file's the line */
	char *a3[] = {"wirecheck", "-c", (char *)path, "--mtu", "1"};
	assert_int_equal(wc_config_from_args(&c, 5, a3, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--mtu"));
	const char *bad = write_file("prec-bad.yaml", "capture:\n  mtu: 1\n");
	char *a4[] = {"wirecheck", "-c", (char *)bad, "--mtu", "9000"};
	assert_int_equal(wc_config_from_args(&c, 5, a4, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "prec-bad.yaml:2: capture.mtu"));
	wc_config_free(&c);

	/* a boolean the file set can be turned off on the command line */
	const char *q = write_file("quiet.yaml", "output:\n  quiet: yes\ncapture:\n  busy_poll: on\n");
	char *a7[] = {"wirecheck", "-c", (char *)q, "--quiet=no", "-r", "x"};
	assert_true(wc_config_from_args(&c, 6, a7, err, sizeof(err)) >= 0);
	assert_int_equal(c.quiet, 0);
	assert_int_equal(c.busy_poll, 1);
	char *a8[] = {"wirecheck", "--busy-poll=maybe"};
	assert_int_equal(wc_config_from_args(&c, 2, a8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "option --busy-poll: 'maybe' is not a boolean"));

	/* --help does not need the file to exist */
	char *a5[] = {"wirecheck", "-c", "/nonexistent.yaml", "--help"};
	assert_true(wc_config_from_args(&c, 4, a5, err, sizeof(err)) >= 0);
	assert_int_equal(c.help, 1);
	char *a6[] = {"wirecheck", "-c", "/nonexistent.yaml", "-r", "x"};
	assert_int_equal(wc_config_from_args(&c, 5, a6, err, sizeof(err)), -2);
	assert_non_null(strstr(err, "/nonexistent.yaml"));
}

static void test_error_kinds(void **state)
{
	(void)state;
	expect_error("unknown.yaml", "capture:\n  mtu: 1500\ncaptur.mtu: 9000\n",
		     "unknown.yaml:3: unknown key 'captur.mtu'", "did you mean 'capture.mtu'",
		     NULL);
	expect_error("unknown2.yaml", "capture:\n  mtux: 9000\n",
		     "unknown2.yaml:2: unknown key 'capture.mtux'", NULL);
	expect_error("section-typo.yaml", "captur:\n  mtu: 9000\n",
		     "section-typo.yaml:1: unknown key 'captur' (did you mean 'capture'?)", NULL);
	expect_error("unknown3.yaml", "frobnicate: 1\n",
		     "unknown3.yaml:1: unknown key 'frobnicate'", NULL);
	/* options that only make sense on a command line have no key */
	expect_error("cli-only.yaml", "config: other.yaml\n",
		     "cli-only.yaml:1: unknown key 'config'", NULL);
	expect_error("section.yaml", "capture:\n  mtu: 1500\n\nflows: 5\n",
		     "section.yaml:4: flows: expected a mapping", NULL);
	expect_error("section2.yaml", "flows:\n", "section2.yaml:1: flows: expected a mapping",
		     NULL);
	expect_error("list.yaml", "capture:\n  mtu: [1500, 9000]\n",
		     "list.yaml:2: capture.mtu: expected a single value, not a list", NULL);
	expect_error("map.yaml", "output:\n  dir:\n    x: 1\n",
		     "map.yaml:3: output.dir: expected a single value, not a mapping", NULL);
	expect_error("range.yaml", "# mtu\n\n\n\n\n\ncapture: {mtu: 12}\n",
		     "range.yaml:7: capture.mtu: '12' is not an integer in [68, 65535]", NULL);
	expect_error("range2.yaml", "flows:\n  max: 100\n",
		     "range2.yaml:2: flows.max: '100' is not an integer in [1024, 67108864]",
		     NULL);
	expect_error("notint.yaml", "events:\n  rate_limit: -1\n",
		     "notint.yaml:2: events.rate_limit: '-1' is not an integer", NULL);
	expect_error("notint2.yaml", "capture:\n  mtu: 15x0\n",
		     "notint2.yaml:2: capture.mtu: '15x0'", NULL);
	expect_error("null.yaml", "capture:\n  mtu:\n", "null.yaml:2: capture.mtu", NULL);
	expect_error("emptystr.yaml", "output:\n  dir: ''\n",
		     "emptystr.yaml:2: output.dir: needs a value", NULL);
	expect_error("enum.yaml", "capture:\n  xdp_mode: fast\n",
		     "enum.yaml:2: capture.xdp_mode: 'fast' is not one of auto, native, skb",
		     NULL);
	expect_error("bool.yaml", "capture:\n  busy_poll: maybe\n",
		     "bool.yaml:2: capture.busy_poll: 'maybe' is not a boolean", NULL);
	expect_error("instance.yaml", "instance: ../x\n",
		     "instance.yaml:1: instance: '../x' is not a valid instance name", NULL);
	expect_error("dup.yaml", "capture:\n  mtu: 1500\nflows:\n  max: 2048\ncapture.mtu: 9000\n",
		     "dup.yaml:5: duplicate key 'capture.mtu' (first set on line 2)", NULL);
	expect_error("syntax.yaml", "capture:\n  mtu: 1500\n  queues: [1\n",
		     "syntax.yaml:", "YAML syntax error", NULL);
	expect_error("syntax2.yaml", "capture:\n  mtu: 1500\n bad indent: 1\n",
		     "syntax2.yaml:3: YAML syntax error", NULL);
	expect_error("top.yaml", "- capture\n- flows\n",
		     "top.yaml:1: expected a mapping of options", NULL);
	expect_error("twodocs.yaml", "capture:\n  mtu: 1500\n---\ncapture:\n  mtu: 9000\n",
		     "twodocs.yaml:4: only one YAML document", NULL);
	expect_error("key.yaml", "? [a, b]\n: 1\n", "key.yaml:1: keys must be plain names",
		     NULL);
	/* a file that cannot be read: its name and why */
	struct wc_config c;
	wc_config_defaults(&c);
	assert_int_equal(wc_config_load_yaml(&c, "/nonexistent/wc.yaml", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/wc.yaml: No such file"));
}

/* output.ipfix, output.ipfix_template_refresh, output.shm_group: set from
 * the file, validated like the command line (exit 2 material). */
static void test_export_options(void **state)
{
	(void)state;
	struct wc_config c;
	assert_int_equal(load(&c, "noexport.yaml", "output:\n  quiet: true\n"), 0);
	assert_null(c.ipfix);
	assert_null(c.shm_group);
	assert_int_equal(c.ipfix_template_refresh_s, 60);
	wc_config_free(&c);
	assert_int_equal(load(&c, "export.yaml",
			      "output:\n  ipfix: \"[::1]:4739\"\n  ipfix_template_refresh: 0\n"
			      "  shm_group: root\n"),
			 0);
	assert_string_equal(c.ipfix, "[::1]:4739");
	assert_int_equal(c.ipfix_template_refresh_s, 0);
	assert_string_equal(c.shm_group, "root");
	uint32_t gid = 1;
	assert_int_equal(wc_group_id(c.shm_group, &gid), 0);
	assert_int_equal(gid, 0);
	assert_int_equal(wc_group_id("0", &gid), 0);
	wc_config_free(&c);
	expect_error("ipfix.yaml", "output:\n  ipfix: 4739\n",
		     "ipfix.yaml:2: output.ipfix: '4739' is not HOST:PORT", NULL);
	expect_error("ipfix2.yaml", "output:\n  ipfix: \"::1:4739\"\n",
		     "ipfix2.yaml:2: output.ipfix: '::1:4739' is not HOST:PORT", NULL);
	expect_error("ipfix3.yaml", "output:\n  ipfix: collector:0\n",
		     "ipfix3.yaml:2: output.ipfix", NULL);
	expect_error("refresh.yaml", "output:\n  ipfix_template_refresh: 100000\n",
		     "refresh.yaml:2: output.ipfix_template_refresh: '100000' is not an integer",
		     NULL);
	expect_error("group.yaml", "output:\n  shm_group: no-such-group-wc\n",
		     "group.yaml:2: output.shm_group: 'no-such-group-wc' is not a group", NULL);
}

static void test_bool_forms(void **state)
{
	(void)state;
	static const char *const forms[][2] = {
		{"true", "1"}, {"false", "0"}, {"yes", "1"}, {"no", "0"}, {"1", "1"},
		{"0", "0"}, {"True", "1"}, {"NO", "0"}, {"on", "1"}, {"off", "0"},
	};
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct wc_config c;
		char text[64];
		snprintf(text, sizeof(text), "output:\n  quiet: %s\n", forms[i][0]);
		if (load(&c, "bool.yaml", text))
			fail_msg("%s: %s", forms[i][0], err);
		assert_int_equal(c.quiet, atoi(forms[i][1]));
		wc_config_free(&c);
	}
	expect_error("bool2.yaml", "output:\n  quiet: 2\n", "output.quiet: '2' is not a boolean",
		     NULL);
}

static void test_enum_values(void **state)
{
	(void)state;
	for (unsigned i = 0; wc_xdp_mode_names[i]; i++) {
		struct wc_config c;
		char text[64];
		snprintf(text, sizeof(text), "capture:\n  xdp_mode: %s\n", wc_xdp_mode_names[i]);
		assert_int_equal(load(&c, "enum.yaml", text), 0);
		assert_int_equal(c.xdp_mode, i);
		wc_config_free(&c);
	}
	/* the command line goes through the same table */
	struct wc_config c;
	wc_config_defaults(&c);
	char *a[] = {"wirecheck", "--xdp-mode", "bogus"};
	assert_int_equal(wc_config_parse_args(&c, 3, a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "option --xdp-mode: 'bogus' is not one of"));
}

static void test_cpulist(void **state)
{
	(void)state;
	uint64_t m;
	assert_int_equal(wc_parse_cpulist("1-3,5", 63, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0x2e);
	assert_int_equal(wc_parse_cpulist("0", 63, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 1);
	assert_int_equal(wc_parse_cpulist("63", 63, &m, err, sizeof(err)), 0);
	assert_true(m == 1ull << 63);
	assert_int_equal(wc_parse_cpulist("0-63", 63, &m, err, sizeof(err)), 0);
	assert_true(m == UINT64_MAX);
	assert_int_equal(wc_parse_cpulist(" 2 , 4 - 5", 63, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0x34);
	assert_int_equal(wc_parse_cpulist("3,3,1-3", 63, &m, err, sizeof(err)), 0);
	assert_int_equal(m, 0xe);

	assert_int_equal(wc_parse_cpulist("3-1", 63, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'3-1': range 3-1 goes backwards"));
	assert_int_equal(wc_parse_cpulist("a", 63, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'a' is not a CPU list"));
	assert_int_equal(wc_parse_cpulist("64", 63, &m, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CPU 64 in '64' is out of range [0, 63]"));
	assert_int_equal(wc_parse_cpulist("1-99999999999999999999", 63, &m, err, sizeof(err)), -1);
	static const char *const bad[] = {"", "1-", "-1", "1,,2", "1,", "1 2", "1-2-3", "0x1",
					  "+1", "1;2"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (wc_parse_cpulist(bad[i], 63, &m, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted as a CPU list", bad[i]);

	/* through the file, errors with line and key */
	struct wc_config c;
	assert_int_equal(load(&c, "cores.yaml", "capture:\n  cores: 0-1,3\n"), 0);
	assert_int_equal(c.cores, 0xb);
	assert_int_equal(load(&c, "cores1.yaml", "capture:\n  cores: 2\n"), 0);
	assert_int_equal(c.cores, 4);
	expect_error("cores2.yaml", "capture:\n  cores: 3-1\n",
		     "cores2.yaml:2: capture.cores: '3-1': range 3-1 goes backwards", NULL);
	expect_error("cores3.yaml", "capture:\n  cores: a\n",
		     "cores3.yaml:2: capture.cores: 'a' is not a CPU list", NULL);
	expect_error("cores4.yaml", "capture:\n  cores: 64\n",
		     "cores4.yaml:2: capture.cores: CPU 64", "out of range", NULL);
	expect_error("cores5.yaml", "capture:\n  cores: [1, 2]\n",
		     "cores5.yaml:2: capture.cores: expected a single value", NULL);
	/* and the command line */
	wc_config_defaults(&c);
	char *a[] = {"wirecheck", "--cores", "3-1"};
	assert_int_equal(wc_config_parse_args(&c, 3, a, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "option --cores: '3-1'"));
}

static void test_port_mtu(void **state)
{
	(void)state;
	struct wc_config c;
	int rc = load(&c, "ports.yaml",
		      "capture:\n"
		      "  interfaces: uplink0,vnet1,vnet2\n"
		      "  mtu: 1500\n"
		      "  port_mtu:\n"
		      "    uplink0: 9000\n"
		      "    2: 1450\n");
	if (rc)
		fail_msg("%s", err);
	assert_int_equal(c.n_port_mtu, 2);
	assert_string_equal(c.port_mtu[0].port, "uplink0");
	assert_int_equal(c.port_mtu[0].mtu, 9000);
	assert_string_equal(c.port_mtu[1].port, "2");
	assert_int_equal(c.port_mtu[1].mtu, 1450);
	/* names resolve to their place in the interface list */
	assert_int_equal(wc_port_mtu_index(&c.port_mtu[0], c.ifaces), 0);
	assert_int_equal(wc_port_mtu_index(&c.port_mtu[1], c.ifaces), 2);
	struct wc_port_mtu other = {.port = "vnet1"}, absent = {.port = "vnet"};
	assert_int_equal(wc_port_mtu_index(&other, c.ifaces), 1);
	assert_int_equal(wc_port_mtu_index(&absent, c.ifaces), -1);
	assert_int_equal(wc_port_mtu_index(&other, NULL), -1);
	wc_config_free(&c);

	/* the command line adds ports or replaces the file's entry for one */
	const char *path = write_file("ports2.yaml", "capture:\n  port_mtu: {0: 9000, 1: 1500}\n");
	char *a[] = {"wirecheck", "-c", (char *)path, "--port-mtu", "1=4000,3=1280"};
	assert_true(wc_config_from_args(&c, 5, a, err, sizeof(err)) >= 0);
	assert_int_equal(c.n_port_mtu, 3);
	assert_int_equal(c.port_mtu[0].mtu, 9000);
	assert_int_equal(c.port_mtu[1].mtu, 4000);
	assert_string_equal(c.port_mtu[2].port, "3");
	assert_int_equal(c.port_mtu[2].mtu, 1280);
	wc_config_free(&c);

	/* the scalar form is the command line's */
	assert_int_equal(load(&c, "ports3.yaml", "capture:\n  port_mtu: \"0=9000, eth1=1500\"\n"), 0);
	assert_int_equal(c.n_port_mtu, 2);
	assert_string_equal(c.port_mtu[1].port, "eth1");

	expect_error("pm1.yaml", "capture:\n  port_mtu:\n    0: 9000\n    1: 12\n",
		     "pm1.yaml:4: capture.port_mtu: port 1: '12' is not an integer in [68, 65535]",
		     NULL);
	expect_error("pm2.yaml", "capture:\n  port_mtu:\n    40: 9000\n",
		     "pm2.yaml:3: capture.port_mtu: port 40 is not in [0, 31]", NULL);
	expect_error("pm3.yaml", "capture:\n  port_mtu: [9000]\n",
		     "pm3.yaml:2: capture.port_mtu: expected a mapping of port -> MTU, not a list",
		     NULL);
	expect_error("pm4.yaml", "capture:\n  port_mtu:\n    eth0: [1, 2]\n",
		     "pm4.yaml:3: capture.port_mtu: port eth0: expected an MTU", NULL);
	expect_error("pm5.yaml", "capture:\n  port_mtu:\n    'a b': 1500\n",
		     "pm5.yaml:3: capture.port_mtu: 'a b' is not a port number or interface name",
		     NULL);
	expect_error("pm6.yaml", "capture:\n  port_mtu: 9000\n",
		     "pm6.yaml:2: capture.port_mtu: '9000' is not PORT=MTU", NULL);
	/* at most WC_CFG_MAX_PORTS entries */
	char big[4096] = "capture:\n  port_mtu:\n";
	for (int i = 0; i <= WC_CFG_MAX_PORTS; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "    eth%d: 1500\n", i);
	expect_error("pm7.yaml", big, "pm7.yaml:35: capture.port_mtu: at most 32 ports", NULL);
}

/* The decoder takes the MTU of the packet's port: a 4000-byte IPv4
 * datagram (Ethernet, IHL 5, TCP, built by hand; checksums irrelevant
 * here) is a super-frame on a 1500-byte port, not on a 9000-byte one, and
 * ports beyond the table use the default. */
static void test_port_mtu_decode(void **state)
{
	(void)state;
	static uint8_t frame[14 + 4000];
	memset(frame, 0, sizeof(frame));
	frame[12] = 0x08; /* IPv4 */
	uint8_t *ip = frame + 14;
	ip[0] = 0x45;
	ip[2] = 4000 >> 8;
	ip[3] = 4000 & 0xff;
	ip[8] = 64;
	ip[9] = 6;
	ip[12] = 10, ip[15] = 1;
	ip[16] = 10, ip[19] = 2;
	ip[20 + 12] = 0x50; /* TCP data offset 5 */
	ip[20 + 13] = 0x10; /* ACK */
	struct wc_decode_cfg dc = {.mtu = 1500};
	dc.port_mtu[1] = 9000;
	dc.port_mtu[2] = 3000;
	static const struct {
		uint16_t port;
		int super;
	} cases[] = {{0, 1}, {1, 0}, {2, 1}, {31, 1}, {WC_MAX_PORTS, 1}, {65535, 1}};
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wc_pkt p;
		struct wc_pkt_view v = {.data = frame, .caplen = sizeof(frame),
					.wirelen = sizeof(frame), .port = cases[i].port};
		wc_decode(&p, &v, WC_DLT_EN10MB, &dc);
		if (p.superframe != cases[i].super)
			fail_msg("port %u: superframe %d", cases[i].port, p.superframe);
	}
	dc.mtu = 9000; /* ports without their own MTU follow the default */
	dc.port_mtu[1] = 1500;
	struct wc_pkt p;
	struct wc_pkt_view v = {.data = frame, .caplen = sizeof(frame),
				.wirelen = sizeof(frame), .port = 0};
	wc_decode(&p, &v, WC_DLT_EN10MB, &dc);
	assert_int_equal(p.superframe, 0);
	v.port = 1;
	wc_decode(&p, &v, WC_DLT_EN10MB, &dc);
	assert_int_equal(p.superframe, 1);
}

static void test_eal_args(void **state)
{
	(void)state;
	struct wc_config c;
	assert_int_equal(load(&c, "eal.yaml",
			      "dpdk:\n"
			      "  enabled: true\n"
			      "  eal_args:\n"
			      "    - --no-pci\n"
			      "    - --vdev=net_pcap0,rx_pcap=/tmp/a b.pcap\n"
			      "    - -l\n"
			      "    - 0-1\n"),
			 0);
	assert_int_equal(c.dpdk, 1);
	assert_int_equal(c.n_eal_args, 4);
	assert_string_equal(c.eal_args[1], "--vdev=net_pcap0,rx_pcap=/tmp/a b.pcap");
	assert_string_equal(c.eal_args[3], "0-1");
	wc_config_free(&c);
	assert_int_equal(load(&c, "eal2.yaml", "dpdk:\n  eal_args: \"--no-pci  -l 0-1\"\n"), 0);
	assert_int_equal(c.n_eal_args, 3);
	assert_string_equal(c.eal_args[0], "--no-pci");
	assert_string_equal(c.eal_args[2], "0-1");
	wc_config_free(&c);
	expect_error("eal3.yaml", "dpdk:\n  eal_args:\n    - [a]\n",
		     "eal3.yaml:3: dpdk.eal_args: list items must be values", NULL);
	expect_error("eal4.yaml", "dpdk:\n  eal_args: {a: 1}\n",
		     "eal4.yaml:2: dpdk.eal_args: expected a list", NULL);
}

/* config/ of the source tree. __FILE__ is relative to the build directory
 * when meson compiles, and this binary sits in its tests/ subdirectory. */
static void example_path(char *out, size_t len, const char *name)
{
	char here[512], exe[512];
	snprintf(here, sizeof(here), "%s", __FILE__);
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	if (here[0] == '/' || n <= 0)
		snprintf(out, len, "%s/../../config/%s", dirname(here), name);
	else
		snprintf(out, len, "%s/../%s/../../config/%s", dirname(exe), dirname(here),
			 name);
}

static void test_examples_load(void **state)
{
	(void)state;
	static const char *const files[] = {"mirror-dpdk.yaml", "bridge-afxdp.yaml",
					    "offline-audit.yaml"};
	for (unsigned i = 0; i < 3; i++) {
		char path[600];
		example_path(path, sizeof(path), files[i]);
		struct wc_config c;
		wc_config_defaults(&c);
		if (wc_config_load_yaml(&c, path, err, sizeof(err)))
			fail_msg("%s", err);
		switch (i) {
		case 0:
			assert_int_equal(c.dpdk, 1);
			assert_true(c.n_eal_args > 0);
			break;
		case 1:
			assert_non_null(c.ifaces);
			assert_true(c.n_port_mtu > 0);
			for (unsigned k = 0; k < c.n_port_mtu; k++)
				assert_true(wc_port_mtu_index(&c.port_mtu[k], c.ifaces) >= 0);
			assert_true(c.cores != 0);
			break;
		case 2:
			assert_null(c.ifaces);
			assert_int_equal(c.dpdk, 0);
			assert_true(c.mtu != 1500);
			break;
		}
		wc_config_free(&c);
	}
}

/* --help: every option with its command-line name or config key. */
static void test_help_lists_everything(void **state)
{
	(void)state;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	wc_config_usage("wirecheck", f);
	fclose(f);
	for (unsigned i = 0; i < wc_n_options; i++) {
		const struct wc_opt *o = &wc_options[i];
		assert_true(o->name || o->key);
		if (o->name) {
			char n[64];
			snprintf(n, sizeof(n), "--%s", o->name);
			if (!strstr(buf, n))
				fail_msg("--help lacks %s", n);
		}
		if (o->key && !strstr(buf, o->key))
			fail_msg("--help lacks %s", o->key);
		if (!strstr(buf, o->help))
			fail_msg("--help lacks the help of %s", o->name ? o->name : o->key);
		/* keys are unique and every dotted key's section is no option */
		for (unsigned j = 0; j < i; j++) {
			if (o->key && wc_options[j].key)
				assert_string_not_equal(o->key, wc_options[j].key);
			if (o->name && wc_options[j].name)
				assert_string_not_equal(o->name, wc_options[j].name);
		}
	}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_file),
		cmocka_unit_test(test_strings_owned),
		cmocka_unit_test(test_flat_and_empty),
		cmocka_unit_test(test_cli_overrides_file),
		cmocka_unit_test(test_error_kinds),
		cmocka_unit_test(test_export_options),
		cmocka_unit_test(test_bool_forms),
		cmocka_unit_test(test_enum_values),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_port_mtu),
		cmocka_unit_test(test_port_mtu_decode),
		cmocka_unit_test(test_eal_args),
		cmocka_unit_test(test_examples_load),
		cmocka_unit_test(test_help_lists_everything),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
