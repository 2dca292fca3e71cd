/*
 * ini_text.c: INI files read line by line as configparser and npm's ini
 * read them (ini_text.h), cainit's block aside.
 */
#include "ini_text.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "text_block.h"

/* line[0..n) without the blanks at either end, as *t, *tn. */
static void trimmed(const char *line, size_t n, const char **t, size_t *tn)
{
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		n--;
	*t = line;
	*tn = n;
}

/* Is t[0..tn) the header [section]? */
static bool is_header(const char *t, size_t tn, const char *section)
{
	size_t n = strlen(section);

	return tn == n + 2 && t[0] == '[' && t[tn - 1] == ']' && memcmp(t + 1, section, n) == 0;
}

/* Does t[0..tn) set key? Then its value into v. */
static void key_line(const char *t, size_t tn, const char *key, struct ini_view *v)
{
	size_t k = strlen(key), rn;
	const char *r;

	if (tn <= k || strncasecmp(t, key, k) != 0)
		return;
	r = t + k;
	rn = tn - k;
	while (rn > 0 && (*r == ' ' || *r == '\t'))
		r++, rn--;
	if (rn == 0 || (*r != '=' && *r != ':'))
		return;
	trimmed(r + 1, rn - 1, &r, &rn);
	v->key_set = true;
	snprintf(v->value, sizeof(v->value), "%.*s", (int)(rn < sizeof(v->value) ? rn : sizeof(v->value) - 1), r);
}

void ini_scan(const char *buf, size_t len, const char *section, const char *key, struct ini_view *v)
{
	size_t p = 0, bs = len, be = len;
	bool in = section == NULL;

	memset(v, 0, sizeof(*v));
	v->has_section = section == NULL;
	v->insert_at = len;
	text_block_span(buf, len, &bs, &be);
	while (p < len) {
		const char *nl = memchr(buf + p, '\n', len - p), *t;
		size_t n = nl ? (size_t)(nl - (buf + p)) : len - p, tn, next = p + n + (nl ? 1 : 0);

		if (p >= bs && p < be) {
			p = be;
			continue;
		}
		trimmed(buf + p, n, &t, &tn);
		if (tn > 0 && t[0] == '[') {
			if (in)
				v->insert_at = p; /* the section ends before the next header */
			in = section != NULL && is_header(t, tn, section);
			if (in) {
				v->has_section = true;
				v->insert_at = len;
			}
		} else if (in && tn > 0 && t[0] != '#' && t[0] != ';') {
			key_line(t, tn, key, v);
		}
		p = next;
	}
}
