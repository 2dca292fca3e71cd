/*
 * rope.c: see rope.h. Pieces point into the arena by offset so the arena
 * may grow while the rope is being built.
 */
#include "rope.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rope_init(struct rope *r)
{
	memset(r, 0, sizeof(*r));
}

void rope_free(struct rope *r)
{
	free(r->pieces);
	free(r->arena);
	free(r->iov);
	rope_init(r);
}

static const char *piece_ptr(const struct rope *r, const struct rope_piece *p)
{
	return p->ext ? p->ext : r->arena + p->off;
}

static int push(struct rope *r, const char *ext, size_t off, size_t len)
{
	if (len == 0)
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct rope_piece *p = realloc(r->pieces, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		r->pieces = p;
		r->cap = cap;
	}
	r->pieces[r->n++] = (struct rope_piece){ext, off, len};
	r->len += len;
	return 0;
}

int rope_add(struct rope *r, const char *p, size_t len)
{
	return push(r, p, 0, len);
}

static int arena_reserve(struct rope *r, size_t more)
{
	size_t cap;
	char *a;

	if (r->arena_len + more <= r->arena_cap)
		return 0;
	cap = r->arena_cap ? r->arena_cap : 4096;
	while (cap < r->arena_len + more)
		cap *= 2;
	a = realloc(r->arena, cap);
	if (a == NULL)
		return -1;
	r->arena = a;
	r->arena_cap = cap;
	return 0;
}

int rope_copy(struct rope *r, const char *p, size_t len)
{
	if (len == 0)
		return 0;
	if (arena_reserve(r, len) < 0)
		return -1;
	memcpy(r->arena + r->arena_len, p, len);
	r->arena_len += len;
	return push(r, NULL, r->arena_len - len, len);
}

int rope_printf(struct rope *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || arena_reserve(r, (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(r->arena + r->arena_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r->arena_len += (size_t)n;
	return push(r, NULL, r->arena_len - (size_t)n, (size_t)n);
}

int rope_last(const struct rope *r)
{
	const struct rope_piece *p;

	if (r->n == 0)
		return -1;
	p = &r->pieces[r->n - 1];
	return (unsigned char)piece_ptr(r, p)[p->len - 1];
}

const struct iovec *rope_iov(struct rope *r, size_t *n)
{
	size_t i;

	free(r->iov);
	r->iov = malloc((r->n ? r->n : 1) * sizeof(*r->iov));
	if (r->iov == NULL)
		return NULL;
	for (i = 0; i < r->n; i++) {
		r->iov[i].iov_base = (void *)piece_ptr(r, &r->pieces[i]);
		r->iov[i].iov_len = r->pieces[i].len;
	}
	*n = r->n;
	return r->iov;
}

bool rope_equals(const struct rope *r, const char *buf, size_t len)
{
	size_t i, off = 0;

	if (r->len != len)
		return false;
	for (i = 0; i < r->n; i++) {
		const struct rope_piece *p = &r->pieces[i];

		if (memcmp(piece_ptr(r, p), buf + off, p->len) != 0)
			return false;
		off += p->len;
	}
	return true;
}

char *rope_join(const struct rope *r)
{
	char *out = malloc(r->len + 1);
	size_t i, off = 0;

	if (out == NULL)
		return NULL;
	for (i = 0; i < r->n; i++) {
		memcpy(out + off, piece_ptr(r, &r->pieces[i]), r->pieces[i].len);
		off += r->pieces[i].len;
	}
	out[off] = '\0';
	return out;
}
