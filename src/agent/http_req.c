/*
 * http_req.c: see http_req.h. Everything here works on bytes already in
 * memory and never allocates for a head: a request line and its headers
 * are checked in one pass, keeping only what the agent uses.
 */
#include "http_req.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LF, CH_END_LF };

#define CHUNK_LINE_MAX 1024

static const char *const method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "CONNECT",
					   "PATCH"};

const char *http_method_name(enum http_method m)
{
	return m < HTTP_OTHER ? method_names[m] : "?";
}

size_t http_head_end(const char *buf, size_t len)
{
	const char *p = len >= 4 ? memmem(buf, len, "\r\n\r\n", 4) : NULL;

	return p ? (size_t)(p - buf) + 4 : 0;
}

/* RFC 9110 tchar */
static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* field-value bytes: visible ASCII, obs-text, space and tab */
static bool is_vchar(unsigned char c)
{
	return c == ' ' || c == '\t' || (c > 0x20 && c != 0x7f);
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

/* Does the comma-separated list v[0..n) hold token want? */
static bool list_has(const char *v, size_t n, const char *want)
{
	size_t i = 0, k = strlen(want);

	while (i < n) {
		size_t start, end;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		start = i;
		while (i < n && v[i] != ',')
			i++;
		end = i;
		while (end > start && (v[end - 1] == ' ' || v[end - 1] == '\t'))
			end--;
		if (end - start == k && strncasecmp(v + start, want, k) == 0)
			return true;
	}
	return false;
}

static int parse_line(const char *p, size_t n, struct http_req *r, const char **why)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *target, *v;
	size_t mlen, tlen, i;

	if (sp1 == NULL || sp1 == p)
		return *why = "a malformed request line", 400;
	mlen = (size_t)(sp1 - p);
	for (i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return *why = "a malformed method", 400;
	r->method = HTTP_OTHER;
	for (i = 0; i < HTTP_OTHER; i++)
		if (strlen(method_names[i]) == mlen && memcmp(p, method_names[i], mlen) == 0)
			r->method = (enum http_method)i;
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - p));
	if (sp2 == NULL || sp2 == target)
		return *why = "a malformed request line", 400;
	tlen = (size_t)(sp2 - target);
	for (i = 0; i < tlen; i++)
		if ((unsigned char)target[i] <= 0x20 || (unsigned char)target[i] == 0x7f)
			return *why = "a malformed request target", 400;
	if (target[0] != '/')
		return *why = "a request target that is not a path", 400;
	v = sp2 + 1;
	if ((size_t)(p + n - v) != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return *why = "a malformed HTTP version", 400;
	if (v[5] != '1')
		return *why = "an HTTP version other than 1.x", 505;
	r->minor = v[7] - '0';
	r->close = r->minor == 0;
	for (i = 0; i < tlen && target[i] != '?'; i++)
		;
	if (i > HTTP_PATH_MAX)
		return *why = "a request target that is too long", 414;
	memcpy(r->path, target, i);
	r->path[i] = '\0';
	return 0;
}

static int parse_length(const char *v, size_t n, struct http_req *r, const char **why)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return *why = "an empty Content-Length", 400;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return *why = "a Content-Length that is not a number", 400;
		if (x > (UINT64_MAX - 9) / 10)
			return *why = "a Content-Length out of range", 400;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (r->has_length && r->length != x)
		return *why = "two different Content-Length headers", 400;
	r->has_length = true;
	r->length = x;
	return 0;
}

static int parse_field(const char *p, size_t n, struct http_req *r, const char **why)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t nlen, vlen, i;

	if (colon == NULL || colon == p)
		return *why = "a malformed header line", 400;
	nlen = (size_t)(colon - p);
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return *why = (p[i] == ' ' || p[i] == '\t') ? "white space before a header's colon"
								     : "a malformed header name",
			       400;
	v = colon + 1;
	vlen = n - nlen - 1;
	for (i = 0; i < vlen; i++)
		if (!is_vchar((unsigned char)v[i]))
			return *why = "a control character in a header value", 400;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (name_is(p, nlen, "Content-Length"))
		return parse_length(v, vlen, r, why);
	if (name_is(p, nlen, "Transfer-Encoding")) {
		if (r->chunked || !(vlen == 7 && strncasecmp(v, "chunked", 7) == 0))
			return *why = "a transfer coding other than chunked", 501;
		r->chunked = true;
	} else if (name_is(p, nlen, "X-Access-Token")) {
		if (r->has_token)
			return *why = "two X-Access-Token headers", 400;
		if (vlen > HTTP_TOKEN_MAX)
			return *why = "an X-Access-Token that is too long", 400;
		memcpy(r->token, v, vlen);
		r->token[vlen] = '\0';
		r->token_len = vlen;
		r->has_token = true;
	} else if (name_is(p, nlen, "Expect")) {
		if (!(vlen == 12 && strncasecmp(v, "100-continue", 12) == 0))
			return *why = "an expectation other than 100-continue", 417;
		r->expect_continue = true;
	} else if (name_is(p, nlen, "Connection")) {
		if (list_has(v, vlen, "close"))
			r->close = true;
		else if (r->minor == 0 && list_has(v, vlen, "keep-alive"))
			r->close = false;
	}
	return 0;
}

int http_req_parse(const char *buf, size_t len, struct http_req *r, const char **why)
{
	const char *p = buf, *end = buf + len;
	bool first = true;
	int rc;

	memset(r, 0, sizeof(*r));
	if (len > HTTP_HEAD_MAX)
		return *why = "a request head larger than 16 KiB", 431;
	if (len < 4 || memcmp(end - 4, "\r\n\r\n", 4) != 0)
		return *why = "a request head that does not end in an empty line", 400;
	end -= 2; /* the empty line's CRLF */
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t n;

		if (lf == NULL || lf == p || lf[-1] != '\r')
			return *why = "a line that does not end in CRLF", 400;
		n = (size_t)(lf - 1 - p);
		if (memchr(p, '\r', n) != NULL || memchr(p, '\0', n) != NULL)
			return *why = "a stray CR or NUL", 400;
		if (first) {
			if ((rc = parse_line(p, n, r, why)) != 0)
				return rc;
			first = false;
		} else {
			if (n > 0 && (p[0] == ' ' || p[0] == '\t'))
				return *why = "a folded header line", 400;
			if (++r->nheaders > HTTP_HEADERS_MAX)
				return *why = "more than 100 headers", 431;
			if ((rc = parse_field(p, n, r, why)) != 0)
				return rc;
		}
		p = lf + 1;
	}
	if (first)
		return *why = "no request line", 400;
	if (r->chunked && r->has_length)
		return *why = "both Content-Length and Transfer-Encoding", 400;
	return 0;
}

/* Append n bytes to b, never past max bytes in all: 0, -1 (over max) or
 * -2 (out of memory). */
static int http_body_add(struct http_body *b, const char *p, size_t n, size_t max)
{
	if (n > max || b->len > max - n)
		return -1;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < b->len + n)
			cap *= 2;
		if (cap > max)
			cap = max;
		if ((np = realloc(b->p, cap ? cap : 1)) == NULL)
			return -2;
		b->p = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void http_body_free(struct http_body *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* (One function, longer than most: the chunked decoder is one state
 * machine, each state a case, read top to bottom.) */
int http_chunked_feed(struct http_chunked *c, const char *in, size_t n, size_t *used, struct http_body *out,
		      size_t max)
{
	size_t i = 0;

	*used = 0;
	if (c->done)
		return HTTP_CHUNK_DONE;
	while (i < n) {
		char ch = in[i];

		switch (c->phase) {
		case CH_SIZE:
			if (hexval(ch) >= 0) {
				if (c->left > (UINT64_MAX >> 4) || ++c->line > 16)
					return HTTP_CHUNK_BAD;
				c->left = c->left * 16 + (uint64_t)hexval(ch);
			} else if (c->line == 0) {
				return HTTP_CHUNK_BAD;
			} else if (ch == ';') {
				c->phase = CH_EXT;
			} else if (ch == '\r') {
				c->phase = CH_SIZE_LF;
			} else {
				return HTTP_CHUNK_BAD;
			}
			i++;
			break;
		case CH_EXT: /* chunk extensions are ignored */
			if (ch == '\r')
				c->phase = CH_SIZE_LF;
			else if (ch == '\n' || ch == '\0' || ++c->line > CHUNK_LINE_MAX)
				return HTTP_CHUNK_BAD;
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return HTTP_CHUNK_BAD;
			i++;
			c->line = 0;
			if (c->left == 0) {
				c->phase = CH_TRAILER;
			} else {
				if (c->left > max || out->len > max - c->left)
					return HTTP_CHUNK_TOO_BIG;
				c->phase = CH_DATA;
			}
			break;
		case CH_DATA: {
			size_t k = n - i < c->left ? n - i : (size_t)c->left;
			int rc = http_body_add(out, in + i, k, max);

			if (rc != 0)
				return rc == -1 ? HTTP_CHUNK_TOO_BIG : HTTP_CHUNK_NOMEM;
			i += k;
			c->left -= k;
			if (c->left == 0)
				c->phase = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				return HTTP_CHUNK_BAD;
			c->phase = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return HTTP_CHUNK_BAD;
			c->phase = CH_SIZE;
			c->line = 0;
			i++;
			break;
		case CH_TRAILER: /* trailer lines are read and dropped */
			if (ch == '\r') {
				c->phase = c->line == 0 ? CH_END_LF : CH_TRAILER_LF;
			} else if (ch == '\n' || ch == '\0' || ++c->line > CHUNK_LINE_MAX) {
				return HTTP_CHUNK_BAD;
			}
			i++;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				return HTTP_CHUNK_BAD;
			c->phase = CH_TRAILER;
			c->line = 0;
			i++;
			break;
		case CH_END_LF:
			if (ch != '\n')
				return HTTP_CHUNK_BAD;
			i++;
			c->done = true;
			*used = i;
			return HTTP_CHUNK_DONE;
		}
	}
	*used = i;
	return HTTP_CHUNK_MORE;
}
