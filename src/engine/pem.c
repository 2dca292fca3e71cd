/*
 * pem.c: PEM framing and base64 coding for certificates.
 *
 * cainit reads PEM from users (strictly: one bad character is a refusal)
 * and writes it into bundles (canonically: 64 columns, LF line ends), so
 * both directions live here with no dependence on libcrypto's leniencies.
 */
#include "pem.h"

#include <stdlib.h>
#include <string.h>

static const char BEGIN[] = "-----BEGIN ";
static const char END[] = "-----END ";
static const char DASHES[] = "-----";

static bool at_line_start(const char *buf, size_t off)
{
	return off == 0 || buf[off - 1] == '\n';
}

/* Offset of the next line start after off (len when none). */
static size_t next_line(const char *buf, size_t len, size_t off)
{
	const char *nl = memchr(buf + off, '\n', len - off);

	return nl ? (size_t)(nl - buf) + 1 : len;
}

/* Next "-----BEGIN " at a line start, from off; len when none. */
static size_t find_begin(const char *buf, size_t len, size_t off)
{
	while (off < len) {
		const char *p = memmem(buf + off, len - off, BEGIN, sizeof(BEGIN) - 1);

		if (p == NULL)
			return len;
		off = (size_t)(p - buf);
		if (at_line_start(buf, off))
			return off;
		off++;
	}
	return len;
}

/* Parse the label of the BEGIN line at off; false if the line is malformed. */
static bool begin_label(const char *buf, size_t len, size_t off,
			const char **label, size_t *label_len, size_t *body)
{
	size_t lstart = off + sizeof(BEGIN) - 1;
	size_t eol = next_line(buf, len, off);
	const char *dash = memmem(buf + lstart, eol - lstart, DASHES, sizeof(DASHES) - 1);
	size_t i;

	if (dash == NULL || dash == buf + lstart)
		return false;
	*label = buf + lstart;
	*label_len = (size_t)(dash - *label);
	/* only white space may follow the closing dashes */
	for (i = (size_t)(dash - buf) + sizeof(DASHES) - 1; i < eol; i++)
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\r' && buf[i] != '\n')
			return false;
	*body = eol;
	return true;
}

int pem_next(const char *buf, size_t len, size_t *pos, struct pem_block *b)
{
	size_t off = find_begin(buf, len, *pos);
	size_t body, scan;

	if (off >= len)
		return PEM_NONE;
	memset(b, 0, sizeof(*b));
	b->start = off;
	if (!begin_label(buf, len, off, &b->label, &b->label_len, &body)) {
		b->label = buf + off;
		b->label_len = 0;
		return PEM_TRUNCATED;
	}
	for (scan = body; scan < len; scan = next_line(buf, len, scan)) {
		size_t n = sizeof(END) - 1;

		if (len - scan < n + b->label_len + 5 || memcmp(buf + scan, END, n) != 0)
			continue;
		if (memcmp(buf + scan + n, b->label, b->label_len) != 0 ||
		    memcmp(buf + scan + n + b->label_len, DASHES, 5) != 0)
			continue;
		b->body = buf + body;
		b->body_len = scan - body;
		b->end = next_line(buf, len, scan);
		*pos = b->end;
		return PEM_FOUND;
	}
	return PEM_TRUNCATED;
}

bool pem_has_private_key(const char *buf, size_t len, size_t *at)
{
	static const char key[] = "PRIVATE KEY";
	size_t off = 0;

	while ((off = find_begin(buf, len, off)) < len) {
		size_t eol = next_line(buf, len, off);

		if (memmem(buf + off, eol - off, key, sizeof(key) - 1) != NULL) {
			if (at)
				*at = off;
			return true;
		}
		off = eol;
	}
	return false;
}

bool pem_looks_like_pem(const char *buf, size_t len)
{
	return find_begin(buf, len, 0) < len;
}

unsigned pem_newlines(const char *p, size_t n)
{
	const char *end = p + n, *nl;
	unsigned lines = 0;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = nl + 1;
	}
	return lines;
}

unsigned pem_line_of(const char *buf, size_t off)
{
	return 1 + pem_newlines(buf, off);
}

static const char B64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Each base64 character's value plus one; 0 for every other byte. */
static const unsigned char B64_PLUS1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9,
	['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41,
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

int b64_decode(const char *in, size_t len, unsigned char **out, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)in;
	unsigned char *o = malloc(len / 4 * 3 + 3);
	unsigned acc = 0, nbits = 0, pad = 0, nchars = 0;
	size_t n = 0, i = 0;

	if (o == NULL)
		return -1;
	while (i < len) {
		unsigned char c = u[i];
		unsigned v;

		if (nbits == 0 && pad == 0 && i + 4 <= len) {
			/* four data characters in a row (nearly all of a PEM body):
			 * three bytes at once */
			unsigned a = B64_PLUS1[u[i]], b = B64_PLUS1[u[i + 1]], d = B64_PLUS1[u[i + 2]],
				 f = B64_PLUS1[u[i + 3]];

			if (a && b && d && f) {
				unsigned w = (a - 1) << 18 | (b - 1) << 12 | (d - 1) << 6 | (f - 1);

				o[n++] = (unsigned char)(w >> 16);
				o[n++] = (unsigned char)(w >> 8);
				o[n++] = (unsigned char)w;
				nchars += 4;
				i += 4;
				continue;
			}
		}
		i++;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			nchars++;
			continue;
		}
		v = B64_PLUS1[c];
		if (v == 0 || pad > 0)
			goto bad; /* a stray byte, or data after padding */
		nchars++;
		acc = (acc << 6) | (v - 1);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			o[n++] = (unsigned char)(acc >> nbits);
			acc &= (1u << nbits) - 1;
		}
	}
	if (nchars == 0 || nchars % 4 != 0 || pad > 2 || acc != 0)
		goto bad;
	*out = o;
	*outlen = n;
	return 0;
bad:
	free(o);
	return -1;
}

size_t pem_cert_size(size_t der_len)
{
	size_t chars = (der_len + 2) / 3 * 4;

	return sizeof("-----BEGIN CERTIFICATE-----\n") - 1 + chars + (chars + 63) / 64 +
	       sizeof("-----END CERTIFICATE-----\n") - 1;
}

size_t pem_encode_cert(const unsigned char *der, size_t der_len, char *out)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "-----END CERTIFICATE-----\n";
	char *p = out;
	size_t i, col = 0;

	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	for (i = 0; i < der_len; i += 3) {
		unsigned v = (unsigned)der[i] << 16;
		size_t left = der_len - i;

		if (left > 1)
			v |= (unsigned)der[i + 1] << 8;
		if (left > 2)
			v |= der[i + 2];
		*p++ = B64[(v >> 18) & 63];
		*p++ = B64[(v >> 12) & 63];
		*p++ = left > 1 ? B64[(v >> 6) & 63] : '=';
		*p++ = left > 2 ? B64[v & 63] : '=';
		col += 4;
		if (col == 64) {
			*p++ = '\n';
			col = 0;
		}
	}
	if (col != 0)
		*p++ = '\n';
	memcpy(p, tail, sizeof(tail) - 1);
	p += sizeof(tail) - 1;
	return (size_t)(p - out);
}
