/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration file (-c FILE), read with libyaml's document API.
 * Nested mappings are the dotted keys of wc_options[] (capture: {mtu: 9000}
 * is capture.mtu); every value goes through wc_config_set(), the same
 * validation as the command line. Errors name the file, the line and the
 * key, so an operator can fix the file without reading the code.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "options.h"

#define KEY_MAX 128

struct loader {
	struct wc_config *cfg;
	const char *path;
	yaml_document_t *doc;
	char *err;
	size_t errlen;
	unsigned seen_line[WC_MAX_OPTIONS]; /* per option: line it was set on, 0 = not yet */
};

static int fail(struct loader *l, const yaml_node_t *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct loader *l, const yaml_node_t *at, const char *fmt, ...)
{
	int n = snprintf(l->err, l->errlen, "%s:%zu: ", l->path,
			 at ? at->start_mark.line + 1 : 1);
	if (n < 0 || (size_t)n >= l->errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *node_kind(const yaml_node_t *n)
{
	return n->type == YAML_SEQUENCE_NODE ? "a list"
	       : n->type == YAML_MAPPING_NODE ? "a mapping" : "a value";
}

static unsigned edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	unsigned row[KEY_MAX + 1];
	for (size_t j = 0; j <= m; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= n; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= m; j++) {
			unsigned up = row[j];
			unsigned best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[m];
}

/* The option key or section closest to a mistyped key (edit distance
 * <= 2), for "did you mean"; written into out. */
static const char *closest_key(const char *key, char *out, size_t len)
{
	unsigned best = 3;
	size_t n = strlen(key);
	if (n >= KEY_MAX)
		return NULL;
	for (unsigned i = 0; i < wc_n_options; i++) {
		const char *k = wc_options[i].key;
		if (!k)
			continue;
		/* "capture.port_mtu" offers "capture" and "capture.port_mtu" */
		for (size_t m = 1; m <= strlen(k) && m <= KEY_MAX; m++) {
			if (k[m] != '.' && k[m] != 0)
				continue;
			unsigned d = edit_distance(key, n, k, m);
			if (d < best && d > 0) {
				best = d;
				snprintf(out, len, "%.*s", (int)m, k);
			}
		}
	}
	return best < 3 ? out : NULL;
}

/* Is key a section (a prefix "key." of some option's key)? */
static int is_section(const char *key)
{
	size_t n = strlen(key);
	for (unsigned i = 0; i < wc_n_options; i++) {
		const char *k = wc_options[i].key;
		if (k && !strncmp(k, key, n) && k[n] == '.')
			return 1;
	}
	return 0;
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Copy a scalar into storage owned by the configuration. */
static const char *keep(struct loader *l, const yaml_node_t *n)
{
	return wc_config_keep(l->cfg, scalar(n), n->data.scalar.length);
}

static int set_one(struct loader *l, const struct wc_opt *o, const char *key,
		   const yaml_node_t *at, const char *value)
{
	char why[200];
	if (!value)
		return fail(l, at, "%s: out of memory", key);
	if (wc_config_set(l->cfg, o, value, why, sizeof(why)))
		return fail(l, at, "%s: %s", key, why);
	return 0;
}

static int load_option(struct loader *l, const struct wc_opt *o, const char *key,
		       const yaml_node_t *v)
{
	char why[200];
	switch (o->type) {
	case WC_OPT_PORTMAP:
		if (v->type == YAML_SCALAR_NODE)
			return set_one(l, o, key, v, scalar(v)); /* "0=9000,1=1500" */
		if (v->type != YAML_MAPPING_NODE)
			return fail(l, v, "%s: expected a mapping of port -> MTU, not %s", key,
				    node_kind(v));
		for (yaml_node_pair_t *p = v->data.mapping.pairs.start;
		     p < v->data.mapping.pairs.top; p++) {
			yaml_node_t *pk = yaml_document_get_node(l->doc, p->key);
			yaml_node_t *pv = yaml_document_get_node(l->doc, p->value);
			if (pk->type != YAML_SCALAR_NODE)
				return fail(l, pk, "%s: a port must be a number or a name", key);
			if (pv->type != YAML_SCALAR_NODE)
				return fail(l, pv, "%s: port %s: expected an MTU, not %s", key,
					    scalar(pk), node_kind(pv));
			char item[160];
			if (snprintf(item, sizeof(item), "%s=%s", scalar(pk), scalar(pv)) >=
			    (int)sizeof(item))
				return fail(l, pk, "%s: entry too long", key);
			if (wc_config_set(l->cfg, o, item, why, sizeof(why)))
				return fail(l, pv, "%s: %s", key, why);
		}
		return 0;
	case WC_OPT_STRLIST:
		l->cfg->n_eal_args = 0; /* the file's list replaces the default */
		if (v->type == YAML_SCALAR_NODE) {
			/* one string: words separated by blanks */
			const char *s = scalar(v);
			while (*s) {
				size_t sp = strspn(s, " \t\n");
				s += sp;
				size_t w = strcspn(s, " \t\n");
				if (w && set_one(l, o, key, v, wc_config_keep(l->cfg, s, w)))
					return -1;
				s += w;
			}
			return 0;
		}
		if (v->type != YAML_SEQUENCE_NODE)
			return fail(l, v, "%s: expected a list, not %s", key, node_kind(v));
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			yaml_node_t *e = yaml_document_get_node(l->doc, *it);
			if (e->type != YAML_SCALAR_NODE)
				return fail(l, e, "%s: list items must be values, not %s", key,
					    node_kind(e));
			if (set_one(l, o, key, e, keep(l, e)))
				return -1;
		}
		return 0;
	default:
		if (v->type != YAML_SCALAR_NODE)
			return fail(l, v, "%s: expected a single value, not %s", key,
				    node_kind(v));
		return set_one(l, o, key, v,
			       o->type == WC_OPT_STR ? keep(l, v) : scalar(v));
	}
}

static int load_mapping(struct loader *l, const yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		if (k->type != YAML_SCALAR_NODE)
			return fail(l, k, "keys must be plain names, not %s", node_kind(k));
		char key[KEY_MAX];
		int n = snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
				 scalar(k));
		if (n < 0 || (size_t)n >= sizeof(key))
			return fail(l, k, "unknown key '%.40s...'", key);

		const struct wc_opt *o = wc_option_by_key(key);
		if (o) {
			unsigned idx = (unsigned)(o - wc_options);
			unsigned line = (unsigned)k->start_mark.line + 1;
			if (l->seen_line[idx])
				return fail(l, k, "duplicate key '%s' (first set on line %u)", key,
					    l->seen_line[idx]);
			l->seen_line[idx] = line;
			if (load_option(l, o, key, v))
				return -1;
		} else if (is_section(key)) {
			if (v->type != YAML_MAPPING_NODE)
				return fail(l, v, "%s: expected a mapping, not %s", key,
					    node_kind(v));
			if (load_mapping(l, v, key))
				return -1;
		} else {
			char buf[KEY_MAX];
			const char *hint = closest_key(key, buf, sizeof(buf));
			if (hint)
				return fail(l, k, "unknown key '%s' (did you mean '%s'?)", key, hint);
			return fail(l, k, "unknown key '%s' (wirecheck --help lists the keys)",
				    key);
		}
	}
	return 0;
}

static int syntax_error(const yaml_parser_t *p, const char *path, char *err,
			size_t errlen)
{
	const char *what = p->error == YAML_MEMORY_ERROR ? "out of memory"
			   : p->problem ? p->problem : "cannot parse";
	size_t line = p->problem_mark.line + 1;
	if (p->error == YAML_READER_ERROR)
		snprintf(err, errlen, "%s: not a YAML text file: %s (byte %zu)", path, what,
			 p->problem_offset);
	else if (p->context)
		snprintf(err, errlen, "%s:%zu: YAML syntax error: %s (%s at line %zu)", path,
			 line, what, p->context, p->context_mark.line + 1);
	else
		snprintf(err, errlen, "%s:%zu: YAML syntax error: %s", path, line, what);
	return -1;
}

int wc_config_load_yaml(struct wc_config *cfg, const char *path, char *err,
			size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	yaml_parser_set_input_file(&parser, f);

	int rc = 0;
	yaml_document_t doc;
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(&parser, path, err, errlen);
		goto out_parser;
	}
	struct loader l = {.cfg = cfg, .path = path, .doc = &doc, .err = err,
			   .errlen = errlen};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int had_document = root != NULL;
	if (!root) {
		/* an empty file (or only comments): every option keeps its default */
	} else if (root->type == YAML_SCALAR_NODE && root->data.scalar.length == 0) {
		/* "---" alone: same */
	} else if (root->type != YAML_MAPPING_NODE) {
		rc = fail(&l, root, "expected a mapping of options (key: value), not %s",
			  node_kind(root));
	} else {
		rc = load_mapping(&l, root, "");
	}
	yaml_document_delete(&doc);
	if (rc == 0 && had_document) {
		/* a second document would be silently ignored: refuse it */
		yaml_document_t more;
		if (!yaml_parser_load(&parser, &more)) {
			rc = syntax_error(&parser, path, err, errlen);
		} else {
			yaml_node_t *r2 = yaml_document_get_root_node(&more);
			if (r2) {
				snprintf(err, errlen, "%s:%zu: only one YAML document (---) is read",
					 path, r2->start_mark.line + 1);
				rc = -1;
			}
			yaml_document_delete(&more);
		}
	}
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
