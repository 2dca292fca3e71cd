/*
 * text_block.c: cainit's marked block in someone else's text file (see
 * text_block.h), as pure in-memory edits, so the transaction can write the
 * result and give the original back byte for byte.
 */
#include "text_block.h"

#include <stdbool.h>
#include <string.h>

#define BEGIN "# cainit begin"
#define END "# cainit end"

struct span {
	size_t start; /* first byte owned (the newline before, with nl) */
	size_t end;   /* one past the end line (and its newline) */
	bool nl, created;
};

static bool line_is(const char *line, size_t n, const char *marker)
{
	size_t m = strlen(marker);

	return n >= m && memcmp(line, marker, m) == 0 && (n == m || line[m] == ' ' || line[m] == ':');
}

static bool has_word(const char *line, size_t n, const char *word)
{
	size_t w = strlen(word), i;
	const char *colon = memchr(line, ':', n);

	if (colon != NULL)
		n = (size_t)(colon - line); /* flags come before the colon */
	for (i = strlen(BEGIN); i + w <= n; i++)
		if (line[i - 1] == ' ' && memcmp(line + i, word, w) == 0 && (i + w == n || line[i + w] == ' '))
			return true;
	return false;
}

/* 0: *found says whether there is a block; 1: malformed. */
static int find(const char *buf, size_t len, struct span *s, bool *found)
{
	size_t p = 0;
	bool open = false;

	*found = false;
	while (p < len) {
		const char *nl = memchr(buf + p, '\n', len - p);
		size_t n = (size_t)((nl ? nl - buf : (ptrdiff_t)len) - (ptrdiff_t)p), next = p + n + (nl ? 1 : 0);

		if (line_is(buf + p, n, BEGIN)) {
			if (open || *found)
				return 1;
			open = true;
			s->nl = has_word(buf + p, n, "nl");
			s->created = has_word(buf + p, n, "created");
			s->start = p;
			if (s->nl && (p == 0 || buf[p - 1] != '\n'))
				return 1;
			if (s->nl)
				s->start--;
		} else if (line_is(buf + p, n, END)) {
			if (!open)
				return 1;
			open = false;
			*found = true;
			s->end = next;
		}
		p = next;
	}
	return open ? 1 : 0;
}

bool text_block_present(const char *buf, size_t len)
{
	struct span s;
	bool found;

	return find(buf, len, &s, &found) != 0 || found;
}

bool text_block_span(const char *buf, size_t len, size_t *start, size_t *end)
{
	struct span s;
	bool found;

	if (find(buf, len, &s, &found) != 0 || !found)
		return false;
	*start = s.start;
	*end = s.end;
	return true;
}

static int render(struct rope *out, bool nl, bool created, const char *what, const char *lines)
{
	return rope_printf(out, "%s%s%s%s: %s\n", nl ? "\n" : "", BEGIN, nl ? " nl" : "", created ? " created" : "",
			   what) < 0 ||
			       rope_copy(out, lines, strlen(lines)) < 0 || rope_printf(out, "%s\n", END) < 0
		       ? -1
		       : 0;
}

int text_block_edit(const char *buf, size_t len, bool exists, const char *what, const char *lines,
		    struct rope *out, bool *delete_file)
{
	return text_block_edit_at(buf, len, exists, what, lines, len, out, delete_file);
}

int text_block_edit_at(const char *buf, size_t len, bool exists, const char *what, const char *lines, size_t at,
		       struct rope *out, bool *delete_file)
{
	struct span s = {0};
	bool found;
	int rc;

	*delete_file = false;
	if (!exists)
		buf = "", len = 0;
	if ((rc = find(buf, len, &s, &found)) != 0)
		return rc;
	if (!found) {
		if (at > len || (at > 0 && at < len && buf[at - 1] != '\n'))
			at = len; /* (only a line's start, or the end) */
		s.start = s.end = at;
		s.nl = at > 0 && buf[at - 1] != '\n';
		s.created = !exists;
	}
	if (lines == NULL && s.nl && s.end < len)
		s.start++; /* text was added after the block: its newline now ends their line */
	if (rope_copy(out, buf, s.start) < 0)
		return -1;
	if (lines != NULL && render(out, s.nl, s.created, what, lines) < 0)
		return -1;
	if (rope_copy(out, buf + s.end, len - s.end) < 0)
		return -1;
	*delete_file = lines == NULL && s.created && out->len == 0;
	return 0;
}
