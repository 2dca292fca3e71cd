/*
 * bundle.c: finding, matching and editing cainit's blocks in a bundle held
 * in memory. No I/O here: the engine reads files, this decides bytes.
 */
#include "bundle.h"

#include <stdlib.h>
#include <string.h>

#include "pem.h"

static const char MARK[] = "# cainit";
static const char MARK_NL[] = "# cainit+nl";

bool set_name_valid(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > SET_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return false;
	}
	return true;
}

static bool starts(const char *p, size_t n, const char *s)
{
	size_t k = strlen(s);

	return n >= k && memcmp(p, s, k) == 0;
}

/* Parse "set=NAME sha256=FP" from p[0..n); true on success. */
static bool parse_tokens(const char *p, size_t n, struct bblock *b)
{
	size_t i = 0, k = 0;

	if (!starts(p, n, " set="))
		return false;
	i = 5;
	while (i < n && p[i] != ' ' && k < SET_NAME_MAX)
		b->set[k++] = p[i++];
	b->set[k] = '\0';
	if (!set_name_valid(b->set) || !starts(p + i, n - i, " sha256="))
		return false;
	i += 8;
	if (n - i < CERT_FP_LEN || cert_parse_fp(p + i, CERT_FP_LEN, b->sha256) < 0)
		return false;
	i += CERT_FP_LEN;
	if (starts(p + i, n - i, " hash=") && n - i >= 14) {
		unsigned long h = 0;
		size_t k;

		for (k = i + 6; k < i + 14; k++) {
			char c = p[k];

			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
				return false;
			h = h << 4 | (unsigned long)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		b->hash = h;
		b->has_hash = true;
		i += 14;
	}
	return i == n || p[i] == ' ' || p[i] == '\r';
}

/* Try to read a block whose marker line starts at m; true on success. */
static bool parse_block(const char *buf, size_t len, size_t m, struct bblock *b)
{
	const char *nl = memchr(buf + m, '\n', len - m);
	size_t eol = nl ? (size_t)(nl - buf) : len, pos;
	struct pem_block pb;
	size_t tok;

	memset(b, 0, sizeof(*b));
	b->marker = m;
	if (m == 0 && starts(buf, len, BUNDLE_HEADER)) {
		b->header = true;
		b->start = 0;
		b->end = sizeof(BUNDLE_HEADER) - 1;
		return true;
	}
	if (starts(buf + m, eol - m, MARK_NL)) {
		b->nl = true;
		tok = m + sizeof(MARK_NL) - 1;
	} else {
		tok = m + sizeof(MARK) - 1;
	}
	if (!parse_tokens(buf + tok, eol - tok, b) || nl == NULL)
		return false;
	pos = eol + 1;
	if (pem_next(buf, len, &pos, &pb) != PEM_FOUND || pb.start != eol + 1 ||
	    pb.label_len != 11 || memcmp(pb.label, "CERTIFICATE", 11) != 0)
		return false;
	/* a torn block must not swallow the next one: base64 has no '-' or '#' */
	if (memchr(pb.body, '-', pb.body_len) || memchr(pb.body, '#', pb.body_len))
		return false;
	b->pem = pb.start;
	b->end = pb.end;
	b->start = m;
	if (b->nl) {
		if (m > 0 && buf[m - 1] == '\n')
			b->start = m - 1;
		else
			b->nl = false;
	}
	return true;
}

int bundle_scan(const char *buf, size_t len, struct bundle_view *v)
{
	size_t off = 0, cap = 0;

	memset(v, 0, sizeof(*v));
	v->buf = buf;
	v->len = len;
	while (off < len) {
		/* memchr is several times faster than memmem over a 200 KB bundle */
		const char *p = memchr(buf + off, '#', len - off);
		struct bblock b;
		size_t m;

		if (p == NULL)
			break;
		m = (size_t)(p - buf);
		off = m + 1;
		if ((m > 0 && buf[m - 1] != '\n') || len - m < sizeof(MARK) - 1 ||
		    memcmp(buf + m, MARK, sizeof(MARK) - 1) != 0)
			continue;
		if (!parse_block(buf, len, m, &b))
			continue;
		if (b.nl && v->n > 0 && b.start < v->blocks[v->n - 1].end) {
			/* The newline before a "+nl" marker also ends the previous
			 * block's END line. It is the "+nl" block's: cainit writes
			 * that marker after a block whose END line had no newline, so
			 * the previous block ends before it. Blocks never overlap
			 * (fuzz_bundle found the overlap). */
			v->blocks[v->n - 1].end = b.start;
		}
		if (v->n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct bblock *nb = realloc(v->blocks, ncap * sizeof(*nb));

			if (nb == NULL) {
				bundle_view_free(v);
				return -1;
			}
			v->blocks = nb;
			cap = ncap;
		}
		v->blocks[v->n++] = b;
		if (b.header)
			v->created = true;
		off = b.end;
	}
	return 0;
}

void bundle_view_free(struct bundle_view *v)
{
	free(v->blocks);
	v->blocks = NULL;
	v->n = 0;
}

size_t bundle_count(const struct bundle_view *v, const char *set)
{
	size_t i, n = 0;

	for (i = 0; i < v->n; i++)
		if (!v->blocks[i].header && (set == NULL || strcmp(v->blocks[i].set, set) == 0))
			n++;
	return n;
}

bool bundle_set_matches(const struct bundle_view *v, const char *set, const struct cert_list *want)
{
	size_t i, found = 0, nwant = want ? want->n : 0;

	for (i = 0; i < v->n; i++) {
		const struct bblock *b = &v->blocks[i];
		const struct cert *c;
		long k;

		if (b->header || strcmp(b->set, set) != 0)
			continue;
		k = want ? cert_list_find(want, b->sha256) : -1;
		if (k < 0)
			return false;
		c = &want->v[k];
		if (b->end - b->pem != c->pem_len || memcmp(v->buf + b->pem, c->pem, c->pem_len) != 0)
			return false;
		found++;
	}
	return found == nwant;
}

static int render_block(struct rope *out, const char *set, const struct cert *c, bool nl)
{
	if (rope_printf(out, "%s%s set=%s sha256=%s hash=%08lx subject=%.200s\n", nl ? "\n" : "",
			nl ? MARK_NL : MARK, set, c->fp, c->subject_hash, c->subject) < 0)
		return -1;
	return rope_add(out, c->pem, c->pem_len);
}

int bundle_render(const char *set, const struct cert_list *certs, struct rope *out)
{
	size_t i;

	for (i = 0; i < certs->n; i++)
		if (render_block(out, set, &certs->v[i], false) < 0)
			return -1;
	return 0;
}

static bool dropped(const struct bblock *b, const char *drop_set)
{
	return !b->header && (drop_set == NULL || strcmp(b->set, drop_set) == 0);
}

int bundle_edit(const struct bundle_view *v, const char *drop_set,
		const char *add_set, const struct cert_list *add,
		struct rope *out, bool *delete_file)
{
	bool pending_nl = false, only_header = true;
	size_t i, pos = 0;

	*delete_file = false;
	if (v == NULL) {
		if (rope_add(out, BUNDLE_HEADER, sizeof(BUNDLE_HEADER) - 1) < 0)
			return -1;
		return add ? bundle_render(add_set, add, out) : 0;
	}
	for (i = 0; i <= v->n; i++) {
		const struct bblock *b = i < v->n ? &v->blocks[i] : NULL;
		size_t fstart = pos, fend = b ? b->start : v->len;

		/* foreign bytes before this block (or up to the end) */
		if (fend > fstart) {
			only_header = false;
			if (pending_nl && rope_add(out, "\n", 1) < 0)
				return -1;
			pending_nl = false;
			if (rope_add(out, v->buf + fstart, fend - fstart) < 0)
				return -1;
		}
		if (b == NULL)
			break;
		pos = b->end;
		if (dropped(b, drop_set)) {
			pending_nl = pending_nl || b->nl;
			continue;
		}
		if (!b->header)
			only_header = false;
		if (pending_nl) {
			/* this block now follows bytes without a final newline: it owns one */
			if (rope_add(out, "\n", 1) < 0 || rope_add(out, MARK_NL, sizeof(MARK_NL) - 1) < 0 ||
			    rope_add(out, v->buf + b->marker + sizeof(MARK) - 1,
				     b->end - b->marker - (sizeof(MARK) - 1)) < 0)
				return -1;
			pending_nl = false;
		} else if (rope_add(out, v->buf + b->start, b->end - b->start) < 0) {
			return -1;
		}
	}
	/* a pending newline here belonged to dropped blocks at the very end: gone */
	if (add != NULL && add->n > 0) {
		int last = rope_last(out);
		bool need_nl = last >= 0 && last != '\n';

		for (i = 0; i < add->n; i++)
			if (render_block(out, add_set, &add->v[i], need_nl && i == 0) < 0)
				return -1;
		only_header = false;
	}
	*delete_file = v->created && only_header;
	return 0;
}

char *bundle_pad_marker(const char *buf, size_t len, size_t from, size_t pad)
{
	size_t off = 0, m = len, eol;
	char *out;

	/* the last marker line ("# cainit " or "# cainit+nl ") at a line start */
	while (off < len) {
		const char *p = memmem(buf + off, len - off, MARK, sizeof(MARK) - 1);
		size_t at;

		if (p == NULL)
			break;
		at = (size_t)(p - buf);
		off = at + 1;
		if ((at == 0 || buf[at - 1] == '\n') && len - at > sizeof(MARK) &&
		    (buf[at + sizeof(MARK) - 1] == ' ' || buf[at + sizeof(MARK) - 1] == '+'))
			m = at;
	}
	if (m == len)
		return NULL;
	for (eol = m; eol < len && buf[eol] != '\n'; eol++)
		;
	/* the padding must land where the rewrite starts or later */
	if (eol == len || eol < from)
		return NULL;
	out = malloc(len + pad);
	if (out == NULL)
		return NULL;
	memcpy(out, buf, eol);
	memset(out + eol, ' ', pad);
	memcpy(out + eol + pad, buf + eol, len - eol);
	return out;
}
