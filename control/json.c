/* SPDX-License-Identifier: BSD-3-Clause */
#include "json.h"

#include <math.h>
#include <string.h>

/* Length of a valid UTF-8 sequence at s (RFC 3629), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0; /* overlong, out of range or a surrogate */
	return len;
}

void json_write_escaped(FILE *f, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		switch (c) {
		case '"':
			fputs("\\\"", f);
			i++;
			continue;
		case '\\':
			fputs("\\\\", f);
			i++;
			continue;
		case '\n':
			fputs("\\n", f);
			i++;
			continue;
		case '\r':
			fputs("\\r", f);
			i++;
			continue;
		case '\t':
			fputs("\\t", f);
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		size_t l = utf8_len(s + i, n - i);
		if (l == 0) { /* not UTF-8: keep the byte's value visibly */
			fprintf(f, "\\u%04x", c);
			i++;
			continue;
		}
		fwrite(s + i, 1, l, f);
		i += l;
	}
	fputc('"', f);
}

static void sep_key(struct wc_json *j, const char *key)
{
	if (j->count[j->depth]++)
		fputc(',', j->f);
	if (key) {
		json_write_escaped(j->f, key, strlen(key));
		fputc(':', j->f);
	}
}

static void push(struct wc_json *j, char open)
{
	fputc(open, j->f);
	if (j->depth + 1 < WC_JSON_MAX_DEPTH)
		j->depth++;
	j->count[j->depth] = 0;
}

void json_begin(struct wc_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->count[0] = 0;
	fputc('{', f);
}

void json_end(struct wc_json *j)
{
	fputs("}\n", j->f);
}

void json_obj(struct wc_json *j, const char *key)
{
	sep_key(j, key);
	push(j, '{');
}

void json_obj_end(struct wc_json *j)
{
	fputc('}', j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_arr(struct wc_json *j, const char *key)
{
	sep_key(j, key);
	push(j, '[');
}

void json_arr_end(struct wc_json *j)
{
	fputc(']', j->f);
	if (j->depth > 0)
		j->depth--;
}

void json_strn(struct wc_json *j, const char *key, const char *v, size_t n)
{
	sep_key(j, key);
	json_write_escaped(j->f, v, n);
}

void json_str(struct wc_json *j, const char *key, const char *v)
{
	json_strn(j, key, v ? v : "", v ? strlen(v) : 0);
}

void json_u64(struct wc_json *j, const char *key, uint64_t v)
{
	sep_key(j, key);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void json_i64(struct wc_json *j, const char *key, int64_t v)
{
	sep_key(j, key);
	fprintf(j->f, "%lld", (long long)v);
}

void json_bool(struct wc_json *j, const char *key, int v)
{
	sep_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

void json_double(struct wc_json *j, const char *key, double v)
{
	sep_key(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.3f", v);
	else
		fputs("null", j->f);
}

void json_raw(struct wc_json *j, const char *key, const char *token)
{
	sep_key(j, key);
	fputs(token, j->f);
}
