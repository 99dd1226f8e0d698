/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Minimal streaming JSON writer for one-object-per-line output. Every
 * string goes through json_str(), which escapes quotes, backslashes,
 * control characters and bytes that are not valid UTF-8 (as \u00XX), so
 * hostile bytes from packets can never break a line (SPEC §8).
 * Not thread-safe; one writer per FILE.
 */
#ifndef WC_JSON_H
#define WC_JSON_H

#include <stdint.h>
#include <stdio.h>

#define WC_JSON_MAX_DEPTH 16

struct wc_json {
	FILE *f;
	int depth;
	int count[WC_JSON_MAX_DEPTH]; /* members written at each depth */
};

void json_begin(struct wc_json *j, FILE *f); /* opens the top-level object */
void json_end(struct wc_json *j);            /* closes it and writes '\n' */
void json_obj(struct wc_json *j, const char *key); /* key NULL inside arrays */
void json_obj_end(struct wc_json *j);
void json_arr(struct wc_json *j, const char *key);
void json_arr_end(struct wc_json *j);
void json_str(struct wc_json *j, const char *key, const char *v);
void json_strn(struct wc_json *j, const char *key, const char *v, size_t n);
void json_u64(struct wc_json *j, const char *key, uint64_t v);
void json_i64(struct wc_json *j, const char *key, int64_t v);
void json_bool(struct wc_json *j, const char *key, int v);
void json_double(struct wc_json *j, const char *key, double v);
/* A literal JSON token (null, true, a number formatted by the caller). */
void json_raw(struct wc_json *j, const char *key, const char *token);
/* Escape src into f as a JSON string literal (with quotes). */
void json_write_escaped(FILE *f, const char *src, size_t n);

#endif
