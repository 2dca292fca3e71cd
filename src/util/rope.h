/*
 * rope.h: file contents assembled from pieces without copying them: slices
 * of a file already read (a 200 KB bundle) plus a few rendered blocks.
 * Written out with one writev(2); compared without joining.
 */
#ifndef CAINIT_ROPE_H
#define CAINIT_ROPE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/uio.h>

struct rope_piece {
	const char *ext; /* borrowed bytes, or NULL when in the arena */
	size_t off;      /* arena offset when ext is NULL */
	size_t len;
};

struct rope {
	struct rope_piece *pieces;
	size_t n, cap;
	size_t len;      /* total bytes */
	char *arena;     /* rendered bytes owned by the rope */
	size_t arena_len, arena_cap;
	struct iovec *iov; /* built by rope_iov */
};

void rope_init(struct rope *r);
void rope_free(struct rope *r);
/* Append borrowed bytes (they must outlive the rope). */
int rope_add(struct rope *r, const char *p, size_t len);
/* Append a copy of the bytes into the arena. */
int rope_copy(struct rope *r, const char *p, size_t len);
/* Append formatted text into the arena. */
int rope_printf(struct rope *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Last byte, or -1 when empty. */
int rope_last(const struct rope *r);
/* The pieces as iovecs (valid until the rope changes); *n gets the count. */
const struct iovec *rope_iov(struct rope *r, size_t *n);
/* True when the rope's bytes equal buf[0..len). */
bool rope_equals(const struct rope *r, const char *buf, size_t len);
/* A malloc'd contiguous copy. */
char *rope_join(const struct rope *r);

#endif
